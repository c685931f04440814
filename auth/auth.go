// Package auth issues and checks weft's API tokens. A token is "weft_" followed by the
// base32 of 32 random bytes; only its SHA-256 hash is stored, so a leaked database does
// not leak usable tokens. Each token carries scopes; "admin" grants every scope.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Prefix starts every token, so a token pasted in the wrong place is recognisable (and
// secret scanners can find it).
const Prefix = "weft_"

// Scopes, one read and one write scope per resource, and admin (everything).
const (
	ScenariosRead    = "scenarios:read"
	ScenariosWrite   = "scenarios:write"
	ExecutionsRead   = "executions:read"
	IncompleteRead   = "incomplete:read"
	IncompleteWrite  = "incomplete:write"
	ConnectionsRead  = "connections:read"
	ConnectionsWrite = "connections:write"
	DataStoresRead   = "datastores:read"
	DataStoresWrite  = "datastores:write"
	WebhooksRead     = "webhooks:read"
	WebhooksWrite    = "webhooks:write"
	Admin            = "admin"
)

// Scopes lists every scope a token may hold, in documentation order.
var Scopes = []string{ScenariosRead, ScenariosWrite, ExecutionsRead, IncompleteRead, IncompleteWrite,
	ConnectionsRead, ConnectionsWrite, DataStoresRead, DataStoresWrite, WebhooksRead, WebhooksWrite, Admin}

// Errors Verify returns (test with errors.Is).
var (
	// ErrInvalid: no such token (or not a weft token at all).
	ErrInvalid = errors.New("invalid token")
	// ErrRevoked: the token existed but was revoked.
	ErrRevoked = errors.New("token revoked")
)

// touchEvery is how often a token's last use is written at most: a busy client must
// not turn every API call into a database write.
const touchEvery = time.Minute

// Auth creates, verifies, lists and revokes tokens. It is safe for concurrent use.
type Auth struct {
	st     store.TokenQueries
	now    func() time.Time
	random io.Reader
	log    *slog.Logger

	mu      sync.Mutex
	touched map[string]time.Time // token id → last use written

	thr *throttle // failed attempts per client (throttle.go)

	// localHash is the hash of the local credential (WithLocalToken), nil without one.
	localHash []byte

	pw    PasswordParams // argon2id cost of new password hashes (accounts.go)
	dummy string         // guarded by mu: what unknown emails are checked against
}

// Option configures an Auth.
type Option func(*Auth)

// WithClock sets the time source (tests). Defaults to time.Now.
func WithClock(now func() time.Time) Option { return func(a *Auth) { a.now = now } }

// WithRandom sets the source of token bytes (tests). Defaults to crypto/rand.
func WithRandom(r io.Reader) Option { return func(a *Auth) { a.random = r } }

// WithLogger sets where failures to record a token's use are logged. Defaults to
// slog.Default().
func WithLogger(l *slog.Logger) Option { return func(a *Auth) { a.log = l } }

// LocalTokenID is the id of the token WithLocalToken accepts; no stored token has it
// (stored ids are 16 hex digits).
const LocalTokenID = "local"

// WithLocalToken accepts plain as a token with every scope, without storing it: the
// credential `weft serve` writes into its data folder (DATA/weft.addr, mode 0600) for
// the command line on the same machine, and the one an in-process CLI uses with its own
// API (docs/security.md, "The local credential"). Whoever can read the data folder can
// already read the database and the key file, so it grants nothing more. It is never
// listed nor recorded as used, and it ends with the process that made it.
func WithLocalToken(plain string) Option {
	return func(a *Auth) {
		if plain != "" {
			a.localHash = Hash(plain)
		}
	}
}

// NewLocalToken returns a fresh local credential for WithLocalToken, from r (nil:
// crypto/rand).
func NewLocalToken(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	secret := make([]byte, 32)
	if _, err := io.ReadFull(r, secret); err != nil {
		return "", fmt.Errorf("local token: random bytes: %w", err)
	}
	return Prefix + "local_" + encoding.EncodeToString(secret), nil
}

