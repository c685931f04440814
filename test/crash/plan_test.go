package crash

import (
	"encoding/json"
	"fmt"

	"github.com/weftworks/weft"
)

// The scenarios and payloads of the test. Every payload names the stand-in's answer for
// each HTTP call its run makes (see standIn), so what a finished run must have stored
// follows from the calls the stand-in saw with that run's execution id.

type obj = map[string]any

// call is one HTTP call a payload's run makes: the stand-in's key and its answer.
type call struct {
	Key  string
	Kind string // ok, 503, 429, 422, 500, hang
	N    int    // first calls that fail (503, 429, hang)
}

// payload is one trigger payload and what its run does.
type payload struct {
	ID    string
	Scen  *scenario
	Route string // the router route taken (handlers, rollback), else ""
	Calls []call
	// QueueID is the queue item it was enqueued as (0 until enqueued).
	QueueID int64
	// Pos is its arrival position in its scenario's queue.
	Pos int
}

func (p *payload) body() obj {
	if p.Scen.Name == "loop" {
		items := make([]any, len(p.Calls))
		for i, c := range p.Calls {
			items[i] = obj{"key": c.Key, "kind": c.Kind, "n": c.N}
		}
		return obj{"id": p.ID, "items": items}
	}
	c := p.Calls[0]
	b := obj{"id": p.ID, "key": c.Key, "kind": c.Kind, "n": c.N}
	if p.Route != "" {
		b["route"] = p.Route
	}
	return b
}

func (p *payload) call(key string) (call, bool) {
	for _, c := range p.Calls {
		if c.Key == key {
			return c, true
		}
	}
	return call{}, false
}

// scenario is one blueprint of the test and the rules its runs follow.
type scenario struct {
	Name       string
	Instant    bool // a webhook trigger: an error run deactivates it at once
	Sequential bool
	// flow builds the blueprint's flow with the stand-in's base URL.
	flow     func(base string) []any
	settings obj
	// expect: the status a finished run must end with and the calls that must have
	// become incomplete executions, from the calls that failed in it.
	expect func(p *payload, failed []request) (weft.ExecutionStatus, []request)
	// personRetries: its incomplete executions wait for a person's retry (Break's
	// interval is at least one minute, longer than the test).
	personRetries bool

	ID       int64 // once created
	payloads []*payload
}

func (s *scenario) blueprint(base string) []byte {
	meta := obj{"version": 1, "instant": s.Instant, "scenario": s.settings}
	b, err := json.Marshal(obj{"name": "crash " + s.Name, "flow": s.flow(base), "metadata": meta})
	if err != nil {
		panic(err) // plain maps of strings and numbers always encode
	}
	return b
}

// Flow building blocks, in Make's export format.

func webhook() obj {
	return obj{"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": obj{}, "mapper": obj{}}
}

// httpCall calls the stand-in for the call described by module src's fields.
func httpCall(id int, base, src string, extra obj) obj {
	mapper := obj{
		"url":           fmt.Sprintf("%s/{{%s.kind}}/{{%s.n}}/{{%s.key}}", base, src, src, src),
		"method":        "get",
		"headers":       []any{obj{"name": execHeader, "value": "{{executionId}}"}},
		"parseResponse": true,
	}
	m := obj{"id": id, "module": "http:MakeRequest", "version": 4,
		"parameters": obj{"authenticationType": "noAuth"}, "mapper": mapper}
	for k, v := range extra {
		if k == "timeout" {
			mapper[k] = v
			continue
		}
		m[k] = v
	}
	return m
}

func compose(id int, value string) obj {
	return obj{"id": id, "module": "util:ComposeTransformer", "version": 1, "mapper": obj{"value": value}}
}

func directive(id int, name string, mapper obj) obj {
	m := obj{"id": id, "module": "builtin:" + name, "version": 1}
	if mapper != nil {
		m["mapper"] = mapper
	}
	return m
}

func routeFilter(route string) obj {
	return obj{"name": route, "conditions": []any{[]any{obj{"a": "{{1.route}}", "o": "text:equal", "b": route}}}}
}

// Expectations.

// storeEveryFailure: every failed call becomes an incomplete execution (retryable or
// waiting for a person), and the run ends in warning.
func storeEveryFailure(_ *payload, failed []request) (weft.ExecutionStatus, []request) {
	if len(failed) > 0 {
		return weft.ExecutionWarning, failed
	}
	return weft.ExecutionSuccess, nil
}

