package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// bigKeys is the shape of the payloads the intake must survive: 400,000 keys in just
// under 5 MB of JSON, plus the payload's own id.
const bigKeys = 400_000

func bigPayload(id string) []byte {
	var b bytes.Buffer
	b.Grow(5 << 20)
	fmt.Fprintf(&b, `{"id":%q`, id)
	for i := range bigKeys {
		fmt.Fprintf(&b, `,"k%x":%d`, i, i%1000)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// bigStore keeps one record per payload, keyed by its id, holding one of its 400,000
// values: a record means that payload was stored and ran.
const bigStore = `{"name":"big","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
 {"id":2,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":"big"},
  "mapper":{"key":"{{1.id}}","overwrite":false,"data":{"last":"{{1.k61a7f}}"}}}],
 "metadata":{"version":1,"instant":true}}`

// adminToken creates an admin API token in the data folder.
func adminToken(t *testing.T, bin, data string) string {
	t.Helper()
	out, err := exec.Command(bin, "--data", data, "tokens", "create", "--name", "t", "--scopes", "admin", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("tokens create: %v %s", err, out)
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(out, &tok); err != nil {
		t.Fatalf("token %s", out)
	}
	return tok.Token
}

// activeScenario creates and activates a blueprint over the API and returns its
// webhook address.
func (p *weftProc) activeScenario(blueprint string) (int64, string) {
	p.t.Helper()
	code, body := p.do("POST", "/api/v1/scenarios", blueprint)
	var sc struct {
		ID      int64  `json:"id"`
		HookURL string `json:"hookUrl"`
	}
	if err := json.Unmarshal([]byte(body), &sc); err != nil || code != 201 || sc.HookURL == "" {
		p.t.Fatalf("create: %d %s", code, body)
	}
	if code, body := p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/activate", sc.ID), ""); code != 200 {
		p.t.Fatalf("activate: %d %s", code, body)
	}
	return sc.ID, sc.HookURL
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// waitRecord polls the API (weft runs in another process) until the record exists.
func (p *weftProc) waitRecord(store, key string, within time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, body := p.do("GET", "/api/v1/datastores/"+store+"/records/"+key, "")
		if code == 200 {
			return body
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("record %s/%s never appeared: %d %s", store, key, code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIntakeMemoryUnder16Parallel5MBPayloads: 16 callers post 5 MB payloads of 400,000
// keys at once to the real `weft serve` with its default limits. Each caller behaves
// as a webhook sender should: on 429 it waits Retry-After and sends again. The
// process's peak RSS stays under 500 MB, and every payload answered 2xx is stored (its
// run wrote its record).
func TestIntakeMemoryUnder16Parallel5MBPayloads(t *testing.T) {
	const callers, maxRSS = 16, 500 << 20
	bin := build(t)
	data := t.TempDir()
	token := adminToken(t, bin, data)
	p := start(t, bin, data)
	p.token = token
	_, hook := p.activeScenario(bigStore)

	bodies := make([][]byte, callers)
	for i := range bodies {
		bodies[i] = bigPayload(fmt.Sprintf("p%02d", i))
		if len(bodies[i]) > 5<<20 {
			t.Fatalf("payload of %d bytes is over the 5 MiB webhook limit", len(bodies[i]))
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := map[int]int{} // caller → status
	refusals := 0
	deadline := time.Now().Add(4 * time.Minute)
	for i := range callers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				resp, err := http.Post(hook, "application/json", bytes.NewReader(bodies[i]))
				if err != nil {
					t.Errorf("caller %d: %v", i, err)
					return
				}
				var msg bytes.Buffer
				msg.ReadFrom(resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					mu.Lock()
					accepted[i] = resp.StatusCode
					mu.Unlock()
					return
				}
				if resp.StatusCode != http.StatusTooManyRequests {
					t.Errorf("caller %d: %d %s", i, resp.StatusCode, msg.String())
					return
				}
				secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
				if err != nil || secs < 1 {
					t.Errorf("caller %d: 429 without a Retry-After in seconds: %q %s", i, resp.Header.Get("Retry-After"), msg.String())
					return
				}
				mu.Lock()
				refusals++
				mu.Unlock()
				time.Sleep(time.Duration(secs) * time.Second) // what Retry-After asks of a caller
			}
			t.Errorf("caller %d: not accepted within the test's time", i)
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Every accepted payload ran and stored its record: nothing accepted was dropped.
	for i := range callers {
		rec := p.waitRecord("big", fmt.Sprintf("p%02d", i), 2*time.Minute)
		if !strings.Contains(rec, `"last":`+strconv.Itoa((bigKeys-1)%1000)+`}`) {
			t.Fatalf("record of p%02d: %s", i, rec)
		}
	}
	peak := peakRSS(t, p.cmd.Process.Pid)
	t.Logf("%d payloads of %d bytes accepted (%d refusals with Retry-After on the way); peak RSS %.0f MB",
		len(accepted), len(bodies[0]), refusals, float64(peak)/(1<<20))
	if peak >= maxRSS {
		t.Fatalf("peak RSS %d MB, want under %d MB", peak>>20, maxRSS>>20)
	}
	p.stop()
}

// The bounds come from flags and, when a flag is not given, from the environment.
func TestIntakeBoundsFromFlagsAndEnvironment(t *testing.T) {
	bin := build(t)
	data := t.TempDir()
	token := adminToken(t, bin, data)
	t.Setenv("WEFT_WEBHOOK_QUEUE_BYTES", "2kB")
	p := start(t, bin, data, "--webhook-max-depth", "2")
	p.token = token
	code, body := p.do("POST", "/api/v1/scenarios", bigStore) // inactive: payloads wait
	var sc struct{ HookURL string }
	if err := json.Unmarshal([]byte(body), &sc); err != nil || code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	post := func(payload string) (int, string) {
		resp, err := http.Post(sc.HookURL, "application/json", strings.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	filler := `{"id":"a","pad":"` + strings.Repeat("x", 1200) + `"}`
	if code, msg := post(filler); code != 200 {
		t.Fatalf("first payload: %d %s", code, msg)
	}
	if code, msg := post(filler); code != 429 || !strings.Contains(msg, "bound of 2000 bytes (--webhook-queue-bytes)") {
		t.Fatalf("second payload over WEFT_WEBHOOK_QUEUE_BYTES: %d %s", code, msg)
	}
	if code, msg := post(`{"a":{"b":{}}}`); code != 413 || !strings.Contains(msg, "deeper than 2 levels") {
		t.Fatalf("over --webhook-max-depth: %d %s", code, msg)
	}
	p.stop()
}
