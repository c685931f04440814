package api

import (
	"net/http"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/bulk"
)

// Job is a bulk retry or delete of incomplete executions (package bulk): 202 from the
// bulk endpoints, then GET /jobs/{id} until status is no longer running.
type Job struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Status is running, done or failed (error says why; the counts so far stand).
	Status string `json:"status"`
	Total  int    `json:"total"`
	Done   int    `json:"done"`
	// Counts are the finished ones by outcome: for a retry resolved, failed,
	// retrying, deleted and skipped; for a delete deleted and skipped.
	Counts     map[string]int `json:"counts"`
	Error      *string        `json:"error"`
	CreatedAt  string         `json:"createdAt"`
	FinishedAt *string        `json:"finishedAt"`
}

// ViewJob is the API's view of a job.
func ViewJob(s bulk.Snapshot) Job {
	return Job{ID: s.ID, Kind: s.Kind, Status: s.Status, Total: s.Total, Done: s.Done, Counts: s.Counts,
		Error: optString(s.Error), CreatedAt: weft.RFC3339(s.CreatedAt), FinishedAt: weft.RFC3339Ptr(s.FinishedAt)}
}

// accepted answers 202 with the job and where to follow it.
func (a *api) accepted(w http.ResponseWriter, j *bulk.Job) error {
	w.Header().Set("Location", Prefix+"/jobs/"+j.ID())
	writeJSON(w, http.StatusAccepted, ViewJob(j.Snapshot()))
	return nil
}

func (a *api) getJob(w http.ResponseWriter, r *http.Request) error {
	j := a.Jobs.Get(r.PathValue("id"))
	if j == nil {
		return notFound("job %s: not found (jobs are kept 15 minutes after they end, by the process that ran them)", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, ViewJob(j.Snapshot()))
	return nil
}
