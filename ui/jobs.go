package ui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/service"
)

// A job is a run started from a page ("Run" on an incomplete execution, "Run once" on
// a scenario). The POST starts it and answers at once with a panel that listens to
// the job's server-sent events; the run goes on whether or not anyone listens, and
// its outcome is also in the history.

// outcome is how a job's run ended, as the outcome panel shows it.
type outcome struct {
	// Status is the run's status (success, warning, error), or "failed" when it could
	// not run at all.
	Status      string
	Operations  int
	ExecutionID string
	Error       string
	// Incomplete is the incomplete execution the job retried (resolve runs) and where
	// it stands after; Stored are the ones the run stored.
	IncompleteID     string
	IncompleteStatus weft.IncompleteStatus
	Stored           []string
	Duration         time.Duration
	// Modules are the modules the run finished, in order (at most maxProgress);
	// MoreModules counts the ones left out.
	Modules     []moduleProgress
	MoreModules int
}

// moduleProgress is one module finishing one bundle in a job's run (one entry of the
// execution log), as the panel lists it while the run goes on.
type moduleProgress struct {
	ModuleID int
	Name     string
	Cycle    int
	// Error is "Type: message" when the module failed; empty when it succeeded.
	Error    string
	Duration time.Duration
}

// maxProgress bounds the modules a job lists: an iterator over 10,000 bundles would
// otherwise send 10,000 rows to a browser; the rest are counted.
const maxProgress = 200

type job struct {
	id      string
	session string
	title   string
	labels  map[int]string
	started time.Time
	done    chan struct{}
	out     *outcome

	mu   sync.Mutex
	mods []moduleProgress
	more int
	// grew is closed (and replaced) each time mods grows: event streams wait on it.
	grew chan struct{}
}

// record is the run's engine.LogHook: it is called on the run's goroutine as each
// module finishes, so it only appends and wakes the listeners.
func (j *job) record(_ string, e engine.LogEntry) {
	m := moduleProgress{ModuleID: e.ModuleID, Name: j.labels[e.ModuleID], Cycle: e.Cycle, Duration: e.Duration}
	if m.Name == "" {
		m.Name = e.Module
	}
	if e.Error != nil {
		m.Error = string(e.Error.Type) + ": " + e.Error.Message
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.mods) >= maxProgress {
		j.more++
		return
	}
	j.mods = append(j.mods, m)
	close(j.grew)
	j.grew = make(chan struct{})
}

// progress returns the modules listed from index from on, and the channel closed when
// more arrive.
func (j *job) progress(from int) ([]moduleProgress, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.mods[min(from, len(j.mods)):]), j.grew
}

type jobs struct {
	mu  sync.Mutex
	m   map[string]*job
	now func() time.Time
}

func newJobs(now func() time.Time) *jobs { return &jobs{m: map[string]*job{}, now: now} }

// jobKeep is how long a finished job's outcome stays available to its page.
const jobKeep = 15 * time.Minute

// start runs fn in the background as a job of session sessionKey. labels name the
// modules of the blueprint it runs (by id) in its progress.
func (js *jobs) start(sessionKey, title string, labels map[int]string, fn func(ctx context.Context) *outcome) *job {
	j := &job{id: randomToken(), session: sessionKey, title: title, labels: labels, started: js.now(),
		done: make(chan struct{}), grew: make(chan struct{})}
	js.mu.Lock()
	now := js.now()
	for id, o := range js.m {
		select {
		case <-o.done:
			if now.Sub(o.started) > jobKeep {
				delete(js.m, id)
			}
		default:
		}
	}
	js.m[j.id] = j
	js.mu.Unlock()
	go func() {
		// The engine reports each module of the run as it finishes (engine.WithLogHook).
		out := fn(engine.WithLogHook(context.Background(), j.record))
		out.Duration = js.now().Sub(j.started)
		j.mu.Lock()
		out.Modules, out.MoreModules = slices.Clone(j.mods), j.more
		j.mu.Unlock()
		j.out = out
		close(j.done)
	}()
	return j
}

func (js *jobs) get(id string) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.m[id]
}

// runOutcome turns a recorded run into an outcome.
func runOutcome(rr *service.RunResult, err error) *outcome {
	if rr == nil || rr.Result == nil {
		msg := "the run could not start"
		if err != nil {
			msg = err.Error()
		}
		return &outcome{Status: "failed", Error: msg}
	}
	o := &outcome{Status: string(rr.Result.Status), Operations: rr.Result.Operations, ExecutionID: rr.Result.ExecutionID}
	if rr.Result.Error != nil {
		o.Error = fmt.Sprintf("module %d: %s: %s", rr.Result.Error.ModuleID, rr.Result.Error.Type, rr.Result.Error.Message)
	}
	if err != nil && o.Error == "" {
		o.Error = err.Error()
	}
	for _, ie := range rr.Incomplete {
		o.Stored = append(o.Stored, ie.ID)
	}
	return o
}

type jobPanel struct {
	ID    string
	Title string
}

// renderPartial executes a named partial of the "partials" page into a string.
func (u *UI) renderPartial(name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := u.pages["partials"].ExecuteTemplate(&buf, name, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// startedPanel answers a POST that started a job: the panel that follows it live.
// Without htmx (no JavaScript) the page waits for the outcome and redirects back.
func (u *UI) startedPanel(w http.ResponseWriter, r *http.Request, s *session, j *job, back string) error {
	if r.Header.Get("HX-Request") == "" {
		<-j.done
		msg := j.title + ": " + j.out.Status
		if j.out.Error != "" {
			msg += " — " + j.out.Error
		}
		return u.flashRedirect(w, r, s, back, msg)
	}
	html, err := u.renderPartial("job", jobPanel{ID: j.id, Title: j.title})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write([]byte(html))
	return err
}

// jobEvents streams a job's progress as server-sent events: "status" while it runs,
// "module" (a rendered list row) as each module finishes, then "outcome" (the rendered
// panel, with every module listed) and the stream ends. A stream opened late gets the
// modules finished so far first.
func (u *UI) jobEvents(w http.ResponseWriter, r *http.Request, s *session) error {
	j := u.jobs.get(r.PathValue("id"))
	if j == nil || j.session != s.key {
		return &userError{status: http.StatusNotFound, msg: "No such run (it finished more than 15 minutes ago, or belongs to another session)."}
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("event stream: the response cannot be flushed")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	send := func(event, html string) {
		fmt.Fprintf(w, "event: %s\n", event)
		for _, line := range strings.Split(html, "\n") {
			fmt.Fprintf(w, "data: %s\n", line)
		}
		fmt.Fprint(w, "\n")
	}
	send("status", "running since "+j.started.UTC().Format("2006-01-02 15:04:05")+" UTC…")
	fl.Flush()
	// A comment every 15 s keeps proxies from closing a quiet stream during a long run.
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	sent := 0
	for {
		mods, grew := j.progress(sent)
		for _, m := range mods {
			html, err := u.renderPartial("job-module", m)
			if err != nil {
				return err
			}
			send("module", html)
		}
		sent += len(mods)
		fl.Flush()
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
			fmt.Fprint(w, ": still running\n\n")
			fl.Flush()
		case <-grew:
		case <-j.done:
			html, err := u.renderPartial("outcome", j.out)
			if err != nil {
				return err
			}
			send("outcome", html)
			fl.Flush()
			return nil
		}
	}
}
