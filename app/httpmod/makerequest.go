package httpmod

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// specTimeout is every HTTP module's engine time limit: above the longest timeout field
// (300 s), so the engine's default 40 s never cuts a call configured longer; the module
// enforces its own field.
const specTimeout = 310 * time.Second

// Shared field declarations.
var (
	errorTypesField = app.Field{Name: "errorTypes", Label: "Error types", Type: app.TypeCollection,
		Help: `weft extension: overrides of the status → error type table, e.g. {"409": "DuplicateDataError", "5xx": "ConnectionError"}.`}
	nameValueSpec = []app.Field{
		{Name: "name", Type: app.TypeText},
		{Name: "value", Type: app.TypeAny},
	}
)

func makeRequestSpec(c *client) app.Spec {
	return app.Spec{
		Name:    "http:MakeRequest",
		Label:   "HTTP: Make a request",
		Help:    "Sends an HTTP request and outputs the response (Make's HTTP app, version 4).",
		Timeout: specTimeout,
		Parameters: append(v4AuthFields(),
			idempotencyField,
			errorTypesField,
		),
		Mapper: []app.Field{
			{Name: "url", Label: "URL", Type: app.TypeURL, Required: true},
			{Name: "method", Label: "Method", Type: app.TypeText, Default: "get", Options: methods,
				Help: "Lower case in blueprints; any case is accepted."},
			{Name: "headers", Label: "Headers", Type: app.TypeArray, Spec: nameValueSpec},
			{Name: "queryParameters", Label: "Query parameters", Type: app.TypeArray, Spec: nameValueSpec},
			{Name: "contentType", Label: "Body content type", Type: app.TypeSelect,
				Options: []string{"json", "urlEncoded", "multipart", "custom"}},
			{Name: "inputMethod", Label: "Body input method", Type: app.TypeSelect,
				Options: []string{"jsonString", "dataStructure"}, Default: "jsonString"},
			{Name: "jsonStringBodyContent", Label: "Body content", Type: app.TypeText,
				Help: "JSON text, sent as is."},
			{Name: "bodyDataStructure", Label: "Data structure", Type: app.TypeAny,
				Help: "Make's data structure id; weft does not need it."},
			{Name: "dataStructureBodyContent", Label: "Body content", Type: app.TypeAny,
				Help: "A collection or array, serialised as JSON."},
			{Name: "urlEncodedBodyContent", Label: "Body fields", Type: app.TypeArray, Spec: nameValueSpec},
			{Name: "multipartBodyContent", Label: "Body fields", Type: app.TypeArray,
				Help: `[{name, value, multipartFieldType: "text"|"file"}]; a file's value is {fileName, data, contentType}.`},
			{Name: "customContentType", Label: "Content type", Type: app.TypeText,
				Help: "Content-Type of a custom body."},
			{Name: "bodyContent", Label: "Body content", Type: app.TypeAny,
				Help: "A custom body: text or binary data, sent as is."},
			{Name: "parseResponse", Label: "Parse response", Type: app.TypeBoolean, Default: true},
			{Name: "stopOnHttpError", Label: "Return error if HTTP request fails", Type: app.TypeBoolean, Default: true},
			{Name: "timeout", Label: "Timeout (seconds)", Type: app.TypeUInteger, Min: 1, Max: 300, Default: float64(40)},
			{Name: "allowRedirects", Label: "Allow redirects", Type: app.TypeBoolean, Default: true},
			{Name: "shareCookies", Label: "Share cookies with other HTTP modules", Type: app.TypeBoolean,
				Help: "Cookies received are kept for the run and sent by every HTTP module of the run that shares cookies."},
			{Name: "requestCompressedContent", Label: "Request compressed content", Type: app.TypeBoolean, Default: true},
			{Name: "paginationType", Label: "Pagination", Type: app.TypeText,
				Help: "Not supported yet; a value is an InvalidConfigurationError."},
		},
		Outputs: []app.Field{
			{Name: "data", Type: app.TypeAny, Help: "the response body, parsed when it is JSON (and parseResponse is on)"},
			{Name: "statusCode", Type: app.TypeNumber, Help: "the response's HTTP status"},
			{Name: "headers", Type: app.TypeCollection, Help: "the response headers by lower-case name"},
		},
		New: func(cfg app.Config) (app.Module, error) { return newMakeRequest(c, cfg.Parameters) },
	}
}

