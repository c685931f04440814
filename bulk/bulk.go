// Package bulk carries out retries and deletions of many incomplete executions as
// jobs whose progress can be watched: the REST API answers 202 with a job
// (GET /api/v1/jobs/{id}), the web UI draws it as a progress bar, and the CLI polls it
// and ends with the counts by outcome (docs/incomplete-executions.md §4).
//
// A retry job queues its incomplete executions for a retry now, as the service's
// Retry does, and then follows them in the store until each one's attempt has ended:
// the worker carries them out (at most RetriesPerScenario of a scenario at once, never
// during a live run of it), in this process or, with a shared store, in another. A
// delete job deletes in chunks, counting as it goes. Jobs live in the memory of the
// process that started them and are kept a while after they end.
package bulk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Kinds of job.
const (
	KindRetry  = "retry"
	KindDelete = "delete"
)

// Statuses of a job.
const (
	StatusRunning = "running"
	StatusDone    = "done"
	// StatusFailed: the job stopped on an error (Snapshot.Error); what it counted so
	// far stands.
	StatusFailed = "failed"
)

// Outcomes a job counts. A retry job: each incomplete execution ended its attempt
// resolved, failed (unresolved: it waits for a person), retrying (failed again with an
// error that is retried automatically: pending), was deleted before its attempt ended,
// or was skipped (being retried already, or resolved, when the job started). A delete
// job: deleted, or skipped (being retried right now, or gone already).
const (
	OutcomeResolved = "resolved"
	OutcomeFailed   = "failed"
	OutcomeRetrying = "retrying"
	OutcomeDeleted  = "deleted"
	OutcomeSkipped  = "skipped"
)

// Outcomes lists the outcomes a kind of job counts, in the order people read them.
func Outcomes(kind string) []string {
	if kind == KindDelete {
		return []string{OutcomeDeleted, OutcomeSkipped}
	}
	return []string{OutcomeResolved, OutcomeFailed, OutcomeRetrying, OutcomeDeleted, OutcomeSkipped}
}

// Options configure Jobs.
type Options struct {
	// Service queues retries and deletes. Required.
	Service *service.Service
	// Store is read to follow retries. Defaults to Service.Store().
	Store store.Store
	// Poll is how often a retry job reads where its incomplete executions stand.
	// Defaults to 500 ms.
	Poll time.Duration
	// Runner, when set, carries out due retries and returns how many it started
	// (service.RunDue): a retry job calls it until its incomplete executions are done.
	// A process whose worker runs anyway (weft serve) leaves it nil; the command line
	// without a server, which holds the data folder, sets it.
	Runner func(ctx context.Context) (int, error)
	// Keep is how long a finished job stays readable. Defaults to 15 minutes.
	Keep time.Duration
	// Chunk is how many incomplete executions one store call queues or deletes.
	// Defaults to 500.
	Chunk int
	// Now is the time source. Defaults to time.Now.
	Now func() time.Time
	// NewID makes job ids. Defaults to 32 random hex digits.
	NewID func() string
	// Logger receives jobs that fail. Defaults to slog.Default().
	Logger *slog.Logger
}

// Jobs starts and keeps jobs. It is safe for concurrent use.
type Jobs struct {
	o      Options
	ctx    context.Context
	cancel context.CancelFunc

	mu sync.Mutex
	m  map[string]*Job
	wg sync.WaitGroup
}

