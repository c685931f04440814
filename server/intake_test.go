package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// The byte bound of a scenario's queue: payloads of an inactive scenario queue up
// until the next would pass QueueBytes; that one is refused with 429, Retry-After and a
// message naming the bound; once the scenario runs its queue down, a payload is
// accepted again, and every payload accepted ran exactly once.
func TestQueueByteBound(t *testing.T) {
	const payload = 1000 // bytes of each body
	e := newEnv(t, func(c *server.Config) { c.QueueBytes = 3500 })
	id, url := e.scenario(fmt.Sprintf(recordBlueprint, "{}"))
	if _, err := e.svc.SetActive(t.Context(), id, false); err != nil {
		t.Fatal(err)
	}
	body := func(key string) string {
		b := fmt.Sprintf(`{"id":%q,"n":"`, key)
		return b + strings.Repeat("x", payload-len(b)-2) + `"}`
	}
	for i := range 3 {
		if code, msg, _ := post(t, url, "application/json", body(fmt.Sprint("b", i))); code != 200 {
			t.Fatalf("payload %d: %d %s", i, code, msg)
		}
	}
	u, err := e.st.QueueUsage(t.Context(), id)
	if err != nil || u.Items != 3 || u.Bytes != 3*payload {
		t.Fatalf("queue usage %+v, %v; want 3 items of %d bytes", u, err, payload)
	}
	code, msg, h := post(t, url, "application/json", body("b3"))
	if code != http.StatusTooManyRequests || h.Get("Retry-After") != "10" ||
		!strings.Contains(msg, `"code":"queue_full"`) || !strings.Contains(msg, "3000 bytes of payloads in its queue") ||
		!strings.Contains(msg, "bound of 3500 bytes (--webhook-queue-bytes)") {
		t.Fatalf("over the byte bound: %d %q %s", code, h.Get("Retry-After"), msg)
	}
	// A smaller payload still fits.
	if code, msg, _ := post(t, url, "application/json", `{"id":"small"}`); code != 200 {
		t.Fatalf("a payload that fits: %d %s", code, msg)
	}
	// The scenario runs its queue down; then the refused payload is accepted.
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		<-e.runs
	}
	if code, msg, _ := post(t, url, "application/json", body("b3")); code != 200 {
		t.Fatalf("after the queue drained: %d %s", code, msg)
	}
	<-e.runs
	for _, k := range []string{"b0", "b1", "b2", "small", "b3"} {
		if _, err := e.st.GetRecord(t.Context(), "seen", k); err != nil {
			t.Errorf("payload %s: %v", k, err)
		}
	}
	exs, err := e.st.ListExecutions(t.Context(), store.ExecutionFilter{ScenarioID: id, Limit: 100})
	if err != nil || len(exs) != 5 {
		t.Fatalf("%d executions, %v; want one per accepted payload", len(exs), err)
	}
	for _, ex := range exs {
		if ex.Status != "success" {
			t.Errorf("execution %s: %s %s (a payload ran twice?)", ex.ID, ex.Status, ex.ErrorMsg)
		}
	}
}

