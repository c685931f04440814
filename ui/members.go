package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store"
)

// Members (docs/ui.md, "Accounts"): the owner and admins invite people with a one-time
// link, change roles and remove accounts. The owner's account is neither changed nor
// removed here (there is one owner, the account created first).

type membersData struct {
	pageBase
	Users   []*store.User
	Invites []*store.Invite
	// Roles are those an invite or a change may give (not owner).
	Roles []string
	// Link is a new invite's link, shown once in the answer to the POST that made it.
	Link   string
	Error  string
	SelfID string
}

func (u *UI) members(w http.ResponseWriter, r *http.Request, s *session) error {
	return u.renderMembers(w, r, s, http.StatusOK, &membersData{})
}

func (u *UI) renderMembers(w http.ResponseWriter, r *http.Request, s *session, status int, d *membersData) error {
	users, err := u.st.ListUsers(r.Context())
	if err != nil {
		return err
	}
	invites, err := u.st.ListInvites(r.Context())
	if err != nil {
		return err
	}
	for _, x := range users {
		x.PasswordHash = ""
	}
	for _, in := range invites {
		in.Hash = nil
	}
	d.pageBase, d.Users, d.Invites, d.Roles = u.base(s, "Members", "members"), users, invites,
		[]string{auth.RoleAdmin, auth.RoleEditor, auth.RoleViewer}
	if s.user != nil {
		d.SelfID = s.user.ID
	}
	u.render(w, r, status, "members", d)
	return nil
}

// actor names who acts in a session: the account's email, or the token's name.
func actor(s *session) string {
	if s.user != nil {
		return s.user.Email
	}
	return "token " + s.token.Name
}

// invite makes a one-time link and shows it once (never in a redirect or a flash).
func (u *UI) invite(w http.ResponseWriter, r *http.Request, s *session) error {
	code, _, err := u.cfg.Auth.CreateInvite(r.Context(), u.st, actor(s), r.PostFormValue("email"), r.PostFormValue("role"))
	if err != nil {
		if isInputError(err) {
			return u.renderMembers(w, r, s, http.StatusBadRequest, &membersData{Error: err.Error()})
		}
		return err
	}
	return u.renderMembers(w, r, s, http.StatusOK, &membersData{Link: strings.TrimSuffix(u.baseURL(r), "/") + "/invite/" + code})
}

func (u *UI) revokeInvite(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := u.st.DeleteInvite(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return u.flashRedirect(w, r, s, "/members", "Revoked the invite.")
}

// member reads the account a members action names and refuses the owner's.
func (u *UI) member(r *http.Request) (*store.User, error) {
	m, err := u.st.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if m.Role == auth.RoleOwner {
		return nil, &userError{status: http.StatusForbidden, msg: "The owner's account cannot be changed or removed."}
	}
	return m, nil
}

func (u *UI) setRole(w http.ResponseWriter, r *http.Request, s *session) error {
	m, err := u.member(r)
	if err != nil {
		return err
	}
	role := r.PostFormValue("role")
	if err := auth.CheckInviteRole(role); err != nil {
		return badRequest("%s", err.Error())
	}
	if err := u.st.SetUserRole(r.Context(), m.ID, role); err != nil {
		return err
	}
	return u.flashRedirect(w, r, s, "/members", m.Email+" is now "+role+".")
}

func (u *UI) removeMember(w http.ResponseWriter, r *http.Request, s *session) error {
	m, err := u.member(r)
	if err != nil {
		return err
	}
	// Their tokens go with them, revoked first: a removed person keeps no way in even
	// if the removal fails half way.
	ts, err := u.cfg.Auth.List(r.Context())
	if err != nil {
		return err
	}
	revoked := 0
	for _, t := range ts {
		if t.OwnerID == m.ID && t.RevokedAt == nil {
			if err := u.cfg.Auth.Revoke(r.Context(), t.ID); err != nil {
				return err
			}
			revoked++
		}
	}
	if err := u.st.DeleteUser(r.Context(), m.ID); err != nil {
		return err
	}
	msg := fmt.Sprintf("Removed %s; their sessions ended and their %d API token(s) were revoked.", m.Email, revoked)

	if s.user != nil && s.user.ID == m.ID {
		msg = "" // the session just ended with the account
	}
	return u.flashRedirect(w, r, s, "/members", msg)
}

// The invitee's side: /invite/{code} shows the account form, no session needed.

type inviteData struct {
	pageBase
	Code, Role, Email, Name, Error string
	// Fixed: the invite is for Email only.
	Fixed       bool
	MinPassword int
}

func (u *UI) renderInvite(w http.ResponseWriter, r *http.Request, status int, in *store.Invite, msg string) {
	tok := randomToken()
	u.setCookie(w, r, loginCookie, tok, 3600)
	d := &inviteData{pageBase: pageBase{Title: "Join weft", CSRF: tok}, Code: r.PathValue("code"), Error: msg,
		Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), MinPassword: auth.MinPasswordLen}
	if in != nil {
		d.Role = in.Role
		if in.Email != "" {
			d.Email, d.Fixed = in.Email, true
		}
	}
	u.render(w, r, status, "invite", d)
}

