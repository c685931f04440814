package blueprint_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/limits"
)

// nestedRouters is a webhook and n routers, each the last module of its parent's only
// route, each route starting with a module that maps the webhook.
func nestedRouters(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"name":"nested","flow":[` + wh)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `,{"id":%d,"module":"builtin:BasicRouter","version":1,"routes":[{"flow":[`+
			`{"id":%d,"module":"util:SetVariable2","version":1,"mapper":{"name":"x","value":"{{1.a}}"}}`, i+2, 100000+i)
	}
	for i := 0; i < n; i++ {
		b.WriteString(`]}]}`)
	}
	b.WriteString(`],"metadata":{"version":1}}`)
	return []byte(b.String())
}

func find(rep blueprint.Report, sev blueprint.Severity, pointer, message string) bool {
	for _, p := range rep.Problems {
		if p.Severity == sev && p.Pointer == pointer && strings.Contains(p.Message, message) {
			return true
		}
	}
	return false
}

func TestDepthAndSizeLimits(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(nestedRouters(2000))
	if err != nil {
		t.Fatal(err)
	}
	// The defaults refuse 2,000 nested routers: too deep, and too many modules. The
	// depth problem sits on the module whose routes nest one level too deep.
	rep := blueprint.Validate(bp, reg)
	deep := "/flow" + strings.Repeat("/1/routes/0/flow", 50) + "/1"
	if !find(rep, blueprint.SeverityError, deep, "routes, branches and error handler routes nest 51 levels deep at module 52: over the limit maxDepth of 50 levels (server setting --max-depth / WEFT_MAX_DEPTH)") {
		t.Fatalf("no depth problem at %s: %v", deep, rep.Errors())
	}
	if !find(rep, blueprint.SeverityError, "/flow", "the blueprint has 4001 modules: over the limit maxModules of 2000 modules") {
		t.Fatalf("no size problem: %v", rep.Errors())
	}
	// Nothing deeper than the limit was analyzed: a handful of problems, not thousands.
	if n := len(rep.Problems); n > 5 {
		t.Fatalf("%d problems", n)
	}
	// Under raised limits the same flow is valid.
	rep = blueprint.ValidateWith(bp, reg, blueprint.Options{Limits: limits.Limits{MaxDepth: 3000, MaxModules: 5000}})
	if !rep.OK() {
		t.Fatalf("raised limits: %v", rep.Errors())
	}
	// Exactly at the limit is fine.
	bp, _ = blueprint.Parse(nestedRouters(50))
	if rep := blueprint.Validate(bp, reg); !rep.OK() {
		t.Fatalf("50 levels: %v", rep.Errors())
	}
}

func TestScenarioLimitsSetting(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"name":"t","flow":[` + wh + `],"metadata":{"version":1,"scenario":{"dlq":true,
		"limits":{"maxOperations":500,"runTimeout":"90s","regexBudget":2,"maxTextBytes":"1MiB","maxRunBytes":1e12,
		"maxDepth":3,"maxBundle":7,"maxArrayItems":-1,"maxBundles":"lots"}}}}`
	bp, err := blueprint.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := bp.Metadata.Scenario.Limits
	want := limits.Limits{MaxOperations: 500, RunTimeout: 90 * time.Second, RegexBudget: 2 * time.Second,
		MaxTextBytes: 1 << 20, MaxRunBytes: 1e12}
	if got != want {
		t.Fatalf("limits %+v, want %+v", got, want)
	}
	rep := blueprint.Validate(bp, reg)
	for _, c := range []struct {
		sev     blueprint.Severity
		pointer string
		message string
	}{
		{blueprint.SeverityError, "/metadata/scenario/limits/maxArrayItems", "must be a positive whole number, got -1"},
		{blueprint.SeverityError, "/metadata/scenario/limits/maxBundles", `"lots" is not a positive whole number`},
		{blueprint.SeverityWarning, "/metadata/scenario/limits/maxBundle", `"maxBundle" is not a run limit a scenario can set`},
		{blueprint.SeverityWarning, "/metadata/scenario/limits/maxDepth", `"maxDepth" is not a run limit a scenario can set`},
		{blueprint.SeverityWarning, "/metadata/scenario/limits/maxRunBytes", "above the server's limit of 256 MiB: the server's applies"},
	} {
		if !find(rep, c.sev, c.pointer, c.message) {
			t.Errorf("no %s at %s saying %q: %v", c.sev, c.pointer, c.message, rep.Problems)
		}
	}
	// A weft extension Make ignores; weft keeps it on export as it was written.
	out, err := bp.Export()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"runTimeout": "90s"`)) {
		t.Fatalf("export lost the limits: %s", out)
	}
}

// BenchmarkValidateNestedRouters parses and validates 2,000 routers nested one in
// another with the limits raised, so all 4,001 modules are analyzed (11.6 s before
// parsing and validation were made linear).
func BenchmarkValidateNestedRouters(b *testing.B) {
	reg, err := all.Registry()
	if err != nil {
		b.Fatal(err)
	}
	raw := nestedRouters(2000)
	opts := blueprint.Options{Limits: limits.Limits{MaxDepth: 3000, MaxModules: 5000}}
	b.ReportAllocs()
	for b.Loop() {
		bp, err := blueprint.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if rep := blueprint.ValidateWith(bp, reg, opts); !rep.OK() {
			b.Fatal(rep.Errors())
		}
	}
}
