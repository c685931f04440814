package service_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/service"
)

// feedStandIn is an RSS feed on 127.0.0.1 whose articles the test adds.
type feedStandIn struct {
	*httptest.Server
	mu       sync.Mutex
	articles []feedArticle
	fail     int // answer this status while > 0
}

type feedArticle struct {
	guid string
	date time.Time
}

func newFeed(t *testing.T) *feedStandIn {
	f := &feedStandIn{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.fail > 0 {
			w.WriteHeader(f.fail)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>`)
		for i := len(f.articles) - 1; i >= 0; i-- { // newest first, as feeds list them
			a := f.articles[i]
			fmt.Fprintf(&b, `<item><title>%s</title><link>https://example.test/%s</link><guid>%s</guid><pubDate>%s</pubDate><description>about %s</description></item>`,
				a.guid, a.guid, a.guid, a.date.Format(time.RFC1123Z), a.guid)
		}
		b.WriteString(`</channel></rss>`)
		io.WriteString(w, b.String())
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feedStandIn) add(at time.Time, guids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, g := range guids {
		f.articles = append(f.articles, feedArticle{guid: g, date: at.Add(time.Duration(i) * time.Second)})
	}
}

// sink is the downstream service: it records every delivery with its Idempotency-Key
// and answers a scripted status (200 by default). A service that deduplicates by key
// applies each key once: applied counts the keys it answered 200 for.
type sink struct {
	*httptest.Server
	mu      sync.Mutex
	status  int
	got     []delivery
	applied map[string]string // key → item
}

type delivery struct{ item, key string }

func newSink(t *testing.T) *sink {
	s := &sink{status: 200, applied: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Item string }
		json.NewDecoder(r.Body).Decode(&body)
		s.mu.Lock()
		key := r.Header.Get("Idempotency-Key")
		s.got = append(s.got, delivery{body.Item, key})
		status := s.status
		if status == 200 {
			s.applied[key] = body.Item
		}
		s.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) setStatus(n int) { s.mu.Lock(); s.status = n; s.mu.Unlock() }

// items is every item delivered, in order.
func (s *sink) items() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.got {
		out = append(out, d.item)
	}
	return out
}

// appliedItems is what a deduplicating service applied: each key once, sorted.
func (s *sink) appliedItems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, it := range s.applied {
		out = append(out, it)
	}
	slices.Sort(out)
	return out
}

// keysOf lists the distinct keys an item was delivered with.
func (s *sink) keysOf(item string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for _, d := range s.got {
		if d.item == item && !slices.Contains(keys, d.key) {
			keys = append(keys, d.key)
		}
	}
	return keys
}

// rssFlow: rss:TriggerNewArticle → POST {"item": title} to the sink.
func rssFlow(feed, sinkURL string, maxResults int) string {
	return fmt.Sprintf(`[{"id":1,"module":"rss:TriggerNewArticle","version":4,"parameters":{"url":%q,"gzip":true,"include":[],"password":"","username":"","maxResults":%d},"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":%q,"method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"item\":\"{{1.title}}\"}"}}]`, feed, maxResults, sinkURL+"/in")
}

func (e *env) poll(id int64) *service.RunResult {
	e.t.Helper()
	rr, err := e.svc.Run(e.t.Context(), id, []weft.Bundle{{}})
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return rr
}

