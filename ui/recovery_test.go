package ui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/weftworks/weft"
)

// TestOutcomeUnknownPage: the page of an incomplete execution whose call was sent but
// never answered says so; Check reads the order back and fills the mark-done form with
// what it found; Mark done continues the run without sending the order again.
func TestOutcomeUnknownPage(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Path != "/orders/A-100" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"orderId":"A-100","state":"placed"}`)
			return
		}
		io.ReadAll(r.Body)
		posts.Add(1)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	e := newEnv(t)
	bp := strings.Replace(forwardBlueprint("Forward orders", srv.URL), `"authenticationType": "noAuth"`,
		`"authenticationType": "noAuth", "idempotencyKey": false`, 1)
	if !strings.Contains(bp, `"idempotencyKey": false`) {
		t.Fatalf("the blueprint has no noAuth to extend: %s", bp)
	}
	sc := e.scenario(bp)
	id := e.failRuns(sc, 1)[0]
	b := e.signedIn()

	p := b.get("/incomplete/" + id)
	mustContain(t, p.body, `id="outcome-unknown"`, "no answer came back", `id="check-form"`, `id="mark-done-form"`)
	mustContain(t, p.body, `id="preview"`, `data-preview="1"`, "its stored output is used", "may repeat a write it already made")

	p = b.post("/incomplete/"+id+"/check", url.Values{"url": {"/orders/nope"}})
	mustContain(t, p.body, `id="check-result"`, "did not happen", "retry it")
	p = b.post("/incomplete/"+id+"/check", url.Values{"url": {"/orders/A-100"}})
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	mustContain(t, p.body, "the write happened", "&#34;state&#34;: &#34;placed&#34;")

	p = b.post("/incomplete/"+id+"/mark-done", url.Values{"output": {"[1]"}}, "HX-Request", "true")
	mustContain(t, p.body, "must be a JSON object")
	p = b.post("/incomplete/"+id+"/mark-done", url.Values{"output": {`{"statusCode":201,"data":{"state":"placed"}}`}}, "HX-Request", "true")
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	mustContain(t, b.follow(p.body), `id="ie-status-after">resolved`)
	if ie, _ := e.st.GetIncomplete(t.Context(), id); ie.Status != weft.IncompleteResolved {
		t.Fatalf("status %s", ie.Status)
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	mustNotContain(t, b.get("/incomplete/"+id).body, `id="outcome-unknown"`)
}

// TestBreakersOnTheIncompletePage: an open breaker is listed with how many wait behind
// it, the incomplete execution's page says it is held, and Reset releases them.
func TestBreakersOnTheIncompletePage(t *testing.T) {
	e := newEnv(t)
	down := newStandIn(t, 503)
	sc := e.scenario(forwardBlueprint("Forward orders", down.srv.URL))
	ids := e.failRuns(sc, 2)
	b := e.signedIn()
	key := "host:" + strings.TrimPrefix(down.srv.URL, "http://")
	p := b.get("/incomplete")
	mustContain(t, p.body, `id="breakers"`, `data-breaker="`+key+`"`)
	mustContain(t, b.get("/incomplete/"+ids[0]).body, `id="ie-breaker"`, "2 incomplete execution(s) wait for one probe")
	p = b.post("/breakers/reset", url.Values{"key": {key}, "back": {"/incomplete"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/incomplete" {
		t.Fatal(p)
	}
	p = b.get("/incomplete")
	mustContain(t, p.body, "closed: 2 incomplete execution(s) are due now")
	mustNotContain(t, p.body, `id="breakers"`)
}
