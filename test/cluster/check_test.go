package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// world is what the database holds once every process stopped.
type world struct {
	execs    map[string]*execRow
	ies      map[string]*ieRow
	attempts map[string][]attemptRow // by incomplete execution
	scNext   map[int64]*time.Time
}

type execRow struct {
	ID, Kind, Status, ErrMsg, IncompleteID string
	ScenarioID, QueueItemID                int64
	Started                                time.Time
	Finished                               *time.Time
}

// interrupted: recovered after its process died (or stopped) during it.
func (e *execRow) interrupted() bool {
	return e.Status == "error" && strings.HasPrefix(e.ErrMsg, "interrupted")
}

type ieRow struct {
	ID, ExecutionID, Status, ErrorType string
	ScenarioID                         int64
	FailedModule, Attempts             int
}

type attemptRow struct {
	N                    int
	Outcome, ExecutionID string
}

func loadWorld(t *testing.T, db *pgxpool.Pool) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{execs: map[string]*execRow{}, ies: map[string]*ieRow{}, attempts: map[string][]attemptRow{}, scNext: map[int64]*time.Time{}}
	rows, err := db.Query(ctx, `SELECT id, kind, status, error_message, incomplete_id, scenario_id, queue_item_id, started_at, finished_at FROM execution`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		e := &execRow{}
		if err := rows.Scan(&e.ID, &e.Kind, &e.Status, &e.ErrMsg, &e.IncompleteID, &e.ScenarioID, &e.QueueItemID, &e.Started, &e.Finished); err != nil {
			t.Fatal(err)
		}
		w.execs[e.ID] = e
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	rows, err = db.Query(ctx, `SELECT id, execution_id, status, error_type, scenario_id, failed_module_id, attempts FROM incomplete`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		ie := &ieRow{}
		if err := rows.Scan(&ie.ID, &ie.ExecutionID, &ie.Status, &ie.ErrorType, &ie.ScenarioID, &ie.FailedModule, &ie.Attempts); err != nil {
			t.Fatal(err)
		}
		w.ies[ie.ID] = ie
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	rows, err = db.Query(ctx, `SELECT incomplete_id, n, outcome, execution_id FROM attempt ORDER BY incomplete_id, n`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var a attemptRow
		if err := rows.Scan(&id, &a.N, &a.Outcome, &a.ExecutionID); err != nil {
			t.Fatal(err)
		}
		w.attempts[id] = append(w.attempts[id], a)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	rows, err = db.Query(ctx, `SELECT id, next_run_at FROM scenario`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var next *time.Time
		if err := rows.Scan(&id, &next); err != nil {
			t.Fatal(err)
		}
		w.scNext[id] = next
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return w
}

type problems struct {
	list                                 []string
	interruptedRuns, interruptedAttempts int
	// mostRetries: the most retry attempts of one scenario seen running at once.
	mostRetries int
}

func (p *problems) add(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// check holds the payloads, the database and the stand-in's calls against each other.
func check(payloads []*payload, scs []*scenario, w *world, reqs []request, overlaps []string, tickFirst time.Time) *problems {
	probs := &problems{}
	for _, o := range overlaps {
		probs.add("overlap at the stand-in: %s", o)
	}
	byKey := map[string][]request{}
	callsOf := map[string]int{} // by execution
	for _, r := range reqs {
		byKey[r.Key] = append(byKey[r.Key], r)
		callsOf[r.Exec]++
	}
	for exec, n := range callsOf {
		if n > 1 {
			probs.add("execution %s made %d calls, want at most one", exec, n)
		}
		if _, ok := w.execs[exec]; !ok {
			probs.add("a call came from execution %q, which the database does not have", exec)
		}
	}
	for _, e := range w.execs {
		if e.interrupted() {
			if e.Kind == "run" {
				probs.interruptedRuns++
			} else {
				probs.interruptedAttempts++
			}
		}
		if e.Status == "running" {
			probs.add("execution %s still running", e.ID)
		}
	}
	checkRetryLimit(probs, w)
	// No incomplete execution stored twice: one per run and failing module.
	seen := map[string]string{}
	for _, ie := range w.ies {
		k := fmt.Sprintf("%s/%d", ie.ExecutionID, ie.FailedModule)
		if other, ok := seen[k]; ok {
			probs.add("incomplete executions %s and %s stored twice for execution %s module %d", other, ie.ID, ie.ExecutionID, ie.FailedModule)
		}
		seen[k] = ie.ID
		// An interrupted run started directly (a schedule's) is kept as an incomplete
		// execution by its recovery; a queued payload's goes back to the queue.
		if e := w.execs[ie.ExecutionID]; e == nil || (e.interrupted() && e.QueueItemID != 0) {
			probs.add("incomplete execution %s stored by execution %s, which did not finish", ie.ID, ie.ExecutionID)
		}
	}
	iesOf := map[string][]*ieRow{} // by execution
	for _, ie := range w.ies {
		iesOf[ie.ExecutionID] = append(iesOf[ie.ExecutionID], ie)
	}

	type seqRun struct {
		p          *payload
		queue      int64
		start, end time.Time
	}
	var seqRuns []seqRun
	for _, p := range payloads {
		calls := byKey[p.ID]
		var runs, completed []*execRow
		attemptsOf := map[string]bool{}
		for _, c := range calls {
			e := w.execs[c.Exec]
			if e == nil {
				continue
			}
			switch {
			case e.Kind == "run":
				runs = append(runs, e)
				if !e.interrupted() {
					completed = append(completed, e)
				}
			case e.Kind == "retry":
				attemptsOf[e.ID] = true
			}
		}
		switch {
		case p.Acked && len(completed) != 1:
			probs.add("payload %s (%s, acknowledged): %d finished runs, want exactly 1 (%d run(s) in all)", p.ID, p.Scen.Name, len(completed), len(runs))
			continue
		case len(completed) > 1:
			probs.add("payload %s (%s, not acknowledged): %d finished runs, want at most 1", p.ID, p.Scen.Name, len(completed))
			continue
		case len(completed) == 0:
			if len(attemptsOf) > 0 {
				probs.add("payload %s: retried, but no run of it finished", p.ID)
			}
			continue
		}
		run := completed[0]
		if p.Scen.Respond && p.Acked && p.Body != "Accepted" && p.Body != fmt.Sprintf(`{"key":%q}`, p.ID) {
			probs.add("payload %s: answered %q, want its own key (or Accepted)", p.ID, p.Body)
		}
		var stored []*ieRow
		for _, r := range runs {
			stored = append(stored, iesOf[r.ID]...)
		}
		// The finished run stored one if its call failed (an interrupted run's call may
		// have used up the failures the payload asked for).
		want := 0
		if c := callOf(calls, run.ID); p.storesIE() && (c == nil || c.failed()) {
			want = 1
		}
		if len(stored) != want {
			probs.add("payload %s (%s %s x%d): %d incomplete execution(s), want %d", p.ID, p.Scen.Name, p.Kind, p.N, len(stored), want)
			continue
		}
		last := lastEnd(calls, run.ID)
		if want == 1 {
			ie := stored[0]
			end, ok := checkIE(probs, p, ie, w, calls, attemptsOf)
			if ok {
				last = end
			}
		} else if len(attemptsOf) > 0 {
			probs.add("payload %s: retry attempts %v, but no incomplete execution", p.ID, keys(attemptsOf))
		}
		if p.Scen.Sequential {
			seqRuns = append(seqRuns, seqRun{p: p, queue: run.QueueItemID, start: firstStart(calls, run.ID), end: last})
		}
	}
	// A sequential scenario's payloads ran in arrival (queue) order, each only after
	// the one before it finished, its incomplete execution resolved included.
	slices.SortFunc(seqRuns, func(a, b seqRun) int { return int(a.queue - b.queue) })
	for i := 1; i < len(seqRuns); i++ {
		prev, cur := seqRuns[i-1], seqRuns[i]
		if cur.start.Before(prev.end) {
			probs.add("sequential: payload %s (queue item %d) started at %s, before payload %s (queue item %d) was done at %s; %s; %s",
				cur.p.ID, cur.queue, cur.start.Format(time.StampMicro), prev.p.ID, prev.queue, prev.end.Format(time.StampMicro),
				story(w, byKey[cur.p.ID]), story(w, byKey[prev.p.ID]))
		}
	}
	if len(seqRuns) < 10 {
		probs.add("only %d sequential payloads ran", len(seqRuns))
	}
	checkSchedules(probs, scs, w, byKey, tickFirst)
	return probs
}

// checkIE checks a payload's incomplete execution and its retries: each attempt made
// one call, its outcome is that call's, nothing ran after the attempt that resolved it,
// and it ended as its kind says. It returns when its last call ended.
func checkIE(probs *problems, p *payload, ie *ieRow, w *world, calls []request, attemptsOf map[string]bool) (time.Time, bool) {
	atts := w.attempts[ie.ID]
	counted := 0
	resolvedAt := -1
	for i, a := range atts {
		e := w.execs[a.ExecutionID]
		if e == nil {
			probs.add("payload %s: attempt %d of %s names execution %s, which does not exist", p.ID, a.N, ie.ID, a.ExecutionID)
			continue
		}
		delete(attemptsOf, a.ExecutionID)
		if e.IncompleteID != ie.ID || e.Kind != "retry" {
			probs.add("payload %s: attempt %d of %s ran as execution %s of %q (%s)", p.ID, a.N, ie.ID, e.ID, e.IncompleteID, e.Kind)
		}
		if a.Outcome == "interrupted" {
			continue
		}
		counted++
		var call *request
		for i := range calls {
			if calls[i].Exec == a.ExecutionID {
				call = &calls[i]
			}
		}
		if call == nil {
			probs.add("payload %s: attempt %d of %s (%s) made no call", p.ID, a.N, ie.ID, a.Outcome)
			continue
		}
		if (a.Outcome == "resolved") != (call.Status == 200) {
			probs.add("payload %s: attempt %d of %s is %s, its call answered %d", p.ID, a.N, ie.ID, a.Outcome, call.Status)
		}
		if resolvedAt >= 0 {
			probs.add("payload %s: attempt %d of %s ran after attempt %d resolved it", p.ID, a.N, ie.ID, atts[resolvedAt].N)
		}
		if a.Outcome == "resolved" {
			resolvedAt = i
		}
	}
	if len(attemptsOf) > 0 {
		probs.add("payload %s: retry executions %v called for it but are no attempt of %s", p.ID, keys(attemptsOf), ie.ID)
	}
	if counted != ie.Attempts {
		probs.add("payload %s: %s counts %d attempts, %d are recorded as finished", p.ID, ie.ID, ie.Attempts, counted)
	}
	wantStatus := "unresolved"
	if p.retryable() {
		wantStatus = "resolved"
	}
	if ie.Status != wantStatus {
		probs.add("payload %s (%s x%d): %s is %s, want %s (%d attempts)", p.ID, p.Kind, p.N, ie.ID, ie.Status, wantStatus, len(atts))
		return time.Time{}, false
	}
	if resolvedAt >= 0 {
		return lastEnd(calls, atts[resolvedAt].ExecutionID), true
	}
	return time.Time{}, false
}

// checkSchedules: every once-schedule ran once, at or after its time; the interval
// schedule ran once per tick its due time passed.
func checkSchedules(probs *problems, scs []*scenario, w *world, byKey map[string][]request, tickFirst time.Time) {
	runsOf := map[int64][]*execRow{}
	for _, e := range w.execs {
		runsOf[e.ScenarioID] = append(runsOf[e.ScenarioID], e)
	}
	for _, sc := range scs {
		runs := runsOf[sc.ID]
		switch {
		case sc.Once > 0:
			if len(runs) != 1 {
				probs.add("schedule %s (once): %d runs, want 1", sc.Name, len(runs))
				continue
			}
			if calls := byKey[sc.Name+"-"+runs[0].ID]; len(calls) != 1 && !runs[0].interrupted() {
				probs.add("schedule %s: its run made %d calls, want 1", sc.Name, len(calls))
			}
		case sc.Interval:
			next := w.scNext[sc.ID]
			if next == nil {
				probs.add("schedule %s: no next run", sc.Name)
				continue
			}
			ticks := int(next.Sub(tickFirst) / time.Minute)
			if len(runs) != ticks || ticks < 1 {
				probs.add("schedule %s (every minute from %s): %d runs, want one per tick passed (%d; next at %s)",
					sc.Name, tickFirst.Format(time.RFC3339), len(runs), ticks, next.Format(time.RFC3339))
			}
			for _, r := range runs {
				if r.Started.Before(tickFirst) {
					probs.add("schedule %s: a run at %s, before its first tick %s", sc.Name, r.Started, tickFirst)
				}
			}
		}
	}
}

// checkTakeovers reads the processes' logs: every process killed was taken over once,
// and no live process ever was.
func checkTakeovers(probs *problems, logs string, killed []string) {
	files, _ := filepath.Glob(filepath.Join(logs, "*.log"))
	count := map[string]int{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			probs.add("read log %s: %v", f, err)
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				Msg     string `json:"msg"`
				Process string `json:"process"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && strings.HasPrefix(line.Msg, "took over the work of a process") {
				count[line.Process]++
			}
		}
		fh.Close()
	}
	for _, id := range killed {
		if count[id] != 1 {
			probs.add("killed process %s was taken over %d times, want once", id, count[id])
		}
		delete(count, id)
	}
	for id, n := range count {
		probs.add("process %s, which was not killed, was taken over %d time(s)", id, n)
	}
}

// retriesPerScenario is SPEC §5.3's limit: at most three retries of one scenario run at
// once, here across all processes.
const retriesPerScenario = 3

// checkRetryLimit sweeps each scenario's retry executions in time order: never more
// than retriesPerScenario may have run at once. An attempt's execution lies within the
// time its incomplete execution is claimed (in progress), which is what the store's
// claim counts, so an overlap of four executions is a breach of the limit. The times
// are the processes' clocks on one machine, stored to the microsecond.
func checkRetryLimit(probs *problems, w *world) {
	type edge struct {
		at    time.Time
		delta int
		id    string
	}
	edges := map[int64][]edge{}
	for _, e := range w.execs {
		if e.Kind != "retry" || e.Finished == nil {
			continue // one still running is reported as such
		}
		edges[e.ScenarioID] = append(edges[e.ScenarioID], edge{e.Started, +1, e.ID}, edge{*e.Finished, -1, e.ID})
	}
	for sc, es := range edges {
		// An end and a start at the same instant do not overlap: ends first.
		slices.SortFunc(es, func(a, b edge) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return a.delta - b.delta
		})
		n, reported := 0, false
		var live []string
		for _, e := range es {
			n += e.delta
			if e.delta > 0 {
				live = append(live, e.id)
			} else {
				live = slices.DeleteFunc(live, func(id string) bool { return id == e.id })
			}
			probs.mostRetries = max(probs.mostRetries, n)
			if n > retriesPerScenario && !reported {
				probs.add("scenario %d: %d retries running at once at %s, want at most %d: %v",
					sc, n, e.at.Format("15:04:05.000000"), retriesPerScenario, live)
				reported = true
			}
		}
	}
}

func callOf(calls []request, exec string) *request {
	for i := range calls {
		if calls[i].Exec == exec {
			return &calls[i]
		}
	}
	return nil
}

func lastEnd(calls []request, exec string) time.Time {
	var t time.Time
	for _, c := range calls {
		if c.Exec == exec && c.End.After(t) {
			t = c.End
		}
	}
	return t
}

func firstStart(calls []request, exec string) time.Time {
	for _, c := range calls {
		if c.Exec == exec {
			return c.Start
		}
	}
	return time.Time{}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// story tells what happened to a payload: each call, the execution that made it, and
// the incomplete executions and attempts that execution stored or was.
func story(w *world, calls []request) string {
	var parts []string
	for _, c := range calls {
		e := w.execs[c.Exec]
		if e == nil {
			parts = append(parts, fmt.Sprintf("call %d by unknown %s", c.Nth, c.Exec))
			continue
		}
		s := fmt.Sprintf("call %d [%s–%s → %d] by %s %s (%s, started %s, queue item %d, incomplete %q)", c.Nth,
			c.Start.Format("15:04:05.000000"), c.End.Format("15:04:05.000000"), c.Status, e.Kind, e.ID, e.Status,
			e.Started.Local().Format("15:04:05.000000"), e.QueueItemID, e.IncompleteID)
		for _, ie := range w.ies {
			if ie.ExecutionID == e.ID {
				s += fmt.Sprintf(" stored %s (%s)", ie.ID, ie.Status)
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
