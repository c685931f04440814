package gmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/value"
)

// api is what every module of one Register shares: the client, the token cache.
type api struct {
	base      string
	client    *http.Client
	tokens    *oauth.Tokens
	maxBody   int64
	userAgent string
	newID     func() string
}

// session is one module call's access to the account: its connection and token.
type session struct {
	api   *api
	exec  app.Execution
	ref   any
	at    string // "parameters.__IMTCONN__: connection 7", for messages
	data  weft.Bundle
	token oauth.Token
}

// open resolves the connection named by the parameter param and gets an access token.
// Connections are read on every call, so tokens a person renewed are used at once.
func (a *api) open(ctx context.Context, c *app.Call, param string) (*session, error) {
	ref := c.Params[param]
	if value.IsEmpty(ref) {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "parameters.%s: a Google connection is required", param)
	}
	data, err := c.Exec.Connection(ref)
	if err != nil {
		e := weft.AsError(err)
		return nil, &weft.Error{Type: e.Type, Message: "parameters." + param + ": " + e.Message, Details: e.Details, Err: err}
	}
	if value.IsEmpty(data["provider"]) && value.IsEmpty(data["tokenUrl"]) {
		// An access token pasted by hand, or a connection made before it named its
		// provider: Google's endpoints renew it.
		data = maps.Clone(data)
		data["provider"] = "google"
	}
	s := &session{api: a, exec: c.Exec, ref: ref, data: data,
		at: "parameters." + param + ": connection " + value.Text(ref)}
	if err := s.authorize(ctx, ""); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *session) authorize(ctx context.Context, stale string) error {
	tok, err := s.api.tokens.Get(ctx, s.exec, oauth.Request{Ref: s.ref, Data: s.data, At: s.at, Stale: stale, Client: s.api.client})
	if err != nil {
		return err
	}
	s.token = tok
	return nil
}

// request is one call to the API.
type request struct {
	method string
	path   string // below the base URL, escaped
	query  url.Values
	body   any // JSON-encoded when not nil
}

// call sends r and decodes the JSON answer (nil for an empty one). A 401 gets one more
// attempt with a new token (revoked or rotated elsewhere before its known expiry); the
// answer to that one stands.
func (s *session) call(ctx context.Context, r request) (any, error) {
	raw, err := s.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	v, err := value.DecodeJSON(raw)
	if err != nil {
		return nil, &weft.Error{Type: weft.UnexpectedError, Err: err,
			Message: fmt.Sprintf("%s %s: the answer is not JSON: %v", r.method, r.path, err)}
	}
	return v, nil
}

func (s *session) send(ctx context.Context, r request) ([]byte, error) {
	var body []byte
	if r.body != nil {
		body = value.JSON(r.body)
	}
	for attempt := 1; ; attempt++ {
		status, header, raw, err := s.do(ctx, r, body)
		if err != nil {
			return nil, err
		}
		if status == http.StatusUnauthorized && attempt == 1 {
			if err := s.authorize(ctx, s.token.Access); err != nil {
				return nil, err
			}
			continue
		}
		if status >= 400 {
			return nil, s.failure(r, status, header, raw)
		}
		return raw, nil
	}
}

func (s *session) do(ctx context.Context, r request, body []byte) (int, http.Header, []byte, error) {
	u := s.api.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return 0, nil, nil, weft.Errorf(weft.DataError, "%s %s: cannot build the request: %v", r.method, r.path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	req.Header.Set("Authorization", s.token.Header())
	req.Header.Set("User-Agent", s.api.userAgent)
	// A copy of the shared client per request, so the token does not follow a redirect
	// to another origin (docs/http.md); the connection pool stays shared.
	hc := *s.api.client
	hc.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		httpmod.DropCredentialsOnRedirect(next, via, []string{s.token.Access})
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, s.transportError(r, err)
	}
	defer res.Body.Close()
	if res.ContentLength > s.api.maxBody {
		return 0, nil, nil, s.tooLarge(r)
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, s.api.maxBody+1))
	if err != nil {
		return 0, nil, nil, s.transportError(r, err)
	}
	if int64(len(raw)) > s.api.maxBody {
		return 0, nil, nil, s.tooLarge(r)
	}
	return res.StatusCode, res.Header, raw, nil
}

func (s *session) tooLarge(r request) error {
	return weft.Errorf(weft.MaxFileSizeExceededError, "%s %s: the answer exceeds the %d-byte limit", r.method, r.path, s.api.maxBody)
}

// transportError types a failure without an answer (httpmod's table), the token
// removed from the message.
func (s *session) transportError(r request, err error) error {
	e := httpmod.ClassifyTransportError(err)
	msg := strings.ReplaceAll(e.Message, s.token.Access, "***")
	return &weft.Error{Type: e.Type, Message: r.method + " " + r.path + ": " + msg, Err: err, RetryAfter: e.RetryAfter,
		Details: map[string]any{"method": r.method, "url": s.api.base + r.path}}
}

func (s *session) failure(r request, status int, header http.Header, raw []byte) error {
	e := ErrorFor(status, header, raw, s.exec.Now())
	e.Message = strings.ReplaceAll(e.Message, s.token.Access, "***")
	e.Details["method"] = r.method
	e.Details["url"] = s.api.base + r.path
	return e
}
