package metrics_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/notify"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/sqlite"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	st      *sqlite.Store
	svc     *service.Service
	m       *metrics.Metrics
	clock   *clock
	partner *httptest.Server
	status  atomic.Int32
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}}
	e.status.Store(200)
	e.partner = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(e.status.Load()))
	}))
	t.Cleanup(e.partner.Close)
	var err error
	e.st, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	e.m = metrics.New(e.st, metrics.Options{Clock: e.clock.Now, Logger: quiet(), NoProcess: true})
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var ids atomic.Int64
	e.svc, err = service.New(service.Config{Store: e.st, Registry: reg, Clock: e.clock.Now, Logger: quiet(),
		NewID: func() string { return fmt.Sprintf("id%04d", ids.Add(1)) }, Observer: e.m})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) scenario(t *testing.T) int64 {
	t.Helper()
	bp := `{"name":"Orders","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + e.partner.URL + `","method":"get"}},
		{"id":3,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{2.statusCode}}"}}],
		"metadata":{"version":1,"scenario":{"maxErrors":5}}}`
	sc, err := e.svc.CreateScenario(t.Context(), []byte(bp), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetActive(t.Context(), sc.ID, true); err != nil {
		t.Fatal(err)
	}
	return sc.ID
}

func (e *env) run(t *testing.T, id int64, status int) *service.RunResult {
	t.Helper()
	e.status.Store(int32(status))
	rr, err := e.svc.Run(t.Context(), id, []weft.Bundle{{"n": 1}})
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// scrape GETs /metrics from a real HTTP server and returns weft's own samples, sorted,
// without histogram buckets and sums (which hold measured durations).
func scrape(t *testing.T, m *metrics.Metrics) []string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("scrape answered %d: %s", resp.StatusCode, body)
	}
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "weft_") || strings.Contains(line, "_bucket{") || strings.Contains(line, "_sum") {
			continue
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// diff compares a scrape with want; series at zero that want does not list are the
// ones every process starts with (TestSeriesStartAtZero) and are left out.
func diff(t *testing.T, got, want []string) {
	t.Helper()
	slices.Sort(want)
	got = slices.DeleteFunc(slices.Clone(got), func(l string) bool {
		return strings.HasSuffix(l, " 0") && !slices.Contains(want, l)
	})
	if !slices.Equal(got, want) {
		t.Errorf("metrics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMetricsFromRealRuns(t *testing.T) {
	e := newEnv(t)
	id := e.scenario(t)
	e.run(t, id, 200)                          // success
	ieID := e.run(t, id, 503).Incomplete[0].ID // warning: a ConnectionError incomplete execution
	e.run(t, id, 401)                          // warning: an InvalidAccessTokenError pauses the scenario
	e.run(t, id, 500)                          // error: RuntimeError; an instant scenario is deactivated at once
	e.status.Store(200)
	if _, _, err := e.svc.RetryNow(t.Context(), ieID); err != nil { // a retry attempt that resolves it
		t.Fatal(err)
	}
	e.run(t, id, 503) // another pending one, due in a minute
	for _, p := range []int{1, 2} {
		if _, err := e.svc.Enqueue(t.Context(), id, weft.Bundle{"p": p}); err != nil {
			t.Fatal(err)
		}
	}
	e.m.Webhook("accepted")
	e.m.Webhook("accepted")
	e.m.Webhook("unauthorized")

	want := []string{
		`weft_runs_total{kind="run",status="success"} 1`,
		`weft_runs_total{kind="run",status="warning"} 3`,
		`weft_runs_total{kind="run",status="error"} 1`,
		`weft_runs_total{kind="retry",status="success"} 1`,
		`weft_run_duration_seconds_count{kind="run"} 5`,
		`weft_run_duration_seconds_count{kind="retry"} 1`,
		`weft_operations_total 13`, // 3 + 2 for each run that failed at module 2 + 2 for the retry from module 2
		`weft_incomplete_stored_total{error_type="ConnectionError"} 2`,
		`weft_incomplete_stored_total{error_type="InvalidAccessTokenError"} 1`,
		`weft_scenario_deactivations_total{state="paused"} 1`,
		`weft_scenario_deactivations_total{state="deactivated"} 1`,
		`weft_module_duration_seconds_count{module="gateway:CustomWebHook"} 5`,
		`weft_module_duration_seconds_count{module="http:MakeRequest"} 6`,
		`weft_module_duration_seconds_count{module="util:ComposeTransformer"} 2`,
		`weft_module_errors_total{error_type="ConnectionError",module="http:MakeRequest"} 2`,
		`weft_module_errors_total{error_type="InvalidAccessTokenError",module="http:MakeRequest"} 1`,
		`weft_module_errors_total{error_type="RuntimeError",module="http:MakeRequest"} 1`,
		`weft_webhook_requests_total{outcome="accepted"} 2`,
		`weft_webhook_requests_total{outcome="unauthorized"} 1`,
		`weft_incomplete_executions{status="unresolved"} 1`,
		`weft_incomplete_executions{status="pending"} 1`,
		`weft_incomplete_executions{status="in_progress"} 0`,
		`weft_incomplete_executions{status="resolved"} 1`,
		`weft_retry_queue_depth 0`,
		`weft_webhook_queue_depth 2`,
		`weft_metrics_store_errors_total 0`,
		// The last 503 opened the partner's circuit breaker (the retry's success had
		// closed the first one); its pending incomplete execution waits behind it.
		`weft_circuit_breakers_open 1`,
		`weft_circuit_breaker_waiting{key="host:` + strings.TrimPrefix(e.partner.URL, "http://") + `"} 1`,
	}
	diff(t, scrape(t, e.m), want)

	// A minute later the pending retry is due: the gauge is read at scrape time.
	e.clock.Add(time.Minute)
	got := scrape(t, e.m)
	if !slices.Contains(got, `weft_retry_queue_depth 1`) {
		t.Errorf("retry queue depth after a minute: %v", got)
	}
}

