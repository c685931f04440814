package blueprint_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
)

const wh = `{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{},"mapper":{}}`

func validate(t *testing.T, flow string) blueprint.Report {
	t.Helper()
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse([]byte(fmt.Sprintf(`{"name":"t","flow":%s,"metadata":{"version":1}}`, flow)))
	if err != nil {
		t.Fatal(err)
	}
	return blueprint.Validate(bp, reg)
}

func compose(id int, value string, extra ...string) string {
	s := fmt.Sprintf(`{"id":%d,"module":"util:ComposeTransformer","version":1,"mapper":{"value":%q}`, id, value)
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

// TestValidateProblems: each kind of problem is reported at its pointer, and all of them
// at once.
func TestValidateProblems(t *testing.T) {
	cases := []struct {
		name    string
		flow    string
		pointer string
		message string
	}{
		{"duplicate id", `[` + wh + `,` + compose(2, "a") + `,` + compose(2, "b") + `]`, "/flow/2/id", "duplicate id 2"},
		{"missing id", `[` + wh + `,{"module":"util:ComposeTransformer","mapper":{}}]`, "/flow/1", "missing id"},
		{"missing module", `[` + wh + `,{"id":2,"mapper":{}}]`, "/flow/1/module", "missing module type"},
		{"unknown directive", `[` + wh + `,` + compose(2, "a", `"onerror":[{"id":3,"module":"builtin:Retry"}]`) + `]`, "/flow/1/onerror/0/module", "unknown directive"},
		{"directive not last", `[` + wh + `,` + compose(2, "a", `"onerror":[{"id":3,"module":"builtin:Ignore"},`+compose(4, "x")+`]`) + `]`, "/flow/1/onerror/0/module", "must be the last module"},
		{"two directives", `[` + wh + `,` + compose(2, "a", `"onerror":[{"id":3,"module":"builtin:Ignore"},{"id":4,"module":"builtin:Resume"}]`) + `]`, "/flow/1/onerror/0/module", "must be the last module"},
		{"directive outside handler", `[` + wh + `,{"id":2,"module":"builtin:Ignore"}]`, "/flow/1/module", "only allowed at the end of an error handler route"},
		{"feeder not upstream", `[` + wh + `,{"id":2,"module":"builtin:BasicRouter","routes":[{"flow":[{"id":3,"module":"builtin:BasicFeeder","mapper":{"array":"{{1.a}}"}}]},{"flow":[{"id":4,"module":"builtin:BasicAggregator","parameters":{"feeder":3},"mapper":{}}]}]}]`, "/flow/1/routes/1/flow/0/parameters/feeder", "feeder 3 is not upstream"},
		{"feeder missing", `[` + wh + `,{"id":2,"module":"builtin:BasicAggregator","parameters":{},"mapper":{}}]`, "/flow/1/parameters/feeder", "needs parameters.feeder"},
		{"reference downstream", `[` + wh + `,` + compose(2, "{{3.value}}") + `,` + compose(3, "x") + `]`, "/flow/1/mapper/value", "not upstream of module 2"},
		{"reference other route", `[` + wh + `,{"id":2,"module":"builtin:BasicRouter","routes":[{"flow":[` + compose(3, "x") + `]},{"flow":[` + compose(4, "{{3.value}}") + `]}]}]`, "/flow/1/routes/1/flow/0/mapper/value", "not upstream of module 4"},
		{"reference nowhere", `[` + wh + `,` + compose(2, "{{42.value}}") + `]`, "/flow/1/mapper/value", "module 42, which is not in this blueprint"},
		{"reference inside loop after aggregator", `[` + wh + `,{"id":2,"module":"builtin:BasicFeeder","mapper":{"array":"{{1.a}}"}},` + compose(3, "{{2.x}}") + `,{"id":4,"module":"builtin:BasicAggregator","parameters":{"feeder":2},"mapper":{"v":"{{3.value}}"}},` + compose(5, "{{3.value}}") + `]`, "/flow/4/mapper/value", "module 3, which is not upstream of module 5"},
		{"unparsable template", `[` + wh + `,` + compose(2, "{{upper(1.a}}") + `]`, "/flow/1/mapper/value", "cannot parse"},
		{"unknown function", `[` + wh + `,` + compose(2, "{{frobnicate(1.a)}}") + `]`, "/flow/1/mapper/value", "cannot parse"},
		{"unknown filter operator", `[` + wh + `,` + compose(2, "x", `"filter":{"name":"f","conditions":[[{"a":"{{1.a}}","o":"text:startswith","b":"x"}]]}`) + `]`, "/flow/1/filter/conditions/0/0/o", "unknown filter operator"},
		{"merge without if/else", `[` + wh + `,{"id":2,"module":"builtin:BasicMerge","mapper":null}]`, "/flow/1/module", "must directly follow an if/else"},
		{"trigger not first", `[` + wh + `,{"id":2,"module":"gateway:CustomWebHook"}]`, "/flow/1/module", "can only be the first module"},
		{"fallback out of range", `[` + wh + `,{"id":2,"module":"builtin:BasicRouter","parameters":{"else":3},"routes":[{"flow":[]}]}]`, "/flow/1/parameters/else", "fallback route index 3"},
		{"wrong id type", `[` + wh + `,{"id":"two","module":"util:ComposeTransformer"}]`, "/flow/1/id", "must be a positive integer"},
		{"mapper parse error in handler", `[` + wh + `,` + compose(2, "a", `"onerror":[`+compose(3, "{{2.error.message")+`]`) + `]`, "/flow/1/onerror/0/mapper/value", "cannot parse"},
		{"else not last", `[` + wh + `,{"id":2,"module":"builtin:BasicIfElse","branches":[{"type":"else","flow":[]},{"type":"condition","conditions":[[{"a":"1","o":"exist"}]],"flow":[]}]}]`, "/flow/1/branches/0/type", "else branch must be the last"},
		{"router not last", `[` + wh + `,{"id":2,"module":"builtin:BasicRouter","routes":[]},` + compose(3, "x") + `]`, "/flow/1/module", "a router must be the last module"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := validate(t, tc.flow)
			for _, p := range rep.Errors() {
				if p.Pointer == tc.pointer && strings.Contains(p.Message, tc.message) {
					return
				}
			}
			t.Fatalf("want %s: …%s…, got %v", tc.pointer, tc.message, rep.Problems)
		})
	}
}

