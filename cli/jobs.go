package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/server/api"
)

// A bulk retry or delete is a job of the API (202, then GET /jobs/{id}). The command
// follows it with a progress bar on stderr (redrawn in place on a terminal, a line per
// tenth otherwise) and ends with the counts by outcome.

// jobPoll is how often the command asks where a job stands.
func jobPoll(c *client) time.Duration {
	if c.mode == modeLocal {
		return 100 * time.Millisecond // an in-process call: cheap
	}
	return 500 * time.Millisecond
}

// followJob waits for the job, drawing its progress, and returns the job as it ended
// with the API's answer.
func followJob(cmd *cobra.Command, c *client, j api.Job) (api.Job, []byte, error) {
	bar := newProgress(cmd.ErrOrStderr(), j.Kind)
	tick := time.NewTicker(jobPoll(c))
	defer tick.Stop()
	var data []byte
	for {
		bar.draw(j)
		if j.Status != bulk.StatusRunning {
			bar.end()
			return j, data, nil
		}
		select {
		case <-cmd.Context().Done():
			bar.end()
			return j, data, fmt.Errorf("stopped waiting for job %s (%d of %d done); it goes on: GET /api/v1/jobs/%s",
				j.ID, j.Done, j.Total, j.ID)
		case <-tick.C:
		}
		var err error
		if data, err = c.call(cmd.Context(), "GET", "/jobs/"+url.PathEscape(j.ID), nil, nil, &j); err != nil {
			bar.end()
			return j, nil, err
		}
	}
}

// progress draws a job's progress.
type progress struct {
	w      io.Writer
	kind   string
	tty    bool
	tenths int // the last tenth written (not a terminal)
	drawn  bool
}

func newProgress(w io.Writer, kind string) *progress {
	p := &progress{w: w, kind: kind, tenths: -1}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

const barWidth = 30

func (p *progress) draw(j api.Job) {
	if j.Total == 0 {
		return
	}
	filled := barWidth * j.Done / j.Total
	line := fmt.Sprintf("%s [%s%s] %d/%d  %s", p.kind, strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
		j.Done, j.Total, countsText(j))
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.drawn = true
		return
	}
	if t := 10 * j.Done / j.Total; t != p.tenths {
		p.tenths = t
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) end() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
}

// countsText is "3 resolved, 1 failed, …": every outcome of the kind, in order.
func countsText(j api.Job) string {
	var parts []string
	for _, o := range bulk.Outcomes(j.Kind) {
		parts = append(parts, fmt.Sprintf("%d %s", j.Counts[o], o))
	}
	return strings.Join(parts, ", ")
}

// finishJob prints how the job ended (its JSON with --json) and returns the exit
// status it calls for: a failed job, or a retry that left any incomplete execution
// unresolved, exits 1.
func finishJob(cmd *cobra.Command, j api.Job, data []byte, asJSON bool) error {
	if asJSON {
		if data == nil {
			data, _ = json.Marshal(j)
		}
		printRaw(cmd, data)
	} else {
		what := map[string]string{bulk.KindRetry: "retried", bulk.KindDelete: "deleted"}[j.Kind]
		fmt.Fprintf(cmd.OutOrStdout(), "%d incomplete execution(s) %s: %s\n", j.Total, what, countsText(j))
		if j.Error != nil {
			fmt.Fprintf(cmd.OutOrStdout(), "  stopped: %s\n", *j.Error)
		}
	}
	switch {
	case j.Status == bulk.StatusFailed:
		return &ExitError{Code: ExitFailed}
	case j.Kind == bulk.KindRetry && j.Counts[bulk.OutcomeFailed]+j.Counts[bulk.OutcomeRetrying] > 0:
		return &ExitError{Code: ExitFailed}
	}
	return nil
}
