package blueprint_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
)

func analyze(t *testing.T, doc string) *blueprint.Analysis {
	t.Helper()
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return blueprint.Analyze(bp, reg)
}

// The inputs and outputs a scenario declares are read where Make's exports keep them:
// the Start scenario trigger's metadata.interface (as in the corpus' 148, 170 and 172)
// and each Return output's metadata.expect (as in its 21 blueprints using it).
func TestInterfaceFromMakeExport(t *testing.T) {
	an := analyze(t, `{"name":"quote","flow":[
		{"id":2,"module":"scenario-service:StartSubscenario","version":2,"parameters":{},"mapper":{},
		 "metadata":{"designer":{"x":0,"y":0},"restore":{},"interface":[
			{"help":"Thread","name":"threadID","type":"text","label":"Thread ID","validate":{"max":256}},
			{"name":"messages","spec":{"name":"value","type":"text","label":"Message"},"type":"array","label":"Messages"},
			{"name":"to","spec":{"name":"value","type":"email","required":true},"type":"array","required":true},
			{"name":"adults","type":"number","validate":{"min":1,"max":20}},
			{"name":"body","type":"any","required":false},
			{"name":"checkIn","type":"date"}]}},
		{"id":3,"module":"scenario-service:ReturnData","version":2,"mapper":{"isValid":"{{2.threadID}}"},
		 "metadata":{"expect":[{"name":"isValid","type":"boolean","label":""},{"name":"total","type":"text","label":""}]}}],
		"metadata":{"version":1,"scenario":{"dlq":false}}}`)
	if !an.Report.OK() || len(an.Report.Problems) != 0 {
		t.Fatalf("problems: %v", an.Report.Problems)
	}
	in := an.Interface
	if !in.InputsDeclared || !in.OutputsDeclared || len(in.Inputs) != 6 || len(in.Outputs) != 2 {
		t.Fatalf("interface %+v", in)
	}
	byName := map[string]blueprint.Param{}
	for _, p := range in.Inputs {
		byName[p.Name] = p
	}
	if p := byName["to"]; p.Type != app.TypeArray || !p.Required || p.Item == nil || p.Item.Type != app.TypeText || !p.Item.Required {
		t.Fatalf("to: %+v", p)
	}
	if p := byName["adults"]; p.Type != app.TypeNumber || p.Min != 1 || p.Max != 20 {
		t.Fatalf("adults: %+v", p)
	}
	if p := byName["checkIn"]; p.Type != app.TypeDate {
		t.Fatalf("checkIn: %+v", p)
	}
	if p := in.Outputs[0]; p.Name != "isValid" || p.Type != app.TypeBoolean {
		t.Fatalf("output %+v", p)
	}
}

// Declaration problems are reported at their pointers; a Return output followed by
// other modules is an error (it ends the run: they would never run).
func TestInterfaceProblems(t *testing.T) {
	start := func(iface string) string {
		return `{"name":"t","flow":[{"id":1,"module":"scenario-service:StartSubscenario","metadata":{"interface":` + iface + `}}],"metadata":{"version":1}}`
	}
	for _, c := range []struct {
		name, doc, pointer, message string
		warning                     bool
	}{
		{"not an array", start(`{"a":1}`), "/flow/0/metadata/interface", "must be an array", false},
		{"no name", start(`[{"type":"text"}]`), "/flow/0/metadata/interface/0/name", "needs a name", false},
		{"twice", start(`[{"name":"a","type":"text"},{"name":"a","type":"number"}]`), "/flow/0/metadata/interface/1/name", `"a" is declared twice`, false},
		{"unknown type", start(`[{"name":"a","type":"uuid"}]`), "/flow/0/metadata/interface/0/type", `type "uuid" is not known`, true},
		{"odd name", start(`[{"name":"a b","type":"text"}]`), "/flow/0/metadata/interface/0/name", "letters, digits and _", true},
		{"bounds", start(`[{"name":"n","type":"number","validate":{"min":5,"max":1}}]`), "/flow/0/metadata/interface/0/validate", "max 1 is below min 5", false},
		{"blueprint level", `{"name":"t","flow":[` + wh + `],"metadata":{"version":1,"interface":[]}}`, "/metadata/interface", "must be an object", false},
		{"return not last", `{"name":"t","flow":[` + wh + `,{"id":2,"module":"scenario-service:ReturnData","mapper":{}},` +
			compose(3, "x") + `],"metadata":{"version":1}}`, "/flow/1/module", "must be the last module of its route", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := analyze(t, c.doc).Report
			for _, p := range rep.Problems {
				if p.Pointer == c.pointer && strings.Contains(p.Message, c.message) && (p.Severity == blueprint.SeverityWarning) == c.warning {
					return
				}
			}
			t.Fatalf("no problem %q at %s: %v", c.message, c.pointer, rep.Problems)
		})
	}
}