// failTheRun: a failed call ends the run in error without an incomplete execution.
func failTheRun(_ *payload, failed []request) (weft.ExecutionStatus, []request) {
	if len(failed) > 0 {
		return weft.ExecutionError, nil
	}
	return weft.ExecutionSuccess, nil
}

// handlerExpect: Break stores the failing call; Resume, Ignore and Commit end the run
// in success without storing anything.
func handlerExpect(p *payload, failed []request) (weft.ExecutionStatus, []request) {
	if p.Route == "break" && len(failed) > 0 {
		return weft.ExecutionWarning, failed
	}
	return weft.ExecutionSuccess, nil
}

// The plan.

type plan struct {
	scenarios []*scenario
	payloads  []*payload
	byID      map[string]*payload
	byQueue   map[int64]*payload
}

func (pl *plan) add(s *scenario, id, route string, calls ...call) *payload {
	p := &payload{ID: id, Scen: s, Route: route, Calls: calls, Pos: len(s.payloads)}
	s.payloads = append(s.payloads, p)
	pl.payloads = append(pl.payloads, p)
	pl.byID[id] = p
	return p
}

// kinds cycles through answers: "ok", "503x2" (fail twice), "429x1", "422", "500",
// "hang1".
func parseKind(k string) (string, int) {
	var kind string
	var n int
	switch {
	case k == "ok" || k == "422" || k == "500":
		return k, 0
	case len(k) > 4 && k[:4] == "hang":
		kind = "hang"
		fmt.Sscanf(k[4:], "%d", &n)
	default:
		fmt.Sscanf(k, "%3sx%d", &kind, &n)
	}
	return kind, n
}

func mk(key, k string) call {
	kind, n := parseKind(k)
	return call{Key: key, Kind: kind, N: n}
}

