package cluster

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type obj = map[string]any

// scenario is one blueprint of the test.
type scenario struct {
	Name       string
	Sequential bool
	// Respond: the scenario answers the webhook caller with the payload's key.
	Respond bool
	// Once: a scheduled scenario (no webhook) firing once, this long after the
	// webhooks start.
	Once time.Duration
	// Interval: a scheduled scenario firing every minute.
	Interval bool
	flow     func(base string) []any

	ID      int64
	HookURL string // the path /hooks/TOKEN
}

func (s *scenario) scheduled() bool { return s.Once > 0 || s.Interval }

func (s *scenario) blueprint(base string) []byte {
	settings := obj{}
	if s.Sequential {
		settings["sequential"] = true
	}
	meta := obj{"version": 1, "instant": !s.scheduled(), "scenario": settings}
	b, err := json.Marshal(obj{"name": "cluster " + s.Name, "flow": s.flow(base), "metadata": meta})
	if err != nil {
		panic(err) // plain maps of strings and numbers always encode
	}
	return b
}

func webhook() obj {
	return obj{"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": obj{}, "mapper": obj{}}
}

// httpCall calls the stand-in at /KIND/N/KEY; the mapping fills them in from the
// trigger bundle (a payload) or names them (a schedule).
func httpCall(id int, base, kind, n, key string, extra obj) obj {
	mapper := obj{
		"url":           fmt.Sprintf("%s/%s/%s/%s", base, kind, n, key),
		"method":        "get",
		"headers":       []any{obj{"name": execHeader, "value": "{{executionId}}"}},
		"parseResponse": true,
		"timeout":       1,
	}
	m := obj{"id": id, "module": "http:MakeRequest", "version": 4,
		"parameters": obj{"authenticationType": "noAuth"}, "mapper": mapper}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func fromPayload(id int, base string, extra obj) obj {
	return httpCall(id, base, "{{1.kind}}", "{{1.n}}", "{{1.key}}", extra)
}

func compose(id int, value string) obj {
	return obj{"id": id, "module": "util:ComposeTransformer", "version": 1, "mapper": obj{"value": value}}
}

// scenarios are the test's: four that webhooks reach, eight schedules that fire once
// and one that fires every minute.
func scenarios(onceAt []time.Duration) []*scenario {
	var out []*scenario
	// Four alike: at most three retries of one scenario run at once (SPEC §5.3), so the
	// retries of thousands of failures drain four times as fast.
	for i := range plainScenarios {
		out = append(out, &scenario{Name: fmt.Sprintf("plain%d", i), flow: func(base string) []any {
			return []any{webhook(), fromPayload(2, base, nil), compose(3, "{{2.data.key}}")}
		}})
	}
	out = append(out, []*scenario{
		{Name: "respond", Respond: true, flow: func(base string) []any {
			return []any{webhook(), fromPayload(2, base, nil),
				obj{"id": 3, "module": "gateway:WebhookRespond", "version": 1,
					"mapper": obj{"status": "200", "body": `{"key":"{{2.data.key}}"}`}}}
		}},
		// A failure its own route handles: the run goes on with a substitute.
		{Name: "handled", flow: func(base string) []any {
			return []any{webhook(), fromPayload(2, base, obj{"onerror": []any{
				obj{"id": 4, "module": "builtin:Resume", "version": 1, "mapper": obj{"data": obj{"key": "substitute"}}}}}),
				compose(3, "{{2.data.key}}")}
		}},
		{Name: "seq", Sequential: true, flow: func(base string) []any {
			return []any{webhook(), fromPayload(2, base, nil), compose(3, "{{2.data.key}}")}
		}},
		{Name: "tick", Interval: true, flow: func(base string) []any {
			return []any{obj{"id": 1, "module": "placeholder:Placeholder", "version": 1},
				httpCall(2, base, "ok", "0", "tick-{{executionId}}", nil)}
		}},
	}...)
	for i, at := range onceAt {
		name := fmt.Sprintf("once%d", i)
		out = append(out, &scenario{Name: name, Once: at, flow: func(base string) []any {
			return []any{obj{"id": 1, "module": "placeholder:Placeholder", "version": 1},
				httpCall(2, base, "ok", "0", name+"-{{executionId}}", nil)}
		}})
	}
	return out
}

// payload is one webhook: what its run's call answers.
type payload struct {
	ID   string
	Scen *scenario
	Kind string
	N    int
	// Acked: weft answered 200 (the payload is stored); Body is the answer.
	Acked bool
	Body  string
}

func (p *payload) body() []byte {
	b, _ := json.Marshal(obj{"id": p.ID, "key": p.ID, "kind": p.Kind, "n": p.N})
	return b
}

// retryable: the call's failure is stored as an incomplete execution with automatic
// retries, which end in success.
func (p *payload) retryable() bool {
	return p.Scen.Name != "handled" && (p.Kind == "503" || p.Kind == "429" || p.Kind == "hang")
}

// storesIE: the payload's run stores an incomplete execution.
func (p *payload) storesIE() bool {
	return p.Scen.Name != "handled" && p.Kind != "ok"
}

const plainScenarios = 4

// kinds cycle through what the calls of the plain scenarios answer: a third fail, in
// every way a call can (a hang twice: the retry in flight hangs too, a second long).
var plainKinds = []struct {
	kind string
	n    int
}{
	{"ok", 0}, {"503", 1}, {"ok", 0}, {"ok", 0}, {"429", 1}, {"ok", 0}, {"503", 2}, {"ok", 0},
	{"422", 0}, {"ok", 0}, {"hang", 1}, {"ok", 0}, {"ok", 0}, {"ok", 0}, {"ok", 0}, {"503", 3},
	{"ok", 0}, {"ok", 0}, {"ok", 0}, {"ok", 0}, {"ok", 0}, {"hang", 2}, {"ok", 0}, {"ok", 0},
}

// newPayload is the i-th webhook of the test: 70 % to the plain ones (a third failing in
// every way), and
// respond, handled (a 500 its route resumes) and seq (sequential, some 503s).
func newPayload(i int, scs map[string]*scenario, attempt int) *payload {
	id := fmt.Sprintf("w%05d", i)
	if attempt > 0 {
		id = fmt.Sprintf("w%05d-r%d", i, attempt) // a resend after no answer: a new payload
	}
	p := &payload{ID: id}
	switch i % 20 {
	case 7, 17:
		p.Scen, p.Kind = scs["respond"], "ok"
	case 9, 19:
		p.Scen, p.Kind = scs["handled"], "500"
	case 13:
		p.Scen, p.Kind = scs["seq"], "ok"
		if i%60 == 13 {
			p.Kind, p.N = "503", 1
		}
	default:
		k := plainKinds[(i/20+i)%len(plainKinds)]
		p.Scen, p.Kind, p.N = scs[fmt.Sprintf("plain%d", i%plainScenarios)], k.kind, k.n
	}
	return p
}

// setUp creates the scenarios with the CLI (as a person would) and schedules them
// through the API of one process.
func setUp(t *testing.T, cli weftCLI, scs []*scenario, standin string) {
	t.Helper()
	dir := t.TempDir()
	for _, sc := range scs {
		file := filepath.Join(dir, sc.Name+".json")
		if err := os.WriteFile(file, sc.blueprint(standin), 0o644); err != nil {
			t.Fatal(err)
		}
		var view struct {
			ID      int64   `json:"id"`
			Active  bool    `json:"active"`
			HookURL *string `json:"hookUrl"`
		}
		cli.runJSON(t, &view, "scenarios", "create", file, "--activate", "--json", "--base-url", "")
		if view.ID == 0 || !view.Active {
			t.Fatalf("scenario %s created as %+v, want active", sc.Name, view)
		}
		sc.ID = view.ID
		if !sc.scheduled() {
			if view.HookURL == nil {
				t.Fatalf("scenario %s has no webhook", sc.Name)
			}
			sc.HookURL = *view.HookURL
		}
	}
}