// New returns an Auth keeping tokens in st.
func New(st store.TokenQueries, opts ...Option) *Auth {
	a := &Auth{st: st, now: time.Now, random: rand.Reader, log: slog.Default(), touched: map[string]time.Time{},
		thr: newThrottle(DefaultFailureEvery, DefaultFailureBurst), pw: DefaultPasswordParams}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Hash is the stored form of a token.
func Hash(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// CheckScopes reports the first unknown scope, or an empty list.
func CheckScopes(scopes []string) error {
	if len(scopes) == 0 {
		return errors.New("scopes: a token needs at least one scope")
	}
	for _, s := range scopes {
		if !slices.Contains(Scopes, s) {
			return fmt.Errorf("scopes: unknown scope %q (known: %s)", s, strings.Join(Scopes, ", "))
		}
	}
	return nil
}

// Create issues a token. The plain token is returned once and never stored.
func (a *Auth) Create(ctx context.Context, name string, scopes []string) (string, *weft.Token, error) {
	return a.CreateFor(ctx, "", name, scopes)
}

// CreateFor issues a token belonging to the account ownerID ("": nobody's, as the
// command line's). A person's tokens are revoked when their account is removed.
func (a *Auth) CreateFor(ctx context.Context, ownerID, name string, scopes []string) (string, *weft.Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, errors.New("name: a token needs a name")
	}
	scopes = dedupe(scopes)
	if err := CheckScopes(scopes); err != nil {
		return "", nil, err
	}
	secret := make([]byte, 32)
	id := make([]byte, 8)
	if _, err := io.ReadFull(a.random, secret); err != nil {
		return "", nil, fmt.Errorf("create token: random bytes: %w", err)
	}
	if _, err := io.ReadFull(a.random, id); err != nil {
		return "", nil, fmt.Errorf("create token: random bytes: %w", err)
	}
	plain := Prefix + encoding.EncodeToString(secret)
	t := &weft.Token{ID: hex.EncodeToString(id), Name: name, Scopes: scopes, Hash: Hash(plain),
		CreatedAt: a.now().UTC(), OwnerID: ownerID}
	if err := a.st.CreateToken(ctx, t); err != nil {
		return "", nil, fmt.Errorf("create token %q: %w", name, err)
	}
	return plain, t, nil
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Verify returns the token plain stands for. Unknown tokens are ErrInvalid, revoked
// ones ErrRevoked. The lookup is by hash, so its timing says nothing about how much of
// a guess was right; the final comparison is constant-time all the same.
func (a *Auth) Verify(ctx context.Context, plain string) (*weft.Token, error) {
	if !strings.HasPrefix(plain, Prefix) {
		return nil, ErrInvalid
	}
	h := Hash(plain)
	if a.localHash != nil && subtle.ConstantTimeCompare(a.localHash, h) == 1 {
		return &weft.Token{ID: LocalTokenID, Name: "local command line", Scopes: []string{Admin}, Hash: h,
			CreatedAt: a.now().UTC()}, nil
	}
	t, err := a.st.TokenByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	if subtle.ConstantTimeCompare(t.Hash, h) != 1 {
		return nil, ErrInvalid
	}
	if t.RevokedAt != nil {
		return nil, ErrRevoked
	}
	a.touch(ctx, t)
	return t, nil
}

// touch records a use of t, at most once a minute per token (per process).
func (a *Auth) touch(ctx context.Context, t *weft.Token) {
	now := a.now().UTC()
	a.mu.Lock()
	last, ok := a.touched[t.ID]
	if !ok && t.LastUsedAt != nil {
		last, ok = *t.LastUsedAt, true
	}
	due := !ok || now.Sub(last) >= touchEvery || now.Before(last)
	if due {
		a.touched[t.ID] = now
	}
	a.mu.Unlock()
	if !due {
		return
	}
	// A failed write only loses a "last used" time: the request goes on.
	if err := a.st.TouchToken(context.WithoutCancel(ctx), t.ID, now); err != nil {
		a.log.Warn("record token use", "token", t.ID, "err", err)
		return
	}
	t.LastUsedAt = &now
}

// List returns every token, revoked ones included (never the hash).
func (a *Auth) List(ctx context.Context) ([]*weft.Token, error) {
	ts, err := a.st.ListTokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// Revoke revokes the token with that id; it stops working at once.
func (a *Auth) Revoke(ctx context.Context, id string) error {
	if err := a.st.RevokeToken(ctx, id, a.now().UTC()); err != nil {
		return err // the store's error names the token already
	}
	a.mu.Lock()
	delete(a.touched, id)
	a.mu.Unlock()
	return nil
}

// Allows reports whether t grants scope (admin grants every scope).
func Allows(t *weft.Token, scope string) bool {
	return slices.Contains(t.Scopes, Admin) || slices.Contains(t.Scopes, scope)
}