// v4AuthFields are the version 4 modules' authentication parameters.
func v4AuthFields() []app.Field {
	return []app.Field{
		{Name: "authenticationType", Label: "Authentication type", Type: app.TypeSelect,
			Options: []string{"noAuth", "apiKey", "basicAuth", "oAuth"}, Default: "noAuth"},
		{Name: "apiKeyKeychain", Label: "API key connection", Type: app.TypeAny,
			Help: `Connection {"key", "placement": "header"|"query", "name"}; used with apiKey.`},
		{Name: "basicAuthKeychain", Label: "Basic auth connection", Type: app.TypeAny,
			Help: `Connection {"username", "password"}; used with basicAuth.`},
		{Name: "oAuthKeychain", Label: "OAuth 2 connection", Type: app.TypeAny,
			Help: `Connection {"tokenUrl", "clientId", "clientSecret", "scope"} or with a "refreshToken"; used with oAuth.`},
		{Name: "tlsType", Label: "Transport layer security", Type: app.TypeText,
			Help: `Empty: the system's trusted certificates; "tls": also the connection's ca; "mTls": a client certificate too.`},
		{Name: "tlsKeychain", Label: "TLS connection", Type: app.TypeAny,
			Help: `Connection {"ca", "certificate", "privateKey"} (PEM); used with tlsType tls or mTls.`},
		{Name: "proxyKeychain", Label: "Proxy", Type: app.TypeAny,
			Help: "Not supported yet; weft uses the HTTPS_PROXY/HTTP_PROXY environment."},
	}
}

type makeRequest struct {
	c *client
	v4Auth
	idem  bool
	table ErrorTable
}

// v4Auth is how the version 4 modules (Make a request, Download a file) authenticate:
// the parameters authenticationType, the keychain of that type, and tlsType.
type v4Auth struct {
	auth     string
	keyRef   any
	basicRef any
	oauth    *oauthAuth
	tlsType  string
	tlsRef   any
}

func newMakeRequest(c *client, p weft.Bundle) (*makeRequest, error) {
	a, err := newV4Auth(p)
	if err != nil {
		return nil, err
	}
	t, err := ParseErrorTable(p["errorTypes"])
	if err != nil {
		return nil, err
	}
	return &makeRequest{c: c, v4Auth: a, idem: boolOf(p, "idempotencyKey", true), table: t}, nil
}

// newV4Auth reads the authentication parameters; a keychain missing for the chosen type
// is an InvalidConfigurationError naming it.
func newV4Auth(p weft.Bundle) (v4Auth, error) {
	m := v4Auth{auth: value.Text(p["authenticationType"]),
		keyRef: p["apiKeyKeychain"], basicRef: p["basicAuthKeychain"],
		tlsType: value.Text(p["tlsType"]), tlsRef: p["tlsKeychain"]}
	switch m.auth {
	case "", "noAuth":
	case "apiKey":
		if value.IsEmpty(m.keyRef) {
			return m, configError("parameters.apiKeyKeychain", "authenticationType apiKey needs an API key connection")
		}
	case "basicAuth":
		if value.IsEmpty(m.basicRef) {
			return m, configError("parameters.basicAuthKeychain", "authenticationType basicAuth needs a basic auth connection")
		}
	case "oAuth":
		if value.IsEmpty(p["oAuthKeychain"]) {
			return m, configError("parameters.oAuthKeychain", "authenticationType oAuth needs an OAuth 2 connection")
		}
		m.oauth = &oauthAuth{ref: p["oAuthKeychain"], param: "oAuthKeychain"}
	default:
		return m, configError("parameters.authenticationType", "%q is not noAuth, apiKey, basicAuth or oAuth", m.auth)
	}
	switch m.tlsType {
	case "":
	case "tls", "mTls":
		if value.IsEmpty(m.tlsRef) {
			return m, configError("parameters.tlsKeychain", "tlsType %s needs a TLS connection", m.tlsType)
		}
	default:
		return m, configError("parameters.tlsType", "%q is not tls or mTls (or empty)", m.tlsType)
	}
	if !value.IsEmpty(p["proxyKeychain"]) {
		return m, configError("parameters.proxyKeychain", "proxies per module are not yet supported by weft")
	}
	return m, nil
}

// apply puts the connection's credentials and TLS settings on r.
func (m *v4Auth) apply(exec app.Execution, r *request) error {
	switch m.auth {
	case "apiKey":
		if err := applyAPIKey(exec, m.keyRef, "apiKeyKeychain", r); err != nil {
			return err
		}
	case "basicAuth":
		user, pass, err := basicConnection(exec, m.basicRef, "basicAuthKeychain")
		if err != nil {
			return err
		}
		setBasicAuth(r, user, pass)
	}
	if m.tlsType != "" {
		s, err := tlsConnection(exec, m.tlsRef, "tlsKeychain", m.tlsType == "mTls")
		if err != nil {
			return err
		}
		if err := r.setTLS(s, exec.Now()); err != nil {
			return err
		}
	}
	return nil
}

func (m *makeRequest) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	in := c.Input
	if pt := value.Text(in["paginationType"]); pt != "" {
		return nil, configError("paginationType", "pagination (%s) is not yet supported by weft", pt)
	}
	r, err := m.build(in)
	if err != nil {
		return nil, err
	}
	if err := m.apply(c.Exec, r); err != nil {
		return nil, err
	}
	r.jar = cookieJar(c.Exec, boolOf(in, "shareCookies", false))
	setIdempotencyKey(r, c.Exec, m.idem)
	resp, err := m.c.exchange(ctx, c.Exec, r, m.oauth)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(boolOf(in, "stopOnHttpError", true), m.table, r, resp, c.Exec.Now()); err != nil {
		return nil, err
	}
	data, err := decodeBody(resp.header, resp.body, boolOf(in, "parseResponse", true), resp.status < 400)
	if err != nil {
		return nil, err
	}
	out := weft.Bundle{
		"data":       data,
		"statusCode": float64(resp.status),
		"headers":    headerMap(resp.header),
	}
	if _, binary := data.([]byte); binary {
		// A file: named as Get a file names it, so it can go to an upload as is.
		out["fileName"] = fileName(resp)
		out["fileSize"] = float64(len(resp.body))
	}
	return []weft.Bundle{out}, nil
}

