package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/store"
)

// A bulk retry or delete from the list or the grouped view is a job of package bulk
// (the same jobs the REST API answers 202 with): the POST starts it and redirects to
// its page, /incomplete/jobs/{id}, which draws a progress bar and the counts by
// outcome. With JavaScript the page follows the job's server-sent events; without, it
// reloads itself every few seconds until the job has ended.

// bulkView is a job as its page and its events draw it.
type bulkView struct {
	ID      string
	Kind    string
	Status  string
	Running bool
	Total   int
	Done    int
	// Percent is Done of Total, 0 to 100 (100 for an empty job).
	Percent int
	Counts  []bulkCount
	Error   string
	Started time.Time
	// Back is where the page's "back" link goes (the list the job came from).
	Back string
}

type bulkCount struct {
	Outcome string
	N       int
}

func viewBulk(s bulk.Snapshot, back string) bulkView {
	v := bulkView{ID: s.ID, Kind: s.Kind, Status: s.Status, Running: s.Status == bulk.StatusRunning, Total: s.Total,
		Done: s.Done, Percent: 100, Error: s.Error, Started: s.CreatedAt, Back: back}
	if s.Total > 0 {
		v.Percent = 100 * s.Done / s.Total
	}
	for _, o := range bulk.Outcomes(s.Kind) {
		v.Counts = append(v.Counts, bulkCount{o, s.Counts[o]})
	}
	return v
}

type bulkPage struct {
	pageBase
	Job bulkView
}

// safeBack is a local path to return to, or /incomplete.
func safeBack(back string) string {
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.HasPrefix(back, "/\\") {
		return "/incomplete"
	}
	return back
}

// startBulk starts a retry (or delete) job of the incomplete executions in
// byScenario and redirects to its page; msg is flashed there.
func (u *UI) startBulk(w http.ResponseWriter, r *http.Request, s *session, del bool, byScenario map[int64][]string, back, msg string) error {
	var sels []store.Selection
	scenarios := make([]int64, 0, len(byScenario))
	for sc := range byScenario {
		scenarios = append(scenarios, sc)
	}
	slices.Sort(scenarios)
	for _, sc := range scenarios {
		if len(byScenario[sc]) > 0 {
			sels = append(sels, store.Selection{IDs: byScenario[sc], ScenarioID: sc})
		}
	}
	if len(sels) == 0 {
		return u.flashRedirect(w, r, s, back, "Nothing to do: none of them waits any more.")
	}
	// The job outlives the request: a person closing the tab must not stop it.
	ctx := ctxWithoutCancel(r)
	var (
		j   *bulk.Job
		err error
	)
	if del {
		j, err = u.bulkJobs.Delete(ctx, false, sels...)
	} else {
		j, err = u.bulkJobs.Retry(ctx, sels...)
	}
	if err != nil {
		return err
	}
	if msg == "" {
		n := j.Snapshot().Total
		if del {
			msg = fmt.Sprintf("Deleting %d incomplete execution%s.", n, plural(n, "", "s"))
		} else {
			msg = fmt.Sprintf("Queued %d retr%s; the worker runs them now.", n, plural(n, "y", "ies"))
		}
	}
	return u.flashRedirect(w, r, s, "/incomplete/jobs/"+j.ID()+"?back="+url.QueryEscape(back), msg)
}

func (u *UI) bulkJob(r *http.Request) (*bulk.Job, error) {
	j := u.bulkJobs.Get(r.PathValue("id"))
	if j == nil {
		return nil, &userError{status: http.StatusNotFound, msg: "No such job (it ended more than 15 minutes ago, or ran in another weft process)."}
	}
	return j, nil
}

// bulkJobPage shows a bulk job's progress bar and counts.
func (u *UI) bulkJobPage(w http.ResponseWriter, r *http.Request, s *session) error {
	j, err := u.bulkJob(r)
	if err != nil {
		return err
	}
	v := viewBulk(j.Snapshot(), safeBack(r.URL.Query().Get("back")))
	title := map[string]string{bulk.KindRetry: "Bulk retry", bulk.KindDelete: "Bulk delete"}[v.Kind]
	u.render(w, r, http.StatusOK, "bulkjob", &bulkPage{pageBase: u.base(s, title, "incomplete"), Job: v})
	return nil
}

// bulkJobEvents streams a bulk job as server-sent events: "progress" (the rendered
// progress panel) at each change while it runs, then "done" (the final panel) and the
// stream ends.
func (u *UI) bulkJobEvents(w http.ResponseWriter, r *http.Request, s *session) error {
	j, err := u.bulkJob(r)
	if err != nil {
		return err
	}
	back := safeBack(r.URL.Query().Get("back"))
	fl, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("event stream: the response cannot be flushed")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	send := func(event string, v bulkView) error {
		html, err := u.renderPartial("bulk-progress", v)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "event: %s\n", event)
		for _, line := range strings.Split(html, "\n") {
			fmt.Fprintf(w, "data: %s\n", line)
		}
		fmt.Fprint(w, "\n")
		fl.Flush()
		return nil
	}
	tick := time.NewTicker(15 * time.Second) // keeps proxies from closing a quiet stream
	defer tick.Stop()
	for {
		changed := j.Changed()
		v := viewBulk(j.Snapshot(), back)
		if !v.Running {
			return send("done", v)
		}
		if err := send("progress", v); err != nil {
			return err
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
			fmt.Fprint(w, ": still running\n\n")
			fl.Flush()
		case <-changed:
		}
	}
}

// defaultBulkJobs is the UI's own jobs when Config.Jobs is not given: they end with
// the process.
func defaultBulkJobs(cfg Config) *bulk.Jobs {
	return bulk.New(bulk.Options{Service: cfg.Service, Store: cfg.Store, Now: cfg.Now, Logger: cfg.Logger})
}
