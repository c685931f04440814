package httpmod

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// legacyTimeout is the v3 modules' default timeout: their own help text says 300 s.
const legacyTimeout = 300

// handleErrorsField is the v3 "Evaluate all states as errors (except for 2xx and 3xx)".
var handleErrorsField = app.Field{Name: "handleErrors", Label: "Evaluate all states as errors (except for 2xx and 3xx)",
	Type: app.TypeBoolean, Default: true}

func sendDataMapper(withBasic bool) []app.Field {
	keyValue := []app.Field{{Name: "key", Type: app.TypeText}, {Name: "value", Type: app.TypeAny}}
	f := []app.Field{
		{Name: "url", Label: "URL", Type: app.TypeURL, Required: true},
		{Name: "serializeUrl", Label: "Serialize URL", Type: app.TypeBoolean, Default: false},
		{Name: "method", Label: "Method", Type: app.TypeText, Default: "get", Options: methods},
		{Name: "headers", Label: "Headers", Type: app.TypeArray, Spec: nameValueSpec},
		{Name: "qs", Label: "Query String", Type: app.TypeArray, Spec: nameValueSpec},
		{Name: "bodyType", Label: "Body type", Type: app.TypeSelect,
			Options: []string{"raw", "x_www_form_urlencoded", "multipart_form_data"}},
		{Name: "contentType", Label: "Content type", Type: app.TypeText,
			Help: "For a raw body: text/plain, application/json, application/xml, text/xml, text/html or custom."},
		{Name: "customContentType", Label: "Custom content type", Type: app.TypeText},
		{Name: "data", Label: "Request content", Type: app.TypeAny},
		{Name: "formFields", Label: "Fields", Type: app.TypeArray, Spec: keyValue},
		{Name: "formDataFields", Label: "Fields", Type: app.TypeArray,
			Help: `[{fieldType: "text", key, value} | {fieldType: "file", key, fileName, data}]`},
		{Name: "parseResponse", Label: "Parse response", Type: app.TypeBoolean, Default: false},
		{Name: "timeout", Label: "Timeout (seconds)", Type: app.TypeUInteger, Min: 1, Max: 300, Default: float64(legacyTimeout)},
		{Name: "shareCookies", Label: "Share cookies with other HTTP modules", Type: app.TypeBoolean,
			Help: "Cookies received are kept for the run and sent by every HTTP module of the run that shares cookies."},
		{Name: "ca", Label: "Self-signed certificate", Type: app.TypeText},
		{Name: "rejectUnauthorized", Label: "Reject connections that are using unverified (self-signed) certificates",
			Type: app.TypeBoolean, Default: true},
		{Name: "followRedirect", Label: "Follow redirect", Type: app.TypeBoolean, Default: true},
		{Name: "followAllRedirects", Label: "Follow all redirect", Type: app.TypeBoolean, Default: false},
		{Name: "useQuerystring", Label: "Disable serialization of multiple same query string keys as arrays",
			Type: app.TypeBoolean, Default: false},
		{Name: "gzip", Label: "Request compressed content", Type: app.TypeBoolean, Default: true},
		{Name: "useMtls", Label: "Use Mutual TLS", Type: app.TypeBoolean, Default: false},
	}
	if withBasic {
		f = append(f,
			app.Field{Name: "authUser", Label: "User name", Type: app.TypeText},
			app.Field{Name: "authPass", Label: "Password", Type: app.TypeText})
	}
	return f
}

// tlsKeychainField names the client certificate connection of the v3 modules' useMtls.
var tlsKeychainField = app.Field{Name: "tlsKeychain", Label: "Mutual TLS connection", Type: app.TypeAny,
	Help: `Connection {"certificate", "privateKey", "ca"?} (PEM); used with useMtls.`}

// The v3 modules' ways to authenticate.
const (
	authBasic    = "basic"    // authUser/authPass in the mapper (http:ActionSendData)
	authBasicKey = "basicKey" // a basic auth connection (http:ActionSendDataBasicAuth)
	authAPIKey   = "apiKey"
	authOAuth    = "oauth"
)

func sendDataSpec(c *client) app.Spec {
	return app.Spec{
		Name:       "http:ActionSendData",
		Label:      "HTTP: Make a request (legacy)",
		Help:       "Sends an HTTP request and outputs the response (Make's legacy HTTP app, version 3).",
		Timeout:    specTimeout,
		Parameters: []app.Field{handleErrorsField, errorTypesField, idempotencyField, tlsKeychainField},
		Mapper:     sendDataMapper(true),
		Outputs:    sendDataOutputs,
		New: func(cfg app.Config) (app.Module, error) {
			return newSendData(c, cfg.Parameters, authBasic)
		},
	}
}

