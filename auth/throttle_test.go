package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/weftworks/weft/auth"
)

// syncBuffer is a log destination the server's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines returns the JSON log records written so far.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// client sends requests from a chosen loopback address (Linux routes all of
// 127.0.0.0/8 to lo), so one test plays several clients.
func client(from string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
		return d.DialContext(ctx, n, a)
	}}}
}

type answer struct {
	status     int
	retryAfter string
	body       string
}

func call(t *testing.T, c *http.Client, url, token string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
}

// Bad API tokens are throttled per client over real HTTP: ten failures in a row, then
// 429 with Retry-After until the bucket refills; other clients are not affected, a
// token the client used successfully lately still works, and the log gets at most one
// line a second with the number left out.
func TestThrottleBadTokens(t *testing.T) {
	c := newClock()
	logs := &syncBuffer{}
	a := auth.New(open(t), auth.WithClock(at(c)),
		auth.WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	used, _, _ := a.Create(t.Context(), "used", []string{"admin"})
	fresh, _, _ := a.Create(t.Context(), "fresh", []string{"admin"})
	srv := httptest.NewServer(a.Require(auth.ScenariosRead, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, auth.FromContext(r.Context()).Name)
	})))
	defer srv.Close()
	one, two := client("127.0.0.1"), client("127.0.0.2")

	if got := call(t, one, srv.URL, used); got.status != 200 || got.body != "used" {
		t.Fatalf("a good token: %+v", got)
	}
	for i := range auth.DefaultFailureBurst {
		if got := call(t, one, srv.URL, "weft_GUESS"+strings.Repeat("A", i)); got.status != 401 {
			t.Fatalf("failure %d: %+v", i+1, got)
		}
	}
	got := call(t, one, srv.URL, "weft_GUESS")
	if got.status != http.StatusTooManyRequests || got.retryAfter != "6" ||
		!strings.Contains(got.body, `"code":"too_many_requests"`) || !strings.Contains(got.body, "retry in 6 s") {
		t.Fatalf("the 11th failure: %+v; want 429 with Retry-After: 6", got)
	}
	// Even a valid token is refused unseen from a throttled client…
	if got := call(t, one, srv.URL, fresh); got.status != http.StatusTooManyRequests {
		t.Fatalf("an unused good token from a throttled client: %+v", got)
	}
	// …but one this client used lately goes through (clients behind the same proxy).
	if got := call(t, one, srv.URL, used); got.status != 200 {
		t.Fatalf("a recently used token from a throttled client: %+v", got)
	}
	// Another client is not affected.
	if got := call(t, two, srv.URL, fresh); got.status != 200 {
		t.Fatalf("another client: %+v", got)
	}
	// Half the refill time later: still refused, for the rest of it.
	c.Add(3 * time.Second)
	if got := call(t, one, srv.URL, "weft_GUESS"); got.status != 429 || got.retryAfter != "3" {
		t.Fatalf("3 s later: %+v; want Retry-After: 3", got)
	}
	// One attempt earned per 6 s: it is checked (and fails), then the client waits again.
	c.Add(3 * time.Second)
	if got := call(t, one, srv.URL, "weft_GUESS"); got.status != 401 {
		t.Fatalf("after the refill: %+v", got)
	}
	if got := call(t, one, srv.URL, "weft_GUESS"); got.status != 429 {
		t.Fatalf("right after: %+v", got)
	}
	c.Add(time.Minute)
	if got := call(t, one, srv.URL, fresh); got.status != 200 {
		t.Fatalf("a minute later: %+v", got)
	}

	// 11 failures and 4 refusals happened: at the first instant the log took ten lines
	// and left out two (both refusals); the line 3 s later says so.
	var failed, throttled, suppressed int
	for _, l := range logs.lines(t) {
		if l["level"] != "WARN" || l["client"] != "127.0.0.1" || l["path"] != "/" {
			t.Errorf("log line %v", l)
		}
		switch l["msg"] {
		case "authentication failed":
			failed++
		case "authentication throttled":
			throttled++
		}
		suppressed += int(l["suppressed"].(float64))
	}
	if failed != 11 || throttled != 2 || suppressed != 2 {
		t.Fatalf("logged %d failures and %d refusals, %d left out; want 11, 2 and 2", failed, throttled, suppressed)
	}
}

func TestThrottleOff(t *testing.T) {
	a := auth.New(open(t), auth.WithFailureLimit(0, 0), auth.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	srv := httptest.NewServer(a.Require(auth.ScenariosRead, http.NotFoundHandler()))
	defer srv.Close()
	for i := range 3 * auth.DefaultFailureBurst {
		if got := call(t, http.DefaultClient, srv.URL, "weft_BAD"); got.status != 401 {
			t.Fatalf("attempt %d with the limit off: %+v", i+1, got)
		}
	}
}

func TestClientKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:5000":             "192.0.2.7",
		"[::ffff:192.0.2.7]:5000":    "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":          "fe80::/64",
		"not an address":             "not an address",
		"[2001:db8:1:3::1]:1":        "2001:db8:1:3::/64",
	} {
		if got := auth.ClientKey(addr); got != want {
			t.Errorf("ClientKey(%q) = %q; want %q", addr, got, want)
		}
	}
}
