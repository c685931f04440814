package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/sqlite"
)

// benchBlueprint is the scenario `weft bench` drives: webhook → set variables → router
// with a filter → HTTP request to a local stand-in → webhook response (orders under the
// threshold take the fallback route, which answers at once).
const benchBlueprint = `{"name":"weft bench","flow":[
 {"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{},"mapper":{}},
 {"id":2,"module":"util:SetVariables","version":1,"mapper":{"scope":"roundtrip","variables":[
   {"name":"customer","value":"{{upper(1.customer)}}"},{"name":"total","value":"{{1.qty * 1.price}}"}]}},
 {"id":3,"module":"builtin:BasicRouter","version":1,"mapper":null,"parameters":{"else":1},"routes":[
   {"flow":[
     {"id":4,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
      "filter":{"name":"big orders","conditions":[[{"a":"{{2.total}}","o":"number:greater","b":"10"}]]},
      "mapper":{"url":"STANDIN/orders","method":"post","contentType":"json","inputMethod":"jsonString",
        "jsonStringBodyContent":"{\"order\":\"{{1.id}}\",\"customer\":\"{{2.customer}}\",\"total\":{{2.total}}}"}},
     {"id":5,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"200","body":"{\"order\":\"{{1.id}}\",\"partner\":{{4.statusCode}}}"}}]},
   {"flow":[
     {"id":6,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"200","body":"{\"order\":\"{{1.id}}\",\"small\":true}"}}]}]}],
 "metadata":{"version":1,"instant":true,"scenario":{"roundtrips":1,"maxErrors":3,"autoCommit":true,"dlq":true}}}`

func newBenchCmd() *cobra.Command {
	var (
		clients   int
		duration  time.Duration
		rate      float64
		keep      bool
		processes int
	)
	c := &cobra.Command{
		Use:   "bench",
		Short: "Load-test weft: webhook scenario driven over loopback, executions/s and latency",
		Long: "bench starts weft in this process on a fresh SQLite data folder (durable, fsync'd,\n" +
			"execution log on), registers a webhook scenario (webhook → set variables → router\n" +
			"with a filter → HTTP request to a local stand-in → webhook response), and drives it\n" +
			"over loopback with --clients concurrent clients for --duration. With --rate the\n" +
			"clients send at that total rate (open loop) instead of as fast as they can.\n" +
			"It prints executions/s and latency percentiles.\n\n" +
			"With --db postgres://… it starts --processes `weft serve` processes on that database\n" +
			"(use a throwaway one: bench adds a scenario and its runs) and spreads the clients\n" +
			"over them.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if databaseURL(cmd) != "" {
				return runBenchShared(cmd, processes, clients, duration, rate)
			}
			if cmd.Flags().Changed("processes") {
				return fmt.Errorf("--processes: several processes share a PostgreSQL database (--db postgres://…), not the SQLite store of one data folder")
			}
			return runBench(cmd, clients, duration, rate, keep)
		},
	}
	c.Flags().IntVar(&processes, "processes", 1, "with --db: how many weft serve processes share the database")
	c.Flags().IntVar(&clients, "clients", 32, "concurrent clients")
	c.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to drive load")
	c.Flags().Float64Var(&rate, "rate", 0, "total requests per second (0: as fast as possible)")
	c.Flags().BoolVar(&keep, "keep", false, "keep the data folder (printed) instead of deleting it")
	return c
}

func runBench(cmd *cobra.Command, clients int, duration time.Duration, rate float64, keep bool) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	dir, err := os.MkdirTemp("", "weft-bench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(out, "data folder: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	// The partner the scenario calls: a local stand-in on 127.0.0.1.
	partner := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go partner.Serve(pl)
	defer partner.Close()

	st, err := sqlite.Open(ctx, filepath.Join(dir, "weft.db"), sqlite.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := all.WithStore(st)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := service.New(service.Config{Store: st, Registry: reg, Logger: quiet})
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{Service: svc, Store: st, Logger: quiet, MaxInline: 256})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srvCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(srvCtx, ln) }()
	defer func() { stop(); <-served }()

	bp := bytes.ReplaceAll([]byte(benchBlueprint), []byte("STANDIN"), []byte("http://"+pl.Addr().String()))
	sc, err := svc.CreateScenario(ctx, bp, "bench")
	if err != nil {
		return err
	}
	if _, err := svc.SetActive(ctx, sc.ID, true); err != nil {
		return err
	}
	hook, err := svc.EnsureHook(ctx, sc.ID)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String() + "/hooks/" + hook.Token

	fmt.Fprintf(out, "weft bench: %d clients, %s", clients, duration)
	if rate > 0 {
		fmt.Fprintf(out, ", %.0f requests/s", rate)
	}
	fmt.Fprintf(out, ", SQLite (synchronous=FULL), execution log on, GOMAXPROCS=%d\n", runtimeProcs())
	return drive(ctx, out, []string{url}, clients, duration, rate)
}

// drive sends webhooks to urls (client i to urls[i % len]) for duration, as fast as
// they go or at rate per second in all, and prints executions/s and latencies.
func drive(ctx context.Context, out io.Writer, urls []string, clients int, duration time.Duration, rate float64) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2,
		MaxConnsPerHost: clients * 2}, Timeout: 60 * time.Second}

	var (
		mu      sync.Mutex
		lat     []time.Duration
		errs    atomic.Int64
		counter atomic.Int64
	)
	deadline := time.Now().Add(duration)
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		tick = t.C
	}
	jobs := make(chan time.Time, clients*4)
	go func() {
		defer close(jobs)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if tick != nil {
				// Open loop: each request is due at its tick; when the clients fall behind
				// it waits in jobs, and its latency counts from the tick (no coordinated
				// omission).
				jobs <- <-tick
				continue
			}
			jobs <- time.Now()
		}
	}()
	if path := os.Getenv("WEFT_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range clients {
		url := urls[i%len(urls)]
		wg.Go(func() {
			var mine []time.Duration
			for due := range jobs {
				n := counter.Add(1)
				body := fmt.Sprintf(`{"id":"o-%d","customer":"ada %d","qty":%d,"price":%.2f}`, n, n, 1+rand.IntN(5), 1+rand.Float64()*20)
				if rate == 0 {
					due = time.Now()
				}
				resp, err := client.Post(url, "application/json", bytes.NewBufferString(body))
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(due))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Fprintf(out, "executions: %d in %s = %.0f executions/s; errors: %d\n", len(lat), elapsed.Round(time.Millisecond),
		float64(len(lat))/elapsed.Seconds(), errs.Load())
	fmt.Fprintf(out, "latency: p50 %s  p95 %s  p99 %s  max %s\n", pct(.50).Round(10*time.Microsecond),
		pct(.95).Round(10*time.Microsecond), pct(.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	return nil
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
