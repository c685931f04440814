package engine_test

import (
	"slices"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
)

// fixAndResume copies the plan's blueprint, sets module id's mapper field to v,
// compiles the copy and resumes ie on it.
func (f *fixture) fixAndResume(p *engine.Plan, ie *engine.Incomplete, id int, field string, v any) *engine.Result {
	f.t.Helper()
	bp, err := p.Blueprint.Clone()
	if err != nil {
		f.t.Fatal(err)
	}
	m, _ := bp.Module(id)
	mapper := m.Mapper.(map[string]any)
	mapper[field] = v
	m.SetMapper(mapper)
	fixed, err := f.eng.Compile(bp)
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := f.eng.Resume(f.t.Context(), fixed, ie, engine.ResumeInput{})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func TestResumeContinuesFromFailingModule(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"util:SetVariable2","version":1,"mapper":{"name":"v","scope":"execution","value":"var-{{1.x}}"}},
		`+rec(3, "before-{{1.x}}")+`,
		{"id":4,"module":"test:Fail","version":1,"mapper":{"type":"InvalidAccessTokenError","fail":"{{1.x = 1}}"}},
		{"id":5,"module":"util:GetVariable2","version":1,"mapper":{"name":"v"}},
		`+rec(6, "after {{3.tag}} {{4.ok}} {{5.v}}")+`]`, "")
	res := f.run(p, bundle(`{"x":1}`))
	if len(res.Incomplete) != 1 || res.Incomplete[0].AutoRetry {
		t.Fatalf("IEs %+v", res.Incomplete)
	}
	ie := res.Incomplete[0]
	if _, ok := ie.Outputs[3]; !ok || len(ie.Outputs) != 3 {
		t.Fatalf("stored outputs %v: want modules 1, 2, 3", ie.Outputs)
	}
	if !slices.Equal(f.rec.tags(), []string{"before-1"}) {
		t.Fatalf("tags %v", f.rec.tags())
	}
	// Retried as stored it fails again the same way.
	again, err := f.eng.Resume(t.Context(), p, ie, engine.ResumeInput{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != weft.StatusWarning || len(again.Incomplete) != 1 {
		t.Fatalf("retry as stored: status %s IEs %d", again.Status, len(again.Incomplete))
	}
	// A person fixes module 4's mapping; the continuation runs 4, 5 and 6 only.
	fixed := f.fixAndResume(p, ie, 4, "fail", "{{false}}")
	if fixed.Status != weft.StatusSuccess {
		t.Fatalf("resume: status %s error %+v", fixed.Status, fixed.Error)
	}
	if got := f.rec.tags(); !slices.Equal(got, []string{"before-1", "after before-1 true var-1"}) {
		t.Fatalf("tags %v", got)
	}
	if fixed.Operations != 3 {
		t.Fatalf("operations %d, want 3 (modules 4–6)", fixed.Operations)
	}
}

func TestResumeInsideLoopAggregatesTheOneBundle(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"test:Fail","version":1,"mapper":{"type":"ConnectionError","fail":"{{2.value = 2}}"}},
		{"id":4,"module":"builtin:BasicAggregator","version":1,"parameters":{"feeder":2},"mapper":{"v":"{{2.value}}"}},
		`+rec(5, "{{1.order}}:{{join(map(4.array; \"v\"); \",\")}}")+`]`, "")
	res := f.run(p, bundle(`{"order":"o","items":[1,2,3]}`))
	if !slices.Equal(f.rec.tags(), []string{"o:1,3"}) || len(res.Incomplete) != 1 {
		t.Fatalf("tags %v IEs %d", f.rec.tags(), len(res.Incomplete))
	}
	ie := res.Incomplete[0]
	if !slices.Equal(ie.Loops, []int{2}) || !ie.AutoRetry {
		t.Fatalf("IE loops %v auto %t", ie.Loops, ie.AutoRetry)
	}
	fixed := f.fixAndResume(p, ie, 3, "fail", false)
	if fixed.Status != weft.StatusSuccess {
		t.Fatalf("status %s %+v", fixed.Status, fixed.Error)
	}
	if got := f.rec.tags(); !slices.Equal(got, []string{"o:1,3", "o:2"}) {
		t.Fatalf("tags %v", got)
	}
}

func TestResumeThroughMergeKeepsTheBranch(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"builtin:BasicIfElse","version":1,"mapper":null,"branches":[
			{"type":"condition","conditions":[[{"a":"{{1.v}}","o":"number:greater","b":"5"}]],"merge":true,"flow":[
				{"id":3,"module":"test:Fail","version":1,"mapper":{"type":"DataError"}},`+rec(4, "big")+`]},
			{"type":"else","merge":true,"flow":[`+rec(5, "small")+`]}]},
		{"id":6,"module":"builtin:BasicMerge","version":1,"mapper":null,"outputs":[{"name":"which","mappings":["{{4.tag}}","{{5.tag}}"]}]},
		`+rec(7, "merged {{6.which}}")+`]`, "")
	res := f.run(p, bundle(`{"v":9}`))
	if len(res.Incomplete) != 1 || res.Incomplete[0].Branches[2] != 0 {
		t.Fatalf("IEs %+v", res.Incomplete)
	}
	fixed := f.fixAndResume(p, res.Incomplete[0], 3, "fail", false)
	if fixed.Status != weft.StatusSuccess {
		t.Fatalf("status %s", fixed.Status)
	}
	if got := f.rec.tags(); !slices.Equal(got, []string{"big", "merged big"}) {
		t.Fatalf("tags %v", got)
	}
}

func TestResumeUnknownModule(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,`+rec(2, "x")+`]`, "")
	if _, err := f.eng.Resume(t.Context(), p, &engine.Incomplete{ModuleID: 99}, engine.ResumeInput{}); err == nil {
		t.Fatal("resume at a module that is not in the blueprint must fail")
	}
	_ = blueprint.Report{}
}

// The idempotency key of a module call is the same in the run that failed and in every
// attempt that resumes it, and differs between bundles.
func TestIdempotencyKeyStableAcrossResume(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"test:Key","version":1,"mapper":{"fail":"{{2.value = 2}}"}}]`, "")
	res := f.run(p, bundle(`{"items":[1,2,3]}`))
	if len(res.Incomplete) != 1 {
		t.Fatalf("IEs %d", len(res.Incomplete))
	}
	got := f.keys()
	if len(got) != 3 || got[0] == got[1] || got[1] == got[2] {
		t.Fatalf("keys of the three bundles %v", got)
	}
	for i := 0; i < 2; i++ {
		if _, err := f.eng.Resume(t.Context(), p, res.Incomplete[0], engine.ResumeInput{}); err != nil {
			t.Fatal(err)
		}
	}
	all := f.keys()
	if len(all) != 5 || all[3] != got[1] || all[4] != got[1] {
		t.Fatalf("the failing bundle's key changed across attempts: first run %v, attempts %v", got, all[3:])
	}
}
