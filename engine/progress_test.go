package engine_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
)

// TestLogHook: each log entry reaches the context's hook as it is written — before the
// next module runs — for Run and Resume, and equals the result's log entry.
func TestLogHook(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,`+rec(2, "a")+`,
		{"id":3,"module":"test:Fail","version":1,"mapper":{"type":"ConnectionError","fail":"{{1.x = 1}}"}},
		`+rec(4, "b")+`]`, "")
	var got []engine.LogEntry
	var execIDs []string
	ctx := engine.WithLogHook(context.Background(), func(id string, e engine.LogEntry) {
		// Interleaved with what the modules record: the entry arrives as it is written.
		f.rec.add(fmt.Sprintf("log:%d", e.ModuleID), nil)
		got = append(got, e)
		execIDs = append(execIDs, id)
	})
	res, err := f.eng.Run(ctx, p, engine.Input{Trigger: [][]weft.Bundle{{bundle(`{"x":1}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"log:1", "a", "log:2", "log:3"}; !slices.Equal(f.rec.tags(), want) {
		t.Errorf("order %v, want %v", f.rec.tags(), want)
	}
	// The note added after the entry was written (how the error was handled) is in the
	// result's log only.
	if res.Log[2].Outcome != "stored as an incomplete execution" || got[2].Outcome != "" {
		t.Errorf("outcome: result %q, hook %q", res.Log[2].Outcome, got[2].Outcome)
	}
	res.Log[2].Outcome = ""
	if mustJSON(got) != mustJSON(res.Log) || got[2].Error == nil || got[2].Error.Type != "ConnectionError" {
		t.Errorf("hook entries\n%s\nresult log\n%s", mustJSON(got), mustJSON(res.Log))
	}
	if !slices.Equal(execIDs, []string{res.ExecutionID, res.ExecutionID, res.ExecutionID}) {
		t.Errorf("execution ids %v, want %s", execIDs, res.ExecutionID)
	}

	// Resume: the failing module on, under the resumed run's id.
	got, execIDs = nil, nil
	again, err := f.eng.Resume(engine.WithLogHook(context.Background(), func(id string, e engine.LogEntry) {
		got = append(got, e)
		execIDs = append(execIDs, id)
	}), p, res.Incomplete[0], engine.ResumeInput{ExecutionID: "attempt-1"})
	if err != nil {
		t.Fatal(err)
	}
	var mods []int
	for _, e := range got {
		mods = append(mods, e.ModuleID)
	}
	again.Log[0].Outcome = ""
	if !slices.Equal(mods, []int{3}) || !slices.Equal(execIDs, []string{"attempt-1"}) || mustJSON(got) != mustJSON(again.Log) {
		t.Errorf("resume: modules %v ids %v", mods, execIDs)
	}

	// Without a hook (or with the log off) nothing is called and nothing changes.
	if res := f.run(p, bundle(`{"x":2}`)); len(res.Log) != 4 {
		t.Errorf("without a hook: %d entries", len(res.Log))
	}
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := engine.New(engine.Options{Registry: reg, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse([]byte(`{"name":"q","flow":[` + hook + `,
		{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"x"}}],"metadata":{"version":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	qp, err := quiet.Compile(bp)
	if err != nil {
		t.Fatal(err)
	}
	called := 0
	if _, err := quiet.Run(engine.WithLogHook(context.Background(), func(string, engine.LogEntry) { called++ }), qp,
		engine.Input{}); err != nil || called != 0 {
		t.Errorf("NoLog: %d calls, %v", called, err)
	}
}
