package declarative

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// runtime is what every module of one Register shares: the HTTP client and limits.
type runtime struct {
	client    *http.Client
	maxBody   int64
	userAgent string
	tokens    *oauth.Tokens // oauth2 connections' access tokens
}

// request is one call in structured form, so a pagination step can change a part of
// it (a query parameter, the URL) and keep the rest.
type request struct {
	method   string
	url      string // without the qs below
	qs       map[string]any
	header   map[string]any
	body     any
	bodyType string
	binary   bool                              // keep a successful body as bytes
	auth     func(h http.Header, q url.Values) // the connection's credentials
	token    string                            // the OAuth access token auth sends
	secrets  []string
}

// response is what came back, the body read in full within the cap.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   any // parsed JSON, text, or []byte
}

// evalRequestPart evaluates a request template; a failure is a DataError (the input
// did not fit what the definition builds from it).
func evalRequestPart(n node, env *iml.Env, vars map[string]any) (any, error) {
	v, err := evalVars(n, env, vars)
	if err != nil {
		var we *weft.Error
		if errors.As(err, &we) {
			return nil, we // typed where it was found (a file over its service's limit)
		}
		return nil, &weft.Error{Type: weft.DataError, Message: "building the request: " + err.Error(), Err: err}
	}
	return v, nil
}

func collectionOf(v any, what string) (map[string]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return x, nil
	}
	return nil, weft.Errorf(weft.DataError, "building the request: %s must be a collection, got %s", what, value.Kind(v))
}

// resolveURL joins a relative URL (starting with "/") to the app's base URL.
func resolveURL(base, u string) string {
	u = strings.TrimSpace(u)
	if strings.Contains(u, "://") {
		return u
	}
	if u == "" {
		return base
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(u, "/")
}

// render builds the http.Request.
func (r *request) render(ctx context.Context, userAgent string) (*http.Request, error) {
	u, err := url.Parse(r.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, weft.Errorf(weft.DataError, "request URL %q is not an absolute http or https URL", r.redact(r.url))
	}
	q := u.Query()
	for _, k := range sortedKeys(r.qs) {
		for _, v := range value.Array(r.qs[k]) {
			q.Add(k, scalarText(v))
		}
	}
	h := http.Header{}
	for _, k := range sortedKeys(r.header) {
		v := value.Text(r.header[k])
		if strings.ContainsAny(v, "\r\n") || strings.ContainsAny(k, " \r\n:") {
			return nil, weft.Errorf(weft.DataError, "header %q: a header name or value cannot hold a line break", k)
		}
		h.Set(k, v)
	}
	if r.auth != nil {
		r.auth(h, q)
	}
	u.RawQuery = q.Encode()
	var body io.Reader
	if r.body != nil && r.method != "GET" && r.method != "HEAD" {
		data, ctype, err := encodeBody(r.body, r.bodyType)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(data)
		if (h.Get("Content-Type") == "" || r.bodyType == "multipart") && ctype != "" {
			// A multipart body's type carries its boundary: it replaces any other.
			h.Set("Content-Type", ctype)
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, weft.Errorf(weft.DataError, "cannot build the request: %s", r.redact(err.Error()))
	}
	req.Header = h
	if h.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	return req, nil
}

// scalarText is the query text of a value: collections travel as JSON.
func scalarText(v any) string {
	switch v.(type) {
	case map[string]any, []any:
		return string(value.JSON(v))
	}
	return value.Text(v)
}

func encodeBody(v any, typ string) ([]byte, string, error) {
	switch typ {
	case "multipart":
		return multipartBody(v)
	case "binary":
		return binaryBody(v)
	}
	if containsFile(v) {
		return nil, "", weft.Errorf(weft.DataError, "a file can only be sent in a multipart or binary body, not in a %s body", typ)
	}
	switch typ {
	case "urlencoded":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, "", weft.Errorf(weft.DataError, "an urlencoded body must be a collection, got %s", value.Kind(v))
		}
		form := url.Values{}
		for _, k := range sortedKeys(m) {
			for _, e := range value.Array(m[k]) {
				form.Add(k, scalarText(e))
			}
		}
		return []byte(form.Encode()), "application/x-www-form-urlencoded", nil
	case "related":
		return encodeRelated(v)
	case "text":
		if b, ok := v.([]byte); ok {
			return b, "", nil
		}
		return []byte(value.Text(v)), "text/plain; charset=utf-8", nil
	}
	return value.JSON(v), "application/json", nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// target names the request in messages, without secrets.
func (r *request) target() string {
	u := r.url
	if len(r.qs) > 0 {
		q := url.Values{}
		for k, v := range r.qs {
			q.Set(k, scalarText(v))
		}
		if strings.Contains(u, "?") {
			u += "&" + q.Encode()
		} else {
			u += "?" + q.Encode()
		}
	}
	return r.method + " " + r.redact(u)
}

func (r *request) redact(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "***")
		if e := url.QueryEscape(sec); e != sec {
			s = strings.ReplaceAll(s, e, "***")
		}
		if e := url.PathEscape(sec); e != sec {
			s = strings.ReplaceAll(s, e, "***")
		}
	}
	return s
}

