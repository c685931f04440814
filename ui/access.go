package ui

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/value"
)

// Connections and tokens: created, listed, deleted or revoked. Their secrets are shown
// never (connections) or once, on the page that created them (tokens).

type connectionsData struct {
	pageBase
	Connections []*weft.Connection
	CanWrite    bool
	Error       string
	Name, Type  string
	Providers   []oauth.Provider
	Callback    string
}

func (u *UI) connectionList(w http.ResponseWriter, r *http.Request, s *session) error {
	return u.renderConnections(w, r, s, http.StatusOK, "", "", "")
}

func (u *UI) renderConnections(w http.ResponseWriter, r *http.Request, s *session, status int, msg, name, typ string) error {
	cs, err := u.svc.Connections(r.Context())
	if err != nil {
		return err
	}
	for _, c := range cs {
		c.Data = nil // never near a template
	}
	u.render(w, r, status, "connections", &connectionsData{pageBase: u.base(s, "Connections", "connections"), Connections: cs,
		CanWrite: hasScope(s, auth.ConnectionsWrite), Error: msg, Name: name, Type: typ, Providers: oauth.Providers(),
		Callback: u.callbackURL(r)})
	return nil
}

func (u *UI) createConnection(w http.ResponseWriter, r *http.Request, s *session) error {
	name, typ := strings.TrimSpace(r.FormValue("name")), strings.TrimSpace(r.FormValue("type"))
	if err := service.CheckConnection(name, typ); err != nil {
		return u.renderConnections(w, r, s, http.StatusBadRequest, err.Error(), name, typ)
	}
	data := map[string]any{}
	if t := strings.TrimSpace(r.FormValue("credentials")); t != "" {
		v, err := value.DecodeJSON([]byte(t))
		m, ok := v.(map[string]any)
		if err != nil || !ok {
			// The credentials are not echoed back: the person pastes them again.
			return u.renderConnections(w, r, s, http.StatusBadRequest,
				`Credentials must be a JSON object, e.g. {"apiKey": "…"}; paste them again.`, name, typ)
		}
		data = m
	}
	c, err := u.svc.CreateConnection(r.Context(), name, typ, data)
	if errors.Is(err, service.ErrNoSecrets) {
		return u.renderConnections(w, r, s, http.StatusConflict, "This weft has no secret key configured, so it cannot store credentials.", name, typ)
	}
	if err != nil {
		return err
	}
	return u.flashRedirect(w, r, s, "/connections", fmt.Sprintf("Created connection %d (%s). Its credentials are stored encrypted and are not shown again.", c.ID, c.Name))
}

func (u *UI) deleteConnection(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return badRequest("%q is not a connection id.", r.PathValue("id"))
	}
	err = u.svc.DeleteConnection(r.Context(), id, r.FormValue("force") == "true")
	var inUse *service.ConnectionInUseError
	if errors.As(err, &inUse) {
		return u.renderConnections(w, r, s, http.StatusConflict, inUse.Error(), "", "")
	}
	if err != nil {
		return err
	}
	return u.flashRedirect(w, r, s, "/connections", fmt.Sprintf("Deleted connection %d.", id))
}

type tokensData struct {
	pageBase
	Tokens []*weft.Token
	Scopes []string
	// Plain is the token just created, shown this once.
	Plain   string
	Created *weft.Token
	Error   string
	// Owners maps an account id to its email, for the tokens' owner column.
	Owners map[string]string
}

func (u *UI) tokenList(w http.ResponseWriter, r *http.Request, s *session) error {
	return u.renderTokens(w, r, s, http.StatusOK, &tokensData{})
}

func (u *UI) renderTokens(w http.ResponseWriter, r *http.Request, s *session, status int, d *tokensData) error {
	ts, err := u.cfg.Auth.List(r.Context())
	if err != nil {
		return err
	}
	for _, t := range ts {
		t.Hash = nil
	}
	users, err := u.st.ListUsers(r.Context())
	if err != nil {
		return err
	}
	d.Owners = map[string]string{}
	for _, x := range users {
		d.Owners[x.ID] = x.Email
	}
	d.pageBase, d.Tokens, d.Scopes = u.base(s, "API tokens", "tokens"), ts, auth.Scopes
	u.render(w, r, status, "tokens", d)
	return nil
}

// createToken issues a token and shows it once, in the answer to this POST (never in
// a redirect's URL or a flash that could be replayed).
func (u *UI) createToken(w http.ResponseWriter, r *http.Request, s *session) error {
	scopes := r.Form["scope"]
	slices.Sort(scopes)
	owner := ""
	if s.user != nil {
		owner = s.user.ID // the token is this person's, and goes with their account
	}
	plain, t, err := u.cfg.Auth.CreateFor(r.Context(), owner, r.FormValue("name"), scopes)
	if err != nil {
		return u.renderTokens(w, r, s, http.StatusBadRequest, &tokensData{Error: err.Error()})
	}
	return u.renderTokens(w, r, s, http.StatusOK, &tokensData{Plain: plain, Created: t})
}

func (u *UI) revokeToken(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	if err := u.cfg.Auth.Revoke(r.Context(), id); err != nil {
		return err
	}
	msg := "Revoked token " + id + "."
	if id == s.token.ID {
		msg += " It was the token of this session: sign in with another."
	}
	return u.flashRedirect(w, r, s, "/tokens", msg)
}