func sendDataAPIKeySpec(c *client) app.Spec {
	return app.Spec{
		Name:    "http:ActionSendDataAPIKeyAuth",
		Label:   "HTTP: Make an API Key Auth request (legacy)",
		Help:    "As Make a request, with the key of an API key connection in a header or the query.",
		Timeout: specTimeout,
		Parameters: []app.Field{
			{Name: "auth", Label: "Credentials", Type: app.TypeAny, Required: true,
				Help: `Connection {"key", "placement": "header"|"query", "name"}.`},
			handleErrorsField, errorTypesField, idempotencyField, tlsKeychainField,
		},
		Mapper:  sendDataMapper(false),
		Outputs: sendDataOutputs,
		New: func(cfg app.Config) (app.Module, error) {
			return newSendData(c, cfg.Parameters, authAPIKey)
		},
	}
}

// sendDataBasicAuthSpec is Make's legacy "Make a Basic Auth request": its credentials
// are a basic auth keychain named by the parameter key (keychain:basicauth in Make's
// export), not fields of the mapper.
func sendDataBasicAuthSpec(c *client) app.Spec {
	return app.Spec{
		Name:    "http:ActionSendDataBasicAuth",
		Label:   "HTTP: Make a Basic Auth request (legacy)",
		Help:    "As Make a request, with the user name and password of a basic auth connection.",
		Timeout: specTimeout,
		Parameters: []app.Field{
			{Name: "key", Label: "Credentials", Type: app.TypeAny, Required: true,
				Help: `Connection {"username", "password"}.`},
			handleErrorsField, errorTypesField, idempotencyField, tlsKeychainField,
		},
		Mapper:  sendDataMapper(false),
		Outputs: sendDataOutputs,
		New: func(cfg app.Config) (app.Module, error) {
			return newSendData(c, cfg.Parameters, authBasicKey)
		},
	}
}

func sendDataOAuthSpec(c *client) app.Spec {
	return app.Spec{
		Name:    "http:ActionSendDataOAuth",
		Label:   "HTTP: Make an OAuth 2.0 request (legacy)",
		Help:    "As Make a request, with an access token of an OAuth 2 connection, renewed automatically.",
		Timeout: specTimeout,
		Parameters: []app.Field{
			{Name: "account", Label: "Connection", Type: app.TypeAny, Required: true,
				Help: `OAuth 2 connection {"tokenUrl", "clientId", "clientSecret", "scope"} or with a "refreshToken".`},
			handleErrorsField, errorTypesField, idempotencyField, tlsKeychainField,
		},
		Mapper:  sendDataMapper(false),
		Outputs: sendDataOutputs,
		New: func(cfg app.Config) (app.Module, error) {
			return newSendData(c, cfg.Parameters, authOAuth)
		},
	}
}

type sendData struct {
	c            *client
	handleErrors bool
	idem         bool
	table        ErrorTable
	auth         string
	keyRef       any // the API key (auth) or basic auth (key) connection
	oauth        *oauthAuth
	tlsRef       any
}

func newSendData(c *client, p weft.Bundle, auth string) (*sendData, error) {
	t, err := ParseErrorTable(p["errorTypes"])
	if err != nil {
		return nil, err
	}
	m := &sendData{c: c, handleErrors: boolOf(p, "handleErrors", true), idem: boolOf(p, "idempotencyKey", true),
		table: t, auth: auth, tlsRef: p["tlsKeychain"]}
	switch auth {
	case authAPIKey:
		m.keyRef = p["auth"]
		if value.IsEmpty(m.keyRef) {
			return nil, configError("parameters.auth", "an API key connection is required")
		}
	case authBasicKey:
		m.keyRef = p["key"]
		if value.IsEmpty(m.keyRef) {
			return nil, configError("parameters.key", "a basic auth connection is required")
		}
	case authOAuth:
		if value.IsEmpty(p["account"]) {
			return nil, configError("parameters.account", "an OAuth 2 connection is required")
		}
		m.oauth = &oauthAuth{ref: p["account"], param: "account"}
	}
	return m, nil
}

func (m *sendData) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	in := c.Input
	r, err := m.build(c)
	if err != nil {
		return nil, err
	}
	switch m.auth {
	case authAPIKey:
		if err := applyAPIKey(c.Exec, m.keyRef, "auth", r); err != nil {
			return nil, err
		}
	case authBasicKey:
		user, pass, err := basicConnection(c.Exec, m.keyRef, "key")
		if err != nil {
			return nil, err
		}
		setBasicAuth(r, user, pass)
	case authBasic:
		if user := value.Text(in["authUser"]); user != "" {
			setBasicAuth(r, user, value.Text(in["authPass"]))
		}
	}
	r.jar = cookieJar(c.Exec, boolOf(in, "shareCookies", false))
	setIdempotencyKey(r, c.Exec, m.idem)
	resp, err := m.c.exchange(ctx, c.Exec, r, m.oauth)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(m.handleErrors, m.table, r, resp, c.Exec.Now()); err != nil {
		return nil, err
	}
	data, err := decodeBody(resp.header, resp.body, boolOf(in, "parseResponse", false), resp.status < 400)
	if err != nil {
		return nil, err
	}
	out := weft.Bundle{
		"statusCode":    float64(resp.status),
		"headers":       headerList(resp.header),
		"cookieHeaders": cookieHeaders(resp.header),
		"data":          data,
		"fileSize":      float64(len(resp.body)),
	}
	if _, binary := data.([]byte); binary {
		out["fileName"] = fileName(resp)
	}
	return []weft.Bundle{out}, nil
}

