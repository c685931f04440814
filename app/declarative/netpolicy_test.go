package declarative_test

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/declarative"
	"github.com/weftworks/weft/netpolicy"
)

const keyedDef = `{
  "name": "keyed",
  "base": {"baseUrl": "https://keyed.test"},
  "connection": {"type": "apiKey", "in": "header", "name": "X-Service"},
  "modules": {
    "Get": {"openMapper": true, "communication": {"url": "{{parameters.path}}", "response": {"output": "{{body}}"}}}
  }
}`

func keyedRegistry(t *testing.T, base string, pol *netpolicy.Policy) *app.Registry {
	t.Helper()
	specs, err := declarative.LoadOptions(fstest.MapFS{"keyed.json": {Data: []byte(keyedDef)}},
		declarative.Options{BaseURLs: map[string]string{"keyed": base}, Getenv: noEnv, Net: pol})
	if err != nil {
		t.Fatal(err)
	}
	r := app.NewRegistry()
	for _, s := range specs {
		if err := r.Register(s); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// TestOutboundPolicy: the default client of declarative apps dials through the policy.
func TestOutboundPolicy(t *testing.T) {
	s := newStandIn(t)
	pol := netpolicy.Server()
	spec := lookup(t, keyedRegistry(t, s.URL, pol), "keyed:Get")
	creds := weft.Bundle{"key": "key-51ab"}
	_, err := run(t, spec, creds, `{"path": "/items"}`)
	u, _ := url.Parse(s.URL)
	e := apptest.WantError(t, err, weft.InvalidConfigurationError,
		"outbound policy: "+u.Host+" is denied by rule loopback (127.0.0.0/8); allow it with --net-allow")
	if strings.Contains(e.Message, "key-51ab") {
		t.Fatalf("message shows the key: %s", e.Message)
	}
	if n := len(s.requests()); n != 0 {
		t.Fatalf("the refused call reached the stand-in (%d requests)", n)
	}
	if err := pol.Allow(u.Host, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, spec, creds, `{"path": "/items"}`); err != nil {
		t.Fatalf("allowed: %v", err)
	}
}

// TestCredentialsDroppedOnRedirect: a redirect to another host (localhost instead of
// 127.0.0.1) or port gets no key; one on the same origin does.
func TestCredentialsDroppedOnRedirect(t *testing.T) {
	other := newStandIn(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(other.URL, "http://"))
	first := newStandIn(t)
	first.fn = func(r *http.Request, _ string) reply {
		switch r.URL.Path {
		case "/host":
			return reply{status: 307, header: map[string]string{"Location": "http://localhost:" + port + "/landing"}}
		case "/port":
			return reply{status: 302, header: map[string]string{"Location": other.URL + "/landing"}}
		case "/same":
			return reply{status: 302, header: map[string]string{"Location": "/landing"}}
		}
		return ok(`{"ok":true}`)
	}
	spec := lookup(t, keyedRegistry(t, first.URL, nil), "keyed:Get")
	creds := weft.Bundle{"key": "key-51ab"}
	for _, path := range []string{"/host", "/port"} {
		if _, err := run(t, spec, creds, `{"path": "`+path+`"}`); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range other.requests() {
		if v := g.Header.Get("X-Service"); v != "" {
			t.Errorf("the key %q followed a redirect to %s", v, g.Path)
		}
	}
	if n := len(other.requests()); n != 2 {
		t.Fatalf("the other stand-in got %d requests, want 2", n)
	}
	if _, err := run(t, spec, creds, `{"path": "/same"}`); err != nil {
		t.Fatal(err)
	}
	reqs := first.requests()
	if last := reqs[len(reqs)-1]; last.Path != "/landing" || last.Header.Get("X-Service") != "key-51ab" {
		t.Fatalf("same origin: %s with key %q", last.Path, last.Header.Get("X-Service"))
	}
}
