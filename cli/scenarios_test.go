package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestScenarioLifecycleCommands(t *testing.T) {
	v1 := writeFile(t, "v1.json", `{"name":"orders","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"v1 {{1.x}}"}}],"metadata":{"version":1}}`)
	v2 := writeFile(t, "v2.json", `{"name":"orders v2","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"v2 {{1.x}}"}}],"metadata":{"version":1}}`)
	code, out, errOut := weft(t, "", "scenarios", "create", v1, "--json", "--base-url", "https://weft.example")
	var created struct {
		ID      int64  `json:"id"`
		HookURL string `json:"hookUrl"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || code != 0 || !strings.HasPrefix(created.HookURL, "https://weft.example/hooks/") {
		t.Fatalf("create: exit %d %s %s", code, out, errOut)
	}
	if code, out, _ := weft(t, "", "scenarios", "update", "1", v2, "--json"); code != 0 || !strings.Contains(out, `"version":2`) || !strings.Contains(out, `"name":"orders v2"`) {
		t.Fatalf("update: exit %d %s", code, out)
	}
	code, out, _ = weft(t, "", "scenarios", "show", "1", "--json")
	if code != 0 || strings.Count(out, `"version":`) != 3 || !strings.Contains(out, `"hookUrl":"http://127.0.0.1:8080/hooks/`) {
		t.Fatalf("show: exit %d %s", code, out)
	}
	if code, out, _ := weft(t, "", "scenarios", "export", "1"); code != 0 || !strings.Contains(out, "v2 {{1.x}}") {
		t.Fatalf("export: exit %d %s", code, out)
	}
	if code, out, _ := weft(t, "", "scenarios", "export", "1", "--version", "1"); code != 0 || !strings.Contains(out, "v1 {{1.x}}") {
		t.Fatalf("export v1: exit %d %s", code, out)
	}
	if code, out, _ := weft(t, "", "scenarios", "list", "--json"); code != 0 || !strings.Contains(out, `"name":"orders v2"`) {
		t.Fatalf("list: exit %d %s", code, out)
	}
	if code, _, errOut := weft(t, "", "scenarios", "delete", "nope"); code == 0 || !strings.Contains(errOut, "not a scenario id") {
		t.Fatalf("delete nope: exit %d %s", code, errOut)
	}
	if code, out, _ := weft(t, "", "scenarios", "delete", "1", "--json"); code != 0 || out != `{"deleted":true,"id":1}`+"\n" {
		t.Fatalf("delete: exit %d %s", code, out)
	}
	if code, _, _ := weft(t, "", "scenarios", "show", "1"); code == 0 {
		t.Fatal("a deleted scenario is still shown")
	}
}

// --base-url "" gives webhook addresses as paths (/hooks/TOKEN), for a caller that
// puts its own address in front (test/cluster does, with several servers).
func TestScenarioCreateEmptyBaseURL(t *testing.T) {
	file := writeFile(t, "hook.json", `{"name":"h","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}}],"metadata":{"version":1}}`)
	code, out, errOut := weft(t, "", "scenarios", "create", file, "--json", "--base-url", "")
	if code != 0 || !strings.Contains(out, `"hookUrl":"/hooks/`) {
		t.Fatalf("exit %d %s %s", code, out, errOut)
	}
	code, out, _ = weft(t, "", "scenarios", "show", "1", "--json")
	if code != 0 || !strings.Contains(out, `"hookUrl":"http://127.0.0.1:8080/hooks/`) {
		t.Fatalf("default base URL: exit %d %s", code, out)
	}
}
