package ui_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sseEvent is one server-sent event: its name and its data lines joined.
type sseEvent struct{ name, data string }

// stream opens a job's event stream and returns a function reading the next event.
func (b *browser) stream(panel string) (next func() sseEvent) {
	b.e.t.Helper()
	m := jobRE.FindStringSubmatch(panel)
	if m == nil {
		b.e.t.Fatalf("no job panel: %s", panel)
	}
	return b.events(m[1])
}

// events opens the event stream at path and returns a function reading the next event.
func (b *browser) events(path string) (next func() sseEvent) {
	b.e.t.Helper()
	req, _ := http.NewRequestWithContext(b.e.t.Context(), http.MethodGet, b.e.srv.URL+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	b.e.t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		b.e.t.Fatalf("events: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	return func() sseEvent {
		b.e.t.Helper()
		var ev sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && ev.name != "":
				ev.data = strings.Join(data, "\n")
				return ev
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
		b.e.t.Fatalf("the stream ended without another event: %v", sc.Err())
		return ev
	}
}

// gate is a downstream API that holds each request until released, so a test sees
// what the page shows while a module is still running. It advances the clock by 1.5 s
// per call: the module's duration.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func newGate(t *testing.T, e *env) (*gate, string) {
	g := &gate{entered: make(chan struct{}, 8), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.entered <- struct{}{}
		<-g.release
		e.clock.Add(1500 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"stocked":true}`))
	}))
	// Released before the server closes (cleanups run last first), so no call hangs.
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-g.release:
		default:
			close(g.release)
		}
	})
	return g, srv.URL
}

// gatedBlueprint: webhook → HTTP to first (fails while it answers 4xx) → HTTP to the
// gate → compose.
func gatedBlueprint(first, gate string) string {
	return `{"name": "Gated", "flow": [
  {"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}},
  {"id": 2, "module": "http:MakeRequest", "version": 4, "parameters": {"authenticationType": "noAuth"},
   "mapper": {"url": "` + first + `/orders?id={{1.orderId}}", "method": "get"}},
  {"id": 3, "module": "http:MakeRequest", "version": 4, "parameters": {"authenticationType": "noAuth"},
   "mapper": {"url": "` + gate + `/stock", "method": "get"}},
  {"id": 4, "module": "util:ComposeTransformer", "version": 1, "parameters": {}, "mapper": {"value": "done {{1.orderId}}"}}
], "metadata": {"version": 1, "scenario": {"roundtrips": 1, "maxErrors": 3, "autoCommit": true, "dlq": true}}}`
}

// TestRunShowsEachModuleAsItFinishes: "Run" on an incomplete execution streams a row
// per module as it finishes — module id, name, ok or error, duration — before the run
// ends, and the outcome lists them all.
func TestRunShowsEachModuleAsItFinishes(t *testing.T) {
	e := newEnv(t)
	bad := newStandIn(t, 422)
	good := newStandIn(t, 200)
	g, gateURL := newGate(t, e)
	sc := e.scenario(gatedBlueprint(bad.srv.URL, gateURL))
	id := e.failRuns(sc, 1)[0]
	b := e.signedIn()

	p := b.post("/incomplete/"+id+"/run", url.Values{"mapper.url": {good.srv.URL + "/orders?id={{1.orderId}}"}}, "HX-Request", "true")
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	mustContain(t, p.body, `<ol class="job-modules"></ol>`)
	next := b.stream(p.body)
	if ev := next(); ev.name != "status" || !strings.Contains(ev.data, "running since") {
		t.Fatalf("first event %+v", ev)
	}
	// Module 2 has finished while module 3 waits at the gate: its row is on the page.
	ev := next()
	<-g.entered
	if ev.name != "module" || ev.data != `<li class="job-module ok" data-module="2"><span class="badge success">ok</span> `+
		`<span class="jm-name">2 · HTTP: Make a request</span> <span class="muted">0 µs</span></li>` {
		t.Fatalf("module 2's row: %+v", ev)
	}
	close(g.release)
	ev = next()
	if ev.name != "module" || !strings.Contains(ev.data, `data-module="3"`) || !strings.Contains(ev.data, `<span class="muted">1.5 s</span>`) {
		t.Fatalf("module 3's row: %+v", ev)
	}
	if ev = next(); ev.name != "module" || !strings.Contains(ev.data, `data-module="4"`) || !strings.Contains(ev.data, "4 · Compose a string") {
		t.Fatalf("module 4's row: %+v", ev)
	}
	ev = next()
	if ev.name != "outcome" {
		t.Fatalf("after the modules: %+v", ev)
	}
	mustContain(t, ev.data, "Run ended success", `id="ie-status-after">resolved`, `<ol class="job-modules">`,
		`data-module="2"`, `data-module="3"`, `data-module="4"`)
	if n := strings.Count(ev.data, `<li class="job-module ok"`); n != 3 {
		t.Errorf("the outcome lists %d modules, want 3", n)
	}

	// A run that fails: the failing module's row says error, with the error.
	other := e.scenario(gatedBlueprint(bad.srv.URL, gateURL))
	p = b.post("/scenarios/"+itoa(other.ID)+"/run", url.Values{"input": {`{"orderId": "B-1"}`}}, "HX-Request", "true")
	out := b.follow(p.body)
	mustContain(t, out, `<li class="job-module ok" data-module="1">`, `<li class="job-module error" data-module="2">`,
		`<span class="badge error">error</span>`, `<span class="jm-error">DataError: `)
	mustNotContain(t, out, `data-module="3"`)
}

// TestProgressIsBounded: an iterator over 250 bundles lists the first 200 module
// rows and counts the rest, in the stream and in the outcome.
func TestProgressIsBounded(t *testing.T) {
	e := newEnv(t)
	items := make([]string, 250)
	for i := range items {
		items[i] = itoa(int64(i))
	}
	sc := e.scenario(`{"name": "Many", "flow": [
  {"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}},
  {"id": 2, "module": "builtin:BasicFeeder", "version": 1, "mapper": {"array": [` + strings.Join(items, ",") + `]}},
  {"id": 3, "module": "util:ComposeTransformer", "version": 1, "mapper": {"value": "{{2.value}}"}}
], "metadata": {"version": 1}}`)
	b := e.signedIn()
	p := b.post("/scenarios/"+itoa(sc.ID)+"/run", nil, "HX-Request", "true")
	next := b.stream(p.body)
	rows := 0
	for {
		ev := next()
		if ev.name == "module" {
			rows++
			continue
		}
		if ev.name == "outcome" {
			mustContain(t, ev.data, "Run ended success", "… and 52 more")
			if n := strings.Count(ev.data, `<li class="job-module ok"`); n != 200 {
				t.Errorf("the outcome lists %d modules, want 200", n)
			}
			break
		}
	}
	if rows > 200 {
		t.Errorf("the stream sent %d module rows, want at most 200", rows)
	}
}