// A blueprint-level declaration (the shape of Make's API) wins over the modules'.
func TestInterfaceBlueprintLevel(t *testing.T) {
	an := analyze(t, `{"name":"t","flow":[{"id":1,"module":"scenario-service:StartSubscenario",
		"metadata":{"interface":[{"name":"fromModule","type":"text"}]}},
		{"id":2,"module":"scenario-service:ReturnData","mapper":{},"metadata":{"expect":[{"name":"fromExpect","type":"text"}]}}],
		"metadata":{"version":1,"interface":{"input":[{"name":"x","type":"uinteger","required":true}],"output":[{"name":"y","type":"url"}]}}}`)
	in := an.Interface
	if len(in.Inputs) != 1 || in.Inputs[0].Name != "x" || in.Inputs[0].Type != app.TypeUInteger ||
		len(in.Outputs) != 1 || in.Outputs[0].Name != "y" || in.Outputs[0].Type != app.TypeURL {
		t.Fatalf("interface %+v", in)
	}
}

// A scenario that takes inputs without starting with Start scenario carries them in the
// export's top-level "io" (the corpus' 045); empty lists, what Make writes for none,
// leave the modules' declarations in force; metadata.interface still wins.
func TestInterfaceFromMakeIO(t *testing.T) {
	an := analyze(t, `{"name":"3 Extract Category Factors","flow":[
		{"id":3,"module":"json:ParseJSON","version":1,"mapper":{"json":"{{var.input.prompt_id}}"}}],
		"metadata":{"version":1},
		"io":{"input_spec":[{"help":"","name":"prompt_id","type":"text","label":"","default":"","required":true,"multiline":false},
			{"name":"lock_token","type":"text","required":true}],"output_spec":[]}}`)
	if !an.Report.OK() {
		t.Fatalf("problems: %v", an.Report.Problems)
	}
	in := an.Interface
	if !in.InputsDeclared || in.OutputsDeclared || len(in.Inputs) != 2 || in.Inputs[0].Name != "prompt_id" ||
		!in.Inputs[0].Required || in.Inputs[1].Name != "lock_token" || in.Inputs[1].Type != app.TypeText {
		t.Fatalf("interface %+v", in)
	}

	an = analyze(t, `{"name":"t","flow":[{"id":1,"module":"scenario-service:StartSubscenario",
		"metadata":{"interface":[{"name":"fromModule","type":"text"}]}},
		{"id":2,"module":"scenario-service:ReturnData","mapper":{},"metadata":{"expect":[{"name":"fromExpect","type":"text"}]}}],
		"metadata":{"version":1},"io":{"input_spec":[],"output_spec":[]}}`)
	if in := an.Interface; len(in.Inputs) != 1 || in.Inputs[0].Name != "fromModule" || len(in.Outputs) != 1 || in.Outputs[0].Name != "fromExpect" {
		t.Fatalf("empty io: interface %+v", in)
	}

	an = analyze(t, `{"name":"t","flow":[{"id":1,"module":"placeholder:Placeholder"}],
		"metadata":{"version":1,"interface":{"input":[{"name":"x","type":"number"}]}},
		"io":{"input_spec":[{"name":"y","type":"text"}],"output_spec":[{"name":"z","type":"text"}]}}`)
	if in := an.Interface; len(in.Inputs) != 1 || in.Inputs[0].Name != "x" || len(in.Outputs) != 1 || in.Outputs[0].Name != "z" {
		t.Fatalf("interface and io: %+v", in)
	}

	for doc, want := range map[string]string{
		`"io":[1]`:                              `/io: must be an object`,
		`"io":{"input_spec":{"name":"x"}}`:      `/io/input_spec: scenario inputs must be an array`,
		`"io":{"input_spec":[{"type":"text"}]}`: `/io/input_spec/0/name: a scenario input needs a name`,
	} {
		an := analyze(t, `{"name":"t","flow":[{"id":1,"module":"placeholder:Placeholder"}],"metadata":{"version":1},`+doc+`}`)
		if an.Report.OK() || !strings.Contains(fmt.Sprint(an.Report.Problems), want) {
			t.Errorf("%s: problems %v, want %q", doc, an.Report.Problems, want)
		}
	}
}