func TestValidateReportsEverythingAtOnce(t *testing.T) {
	rep := validate(t, `[`+wh+`,`+compose(2, "{{9.x}}")+`,`+compose(2, "{{upper(}}")+`,{"id":4,"module":"acme:CreateWidget","mapper":{"text":"{{1.a}}"}}]`)
	if n := len(rep.Errors()); n != 3 {
		t.Fatalf("want 3 errors (bad reference, duplicate id, parse error), got %d: %v", n, rep.Problems)
	}
	if len(rep.Unsupported) != 1 || rep.Unsupported[0].ModuleID != 4 || rep.Unsupported[0].Pointer != "/flow/3" {
		t.Fatalf("unsupported %+v", rep.Unsupported)
	}
	if rep.OK() || rep.Runnable() {
		t.Fatal("report must not be OK")
	}
}

func TestValidateVisibility(t *testing.T) {
	// Allowed: the error of the failing module in its handler; everything upstream of the
	// feeder plus the aggregator after a loop; branch modules after a merge.
	rep := validate(t, `[`+wh+`,
		{"id":2,"module":"builtin:BasicFeeder","mapper":{"array":"{{1.a}}"}},
		`+compose(3, "{{2.x}}", `"onerror":[`+compose(9, "{{3.error.message}} {{2.x}} {{1.a}}")+`,{"id":10,"module":"builtin:Resume","mapper":{"value":"{{9.value}}"}}]`)+`,
		{"id":4,"module":"builtin:BasicAggregator","parameters":{"feeder":2},"mapper":{"v":"{{3.value}}"}},
		{"id":5,"module":"builtin:BasicIfElse","branches":[{"type":"condition","conditions":[[{"a":"{{4.array}}","o":"array:greater","b":"0"}]],"merge":true,"flow":[`+compose(6, "{{1.a}}")+`]},{"type":"else","merge":true,"flow":[`+compose(7, "{{4.array}}")+`]}]},
		{"id":8,"module":"builtin:BasicMerge","outputs":[{"name":"m","mappings":["{{6.value}}","{{7.value}}"]}]},
		`+compose(11, "{{8.m}} {{6.value}} {{7.value}} {{4.array}} {{1.a}}")+`]`)
	if errs := rep.Errors(); len(errs) != 0 {
		t.Fatalf("unexpected problems: %v", errs)
	}
}
