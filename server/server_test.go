package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
)

// env is a real weft server on 127.0.0.1 over a real SQLite store.
type env struct {
	t    testing.TB
	st   store.Store
	svc  *service.Service
	srv  *server.Server
	base string
	stop func()
	path string
	runs chan struct{} // a value per recorded run
}

// newEnv starts an env; each option is a func(*server.Config) or a
// func(*service.Config).
func newEnv(t testing.TB, options ...any) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "weft.db")
	return startEnv(t, path, options...)
}

func startEnv(t testing.TB, path string, options ...any) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	runs := make(chan struct{}, 1<<16)
	svcCfg := service.Config{Store: st, Registry: reg, Logger: quiet, Observer: runSignal(runs)}
	for _, o := range options {
		if f, ok := o.(func(*service.Config)); ok {
			f(&svcCfg)
		}
	}
	svc, err := service.New(svcCfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Service: svc, Store: st, Logger: quiet, Poll: 10 * time.Millisecond}
	for _, o := range options {
		switch f := o.(type) {
		case func(*server.Config):
			f(&cfg)
		case func(*service.Config):
		default:
			t.Fatalf("env option %T is neither a server nor a service option", o)
		}
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	e := &env{t: t, st: st, svc: svc, srv: srv, base: "http://" + ln.Addr().String(), path: path, runs: runs}
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			st.Close()
		})
	}
	t.Cleanup(e.stop)
	return e
}

// runSignal is an Observer that signals every recorded run.
type runSignal chan struct{}

func (r runSignal) RunFinished(*weft.Scenario, *weft.Execution, *engine.Result) {
	select {
	case r <- struct{}{}:
	default:
	}
}
func (runSignal) IncompleteStored(*weft.Scenario, *weft.Incomplete) {}
func (runSignal) ScenarioDeactivated(*weft.Scenario, string)        {}

// scenario stores and activates a blueprint and returns its id and webhook URL.
func (e *env) scenario(blueprint string) (int64, string) {
	e.t.Helper()
	sc, err := e.svc.CreateScenario(e.t.Context(), []byte(blueprint), "")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.SetActive(e.t.Context(), sc.ID, true); err != nil {
		e.t.Fatal(err)
	}
	h, err := e.svc.EnsureHook(e.t.Context(), sc.ID)
	if err != nil || h == nil {
		e.t.Fatalf("hook %v %v", h, err)
	}
	return sc.ID, e.base + "/hooks/" + h.Token
}

func post(t *testing.T, url, contentType, body string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

const echoBlueprint = `{"name":"echo","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
 {"id":2,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"201","body":"{{toString(` + "`1`" + `)}}","headers":[{"key":"X-Weft","value":"yes"}]}}],
 "metadata":{"version":1,"instant":true}}`

func TestWebhookRespondsWithTheScenariosResponse(t *testing.T) {
	e := newEnv(t)
	_, url := e.scenario(echoBlueprint)
	code, body, h := post(t, url+"?src=q", "application/json", `{"a":1,"b":[true]}`)
	if code != 201 || h.Get("X-Weft") != "yes" || body != `{"a":1,"b":[true],"src":"q"}` {
		t.Fatalf("%d %q %v", code, body, h)
	}
	// form and multipart payloads
	code, body, _ = post(t, url, "application/x-www-form-urlencoded", "x=1&y=2&y=3")
	if code != 201 || body != `{"x":"1","y":["2","3"]}` {
		t.Fatalf("form: %d %q", code, body)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("name", "ada")
	fw, _ := mw.CreateFormFile("doc", "a.txt")
	fw.Write([]byte("hi"))
	mw.Close()
	code, body, _ = post(t, url, mw.FormDataContentType(), mp.String())
	if code != 201 || !strings.Contains(body, `"name":"ada"`) || !strings.Contains(body, `"doc":{"data":"aGk=","mime":"application/octet-stream","name":"a.txt"}`) {
		t.Fatalf("multipart: %d %q", code, body)
	}
	// a non-object JSON body and a text body arrive as value
	code, body, _ = post(t, url, "application/json", `[1,2]`)
	if code != 201 || body != `{"value":[1,2]}` {
		t.Fatalf("array: %d %q", code, body)
	}
	code, body, _ = post(t, url, "text/plain", `hello`)
	if code != 201 || body != `{"value":"hello"}` {
		t.Fatalf("text: %d %q", code, body)
	}
}

const recordBlueprint = `{"name":"record","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
 {"id":2,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":"seen"},"mapper":{"key":"{{1.id}}","overwrite":false,"data":{"n":"{{1.n}}"}}}],
 "metadata":{"version":1,"instant":true,"scenario":%s}}`

// Without a webhook response module a webhook is answered as Make answers it: 200 with
// the body "Accepted" (not 202, which some senders count as a failed delivery).
func TestWebhookWithoutResponderAnswersAcceptedAndRuns(t *testing.T) {
	e := newEnv(t)
	_, url := e.scenario(fmt.Sprintf(recordBlueprint, "{}"))
	code, body, h := post(t, url, "application/json", `{"id":"k1","n":1}`)
	if code != 200 || body != "Accepted" || h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("%d %q", code, body)
	}
	e.waitFor(func() bool {
		_, err := e.st.GetRecord(t.Context(), "seen", "k1")
		return err == nil
	})
}

func TestWebhookErrors(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxPayload = 100; c.QueueLimit = 1 })
	id, url := e.scenario(fmt.Sprintf(recordBlueprint, "{}"))
	for _, tc := range []struct {
		name, method, url, ctype, body string
		code                           int
	}{
		{"unknown token", "POST", e.base + "/hooks/nope", "application/json", `{}`, 404},
		{"method", "DELETE", url, "", "", 405},
		{"too large", "POST", url, "application/json", `{"x":"` + strings.Repeat("a", 200) + `"}`, 413},
		{"bad json", "POST", url, "application/json", `{"x":`, 400},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(b), `"error":{"code":`) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, b)
		}
	}
	// Queue full: deactivate so payloads wait, then one more than the limit.
	if _, err := e.svc.SetActive(t.Context(), id, false); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := post(t, url, "application/json", `{"id":"q1"}`); code != 200 {
		t.Fatalf("first queued: %d", code)
	}
	code, _, h := post(t, url, "application/json", `{"id":"q2"}`)
	if code != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("queue full: %d %v", code, h)
	}
}

