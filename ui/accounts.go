package ui

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store"
)

// Accounts (docs/ui.md, "Accounts"): the owner is created on the first visit to a
// fresh weft, as n8n does; then people sign in with email and password (API tokens
// still work, for scripts and for the operator's command line).

// needsOwner reports whether no account exists yet. A failed count is logged and read
// as "no": the sign-in page is the safe one to show.
func (u *UI) needsOwner(r *http.Request) bool {
	n, err := u.st.CountUsers(r.Context())
	if err != nil {
		u.log.Error("ui: count accounts", "err", err)
		return false
	}
	return n == 0
}

// fresh reports whether this weft has neither an account nor an API token: only
// then may an anonymous first visitor create the owner. Once tokens exist (a weft
// upgraded from token-only sign-in, or an operator's `weft tokens create`) the owner's
// form needs a session with the admin scope, so an upgrade never opens the owner
// account to whoever visits first. A failed read is logged and read as "not fresh".
func (u *UI) fresh(r *http.Request) bool {
	if !u.needsOwner(r) {
		return false
	}
	ts, err := u.st.ListTokens(r.Context())
	if err != nil {
		u.log.Error("ui: list tokens", "err", err)
		return false
	}
	return len(ts) == 0
}

// mayCreateOwner reports whether r may create the owner: no account yet, and a fresh
// weft or an admin's session.
func (u *UI) mayCreateOwner(r *http.Request) (ok bool, why string) {
	if !u.needsOwner(r) {
		return false, "The owner account exists already: sign in."
	}
	if u.fresh(r) {
		return true, ""
	}
	if s, err := u.current(r); err == nil && s != nil && hasScope(s, auth.Admin) {
		return true, ""
	}
	return false, "API tokens exist on this weft: sign in with an admin token first, then create the owner account."
}

type setupData struct {
	pageBase
	Error       string
	Name, Email string
	MinPassword int
}

func (u *UI) renderSetup(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomToken()
	u.setCookie(w, r, loginCookie, tok, 3600)
	u.render(w, r, status, "setup", &setupData{pageBase: pageBase{Title: "Create the owner account", CSRF: tok}, Error: msg,
		Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), MinPassword: auth.MinPasswordLen})
}

// setupPage shows the owner's form while no account exists; afterwards it is the
// sign-in page.
func (u *UI) setupPage(w http.ResponseWriter, r *http.Request) {
	if !u.needsOwner(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if ok, why := u.mayCreateOwner(r); !ok {
		u.renderLogin(w, r, http.StatusForbidden, "/setup", why)
		return
	}
	u.renderSetup(w, r, http.StatusOK, "")
}

// setup creates the owner and signs them in. Whoever reaches a fresh weft first
// becomes its owner (docs/security.md, "Accounts"); a second attempt, even a
// concurrent one, is refused by the store (one owner).
func (u *UI) setup(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	field := r.FormValue(csrfField)
	if err != nil || field == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(field)) != 1 {
		u.renderSetup(w, r, http.StatusForbidden, "The form expired. Fill it in again.")
		return
	}
	if ok, why := u.mayCreateOwner(r); !ok {
		u.renderLogin(w, r, http.StatusForbidden, "/setup", why)
		return
	}
	usr, err := u.cfg.Auth.CreateOwner(r.Context(), u.st, r.PostFormValue("email"), r.PostFormValue("name"), r.PostFormValue("password"))
	switch {
	case errors.Is(err, store.ErrExists):
		u.renderLogin(w, r, http.StatusConflict, "", "The owner account exists already: sign in.")
		return
	case err != nil && isInputError(err):
		u.renderSetup(w, r, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		u.log.Error("ui: create owner", "err", err)
		u.renderSetup(w, r, http.StatusInternalServerError, "The account could not be stored; the server log has the details.")
		return
	}
	u.audit(r, usr.Email, "setup", "members/"+usr.ID)
	id, _, err := u.sessions.createUser(r.Context(), usr)
	if err != nil {
		u.log.Error("ui: sign in", "err", err)
		u.renderLogin(w, r, http.StatusInternalServerError, "", "The account was created, but the session could not be stored: sign in.")
		return
	}
	u.signedIn(w, r, id, "/scenarios")
}

// subtleEqual compares two form secrets in constant time.
func subtleEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// isInputError tells the account form's own complaints (they name a field) from a
// failing store.
func isInputError(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "email:") || strings.HasPrefix(m, "password:") || strings.HasPrefix(m, "role:")
}

// loginPassword signs in with email and password (login has checked the form's CSRF).
func (u *UI) loginPassword(w http.ResponseWriter, r *http.Request) {
	next := r.FormValue("next")
	usr, err := u.cfg.Auth.SignIn(r, u.st, r.PostFormValue("email"), r.PostFormValue("password"))
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(te.Seconds()))
		u.renderLogin(w, r, http.StatusTooManyRequests, next,
			fmt.Sprintf("Too many failed sign-ins from your address. Try again in %d seconds.", te.Seconds()))
		return
	case errors.Is(err, auth.ErrBadCredentials):
		u.renderLogin(w, r, http.StatusUnauthorized, next, "Wrong email or password.")
		return
	case err != nil:
		u.log.Error("ui: sign in", "err", err)
		u.renderLogin(w, r, http.StatusInternalServerError, next, "The sign-in could not be checked; the server log has the details.")
		return
	}
	id, _, err := u.sessions.createUser(r.Context(), usr)
	if err != nil {
		u.log.Error("ui: sign in", "err", err)
		u.renderLogin(w, r, http.StatusInternalServerError, next, "The session could not be stored; the server log has the details.")
		return
	}
	u.signedIn(w, r, id, next)
}
