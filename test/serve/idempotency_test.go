package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// A payload whose run is killed (SIGKILL) while its HTTP call is in flight runs again
// when weft starts again — and the re-run sends the same Idempotency-Key as the
// interrupted call, so a partner that deduplicates by key does the work once.
func TestRerunAfterSIGKILLSendsTheSameIdempotencyKey(t *testing.T) {
	bin := build(t)
	data := t.TempDir()
	out, err := exec.Command(bin, "--data", data, "tokens", "create", "--name", "t", "--scopes", "admin", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("tokens create: %v %s", err, out)
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(out, &tok); err != nil {
		t.Fatalf("token %s", out)
	}

	// The partner holds the first call open (the call is in flight when weft dies) and
	// answers the next ones.
	var mu sync.Mutex
	var keys, bodies []string
	inFlight := make(chan struct{}, 1)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		bodies = append(bodies, string(b))
		first := len(keys) == 1
		mu.Unlock()
		if first {
			inFlight <- struct{}{}
			<-r.Context().Done() // until weft's connection drops
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer partner.Close()

	p := start(t, bin, data, "--net-allow", strings.TrimPrefix(partner.URL, "http://")) // the partner is on loopback, denied by default
	p.token = tok.Token
	bp := `{"name":"orders","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + partner.URL + `/orders","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"id\":\"{{1.id}}\"}"}}],"metadata":{"version":1,"instant":true}}`
	code, body := p.do("POST", "/api/v1/scenarios", bp)
	var sc struct {
		ID      int64  `json:"id"`
		HookURL string `json:"hookUrl"`
	}
	if err := json.Unmarshal([]byte(body), &sc); err != nil || code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/activate", sc.ID), ""); code != 200 {
		t.Fatalf("activate: %d %s", code, body)
	}
	resp, err := http.Post(sc.HookURL, "application/json", strings.NewReader(`{"id":"o-42"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	select {
	case <-inFlight:
	case <-time.After(30 * time.Second):
		t.Fatal("the payload's call never reached the partner")
	}
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL mid-call
		t.Fatal(err)
	}
	<-p.done

	// weft starts again on the same data folder: it recovers the payload and runs it.
	p = start(t, bin, data, "--net-allow", strings.TrimPrefix(partner.URL, "http://"))
	p.token = tok.Token
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(keys)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the interrupted payload did not run again after the restart")
		}
		time.Sleep(20 * time.Millisecond) // the restarted process's worker runs it
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("Idempotency-Key of the interrupted call and of its re-run: %q (bodies %q)", keys, bodies)
	}
	p.stop()
}
