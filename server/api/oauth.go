package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// OAuth 2 (docs/connections.md): the operator's clients per provider, and connecting
// a connection. A flow started here is not bound to a browser: whoever opens its
// authorizationUrl connects the account, and the provider sends the browser back to
// BASE/oauth/callback, which the web UI serves.

// oauthError maps the refusals of an OAuth connection that a person must fix (no
// client registered, not an OAuth connection) to 409.
func oauthError(err error) error {
	var we *weft.Error
	if errors.As(err, &we) && (we.Type == weft.InvalidConfigurationError || we.Type == weft.InvalidAccessTokenError) {
		return conflict(nil, "%s", we.Message)
	}
	return err
}

func (a *api) authorizeConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	auth, err := a.svc.Authorize(r.Context(), id, a.callbackURL(r), nil)
	if err != nil {
		return oauthError(err)
	}
	writeJSON(w, http.StatusCreated, auth)
	return nil
}

// callbackURL is BaseURL/oauth/callback (the request's host without a BaseURL).
func (a *api) callbackURL(r *http.Request) string {
	base := a.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/oauth/callback"
}

type OAuthStatus struct {
	*service.OAuthStatus
	// Blocked lists the unresolved incomplete executions that failed with an
	// InvalidAccessTokenError using the connection.
	Blocked []string `json:"blockedIncompleteExecutions"`
}

func (a *api) connectionOAuth(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	st, err := a.svc.OAuthStatus(r.Context(), id)
	if err != nil {
		return err
	}
	if st == nil {
		return notFound("connection %d is not an OAuth connection (it names no provider or authorizeUrl)", id)
	}
	blocked, err := a.svc.BlockedBy(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, OAuthStatus{OAuthStatus: st, Blocked: nonNilSlice(blocked)})
	return nil
}

func (a *api) retryBlocked(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.st.GetConnection(r.Context(), id); err != nil {
		return err
	}
	n, err := a.svc.RetryBlocked(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"queued": n})
	return nil
}

func (a *api) listOAuthClients(w http.ResponseWriter, r *http.Request) error {
	cs, err := a.svc.OAuthClients(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNilSlice(cs)})
	return nil
}

type oauthClientBody struct {
	ClientID     *string `json:"clientId"`
	ClientSecret string  `json:"clientSecret"`
}

func (a *api) putOAuthClient(w http.ResponseWriter, r *http.Request) error {
	p, ok := oauth.Lookup(r.PathValue("provider"))
	if !ok {
		return invalid("provider", "%q is not a provider weft knows (%s)", r.PathValue("provider"), oauth.ProviderNames())
	}
	var b oauthClientBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.ClientID == nil || strings.TrimSpace(*b.ClientID) == "" {
		return invalid("clientId", "is required")
	}
	info, err := a.svc.SetOAuthClient(r.Context(), p.Name, *b.ClientID, b.ClientSecret)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (a *api) deleteOAuthClient(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteOAuthClient(r.Context(), r.PathValue("provider")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// AuthorizationState is where an authorization started with POST …/authorize stands:
// pending (waiting for the person), exchanging (the callback came), done or failed
// (message says why). `weft connections authorize` waits on it.
type AuthorizationState struct {
	ConnectionID int64   `json:"connectionId"`
	Status       string  `json:"status"`
	Message      *string `json:"message"`
	ExpiresAt    string  `json:"expiresAt"`
	FinishedAt   *string `json:"finishedAt"`
}

func (a *api) authorizationState(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	f, err := a.svc.AuthorizationStatus(r.Context(), r.PathValue("state"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && f.ConnectionID != id) {
		return notFound("no authorization of connection %d with that state (each lasts 10 minutes)", id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, AuthorizationState{ConnectionID: f.ConnectionID, Status: f.Status, Message: optString(f.Message),
		ExpiresAt: weft.RFC3339(f.ExpiresAt), FinishedAt: weft.RFC3339Ptr(f.FinishedAt)})
	return nil
}
