package api_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/weftworks/weft/app/oauth/oauthtest"
)

func TestOAuthEndpoints(t *testing.T) {
	e := newEnv(t)
	// Clients: registered per provider by an admin, the secret never returned.
	e.must(400, e.do("PUT", "/oauth-clients/myspace", `{"clientId":"x"}`))
	e.must(400, e.do("PUT", "/oauth-clients/google", `{"clientSecret":"x"}`))
	got := e.must(200, e.do("PUT", "/oauth-clients/google", `{"clientId":"cid.apps","clientSecret":"g-secret-value"}`))
	if got["provider"] != "google" || got["hasSecret"] != true {
		t.Fatalf("put %v", got)
	}
	list := e.do("GET", "/oauth-clients", nil)
	if list.status != 200 || strings.Contains(string(list.body), "g-secret-value") || !strings.Contains(string(list.body), "cid.apps") {
		t.Fatalf("list %s", list)
	}
	e.must(204, e.do("DELETE", "/oauth-clients/google", nil))
	e.must(404, e.do("DELETE", "/oauth-clients/google", nil))

	// Connecting: the authorization URL carries the client, the callback and PKCE.
	s := oauthtest.New(t)
	c := e.must(201, e.do("POST", "/connections", `{"name":"Stand-in","type":"oauth2","data":{"authorizeUrl":"`+s.AuthURL()+
		`","tokenUrl":"`+s.TokenURL()+`","clientId":"`+s.ClientID+`","clientSecret":"x-secret","scope":"read"}}`))
	path := "/connections/" + id(c)
	a := e.must(201, e.do("POST", path+"/authorize", nil))
	u, err := url.Parse(a["authorizationUrl"].(string))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("client_id") != s.ClientID || q.Get("state") != a["state"] || q.Get("code_challenge_method") != "S256" ||
		!strings.HasSuffix(q.Get("redirect_uri"), "/oauth/callback") || a["expiresAt"] != "2026-05-01T12:10:00Z" {
		t.Fatalf("authorization %v", a)
	}
	st := e.must(200, e.do("GET", path+"/oauth", nil))
	if st["connected"] != false || len(st["blockedIncompleteExecutions"].([]any)) != 0 {
		t.Fatalf("status %v", st)
	}
	if q := e.must(200, e.do("POST", path+"/retry-blocked", nil)); q["queued"] != 0.0 {
		t.Fatalf("retry-blocked %v", q)
	}
	// A connection that is not OAuth.
	k := e.must(201, e.do("POST", "/connections", `{"name":"Key","type":"apikey","data":{"key":"k"}}`))
	e.must(404, e.do("GET", "/connections/"+id(k)+"/oauth", nil))
	r := e.do("POST", "/connections/"+id(k)+"/authorize", nil)
	if _, msg, _ := r.err(t); r.status != 409 || !strings.Contains(msg, "cannot be connected in a browser") {
		t.Fatalf("authorize an API key connection: %s", r)
	}
	// Registering clients needs admin.
	tok := e.token("connections:write")
	if r := e.doAs(tok, "PUT", "/oauth-clients/slack", `{"clientId":"x"}`); r.status != 403 {
		t.Fatalf("without admin: %s", r)
	}
}
