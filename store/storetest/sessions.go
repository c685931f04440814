package storetest

import (
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func testSessions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	tok := &weft.Token{ID: "tok1", Name: "ada", Scopes: []string{"admin"}, Hash: []byte{0x01}, CreatedAt: at(0)}
	other := &weft.Token{ID: "tok2", Name: "bob", Hash: []byte{0x02}, CreatedAt: at(0)}
	must(t, s.CreateToken(ctx, tok), "create tok1")
	must(t, s.CreateToken(ctx, other), "create tok2")

	a := &store.Session{Hash: []byte{0xa1, 0x00, 0xff}, TokenID: "tok1", CSRF: "csrf-a",
		CreatedAt: at(1), LastSeenAt: at(1), ExpiresAt: at(60)}
	b := &store.Session{Hash: []byte{0xb2}, TokenID: "tok2", CSRF: "csrf-b",
		CreatedAt: at(2), LastSeenAt: at(2), ExpiresAt: at(30)}
	must(t, s.CreateSession(ctx, a), "create a")
	must(t, s.CreateSession(ctx, b), "create b")

	got, err := s.GetSession(ctx, a.Hash)
	must(t, err, "get a")
	want := *a
	want.Token = tok
	equal(t, *got, want, "session a with its token")
	got, err = s.GetSession(ctx, b.Hash)
	must(t, err, "get b")
	equal(t, got.Token, other, "session b's token (nil scopes stay nil)")

	wantErr(t, s.CreateSession(ctx, &store.Session{Hash: a.Hash, TokenID: "tok2", CSRF: "x", CreatedAt: at(3),
		LastSeenAt: at(3), ExpiresAt: at(4)}), store.ErrExists, "a second session with a's hash")
	wantErr(t, s.CreateSession(ctx, &store.Session{Hash: []byte{0xc3}, TokenID: "nope", CSRF: "x", CreatedAt: at(3),
		LastSeenAt: at(3), ExpiresAt: at(4)}), store.ErrNotFound, "a session of an unknown token")
	for name, bad := range map[string]*store.Session{
		"nil":      nil,
		"no hash":  {TokenID: "tok1", CSRF: "x"},
		"no token": {Hash: []byte{0xd4}, CSRF: "x"},
		"no csrf":  {Hash: []byte{0xd5}, TokenID: "tok1"},
	} {
		if err := s.CreateSession(ctx, bad); err == nil {
			t.Errorf("CreateSession(%s): want an error", name)
		}
	}
	_, err = s.GetSession(ctx, []byte{0x99})
	wantErr(t, err, store.ErrNotFound, "unknown hash")
	_, err = s.GetSession(ctx, nil)
	wantErr(t, err, store.ErrNotFound, "empty hash")

	// Touch moves last seen and expiry forward only.
	for _, c := range []struct{ seen, expires, wantSeen, wantExpires int }{
		{10, 70, 10, 70},
		{5, 65, 10, 70}, // an older request finishing late
		{20, 80, 20, 80},
	} {
		must(t, s.TouchSession(ctx, a.Hash, at(c.seen), at(c.expires)), "touch a")
		got, err = s.GetSession(ctx, a.Hash)
		must(t, err, "a after touch")
		equal(t, []any{got.LastSeenAt, got.ExpiresAt, got.CreatedAt}, []any{at(c.wantSeen), at(c.wantExpires), at(1)},
			idf("a after a touch at minute %d: last seen, expiry, created", c.seen))
	}
	wantErr(t, s.TouchSession(ctx, []byte{0x99}, at(1), at(2)), store.ErrNotFound, "touch an unknown session")

	// A revoked token's session is still returned, with the revocation: the caller ends it.
	must(t, s.RevokeToken(ctx, "tok2", at(25)), "revoke tok2")
	got, err = s.GetSession(ctx, b.Hash)
	must(t, err, "b after its token was revoked")
	equal(t, got.Token.RevokedAt, ptr(at(25)), "b's token revoked")

	// Expired: before now, not at it.
	n, err := s.DeleteExpiredSessions(ctx, at(30))
	must(t, err, "delete expired at 30")
	equal(t, n, 0, "deleted at minute 30 (b expires at 30)")
	n, err = s.DeleteExpiredSessions(ctx, at(31))
	must(t, err, "delete expired at 31")
	equal(t, n, 1, "deleted at minute 31")
	_, err = s.GetSession(ctx, b.Hash)
	wantErr(t, err, store.ErrNotFound, "b after it expired")
	_, err = s.GetSession(ctx, a.Hash)
	must(t, err, "a is still there")

	must(t, s.DeleteSession(ctx, a.Hash), "delete a")
	_, err = s.GetSession(ctx, a.Hash)
	wantErr(t, err, store.ErrNotFound, "a after delete")
	wantErr(t, s.DeleteSession(ctx, a.Hash), store.ErrNotFound, "delete a again")
}
