package crash

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
	"github.com/weftworks/weft/value"
)

// setUp creates the scenarios with the CLI, as a person would.
func setUp(t *testing.T, cli weftCLI, pl *plan, base string) {
	t.Helper()
	dir := t.TempDir()
	for _, sc := range pl.scenarios {
		file := filepath.Join(dir, sc.Name+".json")
		if err := os.WriteFile(file, sc.blueprint(base), 0o644); err != nil {
			t.Fatal(err)
		}
		var view struct {
			ID      int64 `json:"id"`
			Active  bool  `json:"active"`
			Instant bool  `json:"instant"`
		}
		if err := cli.runJSON(t, &view, "scenarios", "create", file, "--activate", "--json"); err != nil {
			t.Fatal(err)
		}
		if view.ID == 0 || !view.Active || view.Instant != sc.Instant {
			t.Fatalf("scenario %s created as %+v, want active, instant %v", sc.Name, view, sc.Instant)
		}
		sc.ID = view.ID
	}
}

// enqueuer enqueues payloads in-process through the service, beside the running weft
// process, as a webhook receiver would (a few hundred `weft enqueue` processes would
// take longer than the test itself).
type enqueuer struct {
	st  store.Store
	svc *service.Service
}

func newEnqueuer(t *testing.T, dbPath string) *enqueuer {
	t.Helper()
	st, err := sqlite.Open(t.Context(), dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(service.Config{Store: st, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &enqueuer{st: st, svc: svc}
}

func (e *enqueuer) enqueue(t *testing.T, pl *plan, ps []*payload) {
	t.Helper()
	for _, p := range ps {
		item, err := e.svc.Enqueue(t.Context(), p.Scen.ID, bundleOf(t, p))
		if err != nil {
			t.Fatalf("enqueue %s: %v", p.ID, err)
		}
		p.QueueID = item.ID
		pl.byQueue[item.ID] = p
	}
}

// waves splits the payloads (taking the scenarios in turn, each in its own order) into
// one wave before the first start and one per round up to 85 % of the rounds, so that
// most kills find work under way; the last rounds kill weft while it drains the
// backlog and retries.
func waves(ps []*payload, scenarios []*scenario, kills int) [][]*payload {
	var order []*payload
	next := map[*scenario]int{}
	for len(order) < len(ps) {
		for _, sc := range scenarios {
			for next[sc] < len(sc.payloads) {
				p := sc.payloads[next[sc]]
				next[sc]++
				if slices.Contains(ps, p) {
					order = append(order, p)
					break
				}
			}
		}
	}
	rounds := max(1, kills*85/100)
	first := min(len(order), 40)
	out := make([][]*payload, kills)
	out[0] = order[:first]
	rest := order[first:]
	for i := 1; i <= rounds && i < kills; i++ {
		n := (len(rest) + (rounds - i)) / (rounds - i + 1)
		out[i], rest = rest[:n], rest[n:]
	}
	out[0] = append(out[0], rest...) // one round only: everything at once
	return out
}

func bundleOf(t *testing.T, p *payload) weft.Bundle {
	t.Helper()
	raw, err := json.Marshal(p.body())
	if err != nil {
		t.Fatal(err)
	}
	v, err := value.DecodeJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func enqueueCLI(t *testing.T, cli weftCLI, pl *plan, p *payload) {
	t.Helper()
	raw, err := json.Marshal(p.body())
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		ID         int64 `json:"id"`
		ScenarioID int64 `json:"scenarioId"`
	}
	if err := cli.runJSON(t, &out, "enqueue", strconv.FormatInt(p.Scen.ID, 10), "--input", string(raw), "--json"); err != nil {
		t.Fatal(err)
	}
	if out.ID == 0 || out.ScenarioID != p.Scen.ID {
		t.Fatalf("weft enqueue %s: got %+v", p.ID, out)
	}
	p.QueueID = out.ID
	pl.byQueue[out.ID] = p
}