func (u *UI) invitePage(w http.ResponseWriter, r *http.Request) {
	in, err := u.cfg.Auth.Invite(r.Context(), u.st, r.PathValue("code"))
	if err != nil {
		u.inviteRefused(w, r, err)
		return
	}
	u.renderInvite(w, r, http.StatusOK, in, "")
}

func (u *UI) inviteRefused(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, auth.ErrInviteInvalid):
		u.renderLogin(w, r, http.StatusNotFound, "", "This invite link is not valid: it was used already, revoked, or mistyped.")
	case errors.Is(err, auth.ErrInviteExpired):
		u.renderLogin(w, r, http.StatusGone, "", "This invite link has expired: ask for a new one.")
	default:
		u.log.Error("ui: invite", "err", err)
		u.renderLogin(w, r, http.StatusInternalServerError, "", "The invite could not be checked; the server log has the details.")
	}
}

// acceptInvite creates the invitee's account and signs them in.
func (u *UI) acceptInvite(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	field := r.FormValue(csrfField)
	in, ierr := u.cfg.Auth.Invite(r.Context(), u.st, r.PathValue("code"))
	if ierr != nil {
		u.inviteRefused(w, r, ierr)
		return
	}
	if err != nil || field == "" || !subtleEqual(c.Value, field) {
		u.renderInvite(w, r, http.StatusForbidden, in, "The form expired. Fill it in again.")
		return
	}
	usr, err := u.cfg.Auth.AcceptInvite(r.Context(), u.st, r.PathValue("code"), r.PostFormValue("email"),
		r.PostFormValue("name"), r.PostFormValue("password"))
	switch {
	case errors.Is(err, auth.ErrInviteInvalid), errors.Is(err, auth.ErrInviteExpired):
		u.inviteRefused(w, r, err)
		return
	case err != nil && isInputError(err):
		u.renderInvite(w, r, http.StatusBadRequest, in, err.Error())
		return
	case err != nil:
		u.log.Error("ui: accept invite", "err", err)
		u.renderInvite(w, r, http.StatusInternalServerError, in, "The account could not be stored; the server log has the details.")
		return
	}
	u.audit(r, usr.Email, "invite/{code}", "members/"+usr.ID+" as "+usr.Role)
	id, _, err := u.sessions.createUser(r.Context(), usr)
	if err != nil {
		u.log.Error("ui: sign in", "err", err)
		u.renderLogin(w, r, http.StatusInternalServerError, "", "The account was created, but the session could not be stored: sign in.")
		return
	}
	u.signedIn(w, r, id, "/scenarios")
}
