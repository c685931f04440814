package service_test

import (
	"errors"
	"testing"

	"github.com/weftworks/weft/service"
)

func TestRenameBlueprint(t *testing.T) {
	for _, tc := range []struct{ in, name, want string }{
		{`{"name": "A", "flow": []}`, "B", `{"name": "B", "flow": []}`},
		{"{\n    \"flow\": [{\"name\": \"inner\"}],\n    \"name\":\"A\"\n}", `x "y" <z>`, "{\n    \"flow\": [{\"name\": \"inner\"}],\n    \"name\":\"x \\\"y\\\" <z>\"\n}"},
		{`{"flow": []}`, "B", `{"name":"B","flow": []}`},
		{`{}`, "B", `{"name":"B"}`},
		{"\xef\xbb\xbf{\"name\":null}", "B", `{"name":"B"}`},
		{`{"name":{"nested":"A"},"n":1}`, "B", `{"name":"B","n":1}`},
	} {
		got, err := service.RenameBlueprint([]byte(tc.in), tc.name)
		if err != nil || string(got) != tc.want {
			t.Errorf("RenameBlueprint(%q, %q) = %q, %v; want %q", tc.in, tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{`[]`, `"x"`, `{"name":`, ``} {
		if got, err := service.RenameBlueprint([]byte(bad), "B"); err == nil {
			t.Errorf("RenameBlueprint(%q) = %q, want an error", bad, got)
		}
	}
}

func TestDeleteScenarioRefusedWithOpenIncomplete(t *testing.T) {
	e := newEnv(t)
	stand := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(stand.URL, ""), "")
	rr := e.run(id, `{"id":"o1"}`)
	if len(rr.Incomplete) != 1 {
		t.Fatalf("run stored %d incomplete executions", len(rr.Incomplete))
	}
	err := e.svc.DeleteScenario(t.Context(), id, false)
	var inUse *service.ScenarioInUseError
	if !errors.As(err, &inUse) || inUse.Total != 1 || len(inUse.Incomplete) != 1 || inUse.Incomplete[0] != rr.Incomplete[0].ID {
		t.Fatalf("DeleteScenario = %v", err)
	}
	if err := e.svc.DeleteScenario(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.GetScenario(t.Context(), id); err == nil {
		t.Fatal("the scenario is still there")
	}
}