// The decode budget: while it is full, a webhook waits DecodeWait for room and is
// then refused with 429 and Retry-After naming the bound; nothing of it was stored.
// With room again it is accepted.
func TestDecodeBudgetRefusesWhenFull(t *testing.T) {
	e := newEnv(t, func(c *service.Config) { c.DecodeBytes = 1 << 20 },
		func(c *server.Config) { c.DecodeWait = 50 * time.Millisecond })
	id, url := e.scenario(fmt.Sprintf(recordBlueprint, "{}"))
	hold, err := e.svc.ReservePayload(t.Context(), 1<<20) // a payload as large as the budget is in flight
	if err != nil {
		t.Fatal(err)
	}
	code, msg, h := post(t, url, "application/json", `{"id":"w1"}`)
	if code != http.StatusTooManyRequests || h.Get("Retry-After") != "2" || !strings.Contains(msg, `"code":"busy"`) ||
		!strings.Contains(msg, "the bound is 1048576 bytes: --webhook-decode-bytes") {
		t.Fatalf("budget full: %d %q %s", code, h.Get("Retry-After"), msg)
	}
	if n, err := e.st.QueueDepth(t.Context(), id); err != nil || n != 0 {
		t.Fatalf("a refused payload was stored: depth %d, %v", n, err)
	}
	hold()
	if code, msg, _ := post(t, url, "application/json", `{"id":"w1"}`); code != 200 {
		t.Fatalf("with room again: %d %s", code, msg)
	}
	<-e.runs
	if _, err := e.st.GetRecord(t.Context(), "seen", "w1"); err != nil {
		t.Fatal(err)
	}
	// The budget is free again once the run ended: a reservation of all of it succeeds.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	release, err := e.svc.ReservePayload(ctx, 1<<20)
	if err != nil {
		t.Fatalf("the webhook's share of the budget was not released: %v", err)
	}
	release()
}

// Payloads over the depth or member bounds are refused with 413 naming the bound.
func TestPayloadShapeBounds(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxDepth = 3; c.MaxMembers = 5 })
	_, url := e.scenario(fmt.Sprintf(recordBlueprint, "{}"))
	for _, c := range []struct {
		body, ctype, want string
		code              int
	}{
		{`{"a":{"b":{"c":{}}}}`, "application/json", "nests deeper than 3 levels (the bound: --webhook-max-depth)", 413},
		{`{"id":"x","a":[1,2,3,4]}`, "application/json", "more than 5 object members and array elements (the bound: --webhook-max-members)", 413},
		{`a=1&b=2&c=3&d=4&e=5&f=6`, "application/x-www-form-urlencoded", "more than 5 object members", 413},
		{`{"id":"ok","a":{"b":[1]}}`, "application/json", "Accepted", 200},
	} {
		code, msg, _ := post(t, url, c.ctype, c.body)
		if code != c.code || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %d %s", c.body, code, msg)
		}
	}
}

// A payload whose Content-Length is over MaxPayload is refused before its body is
// read; a chunked one is cut at MaxPayload.
func TestOversizedPayloadRefusedEarly(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxPayload = 100 })
	_, url := e.scenario(fmt.Sprintf(recordBlueprint, "{}"))
	big := `{"id":"x","n":"` + strings.Repeat("a", 200) + `"}`
	if code, msg, _ := post(t, url, "application/json", big); code != 413 || !strings.Contains(msg, "--webhook-max-payload") {
		t.Fatalf("declared too large: %d %s", code, msg)
	}
	req, _ := http.NewRequest("POST", url, struct{ *bytes.Reader }{bytes.NewReader([]byte(big))}) // no length: chunked
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || req.ContentLength > 0 {
		t.Fatalf("chunked too large: %d (length %d)", resp.StatusCode, req.ContentLength)
	}
}

// A full queue that holds set-aside payloads says so: they count until a person
// retries or deletes them.
func TestQueueFullNamesSetAsidePayloads(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.QueueLimit = 1 })
	id, url := e.scenario(fmt.Sprintf(recordBlueprint, "{}"))
	// Stored already taken by run-1, so the server's worker never claims it first.
	it := &weft.QueueItem{ScenarioID: id, Payload: []byte(`{"id":"bad"}`), ExecutionID: "run-1"}
	if err := e.st.Enqueue(t.Context(), it); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetAsideQueued(t.Context(), it.ID, weft.QueueFailure{ExecutionID: "run-1", ErrorType: weft.RuntimeError}); err != nil {
		t.Fatal(err)
	}
	code, msg, _ := post(t, url, "application/json", `{"id":"next"}`)
	want := fmt.Sprintf("1 of them are set aside after an error run (weft queue list --scenario %d)", id)
	if code != http.StatusTooManyRequests || !strings.Contains(msg, "(the bound is 1 payloads: --webhook-queue-limit)") ||
		!strings.Contains(msg, want) {
		t.Fatalf("%d %s", code, msg)
	}
}
