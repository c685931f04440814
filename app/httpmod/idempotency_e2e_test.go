package httpmod_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/sqlite"
)

// orders is a stand-in order service that deduplicates by Idempotency-Key, as Stripe
// and others do: it records every request's order id and key and answers 503 to
// order "a" while failures remain.
type orders struct {
	*httptest.Server
	mu       sync.Mutex
	calls    [][2]string // {order id, Idempotency-Key}
	failures int
}

func newOrders(t *testing.T, failures int) *orders {
	o := &orders{failures: failures}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ ID string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		o.mu.Lock()
		o.calls = append(o.calls, [2]string{body.ID, r.Header.Get("Idempotency-Key")})
		fail := body.ID == "a" && o.failures > 0
		if fail {
			o.failures--
		}
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"busy"}`)
			return
		}
		io.WriteString(w, `{"created":true}`)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *orders) seen() [][2]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([][2]string(nil), o.calls...)
}

// TestIdempotencyKeyAcrossRetries runs through the real service on a SQLite file: a
// 503 stores an incomplete execution; an automatic retry and a manual one reach the
// service with the key of the first call; another bundle, and another run, get other
// keys.
func TestIdempotencyKeyAcrossRetries(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := app.NewRegistry()
	if err := builtin.Register(reg); err != nil {
		t.Fatal(err)
	}
	noProxy := func(*http.Request) (*url.URL, error) { return nil, nil }
	if err := httpmod.RegisterOptions(reg, httpmod.Options{Proxy: noProxy}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ids := 0
	svc, err := service.New(service.Config{Store: st, Registry: reg, Clock: clock,
		NewID:  func() string { mu.Lock(); defer mu.Unlock(); ids++; return fmt.Sprintf("id%04d", ids) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}

	o := newOrders(t, 2)
	bp := `{"name":"orders","metadata":{"version":1,"scenario":{}},"flow":[
		{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + o.URL + `/orders","method":"post","contentType":"json","inputMethod":"jsonString",
		           "jsonStringBodyContent":"{\"id\":\"{{2.value}}\"}"}}]}`
	sc, err := svc.CreateScenario(t.Context(), []byte(bp), "")
	if err != nil {
		t.Fatal(err)
	}
	rr, err := svc.Run(t.Context(), sc.ID, []weft.Bundle{{"items": []any{"a", "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rr.Incomplete) != 1 || rr.Incomplete[0].ErrorType != weft.ConnectionError || !rr.Incomplete[0].AutoRetry {
		t.Fatalf("run: status %s, incomplete %+v", rr.Result.Status, rr.Incomplete)
	}
	ie := rr.Incomplete[0].ID
	first := o.seen()
	if len(first) != 2 || first[0][0] != "a" || first[1][0] != "b" {
		t.Fatalf("first run reached the service with %v", first)
	}
	keyA, keyB := first[0][1], first[1][1]
	if keyA == "" || keyB == "" || keyA == keyB {
		t.Fatalf("keys of the two bundles: %q and %q", keyA, keyB)
	}

	// The automatic retry (due a minute later) fails again; a person retries at once.
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if n, err := svc.RunDue(t.Context()); err != nil || n != 1 {
		t.Fatalf("RunDue: %d %v", n, err)
	}
	_, after, err := svc.RetryNow(t.Context(), ie)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != weft.IncompleteResolved {
		t.Fatalf("after the second retry the incomplete execution is %s", after.Status)
	}
	all := o.seen()
	want := [][2]string{{"a", keyA}, {"b", keyB}, {"a", keyA}, {"a", keyA}}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("the service saw\n %v\nwant\n %v", all, want)
	}

	// A new run of the same order is a new call: a new key.
	if _, err := svc.Run(t.Context(), sc.ID, []weft.Bundle{{"items": []any{"a"}}}); err != nil {
		t.Fatal(err)
	}
	all = o.seen()
	if last := all[len(all)-1]; last[0] != "a" || last[1] == keyA || last[1] == "" {
		t.Fatalf("a new run reused the key: %v", last)
	}
}