// send performs the request and reads the response within the body cap.
func (rt *runtime) send(ctx context.Context, r *request) (*response, error) {
	req, err := r.render(ctx, rt.userAgent)
	if err != nil {
		return nil, err
	}
	// A copy of the shared client per request, to drop this request's credentials when
	// a redirect leaves its origin (docs/http.md); the connection pool stays shared.
	hc := *rt.client
	check := hc.CheckRedirect
	hc.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		httpmod.DropCredentialsOnRedirect(next, via, r.secrets)
		if check != nil {
			return check(next, via)
		}
		if len(via) >= 10 { // net/http's default limit
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	track := httpmod.NewOutcomeTracker(hc.Transport)
	hc.Transport = track
	res, err := hc.Do(req)
	if err != nil {
		return nil, r.unknownOutcome(req, r.transportError(err), track.Unknown())
	}
	defer res.Body.Close()
	if res.ContentLength > rt.maxBody {
		return nil, tooLarge(rt.maxBody)
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, rt.maxBody+1))
	if err != nil {
		// The answer broke off: a write may have happened and what it returned is lost.
		return nil, r.unknownOutcome(req, r.transportError(err), !httpmod.SafeMethod(res.Request.Method))
	}
	if int64(len(raw)) > rt.maxBody {
		return nil, tooLarge(rt.maxBody)
	}
	resp := &response{status: res.StatusCode, header: res.Header, raw: raw}
	if r.binary && resp.status < 400 {
		resp.body = raw // a download: the file's bytes, even when they are text
		return resp, nil
	}
	if err := resp.parse(); err != nil {
		return nil, err
	}
	return resp, nil
}

func tooLarge(max int64) error {
	return weft.Errorf(weft.MaxFileSizeExceededError, "response body exceeds the %d-byte limit", max)
}

// unknownOutcome marks a transport failure of a request that was sent but not answered
// (docs/incomplete-executions.md §9) and names the host for the circuit breaker.
func (r *request) unknownOutcome(req *http.Request, err error, unknown bool) error {
	we, ok := err.(*weft.Error)
	if !ok {
		return err
	}
	we.Endpoint = httpmod.Endpoint(req.URL)
	if unknown {
		we.OutcomeUnknown = true
		we.Idempotent = req.Header.Get("Idempotency-Key") != ""
		we.Message += " (the request was sent; whether the service acted on it is unknown)"
	}
	return we
}

// transportError types a failure without a response (httpmod's table), secrets removed.
func (r *request) transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = r.redact(ue.URL)
	}
	e := httpmod.ClassifyTransportError(err)
	out := &weft.Error{Type: e.Type, Message: r.redact(e.Message), Err: e.Err, RetryAfter: e.RetryAfter,
		Details: map[string]any{"method": r.method, "url": r.redact(r.url)}}
	if out.Err == nil {
		out.Err = err
	}
	return out
}

// parse reads the body: JSON when the type says so (or, untyped or text/plain, when it
// looks like JSON), text when it is valid UTF-8, bytes otherwise.
func (r *response) parse() error {
	if len(r.raw) == 0 {
		r.body = ""
		return nil
	}
	ctype := strings.ToLower(r.header.Get("Content-Type"))
	if i := strings.IndexByte(ctype, ';'); i >= 0 {
		ctype = strings.TrimSpace(ctype[:i])
	}
	isJSON := ctype == "application/json" || ctype == "text/json" || strings.HasSuffix(ctype, "+json")
	trimmed := bytes.TrimSpace(r.raw)
	looksJSON := len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
	if isJSON || ((ctype == "" || ctype == "text/plain") && looksJSON) {
		v, err := value.DecodeJSON(r.raw)
		if err == nil {
			r.body = v
			return nil
		}
		if isJSON && r.status < 400 {
			return weft.Errorf(weft.UnexpectedError, "the %d response says JSON but its body is not: %v", r.status, err)
		}
	}
	if isText(r.raw) {
		r.body = string(r.raw)
	} else {
		r.body = r.raw
	}
	return nil
}

func isText(b []byte) bool {
	return !bytes.ContainsRune(b, 0) && strings.ToValidUTF8(string(b), "\uFFFD") == string(b)
}

// headerMap is the response headers as templates read them: lower-case names, a
// header received more than once as an array.
func headerMap(h http.Header) map[string]any {
	out := make(map[string]any, len(h))
	for k, vs := range h {
		name := strings.ToLower(k)
		if len(vs) == 1 {
			out[name] = vs[0]
			continue
		}
		a := make([]any, len(vs))
		for i, v := range vs {
			a[i] = v
		}
		out[name] = a
	}
	return out
}

