package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
)

// orders is a webhook scenario calling a partner: webhook → HTTP POST {"id"} (module 2).
func orders(url string) string {
	return `{"name":"Orders","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
	 {"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
	  "mapper":{"url":"` + url + `/orders","method":"post","contentType":"json","inputMethod":"jsonString",
	  "jsonStringBodyContent":"{\"id\":\"{{1.id}}\"}"}}],
	 "metadata":{"version":1,"instant":true,"scenario":{}}}`
}

// partnerCalls is a stand-in partner on 127.0.0.1: 500 for the ids in fail, 200
// otherwise; it counts the calls per id.
type partnerCalls struct {
	*httptest.Server
	mu    sync.Mutex
	fail  map[string]bool
	calls map[string]int
}

func newPartnerCalls(t *testing.T, fail ...string) *partnerCalls {
	p := &partnerCalls{fail: map[string]bool{}, calls: map[string]int{}}
	for _, f := range fail {
		p.fail[f] = true
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ ID string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		p.mu.Lock()
		p.calls[body.ID]++
		fail := p.fail[body.ID]
		p.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *partnerCalls) count(id string) int { p.mu.Lock(); defer p.mu.Unlock(); return p.calls[id] }
func (p *partnerCalls) heal(id string)      { p.mu.Lock(); defer p.mu.Unlock(); delete(p.fail, id) }

// hook delivers a payload as the webhook endpoint does: stored, then run at once when
// the scenario may run it now.
func (e *env) hook(scenario int64, payload weft.Bundle) {
	e.t.Helper()
	acc, err := e.svc.Accept(e.t.Context(), scenario, payload, true)
	if err != nil {
		e.t.Fatal(err)
	}
	if acc.Inline {
		if _, err := e.svc.RunAccepted(e.t.Context(), acc); err != nil {
			e.t.Fatal(err)
		}
	}
}

// work runs the worker's queue pass until nothing is left to start.
func (e *env) work() {
	e.t.Helper()
	for {
		n, err := e.svc.DrainQueue(e.t.Context())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

type queuePage struct {
	Items      []weft.QueueItemJSON `json:"items"`
	NextCursor *string              `json:"nextCursor"`
}

func (e *env) queue(path string) queuePage {
	e.t.Helper()
	r := e.do("GET", path, nil)
	if r.status != 200 {
		e.t.Fatalf("GET %s: %s", path, r)
	}
	var p queuePage
	if err := json.Unmarshal(r.body, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// TestQueueOverTheAPI: the payload that failed and deactivated the instant scenario is
// set aside and visible at GET /scenarios/{id}/queue with its error; after
// reactivation the good payload behind it runs once (counted at the partner); the dead
// one is retried over the API (runs again) and another is deleted.
func TestQueueOverTheAPI(t *testing.T) {
	e := newEnv(t)
	p := newPartnerCalls(t, "bad")
	sc := e.create(orders(p.URL))
	scID, _ := strconv.ParseInt(id(sc), 10, 64)
	base := "/scenarios/" + id(sc)
	e.must(200, e.do("POST", base+"/activate", nil))

	e.hook(scID, weft.Bundle{"id": "bad"})
	e.hook(scID, weft.Bundle{"id": "good"})
	if got := e.must(200, e.do("GET", base, nil)); got["active"] != false {
		t.Fatalf("scenario after the error run: %v", got)
	}
	q := e.queue(base + "/queue")
	if len(q.Items) != 2 || q.Items[0].Status != weft.QueueDead || q.Items[1].Status != weft.QueueWaiting || q.NextCursor != nil {
		t.Fatalf("queue %+v", q)
	}
	dead := q.Items[0]
	if dead.Error == nil || dead.Error.Type != weft.RuntimeError || dead.Error.ModuleID != 2 || dead.ExecutionID == nil || dead.DeadAt == nil {
		t.Fatalf("dead item %+v", dead)
	}
	deadPath := fmt.Sprintf("%s/queue/%d", base, dead.ID)
	one := e.must(200, e.do("GET", deadPath, nil))
	if one["payload"].(map[string]any)["id"] != "bad" || one["confidential"] != false || one["status"] != "dead" {
		t.Fatalf("GET one: %v", one)
	}
	// The execution it names is the failed run.
	ex := e.must(200, e.do("GET", "/executions/"+*dead.ExecutionID, nil))
	if ex["status"] != "error" {
		t.Fatalf("the dead item's execution: %v", ex)
	}
	// Filters and paging.
	if q := e.queue(base + "/queue?status=dead"); len(q.Items) != 1 || q.Items[0].ID != dead.ID {
		t.Fatalf("status=dead: %+v", q)
	}
	first := e.queue(base + "/queue?limit=1")
	if len(first.Items) != 1 || first.NextCursor == nil {
		t.Fatalf("limit=1: %+v", first)
	}
	if rest := e.queue(base + "/queue?limit=1&cursor=" + *first.NextCursor); len(rest.Items) != 1 || rest.Items[0].Status != weft.QueueWaiting || rest.NextCursor != nil {
		t.Fatalf("second page: %+v", rest)
	}

	// Reactivated, the good payload runs once; the dead one does not run again.
	e.must(200, e.do("POST", base+"/activate", nil))
	e.work()
	if p.count("good") != 1 || p.count("bad") != 1 {
		t.Fatalf("calls: good %d, bad %d", p.count("good"), p.count("bad"))
	}
	if got := e.must(200, e.do("GET", base, nil)); got["active"] != true {
		t.Fatalf("scenario deactivated again: %v", got)
	}

	// A waiting or running payload cannot be retried; the dead one can.
	if code, _, _ := e.do("POST", fmt.Sprintf("%s/queue/%d/retry", base, q.Items[1].ID), nil).err(t); code != "not_found" {
		t.Fatalf("retry of the payload that ran: %s", code)
	}
	p.heal("bad")
	r := e.must(200, e.do("POST", deadPath+"/retry", nil))
	if r["status"] != "waiting" || r["error"] != nil || r["executionId"] != nil {
		t.Fatalf("retried item %v", r)
	}
	if code, _, _ := e.do("POST", deadPath+"/retry", nil).err(t); code != "conflict" {
		t.Fatalf("retry of a waiting payload: %s", code)
	}
	e.work()
	if p.count("bad") != 2 || len(e.queue(base+"/queue").Items) != 0 {
		t.Fatalf("after the retry: bad called %d times, queue %+v", p.count("bad"), e.queue(base+"/queue"))
	}

	// Another failure: deleted over the API, and it never runs again.
	p.mu.Lock()
	p.fail["worse"] = true
	p.mu.Unlock()
	e.hook(scID, weft.Bundle{"id": "worse"})
	e.hook(scID, weft.Bundle{"id": "later"})
	q = e.queue(base + "/queue")
	if len(q.Items) != 2 || q.Items[0].Status != weft.QueueDead {
		t.Fatalf("queue %+v", q)
	}
	e.must(204, e.do("DELETE", fmt.Sprintf("%s/queue/%d", base, q.Items[0].ID), nil))
	e.must(404, e.do("GET", fmt.Sprintf("%s/queue/%d", base, q.Items[0].ID), nil))
	e.must(200, e.do("POST", base+"/activate", nil))
	e.work()
	if p.count("worse") != 1 || p.count("later") != 1 {
		t.Fatalf("calls: worse %d, later %d", p.count("worse"), p.count("later"))
	}

	// Bulk: retry and delete by selection; delete all needs confirmed.
	p.mu.Lock()
	p.fail["x"], p.fail["y"] = true, true
	p.mu.Unlock()
	e.hook(scID, weft.Bundle{"id": "x"})
	e.must(200, e.do("POST", base+"/activate", nil))
	e.hook(scID, weft.Bundle{"id": "y"})
	if got := e.must(200, e.do("POST", base+"/queue/retry", map[string]any{"all": true})); got["queued"] != 2.0 {
		t.Fatalf("bulk retry: %v", got)
	}
	if code, _, d := e.do("POST", base+"/queue/delete", map[string]any{"all": true}).err(t); code != "invalid_input" || d["field"] != "confirmed" {
		t.Fatalf("delete all without confirmed: %s %v", code, d)
	}
	if got := e.must(200, e.do("POST", base+"/queue/delete", map[string]any{"all": true, "confirmed": true, "status": []string{"waiting"}})); got["deleted"] != 2.0 {
		t.Fatalf("bulk delete: %v", got)
	}
	if q := e.queue(base + "/queue"); len(q.Items) != 0 {
		t.Fatalf("queue after bulk delete: %+v", q)
	}
}

func TestQueueAPIRefusals(t *testing.T) {
	e := newEnv(t)
	p := newPartnerCalls(t)
	sc := e.create(orders(p.URL))
	scID, _ := strconv.ParseInt(id(sc), 10, 64)
	base := "/scenarios/" + id(sc)
	e.hook(scID, weft.Bundle{"id": "a"}) // inactive: waits
	item := e.queue(base + "/queue").Items[0]
	other := e.create(orders(p.URL))
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{"GET", "/scenarios/404/queue", nil, 404, ""},
		{"GET", base + "/queue?status=stuck", nil, 400, "status"},
		{"GET", base + "/queue?cursor=eA", nil, 400, "cursor"},
		{"GET", base + "/queue/x", nil, 400, "item"},
		{"GET", fmt.Sprintf("/scenarios/%s/queue/%d", id(other), item.ID), nil, 404, ""},
		{"DELETE", fmt.Sprintf("/scenarios/%s/queue/%d", id(other), item.ID), nil, 404, ""},
		{"POST", base + "/queue/retry", map[string]any{}, 400, "ids"},
		{"POST", base + "/queue/retry", map[string]any{"ids": []int{1}, "all": true}, 400, "all"},
		{"POST", base + "/queue/retry", map[string]any{"ids": []int{1}, "except": []int{2}}, 400, "except"},
		{"POST", base + "/queue/retry", map[string]any{"all": true, "confirmed": true}, 400, "confirmed"},
		{"POST", base + "/queue/retry", map[string]any{"all": true, "status": []string{"dead"}}, 400, "status"},
		{"POST", base + "/queue/delete", map[string]any{"all": true, "confirmed": true, "status": []string{"stuck"}}, 400, "status[0]"},
		{"POST", base + "/queue/delete", map[string]any{"ids": []int{0}}, 400, "ids[0]"},
		{"POST", base + "/queue/delete", map[string]any{"idz": []int{1}}, 400, "idz"},
	} {
		r := e.do(c.method, c.path, c.body)
		if r.status != c.status {
			t.Errorf("%s %s: %s, want %d", c.method, c.path, r, c.status)
			continue
		}
		if c.field != "" {
			if _, _, d := r.err(t); d["field"] != c.field {
				t.Errorf("%s %s: field %v, want %s", c.method, c.path, d["field"], c.field)
			}
		}
	}
	// A payload a run consumes is not deleted (its run settles it).
	if _, err := e.st.ClaimQueued(t.Context(), 1, nil, func() string { return "run-1" }); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := e.do("DELETE", fmt.Sprintf("%s/queue/%d", base, item.ID), nil).err(t); code != "conflict" {
		t.Fatalf("delete a running payload: %s", code)
	}
	if got := e.must(200, e.do("POST", base+"/queue/delete", map[string]any{"all": true, "confirmed": true})); got["deleted"] != 0.0 {
		t.Fatalf("bulk delete took a running payload: %v", got)
	}
	if q := e.queue(base + "/queue?status=running"); len(q.Items) != 1 || *q.Items[0].ExecutionID != "run-1" {
		t.Fatalf("running item %+v", q)
	}
	if err := e.st.ReleaseQueued(t.Context(), item.ID); err != nil {
		t.Fatal(err)
	}
	// The item is untouched by the refusals; a read token cannot delete it.
	reader := e.token(auth.WebhooksRead)
	e.must(200, e.doAs(reader, "GET", fmt.Sprintf("%s/queue/%d", base, item.ID), nil))
	e.must(403, e.doAs(reader, "DELETE", fmt.Sprintf("%s/queue/%d", base, item.ID), nil))
	e.must(204, e.do("DELETE", fmt.Sprintf("%s/queue/%d", base, item.ID), nil))
}
