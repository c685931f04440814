package cli_test

import (
	"encoding/json"
	"fmt"
	"github.com/weftworks/weft/internal/corpus"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// stand-in: answers each request with the next status of its script (the last repeats)
// and records the bodies.
func standIn(t *testing.T, script ...int) (*httptest.Server, func() []string, func(...int)) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.URL.Path+" "+string(b))
		st := script[0]
		if len(script) > 1 {
			script = script[1:]
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) },
		func(s ...int) { mu.Lock(); script = s; mu.Unlock() }
}

func orderBlueprint(url string) string {
	return `{"name":"orders","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
	 {"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
	  "mapper":{"url":"` + url + `/orders","method":"post","contentType":"json","inputMethod":"jsonString","jsonStringBodyContent":"{\"id\":\"{{1.id}}\"}"}}],
	 "metadata":{"version":1,"scenario":{}}}`
}

func TestIncompleteLifecycle(t *testing.T) {
	srv, got, set := standIn(t, 422)
	file := writeFile(t, "orders.json", orderBlueprint(srv.URL+"/bad"))
	var run struct {
		ScenarioID int64    `json:"scenarioId"`
		Status     string   `json:"status"`
		Incomplete []string `json:"incompleteExecutions"`
	}
	for _, id := range []string{"a", "b", "c"} {
		code, out, errOut := weft(t, "", "run", file, "--input", `{"id":"`+id+`"}`, "--json")
		if err := json.Unmarshal([]byte(out), &run); err != nil || code != 0 || run.Status != "warning" || len(run.Incomplete) != 1 {
			t.Fatalf("run %s: exit %d %v\n%s%s", id, code, err, out, errOut)
		}
	}
	// list: exactly the documented fields.
	code, out, _ := weft(t, "", "incomplete", "list", "--scenario", fmt.Sprint(run.ScenarioID), "--status", "unresolved", "--json")
	var page struct {
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"nextCursor"`
	}
	if err := json.Unmarshal([]byte(out), &page); err != nil || code != 0 || len(page.Items) != 3 || page.NextCursor != nil {
		t.Fatalf("list: exit %d %v %s", code, err, out)
	}
	list := page.Items
	var keys []string
	for k := range list[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := "attempts autoRetry breakerKey createdAt errorDetails errorMessage errorType executionId failedModuleId id nextAttemptAt outcomeUnknown resolvedAt scenarioId sizeBytes status"
	if strings.Join(keys, " ") != want {
		t.Fatalf("IE JSON fields:\n %s\nwant\n %s", strings.Join(keys, " "), want)
	}
	if list[0]["errorType"] != "DataError" || list[0]["status"] != "unresolved" || list[0]["autoRetry"] != false || list[0]["failedModuleId"] != 2.0 {
		t.Fatalf("IE %v", list[0])
	}
	first := list[0]["id"].(string)
	// show
	code, out, _ = weft(t, "", "incomplete", "show", first, "--json")
	if code != 0 || !strings.Contains(out, `"outputs":{"1":{"id":"a"}}`) || !strings.Contains(out, `"attempts":[]`) {
		t.Fatalf("show: exit %d %s", code, out)
	}
	// resolve with an edited URL: runs from module 2 and resolves.
	set(200)
	code, out, errOut := weft(t, "", "incomplete", "resolve", first, "--set", "2.mapper.url="+srv.URL+"/fixed", "--json")
	if code != 0 || !strings.Contains(out, `"status":"resolved"`) {
		t.Fatalf("resolve: exit %d\n%s%s", code, out, errOut)
	}
	if g := got(); g[len(g)-1] != `/fixed {"id":"a"}` {
		t.Fatalf("stand-in got %q", g)
	}
	// delete all needs --confirm; all except one keeps it.
	second := list[1]["id"].(string)
	sc := fmt.Sprint(run.ScenarioID)
	if code, _, errOut := weft(t, "", "incomplete", "delete", "--scenario", sc, "--all"); code == 0 || !strings.Contains(errOut, "--confirm") {
		t.Fatalf("delete all without --confirm: exit %d %s", code, errOut)
	}
	code, out, _ = weft(t, "", "incomplete", "delete", "--scenario", sc, "--all", "--except", second, "--confirm", "--json")
	if code != 0 || !strings.Contains(out, `"deleted":2`) { // the third and the resolved one
		t.Fatalf("delete: exit %d %s", code, out)
	}
	code, out, _ = weft(t, "", "incomplete", "list", "--scenario", sc, "--json")
	if code != 0 || !strings.Contains(out, second) || strings.Count(out, `"id"`) != 1 {
		t.Fatalf("after delete: %s", out)
	}
	// retry by id, still failing with 422 at the original URL: exit 1, attempt logged.
	set(422)
	code, out, _ = weft(t, "", "incomplete", "retry", second, "--json")
	if code != 1 || !strings.Contains(out, `"attempts":1`) || !strings.Contains(out, `"status":"unresolved"`) {
		t.Fatalf("retry: exit %d %s", code, out)
	}
	// executions list shows the runs and the attempts.
	code, out, _ = weft(t, "", "executions", "list", "--scenario", sc, "--json")
	if code != 0 || strings.Count(out, `"kind":"retry"`) != 2 || strings.Count(out, `"kind":"run"`) != 3 {
		t.Fatalf("executions: exit %d %s", code, out)
	}
}

func TestIncompleteArgumentErrors(t *testing.T) {
	for _, args := range [][]string{
		{"incomplete", "retry"},
		{"incomplete", "retry", "x", "--scenario", "1", "--all"},
		{"incomplete", "delete", "--all"},
		{"incomplete", "retry", "x", "--except", "y"},
		{"incomplete", "list", "--status", "nope"},
		{"incomplete", "resolve", "x", "--set", "2.mapper"},
		{"incomplete", "resolve", "x", "--set", "two.mapper.url=1"},
		{"incomplete", "show", "missing"},
		{"executions", "show", "missing"},
	} {
		if code, _, errOut := weft(t, "", args...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestConfidentialIncompleteShowsNoData(t *testing.T) {
	file := writeFile(t, "secret.json", `{"name":"s","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"json:ParseJSON","version":1,"mapper":{"json":"{{1.raw}}"}}],
		"metadata":{"version":1,"scenario":{"confidential":true}}}`)
	code, out, _ := weft(t, "", "run", file, "--input", `{"raw":"secret-token-123"}`, "--json")
	var run struct {
		Execution  string   `json:"executionId"`
		Incomplete []string `json:"incompleteExecutions"`
	}
	if err := json.Unmarshal([]byte(out), &run); err != nil || code != 0 || len(run.Incomplete) != 1 {
		t.Fatalf("exit %d %s", code, out)
	}
	// The execution's page links the incomplete execution it stored, and shows no data.
	code, out, _ = weft(t, "", "executions", "show", run.Execution, "--json")
	if code != 0 || !strings.Contains(out, `"incompleteExecutions":["`+run.Incomplete[0]+`"]`) || strings.Contains(out, "secret-token-123") {
		t.Fatalf("executions show: exit %d %s", code, out)
	}
	for _, args := range [][]string{{"incomplete", "show", run.Incomplete[0], "--json"}, {"incomplete", "show", run.Incomplete[0]}} {
		code, out, _ = weft(t, "", args...)
		if code != 0 || strings.Contains(out, "secret-token-123") {
			t.Fatalf("%v: exit %d, shows bundle data:\n%s", args, code, out)
		}
	}
	if !strings.Contains(out, "confidential scenario") {
		t.Fatalf("no notice: %s", out)
	}
	// The data is kept: fixing the mapping resolves it from the stored input.
	code, out, _ = weft(t, "", "incomplete", "resolve", run.Incomplete[0], "--set", `2.mapper.json={"ok":true}`)
	if code != 0 || !strings.Contains(out, "resolved") {
		t.Fatalf("resolve: exit %d %s", code, out)
	}
}

// Make's dedupe pattern (001) through the CLI and the data folder's data store: a
// second delivery of the same id does not reach the API.
func TestRunCorpus001DedupeAcrossRuns(t *testing.T) {
	srv, got, _ := standIn(t, 200)
	raw, err := os.ReadFile(filepath.Join(corpus.Dir(), "001-make-datastore-dedupe.json"))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "001.json", strings.ReplaceAll(string(raw), "https://api.example.com", srv.URL))
	for i, id := range []string{"r1", "r2", "r1"} {
		code, out, errOut := weft(t, "", "run", file, "--input", `{"id":"`+id+`","email":"`+id+`@example.com"}`, "--json")
		if code != 0 || !strings.Contains(out, `"status":"success"`) {
			t.Fatalf("run %d: exit %d\n%s%s", i, code, out, errOut)
		}
	}
	want := []string{`/new-records {"id": "r1", "email": "r1@example.com"}`, `/new-records {"id": "r2", "email": "r2@example.com"}`}
	if g := got(); strings.Join(g, "|") != strings.Join(want, "|") {
		t.Fatalf("API calls %q, want %q", g, want)
	}
}

// TestIncompleteRetryManyFollowsTheJob: a retry of several incomplete executions is a
// job; without a server the command carries the retries out itself, draws the
// progress on stderr (a line per tenth when stderr is not a terminal) and ends with
// the counts by outcome; any that failed again make the exit status 1.
func TestIncompleteRetryManyFollowsTheJob(t *testing.T) {
	srv, _, set := standIn(t, 422)
	file := writeFile(t, "orders.json", orderBlueprint(srv.URL))
	var run struct {
		ScenarioID int64 `json:"scenarioId"`
	}
	for i := range 5 {
		code, out, _ := weft(t, "", "run", file, "--input", fmt.Sprintf(`{"id":"o%d"}`, i), "--json")
		if err := json.Unmarshal([]byte(out), &run); err != nil || code != 0 {
			t.Fatalf("run: exit %d %s", code, out)
		}
	}
	sc := fmt.Sprint(run.ScenarioID)
	set(200, 200, 422) // two calls succeed, the others are refused again
	code, out, errOut := weft(t, "", "incomplete", "retry", "--scenario", sc, "--all")
	if code != 1 || out != "5 incomplete execution(s) retried: 2 resolved, 3 failed, 0 retrying, 0 deleted, 0 skipped\n" {
		t.Fatalf("retry --all: exit %d\n%s%s", code, out, errOut)
	}
	var lines []string // the progress lines (the runs' own log lines are beside them)
	for _, l := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(l, "retry [") {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 {
		t.Fatalf("progress lines: %q", errOut)
	}
	if first := lines[0]; first != "retry [..............................] 0/5  0 resolved, 0 failed, 0 retrying, 0 deleted, 0 skipped" {
		t.Errorf("first progress line %q", first)
	}
	if last := lines[len(lines)-1]; last != "retry [##############################] 5/5  2 resolved, 3 failed, 0 retrying, 0 deleted, 0 skipped" {
		t.Errorf("last progress line %q", last)
	}
	// --json: the job as it ended; --no-wait: the job as it started, the retries queued.
	set(422)
	code, out, _ = weft(t, "", "incomplete", "retry", "--scenario", sc, "--all", "--json")
	var job struct {
		Kind, Status string
		Total, Done  int
		Counts       map[string]int
	}
	if err := json.Unmarshal([]byte(out), &job); err != nil || code != 1 || job.Kind != "retry" || job.Status != "done" ||
		job.Total != 3 || job.Done != 3 || job.Counts["failed"] != 3 {
		t.Fatalf("retry --json: exit %d %s", code, out)
	}
	code, out, _ = weft(t, "", "incomplete", "retry", "--scenario", sc, "--all", "--no-wait", "--json")
	if err := json.Unmarshal([]byte(out), &job); err != nil || code != 0 || job.Status != "running" || job.Total != 3 || job.Done != 0 {
		t.Fatalf("retry --no-wait: exit %d %s", code, out)
	}
	code, out, _ = weft(t, "", "incomplete", "list", "--scenario", sc, "--status", "pending", "--json")
	if code != 0 || strings.Count(out, `"status":"pending"`) != 3 {
		t.Fatalf("queued by --no-wait: %s", out)
	}
}
