package ui

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// OAuth connections: a connection's page with Connect/Reconnect, the callback the
// provider sends the person back to, and a retry of the incomplete executions that
// waited for the connection.
//
// The session cookie is SameSite=Strict, so the browser does not send it on the
// provider's redirect back to /oauth/callback (a cross-site navigation). The flow is
// bound to the browser instead by a cookie of its own, SameSite=Lax (sent on that
// top-level GET), holding a random secret whose hash the stored flow keeps; the
// callback page then moves on to the connection's page by a meta refresh, a
// same-site navigation that carries the session again.

// bindingCookie holds the secret binding OAuth flows to the browser that started them.
const bindingCookie = "weft_oauth"

type connectionData struct {
	pageBase
	Connection *weft.Connection
	OAuth      *service.OAuthStatus
	Blocked    []string
	CanWrite   bool
	CanRetry   bool
	Connected  bool
	Callback   string
	Error      string
}

// callbackURL is weft's OAuth redirect URI: BaseURL/oauth/callback (the address to
// register with the provider).
func (u *UI) callbackURL(r *http.Request) string {
	base := u.cfg.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/oauth/callback"
}

func connectionID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest("%q is not a connection id.", r.PathValue("id"))
	}
	return id, nil
}

func (u *UI) connectionDetail(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := connectionID(r)
	if err != nil {
		return err
	}
	return u.renderConnection(w, r, s, id, http.StatusOK, "")
}

func (u *UI) renderConnection(w http.ResponseWriter, r *http.Request, s *session, id int64, status int, msg string) error {
	c, err := u.st.GetConnection(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		u.errorPage(w, r, s, http.StatusNotFound, fmt.Sprintf("There is no connection %d.", id))
		return nil
	}
	if err != nil {
		return err
	}
	c.Data = nil // never near a template
	d := &connectionData{pageBase: u.base(s, c.Name, "connections"), Connection: c, Error: msg,
		CanWrite: hasScope(s, auth.ConnectionsWrite), CanRetry: hasScope(s, auth.IncompleteWrite),
		Connected: r.URL.Query().Get("connected") == "1", Callback: u.callbackURL(r)}
	if d.OAuth, err = u.svc.OAuthStatus(r.Context(), id); err != nil {
		d.Error = strings.TrimSpace(d.Error + " " + weft.AsError(err).Message)
	}
	d.Connected = d.Connected && d.OAuth != nil && d.OAuth.Connected
	if d.Blocked, err = u.svc.BlockedBy(r.Context(), id); err != nil {
		return err
	}
	u.render(w, r, status, "connection", d)
	return nil
}

// connect starts an authorization and sends the browser to the provider. It is a GET
// (a link, not a form): the page's form-action policy allows only weft itself, and a
// cross-site link cannot start it for a person (the session cookie is Strict).
func (u *UI) connect(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := connectionID(r)
	if err != nil {
		return err
	}
	binding := ""
	if c, err := r.Cookie(bindingCookie); err == nil && len(c.Value) >= 43 {
		binding = c.Value // flows started in parallel in one browser share it
	} else {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		binding = base64.RawURLEncoding.EncodeToString(b)
	}
	a, err := u.svc.Authorize(r.Context(), id, u.callbackURL(r), []byte(binding))
	if err != nil {
		var we *weft.Error
		if errors.As(err, &we) || errors.Is(err, service.ErrNoSecrets) {
			return u.renderConnection(w, r, s, id, http.StatusConflict, "Cannot connect: "+err.Error())
		}
		if errors.Is(err, store.ErrNotFound) {
			u.errorPage(w, r, s, http.StatusNotFound, fmt.Sprintf("There is no connection %d.", id))
			return nil
		}
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: bindingCookie, Value: binding, Path: "/", HttpOnly: true, Secure: u.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(service.AuthorizationTTL.Seconds())})
	http.Redirect(w, r, a.URL, http.StatusSeeOther)
	return nil
}

type callbackData struct {
	pageBase
	Name    string
	Blocked int
	Next    string
	Error   string
}

// oauthCallback finishes an authorization: no session is needed (the provider's
// redirect does not carry it); the state, and for flows started here the binding
// cookie, are what the service checks.
func (u *UI) oauthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cb := service.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description")}
	bound := false
	if c, err := r.Cookie(bindingCookie); err == nil {
		cb.Binding, bound = []byte(c.Value), true
	}
	d := &callbackData{pageBase: u.base(nil, "Connection", "connections")}
	res, err := u.svc.CompleteAuthorization(r.Context(), cb)
	status := http.StatusOK
	var ae *service.AuthorizationError
	switch {
	case errors.As(err, &ae):
		d.Error, status = ae.Message, http.StatusBadRequest
	case err != nil:
		u.log.Error("ui: OAuth callback", "err", err)
		d.Error, status = "The connection could not be saved; the server log has the details.", http.StatusInternalServerError
	default:
		d.Title, d.Name, d.Blocked = "Connected", res.Connection.Name, len(res.Blocked)
		if bound {
			d.Next = fmt.Sprintf("/connections/%d?connected=1", res.Connection.ID)
		}
	}
	u.render(w, r, status, "oauth-callback", d)
}

func (u *UI) retryBlocked(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := connectionID(r)
	if err != nil {
		return err
	}
	if !hasScope(s, auth.IncompleteWrite) {
		u.errorPage(w, r, s, http.StatusForbidden, "Your token "+s.token.Name+" lacks the scope "+auth.IncompleteWrite+" retries need.")
		return nil
	}
	n, err := u.svc.RetryBlocked(r.Context(), id)
	if err != nil {
		return err
	}
	return u.flashRedirect(w, r, s, fmt.Sprintf("/connections/%d", id), fmt.Sprintf("Queued %d retries of the incomplete executions that waited for this connection.", n))
}

// createOAuthConnection creates a connection of a provider (or custom endpoints) and
// shows its page, where the person connects it.
func (u *UI) createOAuthConnection(w http.ResponseWriter, r *http.Request, s *session) error {
	name, provider := strings.TrimSpace(r.FormValue("name")), strings.TrimSpace(r.FormValue("provider"))
	data := map[string]any{}
	if provider == "custom" {
		for _, k := range []string{"authorizeUrl", "tokenUrl", "clientId", "clientSecret"} {
			if v := strings.TrimSpace(r.FormValue(k)); v != "" {
				data[k] = v
			}
		}
	} else if _, ok := oauth.Lookup(provider); ok {
		data["provider"] = provider
	} else {
		return u.renderConnections(w, r, s, http.StatusBadRequest, fmt.Sprintf("%q is not a provider weft knows (%s) or custom.", provider, oauth.ProviderNames()), name, "")
	}
	if sc := strings.TrimSpace(r.FormValue("scope")); sc != "" {
		data["scope"] = sc
	}
	typ := "oauth2"
	if provider != "custom" {
		typ = provider
	}
	if err := service.CheckConnection(name, typ); err != nil {
		return u.renderConnections(w, r, s, http.StatusBadRequest, err.Error(), name, "")
	}
	c, err := u.svc.CreateConnection(r.Context(), name, typ, data)
	if errors.Is(err, service.ErrNoSecrets) {
		return u.renderConnections(w, r, s, http.StatusConflict, "This weft has no secret key configured, so it cannot store credentials.", name, "")
	}
	if err != nil {
		return err
	}
	return u.flashRedirect(w, r, s, fmt.Sprintf("/connections/%d", c.ID), fmt.Sprintf("Created connection %d (%s). Connect it to the account now.", c.ID, c.Name))
}
