package engine_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

func (f *fixture) poll(p *engine.Plan, pos string) *engine.Result {
	f.t.Helper()
	in := engine.Input{PollOrigin: "poll/1/0/1"}
	if pos != "" {
		in.Position = json.RawMessage(pos)
	}
	res, err := f.eng.Run(context.Background(), p, in)
	if err != nil {
		f.t.Fatalf("run: %v", err)
	}
	return res
}

const watchABC = `{"id":1,"module":"test:Watch","version":1,"parameters":{"items":["a","b","c"]}}`

// The position after the last item the run consumed: all of them, those before a
// Commit directive stopped the run, none when the run ends in error.
func TestPollPosition(t *testing.T) {
	f := newFixture(t)
	ok := f.plan(`[`+watchABC+`,{"id":2,"module":"test:Record","version":1,"mapper":{"tag":"{{1.item}}"}}]`, "")
	res := f.poll(ok, "")
	if string(res.Position) != "3" || res.Status != weft.StatusSuccess || !slices.Equal(f.rec.tags(), []string{"a", "b", "c"}) {
		t.Fatalf("all: position %s, %s, saw %q", res.Position, res.Status, f.rec.tags())
	}
	if res := f.poll(ok, "3"); res.Position != nil || res.Operations != 1 {
		t.Fatalf("nothing new: position %s, %d operations", res.Position, res.Operations)
	}

	// b fails and its handler commits: the run stops after b, c waits for the next run.
	commit := f.plan(`[`+watchABC+`,{"id":2,"module":"test:Fail","version":1,"mapper":{"type":"DataError","fail":"{{1.item = \"b\"}}"},
		"onerror":[{"id":3,"module":"builtin:Commit","version":1}]}]`, "")
	if res := f.poll(commit, ""); string(res.Position) != "2" || res.Status != weft.StatusSuccess {
		t.Fatalf("commit on b: position %s, %s", res.Position, res.Status)
	}
	// b fails with an error that is not stored: the run ends in error, nothing moves.
	fatal := f.plan(`[`+watchABC+`,{"id":2,"module":"test:Fail","version":1,"mapper":{"type":"RuntimeError","fail":"{{1.item = \"b\"}}"}}]`, "")
	if res := f.poll(fatal, "0"); res.Position != nil || res.Status != weft.StatusError {
		t.Fatalf("error on b: position %s, %s", res.Position, res.Status)
	}
	// b's failure is stored as an incomplete execution: the run commits, c goes on.
	stored := f.plan(`[`+watchABC+`,{"id":2,"module":"test:Fail","version":1,"mapper":{"type":"ConnectionError","fail":"{{1.item = \"b\"}}"}}]`, "")
	if res := f.poll(stored, "0"); string(res.Position) != "3" || res.Status != weft.StatusWarning || len(res.Incomplete) != 1 {
		t.Fatalf("stored failure on b: position %s, %s, %d incomplete", res.Position, res.Status, len(res.Incomplete))
	}
	// The trigger's own failure ends the run at once (SPEC §3.2): no position.
	down := f.plan(`[{"id":1,"module":"test:Watch","version":1,"parameters":{"fail":"service down"}}]`, "")
	if res := f.poll(down, "0"); res.Position != nil || res.Status != weft.StatusError || res.Error.ModuleID != 1 || len(res.Incomplete) != 0 {
		t.Fatalf("trigger failure: %s %+v %d", res.Status, res.Error, len(res.Incomplete))
	}
}

// An item emitted again (its run did not commit) sends the same idempotency keys;
// other items send other keys.
func TestPollItemKeys(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+watchABC+`,{"id":2,"module":"test:Key","version":1}]`, "")
	f.poll(p, "1") // b, c
	f.poll(p, "0") // a, b, c
	k := f.keys()
	if len(k) != 5 || k[0] != k[3] || k[1] != k[4] || k[2] == k[3] || k[0] == k[1] {
		t.Fatalf("keys %q", k)
	}
}

// With roundtrips, the trigger polls once per cycle from the position the last cycle
// left, while it returns items.
func TestPollCycles(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[{"id":1,"module":"test:Watch","version":1,"parameters":{"items":["a","b","c","d"],"limit":1}},
		{"id":2,"module":"test:Record","version":1,"mapper":{"tag":"{{1.item}}"}}]`, `{"roundtrips":3}`)
	if res := f.poll(p, ""); string(res.Position) != "3" || !slices.Equal(f.rec.tags(), []string{"a", "b", "c"}) {
		t.Fatalf("three cycles: position %s, saw %q", res.Position, f.rec.tags())
	}
	if res := f.poll(p, "3"); string(res.Position) != "4" || res.Operations != 3 {
		t.Fatalf("d, then an empty poll ends the run: position %s, %d operations", res.Position, res.Operations)
	}
}
