package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/internal/pgtest"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
)

// The million-retry database is built by a child process (this test binary run with
// WEFT_BUILD_1M set), so the measuring process starts with nothing in memory.
const build1MEnv = "WEFT_BUILD_1M"

const pending1M, due1M, scenarios1M = 1_000_000, 1_000, 1_000

func TestMain(m *testing.M) {
	if path := os.Getenv(build1MEnv); path != "" {
		if err := build1M(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(pgtest.Main(m)) // stops the private PostgreSQL of shared_test.go
}

var memoryBlueprint = []byte(`{"name":"m","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
	{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"x {{1.n}}"}}],"metadata":{"version":1}}`)

// build1M stores 1,000 scenarios and 1,000,000 pending incomplete executions of them,
// due in a day, plus 1,000 due now whose continuation succeeds.
func build1M(path string) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	later := now.Add(24 * time.Hour)
	state := []byte(`{"module":2,"outputs":{"1":{"n":1}},"branches":{},"variables":{},"loops":[],"cycle":1}`)
	var ids []int64
	for i := 0; i < scenarios1M; i++ {
		sc := &weft.Scenario{Name: fmt.Sprint("s", i), CreatedAt: now, UpdatedAt: now}
		if err := st.CreateScenario(ctx, sc, memoryBlueprint); err != nil {
			return err
		}
		ids = append(ids, sc.ID)
	}
	const batch = 10_000
	for start := 0; start < pending1M+due1M; start += batch {
		err := st.InTx(ctx, func(q store.Queries) error {
			for i := start; i < min(start+batch, pending1M+due1M); i++ {
				next := later
				if i >= pending1M {
					next = now.Add(-time.Minute)
				}
				ie := &weft.Incomplete{ID: fmt.Sprintf("ie%07d", i), ScenarioID: ids[i%len(ids)], ExecutionID: "e",
					Version: 1, Blueprint: memoryBlueprint, FailedModuleID: 2, ErrorType: weft.ConnectionError,
					ErrorMessage: "refused", Status: weft.IncompletePending, AutoRetry: true, MaxAttempts: 8,
					NextAttemptAt: &next, State: state, SizeBytes: int64(len(state) + len(memoryBlueprint)),
					CreatedAt: now, UpdatedAt: now}
				if err := q.CreateIncomplete(ctx, ie); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkWorker1MPending: weft's memory with 1,000,000 retries pending. The worker
// carries out the 1,000 due ones and asks for the next due time; the schedule stays in
// the database. Reports the process's peak RSS (VmHWM) and Go heap.
//
//	go test -run '^$' -bench Worker1MPending -benchtime 1x ./service
func BenchmarkWorker1MPending(b *testing.B) {
	path := filepath.Join(b.TempDir(), "weft.db")
	start := time.Now()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), build1MEnv+"="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build the database: %v\n%s", err, out)
	}
	b.Logf("built 1,000,000 pending incomplete executions in %s", time.Since(start).Round(time.Second))
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reg, err := all.WithStore(st)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := service.New(service.Config{Store: st, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		done := 0
		for {
			n, err := svc.RunDue(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
			done += n
		}
		if done != due1M {
			b.Fatalf("carried out %d retries, want %d", done, due1M)
		}
		if next, err := st.NextDue(ctx); err != nil || next == nil {
			b.Fatalf("next due %v %v", next, err)
		}
	}
	b.StopTimer()
	n, _ := st.CountIncomplete(ctx, store.IncompleteFilter{Status: []weft.IncompleteStatus{weft.IncompletePending}})
	if n != pending1M {
		b.Fatalf("%d pending, want %d", n, pending1M)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(procKB("VmHWM"))/1024, "peak-RSS-MB")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
}

func procKB(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return -1
}
