package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/ui"
)

var bulkEventsRE = regexp.MustCompile(`data-bulk-events="([^"]+)"`)

// TestBulkRetryShowsProgress: a bulk retry's page follows the job live — a progress
// bar and counts by outcome that move as each attempt ends (server-sent events), and
// the final counts when all have ended.
func TestBulkRetryShowsProgress(t *testing.T) {
	e := newEnv(t, func(c *ui.Config) {
		// No worker runs in this test: the job carries out the retries itself, as the
		// command line does without a server.
		c.Jobs = bulk.New(bulk.Options{Service: c.Service, Now: c.Now, Logger: c.Logger, Poll: 5 * time.Millisecond,
			Runner: c.Service.RunDue})
	})
	bad := newStandIn(t, 422)
	g, gateURL := newGate(t, e)
	sc := e.scenario(gatedBlueprint(bad.srv.URL, gateURL))
	ids := e.failRuns(sc, 3)
	bad.status.Store(200) // fixed: each retry goes on to the gate
	b := e.signedIn()

	p := b.post("/incomplete/bulk", url.Values{"action": {"retry"}, "id": ids, "back": {"/incomplete"}})
	if p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	page := b.get(p.header.Get("Location"))
	mustContain(t, page.body, "Retrying 3 incomplete executions", `<progress max="3" value="0">0%</progress>`,
		`<noscript><meta http-equiv="refresh" content="3"></noscript>`)
	m := bulkEventsRE.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no event stream on the page: %s", page.body)
	}
	next := b.events(strings.ReplaceAll(m[1], "&amp;", "&"))
	ev := next()
	if ev.name != "progress" || !strings.Contains(ev.data, `<progress max="3" value="0">`) {
		t.Fatalf("first event %+v", ev)
	}
	for done := 1; done <= 3; done++ {
		<-g.entered
		g.release <- struct{}{} // one attempt's call answers: it ends resolved
		ev = next()
		if done == 3 && ev.name == "done" {
			break // the job counted the last one and ended before the stream looked
		}
		if ev.name != "progress" || !strings.Contains(ev.data, `value="`+itoa(int64(done))+`"`) ||
			!strings.Contains(ev.data, `data-outcome="resolved"><span class="badge resolved">resolved</span> <strong>`+itoa(int64(done))+`</strong>`) {
			t.Fatalf("after %d attempt(s): %+v", done, ev)
		}
	}
	// The job ends once it has counted the last one.
	if ev.name != "done" {
		ev = next()
	}
	if ev.name != "done" || !strings.Contains(ev.data, `value="3"`) {
		t.Fatalf("the end: %+v", ev)
	}
	mustContain(t, ev.data, "Done.", `data-outcome="failed"><span class="badge failed">failed</span> <strong>0</strong>`)
	// The page itself, reloaded (no JavaScript), shows the end and stops reloading.
	page = b.get(p.header.Get("Location"))
	mustContain(t, page.body, `<progress max="3" value="3">100%</progress>`, "Done.")
	mustNotContain(t, page.body, "data-bulk-events", "http-equiv")
}
