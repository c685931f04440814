package crash

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store/sqlite"
)

// Environment knobs (see docs/incomplete-executions.md, "Crash safety").
const (
	seedEnv  = "WEFT_CRASH_SEED"  // replay a run's kill times
	killsEnv = "WEFT_CRASH_KILLS" // how many SIGKILLs (default 50)
	dataEnv  = "WEFT_CRASH_DATA"  // keep the data folder here for a look afterwards
	debugEnv = "WEFT_CRASH_DEBUG" // log each round's progress
)

// TestNothingLostUnderSIGKILL is SPEC §5.7 end to end: `weft work` is killed with
// SIGKILL at random moments while it runs a few hundred payloads through six
// scenarios (and now and then stopped with SIGTERM), then runs until idle, and the
// database must account for every payload, run, incomplete execution and attempt.
func TestNothingLostUnderSIGKILL(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(seedEnv); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, v, err)
		}
	}
	kills := 50
	if v := os.Getenv(killsEnv); v != "" {
		var err error
		if kills, err = strconv.Atoi(v); err != nil || kills < 1 {
			t.Fatalf("%s=%q: want a positive number", killsEnv, v)
		}
	}
	t.Logf("seed %d (replay the kill times with %s=%d)", seed, seedEnv, seed)

	data := t.TempDir()
	if keep := os.Getenv(dataEnv); keep != "" {
		data = keep
	}
	h := &harness{t: t, ctx: t.Context(), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		cli: weftCLI{bin: buildWeft(t), data: data}, dbPath: filepath.Join(data, "weft.db"), logs: t.TempDir(),
		stand: newStandIn(t, "seq"), pl: newPlan()}
	pl := h.pl
	inProcess := slices.Clone(pl.payloads)
	cliPayloads := pl.cliPayloads(10)
	late := pl.latePayloads()
	setUp(t, h.cli, pl, h.stand.URL())
	h.enq = newEnqueuer(t, h.dbPath)
	wave := waves(inProcess, pl.scenarios, kills)
	handlers := pl.scenario("handlers")

	started := time.Now()
	h.enq.enqueue(t, pl, wave[0]) // the first payloads wait before weft ever starts
	for i := range kills {
		var viaCLI *payload // every fifth round a person's `weft enqueue` writes too
		if i%5 == 4 && len(cliPayloads) > 0 {
			viaCLI, cliPayloads = cliPayloads[0], cliPayloads[1:]
		}
		batch := wave[i]
		if i == 0 {
			batch = nil // enqueued above
		}
		h.killRound(i, batch, viaCLI)
		// Break retries a minute later at best: every tenth round a person asks for its
		// incomplete executions to run now (the command also recovers the kill).
		if i%10 == 9 {
			h.personRetries(handlers)
		}
		if i%8 == 7 {
			h.gracefulRound(i)
		}
	}
	for _, p := range cliPayloads { // fewer rounds than payloads: enqueue the rest now
		enqueueCLI(t, h.cli, pl, p)
	}
	// Calls that hang past their module's timeout are mostly killed in the rounds
	// above; these arrive now, so the uninterrupted run below times them out for sure.
	h.enq.enqueue(t, pl, late)
	t.Logf("%d kills and %d graceful stops in %s", kills, h.graceful, time.Since(started).Round(time.Millisecond))

	// Let weft finish. Break's incomplete executions wait a minute between attempts, so
	// once everything else is done a person retries them and weft runs once more.
	finish := time.Now()
	if pending := runUntilIdle(t, h.cli, h.dbPath, filepath.Join(h.logs, "final-1.log"), handlers.ID); pending > 0 {
		h.personRetries(handlers)
		if left := runUntilIdle(t, h.cli, h.dbPath, filepath.Join(h.logs, "final-2.log"), 0); left != 0 {
			t.Fatalf("%d incomplete execution(s) still pending", left)
		}
	}
	t.Logf("finished the work in %s", time.Since(finish).Round(time.Millisecond))
	if err := h.stand.waitIdle(15 * time.Second); err != nil {
		t.Fatal(err)
	}

	probs := h.verify(len(late))
	if len(probs.list) > 0 {
		const show = 40
		msg := probs.list
		if len(msg) > show {
			msg = append(msg[:show:show], fmt.Sprintf("… and %d more", len(probs.list)-show))
		}
		t.Fatalf("seed %d: %d invariant violation(s); weft's logs are in %s:\n  %s", seed, len(probs.list), h.logs, strings.Join(msg, "\n  "))
	}
}

// harness is one crash test: the binary, its data folder, the stand-in and the plan.
type harness struct {
	t        *testing.T
	ctx      context.Context
	rng      *rand.Rand
	cli      weftCLI
	dbPath   string
	logs     string
	stand    *standIn
	pl       *plan
	enq      *enqueuer
	graceful int
}

