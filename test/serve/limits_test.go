package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The attacks of the issue "A server others can use safely" (item 1, run limits),
// each driven through a real `weft serve` process: the server refuses them with the
// error a user sees, and stays small and responsive.

// vmHWM reads the peak resident set size of process pid, in kB.
func vmHWM(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// adminToken creates an admin API token in the data folder.
type created struct {
	ID      int64  `json:"id"`
	HookURL string `json:"hookUrl"`
}

// create stores and activates a scenario.
func (p *weftProc) create(blueprint string) created {
	p.t.Helper()
	code, body := p.do("POST", "/api/v1/scenarios", blueprint)
	var sc created
	if err := json.Unmarshal([]byte(body), &sc); err != nil || code != 201 {
		p.t.Fatalf("create: %d %s", code, body)
	}
	if code, body := p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/activate", sc.ID), ""); code != 200 {
		p.t.Fatalf("activate: %d %s", code, body)
	}
	return sc
}

type incomplete struct {
	ErrorType      string `json:"errorType"`
	ErrorMessage   string `json:"errorMessage"`
	FailedModuleID int    `json:"failedModuleId"`
	AutoRetry      bool   `json:"autoRetry"`
}

func (p *weftProc) incompletes(scenario int64) []incomplete {
	p.t.Helper()
	code, body := p.do("GET", fmt.Sprintf("/api/v1/incomplete-executions?scenario=%d&limit=200", scenario), "")
	var page struct{ Items []incomplete }
	if err := json.Unmarshal([]byte(body), &page); err != nil || code != 200 {
		p.t.Fatalf("incomplete executions: %d %s", code, body)
	}
	return page.Items
}

