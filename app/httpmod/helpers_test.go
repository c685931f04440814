package httpmod

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// noProxy keeps tests on 127.0.0.1 whatever proxy the environment names.
func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

// specOf returns the named module type built with opts (noProxy unless set).
func specOf(t *testing.T, name string, opts Options) *app.Spec {
	t.Helper()
	if opts.Proxy == nil {
		opts.Proxy = noProxy
	}
	for _, s := range Specs(opts) {
		if s.Name == name {
			return &s
		}
	}
	t.Fatalf("no spec %s", name)
	return nil
}

// run runs one module once with default options.
func run(t *testing.T, name string, params, mapper weft.Bundle) ([]weft.Bundle, error) {
	t.Helper()
	return apptest.Run(context.Background(), specOf(t, name, Options{}), params, mapper, nil)
}

// runOne runs a module that must succeed and emit one bundle.
func runOne(t *testing.T, name string, params, mapper weft.Bundle) weft.Bundle {
	t.Helper()
	out, err := run(t, name, params, mapper)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(out) != 1 {
		t.Fatalf("%s emitted %d bundles, want 1", name, len(out))
	}
	return out[0]
}

// wantError asserts err is a *weft.Error of type typ whose message holds every part.
func wantError(t *testing.T, err error, typ weft.ErrorType, parts ...string) *weft.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", typ)
	}
	var e *weft.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *weft.Error", err, err)
	}
	if e.Type != typ {
		t.Fatalf("type %s (%v), want %s", e.Type, err, typ)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not contain %q", e.Message, p)
		}
	}
	return e
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

// received is what a recording server saw.
type received struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	Host     string
}

// recorder starts a server that records each request and answers with respond (200
// {"ok":true} when nil).
func recorder(t *testing.T, respond http.HandlerFunc) (*httptest.Server, func() received) {
	t.Helper()
	var mu sync.Mutex
	var last received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = received{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body, Host: r.Host}
		mu.Unlock()
		if respond != nil {
			respond(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() received {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// reply answers with a status, headers (name, value pairs) and body. Without a
// Content-Type among the headers the response has none (net/http would sniff one).
func reply(status int, body string, hdr ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = nil
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Add(hdr[i], hdr[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}
