package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/ui"
)

var rowRE = regexp.MustCompile(`<tr data-ie="([0-9a-f]+)">`)

func rows(body string) []string {
	var out []string
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestIncompleteListPagesAndFilters(t *testing.T) {
	e := newEnv(t, func(c *ui.Config) { c.PageSize = 3 })
	bad := newStandIn(t, 422)
	sc := e.scenario(forwardBlueprint("Forward orders", bad.srv.URL))
	ids := e.failRuns(sc, 7)
	// One becomes pending (a retry is scheduled) and one is resolved.
	if _, err := e.svc.Retry(t.Context(), store.Selection{IDs: ids[6:], ScenarioID: sc.ID}); err != nil {
		t.Fatal(err)
	}
	ie, _ := e.st.GetIncomplete(t.Context(), ids[5])
	ie.Status, ie.ResolvedAt = weft.IncompleteResolved, &t0
	if err := e.st.UpdateIncomplete(t.Context(), ie); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn()
	base := "/scenarios/" + itoa(sc.ID) + "/incomplete"
	cases := []struct {
		query string
		total string
		want  []string
	}{
		{"", "6 incomplete executions (not resolved)", ids[:3]},
		{"?after=" + ids[2], "6 incomplete executions", []string{ids[3], ids[4], ids[6]}},
		{"?status=resolved", "1 incomplete execution (status resolved)", ids[5:6]},
		{"?status=pending", "1 incomplete execution (status pending)", ids[6:7]},
		{"?status=all&after=" + ids[5], "7 incomplete executions (every status)", ids[6:7]},
		{"?errorType=DataError&module=2", "6 incomplete executions (not resolved, error type DataError, failing at module 2)", ids[:3]},
		{"?errorType=ConnectionError", "0 incomplete executions", nil},
		{"?module=3", "0 incomplete executions", nil},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			p := b.get(base + c.query)
			if p.status != http.StatusOK {
				t.Fatal(p)
			}
			mustContain(t, p.body, c.total)
			got := rows(p.body)
			if strings.Join(got, ",") != strings.Join(c.want, ",") && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("rows %v, want %v", got, c.want)
			}
		})
	}
	first := b.get(base)
	mustContain(t, first.body, `id="next-page" href="`+base+`?after=`+ids[2]+`"`, "2 · HTTP: Make a request",
		`<option value="2">2 · HTTP: Make a request</option>`)
	pending := b.get(base + "?status=pending")
	// The countdown starts from the server's clock: the retry is due now.
	mustContain(t, pending.body, `data-until="2026-05-01T12:00:07Z">due now</span>`)
	// Across all scenarios, the scenario is a column.
	all := b.get("/incomplete")
	mustContain(t, all.body, `<a href="/scenarios/1">Forward orders</a>`)
}