func wantItems(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

// A polling trigger emits what is new since the last committed run, at most its limit
// per run, oldest first; a run that fails leaves its items for the next run (with the
// same idempotency keys); a run that stored an incomplete execution commits.
func TestPollingTriggerEmitsEachItemOnce(t *testing.T) {
	e := newEnv(t)
	feed, out := newFeed(t), newSink(t)
	t0 := e.clock.Now().Add(-time.Hour)
	feed.add(t0, "old1", "old2")
	id := e.scenario(rssFlow(feed.URL, out.URL, 2), "")
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	pos, err := e.svc.TriggerPosition(t.Context(), id)
	if err != nil || pos.Module != "rss:TriggerNewArticle" || pos.Version != 1 {
		t.Fatalf("activation chose no start: %+v, %v", pos, err)
	}

	// From now on: the articles already there are not emitted.
	e.poll(id)
	wantItems(t, "first run", out.items())

	feed.add(t0.Add(10*time.Minute), "a1", "a2", "a3")
	rr := e.poll(id)
	if rr.Result.Status != weft.StatusSuccess || rr.Result.Operations != 3 {
		t.Fatalf("run: %s, %d operations", rr.Result.Status, rr.Result.Operations)
	}
	wantItems(t, "limit 2, oldest first", out.items(), "a1", "a2")
	e.poll(id)
	wantItems(t, "the rest", out.items(), "a1", "a2", "a3")
	e.poll(id)
	wantItems(t, "nothing new", out.items(), "a1", "a2", "a3")

	// The downstream fails with an error that is not stored (500: RuntimeError): the
	// run ends in error and the position stays; the next run emits a4 again.
	feed.add(t0.Add(20*time.Minute), "a4")
	out.setStatus(500)
	if rr := e.poll(id); rr.Result.Status != weft.StatusError {
		t.Fatalf("failing run: %s", rr.Result.Status)
	}
	out.setStatus(200)
	e.poll(id)
	wantItems(t, "a4 again after the failed run", out.items(), "a1", "a2", "a3", "a4", "a4")
	if k := out.keysOf("a4"); len(k) != 1 {
		t.Fatalf("a4 was sent with %d different idempotency keys: %q", len(k), k)
	}

	// A failure stored as an incomplete execution (503: ConnectionError) commits the
	// run: a5 is not emitted again; its retry delivers it.
	feed.add(t0.Add(30*time.Minute), "a5")
	out.setStatus(503)
	rr = e.poll(id)
	if rr.Result.Status != weft.StatusWarning || len(rr.Incomplete) != 1 {
		t.Fatalf("run with a stored failure: %s, %d incomplete", rr.Result.Status, len(rr.Incomplete))
	}
	out.setStatus(200)
	e.poll(id)
	e.clock.Add(2 * time.Minute)
	if n := e.due(); n != 1 {
		t.Fatalf("retries run: %d", n)
	}
	wantItems(t, "applied once each", out.appliedItems(), "a1", "a2", "a3", "a4", "a5")
	if k := out.keysOf("a5"); len(k) != 1 {
		t.Fatalf("a5's retry changed its idempotency key: %q", k)
	}
	got := out.items()
	if n := strings.Count(strings.Join(got, ","), "a5"); n != 2 {
		t.Fatalf("a5 delivered %d times (want 2: the failed call and its retry): %q", n, got)
	}
}

// Choose where to start: last N, all, since a date, now.
func TestPollingTriggerStart(t *testing.T) {
	e := newEnv(t)
	feed, out := newFeed(t), newSink(t)
	t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	feed.add(t0, "b1", "b2", "b3", "b4")
	id := e.scenario(rssFlow(feed.URL, out.URL, 10), "")

	start := func(s string) {
		t.Helper()
		from, err := app.ParseStartFrom(s, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.StartTrigger(t.Context(), id, from)
		if err != nil {
			t.Fatalf("start %s: %v", s, err)
		}
		if p.Start != from.String() {
			t.Fatalf("start recorded as %q, want %q", p.Start, from.String())
		}
	}
	start("last:2")
	e.poll(id)
	wantItems(t, "last 2", out.items(), "b3", "b4")
	if p, _ := e.svc.TriggerPosition(t.Context(), id); p.Start != "" {
		t.Fatalf("a run moved the position but it still says it was chosen: %+v", p)
	}
	start("all")
	e.poll(id)
	wantItems(t, "all", out.items()[2:], "b1", "b2", "b3", "b4")
	start(t0.Add(2 * time.Second).Format(time.RFC3339))
	e.poll(id)
	wantItems(t, "since b3's date", out.items()[6:], "b3", "b4")
	start("now")
	e.poll(id)
	if n := len(out.items()); n != 8 {
		t.Fatalf("from now on emitted %d more", n-8)
	}

	// A trigger that cannot be reached: the start is refused with the reason, and the
	// position stays.
	feed.mu.Lock()
	feed.fail = 503
	feed.mu.Unlock()
	before, _ := e.svc.TriggerPosition(t.Context(), id)
	_, err := e.svc.StartTrigger(t.Context(), id, app.StartFrom{Mode: app.StartLast, Last: 1})
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("start against a failing feed: %v", err)
	}
	after, _ := e.svc.TriggerPosition(t.Context(), id)
	if after.Version != before.Version {
		t.Fatal("a refused start moved the position")
	}
	// The trigger's own error ends the run without an incomplete execution (SPEC §3.2)
	// and moves nothing.
	rr := e.poll(id)
	if rr.Result.Status != weft.StatusError || len(rr.Incomplete) != 0 {
		t.Fatalf("run with an unreachable feed: %s, %d incomplete", rr.Result.Status, len(rr.Incomplete))
	}
	// A scenario that does not poll has no position to choose.
	other := e.scenario(httpFlow(out.URL, ""), "")
	if _, err := e.svc.StartTrigger(t.Context(), other, app.StartFrom{Mode: app.StartAll}); err == nil {
		t.Fatal("start of a webhook scenario accepted")
	}
}

// Cycles: with roundtrips 3 and a limit of 1, one run polls three times.
func TestPollingTriggerCycles(t *testing.T) {
	e := newEnv(t)
	feed, out := newFeed(t), newSink(t)
	id := e.scenario(rssFlow(feed.URL, out.URL, 1), `{"roundtrips":3}`)
	if _, err := e.svc.StartTrigger(t.Context(), id, app.StartFrom{Mode: app.StartAll}); err != nil {
		t.Fatal(err)
	}
	feed.add(e.clock.Now().Add(-time.Hour), "c1", "c2", "c3", "c4")
	rr := e.poll(id)
	wantItems(t, "three cycles", out.items(), "c1", "c2", "c3")
	if rr.Result.Operations != 6 {
		t.Fatalf("operations: %d", rr.Result.Operations)
	}
	e.poll(id)
	wantItems(t, "the fourth, then the poll finds nothing and the run ends", out.items(), "c1", "c2", "c3", "c4")

	// metadata.instant does not make a polling scenario a webhook one: its scheduled
	// ticks poll.
	inst := e.scenario(rssFlow(feed.URL, out.URL, 1), "{}")
	raw, _ := e.svc.ExportScenario(t.Context(), inst)
	bp := strings.Replace(string(raw), `"metadata":{"version":1,`, `"metadata":{"version":1,"instant":true,`, 1)
	if bp == string(raw) {
		t.Fatalf("no metadata to mark instant in %s", raw)
	}
	if sc, err := e.svc.UpdateScenario(t.Context(), inst, []byte(bp)); err != nil || sc.Instant {
		t.Fatalf("polling scenario with metadata.instant: %+v, %v", sc, err)
	}
}

// sheetStandIn is the Sheets API's values.get on 127.0.0.1: a header row and the rows
// the test appends.
type sheetStandIn struct {
	*httptest.Server
	mu   sync.Mutex
	rows [][]any
	auth []string
}

func newSheet(t *testing.T) *sheetStandIn {
	s := &sheetStandIn{rows: [][]any{{"name", "n"}}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		if r.URL.EscapedPath() != "/v4/spreadsheets/SHEET1/values/%27Sheet1%27!A1%3AB" {
			http.Error(w, `{"error":{"message":"no such range `+r.URL.EscapedPath()+`"}}`, 404)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"range": "Sheet1!A1:B", "majorDimension": "ROWS", "values": s.rows})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sheetStandIn) append(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		s.rows = append(s.rows, []any{n, fmt.Sprint(len(s.rows))})
	}
}

