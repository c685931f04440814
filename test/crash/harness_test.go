package crash

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
)

// The harness's own parts, checked on their own: a wrong stand-in or plan would make the
// crash test prove nothing.

func TestStandInAnswersFromThePath(t *testing.T) {
	s := newStandIn(t)
	cases := []struct {
		path string
		want []int // statuses of the first, second, third call
	}{
		{"/ok/0/a", []int{200, 200, 200}},
		{"/503/2/b", []int{503, 503, 200}},
		{"/429/1/c", []int{429, 200, 200}},
		{"/422/0/d", []int{422, 422, 422}},
		{"/500/0/e", []int{500, 500, 500}},
		{"/hang/0/f", []int{200, 200, 200}},
		{"/nope/0/g", []int{400, 400, 400}},
		{"/ok/x/h", []int{400, 400, 400}},
	}
	for _, c := range cases {
		for i, want := range c.want {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+c.path, nil)
			req.Header.Set(execHeader, fmt.Sprintf("exec-%d", i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s call %d: %d, want %d", c.path, i+1, resp.StatusCode, want)
			}
			if c.path == "/429/1/c" && i == 0 && resp.Header.Get("Retry-After") != "1" {
				t.Errorf("429 without Retry-After: 1: %v", resp.Header)
			}
		}
	}
	log, overlaps := s.snapshot()
	if len(overlaps) != 0 {
		t.Errorf("sequential calls reported as overlapping: %v", overlaps)
	}
	// Only a call whose N is not a number is refused before it is recorded.
	if len(log) != 21 || log[1].Key != "a" || log[1].Nth != 2 || log[1].Exec != "exec-1" || log[3].failed() != true {
		t.Errorf("log %+v", log[:4])
	}
}

func TestStandInHangsAndSeesOverlaps(t *testing.T) {
	s := newStandIn(t, "seq")
	ctx, cancel := context.WithCancel(t.Context())
	errs := make(chan error, 3)
	for _, path := range []string{"/hang/5/seq-1", "/hang/5/seq-1", "/hang/5/seq-2"} {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	s.mu.Lock()
	for s.total < 3 {
		s.idle.Wait()
	}
	s.mu.Unlock()
	cancel() // what weft's module timeout does: give up and close the connection
	for range 3 {
		if err := <-errs; err == nil {
			t.Error("a hanging call answered")
		}
	}
	if err := s.waitIdle(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	log, overlaps := s.snapshot()
	for _, r := range log {
		if r.Status != 0 || !r.failed() {
			t.Errorf("hung call recorded as %+v", r)
		}
	}
	want := []string{"seq-1: 2 calls in flight", "scenario:seq: 2 calls in flight", "scenario:seq: 3 calls in flight"}
	if len(overlaps) != len(want) {
		t.Fatalf("overlaps %q, want %q", overlaps, want)
	}
	for _, w := range want {
		if !slices.ContainsFunc(overlaps, func(o string) bool { return strings.HasPrefix(o, w) }) {
			t.Errorf("overlaps %q lack %q", overlaps, w)
		}
	}
}

func TestPlanHasUniquePayloadsAndCalls(t *testing.T) {
	pl := newPlan()
	inProcess := slices.Clone(pl.payloads)
	pl.cliPayloads(10)
	pl.latePayloads()
	if len(pl.payloads) != 284 || len(inProcess) != 272 {
		t.Fatalf("%d payloads (%d in-process), want 284 (272)", len(pl.payloads), len(inProcess))
	}
	keys := map[string]bool{}
	for _, p := range pl.payloads {
		if pl.byID[p.ID] != p {
			t.Errorf("payload %s is not indexed", p.ID)
		}
		for _, c := range p.Calls {
			if keys[c.Key] {
				t.Errorf("call key %s twice", c.Key)
			}
			keys[c.Key] = true
			if c.Kind == "" || (c.Kind != "ok" && c.Kind != "422" && c.Kind != "500" && c.N < 1) {
				t.Errorf("call %s: kind %q n %d", c.Key, c.Kind, c.N)
			}
		}
	}
	for _, sc := range pl.scenarios {
		if _, err := parseBlueprint(sc.blueprint("http://127.0.0.1:1")); err != nil {
			t.Errorf("scenario %s: %v", sc.Name, err)
		}
	}
}

func TestWavesKeepEveryPayloadOnceInScenarioOrder(t *testing.T) {
	pl := newPlan()
	for _, kills := range []int{1, 2, 50, 400} {
		ws := waves(pl.payloads, pl.scenarios, kills)
		if len(ws) != kills {
			t.Fatalf("kills %d: %d waves", kills, len(ws))
		}
		var all []*payload
		for _, w := range ws {
			all = append(all, w...)
		}
		if len(all) != len(pl.payloads) {
			t.Fatalf("kills %d: %d payloads in waves, want %d", kills, len(all), len(pl.payloads))
		}
		last := map[*scenario]int{}
		for _, p := range all {
			if p.Pos < last[p.Scen] {
				t.Fatalf("kills %d: %s comes after a later payload of its scenario", kills, p.ID)
			}
			last[p.Scen] = p.Pos
		}
	}
}

// parseBlueprint parses and validates a blueprint as `weft scenarios create` does.
func parseBlueprint(raw []byte) (*blueprint.Blueprint, error) {
	bp, err := blueprint.Parse(raw)
	if err != nil {
		return nil, err
	}
	reg, err := all.Registry()
	if err != nil {
		return nil, err
	}
	if rep := blueprint.Validate(bp, reg); !rep.OK() {
		return nil, fmt.Errorf("invalid: %v", rep.Errors())
	}
	return bp, nil
}
