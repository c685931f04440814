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

// TestValidateWarnings: what Make's editor accepts and weft runs (or, for a module that
// is not set up, refuses to run until it is) is a warning at its pointer, not an error.
func TestValidateWarnings(t *testing.T) {
	cases := []struct {
		name    string
		flow    string
		pointer string
		message string
	}{
		{"fallback route removed", `[` + wh + `,{"id":2,"module":"builtin:BasicRouter","parameters":{"else":3},"routes":[{"flow":[]}]}]`,
			"/flow/1/parameters/else", "fallback route 3 is not a route of this router (routes 0…0): the router has no fallback route"},
		{"fallback not a number", `[` + wh + `,{"id":2,"module":"builtin:BasicRouter","parameters":{"else":"x"},"routes":[{"flow":[]},{"flow":[]}]}]`,
			"/flow/1/parameters/else", "fallback route x is not a route"},
		{"empty module on a route", `[` + wh + `,{"id":2,"module":"builtin:BasicRouter","routes":[{"flow":[{"id":3,"module":"placeholder:Placeholder"},` + compose(4, "{{1.a}}") + `]},{"flow":[{"id":null,"module":"placeholder:Placeholder","mapper":null}]}]}]`,
			"/flow/1/routes/0/flow/0/module", "an empty module (placeholder:Placeholder): bundles pass through it unchanged"},
		{"empty module at a route's end", `[` + wh + `,{"id":2,"module":"builtin:BasicRouter","routes":[{"flow":[]},{"flow":[{"id":null,"module":"placeholder:Placeholder","mapper":null}]}]}]`,
			"/flow/1/routes/1/flow/0/module", "an empty module"},
		{"argument read as text", `[` + wh + `,` + compose(2, "{{ifempty(1.a; 'warm')}}") + `]`,
			"/flow/1/mapper/value", `argument 2 of ifempty is not an expression of the mapping language; it is read as the text "'warm'" (at character 16)`},
		{"too few arguments", `[` + wh + `,` + compose(2, "application{{escapeJSON()}}") + `]`,
			"/flow/1/mapper/value", "escapeJSON takes 1 argument, got 0: the missing ones are empty (at character 14)"},
		{"too many arguments in a filter", `[` + wh + `,` + compose(2, "x", `"filter":{"name":"f","conditions":[[{"a":"{{ifempty(1.a; 1; 2)}}","o":"exist"}]]}`) + `]`,
			"/flow/1/filter/conditions/0/0/a", "ifempty takes 2 arguments, got 3: the extra ones are ignored"},
		{"module not set up", `[` + wh + `,{"id":2,"module":"email:ActionSendEmail","version":7,"parameters":{},"mapper":{"to":["a@example.com"],"subject":"s","html":"h"}}]`,
			"/flow/1/parameters", "module 2 (email:ActionSendEmail) is not set up: InvalidConfigurationError: parameters.account: an SMTP connection is required; the scenario cannot run until it is"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := validate(t, tc.flow)
			if errs := rep.Errors(); len(errs) != 0 {
				t.Fatalf("unexpected errors: %v", errs)
			}
			for _, p := range rep.Problems {
				if p.Severity == blueprint.SeverityWarning && p.Pointer == tc.pointer && strings.Contains(p.Message, tc.message) {
					return
				}
			}
			t.Fatalf("want a warning at %s: …%s…, got %v", tc.pointer, tc.message, rep.Problems)
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
