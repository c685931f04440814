package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Benchmarks run only with -bench (never in `go test`); the large databases are built
// once per process, with one transaction of batched inserts, and removed at exit.
//
//	go test -run '^$' -bench . -benchtime 200x ./store/sqlite

var (
	benchDirOnce sync.Once
	benchDirPath string
)

// benchDir is the folder of the shared benchmark databases, made on first use.
func benchDir(tb testing.TB) string {
	benchDirOnce.Do(func() {
		dir, err := os.MkdirTemp("", "weft-store-bench-")
		if err != nil {
			tb.Fatal(err)
		}
		benchDirPath = dir
	})
	return benchDirPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDirPath != "" {
		os.RemoveAll(benchDirPath)
	}
	os.Exit(code)
}

var benchStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// mixedStatus spreads rows over statuses: 40% unresolved, 40% pending, 15% resolved,
// 5% in progress.
func mixedStatus(n int) weft.IncompleteStatus {
	switch r := n % 20; {
	case r < 8:
		return weft.IncompleteUnresolved
	case r < 16:
		return weft.IncompletePending
	case r < 19:
		return weft.IncompleteResolved
	}
	return weft.IncompleteInProgress
}

// buildIncomplete fills s with n incomplete executions "<prefix>-<i>" over `scenarios`
// new scenarios (row i belongs to the i%scenarios'th, is created i seconds after
// benchStart and, when pending, due up to an hour after that), in one write
// transaction of batched inserts.
func buildIncomplete(tb testing.TB, s *Store, prefix string, n, scenarios int, status func(int) weft.IncompleteStatus) {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	// A large page cache for the build only: the scenario-first indexes take rows in
	// scattered order, and a small cache would spill them to the WAL over and over.
	if _, err := s.writer.ExecContext(ctx, "PRAGMA cache_size = -1048576"); err != nil {
		tb.Fatal(err)
	}
	defer s.writer.ExecContext(ctx, "PRAGMA cache_size = -2000") //nolint:errcheck // back to SQLite's default
	err := s.write(ctx, func(q *queries) error {
		firstScenario := int64(0)
		for i := range scenarios {
			sc := &weft.Scenario{Name: "bench " + strconv.Itoa(i), CreatedAt: benchStart, UpdatedAt: benchStart}
			if err := q.CreateScenario(ctx, sc, []byte(`{"flow":[]}`)); err != nil {
				return err
			}
			if i == 0 {
				firstScenario = sc.ID
			}
		}
		var seqBase int64
		if err := q.db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM incomplete`).Scan(&seqBase); err != nil {
			return err
		}
		const batch = 500
		var ie, body strings.Builder
		var ieArgs, bodyArgs []any
		for lo := 0; lo < n; lo += batch {
			hi := min(lo+batch, n)
			ie.Reset()
			body.Reset()
			ieArgs, bodyArgs = ieArgs[:0], bodyArgs[:0]
			ie.WriteString(`INSERT INTO incomplete (seq, id, scenario_id, execution_id, version,
				failed_module_id, error_type, error_message, status, auto_retry, attempts,
				max_attempts, retry_interval_ns, next_attempt_at, size_bytes, confidential,
				created_at, updated_at, resolved_at, error_details) VALUES `)
			body.WriteString(`INSERT INTO incomplete_body (seq, blueprint, state) VALUES `)
			for i := lo; i < hi; i++ {
				if i > lo {
					ie.WriteByte(',')
					body.WriteByte(',')
				}
				ie.WriteString("(?,?,?,?,1,?,'ConnectionError','connection refused',?,1,0,8,0,?,?,0,?,?,?,NULL)")
				body.WriteString("(?,?,?)")
				seq := seqBase + int64(i) + 1
				st := status(i / scenarios) // a mix within every scenario
				created := toDB(benchStart.Add(time.Duration(i) * time.Second))
				var next, resolved any
				if st == weft.IncompletePending {
					next = created + int64(time.Second/time.Microsecond)*int64(i%3600)
				}
				if st == weft.IncompleteResolved {
					resolved = created
				}
				ieArgs = append(ieArgs, seq, fmt.Sprintf("%s-%08d", prefix, i), firstScenario+int64(i%scenarios),
					fmt.Sprintf("x-%08d", i), 1+i%5, string(st), next, 2048, created, created, resolved)
				bodyArgs = append(bodyArgs, seq, benchBlueprint, benchState)
			}
			if _, err := q.db.ExecContext(ctx, ie.String(), ieArgs...); err != nil {
				return err
			}
			if _, err := q.db.ExecContext(ctx, body.String(), bodyArgs...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("build %d incomplete executions: %v", n, err)
	}
	// What Close does on a live store: gather the planner's statistics.
	if _, err := s.writer.ExecContext(ctx, "PRAGMA optimize"); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("built %d incomplete executions over %d scenarios in %s", n, scenarios, time.Since(start).Round(time.Millisecond))
}

var (
	benchBlueprint = []byte(`{"name":"bench","flow":[{"id":1,"module":"gateway:CustomWebHook"},{"id":2,"module":"http:ActionSendData"}]}`)
	benchState     = []byte(`{"input":{"a":1},"outputs":{"1":[{"id":42}]}}`)
)

// sharedStore opens (building on first use) a database kept for the whole run.
func sharedStore(b *testing.B, name string, build func(*Store)) *Store {
	b.Helper()
	v, _ := shared.LoadOrStore(name, &sharedDB{})
	db := v.(*sharedDB)
	db.once.Do(func() {
		s, err := Open(context.Background(), filepath.Join(benchDir(b), name+".db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		build(s)
		db.s = s
	})
	if db.s == nil {
		b.Fatal("shared database failed to build")
	}
	return db.s
}

type sharedDB struct {
	once sync.Once
	s    *Store
}

var shared sync.Map

// percentiles reports p50 and p99 of the measured latencies, in milliseconds.
func percentiles(b *testing.B, lat []time.Duration) (p50, p99 float64) {
	slices.Sort(lat)
	at := func(p float64) float64 {
		i := min(len(lat)-1, int(p*float64(len(lat))))
		return float64(lat[i]) / float64(time.Millisecond)
	}
	p50, p99 = at(0.50), at(0.99)
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	return p50, p99
}

// BenchmarkCreateIncomplete: one durable insert (fsync'd commit) of an incomplete
// execution with a 4 KiB state, into a store that already holds 10,000.
func BenchmarkCreateIncomplete(b *testing.B) {
	s := sharedStore(b, "create", func(s *Store) {
		buildIncomplete(b, s, "ie", 10_000, 10, mixedStatus)
	})
	ctx := context.Background()
	list, err := s.ListScenarios(ctx)
	if err != nil {
		b.Fatal(err)
	}
	state := []byte(`{"state":"` + strings.Repeat("x", 4096) + `"}`)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ie := &weft.Incomplete{ID: fmt.Sprintf("new-%d-%d", b.N, i), ScenarioID: list[i%len(list)].ID,
			ExecutionID: "x", Version: 1, Blueprint: benchBlueprint, FailedModuleID: 2,
			ErrorType: "ConnectionError", ErrorMessage: "connection refused",
			Status: weft.IncompletePending, AutoRetry: true, MaxAttempts: 8,
			NextAttemptAt: ptrTime(benchStart.Add(time.Minute)), State: state,
			SizeBytes: int64(len(state)), CreatedAt: benchStart, UpdatedAt: benchStart}
		t := time.Now()
		if err := s.CreateIncomplete(ctx, ie); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	percentiles(b, lat)
}

func ptrTime(t time.Time) *time.Time { return &t }

// BenchmarkListIncomplete1M: 50 incomplete executions of one scenario by status, from
// 1,000,000 over 1,000 scenarios; the target is 10 ms.
func BenchmarkListIncomplete1M(b *testing.B) {
	s := sharedStore(b, "list1m", func(s *Store) {
		buildIncomplete(b, s, "ie", 1_000_000, 1000, mixedStatus)
	})
	ctx := context.Background()
	cases := []struct {
		name string
		f    store.IncompleteFilter
	}{
		{"scenario+status", store.IncompleteFilter{ScenarioID: 500, Status: []weft.IncompleteStatus{weft.IncompleteUnresolved}}},
		{"scenario+status+cursor", store.IncompleteFilter{ScenarioID: 500, Status: []weft.IncompleteStatus{weft.IncompleteUnresolved}, After: "ie-00500499"}},
		{"scenario+2statuses", store.IncompleteFilter{ScenarioID: 500, Status: []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending}}},
		{"status", store.IncompleteFilter{Status: []weft.IncompleteStatus{weft.IncompletePending}}},
		{"count scenario+status", store.IncompleteFilter{ScenarioID: 500, Status: []weft.IncompleteStatus{weft.IncompleteUnresolved}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t := time.Now()
				if strings.HasPrefix(c.name, "count") {
					n, err := s.CountIncomplete(ctx, c.f)
					if err != nil || n == 0 {
						b.Fatalf("count: %d, %v", n, err)
					}
				} else {
					list, err := s.ListIncomplete(ctx, c.f)
					if err != nil || len(list) != 50 {
						b.Fatalf("list: %d rows, %v", len(list), err)
					}
				}
				lat = append(lat, time.Since(t))
			}
			if _, p99 := percentiles(b, lat); p99 > 10 && !strings.HasPrefix(c.name, "count") {
				b.Errorf("p99 %.2f ms, target 10 ms", p99)
			}
		})
	}
}

// BenchmarkRequeue100k: retry all of one scenario's 100,000 unresolved incomplete
// executions (and, by ids, 100,000 named ones) in one statement; the target is 10 s.
func BenchmarkRequeue100k(b *testing.B) {
	s := sharedStore(b, "requeue", func(s *Store) {
		buildIncomplete(b, s, "ie", 100_000, 1, func(int) weft.IncompleteStatus { return weft.IncompleteUnresolved })
		buildIncomplete(b, s, "nb", 100_000, 100, mixedStatus) // neighbours
	})
	ctx := context.Background()
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("ie-%08d", i)
	}
	reset := func(b *testing.B) {
		if _, err := s.writer.ExecContext(ctx, `UPDATE incomplete SET status = 'unresolved',
			next_attempt_at = NULL WHERE scenario_id = 1`); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		sel  store.Selection
	}{
		{"all", store.Selection{ScenarioID: 1, All: true}},
		{"ids", store.Selection{IDs: ids}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				reset(b)
				b.StartTimer()
				n, err := s.Requeue(ctx, c.sel, benchStart.Add(time.Duration(i)*time.Minute))
				if err != nil || n != 100_000 {
					b.Fatalf("requeue: %d, %v", n, err)
				}
			}
			if secs := b.Elapsed().Seconds() / float64(b.N); secs > 10 {
				b.Errorf("%.1f s per requeue, target 10 s", secs)
			}
		})
	}
}

// BenchmarkDeleteIncomplete100k: delete all of one scenario's 100,000 incomplete
// executions with their bodies and attempts.
func BenchmarkDeleteIncomplete100k(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, err := Open(ctx, filepath.Join(b.TempDir(), "delete.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		buildIncomplete(b, s, "ie", 100_000, 1, func(int) weft.IncompleteStatus { return weft.IncompleteUnresolved })
		b.StartTimer()
		n, err := s.DeleteIncomplete(ctx, store.Selection{ScenarioID: 1, All: true})
		if err != nil || n != 100_000 {
			b.Fatalf("delete: %d, %v", n, err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkDue1M: ClaimDue and NextDue with 1,000,000 due pending rows over 1,000
// scenarios. Reports the Go heap in use after each call and the process's resident
// memory (SQLite's page cache lives outside the Go heap), in MB.
func BenchmarkDue1M(b *testing.B) {
	s := sharedStore(b, "due1m", func(s *Store) {
		buildIncomplete(b, s, "ie", 1_000_000, 1000, func(int) weft.IncompleteStatus { return weft.IncompletePending })
	})
	ctx := context.Background()
	now := benchStart.Add(365 * 24 * time.Hour) // everything due
	memory := func(b *testing.B, heapPeak uint64) {
		b.ReportMetric(float64(heapPeak)/(1<<20), "heap-MB")
		b.ReportMetric(rssMB(), "rss-MB")
	}
	b.Run("ClaimDue", func(b *testing.B) {
		var peak uint64
		var ms runtime.MemStats
		for b.Loop() {
			got, err := s.ClaimDue(ctx, now, 10, 3, nil)
			if err != nil || len(got) != 10 {
				b.Fatalf("claim: %d, %v", len(got), err)
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			b.StopTimer()
			// Put them back so every claim sees a million pending rows.
			if _, err := s.writer.ExecContext(ctx, `UPDATE incomplete SET status = 'pending' WHERE status = 'in_progress'`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		memory(b, peak)
	})
	b.Run("NextDue", func(b *testing.B) {
		var peak uint64
		var ms runtime.MemStats
		for b.Loop() {
			next, err := s.NextDue(ctx)
			if err != nil || next == nil {
				b.Fatalf("next due: %v, %v", next, err)
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		memory(b, peak)
	})
}

// rssMB is the process's resident set size (Linux), or 0 where unknown.
func rssMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