// authorize prepares the connection's credentials for a request. Values become
// secrets, removed from every message. stale is the OAuth access token the service
// just refused (a new one is fetched), or "".
func (m *module) authorize(ctx context.Context, exec app.Execution, env *iml.Env, vars map[string]any, r *request, stale string) error {
	c := &m.def.app.conn
	text := func(n node, what string) (string, error) {
		v, err := evalVars(n, env, vars)
		if err != nil {
			return "", weft.Errorf(weft.InvalidConfigurationError, "connection %s: %v", what, err)
		}
		s := value.Text(v)
		if s == "" {
			return "", weft.Errorf(weft.InvalidAccessTokenError, "the connection has no %s", what)
		}
		return s, nil
	}
	switch c.typ {
	case "oauth2":
		params, _ := vars[rootParameters].(map[string]any)
		ref := params[c.param]
		data, _ := vars[rootConnection].(weft.Bundle)
		if data == nil {
			data, _ = vars[rootConnection].(map[string]any)
		}
		if value.IsEmpty(data["provider"]) && value.IsEmpty(data["tokenUrl"]) {
			// The app's provider, for connections that name none (an access token pasted
			// by hand, older connections).
			data = maps.Clone(data)
			data["provider"] = c.provider
		}
		tok, err := m.rt.tokens.Get(ctx, exec, oauth.Request{Ref: ref, Data: data, Stale: stale, Client: m.rt.client,
			At: "parameters." + c.param + ": connection " + value.Text(ref)})
		if err != nil {
			return err
		}
		r.secrets = append(r.secrets, tok.Access)
		r.token = tok.Access
		r.auth = func(h http.Header, _ url.Values) { h.Set("Authorization", tok.Header()) }
	case "bearer":
		tok, err := text(c.value, "token")
		if err != nil {
			return err
		}
		if strings.ContainsAny(tok, "\r\n") {
			return weft.Errorf(weft.InvalidConfigurationError, "the connection's token contains a line break")
		}
		r.secrets = append(r.secrets, tok)
		scheme := c.scheme
		r.auth = func(h http.Header, _ url.Values) { h.Set("Authorization", scheme+" "+tok) }
	case "apiKey":
		key, err := text(c.value, "API key")
		if err != nil {
			return err
		}
		if strings.ContainsAny(key, "\r\n") {
			return weft.Errorf(weft.InvalidConfigurationError, "the connection's API key contains a line break")
		}
		r.secrets = append(r.secrets, key)
		name, in := c.name, c.in
		r.auth = func(h http.Header, q url.Values) {
			if in == "query" {
				q.Set(name, key)
			} else {
				h.Set(name, key)
			}
		}
	case "basic":
		user, err := text(c.user, "username")
		if err != nil {
			return err
		}
		pv, err := evalVars(c.pass, env, vars)
		if err != nil {
			return weft.Errorf(weft.InvalidConfigurationError, "connection password: %v", err)
		}
		tok := base64.StdEncoding.EncodeToString([]byte(user + ":" + value.Text(pv)))
		r.secrets = append(r.secrets, tok)
		if p := value.Text(pv); p != "" {
			r.secrets = append(r.secrets, p)
		}
		r.auth = func(h http.Header, _ url.Values) { h.Set("Authorization", "Basic "+tok) }
	}
	return nil
}

// connection reads the module's connection and checks its declared fields.
func (m *module) connection(exec app.Execution, params map[string]any) (weft.Bundle, []string, error) {
	c := &m.def.app.conn
	if c.typ == "none" {
		return nil, nil, nil
	}
	ref := params[c.param]
	if value.IsEmpty(ref) {
		return nil, nil, weft.Errorf(weft.InvalidConfigurationError, "parameters.%s: a %s connection is required", c.param, m.def.app.name)
	}
	conn, err := exec.Connection(ref)
	if err != nil {
		e := weft.AsError(err)
		return nil, nil, &weft.Error{Type: e.Type, Message: "parameters." + c.param + ": " + e.Message, Details: e.Details, Err: err}
	}
	for _, f := range c.fields {
		if f.Required && value.IsEmpty(conn[f.Name]) {
			return nil, nil, weft.Errorf(weft.InvalidAccessTokenError, "connection %s has no %s", value.Text(ref), f.Name)
		}
	}
	// Credentials are kept out of messages also where a definition places them itself
	// (Telegram's token is part of the URL path).
	var secrets []string
	for k, v := range conn {
		if len(c.secrets) > 0 && !slices.Contains(c.secrets, k) {
			continue
		}
		if s, ok := v.(string); ok && len(s) >= 4 {
			secrets = append(secrets, s)
		}
	}
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	return maps.Clone(conn), secrets, nil
}
