package notion

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

// connParam is the parameter naming a module's connection.
const connParam = "__IMTCONN__"

// api is what every module of one Register shares: the client, the token cache.
type api struct {
	base      string
	client    *http.Client
	tokens    *oauth.Tokens
	maxBody   int64
	userAgent string
}

// session is one module call's access to the workspace: its connection, token and
// the API version its requests name.
type session struct {
	api     *api
	exec    app.Execution
	ref     any
	at      string // "parameters.__IMTCONN__: connection 7", for messages
	data    weft.Bundle
	token   oauth.Token
	version string
}

// open resolves the module's connection and gets an access token. Connections are read
// on every call, so a token a person renewed is used at once.
func (a *api) open(ctx context.Context, c *app.Call, version string) (*session, error) {
	ref := c.Params[connParam]
	if value.IsEmpty(ref) {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "parameters.%s: a Notion connection is required", connParam)
	}
	data, err := c.Exec.Connection(ref)
	if err != nil {
		e := weft.AsError(err)
		return nil, &weft.Error{Type: e.Type, Message: "parameters." + connParam + ": " + e.Message, Details: e.Details, Err: err}
	}
	if value.IsEmpty(data["provider"]) && value.IsEmpty(data["tokenUrl"]) {
		// An internal integration's token pasted by hand (it does not expire), or a
		// connection made before it named its provider.
		data = maps.Clone(data)
		data["provider"] = "notion"
	}
	s := &session{api: a, exec: c.Exec, ref: ref, data: data, version: version,
		at: "parameters." + connParam + ": connection " + value.Text(ref)}
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
	body   any    // JSON-encoded when not nil
}

// call sends r and decodes the JSON answer. A 401 gets one more attempt with a new
// token (revoked or rotated elsewhere before its known expiry); the answer to that one
// stands.
func (s *session) call(ctx context.Context, r request) (map[string]any, error) {
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
		v, err := value.DecodeJSON(raw)
		m, isObject := v.(map[string]any)
		if err != nil || !isObject {
			return nil, &weft.Error{Type: weft.UnexpectedError, Err: err,
				Message: fmt.Sprintf("%s %s: the answer is not a JSON object: %s", r.method, r.path, excerpt(raw, 200)),
				Details: map[string]any{"statusCode": float64(status), "url": s.api.base + r.path}}
		}
		return m, nil
	}
}

func (s *session) do(ctx context.Context, r request, body []byte) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, s.api.base+r.path, rd)
	if err != nil {
		return 0, nil, nil, weft.Errorf(weft.DataError, "%s %s: cannot build the request: %v", r.method, r.path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", s.token.Header())
	req.Header.Set("Notion-Version", s.version)
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
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, s.token.Access, "***")
	}
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

// pathID escapes an ID (a UUID with or without dashes, or a Notion URL's last part) for
// a path segment.
func pathID(id string) string { return url.PathEscape(notionID(id)) }

// notionID reads an ID the way people paste it: a bare UUID, or a Notion URL or a
// title-slug whose last 32 hexadecimal digits are the ID ("My-page-1a2b…").
func notionID(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = s[strings.LastIndex(s, "/")+1:]
	if i := strings.LastIndex(s, "-"); i >= 0 && len(s)-i-1 == 32 && isHex(s[i+1:]) {
		return s[i+1:]
	}
	return s
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// excerpt is a body as one short line for a message.
func excerpt(b []byte, max int) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	cut := false
	if len(s) > max {
		s, cut = strings.ToValidUTF8(s[:max], ""), true
	}
	s = strings.Join(strings.Fields(s), " ")
	if cut {
		s += "…"
	}
	return s
}