// New returns Jobs. Close stops the jobs still running.
func New(o Options) *Jobs {
	if o.Store == nil && o.Service != nil {
		o.Store = o.Service.Store()
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Keep <= 0 {
		o.Keep = 15 * time.Minute
	}
	if o.Chunk <= 0 {
		o.Chunk = 500
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = randomID
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Jobs{o: o, ctx: ctx, cancel: cancel, m: map[string]*Job{}}
}

func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("bulk: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// Close stops the running jobs (they end failed, "stopped") and waits for them.
func (js *Jobs) Close() {
	js.cancel()
	js.wg.Wait()
}

// Get returns the job with that id, nil when there is none (or it ended more than
// Keep ago).
func (js *Jobs) Get(id string) *Job {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.forgetOld()
	return js.m[id]
}

// forgetOld drops jobs that ended more than Keep ago (js.mu held).
func (js *Jobs) forgetOld() {
	now := js.o.Now()
	for id, j := range js.m {
		if s := j.Snapshot(); s.FinishedAt != nil && now.Sub(*s.FinishedAt) > js.o.Keep {
			delete(js.m, id)
		}
	}
}

// Job is one bulk retry or delete.
type Job struct {
	id, kind string
	created  time.Time

	mu       sync.Mutex
	status   string
	total    int
	finished int
	counts   map[string]int
	err      string
	ended    *time.Time
	changed  chan struct{}
	done     chan struct{}
}

// Snapshot is where a job stands.
type Snapshot struct {
	ID     string
	Kind   string
	Status string
	// Total is how many incomplete executions the job took; Done how many it has
	// finished with (the sum of Counts).
	Total int
	Done  int
	// Counts are the finished ones by outcome; every outcome of the kind is present.
	Counts     map[string]int
	Error      string
	CreatedAt  time.Time
	FinishedAt *time.Time
}

// ID is the job's id.
func (j *Job) ID() string { return j.id }

// Snapshot returns where the job stands now.
func (j *Job) Snapshot() Snapshot {
	j.mu.Lock()
	defer j.mu.Unlock()
	counts := make(map[string]int, len(j.counts))
	for k, v := range j.counts {
		counts[k] = v
	}
	s := Snapshot{ID: j.id, Kind: j.kind, Status: j.status, Total: j.total, Done: j.finished, Counts: counts,
		Error: j.err, CreatedAt: j.created}
	if j.ended != nil {
		t := *j.ended
		s.FinishedAt = &t
	}
	return s
}

// Done is closed when the job has ended.
func (j *Job) Done() <-chan struct{} { return j.done }

// Changed returns a channel closed at the job's next change (progress or end).
func (j *Job) Changed() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changed
}

// count records n more finished with outcome.
func (j *Job) count(outcome string, n int) {
	if n == 0 {
		return
	}
	j.mu.Lock()
	j.counts[outcome] += n
	j.finished += n
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
}

func (j *Job) end(now time.Time, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status = StatusDone
	if err != nil {
		j.status, j.err = StatusFailed, err.Error()
	}
	j.ended = &now
	close(j.changed)
	j.changed = make(chan struct{})
	close(j.done)
}

// start registers a job of kind over total incomplete executions and runs work in the
// background.
func (js *Jobs) start(kind string, total int, skipped int, work func(ctx context.Context, j *Job) error) *Job {
	j := &Job{id: js.o.NewID(), kind: kind, created: js.o.Now(), status: StatusRunning, total: total,
		counts: map[string]int{}, changed: make(chan struct{}), done: make(chan struct{})}
	for _, o := range Outcomes(kind) {
		j.counts[o] = 0
	}
	j.count(OutcomeSkipped, skipped)
	js.mu.Lock()
	js.forgetOld()
	js.m[j.id] = j
	js.mu.Unlock()
	js.wg.Add(1)
	go func() {
		defer js.wg.Done()
		err := work(js.ctx, j)
		if err != nil && js.ctx.Err() != nil {
			err = errors.New("stopped: weft is shutting down")
		}
		if err != nil {
			js.o.Logger.Error("bulk job", "job", j.id, "kind", kind, "err", err)
		}
		j.end(js.o.Now(), err)
	}()
	return j
}

// target is one incomplete execution a job took.
type target struct {
	id       string
	scenario int64
}

// unknown is a selection that names incomplete executions that do not exist (or
// belong to another scenario than the one given): nothing is done.
func unknown(ids []string, scenario int64) error {
	what := "no incomplete execution " + strings.Join(ids, ", ")
	if scenario != 0 {
		what += fmt.Sprintf(" in scenario %d", scenario)
	}
	return &notFoundError{what + "; nothing was done"}
}

// notFoundError is store.ErrNotFound worded once ("no incomplete execution x; nothing
// was done", not "not found: no incomplete execution x…").
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == store.ErrNotFound }

// resolve lists the incomplete executions sels select: every one of a scenario (but
// except) whose status is in statuses (nil: any), or the ids given (each must exist,
// in the scenario when one is given). It returns the ones whose status is in statuses
// and how many it skipped (ids given whose status is not).
func (js *Jobs) resolve(ctx context.Context, sels []store.Selection, statuses []weft.IncompleteStatus) ([]target, int, error) {
	var out []target
	skipped := 0
	seen := map[string]bool{}
	for _, sel := range sels {
		if err := checkSelection(sel); err != nil {
			return nil, 0, err
		}
		if sel.All {
			except := map[string]bool{}
			for _, id := range sel.Except {
				except[id] = true
			}
			err := js.eachOf(ctx, sel.ScenarioID, statuses, func(ie *weft.Incomplete) {
				if !except[ie.ID] && !seen[ie.ID] {
					seen[ie.ID] = true
					out = append(out, target{ie.ID, ie.ScenarioID})
				}
			})
			if err != nil {
				return nil, 0, err
			}
			continue
		}
		var missing []string
		for _, id := range sel.IDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			ie, err := js.o.Store.GetIncomplete(ctx, id)
			switch {
			case errors.Is(err, store.ErrNotFound):
				missing = append(missing, id)
				continue
			case err != nil:
				return nil, 0, fmt.Errorf("incomplete execution %s: %w", id, err)
			case sel.ScenarioID != 0 && ie.ScenarioID != sel.ScenarioID:
				missing = append(missing, fmt.Sprintf("%s (of scenario %d)", id, ie.ScenarioID))
				continue
			}
			if statuses == nil || slices.Contains(statuses, ie.Status) {
				out = append(out, target{ie.ID, ie.ScenarioID})
			} else {
				skipped++
			}
		}
		if len(missing) > 0 {
			return nil, 0, unknown(missing, sel.ScenarioID)
		}
	}
	return out, skipped, nil
}

