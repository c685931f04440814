package storetest

import (
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func testTokens(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	t1 := &weft.Token{ID: "tok1", Name: "deploy", Scopes: []string{"scenarios:read", "runs:write"},
		Hash: []byte{0x01, 0x02, 0xff}, CreatedAt: at(0)}
	t2 := &weft.Token{ID: "tok2", Name: "no scopes", Hash: []byte{0x03}, CreatedAt: at(1)}
	must(t, s.CreateToken(ctx, t1), "create tok1")
	must(t, s.CreateToken(ctx, t2), "create tok2")

	got, err := s.TokenByHash(ctx, []byte{0x01, 0x02, 0xff})
	must(t, err, "tok1 by hash")
	equal(t, got, t1, "tok1 by hash")
	got, err = s.TokenByHash(ctx, []byte{0x03})
	must(t, err, "tok2 by hash")
	equal(t, got, t2, "tok2 by hash (nil scopes stay nil)")
	_, err = s.TokenByHash(ctx, []byte{0x04})
	wantErr(t, err, store.ErrNotFound, "unknown hash")
	_, err = s.TokenByHash(ctx, nil)
	wantErr(t, err, store.ErrNotFound, "empty hash")

	err = s.CreateToken(ctx, &weft.Token{ID: "tok3", Hash: []byte{0x03}, CreatedAt: at(2)})
	wantErr(t, err, store.ErrExists, "a second token with tok2's hash")
	err = s.CreateToken(ctx, &weft.Token{ID: "tok1", Hash: []byte{0x09}, CreatedAt: at(2)})
	wantErr(t, err, store.ErrExists, "a second token with id tok1")

	list, err := s.ListTokens(ctx)
	must(t, err, "list")
	equal(t, list, []*weft.Token{t1, t2}, "tokens oldest first")

	// Touch moves the last use forward only.
	for _, c := range []struct {
		minute, want int
	}{{5, 5}, {3, 5}, {5, 5}, {7, 7}} {
		must(t, s.TouchToken(ctx, "tok1", at(c.minute)), "touch")
		got, err = s.TokenByHash(ctx, t1.Hash)
		must(t, err, "tok1 after touch")
		equal(t, got.LastUsedAt, ptr(at(c.want)), "last used after a touch at minute "+idf("%d", c.minute))
	}
	wantErr(t, s.TouchToken(ctx, "nope", at(1)), store.ErrNotFound, "touch an unknown token")

	// A revoked token is still found by its hash (the caller refuses it); revoking
	// again keeps the first time.
	must(t, s.RevokeToken(ctx, "tok1", at(10)), "revoke")
	must(t, s.RevokeToken(ctx, "tok1", at(20)), "revoke again")
	got, err = s.TokenByHash(ctx, t1.Hash)
	must(t, err, "revoked tok1 by hash")
	want := *t1
	want.LastUsedAt, want.RevokedAt = ptr(at(7)), ptr(at(10))
	equal(t, *got, want, "revoked tok1")
	wantErr(t, s.RevokeToken(ctx, "nope", at(1)), store.ErrNotFound, "revoke an unknown token")

	for name, tok := range map[string]*weft.Token{
		"nil":     nil,
		"no id":   {Hash: []byte{0x07}},
		"no hash": {ID: "tok9"},
	} {
		if err := s.CreateToken(ctx, tok); err == nil {
			t.Errorf("CreateToken(%s): want an error", name)
		}
	}
}

func testHooks(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b, c := newScenario(t, s, "A"), newScenario(t, s, "B"), newScenario(t, s, "C")
	ha := &weft.Hook{Token: "TOKENA", ScenarioID: a.ID, Secret: []byte("sealed"), SecretKeyID: "k1", CreatedAt: at(1)}
	hb := &weft.Hook{Token: "TOKENB", ScenarioID: b.ID, CreatedAt: at(2)}
	must(t, s.CreateHook(ctx, hb), "create B's hook")
	must(t, s.CreateHook(ctx, ha), "create A's hook")

	got, err := s.GetHook(ctx, "TOKENA")
	must(t, err, "get A's hook")
	equal(t, got, ha, "A's hook")
	got, err = s.HookOfScenario(ctx, b.ID)
	must(t, err, "hook of B")
	equal(t, got, hb, "B's hook (no secret: nil)")
	_, err = s.HookOfScenario(ctx, c.ID)
	wantErr(t, err, store.ErrNotFound, "hook of C (none)")
	_, err = s.GetHook(ctx, "TOKENX")
	wantErr(t, err, store.ErrNotFound, "unknown token")

	err = s.CreateHook(ctx, &weft.Hook{Token: "TOKENA", ScenarioID: c.ID, CreatedAt: at(3)})
	wantErr(t, err, store.ErrExists, "a taken token")
	err = s.CreateHook(ctx, &weft.Hook{Token: "TOKENA2", ScenarioID: a.ID, CreatedAt: at(3)})
	wantErr(t, err, store.ErrExists, "a second hook for A")
	err = s.CreateHook(ctx, &weft.Hook{Token: "TOKEN404", ScenarioID: 404, CreatedAt: at(3)})
	wantErr(t, err, store.ErrNotFound, "a hook for a missing scenario")

	list, err := s.ListHooks(ctx)
	must(t, err, "list")
	equal(t, list, []*weft.Hook{ha, hb}, "hooks in scenario order")

	// Update rotates the secret and may move the hook; token and creation time stay.
	ha.Secret, ha.SecretKeyID = []byte("resealed"), "k2"
	want := *ha
	ha.CreatedAt = at(99)
	must(t, s.UpdateHook(ctx, ha), "rotate A's secret")
	got, err = s.GetHook(ctx, "TOKENA")
	must(t, err, "A's hook after update")
	equal(t, *got, want, "A's hook after update")
	hb.ScenarioID = c.ID
	must(t, s.UpdateHook(ctx, hb), "move B's hook to C")
	got, err = s.HookOfScenario(ctx, c.ID)
	must(t, err, "hook of C after the move")
	equal(t, got.Token, "TOKENB", "C's hook")
	hb.ScenarioID = a.ID
	wantErr(t, s.UpdateHook(ctx, hb), store.ErrExists, "move B's hook onto A, which has one")
	wantErr(t, s.UpdateHook(ctx, &weft.Hook{Token: "TOKENX", ScenarioID: b.ID}), store.ErrNotFound, "update an unknown hook")

	must(t, s.DeleteHook(ctx, "TOKENB"), "delete the hook now on C")
	_, err = s.GetHook(ctx, "TOKENB")
	wantErr(t, err, store.ErrNotFound, "deleted hook")
	wantErr(t, s.DeleteHook(ctx, "TOKENB"), store.ErrNotFound, "delete twice")

	// Deleting a scenario deletes its hook; its token can then be used again.
	must(t, s.DeleteScenario(ctx, a.ID), "delete A")
	_, err = s.GetHook(ctx, "TOKENA")
	wantErr(t, err, store.ErrNotFound, "hook of the deleted scenario")
	must(t, s.CreateHook(ctx, &weft.Hook{Token: "TOKENA", ScenarioID: b.ID, CreatedAt: at(4)}), "reuse the freed token")

	for name, h := range map[string]*weft.Hook{"nil": nil, "no token": {ScenarioID: b.ID}} {
		if err := s.CreateHook(ctx, h); err == nil {
			t.Errorf("CreateHook(%s): want an error", name)
		}
		if err := s.UpdateHook(ctx, h); err == nil {
			t.Errorf("UpdateHook(%s): want an error", name)
		}
	}
}

func testConnections(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	c1 := &weft.Connection{Name: "Gmail (ops)", Type: "google-email", Data: []byte{0, 1, 2, 250},
		KeyID: "k1", CreatedAt: at(0), UpdatedAt: at(0)}
	c2 := &weft.Connection{Name: "Slack", Type: "slack", Data: []byte("sealed"), KeyID: "k1",
		CreatedAt: at(1), UpdatedAt: at(2)}
	must(t, s.CreateConnection(ctx, c1), "create c1")
	must(t, s.CreateConnection(ctx, c2), "create c2")
	if c1.ID == 0 || c2.ID == 0 || c1.ID == c2.ID {
		t.Fatalf("create sets distinct ids: got %d and %d", c1.ID, c2.ID)
	}
	got, err := s.GetConnection(ctx, c1.ID)
	must(t, err, "get c1")
	equal(t, got, c1, "c1")
	list, err := s.ListConnections(ctx)
	must(t, err, "list")
	equal(t, list, []*weft.Connection{c1, c2}, "connections in id order")

	// Key rotation rewrites data and key id; creation time stays.
	c1.Name, c1.Type, c1.Data, c1.KeyID, c1.UpdatedAt = "Gmail", "google-email2", []byte("new"), "k2", at(30)
	want := *c1
	c1.CreatedAt = at(99)
	must(t, s.UpdateConnection(ctx, c1), "update c1")
	got, err = s.GetConnection(ctx, c1.ID)
	must(t, err, "get c1 after update")
	equal(t, *got, want, "c1 after update")

	must(t, s.DeleteConnection(ctx, c2.ID), "delete c2")
	_, err = s.GetConnection(ctx, c2.ID)
	wantErr(t, err, store.ErrNotFound, "deleted c2")
	wantErr(t, s.DeleteConnection(ctx, c2.ID), store.ErrNotFound, "delete twice")
	wantErr(t, s.UpdateConnection(ctx, c2), store.ErrNotFound, "update the deleted c2")

	// A deleted connection's id is never given to a new one: a blueprint still naming
	// it must not pick up other credentials.
	c3 := &weft.Connection{Name: "HTTP", Type: "http", CreatedAt: at(3), UpdatedAt: at(3)}
	must(t, s.CreateConnection(ctx, c3), "create c3")
	if c3.ID == c2.ID {
		t.Fatalf("c3 reuses the deleted c2's id %d", c2.ID)
	}
	got, err = s.GetConnection(ctx, c3.ID)
	must(t, err, "get c3")
	equal(t, got, c3, "c3 (no data: nil)")

	if err := s.CreateConnection(ctx, nil); err == nil {
		t.Error("CreateConnection(nil): want an error")
	}
	if err := s.UpdateConnection(ctx, nil); err == nil {
		t.Error("UpdateConnection(nil): want an error")
	}
}