// killRound starts weft, enqueues the round's payloads while it works, and kills it
// with SIGKILL after a random time.
func (h *harness) killRound(i int, wave []*payload, viaCLI *payload) {
	t := h.t
	logPath := filepath.Join(h.logs, fmt.Sprintf("work-%02d.log", i))
	w := h.cli.startWorker(t, logPath)
	h.enq.enqueue(t, h.pl, wave)
	if viaCLI != nil {
		enqueueCLI(t, h.cli, h.pl, viaCLI)
	}
	select {
	case <-time.After(killAfter(h.rng)):
	case <-w.done:
		w.exit = true
		t.Fatalf("round %d: weft work exited on its own before the kill:\n%s", i, tail(logPath, 4000))
	}
	if err := w.stop(syscall.SIGKILL, 10*time.Second); err != nil && !isKilled(err) {
		t.Fatalf("round %d: %v\n%s", i, err, tail(logPath, 4000))
	}
	h.afterStop(fmt.Sprintf("round %d", i), logPath)
	// Every other round, look at what the kill left before weft recovers it (the
	// other rounds leave the WAL for weft itself to recover).
	if i%2 == 1 {
		afterKill(t, h.ctx, h.pl, h.dbPath, i)
	}
}

// gracefulRound lets weft start, work a random time, and stops it with SIGTERM: it
// must exit cleanly, leaving what it interrupted for the next start to recover.
func (h *harness) gracefulRound(i int) {
	t := h.t
	logPath := filepath.Join(h.logs, fmt.Sprintf("work-%02d-term.log", i))
	w := h.cli.startWorker(t, logPath)
	select {
	case <-w.ready: // SIGTERM before its handler is in place would kill it outright
	case <-w.done:
		w.exit = true
		t.Fatalf("round %d: weft work exited on its own:\n%s", i, tail(logPath, 4000))
	case <-time.After(30 * time.Second):
		t.Fatalf("round %d: weft work did not start within 30 s:\n%s", i, tail(logPath, 4000))
	}
	<-time.After(killAfter(h.rng))
	if err := w.stop(syscall.SIGTERM, 20*time.Second); err != nil {
		t.Fatalf("round %d: weft work did not stop cleanly on SIGTERM: %v\n%s", i, err, tail(logPath, 4000))
	}
	h.graceful++
	h.afterStop(fmt.Sprintf("round %d (SIGTERM)", i), logPath)
}

// afterStop waits for the stand-in to finish the dead process's calls (so they do not
// count as overlapping the next process's).
func (h *harness) afterStop(round, logPath string) {
	t := h.t
	if err := h.stand.waitIdle(15 * time.Second); err != nil {
		t.Fatalf("%s: %v", round, err)
	}
	if os.Getenv(debugEnv) != "" {
		calls, _ := h.stand.snapshot()
		st, err := sqlite.Open(h.ctx, h.dbPath, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		running, _ := st.RunningExecutions(h.ctx)
		st.Close()
		t.Logf("%s: %d calls so far, %d execution(s) running at the stop; log %s", round, len(calls), len(running), logPath)
	}
}

// personRetries is `weft incomplete retry --scenario ID --all --no-wait`: every
// unresolved or pending incomplete execution of the scenario is due now, for the
// worker (the job the command answers is not followed).
func (h *harness) personRetries(sc *scenario) {
	h.t.Helper()
	var out struct {
		Kind  string `json:"kind"`
		Total *int   `json:"total"`
	}
	if err := h.cli.runJSON(h.t, &out, "incomplete", "retry", "--scenario", strconv.FormatInt(sc.ID, 10), "--all", "--no-wait", "--json"); err != nil {
		h.t.Fatal(err)
	}
	if out.Kind != "retry" || out.Total == nil {
		h.t.Fatalf("weft incomplete retry --all --no-wait --json did not answer a retry job: %+v", out)
	}
}

// verify reads the database after the last process ended and checks every invariant.
func (h *harness) verify(lateHangs int) *problems {
	t := h.t
	st, err := sqlite.Open(h.ctx, h.dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := loadWorld(h.ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	reqs, overlaps := h.stand.snapshot()
	probs, s := check(h.pl, w, reqs, overlaps)
	t.Logf("%d calls to the stand-in; %d runs (%d interrupted), %d retry attempts (%d interrupted); executions by status %v",
		len(reqs), s.runs, s.interruptedRuns, s.retries, s.interruptedAttempts, s.byStatus)
	t.Logf("%d incomplete executions (%d resolved, %d unresolved) by error type %v", s.ies, s.resolved, s.unresolved, s.byErrorType)
	if n := s.byErrorType[weft.ModuleTimeoutError]; n < lateHangs {
		probs.add("%d incomplete execution(s) with a ModuleTimeoutError, want at least %d (the late hanging payloads)", n, lateHangs)
	}
	if s.interruptedRuns == 0 {
		probs.add("no kill interrupted a run: the test proved nothing about crashes")
	}
	return probs
}

// killAfter is how long a worker lives before it is stopped: mostly 30–400 ms,
// sometimes up to 1.5 s so that a call hanging past its module's 1 s timeout can time
// out before the kill.
func killAfter(rng *rand.Rand) time.Duration {
	if rng.IntN(100) < 15 {
		return time.Duration(400+rng.IntN(1100)) * time.Millisecond
	}
	return time.Duration(30+rng.IntN(371)) * time.Millisecond
}

// isKilled: the process ended by SIGKILL (what stop reports after a kill).
func isKilled(err error) bool {
	var ee interface{ Sys() any }
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			return ws.Signaled() && ws.Signal() == syscall.SIGKILL
		}
	}
	return false
}
