package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// OAuth 2 connections (docs/connections.md, "OAuth 2"): the operator registers an own
// client per provider (id and secret, the secret sealed like connections); a person
// connects a connection in a browser (the authorization code grant with PKCE) and the
// tokens are stored in the connection, sealed. The state sent to the provider is 32
// random bytes; only its SHA-256 is stored, with the connection, the redirect URI,
// the sealed PKCE verifier, the browser binding and an expiry: a state is accepted
// once, before it expires, from the browser that started it.

// AuthorizationTTL is how long a person has to consent.
const AuthorizationTTL = 10 * time.Minute

// OAuth flow statuses.
const (
	FlowPending    = "pending"
	FlowExchanging = "exchanging"
	FlowDone       = "done"
	FlowFailed     = "failed"
)

// OAuthClientInfo is what is shown of an OAuth client: never its secret.
type OAuthClientInfo struct {
	Provider  string    `json:"provider"`
	ClientID  string    `json:"clientId"`
	HasSecret bool      `json:"hasSecret"`
	KeyID     string    `json:"keyId"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func clientInfo(c *store.OAuthClient) OAuthClientInfo {
	return OAuthClientInfo{Provider: c.Provider, ClientID: c.ClientID, HasSecret: len(c.Secret) > 0, KeyID: c.KeyID,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// SetOAuthClient registers the operator's client at a provider (one of
// oauth.Providers), replacing an earlier one. An empty secret is a public client.
func (s *Service) SetOAuthClient(ctx context.Context, provider, clientID, secret string) (*OAuthClientInfo, error) {
	p, ok := oauth.Lookup(provider)
	if !ok {
		return nil, fmt.Errorf("OAuth client: %q is not a provider weft knows (%s)", provider, oauth.ProviderNames())
	}
	clientID = strings.TrimSpace(clientID)
	if clientID == "" || len(clientID) > 500 || strings.ContainsAny(clientID, "\r\n") {
		return nil, fmt.Errorf("OAuth client for %s: a client id of 1 to 500 characters on one line is required", p.Name)
	}
	kr, err := s.keyring()
	if err != nil {
		return nil, fmt.Errorf("OAuth client for %s: %w", p.Name, err)
	}
	now := s.now()
	c := &store.OAuthClient{Provider: p.Name, ClientID: clientID, CreatedAt: now, UpdatedAt: now}
	if secret != "" {
		if c.Secret, c.KeyID, err = kr.Encrypt([]byte(secret), secrets.OAuthClientAAD(p.Name)); err != nil {
			return nil, fmt.Errorf("OAuth client for %s: %w", p.Name, err)
		}
	}
	if err := s.st.PutOAuthClient(ctx, c); err != nil {
		return nil, fmt.Errorf("OAuth client for %s: %w", p.Name, err)
	}
	stored, err := s.st.GetOAuthClient(ctx, p.Name)
	if err != nil {
		return nil, fmt.Errorf("OAuth client for %s: %w", p.Name, err)
	}
	info := clientInfo(stored)
	return &info, nil
}

// OAuthClients lists the registered clients.
func (s *Service) OAuthClients(ctx context.Context) ([]OAuthClientInfo, error) {
	cs, err := s.st.ListOAuthClients(ctx)
	if err != nil {
		return nil, fmt.Errorf("list OAuth clients: %w", err)
	}
	out := make([]OAuthClientInfo, 0, len(cs))
	for _, c := range cs {
		out = append(out, clientInfo(c))
	}
	return out, nil
}

// DeleteOAuthClient removes a provider's client. Connections of that provider then
// fail their next refresh with an InvalidConfigurationError naming the command that
// registers one.
func (s *Service) DeleteOAuthClient(ctx context.Context, provider string) error {
	if err := s.st.DeleteOAuthClient(ctx, strings.ToLower(strings.TrimSpace(provider))); err != nil {
		return fmt.Errorf("delete OAuth client %s: %w", provider, err)
	}
	return nil
}

// withOAuthClient adds the provider's registered client to connection data that names
// a provider and no client of its own. Modules see one self-contained connection;
// saveConnection takes the client out again before storing.
func (s *Service) withOAuthClient(ctx context.Context, kr *secrets.Keyring, data weft.Bundle) (weft.Bundle, error) {
	name := strings.ToLower(strings.TrimSpace(value.Text(data["provider"])))
	if name == "" || !value.IsEmpty(data["clientId"]) {
		return data, nil
	}
	c, err := s.st.GetOAuthClient(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return data, nil // oauth.Parse names the missing client when it is needed
	}
	if err != nil {
		return nil, &weft.Error{Type: weft.RuntimeError, Message: fmt.Sprintf("OAuth client of %s: %v", name, err), Err: err}
	}
	out := maps.Clone(data)
	out["clientId"] = c.ClientID
	if len(c.Secret) > 0 {
		plain, err := kr.Decrypt(c.Secret, c.KeyID, secrets.OAuthClientAAD(c.Provider))
		if err != nil {
			return nil, &weft.Error{Type: weft.InvalidConfigurationError, Err: err,
				Message: fmt.Sprintf("the OAuth client secret of %s cannot be decrypted: %v", name, err)}
		}
		out["clientSecret"] = string(plain)
	}
	return out, nil
}

// Authorization is a started authorization: send the person to URL.
type Authorization struct {
	URL          string    `json:"authorizationUrl"`
	State        string    `json:"state"`
	ConnectionID int64     `json:"connectionId"`
	ExpiresAt    time.Time `json:"expiresAt"`
}

// AuthorizationError is an authorization that cannot go on; Message is for the
// person (the callback page, the CLI).
type AuthorizationError struct {
	ConnectionID int64
	Message      string
}

func (e *AuthorizationError) Error() string {
	if e.ConnectionID == 0 {
		return "authorization: " + e.Message
	}
	return fmt.Sprintf("authorization of connection %d: %s", e.ConnectionID, e.Message)
}

func hashState(state string) []byte {
	h := sha256.Sum256([]byte(state))
	return h[:]
}

// Authorize starts connecting connection id: it stores the flow and returns the
// provider's authorization URL. redirect is weft's callback (BASE/oauth/callback);
// binding, when not empty, is the secret the starting browser keeps in a cookie and
// must show again at the callback (UI flows). Flows from the command line or the API
// pass none: whoever opens their URL connects the account.
func (s *Service) Authorize(ctx context.Context, id int64, redirect string, binding []byte) (*Authorization, error) {
	kr, err := s.keyring()
	if err != nil {
		return nil, fmt.Errorf("authorize connection %d: %w", id, err)
	}
	c, err := s.st.GetConnection(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("authorize connection %d: %w", id, err)
	}
	data, err := openConnection(kr, c)
	if err != nil {
		return nil, fmt.Errorf("authorize connection %d: %w", id, err)
	}
	if data, err = s.withOAuthClient(ctx, kr, data); err != nil {
		return nil, fmt.Errorf("authorize connection %d: %w", id, err)
	}
	conn, err := oauth.ParseAuthorizable(data, fmt.Sprintf("connection %d (%s)", c.ID, c.Name))
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := io.ReadFull(s.cfg.Random, raw); err != nil {
		return nil, fmt.Errorf("authorize connection %d: state: %w", id, err)
	}
	state := base64.RawURLEncoding.EncodeToString(raw)
	verifier := oauth.NewVerifier()
	now := s.now()
	f := &store.OAuthFlow{StateHash: hashState(state), ConnectionID: id, RedirectURI: redirect, Status: FlowPending,
		CreatedAt: now, ExpiresAt: now.Add(AuthorizationTTL)}
	if len(binding) > 0 {
		b := sha256.Sum256(binding)
		f.Binding = b[:]
	}
	if f.Verifier, f.KeyID, err = kr.Encrypt([]byte(verifier), secrets.OAuthFlowAAD(f.StateHash)); err != nil {
		return nil, fmt.Errorf("authorize connection %d: %w", id, err)
	}
	if _, err := s.st.DeleteOAuthFlowsBefore(ctx, now); err != nil {
		s.log.Warn("delete expired OAuth flows", "error", err)
	}
	if err := s.st.CreateOAuthFlow(ctx, f); err != nil {
		return nil, fmt.Errorf("authorize connection %d: %w", id, err)
	}
	return &Authorization{URL: oauth.AuthCodeURL(conn, redirect, state, verifier), State: state, ConnectionID: id,
		ExpiresAt: f.ExpiresAt}, nil
}

// Callback is what the provider sent back to weft's callback.
type Callback struct {
	State, Code             string
	Error, ErrorDescription string
	Binding                 []byte // the browser's binding cookie, if any
}

// AuthorizationResult is a connected connection and the incomplete executions that
// were waiting for it (unresolved with an InvalidAccessTokenError).
type AuthorizationResult struct {
	Connection *weft.Connection
	Blocked    []string
}

// CompleteAuthorization finishes a flow: the state must be known, pending, not
// expired and, for a bound flow, come with the binding; it is spent before the code is
// exchanged, so a replayed callback is refused. The tokens replace the connection's
// (sealed); an old refresh token never survives a reconnection.
func (s *Service) CompleteAuthorization(ctx context.Context, cb Callback) (*AuthorizationResult, error) {
	kr, err := s.keyring()
	if err != nil {
		return nil, fmt.Errorf("authorization: %w", err)
	}
	if cb.State == "" {
		return nil, &AuthorizationError{Message: "the callback carries no state; start connecting again"}
	}
	now := s.now()
	var f *store.OAuthFlow
	err = s.st.InTx(ctx, func(q store.Queries) error {
		var err error
		if f, err = q.GetOAuthFlow(ctx, hashState(cb.State)); errors.Is(err, store.ErrNotFound) {
			return &AuthorizationError{Message: "this authorization is unknown or was already cleaned up; start connecting again"}
		} else if err != nil {
			return err
		}
		switch {
		case f.Status != FlowPending:
			return &AuthorizationError{ConnectionID: f.ConnectionID, Message: "this authorization was already used; start connecting again"}
		case !now.Before(f.ExpiresAt):
			return &AuthorizationError{ConnectionID: f.ConnectionID,
				Message: fmt.Sprintf("this authorization expired (a person has %s to consent); start connecting again", AuthorizationTTL)}
		case len(f.Binding) > 0:
			b := sha256.Sum256(cb.Binding)
			if subtle.ConstantTimeCompare(b[:], f.Binding) != 1 {
				return &AuthorizationError{ConnectionID: f.ConnectionID,
					Message: "this authorization was started in another browser (or its cookie is gone); start connecting again from this one"}
			}
		}
		f.Status = FlowExchanging
		return q.UpdateOAuthFlow(ctx, f)
	})
	if err != nil {
		return nil, err
	}
	fail := func(msg string) (*AuthorizationResult, error) {
		finished := s.now()
		f.Status, f.Message, f.FinishedAt = FlowFailed, msg, &finished
		if err := s.st.UpdateOAuthFlow(context.WithoutCancel(ctx), f); err != nil {
			s.log.Warn("record failed OAuth flow", "connection", f.ConnectionID, "error", err)
		}
		return nil, &AuthorizationError{ConnectionID: f.ConnectionID, Message: msg}
	}
	if cb.Error != "" {
		msg := "the provider refused: " + cb.Error
		if cb.ErrorDescription != "" {
			msg += ": " + cb.ErrorDescription
		}
		return fail(msg)
	}
	if cb.Code == "" {
		return fail("the callback carries no authorization code")
	}
	verifier, err := kr.Decrypt(f.Verifier, f.KeyID, secrets.OAuthFlowAAD(f.StateHash))
	if err != nil {
		return fail("the stored verifier cannot be decrypted: " + err.Error())
	}
	c, err := s.st.GetConnection(ctx, f.ConnectionID)
	if err != nil {
		return fail(err.Error())
	}
	stored, err := openConnection(kr, c)
	if err != nil {
		return fail(err.Error())
	}
	data, err := s.withOAuthClient(ctx, kr, stored)
	if err != nil {
		return fail(err.Error())
	}
	conn, err := oauth.ParseAuthorizable(data, fmt.Sprintf("connection %d (%s)", c.ID, c.Name))
	if err != nil {
		return fail(err.Error())
	}
	connected, err := oauth.Exchange(ctx, s.cfg.OAuthHTTP, conn, f.RedirectURI, cb.Code, string(verifier), s.now())
	if err != nil {
		return fail(weft.AsError(err).Message)
	}
	withoutClient(connected, stored)
	if c, err = s.UpdateConnection(ctx, c.ID, nil, connected); err != nil {
		return fail(err.Error())
	}
	finished := s.now()
	f.Status, f.FinishedAt = FlowDone, &finished
	if err := s.st.UpdateOAuthFlow(context.WithoutCancel(ctx), f); err != nil {
		s.log.Warn("record finished OAuth flow", "connection", f.ConnectionID, "error", err)
	}
	s.log.Info("connection connected", "connection", c.ID, "name", c.Name)
	blocked, err := s.BlockedBy(ctx, c.ID)
	if err != nil {
		s.log.Warn("list incomplete executions waiting for a connection", "connection", c.ID, "error", err)
	}
	return &AuthorizationResult{Connection: c, Blocked: blocked}, nil
}

// withoutClient removes from data the client id and secret the stored data did not
// hold (they came from the provider's registered client).
func withoutClient(data, stored weft.Bundle) {
	for _, k := range []string{"clientId", "clientSecret"} {
		if _, had := stored[k]; !had {
			delete(data, k)
		}
	}
}

// AuthorizationStatus returns the flow a state started (the command line waits on it).
func (s *Service) AuthorizationStatus(ctx context.Context, state string) (*store.OAuthFlow, error) {
	f, err := s.st.GetOAuthFlow(ctx, hashState(state))
	if err != nil {
		return nil, fmt.Errorf("authorization status: %w", err)
	}
	return f, nil
}

// BlockedBy lists the unresolved incomplete executions that failed with an
// InvalidAccessTokenError and whose blueprint names connection id: those a
// reconnection lets go on (retry them with Retry).
func (s *Service) BlockedBy(ctx context.Context, id int64) ([]string, error) {
	return s.incompleteNaming(ctx, id, store.IncompleteFilter{Status: []weft.IncompleteStatus{weft.IncompleteUnresolved},
		ErrorType: weft.InvalidAccessTokenError, Limit: 500})
}

// RetryBlocked queues a retry of every incomplete execution BlockedBy lists and
// returns how many.
func (s *Service) RetryBlocked(ctx context.Context, id int64) (int, error) {
	ids, err := s.BlockedBy(ctx, id)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return s.Retry(ctx, store.Selection{IDs: ids})
}

// OAuthStatus is what a person sees of an OAuth connection: never its tokens.
type OAuthStatus struct {
	Provider      string `json:"provider,omitempty"` // "" for custom endpoints
	ProviderLabel string `json:"providerLabel,omitempty"`
	Connected     bool   `json:"connected"`
	ConnectedAt   string `json:"connectedAt,omitempty"`
	ExpiresAt     string `json:"expiresAt,omitempty"`
	GrantedScope  string `json:"grantedScope,omitempty"`
	Refreshable   bool   `json:"refreshable"`
}

// OAuthStatus returns the OAuth state of connection id, or nil when it is not a
// connection a person connects in a browser (no provider or authorizeUrl).
func (s *Service) OAuthStatus(ctx context.Context, id int64) (*OAuthStatus, error) {
	kr, err := s.keyring()
	if err != nil {
		return nil, err
	}
	c, err := s.st.GetConnection(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", id, err)
	}
	data, err := openConnection(kr, c)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(value.Text(data["provider"]))
	if name == "" && value.IsEmpty(data["authorizeUrl"]) {
		return nil, nil
	}
	st := &OAuthStatus{Provider: name, Connected: !value.IsEmpty(data["accessToken"]) || !value.IsEmpty(data["refreshToken"]),
		ConnectedAt: value.Text(data["connectedAt"]), ExpiresAt: value.Text(data["expiresAt"]),
		GrantedScope: value.Text(data["grantedScope"]), Refreshable: !value.IsEmpty(data["refreshToken"])}
	if p, ok := oauth.Lookup(name); ok {
		st.ProviderLabel = p.Label
	}
	return st, nil
}