func TestDeactivation(t *testing.T) {
	e := newEnv(t)
	id := e.scenario(t)
	// A webhook scenario is deactivated by its first error run; the second run (asked
	// for directly) finds it inactive and deactivates nothing more.
	e.run(t, id, 500)
	e.run(t, id, 500)
	got := scrape(t, e.m)
	for _, w := range []string{`weft_scenario_deactivations_total{state="deactivated"} 1`, `weft_runs_total{kind="run",status="error"} 2`} {
		if !slices.Contains(got, w) {
			t.Errorf("missing %s in %v", w, got)
		}
	}
}

// TestScrapeSurvivesAStoreFailure: with the store closed, the scrape still answers;
// the store gauges are left out and the failures counted.
func TestScrapeSurvivesAStoreFailure(t *testing.T) {
	e := newEnv(t)
	e.m.Webhook("accepted")
	e.st.Close()
	diff(t, scrape(t, e.m), []string{
		`weft_operations_total 0`,
		`weft_webhook_requests_total{outcome="accepted"} 1`,
		`weft_metrics_store_errors_total 7`, // 4 statuses, due, queue, breakers
	})
}

func TestNotifierCounts(t *testing.T) {
	e := newEnv(t)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer receiver.Close()
	n := notify.New(receiver.URL, nil, quiet(), notify.Options{QueueSize: 1})
	e.m.Notifications(n.Stats)
	n.Send(notify.Event{Event: "x"})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	n.Send(notify.Event{Event: "late"}) // dropped: closed
	got := scrape(t, e.m)
	for _, w := range []string{`weft_notifications_total{outcome="sent"} 1`, `weft_notifications_total{outcome="failed"} 0`,
		`weft_notifications_total{outcome="dropped"} 1`, `weft_notification_queue_depth 0`} {
		if !slices.Contains(got, w) {
			t.Errorf("missing %s in\n%s", w, strings.Join(got, "\n"))
		}
	}
}

func TestProcessCollectors(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(metrics.New(st, metrics.Options{Logger: quiet()}).Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, w := range []string{"go_goroutines ", "process_resident_memory_bytes ", "weft_webhook_queue_depth 0"} {
		if !strings.Contains(string(body), w) {
			t.Errorf("no %q in the scrape", w)
		}
	}
}

// A fresh process exports its counters' known series at zero, so that increase() sees
// the first deactivation, the first refused webhook, the first error of a kind.
func TestSeriesStartAtZero(t *testing.T) {
	e := newEnv(t)
	got := scrape(t, e.m)
	for _, want := range []string{
		`weft_scenario_deactivations_total{state="deactivated"} 0`,
		`weft_scenario_deactivations_total{state="paused"} 0`,
		`weft_runs_total{kind="run",status="error"} 0`,
		`weft_runs_total{kind="retry",status="warning"} 0`,
		`weft_incomplete_stored_total{error_type="ConnectionError"} 0`,
		`weft_incomplete_stored_total{error_type="InvalidAccessTokenError"} 0`,
		`weft_webhook_requests_total{outcome="accepted"} 0`,
		`weft_webhook_requests_total{outcome="queue_full"} 0`,
		`weft_webhook_requests_total{outcome="busy"} 0`,
		`weft_webhook_requests_total{outcome="not_found"} 0`,
	} {
		if !slices.Contains(got, want) {
			t.Errorf("a fresh scrape lacks %s:\n%s", want, strings.Join(got, "\n"))
		}
	}
}