func TestRunLimitsAgainstAttacks(t *testing.T) {
	bin := build(t)
	data := t.TempDir()
	token := adminToken(t, bin, data)
	// The server's defaults, except a shorter regex budget and fewer operations so the
	// last two attacks end quickly (flags and the environment both set limits).
	p := start(t, bin, data, "--regex-budget", "1s", "--max-operations", "1000")
	p.token = token
	before := vmHWM(t, p.cmd.Process.Pid)

	t.Run("ten million items", func(t *testing.T) {
		// A 12 KB blueprint whose iterator maps split(join(split(10,000 characters);
		// 1,000 characters)) — about 10 million items — drove a server to 18 GB.
		chars, sep := strings.Repeat("x", 10_000), strings.Repeat("-", 1_000)
		sc := p.create(`{"name":"ten million","flow":[
			{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
			{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{split(join(split(\"` + chars + `\"; \"\"); \"` + sep + `\"); \"\")}}"}},
			{"id":3,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"200","body":"{{2.value}}"}}],
			"metadata":{"version":1,"instant":true}}`)
		// The scenario answers its caller, so the request lasts as long as the run.
		began := time.Now()
		resp, err := http.Post(sc.HookURL, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(began)
		peak := vmHWM(t, p.cmd.Process.Pid)
		t.Logf("the run ended after %v; VmHWM %d MB before, %d MB after", took.Round(time.Millisecond), before>>10, peak>>10)
		if resp.StatusCode != 200 {
			t.Fatalf("webhook: %d", resp.StatusCode)
		}
		if peak > 300<<10 {
			t.Fatalf("the server's resident set peaked at %d MB", peak>>10)
		}
		ies := p.incompletes(sc.ID)
		if len(ies) != 1 {
			t.Fatalf("%d incomplete executions", len(ies))
		}
		ie := ies[0]
		for _, want := range []string{"module 2 (builtin:BasicFeeder)", "split() would make 10009000 items",
			"over the limit maxArrayItems of 100000 items", "--max-array-items"} {
			if !strings.Contains(ie.ErrorMessage, want) {
				t.Fatalf("message %q does not say %q", ie.ErrorMessage, want)
			}
		}
		if ie.ErrorType != "MaxResultsExceededError" || ie.FailedModuleID != 2 || ie.AutoRetry {
			t.Fatalf("incomplete execution %+v", ie)
		}
	})

	t.Run("catastrophic regex in 200 bundles", func(t *testing.T) {
		sc := p.create(`{"name":"regex","flow":[
			{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
			{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
			{"id":3,"module":"util:SetVariable2","version":1,"mapper":{"name":"t","scope":"roundtrip","value":"{{replace(1.text; \"/(a+)+$/\"; \"x\")}}"}}],
			"metadata":{"version":1}}`)
		items := make([]string, 200)
		for i := range items {
			items[i] = strconv.Itoa(i)
		}
		body := `{"items":[` + strings.Join(items, ",") + `],"text":"` + strings.Repeat("a", 40) + `!"}`
		began := time.Now()
		code, out := p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/run", sc.ID), body)
		t.Logf("the run ended after %v", time.Since(began).Round(time.Millisecond))
		var run struct {
			Status               string
			Error                struct{ Type, Message string }
			IncompleteExecutions []string
		}
		if err := json.Unmarshal([]byte(out), &run); err != nil || code != 200 {
			t.Fatalf("run: %d %s", code, out)
		}
		// The first bundle spends the run's budget; every other one fails at once. Each
		// is kept for a person (DataError: no automatic retry would do better).
		if run.Status != "warning" || len(run.IncompleteExecutions) != 200 || run.Error.Type != "DataError" ||
			!strings.Contains(run.Error.Message, "regexBudget of 1s") || !strings.Contains(run.Error.Message, "module 3") {
			t.Fatalf("run: %s %s: %s (%d incomplete)", run.Status, run.Error.Type, run.Error.Message, len(run.IncompleteExecutions))
		}
		for _, ie := range p.incompletes(sc.ID) {
			if ie.ErrorType != "DataError" || !strings.Contains(ie.ErrorMessage, "regexBudget") || ie.AutoRetry {
				t.Fatalf("incomplete execution %+v", ie)
			}
		}
	})

	t.Run("too many operations", func(t *testing.T) {
		sc := p.create(`{"name":"operations","flow":[
			{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
			{"id":2,"module":"builtin:BasicRepeater","version":1,"mapper":{"repeats":"5000"}},
			{"id":3,"module":"util:SetVariable2","version":1,"mapper":{"name":"i","scope":"roundtrip","value":"{{2.i}}"}}],
			"metadata":{"version":1,"instant":true}}`)
		resp, err := http.Post(sc.HookURL, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("webhook: %d", resp.StatusCode)
		}
		// The run fails as a whole: no incomplete execution for one bundle of it; the
		// instant trigger's payload goes back to the queue and the scenario stops.
		var ex struct {
			Status string `json:"status"`
			Error  struct {
				Type     string `json:"type"`
				Message  string `json:"message"`
				ModuleID int    `json:"moduleId"`
			} `json:"error"`
		}
		deadline := time.Now().Add(60 * time.Second)
		for ex.Status == "" || ex.Status == "running" {
			if time.Now().After(deadline) {
				t.Fatal("the run did not end within 60 s")
			}
			time.Sleep(20 * time.Millisecond) // polling an external process
			code, body := p.do("GET", fmt.Sprintf("/api/v1/executions?scenario=%d", sc.ID), "")
			var page struct{ Items []json.RawMessage }
			if err := json.Unmarshal([]byte(body), &page); err != nil || code != 200 {
				t.Fatalf("executions: %d %s", code, body)
			}
			if len(page.Items) > 0 {
				if err := json.Unmarshal(page.Items[0], &ex); err != nil {
					t.Fatal(err)
				}
			}
		}
		if ex.Status != "error" || ex.Error.Type != "MaxResultsExceededError" || ex.Error.ModuleID != 3 ||
			!strings.Contains(ex.Error.Message, "module 3 (util:SetVariable2): operation 1001 of the run: over the limit maxOperations of 1000 operations (server setting --max-operations / WEFT_MAX_OPERATIONS)") {
			t.Fatalf("execution %+v", ex)
		}
		if ies := p.incompletes(sc.ID); len(ies) != 0 {
			t.Fatalf("%d incomplete executions", len(ies))
		}
		code, body := p.do("GET", fmt.Sprintf("/api/v1/scenarios/%d", sc.ID), "")
		var got struct {
			Active      bool   `json:"active"`
			Deactivated string `json:"deactivated"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || code != 200 {
			t.Fatalf("scenario: %d %s", code, body)
		}
		if got.Active || !strings.Contains(got.Deactivated, "maxOperations") {
			t.Fatalf("scenario %s", body)
		}
	})

	t.Run("2,000 nested routers", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"name":"nested","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}}`)
		for i := range 2000 {
			fmt.Fprintf(&b, `,{"id":%d,"module":"builtin:BasicRouter","version":1,"routes":[{"flow":[`+
				`{"id":%d,"module":"util:SetVariable2","version":1,"mapper":{"name":"x","value":"{{1.a}}"}}`, i+2, 100000+i)
		}
		b.WriteString(strings.Repeat(`]}]}`, 2000) + `],"metadata":{"version":1}}`)
		code, body := p.do("POST", "/api/v1/scenarios", b.String())
		if code != 422 || !strings.Contains(body, "nest 51 levels deep at module 52: over the limit maxDepth of 50 levels") ||
			!strings.Contains(body, "the blueprint has 4001 modules: over the limit maxModules of 2000 modules") {
			t.Fatalf("create: %d %.600s", code, body)
		}
	})

	// Still serving.
	if code, _ := p.do("GET", "/healthz", ""); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	p.stop()
}
