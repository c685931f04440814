package blueprint_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
)

const editBase = `{"name": "Edit me", "flow": [
  {"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}, "x-unknown": "kept"},
  {"id": 2, "module": "builtin:BasicRouter", "version": 1, "routes": [
    {"flow": [{"id": 3, "module": "util:SetVariable2", "version": 1, "mapper": {"name": "a", "value": "{{1.a}}", "scope": "roundtrip"}}]}
  ]}
], "metadata": {"version": 1}}`

func reparse(t *testing.T, bp *blueprint.Blueprint) *blueprint.Blueprint {
	t.Helper()
	raw, err := bp.Export()
	if err != nil {
		t.Fatal(err)
	}
	out, err := blueprint.Parse(raw)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	return out
}

// TestStructuralEditsExport: modules added, moved and removed, a route and an error
// handler route added, all survive export and validate; unknown keys stay.
func TestStructuralEditsExport(t *testing.T) {
	bp, err := blueprint.Parse([]byte(editBase))
	if err != nil {
		t.Fatal(err)
	}
	if bp.MaxID() != 3 {
		t.Fatalf("MaxID = %d", bp.MaxID())
	}
	router, _ := bp.Module(2)
	json4 := blueprint.NewModule(4, "json:ParseJSON", 1, nil, map[string]any{"json": "{{1.raw}}"}, 300, 150)
	router.AddRoute([]*blueprint.Module{json4})
	// A module after 3 in route 1, then moved before it.
	comp := blueprint.NewModule(5, "util:ComposeTransformer", 1, nil, map[string]any{"value": "x"}, 0, 0)
	if err := bp.InsertAfter(3, comp); err != nil {
		t.Fatal(err)
	}
	if moved, err := bp.Move(5, -1); err != nil || !moved {
		t.Fatalf("move: %v %v", moved, err)
	}
	if moved, _ := bp.Move(5, -1); moved {
		t.Fatal("moved past the start of its flow")
	}
	m3, _ := bp.Module(3)
	m3.SetOnError([]*blueprint.Module{blueprint.NewModule(6, "builtin:Ignore", 1, nil, nil, 0, 0)})

	got := reparse(t, bp)
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if rep := blueprint.Validate(got, reg); !rep.OK() {
		t.Fatalf("edited blueprint does not validate: %v", rep.Problems)
	}
	r, _ := got.Module(2)
	if len(r.Routes) != 2 || r.Routes[0].Flow[0].ID != 5 || r.Routes[0].Flow[1].ID != 3 || r.Routes[1].Flow[0].ID != 4 {
		t.Fatalf("routes after edit: %+v", r.Routes)
	}
	if m, _ := got.Module(3); len(m.OnError) != 1 || m.OnError[0].Type != "builtin:Ignore" {
		t.Fatalf("error handler: %+v", m.OnError)
	}
	if x, y, ok := json4.Designer(); !ok || x != 300 || y != 150 {
		t.Fatalf("designer: %d %d %v", x, y, ok)
	}
	raw, _ := got.Export()
	if !strings.Contains(string(raw), `"x-unknown": "kept"`) {
		t.Fatalf("unknown key lost:\n%s", raw)
	}

	// Removing the router removes what it holds.
	if _, err := got.Remove(2); err != nil {
		t.Fatal(err)
	}
	got = reparse(t, got)
	if got.MaxID() != 1 || len(got.Flow) != 1 {
		t.Fatalf("after remove: max id %d, %d modules", got.MaxID(), len(got.Flow))
	}
	if _, err := got.Remove(42); err == nil || !strings.Contains(err.Error(), "no module 42") {
		t.Fatalf("remove of a missing module: %v", err)
	}
}
