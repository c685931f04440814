package declarative_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/declarative"
	"github.com/weftworks/weft/value"
)

// standIn is a local stand-in for a service: it records every request and answers
// from a queue of replies (the last one repeats), or a reply function.
type standIn struct {
	*httptest.Server
	mu      sync.Mutex
	got     []got
	replies []reply
	fn      func(r *http.Request, body string) reply
}

type got struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

type reply struct {
	status int
	body   string
	header map[string]string
}

func ok(body string) reply { return reply{status: 200, body: body} }

func newStandIn(t testing.TB, replies ...reply) *standIn {
	t.Helper()
	s := &standIn{replies: replies}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, got{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(body)})
		var rep reply
		switch {
		case s.fn != nil:
			s.mu.Unlock()
			rep = s.fn(r, string(body))
			s.mu.Lock()
		case len(s.replies) > 0:
			rep = s.replies[0]
			if len(s.replies) > 1 {
				s.replies = s.replies[1:]
			}
		default:
			rep = ok(`{"ok":true}`)
		}
		s.mu.Unlock()
		if rep.header["Content-Type"] == "" {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) requests() []got {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]got(nil), s.got...)
}

// only returns the one request the stand-in received.
func (s *standIn) only(t *testing.T) got {
	t.Helper()
	g := s.requests()
	if len(g) != 1 {
		t.Fatalf("stand-in received %d requests, want 1: %+v", len(g), g)
	}
	return g[0]
}

// registry registers the shipped apps with every base URL pointed at the stand-ins.
func registry(t testing.TB, urls map[string]string) *app.Registry {
	t.Helper()
	r := app.NewRegistry()
	if err := declarative.Register(r, declarative.Options{BaseURLs: urls, Getenv: noEnv}); err != nil {
		t.Fatal(err)
	}
	return r
}

func noEnv(string) string { return "" }

// shipped returns one shipped module's spec with its app pointed at s.
func shipped(t testing.TB, appName, module string, s *standIn) *app.Spec {
	t.Helper()
	spec, found := registry(t, map[string]string{appName: s.URL}).Lookup(appName + ":" + module)
	if !found {
		t.Fatalf("%s:%s is not registered", appName, module)
	}
	return spec
}

// testApp loads one definition given as JSON text, its base URL pointed at s.
func testApp(t *testing.T, def string, s *standIn) *app.Registry {
	t.Helper()
	var probe struct{ Name string }
	if err := json.Unmarshal([]byte(def), &probe); err != nil {
		t.Fatalf("test definition: %v", err)
	}
	specs, err := declarative.LoadOptions(fstest.MapFS{"test.json": {Data: []byte(def)}},
		declarative.Options{BaseURLs: map[string]string{probe.Name: s.URL}, Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	r := app.NewRegistry()
	for _, sp := range specs {
		if err := r.Register(sp); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// run runs spec once with the connection "conn" holding creds.
func run(t *testing.T, spec *app.Spec, creds weft.Bundle, mapper string) ([]weft.Bundle, error) {
	t.Helper()
	exec := apptest.NewExec()
	exec.Connections["conn"] = creds
	return apptest.Run(context.Background(), spec, weft.Bundle{"__IMTCONN__": "conn"}, decode(t, mapper), exec)
}

func decode(t testing.TB, js string) weft.Bundle {
	t.Helper()
	if js == "" {
		return weft.Bundle{}
	}
	v, err := value.DecodeJSON([]byte(js))
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return v.(map[string]any)
}

// jsonBody decodes a request body the stand-in received.
func jsonBody(t *testing.T, s string) map[string]any {
	t.Helper()
	v, err := value.DecodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("request body %q is not JSON: %v", s, err)
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		t.Fatalf("request body %q is not an object", s)
	}
	return m
}

// sameJSON compares a value with the JSON text of the expected value.
func sameJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	w, err := value.DecodeJSON([]byte(want))
	if err != nil {
		t.Fatalf("%s: bad expectation %s: %v", what, want, err)
	}
	if g, e := string(value.JSON(got)), string(value.JSON(w)); g != e {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, e)
	}
}

// errCase is one row of an app's error table: the service's answer and the error it
// must become.
type errCase struct {
	name    string
	reply   reply
	typ     weft.ErrorType
	message string
}

func checkErrors(t *testing.T, appName, module string, creds weft.Bundle, mapper string, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, tc.reply)
			_, err := run(t, shipped(t, appName, module, s), creds, mapper)
			apptest.WantError(t, err, tc.typ, tc.message)
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func jsonOf(v any) []byte { return value.JSON(v) }

// wantType is apptest.WantError without the returned error.
func wantType(t *testing.T, err error, typ weft.ErrorType, msg string) {
	t.Helper()
	apptest.WantError(t, err, typ, msg)
}
