package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store"
)

const (
	sessionCookie = "weft_session"
	// loginCookie holds the sign-in form's CSRF token (double submit): there is no
	// session yet to keep it in.
	loginCookie = "weft_login"
	csrfField   = "_csrf"
	csrfHeader  = "X-CSRF-Token"
)

// session is one signed-in browser, as read for the current request. The cookie holds
// a random id; the store keeps only its SHA-256, the token id, the CSRF token and the
// times, so sessions survive a restart and the database alone signs nobody in. Each
// request reads the session joined with its token, so a revoked token ends its
// sessions at once.
type session struct {
	// key names the session in memory (its jobs, its flash message): the hex of the
	// id's hash, so the secret id itself is not kept beyond the request.
	key  string
	hash []byte
	csrf string
	// token is what pages check scopes on: the API token signed in with, or for an
	// account the token-shaped view of its role (auth.UserToken).
	token *weft.Token
	// user is the signed-in account (nil for a token's session).
	user *store.User
}

// touchEvery is the precision of a session's last use: a page writes it only when the
// stored one is older, so browsing costs no write per request (the idle timeout is
// then exact to within this).
const touchEvery = time.Minute

// sessions are stored in the store (store.SessionQueries); only the one-time flash
// messages live in memory.
type sessions struct {
	st    store.Store
	now   func() time.Time
	idle  time.Duration
	max   time.Duration
	log   *slog.Logger
	mu    sync.Mutex
	flash map[string]flash // by session key
}

// flash is a message for the next page of a session.
type flash struct {
	msg string
	at  time.Time
}

// flashKeep bounds how long an unread flash message is kept (a tab closed right
// after a POST never reads it).
const flashKeep = time.Hour

func newSessions(st store.Store, now func() time.Time, idle, max time.Duration, log *slog.Logger) *sessions {
	return &sessions{st: st, now: now, idle: idle, max: max, log: log, flash: map[string]flash{}}
}

