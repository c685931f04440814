package storetest

import (
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	n, err := s.CountUsers(ctx)
	must(t, err, "count users of a fresh store")
	equal(t, n, 0, "users of a fresh store")

	ada := &store.User{ID: "u1", Email: "Ada@Example.org", Name: "Ada", Role: "owner", PasswordHash: "$argon2id$x", CreatedAt: at(1)}
	bob := &store.User{ID: "u2", Email: "bob@example.org", Name: "", Role: "viewer", PasswordHash: "$argon2id$y", CreatedAt: at(2)}
	must(t, s.CreateUser(ctx, ada), "create ada")
	must(t, s.CreateUser(ctx, bob), "create bob")
	wantErr(t, s.CreateUser(ctx, &store.User{ID: "u3", Email: "ADA@example.org ", Role: "viewer", PasswordHash: "h", CreatedAt: at(3)}),
		store.ErrExists, "a second account with ada's email in other case")
	wantErr(t, s.CreateUser(ctx, &store.User{ID: "u1", Email: "c@example.org", Role: "viewer", PasswordHash: "h", CreatedAt: at(3)}),
		store.ErrExists, "a second account with ada's id")
	for name, bad := range map[string]*store.User{
		"nil":      nil,
		"no id":    {Email: "x@example.org", Role: "viewer", PasswordHash: "h"},
		"no email": {ID: "u9", Role: "viewer", PasswordHash: "h"},
		"no role":  {ID: "u9", Email: "x@example.org", PasswordHash: "h"},
		"no hash":  {ID: "u9", Email: "x@example.org", Role: "viewer"},
	} {
		if err := s.CreateUser(ctx, bad); err == nil {
			t.Errorf("CreateUser(%s): want an error", name)
		}
	}

	wantAda := *ada
	wantAda.Email = "ada@example.org" // stored lower-cased
	got, err := s.GetUser(ctx, "u1")
	must(t, err, "get ada")
	equal(t, *got, wantAda, "ada by id")
	got, err = s.UserByEmail(ctx, " ADA@example.ORG")
	must(t, err, "ada by email")
	equal(t, *got, wantAda, "ada by email in other case")
	_, err = s.GetUser(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "unknown id")
	_, err = s.UserByEmail(ctx, "nope@example.org")
	wantErr(t, err, store.ErrNotFound, "unknown email")

	all, err := s.ListUsers(ctx)
	must(t, err, "list users")
	equal(t, all, []*store.User{&wantAda, bob}, "users, oldest first")
	n, err = s.CountUsers(ctx)
	must(t, err, "count users")
	equal(t, n, 2, "users")

	// A session names a user instead of a token; reading it returns the account.
	sess := &store.Session{Hash: []byte{0xe1}, UserID: "u2", CSRF: "csrf-u", CreatedAt: at(4), LastSeenAt: at(4), ExpiresAt: at(40)}
	must(t, s.CreateSession(ctx, sess), "create bob's session")
	gs, err := s.GetSession(ctx, sess.Hash)
	must(t, err, "get bob's session")
	want := *sess
	want.User = bob
	equal(t, *gs, want, "bob's session with his account")
	wantErr(t, s.CreateSession(ctx, &store.Session{Hash: []byte{0xe2}, UserID: "nope", CSRF: "x", CreatedAt: at(4),
		LastSeenAt: at(4), ExpiresAt: at(5)}), store.ErrNotFound, "a session of an unknown user")
	if err := s.CreateSession(ctx, &store.Session{Hash: []byte{0xe3}, UserID: "u2", TokenID: "t", CSRF: "x"}); err == nil {
		t.Error("CreateSession with both a token and a user: want an error")
	}
	must(t, s.TouchSession(ctx, sess.Hash, at(10), at(50)), "touch bob's session")
	must(t, s.DeleteSession(ctx, sess.Hash), "delete bob's session")
	_, err = s.GetSession(ctx, sess.Hash)
	wantErr(t, err, store.ErrNotFound, "bob's session after delete")

	// Roles change; removing an account ends its sessions.
	must(t, s.SetUserRole(ctx, "u2", "editor"), "bob becomes an editor")
	got, err = s.GetUser(ctx, "u2")
	must(t, err, "get bob")
	equal(t, got.Role, "editor", "bob's role")
	wantErr(t, s.SetUserRole(ctx, "nope", "editor"), store.ErrNotFound, "role of an unknown user")
	again := &store.Session{Hash: []byte{0xe4}, UserID: "u2", CSRF: "c", CreatedAt: at(5), LastSeenAt: at(5), ExpiresAt: at(50)}
	must(t, s.CreateSession(ctx, again), "bob signs in again")
	must(t, s.DeleteUser(ctx, "u2"), "remove bob")
	_, err = s.GetSession(ctx, again.Hash)
	wantErr(t, err, store.ErrNotFound, "bob's session after he was removed")
	_, err = s.GetUser(ctx, "u2")
	wantErr(t, err, store.ErrNotFound, "bob after removal")
	wantErr(t, s.DeleteUser(ctx, "u2"), store.ErrNotFound, "remove bob again")

	// Invites: found by hash, listed, deleted once.
	inv := &store.Invite{ID: "i1", Hash: []byte{0x11, 0x00}, Email: "", Role: "viewer", CreatedBy: "ada@example.org",
		CreatedAt: at(6), ExpiresAt: at(60)}
	inv2 := &store.Invite{ID: "i2", Hash: []byte{0x22}, Email: "Cy@Example.org", Role: "editor", CreatedBy: "ada@example.org",
		CreatedAt: at(7), ExpiresAt: at(70)}
	must(t, s.CreateInvite(ctx, inv), "create invite i1")
	must(t, s.CreateInvite(ctx, inv2), "create invite i2")
	wantErr(t, s.CreateInvite(ctx, &store.Invite{ID: "i3", Hash: inv.Hash, Role: "viewer", CreatedAt: at(8), ExpiresAt: at(9)}),
		store.ErrExists, "an invite with i1's hash")
	if err := s.CreateInvite(ctx, &store.Invite{ID: "i4", Hash: []byte{0x44}}); err == nil {
		t.Error("CreateInvite without a role: want an error")
	}
	gi, err := s.InviteByHash(ctx, inv.Hash)
	must(t, err, "invite i1 by hash")
	equal(t, *gi, *inv, "invite i1")
	_, err = s.InviteByHash(ctx, []byte{0x99})
	wantErr(t, err, store.ErrNotFound, "unknown invite")
	want2 := *inv2
	want2.Email = "cy@example.org"
	list, err := s.ListInvites(ctx)
	must(t, err, "list invites")
	equal(t, list, []*store.Invite{inv, &want2}, "invites, oldest first")
	must(t, s.DeleteInvite(ctx, "i1"), "use invite i1")
	wantErr(t, s.DeleteInvite(ctx, "i1"), store.ErrNotFound, "use invite i1 twice")
	_, err = s.InviteByHash(ctx, inv.Hash)
	wantErr(t, err, store.ErrNotFound, "i1 after use")

	// A token names the account that made it.
	owned := &weft.Token{ID: "tokA", Name: "ada's script", Scopes: []string{"scenarios:read"}, Hash: []byte{0x0a},
		CreatedAt: at(9), OwnerID: "u1"}
	must(t, s.CreateToken(ctx, owned), "create ada's token")
	tokens, err := s.ListTokens(ctx)
	must(t, err, "list tokens")
	equal(t, tokens, []*weft.Token{owned}, "tokens with their owner")
	byHash, err := s.TokenByHash(ctx, owned.Hash)
	must(t, err, "ada's token by hash")
	equal(t, byHash.OwnerID, "u1", "owner of the token by hash")
}
