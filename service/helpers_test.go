package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// standIn is an HTTP service on 127.0.0.1 whose answers the test scripts: each request
// takes the next scripted status (the last one repeats).
type standIn struct {
	*httptest.Server
	mu     sync.Mutex
	script []answer
	got    []string // request bodies, in order
	header http.Header
}

type answer struct {
	status int
	header map[string]string
}

func newStandIn(t *testing.T, script ...answer) *standIn {
	s := &standIn{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, r.URL.Path+" "+string(body))
		a := answer{status: 200}
		if len(s.script) > 0 {
			a = s.script[0]
			if len(s.script) > 1 {
				s.script = s.script[1:]
			}
		}
		s.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		fmt.Fprintf(w, `{"status":%d}`, a.status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) set(script ...answer) { s.mu.Lock(); s.script = script; s.mu.Unlock() }

func (s *standIn) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

type env struct {
	t     *testing.T
	svc   *service.Service
	st    store.Store
	clock *clock
	dir   string
	ids   atomic.Int64
}

func newEnv(t *testing.T, cfg ...func(*service.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, clock: &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}, dir: dir}
	c := service.Config{Store: st, Registry: reg, Clock: e.clock.Now,
		NewID:  func() string { return fmt.Sprintf("id%04d", e.ids.Add(1)) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range cfg {
		f(&c)
	}
	e.svc, err = service.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// scenario stores a blueprint whose flow is given, with settings, and returns its id.
func (e *env) scenario(flow, settings string) int64 {
	e.t.Helper()
	if settings == "" {
		settings = "{}"
	}
	bp := fmt.Sprintf(`{"name":"t","flow":%s,"metadata":{"version":1,"scenario":%s}}`, flow, settings)
	sc, err := e.svc.CreateScenario(e.t.Context(), []byte(bp), "")
	if err != nil {
		e.t.Fatal(err)
	}
	return sc.ID
}

func (e *env) run(id int64, payload string) *service.RunResult {
	e.t.Helper()
	rr, err := e.svc.Run(e.t.Context(), id, []weft.Bundle{bundle(payload)})
	if err != nil {
		e.t.Fatal(err)
	}
	return rr
}

func (e *env) ie(id string) *weft.Incomplete {
	e.t.Helper()
	ie, err := e.st.GetIncomplete(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ie
}

func (e *env) due() int {
	e.t.Helper()
	n, err := e.svc.RunDue(e.t.Context())
	if err != nil {
		e.t.Fatalf("RunDue: %v", err)
	}
	return n
}

func bundle(js string) weft.Bundle {
	m := weft.Bundle{}
	if js == "" {
		return m
	}
	v, err := decode(js)
	if err != nil {
		panic(err)
	}
	return v.(map[string]any)
}

// webhook → HTTP POST to the stand-in (module 2) → compose (module 3).
func httpFlow(url string, extra string) string {
	return `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + url + `/orders","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"id\":\"{{1.id}}\"}"}` + extra + `},
		{"id":3,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"done {{1.id}} {{2.statusCode}}"}}]`
}