// randomToken is 32 random bytes, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// expiry is when a session ends unless used again: the idle timeout after its last
// use, at most the absolute limit after sign-in.
func (ss *sessions) expiry(created, lastSeen time.Time) time.Time {
	return minTime(lastSeen.Add(ss.idle), created.Add(ss.max))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// create stores a new session of token t and returns the cookie's id with it.
func (ss *sessions) create(ctx context.Context, t *weft.Token) (id string, s *session, err error) {
	now := ss.now()
	id = randomToken()
	row := &store.Session{Hash: hashID(id), TokenID: t.ID, CSRF: randomToken(), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: ss.expiry(now, now)}
	// Expired sessions are swept at each sign-in (and ended when read): the table holds
	// at most the sign-ins of the last SessionMax.
	err = ss.st.InTx(ctx, func(q store.Queries) error {
		if _, err := q.DeleteExpiredSessions(ctx, now); err != nil {
			return err
		}
		return q.CreateSession(ctx, row)
	})
	if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return id, ss.fromRow(row, t), nil
}

// createUser stores a new session of account usr and returns the cookie's id with it.
func (ss *sessions) createUser(ctx context.Context, usr *store.User) (id string, s *session, err error) {
	now := ss.now()
	id = randomToken()
	row := &store.Session{Hash: hashID(id), UserID: usr.ID, CSRF: randomToken(), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: ss.expiry(now, now)}
	err = ss.st.InTx(ctx, func(q store.Queries) error {
		if _, err := q.DeleteExpiredSessions(ctx, now); err != nil {
			return err
		}
		return q.CreateSession(ctx, row)
	})
	if err != nil {
		return "", nil, fmt.Errorf("create session of %s: %w", usr.Email, err)
	}
	row.User = usr
	return id, ss.fromRow(row, nil), nil
}

// fromRow makes the request's session of a stored one: t is its token, or nil for an
// account's session, whose role gives the scopes (reread on every request, so a role
// changed applies at once).
func (ss *sessions) fromRow(row *store.Session, t *weft.Token) *session {
	s := &session{key: hex.EncodeToString(row.Hash), hash: row.Hash, csrf: row.CSRF, token: t, user: row.User}
	if row.User != nil {
		s.token = auth.UserToken(row.User)
	}
	return s
}

// get returns the live session with cookie id id, its token reread (nil: none, ended,
// or its token revoked). An ended session is deleted as it is found.
func (ss *sessions) get(ctx context.Context, id string) (*session, error) {
	hash := hashID(id)
	row, err := ss.st.GetSession(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	now := ss.now()
	// The stored expiry and the current settings both bound it: settings shortened
	// since sign-in apply at once.
	ended := now.After(row.ExpiresAt) || now.Sub(row.LastSeenAt) > ss.idle || now.Sub(row.CreatedAt) > ss.max
	if ended || (row.User == nil && (row.Token == nil || row.Token.RevokedAt != nil)) {
		ss.end(ctx, hash)
		return nil, nil
	}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		// A failed touch costs at most an earlier end; the page is still served.
		if err := ss.st.TouchSession(context.WithoutCancel(ctx), hash, now, ss.expiry(row.CreatedAt, now)); err != nil &&
			!errors.Is(err, store.ErrNotFound) {
			ss.log.Error("ui: touch session", "err", err)
		}
		row.LastSeenAt = now
	}
	return ss.fromRow(row, row.Token), nil
}

// end deletes a session (already gone is fine) and its flash message.
func (ss *sessions) end(ctx context.Context, hash []byte) {
	if err := ss.st.DeleteSession(context.WithoutCancel(ctx), hash); err != nil && !errors.Is(err, store.ErrNotFound) {
		// It is refused on every read all the same; the next sign-in sweeps it.
		ss.log.Error("ui: end session", "err", err)
	}
	ss.mu.Lock()
	delete(ss.flash, hex.EncodeToString(hash))
	ss.mu.Unlock()
}

// setFlash stores a one-time message shown on the next page of session key.
func (ss *sessions) setFlash(key, msg string) {
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, f := range ss.flash {
		if now.Sub(f.at) > flashKeep {
			delete(ss.flash, k)
		}
	}
	ss.flash[key] = flash{msg: msg, at: now}
}

// takeFlash returns and clears the session's message.
func (ss *sessions) takeFlash(key string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	f := ss.flash[key]
	delete(ss.flash, key)
	return f.msg
}

func (u *UI) secure(r *http.Request) bool { return r.TLS != nil || u.cfg.SecureCookies }

func (u *UI) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: u.secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

// page wraps a handler: it needs a live session whose token grants scope, and a POST
// needs the session's CSRF token. Without a session a page redirects to the sign-in
// (htmx requests and event streams get 401).
func (u *UI) page(scope string, h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := u.current(r)
		if err != nil {
			u.log.Error("ui: check session", "err", err)
			u.errorPage(w, r, nil, http.StatusInternalServerError, "The session could not be checked; the server log has the details.")
			return
		}
		if s == nil {
			if r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" && r.Header.Get("Accept") != "text/event-stream" {
				if u.fresh(r) { // the first visit to a fresh weft creates the owner
					http.Redirect(w, r, "/setup", http.StatusSeeOther)
					return
				}
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			w.Header().Set("HX-Redirect", "/login")
			u.errorPage(w, r, nil, http.StatusUnauthorized, "You are not signed in (or your session ended). Sign in again.")
			return
		}
		if r.Method == http.MethodPost && !u.checkCSRF(r, s) {
			u.errorPage(w, r, s, http.StatusForbidden, "The form was not sent from this weft page (CSRF check failed). Reload the page and try again.")
			return
		}
		if scope != "" && !auth.Allows(s.token, scope) {
			u.errorPage(w, r, s, http.StatusForbidden, "Your token "+s.token.Name+" lacks the scope "+scope+" this page needs.")
			return
		}
		if err := u.audited(w, r, s, h); err != nil {
			u.fail(w, r, s, err)
		}
	})
}

// current returns the request's live session, its token reread (nil: not signed in).
func (u *UI) current(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	return u.sessions.get(r.Context(), c.Value)
}

