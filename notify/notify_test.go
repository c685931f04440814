package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/notify"
)

// receiver is a notification endpoint on 127.0.0.1: each request gets the next scripted
// status (the last repeats) and is passed to the test on got.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	header map[string]string // sent with every answer
	got    chan request
	hold   chan struct{} // when set, answers wait until it is closed
}

type request struct {
	body   string
	header http.Header
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script, got: make(chan request, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := 200
		if len(r.script) > 0 {
			status = r.script[0]
			if len(r.script) > 1 {
				r.script = r.script[1:]
			}
		}
		hold := r.hold
		for k, v := range r.header {
			w.Header().Set(k, v)
		}
		r.mu.Unlock()
		r.got <- request{body: string(body), header: req.Header.Clone()}
		if hold != nil {
			select {
			case <-hold:
			case <-req.Context().Done():
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

// next waits for the next request (bounded, so a broken notifier fails the test).
func (r *receiver) next(t *testing.T) request {
	t.Helper()
	select {
	case q := <-r.got:
		return q
	case <-time.After(10 * time.Second):
		t.Fatal("no notification arrived within 10 s")
		return request{}
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

var at = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func fixed() notify.Options {
	var n atomic.Int64
	return notify.Options{Clock: func() time.Time { return at }, FirstBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		NewID: func() string { return fmt.Sprintf("ev%d", n.Add(1)) }}
}

func closeNow(t *testing.T, n *notify.Notifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEventsAsJSON(t *testing.T) {
	r := newReceiver(t)
	n := notify.New(r.URL+"/hook", nil, quiet(), fixed())
	sc := &weft.Scenario{ID: 4, Name: "Orders", Active: true, Paused: "x"}
	next := at.Add(time.Minute)
	ie := &weft.Incomplete{ID: "ie1", ScenarioID: 4, ExecutionID: "ex1", Version: 2, FailedModuleID: 3,
		ErrorType: weft.ConnectionError, ErrorMessage: "503", Status: weft.IncompletePending, AutoRetry: true,
		NextAttemptAt: &next, SizeBytes: 10, CreatedAt: at, Blueprint: []byte(`{"secret":"bp"}`),
		State: []byte("state"), ErrorDetails: map[string]any{"body": "private"}}
	n.IncompleteStored(sc, ie)
	n.ScenarioDeactivated(sc, "an InvalidAccessTokenError needs a person")
	n.ScenarioDeactivated(&weft.Scenario{ID: 5, Name: "Hook"}, "an instant trigger's run ended in error")
	n.RunFinished(sc, nil, nil) // not notified

	want := []struct{ event, body string }{
		{"incomplete.stored", `{"id":"ev1","event":"incomplete.stored","at":"2026-05-01T12:00:00Z","scenario":{"id":4,"name":"Orders","active":true},` +
			`"incomplete":{"id":"ie1","scenarioId":4,"executionId":"ex1","version":2,"failedModuleId":3,"errorType":"ConnectionError",` +
			`"errorMessage":"503","status":"pending","autoRetry":true,"attempts":0,"nextAttemptAt":"2026-05-01T12:01:00Z","sizeBytes":10,` +
			`"createdAt":"2026-05-01T12:00:00Z","resolvedAt":null}}`},
		{"scenario.deactivated", `{"id":"ev2","event":"scenario.deactivated","at":"2026-05-01T12:00:00Z","scenario":{"id":4,"name":"Orders","active":true},` +
			`"state":"paused","reason":"an InvalidAccessTokenError needs a person"}`},
		{"scenario.deactivated", `{"id":"ev3","event":"scenario.deactivated","at":"2026-05-01T12:00:00Z","scenario":{"id":5,"name":"Hook","active":false},` +
			`"state":"deactivated","reason":"an instant trigger's run ended in error"}`},
	}
	for i, w := range want {
		got := r.next(t)
		if got.body != w.body {
			t.Errorf("notification %d:\n got %s\nwant %s", i+1, got.body, w.body)
		}
		if got.header.Get("Content-Type") != "application/json" || got.header.Get("X-Weft-Event") != w.event ||
			got.header.Get("X-Weft-Delivery") != fmt.Sprintf("ev%d", i+1) || got.header.Get("User-Agent") != "weft-notify" {
			t.Errorf("notification %d headers: %v", i+1, got.header)
		}
	}
	closeNow(t, n)
	if s := n.Stats(); s != (notify.Stats{Sent: 3}) {
		t.Errorf("stats = %+v", s)
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name     string
		script   []int
		attempts int // requests the receiver sees
		want     notify.Stats
	}{
		{"accepted at once", []int{204}, 1, notify.Stats{Sent: 1}},
		{"server errors then accepted", []int{503, 500, 502, 200}, 4, notify.Stats{Sent: 1}},
		{"rate limited then accepted", []int{429, 200}, 2, notify.Stats{Sent: 1}},
		{"request timeout then accepted", []int{408, 201}, 2, notify.Stats{Sent: 1}},
		{"refused: not retried", []int{400}, 1, notify.Stats{Failed: 1}},
		{"not found: not retried", []int{404}, 1, notify.Stats{Failed: 1}},
		{"out of attempts", []int{503}, 3, notify.Stats{Failed: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReceiver(t, c.script...)
			opts := fixed()
			opts.MaxAttempts = 3
			if c.attempts > 3 {
				opts.MaxAttempts = c.attempts
			}
			n := notify.New(r.URL, nil, quiet(), opts)
			n.Send(notify.Event{Event: "test"})
			for i := 0; i < c.attempts; i++ {
				if got := r.next(t); got.header.Get("X-Weft-Delivery") != "ev1" {
					t.Errorf("attempt %d carries delivery id %q, want the same ev1", i+1, got.header.Get("X-Weft-Delivery"))
				}
			}
			closeNow(t, n)
			if len(r.got) != 0 {
				t.Errorf("%d request(s) more than %d", len(r.got), c.attempts)
			}
			if s := n.Stats(); s != c.want {
				t.Errorf("stats = %+v, want %+v", s, c.want)
			}
		})
	}
}

func TestRetryAfterIsCappedByMaxBackoff(t *testing.T) {
	r := newReceiver(t, 429, 200)
	r.header = map[string]string{"Retry-After": "3600"}
	n := notify.New(r.URL, nil, quiet(), fixed()) // MaxBackoff 4 ms: an hour's Retry-After waits 4 ms
	n.Send(notify.Event{Event: "test"})
	r.next(t)
	r.next(t)
	closeNow(t, n)
	if s := n.Stats(); s.Sent != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestUnreachableReceiver(t *testing.T) {
	r := newReceiver(t)
	url := r.URL
	r.Close() // nothing listens there any more: connection refused
	opts := fixed()
	opts.MaxAttempts = 2
	n := notify.New(url, nil, quiet(), opts)
	n.Send(notify.Event{Event: "test"})
	closeNow(t, n)
	if s := n.Stats(); s != (notify.Stats{Failed: 1}) {
		t.Errorf("stats = %+v", s)
	}
}

// TestFullQueueDropsWithoutBlocking: while the receiver holds the first notification,
// two more fill the queue and the rest are dropped and counted — and Send returns at
// once every time.
func TestFullQueueDropsWithoutBlocking(t *testing.T) {
	r := newReceiver(t)
	r.hold = make(chan struct{})
	var logs strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	opts := fixed()
	opts.QueueSize = 2
	n := notify.New(r.URL, nil, log, opts)
	n.Send(notify.Event{Event: "first"})
	r.next(t) // the worker is now waiting on the receiver
	for i := 0; i < 12; i++ {
		n.Send(notify.Event{Event: "more"})
	}
	if s := n.Stats(); s != (notify.Stats{Dropped: 10, Queued: 2}) {
		t.Errorf("stats while held = %+v", s)
	}
	close(r.hold)
	closeNow(t, n)
	if s := n.Stats(); s != (notify.Stats{Sent: 3, Dropped: 10}) {
		t.Errorf("stats = %+v", s)
	}
	mu.Lock()
	defer mu.Unlock()
	// Drops are logged at the 1st and 10th, not each time.
	if c := strings.Count(logs.String(), "notification dropped"); c != 2 {
		t.Errorf("%d drop messages, want 2:\n%s", c, logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestCloseGivesUp: Close waits for the queue only as long as its context allows; what
// is left is counted as failed, and events sent after Close are dropped.
func TestCloseGivesUp(t *testing.T) {
	r := newReceiver(t)
	r.hold = make(chan struct{})
	defer close(r.hold)
	n := notify.New(r.URL, nil, quiet(), fixed())
	for i := 0; i < 3; i++ {
		n.Send(notify.Event{Event: "e"})
	}
	r.next(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := n.Close(ctx)
	if err == nil || err.Error() != "notify: closed with 3 notification(s) undelivered: context canceled" {
		t.Fatalf("Close = %v", err)
	}
	n.Send(notify.Event{Event: "late"})
	if s := n.Stats(); s != (notify.Stats{Failed: 3, Dropped: 1}) {
		t.Errorf("stats = %+v", s)
	}
	if err := n.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestBackoff(t *testing.T) {
	cases := []struct {
		attempt int
		want    time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {6, 32 * time.Second}, {7, time.Minute}, {60, time.Minute}}
	for _, c := range cases {
		if got := notify.Backoff(c.attempt, time.Second, time.Minute); got != c.want {
			t.Errorf("Backoff(%d) = %v, want %v", c.attempt, got, c.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	cases := []struct{ url, err string }{
		{"https://hooks.example.com/weft", ""},
		{"http://127.0.0.1:9000/x", ""},
		{"ftp://example.com", `notification URL "ftp://example.com": want an absolute http:// or https:// URL`},
		{"/relative", `notification URL "/relative": want an absolute http:// or https:// URL`},
		{"http://%zz", `notification URL: parse "http://%zz": invalid URL escape "%zz"`},
	}
	for _, c := range cases {
		err := notify.CheckURL(c.url)
		if got := fmt.Sprint(err); (c.err == "" && err != nil) || (c.err != "" && got != c.err) {
			t.Errorf("CheckURL(%q) = %v, want %q", c.url, err, c.err)
		}
	}
}

func TestBodyIsValidJSONForEveryEvent(t *testing.T) {
	r := newReceiver(t)
	n := notify.New(r.URL, nil, quiet(), fixed())
	n.IncompleteStored(nil, &weft.Incomplete{ID: "x", ErrorMessage: "quote \" and \n newline"})
	var ev map[string]any
	if err := json.Unmarshal([]byte(r.next(t).body), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["incomplete"].(map[string]any)["errorMessage"] != "quote \" and \n newline" {
		t.Errorf("event %v", ev)
	}
	closeNow(t, n)
}