func TestWebhookSignature(t *testing.T) {
	key := []byte("s3cret")
	e := newEnv(t, func(c *server.Config) {
		c.HookSecret = func(context.Context, string) ([]byte, error) { return key, nil }
	})
	_, url := e.scenario(echoBlueprint)
	tok := url[strings.LastIndex(url, "/")+1:]
	h, err := e.st.GetHook(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	h.Secret = []byte("encrypted elsewhere") // marks the hook as signed
	if err := e.st.UpdateHook(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	body := `{"a":1}`
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(body))
	good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if code, _, _ := post(t, url, "application/json", body, "X-Weft-Signature", good); code != 201 {
		t.Fatalf("good signature: %d", code)
	}
	if code, _, _ := post(t, url, "application/json", body, "X-Weft-Signature", "sha256=00"); code != 401 {
		t.Fatalf("bad signature: %d", code)
	}
	if code, _, _ := post(t, url, "application/json", body); code != 401 {
		t.Fatalf("no signature: %d", code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	_, url := e.scenario(echoBlueprint)
	if code, _, _ := post(t, url, "application/json", `{}`); code != 201 { // serving
		t.Fatalf("webhook %d", code)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(e.base + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, err, resp)
		}
		resp.Body.Close()
	}
}

// waitFor re-checks cond each time the server records a run, and fails the test when
// 10 s pass without it holding.
func (e *env) waitFor(cond func() bool) { e.t.Helper(); e.waitForWithin(10*time.Second, cond) }

func (e *env) waitForWithin(d time.Duration, cond func() bool) {
	e.t.Helper()
	timeout := time.After(d)
	for !cond() {
		select {
		case <-e.runs:
		case <-timeout:
			e.t.Fatalf("condition not reached in %s", d)
		}
	}
}

// A deleted scenario's address answers 404 at once, even while its hook is still in the
// server's one-second lookup cache (it answered 503 "try again" in that second, telling
// senders to retry a delivery that can never be stored).
func TestWebhookOfADeletedScenarioAnswers404AtOnce(t *testing.T) {
	e := newEnv(t)
	id, url := e.scenario(fmt.Sprintf(recordBlueprint, "{}"))
	if code, body, _ := post(t, url, "application/json", `{"id":"d1"}`); code != 200 {
		t.Fatalf("before delete: %d %s", code, body)
	}
	if err := e.svc.DeleteScenario(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	code, body, h := post(t, url, "application/json", `{"id":"d2"}`)
	if code != 404 || !strings.Contains(body, `"not_found"`) || h.Get("Retry-After") != "" {
		t.Fatalf("after delete: %d %s (Retry-After %q)", code, body, h.Get("Retry-After"))
	}
}

// The demo's partner refuses the first call of two orders in three and takes their
// retry, so the demo's incomplete executions resolve on their first automatic retry.
func TestDemoPartnerRefusesFirstCallsAndTakesRetries(t *testing.T) {
	e := newEnv(t)
	if _, err := e.srv.Demo(t.Context(), e.base, time.Hour); err != nil {
		t.Fatal(err)
	}
	call := func(order string) int {
		code, _, _ := post(t, e.base+"/demo/flaky-partner", "application/json", `{"orderId":"`+order+`","amount":10}`)
		return code
	}
	var first, retry []int
	for _, o := range []string{"A", "B", "C", "D", "E", "F"} {
		first = append(first, call(o))
	}
	for _, o := range []string{"A", "B", "D", "E"} { // the refused ones, retried
		retry = append(retry, call(o))
	}
	if fmt.Sprint(first) != "[503 503 200 503 503 200]" || fmt.Sprint(retry) != "[200 200 200 200]" {
		t.Fatalf("first calls %v, retries %v", first, retry)
	}
}