// sendDataOutputs are the fields of the bundle every send-data variant emits.
var sendDataOutputs = []app.Field{
	{Name: "statusCode", Type: app.TypeNumber, Help: "the response's HTTP status"},
	{Name: "headers", Type: app.TypeArray, Help: "the response headers, [{name, value}]"},
	{Name: "cookieHeaders", Type: app.TypeArray},
	{Name: "data", Type: app.TypeAny, Help: "the response body, parsed when it is JSON"},
	{Name: "fileSize", Type: app.TypeNumber},
}

// checkStatus returns the typed error of an HTTP error status when the module treats
// error statuses as errors, with the request named in Details.
func checkStatus(enabled bool, table ErrorTable, r *request, resp *response, now time.Time) error {
	if !enabled {
		return nil
	}
	e := table.StatusError(r.target(), resp.status, resp.header, resp.body, now)
	if e == nil {
		return nil
	}
	e.Details["method"] = r.method
	e.Details["url"] = r.redact(r.url.String())
	return e
}

func (m *sendData) build(c *app.Call) (*request, error) {
	in := c.Input
	meth, err := method(in, "method")
	if err != nil {
		return nil, err
	}
	u, err := requestURL(value.Text(in["url"]), boolOf(in, "serializeUrl", false))
	if err != nil {
		return nil, err
	}
	h, err := headers(in, "headers")
	if err != nil {
		return nil, err
	}
	addQuery(u, encodeQS(in, boolOf(in, "useQuerystring", false)))
	var ts tlsSettings
	if boolOf(in, "useMtls", false) {
		if value.IsEmpty(m.tlsRef) {
			return nil, configError("parameters.tlsKeychain", "useMtls needs a TLS connection with the client certificate")
		}
		if ts, err = tlsConnection(c.Exec, m.tlsRef, "tlsKeychain", true); err != nil {
			return nil, err
		}
	}
	if ca := strings.TrimSpace(value.Text(in["ca"])); ca != "" {
		ts.ca, ts.caAt = ca, "ca" // the mapper's CA wins over the connection's
	}
	ts.insecure = !boolOf(in, "rejectUnauthorized", true)
	r := &request{method: meth, url: u, header: h,
		timeout:    time.Duration(timeoutOf(in, legacyTimeout) * float64(time.Second)),
		compressed: boolOf(in, "gzip", true)}
	if err := r.setTLS(ts, c.Exec.Now()); err != nil {
		return nil, err
	}
	followGet, followAll := boolOf(in, "followRedirect", true), boolOf(in, "followAllRedirects", false)
	r.follow = func(meth string) bool {
		// Node's request library: followRedirect covers GET (and HEAD), followAllRedirects
		// every method.
		return followAll || followGet && (meth == "GET" || meth == "HEAD")
	}

	switch bt := value.Text(in["bodyType"]); bt {
	case "":
	case "raw":
		ct := value.Text(in["contentType"])
		if ct == "custom" {
			ct = value.Text(in["customContentType"])
		}
		setContentType(r.header, strings.TrimSpace(ct))
		if v := in["data"]; v != nil {
			r.body = bytesOf(v)
		}
	case "x_www_form_urlencoded":
		fields, _ := pairs(in, "formFields", "key")
		r.body = []byte(encodePairs(fields))
		setContentType(r.header, "application/x-www-form-urlencoded")
	case "multipart_form_data":
		parts, err := v3Parts(in)
		if err != nil {
			return nil, err
		}
		body, mct, err := multipartBody(parts)
		if err != nil {
			return nil, dataError("formDataFields", "%v", err)
		}
		r.body = body
		r.header.Set("Content-Type", mct)
	default:
		return nil, dataError("bodyType", "%q is not raw, x_www_form_urlencoded or multipart_form_data", bt)
	}
	return r, nil
}

// encodeQS encodes the legacy qs items as Make's request library does: a name given
// more than once (or with an array value) becomes name[0]=…&name[1]=… (the qs library's
// default), or name=…&name=… with useQuerystring. Names keep their first position.
func encodeQS(in weft.Bundle, repeat bool) string {
	type group struct {
		name  string
		vals  []string
		array bool
	}
	var groups []*group
	byName := map[string]*group{}
	for _, it := range value.Array(in["qs"]) {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		name := strings.TrimSpace(value.Text(m["name"]))
		if name == "" {
			continue
		}
		g := byName[name]
		if g == nil {
			g = &group{name: name}
			byName[name] = g
			groups = append(groups, g)
		} else {
			g.array = true
		}
		if a, isArr := m["value"].([]any); isArr {
			g.array = true
			for _, e := range a {
				g.vals = append(g.vals, value.Text(e))
			}
		} else {
			g.vals = append(g.vals, value.Text(m["value"]))
		}
	}
	var b strings.Builder
	for _, g := range groups {
		for i, v := range g.vals {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			key := g.name
			if g.array && !repeat {
				key = fmt.Sprintf("%s[%d]", g.name, i)
			}
			b.WriteString(url.QueryEscape(key))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}
