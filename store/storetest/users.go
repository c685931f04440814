package storetest

import (
	"testing"

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
}
