package ui

import (
	"net/http"
	"sync"
	"time"

	"github.com/weftworks/weft"
)

// signInLinks are one-time sign-in links (`weft serve --demo` prints one so the first
// minute needs no second terminal to create a token). A link signs in as the token it
// was made for, once, within its lifetime; it lives only in this process's memory, so a
// restart forgets it.
type signInLinks struct {
	mu    sync.Mutex
	links map[string]signInLink // hashed code → link
}

type signInLink struct {
	token   *weft.Token
	expires time.Time
}

// SignInLinkTTL is how long a one-time sign-in link stays usable.
const SignInLinkTTL = 15 * time.Minute

// OneTimeSignIn returns the path of a link that signs its first visitor in as t (a
// stored token: sessions name their token), usable once within SignInLinkTTL.
func (u *UI) OneTimeSignIn(t *weft.Token) string {
	code := randomToken()
	now := u.cfg.Now()
	u.signIns.mu.Lock()
	defer u.signIns.mu.Unlock()
	if u.signIns.links == nil {
		u.signIns.links = map[string]signInLink{}
	}
	for k, l := range u.signIns.links { // expired ones go; there are only ever a few
		if now.After(l.expires) {
			delete(u.signIns.links, k)
		}
	}
	u.signIns.links[string(hashID(code))] = signInLink{token: t, expires: now.Add(SignInLinkTTL)}
	return "/login/once/" + code
}

// take removes and returns the link of code when it is still usable.
func (ls *signInLinks) take(code string, now time.Time) *weft.Token {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	key := string(hashID(code))
	l, ok := ls.links[key]
	if !ok {
		return nil
	}
	delete(ls.links, key)
	if now.After(l.expires) {
		return nil
	}
	return l.token
}

func (u *UI) signInOnce(w http.ResponseWriter, r *http.Request) {
	t := u.signIns.take(r.PathValue("code"), u.cfg.Now())
	if t == nil {
		u.renderLogin(w, r, http.StatusNotFound, "/", "That sign-in link was used already or has expired. Sign in with a token (weft tokens create).")
		return
	}
	id, _, err := u.sessions.create(r.Context(), t)
	if err != nil {
		u.log.Error("ui: sign in with a one-time link", "err", err)
		u.renderLogin(w, r, http.StatusInternalServerError, "/", "The session could not be stored; the server log has the details.")
		return
	}
	u.setCookie(w, r, sessionCookie, id, int(u.cfg.SessionMax/time.Second))
	http.Redirect(w, r, "/scenarios", http.StatusSeeOther)
}