// newPlan builds the scenarios and their 272 payloads; cliPayloads and latePayloads add
// 12 more.
func newPlan() *plan {
	pl := &plan{byID: map[string]*payload{}, byQueue: map[int64]*payload{}}

	plain := &scenario{Name: "plain", Instant: true, expect: storeEveryFailure, settings: obj{},
		flow: func(base string) []any {
			return []any{webhook(), httpCall(2, base, "1", obj{"timeout": 1}), compose(3, "{{2.data.key}}")}
		}}
	loop := &scenario{Name: "loop", Instant: true, expect: storeEveryFailure, settings: obj{},
		flow: func(base string) []any {
			return []any{webhook(),
				obj{"id": 2, "module": "builtin:BasicFeeder", "version": 1, "mapper": obj{"array": "{{1.items}}"}},
				httpCall(3, base, "2", nil),
				obj{"id": 4, "module": "builtin:BasicAggregator", "version": 1, "parameters": obj{"feeder": 2},
					"mapper": obj{"key": "{{3.data.key}}"}},
				compose(5, "{{1.id}}: {{length(4.array)}} item(s)")}
		}}
	handlers := &scenario{Name: "handlers", Instant: true, expect: handlerExpect, settings: obj{}, personRetries: true,
		flow: func(base string) []any {
			route := func(name string, id int, handler obj) obj {
				h := httpCall(id, base, "1", obj{"filter": routeFilter(name), "onerror": []any{handler}})
				return obj{"flow": []any{h, compose(id+2, fmt.Sprintf("{{%d.data.key}}", id))}}
			}
			return []any{webhook(), obj{"id": 2, "module": "builtin:BasicRouter", "version": 1, "routes": []any{
				route("resume", 10, directive(11, "Resume", obj{"data": obj{"key": "substitute"}, "statusCode": 299})),
				route("ignore", 20, directive(21, "Ignore", nil)),
				route("commit", 30, directive(31, "Commit", nil)),
				route("break", 40, directive(41, "Break", obj{"retry": true, "count": 3, "interval": 1})),
			}}}
		}}
	// Not instant (a placeholder trigger): error runs only count towards maxErrors.
	rollback := &scenario{Name: "rollback", expect: failTheRun, settings: obj{"maxErrors": 1000000},
		flow: func(base string) []any {
			return []any{obj{"id": 1, "module": "placeholder:Placeholder", "version": 1},
				obj{"id": 2, "module": "builtin:BasicRouter", "version": 1, "routes": []any{
					obj{"flow": []any{httpCall(10, base, "1", obj{"filter": routeFilter("rollback"),
						"onerror": []any{directive(11, "Rollback", nil)}}), compose(12, "{{10.data.key}}")}},
					obj{"flow": []any{httpCall(20, base, "1", obj{"filter": routeFilter("fail")}), compose(22, "{{20.data.key}}")}},
				}}}
		}}
	seq := &scenario{Name: "seq", Instant: true, Sequential: true, expect: storeEveryFailure, settings: obj{"sequential": true},
		flow: func(base string) []any {
			return []any{webhook(), httpCall(2, base, "1", nil), compose(3, "{{2.data.key}}")}
		}}
	fragile := &scenario{Name: "fragile", Instant: true, expect: failTheRun, settings: obj{},
		flow: func(base string) []any {
			return []any{webhook(), httpCall(2, base, "1", nil), compose(3, "{{2.data.key}}")}
		}}
	pl.scenarios = []*scenario{plain, loop, handlers, rollback, seq, fragile}

	plainKinds := []string{"ok", "503x1", "ok", "429x1", "ok", "503x2", "ok", "422", "ok", "ok",
		"503x3", "ok", "ok", "503x1", "ok", "422", "ok", "429x1", "ok", "ok"}
	hangs := map[int]string{20: "hang1", 45: "hang2", 70: "hang1", 95: "hang2"}
	for i := range 100 {
		k := plainKinds[i%len(plainKinds)]
		if h, ok := hangs[i]; ok {
			k = h
		}
		id := fmt.Sprintf("plain-%03d", i)
		pl.add(plain, id, "", mk(id, k))
	}

	loopKinds := []string{"ok", "ok", "503x1", "ok", "429x1", "ok", "422", "ok", "503x2", "ok", "ok"}
	item := 0
	for i := range 40 {
		id := fmt.Sprintf("loop-%03d", i)
		var calls []call
		for j := range 3 + i%3 {
			calls = append(calls, mk(fmt.Sprintf("%s.%d", id, j+1), loopKinds[item%len(loopKinds)]))
			item++
		}
		pl.add(loop, id, "", calls...)
	}

	routes := []string{"resume", "ignore", "commit", "break"}
	failing := map[string]string{"resume": "500", "ignore": "422", "commit": "503x1000", "break": "503x1"}
	for i := range 60 {
		id := fmt.Sprintf("handlers-%03d", i)
		r := routes[i%len(routes)]
		k := "ok"
		if (i/len(routes))%2 == 0 {
			k = failing[r]
		}
		pl.add(handlers, id, r, mk(id, k))
	}

	for i := range 30 {
		id := fmt.Sprintf("rollback-%03d", i)
		r := []string{"rollback", "fail"}[i%2]
		k := "ok"
		if i%3 != 2 {
			k = map[string]string{"rollback": "422", "fail": "500"}[r]
		}
		pl.add(rollback, id, r, mk(id, k))
	}

	seqKinds := []string{"ok", "ok", "503x1", "ok", "429x1", "ok", "503x2", "ok", "ok", "ok"}
	for i := range 30 {
		id := fmt.Sprintf("seq-%03d", i)
		pl.add(seq, id, "", mk(id, seqKinds[i%len(seqKinds)]))
	}

	for i := range 12 {
		id := fmt.Sprintf("fragile-%03d", i)
		k := "ok"
		if i == fragileFailAt {
			k = "500"
		}
		pl.add(fragile, id, "", mk(id, k))
	}
	return pl
}

// fragileFailAt is the position of the payload that fails a run of the fragile
// scenario: an instant scenario is deactivated by it, and it and every later payload
// stay queued for a person.
const fragileFailAt = 5

// cliPayloads are enqueued with `weft enqueue` while weft works, one every few kills.
func (pl *plan) cliPayloads(n int) []*payload {
	plain := pl.scenario("plain")
	out := make([]*payload, n)
	for i := range n {
		id := fmt.Sprintf("plain-cli-%02d", i)
		out[i] = pl.add(plain, id, "", mk(id, []string{"ok", "503x1"}[i%2]))
	}
	return out
}

// latePayloads hang on their first call; they are enqueued after the last kill.
func (pl *plan) latePayloads() []*payload {
	plain := pl.scenario("plain")
	return []*payload{
		pl.add(plain, "plain-late-0", "", mk("plain-late-0", "hang1")),
		pl.add(plain, "plain-late-1", "", mk("plain-late-1", "hang1")),
	}
}

func (pl *plan) scenario(name string) *scenario {
	for _, s := range pl.scenarios {
		if s.Name == name {
			return s
		}
	}
	return nil
}
