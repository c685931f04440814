package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Roles of an account (docs/security.md, "Accounts"). Each maps onto token scopes, so
// every page and endpoint keeps checking a scope and an account's role gives it its own.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleEditor = "editor"
	RoleViewer = "viewer"
)

// Roles lists the roles, most powerful first.
var Roles = []string{RoleOwner, RoleAdmin, RoleEditor, RoleViewer}

// readScopes are every read scope: what a viewer holds.
var readScopes = []string{ScenariosRead, ExecutionsRead, IncompleteRead, ConnectionsRead, DataStoresRead, WebhooksRead}

// RoleScopes returns the scopes a role grants (nil for an unknown role, which then
// grants nothing). Owner and admin hold admin (everything, members and tokens
// included); an editor every read and write scope; a viewer every read scope.
func RoleScopes(role string) []string {
	switch role {
	case RoleOwner, RoleAdmin:
		return []string{Admin}
	case RoleEditor:
		return []string{ScenariosRead, ScenariosWrite, ExecutionsRead, IncompleteRead, IncompleteWrite,
			ConnectionsRead, ConnectionsWrite, DataStoresRead, DataStoresWrite, WebhooksRead, WebhooksWrite}
	case RoleViewer:
		return slices.Clone(readScopes)
	}
	return nil
}

// UserToken is the token-shaped view of an account the pages check scopes on: its id
// is "user:" and the account's id, its name the account's email.
func UserToken(u *store.User) *weft.Token {
	return &weft.Token{ID: "user:" + u.ID, Name: u.Email, Scopes: RoleScopes(u.Role), CreatedAt: u.CreatedAt}
}

// PasswordParams are argon2id's cost parameters. Defaults follow OWASP's password
// storage cheat sheet for argon2id (19 MiB of memory, 2 passes, 1 lane): about 30 ms
// on one core, cheap enough for a small server and costly for a guesser with a leaked
// database. They are written into each stored hash, so raising them later keeps old
// passwords working.
type PasswordParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultPasswordParams are the parameters new hashes use unless WithPasswordParams.
var DefaultPasswordParams = PasswordParams{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// WithPasswordParams sets the argon2id cost of new password hashes (tests use a
// small one: the cost is the point in production and only slows a test).
func WithPasswordParams(p PasswordParams) Option { return func(a *Auth) { a.pw = p } }

// MinPasswordLen is the shortest password accepted (in bytes).
const MinPasswordLen = 8

// ErrBadCredentials: no account with that email, or the wrong password (one error
// for both, so sign-in does not tell which emails have accounts).
var ErrBadCredentials = errors.New("wrong email or password")

const saltLen, keyLen = 16, 32

var b64 = base64.RawStdEncoding

// HashPassword returns the PHC string of password's argon2id hash with a fresh salt:
// $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func (a *Auth) HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLen {
		return "", fmt.Errorf("password: at least %d characters", MinPasswordLen)
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(a.random, salt); err != nil {
		return "", fmt.Errorf("hash password: random salt: %w", err)
	}
	p := a.pw
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC string stored, comparing in
// constant time. A malformed stored hash is an error naming what is wrong.
func CheckPassword(stored, password string) (bool, error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errors.New("stored password hash: not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, fmt.Errorf("stored password hash: version %q, want v=%d", parts[2], argon2.Version)
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.MemoryKiB == 0 || p.Time == 0 || p.Threads == 0 {
		return false, fmt.Errorf("stored password hash: parameters %q", parts[3])
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("stored password hash: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errors.New("stored password hash: key is not base64")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NewUser checks and hashes a new account's fields (it stores nothing): email a
// valid address, role known, password long enough.
func (a *Auth) NewUser(email, name, role, password string) (*store.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return nil, fmt.Errorf("email: %q is not an email address", email)
	}
	if !slices.Contains(Roles, role) {
		return nil, fmt.Errorf("role: unknown role %q (known: %s)", role, strings.Join(Roles, ", "))
	}
	hash, err := a.HashPassword(password)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 8)
	if _, err := io.ReadFull(a.random, id); err != nil {
		return nil, fmt.Errorf("new user: random id: %w", err)
	}
	return &store.User{ID: hex.EncodeToString(id), Email: email, Name: strings.TrimSpace(name), Role: role,
		PasswordHash: hash, CreatedAt: a.now().UTC()}, nil
}

// SignIn returns the account of email if password is its password, on behalf of r's
// client. Failures are throttled with the tokens' (one bucket per client, so guessing
// passwords and guessing tokens share a budget); an unknown email costs a hash as a
// wrong password does, so timing does not tell which emails have accounts.
func (a *Auth) SignIn(r *http.Request, st store.UserQueries, email, password string) (*store.User, error) {
	ctx, client, now := r.Context(), ClientKey(r.RemoteAddr), a.now()
	if !a.thr.off {
		if wait := a.thr.wait(client, now); wait > 0 {
			e := &ThrottledError{RetryAfter: wait}
			a.logFailure(now, "sign-in throttled", client, r.URL.Path, e.Error())
			return nil, e
		}
	}
	u, err := st.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	stored := a.dummyHash()
	if u != nil {
		stored = u.PasswordHash
	}
	ok, err := CheckPassword(stored, password)
	if err != nil {
		return nil, fmt.Errorf("sign in %s: %w", email, err)
	}
	if u == nil || !ok {
		if !a.thr.off {
			a.thr.fail(client, now)
		}
		a.logFailure(now, "sign-in failed", client, r.URL.Path, ErrBadCredentials.Error())
		return nil, ErrBadCredentials
	}
	return u, nil
}

// dummyHash is a hash of a random password with the current parameters, made once:
// what an unknown email is checked against.
func (a *Auth) dummyHash() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dummy == "" {
		pw := make([]byte, 16)
		_, _ = rand.Read(pw)
		a.dummy, _ = a.HashPassword(hex.EncodeToString(pw))
	}
	return a.dummy
}

// CreateOwner stores the first account, the owner, if no account exists yet
// (store.ErrExists otherwise: the owner was created already, perhaps by someone else
// a moment ago).
func (a *Auth) CreateOwner(ctx context.Context, st store.Store, email, name, password string) (*store.User, error) {
	u, err := a.NewUser(email, name, RoleOwner, password)
	if err != nil {
		return nil, err
	}
	err = st.InTx(ctx, func(q store.Queries) error {
		n, err := q.CountUsers(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the owner account exists already: %w", store.ErrExists)
		}
		return q.CreateUser(ctx, u)
	})
	if err != nil {
		return nil, fmt.Errorf("create owner %s: %w", u.Email, err)
	}
	return u, nil
}