// The declarative polling trigger google-sheets:watchRows (apps/google-sheets.json,
// trigger type id on the row number) against a stand-in Sheets API.
func TestDeclarativePollingTrigger(t *testing.T) {
	sheet, out := newSheet(t), newSink(t)
	t.Setenv("WEFT_APP_BASEURL_GOOGLE_SHEETS", sheet.URL)
	e := newEnv(t, withSecrets(keyring(t, "a")))
	conn, err := e.svc.CreateConnection(t.Context(), "sheets", "google", map[string]any{"accessToken": "ya29.test"})
	if err != nil {
		t.Fatal(err)
	}
	sheet.append("r1")
	flow := fmt.Sprintf(`[{"id":1,"module":"google-sheets:watchRows","version":2,"parameters":{"from":"drive","mode":"select","limit":2,"sheetId":"Sheet1","__IMTCONN__":%d,"spreadsheetId":"/folder/SHEET1","tableFirstRow":"A1:B1","includesHeaders":true,"valueRenderOption":"FORMATTED_VALUE","dateTimeRenderOption":"FORMATTED_STRING"},"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":%q,"method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"item\":\"{{1.`+"`0`"+`}}@{{1.__ROW_NUMBER__}}\"}"}}]`, conn.ID, out.URL+"/in")
	id := e.scenario(flow, "")
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	sheet.append("r2", "r3", "r4")
	e.poll(id)
	wantItems(t, "limit 2 from now on", out.items(), "r2@3", "r3@4")
	e.poll(id)
	wantItems(t, "the rest", out.items(), "r2@3", "r3@4", "r4@5")
	e.poll(id)
	if len(out.items()) != 3 {
		t.Fatalf("nothing new, yet: %q", out.items())
	}
	if _, err := e.svc.StartTrigger(t.Context(), id, app.StartFrom{Mode: app.StartLast, Last: 3}); err != nil {
		t.Fatal(err)
	}
	e.poll(id)
	wantItems(t, "last 3, limit 2", out.items()[3:], "r2@3", "r3@4")
	if _, err := e.svc.StartTrigger(t.Context(), id, app.StartFrom{Mode: app.StartSince, Since: time.Now()}); err == nil ||
		!strings.Contains(err.Error(), "follows ids") {
		t.Fatalf("since a date on an id trigger: %v", err)
	}
	sheet.mu.Lock()
	defer sheet.mu.Unlock()
	for _, a := range sheet.auth {
		if a != "Bearer ya29.test" {
			t.Fatalf("request without the connection's token: %q", a)
		}
	}
}
