package api_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/server/api"
)

var param = regexp.MustCompile(`\{[a-z]+\}`)

// concrete fills a route's parameters.
func concrete(path string) string { return param.ReplaceAllString(path, "1") }

func TestEveryRouteNeedsItsScope(t *testing.T) {
	e := newEnv(t)
	revokedPlain, revoked, err := e.auth.Create(t.Context(), "old", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.auth.Revoke(t.Context(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	for _, ep := range api.Endpoints() {
		path := concrete(ep.Path)
		if ep.Scope == "" {
			if r := e.doAs("", ep.Method, path, nil); r.status != 200 {
				t.Errorf("%s %s without a token: %s", ep.Method, path, r)
			}
			continue
		}
		for name, tok := range map[string]string{"no token": "", "wrong token": "weft_AAAAAAAA", "revoked token": revokedPlain} {
			r := e.doAs(tok, ep.Method, path, "{}")
			if code, _, _ := r.err(t); r.status != 401 || code != "unauthorized" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with %s: %s", ep.Method, path, name, r)
			}
		}
		// The failures count against this client's limit (auth.DefaultFailureBurst):
		// a minute gives it all back before the next route.
		e.clock.Add(time.Minute)
		// A token with every scope but this one (and not admin) is refused.
		var others []string
		for _, s := range auth.Scopes {
			if s != ep.Scope && s != auth.Admin {
				others = append(others, s)
			}
		}
		r := e.doAs(e.token(others...), ep.Method, path, "{}")
		if code, msg, _ := r.err(t); r.status != 403 || code != "forbidden" || !strings.Contains(msg, ep.Scope) {
			t.Errorf("%s %s without %s: %s", ep.Method, path, ep.Scope, r)
		}
		// With just its scope the request gets past authentication.
		if r := e.doAs(e.token(ep.Scope), ep.Method, path, "{}"); r.status == 401 || r.status == 403 {
			t.Errorf("%s %s with %s: %s", ep.Method, path, ep.Scope, r)
		}
	}
}

func TestOpenAPIIsPublic(t *testing.T) {
	e := newEnv(t)
	r := e.doAs("", "GET", "/openapi.json", nil)
	if r.status != 200 || string(r.body) != string(api.OpenAPI()) || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json: %d %q", r.status, r.header.Get("Content-Type"))
	}
}
