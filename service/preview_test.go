package service_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft/service"
)

// TestPreviewResolve: before a retry the preview says which modules run again (the
// failing one and what follows), which keep their stored output, that the failing
// POST may repeat its write (its outcome is unknown), and after an edit which mapped
// values of the failing module change. Nothing runs.
func TestPreviewResolve(t *testing.T) {
	e := newEnv(t)
	o := newOrderService(t, "drop")
	id := e.scenario(orderFlow(o.URL, noKey, ""), "")
	ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID

	p, err := e.svc.PreviewResolve(t.Context(), ieID, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []service.PreviewModule{
		{ID: 1, Module: "gateway:CustomWebHook", Stored: true},
		{ID: 2, Module: "http:MakeRequest", Runs: true, Writes: true, Repeats: true},
		{ID: 3, Module: "util:ComposeTransformer", Runs: true},
	}
	if len(p.Modules) != len(want) {
		t.Fatalf("modules %+v", p.Modules)
	}
	for i := range want {
		if p.Modules[i] != want[i] {
			t.Errorf("module %d: %+v, want %+v", want[i].ID, p.Modules[i], want[i])
		}
	}
	if len(p.Changes) != 0 {
		t.Errorf("changes without an edit: %+v", p.Changes)
	}

	edit, err := service.ParseEdit("2.mapper.url=" + o.URL + "/v2/orders")
	if err != nil {
		t.Fatal(err)
	}
	p, err = e.svc.PreviewResolve(t.Context(), ieID, 0, []service.Edit{edit}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Field != "url" || p.Changes[0].Before != o.URL+"/orders" || p.Changes[0].After != o.URL+"/v2/orders" {
		t.Fatalf("changes %+v", p.Changes)
	}
	bad, _ := service.ParseEdit("1.mapper.x=1")
	if _, err := e.svc.PreviewResolve(t.Context(), ieID, 0, []service.Edit{bad}, nil); err == nil || !strings.Contains(err.Error(), "does not run again") {
		t.Fatalf("an edit before the failing module: %v", err)
	}
	if posts, _ := o.writes(); len(posts) != 1 {
		t.Fatalf("the preview called the service: %d writes", len(posts))
	}
	if ie := e.ie(ieID); !strings.Contains(string(ie.Blueprint), `/orders"`) || strings.Contains(string(ie.Blueprint), "/v2/") {
		t.Fatal("the preview stored the edit")
	}
}
