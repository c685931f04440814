package example

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// apiClient is shared by every API module of a process (one connection pool). It holds
// no per-run state: the connection is resolved on every call.
type apiClient struct {
	http    *http.Client
	maxBody int64
}

// conn is a weather API connection as stored by weft:
//
//	{"apiKey": "wk_…", "baseUrl": "https://api.weather.example"}
type conn struct {
	apiKey  string
	baseURL *url.URL
}

// connection resolves the module's __IMTCONN__ parameter on each call, so a key a
// person renewed is used by the next attempt. An unknown connection is an
// InvalidConfigurationError and missing credentials an InvalidAccessTokenError (the
// Execution's contract); both name the parameter.
func connection(c *app.Call) (*conn, error) {
	ref := c.Params[connectionParam.Name]
	raw, err := c.Exec.Connection(ref)
	if err != nil {
		e := weft.AsError(err)
		return nil, &weft.Error{Type: e.Type, Message: "parameters.__IMTCONN__: " + e.Message, Err: err}
	}
	key := strings.TrimSpace(value.Text(raw["apiKey"]))
	if key == "" {
		return nil, weft.Errorf(weft.InvalidAccessTokenError, "connection %s has no apiKey", value.Text(ref))
	}
	base := strings.TrimSpace(value.Text(raw["baseUrl"]))
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, weft.Errorf(weft.InvalidConfigurationError,
			"connection %s: baseUrl %q is not an http(s) address", value.Text(ref), base)
	}
	return &conn{apiKey: key, baseURL: u}, nil
}

// call sends one request and decodes a 2xx JSON answer into out. Every failure comes
// back as a *weft.Error typed by the error table (errors.go). what names the request in
// messages, without the key.
func (a *apiClient) call(ctx context.Context, c *app.Call, method, path string, query url.Values,
	body any, header http.Header, out any) error {
	cn, err := connection(c)
	if err != nil {
		return err
	}
	u := cn.baseURL.JoinPath(path)
	u.RawQuery = query.Encode()
	what := method + " " + u.Redacted()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return weft.Errorf(weft.DataError, "%s: encode the request: %w", what, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return weft.Errorf(weft.InvalidConfigurationError, "%s: %w", what, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Api-Key", cn.apiKey)
	resp, err := a.http.Do(req)
	if err != nil {
		return transportError(ctx, what, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, a.maxBody+1))
	if err != nil {
		// The answer broke off: the same as not getting one.
		return transportError(ctx, what, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(what, resp, data, c.Exec.Now())
	}
	if int64(len(data)) > a.maxBody {
		return malformed(what, data, fmt.Errorf("answer larger than %d bytes", a.maxBody))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return malformed(what, data, err)
	}
	return nil
}

// errMissing names a field the API must send.
func errMissing(field string) error { return errors.New("no " + field) }
