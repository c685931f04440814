package declarative_test

import (
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// watchUpdatedCells: the hook address goes into the add-on's settings (nothing is
// registered), and each call the add-on posts becomes the bundle as posted.
func TestSheetsWatchUpdatedCells(t *testing.T) {
	s := newStandIn(t)
	spec := shipped(t, "google-sheets", "watchUpdatedCells", s)
	if spec.Kind != app.KindTrigger || spec.Hook == nil || spec.Hook.Verify != nil {
		t.Fatalf("spec %+v", spec)
	}
	state, err := spec.Hook.Register(t.Context(), &app.HookCall{URL: "https://weft.example/hooks/abc"})
	if err != nil || state["url"] != "https://weft.example/hooks/abc" || len(s.requests()) != 0 {
		t.Fatalf("register: %v %v, %d requests", state, err, len(s.requests()))
	}
	call := `{"spreadsheetId": "1Sheet", "spreadsheetName": "Contenido", "sheetId": 0, "sheetName": "Ideas",
		"range": {"rowStart": 7, "rowEnd": 7, "columnStart": 6, "columnEnd": 6}, "value": "Aprobado", "oldValue": "Pendiente",
		"rowValues": [{"1": "Post 7", "2": "Texto", "3": "https://img.example/7.png", "4": "IG", "6": "Aprobado"}], "user": {"email": "cm@example.org"}}`
	if spec.Hook.Payload == nil {
		t.Fatal("no payload function")
	}
	out, keep, err := spec.Hook.Payload(&app.HookCall{Params: weft.Bundle{"__IMTHOOK__": 1775606}}, decode(t, call))
	if err != nil || !keep {
		t.Fatalf("keep %v err %v", keep, err)
	}
	sameJSON(t, "bundle", out, call)
}
