package makeapi_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/server/makeapi"
)

var pathParam = regexp.MustCompile(`\{[A-Za-z]+\}`)

// concrete fills a route's parameters.
func concrete(path string) string { return pathParam.ReplaceAllString(path, "1") }

// Every operation is guarded by the weft scope that guards the same data in /api/v1,
// with the same refusals as /api/v1 in Make's error shape: the one authorization table.
func TestEveryRouteNeedsItsScope(t *testing.T) {
	e := newEnv(t)
	revokedPlain, revoked, err := e.auth.Create(t.Context(), "old", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.auth.Revoke(t.Context(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	for _, ep := range makeapi.Endpoints() {
		path := concrete(ep.Path)
		if ep.Scope == "" {
			if r := e.doAs("", ep.Method, path, nil); r.status != 200 {
				t.Errorf("%s %s without a token: %s", ep.Method, path, r)
			}
			continue
		}
		for name, tok := range map[string]string{"no token": "", "wrong token": "weft_AAAAAAAA", "revoked token": revokedPlain} {
			r := e.doAs(tok, ep.Method, path, "{}")
			if code, _, _ := r.makeErr(t); r.status != 401 || code != "SC401" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with %s: %s", ep.Method, path, name, r)
			}
		}
		// The failures count against this client's limit: a minute gives it all back.
		e.clock.Add(time.Minute)
		if ep.Scope == "*" {
			// Any valid token will do, whatever its scopes.
			if r := e.doAs(e.token(auth.WebhooksRead), ep.Method, path, "{}"); r.status == 401 || r.status == 403 {
				t.Errorf("%s %s with an unrelated scope: %s", ep.Method, path, r)
			}
			continue
		}
		var others []string
		for _, s := range auth.Scopes {
			if s != ep.Scope && s != auth.Admin {
				others = append(others, s)
			}
		}
		r := e.doAs(e.token(others...), ep.Method, path, "{}")
		if code, _, detail := r.makeErr(t); r.status != 403 || code != "SC403" || !strings.Contains(detail, ep.Scope) {
			t.Errorf("%s %s without %s: %s", ep.Method, path, ep.Scope, r)
		}
		if r := e.doAs(e.token(ep.Scope), ep.Method, path, "{}"); r.status == 401 || r.status == 403 {
			t.Errorf("%s %s with %s: %s", ep.Method, path, ep.Scope, r)
		}
	}
}

// Make's own scope names show what a token may do in Make's terms.
func TestCurrentAuthorizationMapsScopes(t *testing.T) {
	e := newEnv(t)
	got := e.must(200, e.doAs(e.token(auth.IncompleteRead, auth.ScenariosWrite), "GET", "/users/me/current-authorization", nil))
	scopes := got["authorization"].(map[string]any)["scope"].([]any)
	var names []string
	for _, s := range scopes {
		names = append(names, s.(string))
	}
	want := []string{"dlqs:read", "organizations:read", "scenarios:run", "scenarios:write", "teams:read", "user:read"}
	if !slices.Equal(names, want) {
		t.Fatalf("scopes %v, want %v", names, want)
	}
	me := e.must(200, e.doAs(e.token(auth.WebhooksRead), "GET", "/users/me", nil))["authUser"].(map[string]any)
	if me["name"] != "t-webhooks:read" || me["id"] != 1.0 {
		t.Fatalf("users/me %v", me)
	}
}

func TestOpenAPIIsPublic(t *testing.T) {
	e := newEnv(t)
	r := e.doAs("", "GET", "/openapi.json", nil)
	if r.status != 200 || string(r.body) != string(makeapi.OpenAPI()) || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json: %d %q", r.status, r.header.Get("Content-Type"))
	}
}

// Paths Make has and weft does not answer say so in Make's shape; a known path asked
// with another method is a 405 with Allow.
func TestUnknownPathsAndMethods(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/sdk/apps", nil)
	if code, _, detail := r.makeErr(t); r.status != 404 || code != "SC404" || !strings.Contains(detail, "Make's API") {
		t.Fatalf("unknown path: %s", r)
	}
	r = e.do("PUT", "/scenarios", nil)
	if code, _, _ := r.makeErr(t); r.status != 405 || code != "SC405" || r.header.Get("Allow") != "GET, POST" {
		t.Fatalf("wrong method: %s %v", r, r.header)
	}
}