// build turns the v4 mapper into a request (without credentials).
func (m *makeRequest) build(in weft.Bundle) (*request, error) {
	meth, err := method(in, "method")
	if err != nil {
		return nil, err
	}
	u, err := requestURL(value.Text(in["url"]), false)
	if err != nil {
		return nil, err
	}
	h, err := headers(in, "headers")
	if err != nil {
		return nil, err
	}
	qs, _ := pairs(in, "queryParameters", "name")
	addQuery(u, encodePairs(qs))
	r := &request{method: meth, url: u, header: h,
		timeout:    time.Duration(timeoutOf(in, 40) * float64(time.Second)),
		compressed: boolOf(in, "requestCompressedContent", true)}
	follow := boolOf(in, "allowRedirects", true)
	r.follow = func(string) bool { return follow }

	var ct string
	switch kind := value.Text(in["contentType"]); kind {
	case "":
	case "json":
		ct = "application/json"
		if value.Text(in["inputMethod"]) == "dataStructure" {
			v := in["dataStructureBodyContent"]
			if v == nil {
				v = map[string]any{}
			}
			r.body = value.JSON(v)
		} else {
			r.body = []byte(value.Text(in["jsonStringBodyContent"]))
		}
	case "urlEncoded":
		ct = "application/x-www-form-urlencoded"
		fields, _ := pairs(in, "urlEncodedBodyContent", "name")
		r.body = []byte(encodePairs(fields))
	case "multipart":
		parts, err := v4Parts(in)
		if err != nil {
			return nil, err
		}
		body, mct, err := multipartBody(parts)
		if err != nil {
			return nil, dataError("multipartBodyContent", "%v", err)
		}
		r.body = body
		r.header.Set("Content-Type", mct) // the boundary must match the body
	case "custom":
		ct = strings.TrimSpace(value.Text(in["customContentType"]))
		if v, ok := in["bodyContent"]; ok && v != nil {
			r.body = bytesOf(v)
		}
	default:
		return nil, dataError("contentType", "%q is not json, urlEncoded, multipart or custom", kind)
	}
	setContentType(r.header, ct)
	return r, nil
}

// setContentType sets the body's Content-Type unless the user's headers already name
// one (019 sends "application/json; charset=utf-8" that way; it must win).
func setContentType(h http.Header, ct string) {
	if ct != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", ct)
	}
}

// CheckOutcome reads back a call whose outcome is unknown: a GET of the URL a person
// gives (absolute, or relative to the call's URL), with the call's headers,
// authentication and TLS settings but no body. A 2xx answer means the write took effect
// (its output, in this module's shape, can stand in for the lost answer); 404 and 410
// mean it did not; anything else cannot tell and is an error.
func (m *makeRequest) CheckOutcome(ctx context.Context, c *app.Call, check app.Check) (*app.CheckResult, error) {
	r, err := m.build(c.Input)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(check.URL) == "" {
		return nil, dataError("url", "the read-back needs a URL that shows whether the write happened")
	}
	ref, err := url.Parse(strings.TrimSpace(check.URL))
	if err != nil {
		return nil, dataError("url", "the read-back URL %q: %v", check.URL, err)
	}
	r.url = r.url.ResolveReference(ref)
	if r.url.Scheme != "http" && r.url.Scheme != "https" {
		return nil, dataError("url", "the read-back URL %q is not http or https", check.URL)
	}
	r.method, r.body = http.MethodGet, nil
	r.header.Del("Content-Type")
	r.header.Del("Idempotency-Key")
	if err := m.apply(c.Exec, r); err != nil {
		return nil, err
	}
	resp, err := m.c.exchange(ctx, c.Exec, r, m.oauth)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.status == http.StatusNotFound || resp.status == http.StatusGone:
		return &app.CheckResult{Status: resp.status,
			Message: fmt.Sprintf("%s answered %d: the write did not happen", r.target(), resp.status)}, nil
	case resp.status >= 300:
		if err := checkStatus(true, nil, r, resp, c.Exec.Now()); err != nil {
			return nil, err
		}
		return nil, unexpected("%s answered %d: the read-back cannot tell", r.target(), resp.status)
	}
	data, err := decodeBody(resp.header, resp.body, boolOf(c.Input, "parseResponse", true), true)
	if err != nil {
		return nil, err
	}
	out := weft.Bundle{"data": data, "statusCode": float64(resp.status), "headers": headerMap(resp.header)}
	return &app.CheckResult{Done: true, Status: resp.status, Output: out,
		Message: fmt.Sprintf("%s answered %d: the write happened", r.target(), resp.status)}, nil
}
