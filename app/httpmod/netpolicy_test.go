package httpmod

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/netpolicy"
)

// counting is a stand-in that counts the requests it received.
func counting(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func hostOf(srv *httptest.Server) string { u, _ := url.Parse(srv.URL); return u.Host }

func TestOutboundPolicy(t *testing.T) {
	target, hits := counting(t, nil)
	pol := netpolicy.Server()
	spec := specOf(t, "http:MakeRequest", Options{Net: pol})
	runURL := func(u string) error {
		_, err := apptest.Run(context.Background(), spec, nil, weft.Bundle{"url": u}, nil)
		return err
	}

	// Under the server defaults loopback, cloud metadata and link-local are refused
	// before any packet is sent, as an InvalidConfigurationError naming the rule.
	e := wantError(t, runURL(target.URL+"/x"), weft.InvalidConfigurationError,
		"GET "+target.URL+"/x: outbound policy: "+hostOf(target)+" is denied by rule loopback (127.0.0.0/8); allow it with --net-allow")
	if e.Details["rule"] != "loopback (127.0.0.0/8)" {
		t.Errorf("details %v", e.Details)
	}
	wantError(t, runURL("http://169.254.169.254/latest/meta-data/"), weft.InvalidConfigurationError,
		"169.254.169.254:80 is denied by rule metadata (169.254.169.254/32)")
	wantError(t, runURL("http://[::ffff:127.0.0.1]:1/"), weft.InvalidConfigurationError, "denied by rule loopback")
	_, port, _ := net.SplitHostPort(hostOf(target))
	wantError(t, runURL("http://localhost:"+port+"/"), weft.InvalidConfigurationError,
		"outbound policy: localhost (", ":"+port+") is denied by rule loopback")
	// Other spellings of loopback and the machine itself (names such as 2130706433 or
	// 127.1 would ask a DNS server, which tests do not; they are decided by the address
	// they resolve to, like any name).
	wantError(t, runURL("http://[::ffff:7f00:1]:"+port+"/"), weft.InvalidConfigurationError,
		"127.0.0.1:"+port+" is denied by rule loopback (127.0.0.0/8)")
	wantError(t, runURL("http://[::]:"+port+"/"), weft.InvalidConfigurationError, "is denied by rule unspecified (::/128)")
	wantError(t, runURL("http://0.0.0.0:"+port+"/"), weft.InvalidConfigurationError, "is denied by rule unspecified (0.0.0.0/8)")
	if hits.Load() != 0 {
		t.Fatalf("a refused call reached the stand-in %d times", hits.Load())
	}

	// The operator allows exactly the stand-in's port.
	if err := pol.Allow(hostOf(target), ""); err != nil {
		t.Fatal(err)
	}
	if err := runURL(target.URL + "/x"); err != nil {
		t.Fatalf("allowed: %v", err)
	}

	// A redirect from the allowed server to another loopback port is refused too, and
	// the message says where the redirect went.
	other, otherHits := counting(t, nil)
	jump, _ := counting(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/inside", http.StatusFound)
	})
	if err := pol.Allow(hostOf(jump), ""); err != nil {
		t.Fatal(err)
	}
	wantError(t, runURL(jump.URL+"/go"), weft.InvalidConfigurationError,
		"GET "+jump.URL+"/go: redirected to "+other.URL+"/inside: outbound policy: "+hostOf(other)+" is denied by rule loopback")
	meta, _ := counting(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/", http.StatusFound)
	})
	if err := pol.Allow(hostOf(meta), ""); err != nil {
		t.Fatal(err)
	}
	wantError(t, runURL(meta.URL), weft.InvalidConfigurationError, "denied by rule metadata (169.254.169.254/32)")
	if otherHits.Load() != 0 {
		t.Fatal("the redirect reached the denied server")
	}

	// The policy's refusal keeps the bundle for a person, without automatic retries.
	res, err := apptest.RunEngine(context.Background(), spec, nil, weft.Bundle{"url": other.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Incomplete) != 1 || res.Incomplete[0].Error.Type != weft.InvalidConfigurationError || res.Incomplete[0].AutoRetry {
		t.Fatalf("engine outcome: %+v", res.Incomplete)
	}
}

// TestOutboundPolicyOAuthTokenEndpoint: the token request is a connection like any
// other.
func TestOutboundPolicyOAuthTokenEndpoint(t *testing.T) {
	tokenSrv, hits := counting(t, nil)
	exec := apptest.NewExec()
	exec.Connections["7"] = weft.Bundle{"tokenUrl": tokenSrv.URL + "/token", "clientId": "c", "clientSecret": "s"}
	spec := specOf(t, "http:MakeRequest", Options{Net: netpolicy.Server()})
	_, err := apptest.Run(context.Background(), spec, weft.Bundle{"authenticationType": "oAuth", "oAuthKeychain": 7.0},
		weft.Bundle{"url": "https://api.example.invalid/"}, exec)
	wantError(t, err, weft.InvalidConfigurationError, "cannot reach the token endpoint", "denied by rule loopback")
	if hits.Load() != 0 {
		t.Fatal("the token endpoint was reached")
	}
}

// landing records the headers of the requests a redirect chain ends at.
type landing struct {
	mu  sync.Mutex
	got map[string]http.Header // by path
}

