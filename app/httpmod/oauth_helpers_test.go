package httpmod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// idp is a stand-in OAuth 2 authorization server: client credentials and refresh
// token grants, optional refresh token rotation (a spent refresh token is refused, as
// real servers with rotation do), and an API that accepts only the access tokens it
// issued and did not revoke.
type idp struct {
	t         *testing.T
	token     *httptest.Server
	api       *httptest.Server
	mu        sync.Mutex
	grants    []url.Values // every token request's form, plus "client" = how it authenticated
	refresh   string       // the refresh token currently valid
	rotate    bool
	lifetime  int // expires_in; 0: not sent
	onlyBody  bool
	failWith  func(w http.ResponseWriter) bool // scripted token endpoint failure
	issued    int
	valid     map[string]bool
	seen      []string // Authorization headers the API received
	refuseAll bool     // the API answers 401 to every token
}

const (
	testClientID     = "weft-client"
	testClientSecret = "s3cret/+=" // characters Basic auth must form-encode
)

func newIDP(t *testing.T) *idp {
	p := &idp{t: t, refresh: "r1", lifetime: 3600, valid: map[string]bool{}}
	p.token = httptest.NewServer(http.HandlerFunc(p.serveToken))
	p.api = httptest.NewServer(http.HandlerFunc(p.serveAPI))
	t.Cleanup(p.token.Close)
	t.Cleanup(p.api.Close)
	return p
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q,"error_description":"refused by the stand-in"}`, code)
}

func (p *idp) serveToken(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	p.mu.Lock()
	defer p.mu.Unlock()
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: both parts are form-encoded inside Basic.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		form.Set("client", "basic")
	} else if form.Get("client_id") != "" {
		id, secret = form.Get("client_id"), form.Get("client_secret")
		form.Set("client", "body")
	}
	p.grants = append(p.grants, form)
	if p.failWith != nil && p.failWith(w) {
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		oauthError(w, 400, "invalid_request")
		return
	}
	if id != testClientID || secret != testClientSecret || basic && p.onlyBody {
		oauthError(w, 401, "invalid_client")
		return
	}
	resp := map[string]any{"token_type": "bearer"}
	switch form.Get("grant_type") {
	case "client_credentials":
	case "refresh_token":
		if form.Get("refresh_token") != p.refresh {
			oauthError(w, 400, "invalid_grant")
			return
		}
		if p.rotate {
			p.refresh = fmt.Sprintf("r%d", p.issued+2)
			resp["refresh_token"] = p.refresh
		}
	default:
		oauthError(w, 400, "unsupported_grant_type")
		return
	}
	p.issued++
	tok := fmt.Sprintf("at-%d", p.issued)
	p.valid[tok] = true
	resp["access_token"] = tok
	if p.lifetime > 0 {
		resp["expires_in"] = p.lifetime
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (p *idp) serveAPI(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	p.mu.Lock()
	p.seen = append(p.seen, auth)
	ok := p.valid[strings.TrimPrefix(auth, "Bearer ")] && !p.refuseAll
	p.mu.Unlock()
	if !ok {
		w.WriteHeader(401)
		io.WriteString(w, "token not valid")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

// revoke makes the API refuse every token issued so far.
func (p *idp) revoke() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.valid = map[string]bool{}
}

func (p *idp) set(f func(p *idp)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// requests returns the token requests so far, each as "grant client refresh_token".
func (p *idp) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, len(p.grants))
	for i, g := range p.grants {
		out[i] = strings.TrimSpace(g.Get("grant_type") + " " + g.Get("client") + " " + g.Get("refresh_token"))
	}
	return out
}

func (p *idp) apiSaw() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// clientCredentials is a client credentials connection for the stand-in.
func (p *idp) clientCredentials() weft.Bundle {
	return weft.Bundle{"tokenUrl": p.token.URL + "/token", "clientId": testClientID,
		"clientSecret": testClientSecret, "scope": []any{"read", "write"}, "audience": "https://api"}
}

// refreshConn is a refresh token connection for the stand-in.
func (p *idp) refreshConn() weft.Bundle {
	return weft.Bundle{"tokenUrl": p.token.URL + "/token", "clientId": testClientID,
		"clientSecret": testClientSecret, "refreshToken": "r1"}
}

// savingExec is an execution that stores connections, as the service's does: what it
// saves is what the next Connection call returns.
type savingExec struct {
	*apptest.Exec
	mu    sync.Mutex
	saved []weft.Bundle
	fail  error
}

func (e *savingExec) SaveConnection(_ context.Context, ref any, data weft.Bundle) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail != nil {
		return e.fail
	}
	e.saved = append(e.saved, data)
	e.Exec.Connections[fmt.Sprint(ref)] = data
	return nil
}

var errStoreDown = errors.New("store is down")

// callAPI returns a function running the named module (one spec, so one token cache,
// across calls) with the OAuth connection "7" against the stand-in's API.
func callAPI(t *testing.T, p *idp, name string) func(exec app.Execution) (weft.Bundle, error) {
	spec := specOf(t, name, Options{})
	params := weft.Bundle{"authenticationType": "oAuth", "oAuthKeychain": 7.0, "account": 7.0}
	return func(exec app.Execution) (weft.Bundle, error) {
		out, err := apptest.Run(context.Background(), spec, params, weft.Bundle{"url": p.api.URL + "/v1/me"}, exec)
		if err != nil {
			return nil, err
		}
		return out[0], nil
	}
}

// execWith returns an execution whose connection "7" is conn.
func execWith(conn weft.Bundle) *apptest.Exec {
	e := apptest.NewExec()
	e.Connections["7"] = conn
	return e
}