func TestBulkRetryAndDelete(t *testing.T) {
	e := newEnv(t, func(c *ui.Config) { c.PageSize = 2 })
	bad := newStandIn(t, 422)
	sc := e.scenario(forwardBlueprint("Forward orders", bad.srv.URL))
	ids := e.failRuns(sc, 5)
	b := e.signedIn()
	back := "/scenarios/" + itoa(sc.ID) + "/incomplete"
	form := func(kv ...string) url.Values {
		v := url.Values{"back": {back}, "scenario": {itoa(sc.ID)}, "status": {""}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "id" {
				v.Add(kv[i], kv[i+1])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	status := func(id string) weft.IncompleteStatus {
		ie, err := e.st.GetIncomplete(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return ie.Status
	}

	// jobPage follows a bulk action's redirect to its job's page once the job has ended.
	jobPage := func(p page) page {
		t.Helper()
		loc := p.header.Get("Location")
		m := regexp.MustCompile(`^/incomplete/jobs/([0-9a-f]+)\?back=`).FindStringSubmatch(loc)
		if p.status != http.StatusSeeOther || m == nil || !strings.HasSuffix(loc, url.QueryEscape(back)) {
			t.Fatalf("not a job: %s %s", loc, p)
		}
		if j := e.bulk.Get(m[1]); j != nil {
			<-j.Done()
		}
		return b.get(loc)
	}
	// Retry of ticked ones is queued at once; the job's page shows them (the retries
	// themselves are the worker's: none runs in this test, so the job waits).
	p := b.post("/incomplete/bulk", form("action", "retry", "id", ids[0], "id", ids[1]))
	if loc := p.header.Get("Location"); p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/incomplete/jobs/") {
		t.Fatal(p)
	}
	mustContain(t, b.get(p.header.Get("Location")).body, "Queued 2 retries", "Retrying 2 incomplete executions",
		`<progress max="2" value="0">0%</progress>`, `href="`+back+`"`)
	if status(ids[0]) != weft.IncompletePending || status(ids[2]) != weft.IncompleteUnresolved {
		t.Errorf("statuses %s %s", status(ids[0]), status(ids[2]))
	}

	// Delete asks first; "all matching" counts every page, filters included.
	p = b.post("/incomplete/bulk", form("action", "delete", "all", "1", "errorType", "DataError"))
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	mustContain(t, p.body, "Delete 5 incomplete executions?", "error type DataError", "cannot be undone")
	p = b.post("/incomplete/bulk", form("action", "retry", "all", "1", "status", "unresolved"))
	mustContain(t, p.body, "Retry 3 incomplete executions?")
	p = b.post("/incomplete/bulk/confirm", form("action", "retry", "all", "1", "status", "unresolved"))
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/incomplete/jobs/") {
		t.Fatal(p)
	}
	for _, id := range ids {
		if s := status(id); s != weft.IncompletePending {
			t.Errorf("%s is %s after retry all", id, s)
		}
	}
	// Nothing ticked.
	p = b.post("/incomplete/bulk", form("action", "retry"))
	if p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	mustContain(t, b.get(back).body, "Nothing selected")
	// Delete of ticked ones after the confirmation.
	p = b.post("/incomplete/bulk", form("action", "delete", "id", ids[4]))
	mustContain(t, p.body, "Delete 1 incomplete execution?", `name="id" value="`+ids[4]+`"`)
	done := jobPage(b.post("/incomplete/bulk/confirm", form("action", "delete", "id", ids[4])))
	mustContain(t, done.body, "Deleting 1 incomplete execution", `<progress max="1" value="1">100%</progress>`,
		`data-outcome="deleted"><span class="badge deleted">deleted</span> <strong>1</strong>`, "Done.")
	mustNotContain(t, done.body, "data-bulk-events", "http-equiv")
	if _, err := e.st.GetIncomplete(t.Context(), ids[4]); err == nil {
		t.Error("deleted incomplete execution still there")
	}
	done = jobPage(b.post("/incomplete/bulk/confirm", form("action", "delete", "all", "1")))
	mustContain(t, done.body, "Deleting 4 incomplete executions.", `<progress max="4" value="4">100%</progress>`,
		`data-outcome="deleted"><span class="badge deleted">deleted</span> <strong>4</strong>`)
	mustContain(t, b.get(back).body, "0 incomplete executions")
	if p := b.post("/incomplete/bulk", form("action", "explode")); p.status != http.StatusBadRequest {
		t.Errorf("unknown action: %d", p.status)
	}
}

func TestGroupedView(t *testing.T) {
	e := newEnv(t)
	bad := newStandIn(t, 422)
	sc := e.scenario(forwardBlueprint("Forward orders", bad.srv.URL))
	other := e.scenario(forwardBlueprint("Other", bad.srv.URL))
	e.failRuns(sc, 4)
	e.failRuns(other, 2)
	b := e.signedIn()
	p := b.get("/incomplete/groups")
	mustContain(t, p.body, "6 waiting (unresolved or pending) in 2 groups", "Retry all 4", "Retry all 2",
		// A real message of the group, readable; the pattern it was grouped by on hover.
		`<span class="cause-label" title="grouped as: [# Unprocessable Entity] POST &lt;url&gt;: {…:…}">[422 Unprocessable Entity] POST `+bad.srv.URL+`/orders?id=A-100`,
		"and 3 more like it (they differ in numbers, addresses, quoted values)")
	p = b.get("/incomplete/groups?scenario=" + itoa(other.ID))
	mustContain(t, p.body, "2 waiting (unresolved or pending) in 1 group:")
	mustNotContain(t, p.body, "Retry all 4")

	msg := "[# Unprocessable Entity] POST <url>: {…:…}"
	p = b.post("/incomplete/groups/retry", url.Values{"scenario": {itoa(sc.ID)}, "module": {"2"}, "errorType": {"DataError"}, "message": {msg}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/incomplete/jobs/") {
		t.Fatal(p)
	}
	mustContain(t, b.get(p.header.Get("Location")).body, "Queued 4 retries", "Retrying 4 incomplete executions")
	mustContain(t, b.get("/incomplete/groups").body, "Retry all 2")
	n, _ := e.st.CountIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: sc.ID, Status: []weft.IncompleteStatus{weft.IncompletePending}})
	if n != 4 {
		t.Errorf("%d pending, want 4", n)
	}
	// Nothing left in that group.
	b.post("/incomplete/groups/retry", url.Values{"scenario": {itoa(sc.ID)}, "module": {"2"}, "errorType": {"DataError"}, "message": {"gone"}})
	mustContain(t, b.get("/incomplete/groups").body, "That group has nothing waiting any more")
}

func TestCountdownText(t *testing.T) {
	e := newEnv(t)
	bad := newStandIn(t, 422)
	sc := e.scenario(forwardBlueprint("Forward orders", bad.srv.URL))
	id := e.failRuns(sc, 1)[0]
	ie, _ := e.st.GetIncomplete(t.Context(), id)
	b := e.signedIn()
	for _, c := range []struct {
		in   time.Duration
		want string
	}{{-time.Second, "due now"}, {42 * time.Second, "in 42 s"}, {4*time.Minute + 10*time.Second, "in 4 min 10 s"}, {3*time.Hour + 5*time.Minute, "in 3 h 5 min"}} {
		at := e.clock.Now().Add(c.in)
		ie.Status, ie.NextAttemptAt = weft.IncompletePending, &at
		if err := e.st.UpdateIncomplete(t.Context(), ie); err != nil {
			t.Fatal(err)
		}
		mustContain(t, b.get("/incomplete/"+id).body, fmt.Sprintf(`data-until="%s">%s</span>`, at.UTC().Format(time.RFC3339), c.want))
	}
}
