package declarative_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/declarative"
	"github.com/weftworks/weft/apps"
)

var update = flag.Bool("update", false, "rewrite docs/apps.md from the registry")

const appsDoc = "../../docs/apps.md"

// TestAppsDoc keeps docs/apps.md, the list of every module weft runs, equal to what the
// registry declares (app/all plus the declarative apps). Regenerate it with
//
//	go test ./app/declarative -run TestAppsDoc -update
func TestAppsDoc(t *testing.T) {
	want := renderAppsDoc(t)
	if *update {
		if err := os.WriteFile(appsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(appsDoc)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./app/declarative -run TestAppsDoc -update)", err)
	}
	if string(got) != want {
		t.Fatalf("docs/apps.md is stale: the registry changed. Regenerate it:\n\tgo test ./app/declarative -run TestAppsDoc -update")
	}
}

func renderAppsDoc(t *testing.T) string {
	t.Helper()
	r := fullRegistry(t, nil)
	declared, err := declarative.LoadOptions(apps.FS, declarative.Options{Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	fromDefinition := map[string]bool{}
	for _, s := range declared {
		fromDefinition[s.Name] = true
	}
	specs := r.Specs()
	byApp := map[string][]*app.Spec{}
	var order []string
	for _, s := range specs {
		a := s.Name[:strings.IndexByte(s.Name, ':')]
		if byApp[a] == nil {
			order = append(order, a)
		}
		byApp[a] = append(byApp[a], s)
	}
	var b strings.Builder
	b.WriteString("# Supported modules\n\n")
	b.WriteString("Every module type weft runs, as its registry declares it (`app/all` plus the declarative\n")
	b.WriteString("apps of `apps/*.json`). Generated; do not edit. `TestAppsDoc` fails when it is stale:\n\n")
	b.WriteString("    go test ./app/declarative -run TestAppsDoc -update\n\n")
	fmt.Fprintf(&b, "%d modules in %d apps. Any other module type in a blueprint is listed as unsupported by\n", len(specs), len(order))
	b.WriteString("`weft validate`, with its module id.\n\n")
	b.WriteString("| app | modules | defined by |\n|---|---|---|\n")
	for _, a := range order {
		src := "Go"
		if fromDefinition[byApp[a][0].Name] {
			src = fmt.Sprintf("[`apps/%s.json`](../apps/%s.json)", a, a)
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %d | %s |\n", a, a, len(byApp[a]), src)
	}
	for _, a := range order {
		fmt.Fprintf(&b, "\n## %s\n\n| module | label | kind | what it does |\n|---|---|---|---|\n", a)
		for _, s := range byApp[a] {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.Name, cell(s.Label), s.Kind, cell(s.Help))
		}
	}
	return b.String()
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
