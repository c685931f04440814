package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
)

// BenchmarkRunFinished is the observer's cost per recorded run with ten log entries
// (a ten-module scenario): what every run pays for metrics.
func BenchmarkRunFinished(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	m := metrics.New(st, metrics.Options{NoProcess: true, Logger: quiet()})
	res := &engine.Result{Operations: 10, Duration: 30 * time.Millisecond}
	for i := range 10 {
		res.Log = append(res.Log, engine.LogEntry{ModuleID: i + 1, Module: fmt.Sprintf("app:Module%d", i%4), Duration: time.Millisecond})
	}
	ex := &weft.Execution{Kind: weft.KindRun, Status: weft.ExecutionSuccess}
	for b.Loop() {
		m.RunFinished(nil, ex, res)
	}
}

// BenchmarkScrape10k is one /metrics scrape with 10,000 incomplete executions and
// 1,000 queued payloads stored: the store gauges are count queries.
func BenchmarkScrape10k(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	sc := &weft.Scenario{Name: "s", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.CreateScenario(ctx, sc, []byte(`{"flow":[]}`)); err != nil {
		b.Fatal(err)
	}
	ex := &weft.Execution{ID: "ex", ScenarioID: sc.ID, Version: 1, Kind: weft.KindRun, Status: weft.ExecutionWarning, StartedAt: time.Now()}
	if err := st.CreateExecution(ctx, ex); err != nil {
		b.Fatal(err)
	}
	statuses := []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteResolved}
	err = st.InTx(ctx, func(q store.Queries) error {
		for i := range 10_000 {
			now := time.Now()
			ie := &weft.Incomplete{ID: fmt.Sprintf("ie%05d", i), ScenarioID: sc.ID, ExecutionID: "ex", Version: 1,
				Blueprint: []byte(`{}`), State: []byte(`{}`), ErrorType: weft.ConnectionError, Status: statuses[i%3],
				CreatedAt: now, UpdatedAt: now}
			if ie.Status == weft.IncompletePending {
				ie.NextAttemptAt = &now
			}
			if ie.Status == weft.IncompleteResolved {
				ie.ResolvedAt = &now
			}
			if err := q.CreateIncomplete(ctx, ie); err != nil {
				return err
			}
		}
		for range 1000 {
			if err := q.Enqueue(ctx, &weft.QueueItem{ScenarioID: sc.ID, Payload: []byte(`{}`), EnqueuedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	h := metrics.New(st, metrics.Options{NoProcess: true, Logger: quiet()}).Handler()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		io.Discard.Write(w.Body.Bytes())
	}
}
