package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/weftworks/weft/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Environment knobs.
const (
	webhooksEnv = "WEFT_CLUSTER_WEBHOOKS" // how many webhooks (default 5,000)
	debugEnv    = "WEFT_CLUSTER_DEBUG"    // log progress
)

// The timeline, from the first webhook: the victim is killed twice, the once-schedules
// fire away from the kills (a process killed between claiming a tick and recording its
// run loses that tick, as Make skips missed ticks: the test does not aim at that gap),
// and the webhooks are spread over sendFor.
var (
	sendFor = 40 * time.Second
	kills   = []time.Duration{10 * time.Second, 26 * time.Second}
	// retryWait: how long a kill waits for the victim to hold a retry attempt as
	// well as a run; the once-schedules keep clear of kills+retryWait.
	retryWait = 4 * time.Second
	onceAt    = []time.Duration{4 * time.Second, 7 * time.Second, 15 * time.Second, 17 * time.Second,
		20 * time.Second, 31 * time.Second, 34 * time.Second, 38 * time.Second}
)

// TestThreeProcessesOnePostgres is issue 13's "Done when": three `weft serve` processes
// (two of role all, one api) on one PostgreSQL database take thousands of webhooks
// round-robin while scenarios fail in every way; one process is killed with SIGKILL
// twice (and started again); then every acknowledged payload must have run exactly
// once or be an incomplete execution, no incomplete execution may be stored twice,
// every due retry must have run once, every schedule fired once per tick, no two
// runs of one payload (or two retries) may ever have overlapped, and no scenario may
// have had more than three retries running at once in the whole cluster.
func TestThreeProcessesOnePostgres(t *testing.T) {
	n := 5000
	if v := os.Getenv(webhooksEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			t.Fatalf("%s=%q: want a number of at least 100", webhooksEnv, v)
		}
	}
	dbURL := pgtest.NewDatabase(t)
	ctx := t.Context()
	logs := t.TempDir()
	cli := weftCLI{bin: buildWeft(t), db: dbURL, data: t.TempDir()}
	stand := newStandIn(t, "seq")
	scs := scenarios(onceAt)
	byName := map[string]*scenario{}
	for _, sc := range scs {
		byName[sc.Name] = sc
	}
	setUp(t, cli, scs, stand.URL())
	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	p1 := cli.startServer(t, "p1", "all", filepath.Join(logs, "p1.log"))
	victim := cli.startServer(t, "p2", "all", filepath.Join(logs, "p2.log"))
	p3 := cli.startServer(t, "p3", "api", filepath.Join(logs, "p3.log"))
	servers := []*server{p1, victim, p3}
	var serversMu sync.Mutex

	// Schedules go in through the API of the api process.
	var tok struct {
		Token string `json:"token"`
	}
	cli.runJSON(t, &tok, "tokens", "create", "--name", "cluster test", "--scopes", "scenarios:read,scenarios:write", "--json")
	start := time.Now()
	for _, sc := range scs {
		switch {
		case sc.Once > 0:
			at := start.Add(sc.Once).UTC().Format(time.RFC3339Nano)
			apiPut(t, p3.base, tok.Token, sc.ID, `{"type":"once","at":"`+at+`"}`)
		case sc.Interval:
			apiPut(t, p3.base, tok.Token, sc.ID, `{"type":"interval","interval":1}`)
		}
	}
	var tickFirst time.Time
	if err := db.QueryRow(ctx, `SELECT next_run_at FROM scenario WHERE id = $1`, byName["tick"].ID).Scan(&tickFirst); err != nil {
		t.Fatal(err)
	}

	// The sender: n webhooks over sendFor, round-robin over the three processes; one
	// that gets no 200 (its process was killed, or busy) is sent again as a new payload.
	var (
		payloads []*payload
		pmu      sync.Mutex
		sent     atomic.Int64
		refused  atomic.Int64
	)
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := range 24 {
		wg.Go(func() {
			for i := range jobs {
				for attempt := 0; ; attempt++ {
					p := newPayload(i, byName, attempt)
					serversMu.Lock()
					srv := servers[(i+attempt+w)%len(servers)]
					serversMu.Unlock()
					status, body, err := post(ctx, client, srv.base+p.Scen.HookURL, p.body())
					sent.Add(1)
					pmu.Lock()
					payloads = append(payloads, p)
					pmu.Unlock()
					if err == nil && status == http.StatusOK {
						p.Acked, p.Body = true, body
						break
					}
					refused.Add(1)
					if ctx.Err() != nil {
						return
					}
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		tick := time.NewTicker(sendFor / time.Duration(n))
		defer tick.Stop()
		for i := range n {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
			jobs <- i
		}
	}()

	// The kills: SIGKILL, once the victim holds runs (and, if it can be had within a
	// few seconds, a retry attempt) in flight, then a new process in its place.
	var killed []string
	for k, at := range kills {
		if d := time.Until(start.Add(at)); d > 0 {
			<-time.After(d)
		}
		id := processID(t, db, victim)
		// Retry attempts are short (most answer in milliseconds), so catching one in
		// flight can take a while: 2 s missed both times in one run out of five.
		holdsWork(t, db, id, retryWait)
		if err := victim.stop(syscall.SIGKILL, 10*time.Second); err != nil && !isKilled(err) {
			t.Fatalf("kill %s: %v\n%s", victim.name, err, tail(victim.log))
		}
		killed = append(killed, id)
		t.Logf("killed %s (process %s) at %s", victim.name, id, time.Since(start).Round(time.Millisecond))
		name := fmt.Sprintf("p2-%d", k+1)
		victim = cli.startServer(t, name, "all", filepath.Join(logs, name+".log"))
		serversMu.Lock()
		servers[1] = victim
		serversMu.Unlock()
	}
	wg.Wait()
	t.Logf("%d webhooks sent (%d not acknowledged and sent again) in %s", sent.Load(), refused.Load(), time.Since(start).Round(time.Millisecond))

	// Everything finishes: no run, retry or queued payload left, every schedule fired.
	waitIdle(t, db, byName, tickFirst, 3*time.Minute)
	if err := stand.waitIdle(15 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*server{p1, victim, p3} {
		if s.exited() {
			t.Fatalf("%s exited on its own: %v\n%s", s.name, s.err, tail(s.log))
		}
		if err := s.stop(syscall.SIGTERM, 30*time.Second); err != nil {
			t.Fatalf("%s did not stop cleanly: %v\n%s", s.name, err, tail(s.log))
		}
	}
	t.Logf("finished after %s", time.Since(start).Round(time.Millisecond))

	w := loadWorld(t, db)
	reqs, overlaps := stand.snapshot()
	probs := check(payloads, scs, w, reqs, overlaps, tickFirst)
	checkTakeovers(probs, logs, killed)
	t.Logf("%d payloads (%d acknowledged), %d calls to the stand-in, %d executions (%d interrupted runs, %d interrupted attempts), %d incomplete executions, at most %d retries of one scenario at once",
		len(payloads), countAcked(payloads), len(reqs), len(w.execs), probs.interruptedRuns, probs.interruptedAttempts, len(w.ies), probs.mostRetries)
	if probs.interruptedRuns == 0 {
		probs.add("no kill interrupted a run: the test proved nothing about takeovers")
	}
	if probs.interruptedAttempts == 0 {
		probs.add("no kill interrupted a retry attempt: the test proved nothing about retries in flight")
	}
	if len(probs.list) > 0 {
		const show = 40
		msg := probs.list
		if len(msg) > show {
			msg = append(msg[:show:show], fmt.Sprintf("… and %d more", len(probs.list)-show))
		}
		t.Fatalf("%d invariant violation(s); weft's logs are in %s:\n  %s", len(probs.list), logs, strings.Join(msg, "\n  "))
	}
}

func post(ctx context.Context, c *http.Client, url string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func apiPut(t *testing.T, base, token string, id int64, body string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, fmt.Sprintf("%s/api/v1/scenarios/%d/schedule", base, id), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT schedule of scenario %d: %d %s", id, resp.StatusCode, b)
	}
}

// processID is a server's id in the process table (by its pid).
func processID(t *testing.T, db *pgxpool.Pool, s *server) string {
	t.Helper()
	var id string
	if err := db.QueryRow(t.Context(), `SELECT id FROM process WHERE pid = $1 AND role = 'all'`, s.cmd.Process.Pid).Scan(&id); err != nil {
		var rows []string
		r, _ := db.Query(t.Context(), `SELECT id || ' ' || pid || ' ' || role || ' ' || expires_at FROM process`)
		for r.Next() {
			var line string
			_ = r.Scan(&line)
			rows = append(rows, line)
		}
		r.Close()
		t.Fatalf("process row of %s (pid %d): %v; the process table: %q\n%s", s.name, s.cmd.Process.Pid, err, rows, tail(s.log))
	}
	return id
}

// holdsWork waits until the process owns a running run, and for a while also a running
// retry attempt, so the kill interrupts both kinds of work. Polling the database of
// external processes, with a deadline.
func holdsWork(t *testing.T, db *pgxpool.Pool, id string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var runs, retries int
		err := db.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE kind = 'run'), count(*) FILTER (WHERE kind = 'retry')
			FROM execution WHERE status = 'running' AND owner = $1`, id).Scan(&runs, &retries)
		if err != nil {
			t.Fatal(err)
		}
		if (runs > 0 && retries > 0) || (runs > 0 && time.Now().After(deadline)) {
			return
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("process %s ran nothing for 15 s", id)
		}
		<-time.After(20 * time.Millisecond)
	}
}

// waitIdle waits until nothing is left to do: no running execution, no retry pending or
// in progress, an empty queue, every once-schedule fired and the interval schedule
// past its first tick. Polling the database of external processes, with a deadline.
func waitIdle(t *testing.T, db *pgxpool.Pool, scs map[string]*scenario, tickFirst time.Time, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var onceIDs []int64
	for _, sc := range scs {
		if sc.Once > 0 {
			onceIDs = append(onceIDs, sc.ID)
		}
	}
	var last string
	for time.Now().Before(deadline) {
		var running, open, queued, unfired int
		var tickNext time.Time
		err := db.QueryRow(t.Context(), `SELECT
			(SELECT count(*) FROM execution WHERE status = 'running'),
			(SELECT count(*) FROM incomplete WHERE status IN ('pending', 'in_progress')),
			(SELECT count(*) FROM queue_item),
			(SELECT count(*) FROM unnest($1::bigint[]) s(id) WHERE NOT EXISTS (SELECT 1 FROM execution e WHERE e.scenario_id = s.id)),
			(SELECT next_run_at FROM scenario WHERE id = $2)`, onceIDs, scs["tick"].ID).Scan(&running, &open, &queued, &unfired, &tickNext)
		if err != nil {
			t.Fatal(err)
		}
		last = fmt.Sprintf("%d running, %d retries open, %d queued, %d once-schedules unfired, tick next at %s (first %s)",
			running, open, queued, unfired, tickNext.Format(time.RFC3339), tickFirst.Format(time.RFC3339))
		if os.Getenv(debugEnv) != "" {
			t.Log(last)
		}
		if running == 0 && open == 0 && queued == 0 && unfired == 0 && tickNext.After(tickFirst) {
			return
		}
		<-time.After(200 * time.Millisecond)
	}
	t.Fatalf("not idle within %s: %s", within, last)
}

func countAcked(ps []*payload) int {
	n := 0
	for _, p := range ps {
		if p.Acked {
			n++
		}
	}
	return n
}
