package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// BenchmarkConcurrentWrites measures the server's write load: 64 goroutines, each
// recording executions the way the service does — CreateExecution (fsync'd before the
// run starts), then one InTx that finishes the execution, deletes the queued payload
// it consumed and queues the next one. Two write transactions per execution.
//
//	go test -run '^$' -bench ConcurrentWrites -benchtime 20000x ./store/sqlite
func BenchmarkConcurrentWrites(b *testing.B) {
	const goroutines = 64
	ctx := context.Background()
	s := openTemp(b)
	scenarios := make([]int64, goroutines)
	items := make([]int64, goroutines)
	for g := range goroutines {
		sc := &weft.Scenario{Name: fmt.Sprintf("bench %d", g), Active: true, CreatedAt: benchStart, UpdatedAt: benchStart}
		if err := s.CreateScenario(ctx, sc, []byte(`{"flow":[]}`)); err != nil {
			b.Fatal(err)
		}
		it := &weft.QueueItem{ScenarioID: sc.ID, Payload: json.RawMessage(`{"n":0}`), EnqueuedAt: benchStart}
		if err := s.Enqueue(ctx, it); err != nil {
			b.Fatal(err)
		}
		scenarios[g], items[g] = sc.ID, it.ID
	}
	input := json.RawMessage(`[{"body":{"order":"` + strings.Repeat("x", 200) + `"}}]`)
	log := json.RawMessage(`{"modules":[` + strings.Repeat(`{"id":1,"operations":1,"output":"ok"},`, 20) + `{}]}`)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	batches0, funcs0 := s.w.batches.Load(), s.w.funcs.Load()
	b.ResetTimer()
	start := time.Now()
	for g := range goroutines {
		wg.Go(func() {
			item := items[g]
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				now := benchStart.Add(time.Duration(n) * time.Millisecond)
				e := &weft.Execution{ID: fmt.Sprintf("e%d", n), ScenarioID: scenarios[g], Version: 1,
					Kind: weft.KindRun, Status: weft.ExecutionRunning, Input: input, QueueItemID: item, StartedAt: now}
				if err := s.CreateExecution(ctx, e); err != nil {
					errs <- err
					return
				}
				err := s.InTx(ctx, func(q store.Queries) error {
					e.Status, e.Operations, e.Log, e.FinishedAt = weft.ExecutionSuccess, 3, log, &now
					if err := q.UpdateExecution(ctx, e); err != nil {
						return err
					}
					if err := q.DeleteQueued(ctx, item); err != nil {
						return err
					}
					it := &weft.QueueItem{ScenarioID: scenarios[g], Payload: json.RawMessage(`{"n":1}`), EnqueuedAt: now}
					if err := q.Enqueue(ctx, it); err != nil {
						return err
					}
					item = it.ID
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	perSec := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(perSec, "executions/s")
	b.ReportMetric(2*perSec, "writes/s")
	if n := s.w.batches.Load() - batches0; n > 0 {
		b.ReportMetric(float64(s.w.funcs.Load()-funcs0)/float64(n), "writes/commit")
	}
}