// eachOf calls fn for every incomplete execution of a scenario with one of statuses
// (nil: any), page by page.
func (js *Jobs) eachOf(ctx context.Context, scenario int64, statuses []weft.IncompleteStatus, fn func(*weft.Incomplete)) error {
	f := store.IncompleteFilter{ScenarioID: scenario, Status: statuses, Limit: 1000}
	for {
		ies, err := js.o.Store.ListIncomplete(ctx, f)
		if err != nil {
			return fmt.Errorf("list incomplete executions of scenario %d: %w", scenario, err)
		}
		for _, ie := range ies {
			fn(ie)
		}
		if len(ies) < f.Limit {
			return nil
		}
		f.After = ies[len(ies)-1].ID
	}
}

func checkSelection(sel store.Selection) error {
	switch {
	case len(sel.IDs) > 0 && sel.All:
		return errors.New("select incomplete executions by id or all of a scenario, not both")
	case sel.All && sel.ScenarioID == 0:
		return errors.New("selecting all incomplete executions needs a scenario")
	case !sel.All && len(sel.IDs) == 0:
		return errors.New("no incomplete execution selected")
	case len(sel.Except) > 0 && !sel.All:
		return errors.New("except only applies to all of a scenario's incomplete executions")
	}
	return nil
}

// byScenario groups targets by scenario, in scenario order.
func byScenario(ts []target) ([]int64, map[int64][]string) {
	m := map[int64][]string{}
	for _, t := range ts {
		m[t.scenario] = append(m[t.scenario], t.id)
	}
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
	return keys, m
}
