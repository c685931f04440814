package crash

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// everything is a large listing limit: the test stores a few thousand rows.
const everything = 1_000_000

// world is the database after the last weft process ended.
type world struct {
	execs     map[string]*weft.Execution
	ies       []*weft.Incomplete // with blueprint and state
	attempts  map[string][]weft.Attempt
	scenarios map[int64]*weft.Scenario
	depth     map[int64]int             // queue items left per scenario
	queued    map[int64]*weft.QueueItem // queue items left, by id
}

func loadWorld(ctx context.Context, st store.Store) (*world, error) {
	w := &world{execs: map[string]*weft.Execution{}, attempts: map[string][]weft.Attempt{},
		scenarios: map[int64]*weft.Scenario{}, depth: map[int64]int{}, queued: map[int64]*weft.QueueItem{}}
	exs, err := st.ListExecutions(ctx, store.ExecutionFilter{Limit: everything})
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	for _, e := range exs {
		w.execs[e.ID] = e
	}
	list, err := st.ListIncomplete(ctx, store.IncompleteFilter{Limit: everything})
	if err != nil {
		return nil, fmt.Errorf("list incomplete executions: %w", err)
	}
	for _, l := range list {
		ie, err := st.GetIncomplete(ctx, l.ID)
		if err != nil {
			return nil, fmt.Errorf("incomplete execution %s: %w", l.ID, err)
		}
		w.ies = append(w.ies, ie)
		if w.attempts[ie.ID], err = st.ListAttempts(ctx, ie.ID); err != nil {
			return nil, fmt.Errorf("attempts of %s: %w", ie.ID, err)
		}
	}
	scs, err := st.ListScenarios(ctx)
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	for _, s := range scs {
		w.scenarios[s.ID] = s
		if w.depth[s.ID], err = st.QueueDepth(ctx, s.ID); err != nil {
			return nil, fmt.Errorf("queue depth of scenario %d: %w", s.ID, err)
		}
	}
	items, err := st.ListQueued(ctx, store.QueueFilter{})
	if err != nil {
		return nil, fmt.Errorf("list the queue: %w", err)
	}
	for _, it := range items {
		w.queued[it.ID] = it
	}
	return w, nil
}

// interrupted: an execution that recovery (or a shutdown) ended because weft stopped
// during it. Its payload or incomplete execution ran again in another execution.
// weft marks these only in the message (status error, RuntimeError).
func interrupted(e *weft.Execution) bool {
	return e.Status == weft.ExecutionError && strings.HasPrefix(e.ErrorMsg, "interrupted")
}

// ieKey is the stand-in key of the call an incomplete execution stored: the last path
// segment of the failing HTTP module's stored input URL.
func ieKey(ie *weft.Incomplete) (key, input string, err error) {
	v, err := value.UnmarshalTagged(ie.State)
	if err != nil {
		return "", "", fmt.Errorf("state: %w", err)
	}
	st, _ := v.(map[string]any)
	in, _ := st["input"].(map[string]any)
	raw, _ := in["url"].(string)
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return "", "", fmt.Errorf("stored input has no call URL: %s", value.JSON(in))
	}
	return u.Path[strings.LastIndex(u.Path, "/")+1:], string(value.JSON(in)), nil
}

// problems collects invariant violations; the test prints them all at once.
type problems struct{ list []string }

func (p *problems) add(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// stats counts what the run covered, for the log.
type stats struct {
	runs, retries, interruptedRuns, interruptedAttempts, ies, resolved, unresolved int
	byStatus                                                                       map[weft.ExecutionStatus]int
	byErrorType                                                                    map[weft.ErrorType]int
}

// check verifies every invariant of the final state. reqs are the stand-in's calls.
func check(pl *plan, w *world, reqs []request, overlaps []string) (*problems, *stats) {
	p := &problems{}
	s := &stats{byStatus: map[weft.ExecutionStatus]int{}, byErrorType: map[weft.ErrorType]int{}}
	for _, o := range overlaps {
		p.add("stand-in: %s", o)
	}

	byExec := map[string][]request{}
	for _, r := range reqs {
		if _, ok := w.execs[r.Exec]; !ok {
			p.add("stand-in saw call %s (#%d) from execution %q, which the database does not have: it was not written before it ran", r.Key, r.Nth, r.Exec)
		}
		byExec[r.Exec] = append(byExec[r.Exec], r)
	}

	iesByExec := map[string][]*weft.Incomplete{}
	ieByID := map[string]*weft.Incomplete{}
	for _, ie := range w.ies {
		iesByExec[ie.ExecutionID] = append(iesByExec[ie.ExecutionID], ie)
		ieByID[ie.ID] = ie
	}

	// payloadOf finds the payload an execution worked on.
	payloadOf := func(e *weft.Execution) *payload {
		if e.Kind == weft.KindRetry {
			ie := ieByID[e.IncompleteID]
			if ie == nil {
				return nil
			}
			if o := w.execs[ie.ExecutionID]; o != nil {
				return pl.byQueue[o.QueueItemID]
			}
			return nil
		}
		return pl.byQueue[e.QueueItemID]
	}

	consumed := map[*payload][]*weft.Execution{}
	for _, e := range sortedExecs(w) {
		s.byStatus[e.Status]++
		calls := byExec[e.ID]
		if e.Status == weft.ExecutionRunning {
			p.add("execution %s (%s of scenario %d) is still running", e.ID, e.Kind, e.ScenarioID)
			continue
		}
		if e.FinishedAt == nil {
			p.add("execution %s ended %s without a finish time", e.ID, e.Status)
		}
		pay := payloadOf(e)
		if pay == nil {
			p.add("execution %s (%s, queue item %d, incomplete %q) belongs to no payload of the test", e.ID, e.Kind, e.QueueItemID, e.IncompleteID)
			continue
		}
		seen := map[string]int{}
		for _, r := range calls {
			if _, ok := pay.call(r.Key); !ok {
				p.add("execution %s of payload %s called the stand-in for %s, another payload's call", e.ID, pay.ID, r.Key)
			}
			if seen[r.Key]++; seen[r.Key] > 1 {
				p.add("execution %s of payload %s made call %s %d times", e.ID, pay.ID, r.Key, seen[r.Key])
			}
		}
		switch e.Kind {
		case weft.KindRun:
			s.runs++
			if interrupted(e) {
				s.interruptedRuns++
				if n := len(iesByExec[e.ID]); n > 0 {
					p.add("interrupted execution %s of payload %s stored %d incomplete execution(s), though its payload ran again", e.ID, pay.ID, n)
				}
				continue
			}
			consumed[pay] = append(consumed[pay], e)
			checkRun(p, pay, e, calls, iesByExec[e.ID])
		case weft.KindRetry:
			s.retries++
			checkRetry(p, s, w, ieByID[e.IncompleteID], e, calls)
		default:
			p.add("execution %s has kind %q", e.ID, e.Kind)
		}
	}

	checkPayloads(p, pl, w, consumed)
	checkIncompletes(p, s, w, pl, iesByExec)
	checkSequential(p, pl, w, consumed, iesByExec)
	checkRetriesApartFromRuns(p, w)
	return p, s
}

func sortedExecs(w *world) []*weft.Execution {
	out := make([]*weft.Execution, 0, len(w.execs))
	for _, e := range w.execs {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt.Before(out[j].StartedAt) })
	return out
}

// checkRun: a run that finished made each of its payload's calls once, ended with the
// status its failed calls call for, and stored exactly the failed calls that must
// become incomplete executions.
func checkRun(p *problems, pay *payload, e *weft.Execution, calls []request, ies []*weft.Incomplete) {
	if len(calls) != len(pay.Calls) {
		p.add("finished execution %s of payload %s made %d call(s), want %d (one per call of the payload)", e.ID, pay.ID, len(calls), len(pay.Calls))
	}
	var failed []request
	for _, r := range calls {
		if r.failed() {
			failed = append(failed, r)
		}
	}
	status, stored := pay.Scen.expect(pay, failed)
	if e.Status != status {
		p.add("execution %s of payload %s ended %s (%s: %s), want %s after %d failed call(s)", e.ID, pay.ID, e.Status, e.ErrorType, e.ErrorMsg, status, len(failed))
	}
	var want, got []string
	for _, r := range stored {
		want = append(want, r.Key)
	}
	for _, ie := range ies {
		k, _, err := ieKey(ie)
		if err != nil {
			p.add("incomplete execution %s of execution %s: %v", ie.ID, e.ID, err)
		}
		got = append(got, k)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		p.add("execution %s of payload %s stored incomplete executions for %v, want %v (its failed calls)", e.ID, pay.ID, got, want)
	}
}

// checkRetry: an attempt's execution made the one call of its incomplete execution,
// and its attempt records the outcome the stand-in gave.
func checkRetry(p *problems, s *stats, w *world, ie *weft.Incomplete, e *weft.Execution, calls []request) {
	if ie == nil {
		p.add("retry execution %s names incomplete execution %q, which does not exist", e.ID, e.IncompleteID)
		return
	}
	var att *weft.Attempt
	for i, a := range w.attempts[ie.ID] {
		if a.ExecutionID == e.ID {
			if att != nil {
				p.add("retry execution %s has two attempts of %s", e.ID, ie.ID)
			}
			att = &w.attempts[ie.ID][i]
		}
	}
	if att == nil {
		p.add("retry execution %s of %s has no attempt", e.ID, ie.ID)
		return
	}
	key, _, _ := ieKey(ie)
	for _, r := range calls {
		if r.Key != key {
			p.add("retry execution %s of %s (call %s) called %s", e.ID, ie.ID, key, r.Key)
		}
	}
	if interrupted(e) {
		s.interruptedAttempts++
		if att.Outcome != weft.AttemptInterrupted {
			p.add("interrupted retry execution %s: its attempt %d of %s is %q, want interrupted", e.ID, att.N, ie.ID, att.Outcome)
		}
		return
	}
	if len(calls) != 1 {
		p.add("retry execution %s of %s made %d calls, want 1 (it ended %s, %s: %s)", e.ID, ie.ID, len(calls), e.Status, e.ErrorType, e.ErrorMsg)
		return
	}
	want := weft.AttemptResolved
	if calls[0].failed() {
		want = weft.AttemptFailed
	}
	if att.Outcome != want {
		p.add("attempt %d of %s (execution %s) is %q, but the stand-in answered %d", att.N, ie.ID, e.ID, att.Outcome, calls[0].Status)
	}
}

// checkPayloads: every payload was consumed by exactly one finished run, or it is left
// in the queue of an instant scenario that a run ending in error deactivated: that
// run's payload set aside (dead, with that run's error), every later one waiting.
func checkPayloads(p *problems, pl *plan, w *world, consumed map[*payload][]*weft.Execution) {
	for _, sc := range pl.scenarios {
		cur := w.scenarios[sc.ID]
		if cur == nil {
			p.add("scenario %s (%d) is gone", sc.Name, sc.ID)
			continue
		}
		stopAt := len(sc.payloads) // the first payload left queued
		if !cur.Active {
			if !sc.Instant {
				p.add("scenario %s was deactivated: %s", sc.Name, cur.Deactivated)
			}
			for _, pay := range sc.payloads {
				if ex := consumed[pay]; len(ex) == 1 && ex[0].Status == weft.ExecutionError {
					stopAt = pay.Pos
					break
				}
			}
		}
		for _, pay := range sc.payloads {
			ex := consumed[pay]
			switch {
			case pay.QueueID == 0:
				p.add("payload %s was never enqueued", pay.ID)
			case pay.Pos < stopAt && len(ex) != 1:
				p.add("payload %s was consumed by %d finished run(s) %v, want exactly 1", pay.ID, len(ex), execIDs(ex))
			case pay.Pos > stopAt && len(ex) != 0:
				p.add("payload %s ran %v after its instant scenario %s was deactivated", pay.ID, execIDs(ex), sc.Name)
			}
			it := w.queued[pay.QueueID]
			switch {
			case pay.Pos < stopAt && it != nil:
				p.add("payload %s ran, but is still queued (%s)", pay.ID, it.Status())
			case pay.Pos == stopAt && (it == nil || it.Dead == nil || len(ex) != 1 || it.Dead.ExecutionID != ex[0].ID):
				p.add("payload %s ended its scenario's run in error: want it set aside with that run, got %+v", pay.ID, it)
			case pay.Pos > stopAt && (it == nil || it.Status() != weft.QueueWaiting):
				p.add("payload %s came after its scenario was deactivated: want it waiting, got %+v", pay.ID, it)
			}
		}
		if want := len(sc.payloads) - stopAt; w.depth[sc.ID] != want {
			p.add("scenario %s has %d payload(s) queued, want %d", sc.Name, w.depth[sc.ID], want)
		}
		if sc.Name == "fragile" && (cur.Active || stopAt != fragileFailAt) {
			p.add("scenario fragile: active %v, first payload left queued at %d; want deactivated by payload %d's error run", cur.Active, stopAt, fragileFailAt)
		}
		if sc.Name != "fragile" && !cur.Active {
			p.add("scenario %s was deactivated: %s", sc.Name, cur.Deactivated)
		}
	}
}

func execIDs(ex []*weft.Execution) []string {
	out := make([]string, len(ex))
	for i, e := range ex {
		out[i] = e.ID + ":" + string(e.Status)
	}
	return out
}

// expectedType is the error type an incomplete execution of a call must carry.
var expectedType = map[string]weft.ErrorType{"503": weft.ConnectionError, "429": weft.RateLimitError,
	"422": weft.DataError, "hang": weft.ModuleTimeoutError}

// checkIncompletes: none lost in pending or in progress, none stored twice, the ones the
// stand-in lets through resolved, the others unresolved, and their attempts one after
// another, each finished with an outcome.
func checkIncompletes(p *problems, s *stats, w *world, pl *plan, iesByExec map[string][]*weft.Incomplete) {
	type ident struct {
		exec   string
		module int
		input  string
	}
	seen := map[ident]string{}
	for _, ie := range w.ies {
		s.ies++
		s.byErrorType[ie.ErrorType]++
		key, input, err := ieKey(ie)
		if err != nil {
			p.add("incomplete execution %s: %v", ie.ID, err)
			continue
		}
		id := ident{ie.ExecutionID, ie.FailedModuleID, input}
		if other, dup := seen[id]; dup {
			p.add("incomplete executions %s and %s are the same failure (execution %s, module %d, input %s)", other, ie.ID, ie.ExecutionID, ie.FailedModuleID, input)
		}
		seen[id] = ie.ID
		origin := w.execs[ie.ExecutionID]
		if origin == nil || origin.Kind != weft.KindRun {
			p.add("incomplete execution %s comes from %q, not a run of the test", ie.ID, ie.ExecutionID)
			continue
		}
		pay := pl.byQueue[origin.QueueItemID]
		c, ok := pay.call(key)
		if !ok {
			p.add("incomplete execution %s stored call %s, not one of payload %s", ie.ID, key, pay.ID)
			continue
		}
		if want := expectedType[c.Kind]; ie.ErrorType != want {
			p.add("incomplete execution %s of call %s (%s) has %s, want %s", ie.ID, key, c.Kind, ie.ErrorType, want)
		}
		switch ie.Status {
		case weft.IncompleteResolved:
			s.resolved++
		case weft.IncompleteUnresolved:
			s.unresolved++
		default:
			p.add("incomplete execution %s of call %s is left %s", ie.ID, key, ie.Status)
		}
		// 422 never recovers and waits for a person; everything else recovers at the
		// stand-in and must have been retried to the end (Break's by a person's retry).
		if c.Kind == "422" {
			if ie.Status != weft.IncompleteUnresolved || ie.AutoRetry || ie.Attempts != 0 {
				p.add("incomplete execution %s of call %s (422): %s, autoRetry %v, %d attempt(s); want unresolved, no retry", ie.ID, key, ie.Status, ie.AutoRetry, ie.Attempts)
			}
		} else if ie.Status != weft.IncompleteResolved || ie.ResolvedAt == nil {
			p.add("incomplete execution %s of call %s (%s x%d) is %s after %d attempt(s), want resolved", ie.ID, key, c.Kind, c.N, ie.Status, ie.Attempts)
		}
		checkAttempts(p, w, ie)
	}
}

func checkAttempts(p *problems, w *world, ie *weft.Incomplete) {
	atts := w.attempts[ie.ID]
	counted := 0
	for i, a := range atts {
		if a.N != i+1 {
			p.add("incomplete execution %s: attempt %d is numbered %d", ie.ID, i+1, a.N)
		}
		if a.FinishedAt == nil || a.Outcome == "" {
			p.add("incomplete execution %s: attempt %d (execution %s) never finished", ie.ID, a.N, a.ExecutionID)
			continue
		}
		if a.FinishedAt.Before(a.StartedAt) {
			p.add("incomplete execution %s: attempt %d finished before it started", ie.ID, a.N)
		}
		if i > 0 && atts[i-1].FinishedAt != nil && a.StartedAt.Before(*atts[i-1].FinishedAt) {
			p.add("incomplete execution %s: attempt %d started at %s, before attempt %d finished at %s",
				ie.ID, a.N, a.StartedAt.Format(time.RFC3339Nano), a.N-1, atts[i-1].FinishedAt.Format(time.RFC3339Nano))
		}
		if a.Outcome == weft.AttemptResolved && i != len(atts)-1 {
			p.add("incomplete execution %s: attempt %d resolved it, yet attempt %d followed", ie.ID, a.N, a.N+1)
		}
		if a.Outcome != weft.AttemptInterrupted {
			counted++
		}
		ex := w.execs[a.ExecutionID]
		if ex == nil || ex.Kind != weft.KindRetry || ex.IncompleteID != ie.ID {
			p.add("incomplete execution %s: attempt %d ran as %q, not a retry execution of it", ie.ID, a.N, a.ExecutionID)
		}
	}
	if counted != ie.Attempts {
		p.add("incomplete execution %s counts %d attempt(s), but %d finished other than interrupted", ie.ID, ie.Attempts, counted)
	}
	if ie.Status == weft.IncompleteResolved && (len(atts) == 0 || atts[len(atts)-1].Outcome != weft.AttemptResolved) {
		p.add("incomplete execution %s is resolved without a resolving attempt", ie.ID)
	}
}

// checkSequential: a sequential scenario's payloads ran in arrival order, each only once
// the one before had finished and its incomplete executions were resolved (SPEC §5.5).
func checkSequential(p *problems, pl *plan, w *world, consumed map[*payload][]*weft.Execution, iesByExec map[string][]*weft.Incomplete) {
	for _, sc := range pl.scenarios {
		if !sc.Sequential {
			continue
		}
		var prev *payload
		var prevDone time.Time
		for _, pay := range sc.payloads {
			if prev != nil {
				for _, e := range w.execs {
					if e.Kind == weft.KindRun && pl.byQueue[e.QueueItemID] == pay && e.StartedAt.Before(prevDone) {
						p.add("sequential: execution %s of %s started at %s, before %s was done at %s",
							e.ID, pay.ID, e.StartedAt.Format(time.RFC3339Nano), prev.ID, prevDone.Format(time.RFC3339Nano))
					}
				}
			}
			ex := consumed[pay]
			if len(ex) != 1 {
				return // reported by checkPayloads
			}
			prev, prevDone = pay, *ex[0].FinishedAt
			for _, ie := range iesByExec[ex[0].ID] {
				if ie.ResolvedAt != nil && ie.ResolvedAt.After(prevDone) {
					prevDone = *ie.ResolvedAt
				}
			}
		}
	}
}

// checkRetriesApartFromRuns: a retry never overlaps a live run of its scenario, and at
// most 3 retries of one scenario run at once (SPEC §5.3).
func checkRetriesApartFromRuns(p *problems, w *world) {
	type span struct {
		from, to time.Time
		e        *weft.Execution
	}
	runs, retries := map[int64][]span{}, map[int64][]span{}
	for _, e := range w.execs {
		if e.FinishedAt == nil {
			continue
		}
		sp := span{e.StartedAt, *e.FinishedAt, e}
		if e.Kind == weft.KindRetry {
			retries[e.ScenarioID] = append(retries[e.ScenarioID], sp)
		} else {
			runs[e.ScenarioID] = append(runs[e.ScenarioID], sp)
		}
	}
	for scen, rs := range retries {
		for _, r := range rs {
			for _, run := range runs[scen] {
				if r.from.Before(run.to) && run.from.Before(r.to) {
					p.add("retry %s [%s, %s] overlaps run %s [%s, %s] of scenario %d", r.e.ID, r.from.Format(time.RFC3339Nano),
						r.to.Format(time.RFC3339Nano), run.e.ID, run.from.Format(time.RFC3339Nano), run.to.Format(time.RFC3339Nano), scen)
				}
			}
			at := 0
			for _, o := range rs {
				if !o.from.After(r.from) && o.to.After(r.from) {
					at++
				}
			}
			if at > 3 {
				p.add("%d retries of scenario %d were running at %s", at, scen, r.from.Format(time.RFC3339Nano))
			}
		}
	}
}

// checkAfterKill looks at the database right after a SIGKILL, before any recovery:
// every execution left running is accounted for (a run with its payload and input, a
// retry with its incomplete execution in progress and its one unfinished attempt),
// and no incomplete execution has more than one unfinished attempt.
func checkAfterKill(ctx context.Context, st store.Store, pl *plan) ([]string, error) {
	var out []string
	ies, err := st.ListIncomplete(ctx, store.IncompleteFilter{Limit: everything})
	if err != nil {
		return nil, err
	}
	status := map[string]weft.IncompleteStatus{}
	openAttempt := map[string]string{} // incomplete execution → execution of its unfinished attempt
	for _, ie := range ies {
		status[ie.ID] = ie.Status
		atts, err := st.ListAttempts(ctx, ie.ID)
		if err != nil {
			return nil, err
		}
		open := 0
		for _, a := range atts {
			if a.FinishedAt == nil {
				open++
				openAttempt[ie.ID] = a.ExecutionID
			}
		}
		switch {
		case open > 1:
			out = append(out, fmt.Sprintf("incomplete execution %s has %d unfinished attempts at once", ie.ID, open))
		case open == 1 && ie.Status != weft.IncompleteInProgress:
			out = append(out, fmt.Sprintf("incomplete execution %s has an unfinished attempt but is %s", ie.ID, ie.Status))
		}
		if ie.Status == weft.IncompletePending && ie.NextAttemptAt == nil {
			out = append(out, fmt.Sprintf("incomplete execution %s is pending with no next attempt time", ie.ID))
		}
	}
	running, err := st.RunningExecutions(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range running {
		switch e.Kind {
		case weft.KindRun:
			if pl.byQueue[e.QueueItemID] == nil {
				out = append(out, fmt.Sprintf("running execution %s consumes queue item %d, no payload of the test", e.ID, e.QueueItemID))
			}
			if len(e.Input) == 0 {
				out = append(out, fmt.Sprintf("running execution %s has no stored input to recover from", e.ID))
			}
		case weft.KindRetry:
			switch ieStatus, ok := status[e.IncompleteID]; {
			case !ok:
				out = append(out, fmt.Sprintf("running retry %s: its incomplete execution %q does not exist", e.ID, e.IncompleteID))
			case ieStatus != weft.IncompleteInProgress:
				out = append(out, fmt.Sprintf("running retry %s: its incomplete execution %s is %s, not in progress", e.ID, e.IncompleteID, ieStatus))
			case openAttempt[e.IncompleteID] != e.ID:
				out = append(out, fmt.Sprintf("running retry %s: the unfinished attempt of %s is %q", e.ID, e.IncompleteID, openAttempt[e.IncompleteID]))
			}
		}
	}
	return out, nil
}
