package cli_test

import (
	"bytes"
	"encoding/json"
	"github.com/weftworks/weft/internal/corpus"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft/cli"
)

var dataDirs sync.Map // test name → its data folder

// weft runs the CLI in-process with the test's own data folder.
func weft(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	dir, _ := dataDirs.LoadOrStore(t.Name(), t.TempDir())
	var out, errb bytes.Buffer
	code = cli.Main(t.Context(), append([]string{"--data", dir.(string)}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunDemo(t *testing.T) {
	code, out, errOut := weft(t, "", "run", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var res struct {
		ExecutionID string         `json:"executionId"`
		ScenarioID  int64          `json:"scenarioId"`
		Incomplete  []string       `json:"incompleteExecutions"`
		Status      string         `json:"status"`
		Operations  int            `json:"operations"`
		Error       map[string]any `json:"error"`
		Discarded   int            `json:"discarded"`
		DurationNs  int64          `json:"durationNs"`
		Response    struct {
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		} `json:"response"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout is not the run object: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value on stdout: %s", out)
	}
	if len(res.ExecutionID) != 32 || res.ScenarioID != 1 || res.Incomplete == nil || len(res.Incomplete) != 0 ||
		res.Status != "success" || res.Error != nil || res.Operations != 8 {
		t.Fatalf("result %+v", res)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(res.Response.Body), &body); err != nil {
		t.Fatalf("demo response is not JSON: %v: %s", err, res.Response.Body)
	}
	if body["order"] != "A-1001" || body["customer"] != "ADA LOVELACE" || body["lines"] != 3.0 || body["total"] != 388.0 || body["review"] != true {
		t.Fatalf("demo body %v", body)
	}
	if res.Response.Status != 200 || res.Response.Headers["content-type"] != "application/json" {
		t.Fatalf("response %+v", res.Response)
	}
}

func TestRunDemoTextAndSmallOrder(t *testing.T) {
	code, out, _ := weft(t, "", "run", "--input", `{"orderId":"B-2","customer":{"name":"x"},"items":[{"sku":"a","name":"Pin","qty":1,"price":2}]}`, "--log")
	if code != 0 || !strings.Contains(out, "ended SUCCESS") || !strings.Contains(out, `"review": false`) || !strings.Contains(out, "module 5 builtin:BasicAggregator") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

const failing = `{"name":"f","flow":[
 {"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
 {"id":2,"module":"json:ParseJSON","version":1,"mapper":{"json":"{{1.raw}}"}},
 {"id":3,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{2.a}}"}}],
 "metadata":{"version":1,"scenario":{"dlq":%s}}}`

func TestRunExitStatusAndError(t *testing.T) {
	// ParseJSON on invalid JSON is a DataError: with dlq on an incomplete execution is
	// stored (warning, exit 0); with dlq off the run fails (error, exit 1).
	for _, tc := range []struct {
		dlq    string
		code   int
		status string
	}{{"true", 0, "warning"}, {"false", 1, "error"}} {
		file := writeFile(t, "f.json", strings.Replace(failing, "%s", tc.dlq, 1))
		code, out, _ := weft(t, "", "run", file, "--input", `{"raw":"{nope"}`, "--json")
		var res struct {
			Status string `json:"status"`
			Error  struct {
				Type     string `json:"type"`
				ModuleID int    `json:"moduleId"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("dlq=%s: %v: %s", tc.dlq, err, out)
		}
		if code != tc.code || res.Status != tc.status || res.Error.Type != "DataError" || res.Error.ModuleID != 2 {
			t.Fatalf("dlq=%s: exit %d %s", tc.dlq, code, out)
		}
	}
}

func TestRunInputFromFileAndNonObject(t *testing.T) {
	file := writeFile(t, "bp.json", `{"name":"e","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"200","body":"{{1.value}}|{{1.k}}"}}],"metadata":{"version":1}}`)
	in := writeFile(t, "in.json", `{"k":"from-file"}`)
	code, out, _ := weft(t, "", "run", file, "--input", "@"+in, "--json")
	if code != 0 || !strings.Contains(out, `"body":"|from-file"`) {
		t.Fatalf("exit %d %s", code, out)
	}
	code, out, _ = weft(t, "", "run", file, "--input", `[1,2]`, "--json")
	if code != 0 || !strings.Contains(out, `"body":"1, 2|"`) {
		t.Fatalf("exit %d %s", code, out)
	}
	code, out, _ = weft(t, "", "run", file, "--input", `{broken`, "--json")
	if code != 2 || !strings.Contains(out, `"--input is not valid JSON`) {
		t.Fatalf("exit %d %s", code, out)
	}
}

func TestRunRefusesInvalidOrUnsupported(t *testing.T) {
	file := writeFile(t, "bad.json", `{"name":"b","flow":[{"id":1,"module":"gateway:CustomWebHook"},{"id":2,"module":"acme:CreateWidget","mapper":{"text":"{{1.a}}"}}]}`)
	code, out, errOut := weft(t, "", "run", file)
	if code != 1 || out != "" || !strings.Contains(errOut, "/flow/1: module type acme:CreateWidget is not supported") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, _ = weft(t, "", "run", file, "--json")
	if code != 1 || !strings.Contains(out, `"status":"error"`) || !strings.Contains(out, `acme:CreateWidget (module 2)`) {
		t.Fatalf("exit %d %s", code, out)
	}
}

func TestValidate(t *testing.T) {
	good := writeFile(t, "good.json", `{"name":"g","flow":[{"id":1,"module":"gateway:CustomWebHook"},{"id":2,"module":"acme:CreateWidget"}]}`)
	bad := writeFile(t, "bad.json", `{"name":"b","flow":[{"id":1,"module":"gateway:CustomWebHook"},{"id":1,"module":"util:ComposeTransformer","mapper":{"value":"{{upper(}}"}}]}`)
	code, out, _ := weft(t, "", "validate", good)
	if code != 0 || out != good+": /flow/1/module: warning: module type acme:CreateWidget is not supported by weft yet (module 2)\n" {
		t.Fatalf("good: exit %d %q", code, out)
	}
	code, out, _ = weft(t, "", "validate", good, bad)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 3 {
		t.Fatalf("bad: exit %d\n%s", code, out)
	}
	for _, want := range []string{bad + ": /flow/1/id: duplicate id 1", bad + ": /flow/1/mapper/value: cannot parse"} {
		if !strings.Contains(out, want) {
			t.Fatalf("missing %q in\n%s", want, out)
		}
	}
	code, out, _ = weft(t, "", "validate", "--json", bad)
	var rep struct {
		Valid bool `json:"valid"`
		Files []struct {
			Problems []struct{ Pointer, Message string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.Valid || len(rep.Files[0].Problems) != 2 {
		t.Fatalf("json: exit %d err %v %s", code, err, out)
	}
	code, _, errOut := weft(t, "", "validate", filepath.Join(t.TempDir(), "missing.json"))
	if code != 1 {
		t.Fatalf("missing file: exit %d %s", code, errOut)
	}
}

// Every module weft run refuses to build is a validate warning (Make's editor marks
// such a module "not set up"); run refuses it with the same reason.
func TestValidateWarnsWhatRunCannotBuild(t *testing.T) {
	file := writeFile(t, "mail.json", `{"name":"m","flow":[{"id":1,"module":"gateway:CustomWebHook"},
		{"id":2,"module":"email:ActionSendEmail","version":7,"parameters":{},"mapper":{"to":["a@example.com"],"subject":"s","html":"h"}}]}`)
	code, out, _ := weft(t, "", "validate", file)
	want := file + ": /flow/1/parameters: warning: module 2 (email:ActionSendEmail) is not set up: InvalidConfigurationError: " +
		"parameters.account: an SMTP connection is required; the scenario cannot run until it is\n"
	if code != 0 || out != want {
		t.Fatalf("validate: exit %d\n got %q\nwant %q", code, out, want)
	}
	code, out, _ = weft(t, "", "run", file, "--json")
	if code != 1 || !strings.Contains(out, "parameters.account: an SMTP connection is required") {
		t.Fatalf("run: exit %d %s", code, out)
	}
}

func TestValidateCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpus.Dir(), "*.json"))
	if len(files) == 0 {
		t.Fatal("no shared blueprints")
	}
	code, out, _ := weft(t, "", append([]string{"validate"}, files...)...)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(l, ": warning: module type ") && !strings.Contains(l, "is not a module reference, variable or keyword") &&
			!strings.Contains(l, "set it before the scenario can run") &&
			// A module to set up after import: a call naming a Make scenario id (SCN_…).
			!strings.Contains(l, "; the scenario cannot run until it is") {
			t.Errorf("unexpected line %q", l)
		}
	}
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestModules(t *testing.T) {
	code, out, _ := weft(t, "", "modules", "--json")
	var mods []struct{ Name, Kind string }
	if err := json.Unmarshal([]byte(out), &mods); err != nil || code != 0 {
		t.Fatalf("exit %d err %v", code, err)
	}
	want := map[string]string{"gateway:CustomWebHook": "trigger", "builtin:BasicRouter": "router", "http:MakeRequest": "action",
		"util:TextAggregator": "aggregator", "builtin:Break": "directive", "markdown:Compile": "action", "regexp:Parser": "action"}
	for _, m := range mods {
		if k, ok := want[m.Name]; ok && k == m.Kind {
			delete(want, m.Name)
		}
	}
	if len(want) != 0 {
		t.Fatalf("missing or wrong kinds: %v", want)
	}

}

func TestModulesOfOneApp(t *testing.T) {
	code, out, errOut := weft(t, "", "modules", "--app", "gemini-ai")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		names = append(names, strings.Fields(l)[0])
	}
	if got := strings.Join(names, " "); got != "gemini-ai:createACompletionGeminiPro gemini-ai:createAnImage gemini-ai:simpleTextPrompt gemini-ai:uploadAFile" {
		t.Fatalf("modules of gemini-ai: %s", got)
	}
	// A prefix of an app's name is not that app.
	code, _, errOut = weft(t, "", "modules", "--app", "gemini")
	if code == 0 || !strings.Contains(errOut, "--app gemini: no app of that name") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// usageHint is the line a usage error ends with (exit status 2).
func usageHint(command string) string { return "Run 'weft " + command + " --help' for usage.\n" }

// Commands that work on the data folder itself refuse --server (exit 2) and do not
// start anything.
func TestLocalOnlyCommandsRefuseServer(t *testing.T) {
	for _, args := range [][]string{{"serve", "--addr", "127.0.0.1:0"}, {"work"}, {"backup", "out.tar"}, {"connections", "rotate-key"}} {
		code, out, errOut := weft(t, "", append([]string{"--server", "http://127.0.0.1:1", "--token", "x"}, args...)...)
		if code != 2 || out != "" || !strings.Contains(errOut, "works on the data folder on this machine, not through --server") {
			t.Errorf("%v: exit %d %q %q", args, code, out, errOut)
		}
	}
}

// TestNotFoundNamedOnce: a missing thing is named once ("scenario 999: not found"),
// never "delete scenario 999: scenario 999: not found"; exit status 1.
func TestNotFoundNamedOnce(t *testing.T) {
	bp := writeFile(t, "bp.json", `{"name":"b","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}}],"metadata":{"version":1}}`)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scenarios", "show", "999"}, "weft: scenario 999: not found\n"},
		{[]string{"scenarios", "delete", "999"}, "weft: scenario 999: not found\n"},
		{[]string{"scenarios", "update", "999", bp}, "weft: scenario 999: not found\n"},
		{[]string{"triggers", "show", "999"}, "weft: scenario 999: not found\n"},
		{[]string{"enqueue", "999", "--input", "{}"}, "weft: scenario 999: not found\n"},
		{[]string{"connections", "delete", "5"}, "weft: connection 5: not found\n"},
		{[]string{"incomplete", "show", "ffffffffff"}, "weft: incomplete execution ffffffffff: not found\n"},
		{[]string{"incomplete", "delete", "ffffffffff", "eeeeeeeeee"}, "weft: no incomplete execution ffffffffff, eeeeeeeeee; nothing was done\n"},
		{[]string{"executions", "show", "abcd"}, "weft: execution abcd: not found\n"},
	} {
		code, out, errOut := weft(t, "", c.args...)
		if code != 1 || out != "" || errOut != c.want {
			t.Errorf("%v: exit %d %q %q, want %q", c.args, code, out, errOut, c.want)
		}
	}
}