// checkCSRF compares the form field or header with the session's token in constant
// time; a cross-origin Origin header is refused as well (defence in depth).
func (u *UI) checkCSRF(r *http.Request, s *session) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if ou, err := url.Parse(o); err != nil || ou.Host != r.Host {
			return false
		}
	}
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.FormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

type loginData struct {
	pageBase
	Next  string
	Error string
	// Email is kept after a failed password sign-in.
	Email string
	// NoAccount: no account exists yet, the page links to the owner's form.
	NoAccount bool
}

// safeNext keeps a post-sign-in redirect on this site: only a clean local path (with
// an optional query) is followed, anything else goes to the scenarios. Browsers are
// lenient where a check by prefix is not: they drop tabs and new lines anywhere in a
// URL ("/\t/evil.example" becomes "//evil.example") and read a backslash as "/"; so only
// printable ASCII without a backslash is accepted (the address a page sends here is
// escaped, so a real path never needs more), and the parsed URL must have no scheme,
// no host and a path that starts with exactly one slash.
func safeNext(next string) string {
	const fallback = "/scenarios"
	if len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return fallback
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	return next
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	if s, _ := u.current(r); s != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	u.renderLogin(w, r, http.StatusOK, r.URL.Query().Get("next"), "")
}

func (u *UI) renderLogin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	tok := randomToken()
	u.setCookie(w, r, loginCookie, tok, 3600)
	u.render(w, r, status, "login", &loginData{pageBase: pageBase{Title: "Sign in", CSRF: tok}, Next: safeNext(next), Error: msg,
		Email: r.PostFormValue("email"), NoAccount: u.needsOwner(r)})
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	field := r.FormValue(csrfField)
	if err != nil || field == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(field)) != 1 {
		u.renderLogin(w, r, http.StatusForbidden, r.FormValue("next"), "The sign-in form expired. Sign in again.")
		return
	}
	if r.PostFormValue("token") == "" {
		u.loginPassword(w, r)
		return
	}
	plain := strings.TrimSpace(r.FormValue("token"))
	t, err := u.cfg.Auth.VerifyRequest(r, plain) // failures are throttled per client
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(te.Seconds()))
		u.renderLogin(w, r, http.StatusTooManyRequests, r.FormValue("next"),
			fmt.Sprintf("Too many failed sign-ins from your address. Try again in %d seconds.", te.Seconds()))
		return
	case errors.Is(err, auth.ErrInvalid):
		u.renderLogin(w, r, http.StatusUnauthorized, r.FormValue("next"), "That is not a valid weft API token (weft_…). Create one with `weft tokens create`.")
		return
	case errors.Is(err, auth.ErrRevoked):
		u.renderLogin(w, r, http.StatusUnauthorized, r.FormValue("next"), "That token was revoked.")
		return
	case err != nil:
		u.log.Error("ui: verify token", "err", err)
		u.renderLogin(w, r, http.StatusInternalServerError, r.FormValue("next"), "The token could not be checked; the server log has the details.")
		return
	}
	id, _, err := u.sessions.create(r.Context(), t)
	if err != nil {
		u.log.Error("ui: sign in", "err", err)
		u.renderLogin(w, r, http.StatusInternalServerError, r.FormValue("next"), "The session could not be stored; the server log has the details.")
		return
	}
	u.signedIn(w, r, id, r.FormValue("next"))
}

// signedIn hands the browser its session cookie and goes on to next.
func (u *UI) signedIn(w http.ResponseWriter, r *http.Request, id, next string) {
	u.setCookie(w, r, sessionCookie, id, int(u.cfg.SessionMax/time.Second))
	u.setCookie(w, r, loginCookie, "", -1)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request, s *session) error {
	u.sessions.end(r.Context(), s.hash)
	u.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// flash leaves a message for the next page and redirects there (303, so a reload
// does not repeat the POST).
func (u *UI) flashRedirect(w http.ResponseWriter, r *http.Request, s *session, to, msg string) error {
	if msg != "" {
		u.sessions.setFlash(s.key, msg)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// ctxWithoutCancel is where runs started from a page go on: a person closing the tab
// must not cut a run short (it would only be left for crash recovery).
func ctxWithoutCancel(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }
