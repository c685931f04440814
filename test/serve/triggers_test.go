package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// loopbackArgs allow weft serve to call the test's stand-ins on 127.0.0.1 when its
// outbound network policy denies loopback by default (--net-allow).
func loopbackArgs(t *testing.T, bin string) []string {
	t.Helper()
	out, _ := exec.Command(bin, "serve", "--help").CombinedOutput()
	if strings.Contains(string(out), "--net-allow") {
		return []string{"--net-allow", "127.0.0.1"}
	}
	return nil
}

// feed is an RSS feed whose articles the test adds (dated a second apart).
type feed struct {
	*httptest.Server
	mu    sync.Mutex
	items []string
	t0    time.Time
}

func newFeed(t *testing.T) *feed {
	f := &feed{t0: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>`)
		for i := len(f.items) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, `<item><title>%s</title><guid>%s</guid><pubDate>%s</pubDate></item>`,
				f.items[i], f.items[i], f.t0.Add(time.Duration(i)*time.Second).Format(time.RFC1123Z))
		}
		b.WriteString(`</channel></rss>`)
		io.WriteString(w, b.String())
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feed) add(items ...string) { f.mu.Lock(); f.items = append(f.items, items...); f.mu.Unlock() }

// dedupSink is the downstream service: it applies each Idempotency-Key once, as a
// service that deduplicates does. It can refuse an item's first call (500) or hold it
// open until weft's connection drops (the call is in flight when weft is killed).
type dedupSink struct {
	*httptest.Server
	mu       sync.Mutex
	applied  map[string]string   // key → item
	keys     map[string][]string // item → distinct keys
	calls    []string
	failOnce map[string]bool
	holdOnce map[string]bool
	held     chan string
}

func newDedupSink(t *testing.T) *dedupSink {
	s := &dedupSink{applied: map[string]string{}, keys: map[string][]string{}, failOnce: map[string]bool{},
		holdOnce: map[string]bool{}, held: make(chan string, 4)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Item string }
		json.NewDecoder(r.Body).Decode(&body)
		key := r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		s.calls = append(s.calls, body.Item)
		if !slices.Contains(s.keys[body.Item], key) {
			s.keys[body.Item] = append(s.keys[body.Item], key)
		}
		fail, hold := s.failOnce[body.Item], s.holdOnce[body.Item]
		delete(s.failOnce, body.Item)
		delete(s.holdOnce, body.Item)
		if !fail && !hold {
			s.applied[key] = body.Item
		}
		s.mu.Unlock()
		switch {
		case hold:
			s.held <- body.Item
			<-r.Context().Done() // until weft's connection drops
			return
		case fail:
			w.WriteHeader(500)
		}
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// appliedItems: what the deduplicating service did, sorted; each key once.
func (s *dedupSink) appliedItems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, it := range s.applied {
		out = append(out, it)
	}
	slices.Sort(out)
	return out
}

func (p *weftProc) runNow(id int64) (int, string) {
	p.t.Helper()
	return p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/run", id), "")
}

// Items added while runs fail, and while weft serve is killed (SIGKILL) between
// fetching them and committing the run, are each applied exactly once downstream: a
// run that did not commit leaves the trigger's position, and the items it emits again
// carry the same idempotency keys.
func TestPollingTriggerExactlyOnceAcrossFailuresAndSIGKILL(t *testing.T) {
	bin := build(t)
	data := t.TempDir()
	token := adminToken(t, bin, data)
	rss, sink := newFeed(t), newDedupSink(t)
	rss.add("old")
	net := loopbackArgs(t, bin)
	p := start(t, bin, data, net...)
	p.token = token
	bp := `{"name":"news","flow":[{"id":1,"module":"rss:TriggerNewArticle","version":4,"parameters":{"url":"` + rss.URL + `","maxResults":10},"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + sink.URL + `/in","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"item\":\"{{1.title}}\"}"}}],"metadata":{"version":1}}`
	code, body := p.do("POST", "/api/v1/scenarios", bp)
	var sc struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &sc); err != nil || code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	id := sc.ID
	// Activation chooses "from now on": "old" is not emitted.
	if code, body := p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/activate", id), ""); code != 200 {
		t.Fatalf("activate: %d %s", code, body)
	}

	rss.add("a1", "a2")
	if code, body := p.runNow(id); code != 200 || !strings.Contains(body, `"status":"success"`) {
		t.Fatalf("run: %d %s", code, body)
	}
	// A run that fails (500 → RuntimeError: the run ends in error) moves nothing.
	rss.add("a3")
	sink.mu.Lock()
	sink.failOnce["a3"] = true
	sink.mu.Unlock()
	if code, body := p.runNow(id); code != 200 || !strings.Contains(body, `"status":"error"`) {
		t.Fatalf("failing run: %d %s", code, body)
	}
	// A run killed while its call for a4 is in flight; a6 arrives while weft is down.
	rss.add("a4", "a5")
	sink.mu.Lock()
	sink.holdOnce["a4"] = true
	sink.mu.Unlock()
	go func() { // answered by no one: weft dies first
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/scenarios/%d/run", p.base, id), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-sink.held:
	case <-time.After(30 * time.Second):
		t.Fatal("the run never called the sink for a4")
	}
	p.cmd.Process.Kill()
	<-p.done
	rss.add("a6")

	p = start(t, bin, data, net...)
	p.token = token
	if code, body := p.runNow(id); code != 200 || !strings.Contains(body, `"status":"success"`) {
		t.Fatalf("run after the restart: %d %s", code, body)
	}
	if code, body := p.runNow(id); code != 200 {
		t.Fatalf("last run: %d %s", code, body)
	}
	want := []string{"a1", "a2", "a3", "a4", "a5", "a6"}
	if got := sink.appliedItems(); !slices.Equal(got, want) {
		t.Fatalf("applied %q, want each of %q once", got, want)
	}
	sink.mu.Lock()
	for _, it := range want {
		if len(sink.keys[it]) != 1 {
			t.Errorf("%s was sent with %d idempotency keys %q", it, len(sink.keys[it]), sink.keys[it])
		}
	}
	calls := slices.Clone(sink.calls)
	sink.mu.Unlock()
	// a1, a2 once; a3 three times (its run failed; the killed run sent it again and
	// did not commit; the run after the restart sent it once more — the same key each
	// time); a4 twice (in flight at the kill, then again); a5 and a6 once.
	want = []string{"a1", "a2", "a3", "a3", "a4", "a3", "a4", "a5", "a6"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
	// The interrupted run is recorded as such, with no incomplete execution to resolve.
	code, body = p.do("GET", fmt.Sprintf("/api/v1/incomplete-executions?scenario=%d", id), "")
	if code != 200 || strings.Contains(body, `"id":"`) {
		t.Fatalf("incomplete executions after the kill: %d %s", code, body)
	}
	code, body = p.do("GET", fmt.Sprintf("/api/v1/scenarios/%d/trigger", id), "")
	if code != 200 || !strings.Contains(body, "a6") {
		t.Fatalf("position: %d %s", code, body)
	}
	p.stop()
}

// botStandIn is a stand-in Telegram Bot API recording setWebhook and deleteWebhook.
type botStandIn struct {
	*httptest.Server
	mu    sync.Mutex
	calls []map[string]any
}

func newBotStandIn(t *testing.T, token string) *botStandIn {
	b := &botStandIn{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, ok := strings.CutPrefix(r.URL.Path, "/bot"+token+"/")
		if !ok {
			w.WriteHeader(404)
			io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
			return
		}
		body := map[string]any{}
		json.NewDecoder(r.Body).Decode(&body)
		body["method"] = method
		b.mu.Lock()
		b.calls = append(b.calls, body)
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"result":true}`)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *botStandIn) last() map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.calls) == 0 {
		return nil
	}
	return b.calls[len(b.calls)-1]
}

// telegram:WatchUpdates through the real weft serve: activation registers the hook with
// setWebhook and a secret; an update with the right secret runs, one with a wrong
// secret is refused (401) and nothing is queued; deactivation calls deleteWebhook.
func TestTelegramWatchUpdatesServe(t *testing.T) {
	const botToken = "123456:ABC-serve"
	bin := build(t)
	data := t.TempDir()
	token := adminToken(t, bin, data)
	bot, sink := newBotStandIn(t, botToken), newDedupSink(t)
	t.Setenv("WEFT_APP_BASEURL_TELEGRAM", bot.URL) // the process inherits it
	p := start(t, bin, data, loopbackArgs(t, bin)...)
	p.token = token
	code, body := p.do("POST", "/api/v1/connections", `{"name":"bot","type":"telegram","data":{"token":"`+botToken+`"}}`)
	var conn struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &conn); err != nil || code != 201 {
		t.Fatalf("connection: %d %s", code, body)
	}
	bp := fmt.Sprintf(`{"name":"bot","flow":[{"id":1,"module":"telegram:WatchUpdates","version":1,"parameters":{"__IMTHOOK__":1335589,"__IMTCONN__":%d},"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"%s/in","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"item\":\"{{1.message.text}}\"}"}}],"metadata":{"version":1,"instant":true}}`, conn.ID, sink.URL)
	id, hookURL := p.activeScenario(bp)
	set := bot.last()
	secret, _ := set["secret_token"].(string)
	if set["method"] != "setWebhook" || set["url"] != hookURL || len(secret) < 16 {
		t.Fatalf("setWebhook: %v (hook %s)", set, hookURL)
	}
	post := func(secret, text string) int {
		req, _ := http.NewRequest("POST", hookURL, strings.NewReader(`{"update_id":1,"message":{"message_id":1,"chat":{"id":42},"text":"`+text+`"}}`))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("not-the-secret", "forged"); code != 401 {
		t.Fatalf("wrong secret: %d", code)
	}
	if code := post("", "forged"); code != 401 {
		t.Fatalf("no secret: %d", code)
	}
	if code, body := p.do("GET", fmt.Sprintf("/api/v1/scenarios/%d/queue", id), ""); code != 200 || strings.Contains(body, `"id":`) {
		t.Fatalf("queue after refused calls: %d %s", code, body)
	}
	if code := post(secret, "hello"); code < 200 || code > 202 {
		t.Fatalf("right secret: %d", code)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !slices.Contains(sink.appliedItems(), "hello") {
		if time.Now().After(deadline) {
			t.Fatalf("the update never ran: %q", sink.appliedItems())
		}
		time.Sleep(20 * time.Millisecond) // polling an external process
	}
	if got := sink.appliedItems(); slices.Contains(got, "forged") {
		t.Fatalf("a refused call ran: %q", got)
	}
	if code, body := p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/deactivate", id), ""); code != 200 {
		t.Fatalf("deactivate: %d %s", code, body)
	}
	if last := bot.last(); last["method"] != "deleteWebhook" {
		t.Fatalf("after deactivation: %v", last)
	}
	p.stop()
}