func (l *landing) record(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.got == nil {
		l.got = map[string]http.Header{}
	}
	l.got[r.URL.Path] = r.Header.Clone()
}

func (l *landing) header(path string) http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.got[path]
}

// TestCredentialsDroppedOnRedirect: two stand-ins, one reached as 127.0.0.1 and one as
// localhost (another host) or on another port; credentials reach only the origin they
// were meant for.
func TestCredentialsDroppedOnRedirect(t *testing.T) {
	var rec landing
	var a, b *httptest.Server
	handler := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/landing-same", http.StatusFound)
		case "/to-other-host":
			_, port, _ := net.SplitHostPort(hostOf(b))
			http.Redirect(w, r, "http://localhost:"+port+"/landing-host", http.StatusTemporaryRedirect)
		case "/to-other-port":
			http.Redirect(w, r, b.URL+"/landing-port", http.StatusFound)
		case "/and-back":
			http.Redirect(w, r, a.URL+"/landing-back", http.StatusFound)
		case "/away-and-back":
			http.Redirect(w, r, b.URL+"/and-back", http.StatusFound)
		default:
			rec.record(r)
			w.Write([]byte("ok"))
		}
	}
	a = httptest.NewServer(http.HandlerFunc(handler))
	defer a.Close()
	b = httptest.NewServer(http.HandlerFunc(handler))
	defer b.Close()

	exec := apptest.NewExec()
	exec.Connections["k"] = weft.Bundle{"key": "key-3f9a", "name": "X-Service"} // a name that does not say "key"
	exec.Connections["q"] = weft.Bundle{"key": "query-77c1", "placement": "query", "name": "api_key"}
	exec.Connections["b"] = weft.Bundle{"username": "ann", "password": "pw-9d2e"}
	userHeaders := []any{
		map[string]any{"name": "X-Auth-Token", "value": "tok-1"},
		map[string]any{"name": "Cookie", "value": "sid=secret-cookie"},
		map[string]any{"name": "Ocp-Apim-Subscription-Key", "value": "sub-2"},
		map[string]any{"name": "X-Trace", "value": "trace-1"},
	}
	credentials := []string{"X-Service", "X-Auth-Token", "Cookie", "Ocp-Apim-Subscription-Key", "Authorization", "Referer"}
	spec := specOf(t, "http:MakeRequest", Options{})
	call := func(auth weft.Bundle, path string) {
		t.Helper()
		_, err := apptest.Run(context.Background(), spec, auth,
			weft.Bundle{"url": a.URL + path, "headers": userHeaders, "method": "post",
				"contentType": "json", "jsonStringBodyContent": "{}"}, exec)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	apiKey := weft.Bundle{"authenticationType": "apiKey", "apiKeyKeychain": "k"}
	basic := weft.Bundle{"authenticationType": "basicAuth", "basicAuthKeychain": "b"}
	queryKey := weft.Bundle{"authenticationType": "apiKey", "apiKeyKeychain": "q"}

	// Same origin: everything follows.
	call(apiKey, "/same")
	h := rec.header("/landing-same")
	for name, want := range map[string]string{"X-Service": "key-3f9a", "X-Auth-Token": "tok-1", "Cookie": "sid=secret-cookie",
		"Ocp-Apim-Subscription-Key": "sub-2", "X-Trace": "trace-1"} {
		if h.Get(name) != want {
			t.Errorf("same origin: %s = %q, want %q", name, h.Get(name), want)
		}
	}
	// Another host, another port, and back to the origin after leaving it: none.
	for _, c := range []struct {
		auth       weft.Bundle
		path, land string
	}{
		{apiKey, "/to-other-host", "/landing-host"},
		{basic, "/to-other-host", "/landing-host"},
		{apiKey, "/to-other-port", "/landing-port"},
		{basic, "/to-other-port", "/landing-port"},
		{apiKey, "/away-and-back", "/landing-back"},
		{queryKey, "/to-other-port", "/landing-port"},
	} {
		call(c.auth, c.path)
		h := rec.header(c.land)
		if h == nil {
			t.Fatalf("%s: the redirect did not land", c.path)
		}
		for _, name := range credentials {
			if v := h.Get(name); v != "" {
				t.Errorf("%s → %s: %s = %q crossed origins", c.path, c.land, name, v)
			}
		}
		for name, vals := range h {
			for _, v := range vals {
				for _, secret := range []string{"key-3f9a", "query-77c1", "pw-9d2e", "tok-1", "sub-2"} {
					if strings.Contains(v, secret) {
						t.Errorf("%s → %s: header %s carries %s", c.path, c.land, name, secret)
					}
				}
			}
		}
		if h.Get("X-Trace") != "trace-1" {
			t.Errorf("%s: an ordinary header was dropped too", c.path)
		}
	}
}

func TestIsCredentialHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "X-API-Key": true, "X-Api-Key": true,
		"x_apikey": true, "X-Auth-Token": true, "Private-Token": true, "X-Hub-Signature-256": true,
		"Ocp-Apim-Subscription-Key": true, "X-CSRF-Token": true, "Idempotency-Key": true,
		"Content-Type": false, "Accept": false, "X-Author": false, "X-Trace": false, "User-Agent": false,
		"Keyboard": false,
	} {
		if got := IsCredentialHeader(name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}
