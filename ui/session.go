package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
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

// session is one signed-in browser. It keeps the token's hash, never the token: each
// request rereads the token by hash, so a revoked token ends its sessions at once.
type session struct {
	id        string
	csrf      string
	tokenHash []byte
	token     *weft.Token // as read for the current request
	created   time.Time
	lastSeen  time.Time
	flash     string
}

// sessions live in memory: a restart of weft signs everyone out, which costs a paste
// of the token and keeps no session secret on disk.
type sessions struct {
	mu   sync.Mutex
	m    map[string]*session
	now  func() time.Time
	idle time.Duration
	max  time.Duration
}

func newSessions(now func() time.Time, idle, max time.Duration) *sessions {
	return &sessions{m: map[string]*session{}, now: now, idle: idle, max: max}
}

// randomToken is 32 random bytes, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (ss *sessions) create(t *weft.Token) *session {
	now := ss.now()
	s := &session{id: randomToken(), csrf: randomToken(), tokenHash: t.Hash, token: t, created: now, lastSeen: now}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	// Expired sessions are swept at sign-in: cheap, and bounds the map by the
	// sign-ins of one idle period.
	for id, o := range ss.m {
		if ss.expired(o, now) {
			delete(ss.m, id)
		}
	}
	ss.m[s.id] = s
	return s
}

func (ss *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) > ss.idle || now.Sub(s.created) > ss.max
}

// get returns a live session (a copy holding the shared fields' current values).
func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return nil
	}
	now := ss.now()
	if ss.expired(s, now) {
		delete(ss.m, id)
		return nil
	}
	s.lastSeen = now
	c := *s
	return &c
}

func (ss *sessions) delete(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

// setFlash stores a one-time message shown on the next page.
func (ss *sessions) setFlash(id, msg string) {
	ss.mu.Lock()
	if s, ok := ss.m[id]; ok {
		s.flash = msg
	}
	ss.mu.Unlock()
}

// takeFlash returns and clears the session's message.
func (ss *sessions) takeFlash(id string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return ""
	}
	f := s.flash
	s.flash = ""
	return f
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
		if err := h(w, r, s); err != nil {
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
	s := u.sessions.get(c.Value)
	if s == nil {
		return nil, nil
	}
	t, err := u.st.TokenByHash(r.Context(), s.tokenHash)
	if errors.Is(err, store.ErrNotFound) {
		u.sessions.delete(s.id)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if t.RevokedAt != nil {
		u.sessions.delete(s.id)
		return nil, nil
	}
	s.token = t
	return s, nil
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
}

// safeNext keeps a post-sign-in redirect on this site (no //host or scheme).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/scenarios"
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
	u.render(w, r, status, "login", &loginData{pageBase: pageBase{Title: "Sign in", CSRF: tok}, Next: safeNext(next), Error: msg})
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	field := r.FormValue(csrfField)
	if err != nil || field == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(field)) != 1 {
		u.renderLogin(w, r, http.StatusForbidden, r.FormValue("next"), "The sign-in form expired. Paste your token again.")
		return
	}
	plain := strings.TrimSpace(r.FormValue("token"))
	t, err := u.cfg.Auth.Verify(r.Context(), plain)
	switch {
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
	s := u.sessions.create(t)
	u.setCookie(w, r, sessionCookie, s.id, int(u.cfg.SessionMax/time.Second))
	u.setCookie(w, r, loginCookie, "", -1)
	http.Redirect(w, r, safeNext(r.FormValue("next")), http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request, s *session) error {
	u.sessions.delete(s.id)
	u.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// flash leaves a message for the next page and redirects there (303, so a reload
// does not repeat the POST).
func (u *UI) flashRedirect(w http.ResponseWriter, r *http.Request, s *session, to, msg string) error {
	if msg != "" {
		u.sessions.setFlash(s.id, msg)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// ctxWithoutCancel is where runs started from a page go on: a person closing the tab
// must not cut a run short (it would only be left for crash recovery).
func ctxWithoutCancel(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }
