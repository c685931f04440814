package storetest

import (
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func testOAuth(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	g := &store.OAuthClient{Provider: "google", ClientID: "cid.apps", Secret: []byte{1, 2, 3}, KeyID: "k1", CreatedAt: at(0), UpdatedAt: at(0)}
	n := &store.OAuthClient{Provider: "notion", ClientID: "n-1", CreatedAt: at(1), UpdatedAt: at(1)}
	must(t, s.PutOAuthClient(ctx, g), "put google")
	must(t, s.PutOAuthClient(ctx, n), "put notion")
	got, err := s.GetOAuthClient(ctx, "google")
	must(t, err, "get google")
	equal(t, got, g, "google")
	// Put replaces id, secret and key; the creation time stays.
	g2 := &store.OAuthClient{Provider: "google", ClientID: "cid2", KeyID: "k2", CreatedAt: at(50), UpdatedAt: at(9)}
	must(t, s.PutOAuthClient(ctx, g2), "replace google")
	list, err := s.ListOAuthClients(ctx)
	must(t, err, "list")
	equal(t, list, []*store.OAuthClient{{Provider: "google", ClientID: "cid2", KeyID: "k2", CreatedAt: at(0), UpdatedAt: at(9)}, n},
		"clients by provider, the replaced secret gone")
	must(t, s.DeleteOAuthClient(ctx, "notion"), "delete notion")
	_, err = s.GetOAuthClient(ctx, "notion")
	wantErr(t, err, store.ErrNotFound, "deleted notion")
	wantErr(t, s.DeleteOAuthClient(ctx, "notion"), store.ErrNotFound, "delete twice")
	if err := s.PutOAuthClient(ctx, &store.OAuthClient{Provider: "x"}); err == nil {
		t.Error("a client without an id: want an error")
	}

	c := &weft.Connection{Name: "Sheets", Type: "google", CreatedAt: at(0), UpdatedAt: at(0)}
	must(t, s.CreateConnection(ctx, c), "create connection")
	f := &store.OAuthFlow{StateHash: []byte("hash-1"), ConnectionID: c.ID, RedirectURI: "https://w/oauth/callback",
		Binding: []byte("bind"), Verifier: []byte("sealed"), KeyID: "k1", Status: "pending", CreatedAt: at(10), ExpiresAt: at(20)}
	must(t, s.CreateOAuthFlow(ctx, f), "create flow")
	wantErr(t, s.CreateOAuthFlow(ctx, f), store.ErrExists, "a state is stored once")
	cli := &store.OAuthFlow{StateHash: []byte("hash-2"), ConnectionID: c.ID, RedirectURI: "https://w/oauth/callback",
		Verifier: []byte("v"), KeyID: "k1", Status: "pending", CreatedAt: at(10), ExpiresAt: at(40)}
	must(t, s.CreateOAuthFlow(ctx, cli), "create unbound flow")
	got2, err := s.GetOAuthFlow(ctx, []byte("hash-1"))
	must(t, err, "get flow")
	equal(t, got2, f, "flow")
	got2, err = s.GetOAuthFlow(ctx, []byte("hash-2"))
	must(t, err, "get unbound flow")
	equal(t, got2, cli, "unbound flow (no binding: nil)")
	_, err = s.GetOAuthFlow(ctx, []byte("nope"))
	wantErr(t, err, store.ErrNotFound, "unknown state")

	done := at(15)
	f.Status, f.Message, f.FinishedAt = "failed", "access_denied", &done
	must(t, s.UpdateOAuthFlow(ctx, f), "update flow")
	got2, err = s.GetOAuthFlow(ctx, []byte("hash-1"))
	must(t, err, "get updated flow")
	equal(t, got2, f, "updated flow")
	wantErr(t, s.UpdateOAuthFlow(ctx, &store.OAuthFlow{StateHash: []byte("nope")}), store.ErrNotFound, "update unknown")

	deleted, err := s.DeleteOAuthFlowsBefore(ctx, at(30))
	must(t, err, "delete expired")
	if deleted != 1 {
		t.Fatalf("deleted %d expired flows, want 1", deleted)
	}
	// Deleting the connection takes its flows along.
	must(t, s.DeleteConnection(ctx, c.ID), "delete connection")
	_, err = s.GetOAuthFlow(ctx, []byte("hash-2"))
	wantErr(t, err, store.ErrNotFound, "flow of a deleted connection")
}
