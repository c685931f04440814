package service_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft"
)

// rewindFlow: webhook (1) → compose (2) → POST (3) → compose (4).
func rewindFlow(url string) string {
	return `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"order {{1.id}}"}},
		{"id":3,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + url + `/orders","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"id\":\"{{2.value}}\"}"}},
		{"id":4,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"done {{2.value}}"}}]`
}

// TestRetryFromAnEarlierModule: a retry may start from an earlier module of the failing
// module's path, or from the trigger's bundle: the modules in between run again with the
// stored outputs before them.
func TestRetryFromAnEarlierModule(t *testing.T) {
	for _, tc := range []struct {
		name string
		from int
	}{{"module 2", 2}, {"the trigger's bundle", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := newStandIn(t, answer{status: 422}, answer{status: 200})
			id := e.scenario(rewindFlow(s.URL), "")
			ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID
			p, err := e.svc.PreviewResolve(t.Context(), ieID, tc.from, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m := p.Modules[1]; m.ID != 2 || !m.Runs || m.Stored || m.Writes || m.Repeats {
				t.Fatalf("preview of module 2: %+v", m)
			}
			if m := p.Modules[0]; m.Runs || !m.Stored {
				t.Fatalf("preview of the trigger: %+v", m)
			}
			rr, after, err := e.svc.RetryFrom(t.Context(), ieID, tc.from)
			if err != nil {
				t.Fatal(err)
			}
			var ran []int
			for _, l := range rr.Result.Log {
				ran = append(ran, l.ModuleID)
			}
			if after.Status != weft.IncompleteResolved || len(ran) != 3 || ran[0] != 2 || ran[1] != 3 || ran[2] != 4 {
				t.Fatalf("status %s, modules run %v; want resolved after 2, 3, 4", after.Status, ran)
			}
			if got := s.requests(); len(got) != 2 || got[1] != `/orders {"id":"order o1"}` {
				t.Fatalf("stand-in got %q", got)
			}
		})
	}
}

// TestRetryFromRefused: an earlier module across a router, or one after the failing
// module, is refused with the reason; an iterator whose items would all run again stops
// the attempt instead of repeating the other items.
func TestRetryFromRefused(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 422})
	id := e.scenario(rewindFlow(s.URL), "")
	ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID
	if _, _, err := e.svc.RetryFrom(t.Context(), ieID, 4); err == nil || !strings.Contains(err.Error(), "not on a straight stretch") {
		t.Fatalf("from a later module: %v", err)
	}
	if _, _, err := e.svc.RetryFrom(t.Context(), ieID, 9); err == nil || !strings.Contains(err.Error(), "not in the blueprint") {
		t.Fatalf("from a missing module: %v", err)
	}

	routed := e.scenario(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"x"}},
		{"id":5,"module":"builtin:BasicRouter","version":1,"routes":[{"flow":[
			{"id":3,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},"mapper":{"url":"`+s.URL+`/r","method":"post"}}]}]}]`, "")
	rid := e.run(routed, `{"id":"o2"}`).Incomplete[0].ID
	if _, _, err := e.svc.RetryFrom(t.Context(), rid, 2); err == nil || !strings.Contains(err.Error(), "router") {
		t.Fatalf("from across a router: %v", err)
	}

	s.set(answer{status: 200}, answer{status: 422}, answer{status: 200})
	looped := e.scenario(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"`+s.URL+`/items","method":"post","contentType":"json","inputMethod":"jsonString","jsonStringBodyContent":"{\"n\":{{2.n}}}"}}]`, "")
	lid := e.run(looped, `{"items":[{"n":1},{"n":2},{"n":3}]}`).Incomplete[0].ID
	calls := len(s.requests())
	rr, after, err := e.svc.RetryFrom(t.Context(), lid, 2)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status == weft.IncompleteResolved || rr.Result.Error == nil || !strings.Contains(rr.Result.Error.Message, "returned 3 bundles") {
		t.Fatalf("from the iterator: %s %+v", after.Status, rr.Result.Error)
	}
	if got := len(s.requests()) - calls; got != 0 {
		t.Fatalf("the iterator's items were sent again: %d calls", got)
	}
}
