package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/value"
)

// recorder collects what test:Record modules saw, in order.
type recorder struct {
	mu   sync.Mutex
	seen []string
	ins  []weft.Bundle
}

func (r *recorder) add(tag string, in weft.Bundle) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, tag)
	r.ins = append(r.ins, in)
}

func (r *recorder) tags() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// fixture is an engine with every shipped app plus test modules:
//
//	test:Record  mapper {tag}: records tag, outputs {tag} (and every mapper field)
//	test:Fail    mapper {type, message, fail}: fails with that error type when fail is true
//	test:Emit    mapper {count}: emits count bundles {n}
//	test:Panic   panics
//	test:Slow    waits for ctx (to test timeouts)
type fixture struct {
	t   *testing.T
	rec *recorder
	eng *engine.Engine
	now time.Time
}

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, nil) }

// newFixtureWith is newFixture with the engine's options adjusted by opts (limits).
func newFixtureWith(t *testing.T, opts func(*engine.Options)) *fixture {
	t.Helper()
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	reg.MustRegister(
		app.Spec{Name: "test:Record", Timeout: -1, OpenMapper: true,
			Mapper: []app.Field{{Name: "tag", Type: app.TypeText}},
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
					rec.add(value.Text(c.Input["tag"]), c.Input)
					out := weft.Bundle{}
					for k, v := range c.Input {
						out[k] = v
					}
					return []weft.Bundle{out}, nil
				}), nil
			}},
		app.Spec{Name: "test:Fail", Timeout: -1,
			Mapper: []app.Field{{Name: "type", Type: app.TypeText}, {Name: "message", Type: app.TypeText},
				{Name: "fail", Type: app.TypeBoolean, Default: true}},
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
					if c.Input["fail"] == false {
						return []weft.Bundle{{"ok": true}}, nil
					}
					msg := value.Text(c.Input["message"])
					if msg == "" {
						msg = "failed on purpose"
					}
					return nil, &weft.Error{Type: weft.ErrorType(value.Text(c.Input["type"])), Message: msg}
				}), nil
			}},
		app.Spec{Name: "test:Emit", Timeout: -1,
			Mapper: []app.Field{{Name: "count", Type: app.TypeUInteger}},
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
					n := int(c.Input["count"].(float64))
					out := make([]weft.Bundle, n)
					for i := range out {
						out[i] = weft.Bundle{"n": float64(i + 1)}
					}
					return out, nil
				}), nil
			}},
		app.Spec{Name: "test:Key", Timeout: -1,
			Mapper: []app.Field{{Name: "fail", Type: app.TypeBoolean}},
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
					rec.add("key:"+c.Exec.IdempotencyKey(), nil)
					if c.Input["fail"] == true {
						return nil, weft.Errorf(weft.ConnectionError, "refused")
					}
					return []weft.Bundle{{}}, nil
				}), nil
			}},
		app.Spec{Name: "test:Watch", Kind: app.KindTrigger, Poll: true, Timeout: -1,
			New: func(cfg app.Config) (app.Module, error) { return watch{items: cfg.Parameters}, nil }},
		app.Spec{Name: "test:Panic", Timeout: -1,
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(context.Context, *app.Call) ([]weft.Bundle, error) { panic("boom") }), nil
			}},
		app.Spec{Name: "test:Slow", Timeout: 20 * time.Millisecond,
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(ctx context.Context, _ *app.Call) ([]weft.Bundle, error) {
					<-ctx.Done()
					return nil, ctx.Err()
				}), nil
			}},
	)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	ids := 0
	o := engine.Options{Registry: reg, Clock: func() time.Time { return now },
		NewID: func() string { ids++; return fmt.Sprintf("exec-%d", ids) }}
	if opts != nil {
		opts(&o)
	}
	eng, err := engine.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, rec: rec, eng: eng, now: now}
}

// keys returns the idempotency keys test:Key modules saw, in order.
func (f *fixture) keys() []string {
	var out []string
	for _, tag := range f.rec.tags() {
		if k, ok := strings.CutPrefix(tag, "key:"); ok {
			out = append(out, k)
		}
	}
	return out
}

// plan compiles a blueprint given as its flow (JSON array) and settings (JSON object).
func (f *fixture) plan(flow string, settings string) *engine.Plan {
	f.t.Helper()
	if settings == "" {
		settings = "{}"
	}
	doc := fmt.Sprintf(`{"name":"test","flow":%s,"metadata":{"version":1,"scenario":%s}}`, flow, settings)
	bp, err := blueprint.Parse([]byte(doc))
	if err != nil {
		f.t.Fatalf("parse: %v", err)
	}
	p, err := f.eng.Compile(bp)
	if err != nil {
		f.t.Fatalf("compile: %v", err)
	}
	return p
}

func (f *fixture) run(p *engine.Plan, trigger ...weft.Bundle) *engine.Result {
	f.t.Helper()
	if len(trigger) == 0 {
		trigger = []weft.Bundle{{}}
	}
	res, err := f.eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{trigger}})
	if err != nil {
		f.t.Fatalf("run: %v", err)
	}
	return res
}

func bundle(js string) weft.Bundle {
	v, err := value.DecodeJSON([]byte(js))
	if err != nil {
		panic(err)
	}
	return v.(map[string]any)
}

func jsonOf(v any) string { return string(value.JSON(v)) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

const hook = `{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{},"mapper":{}}`

func rec(id int, tag string, extra ...string) string {
	m := fmt.Sprintf(`{"id":%d,"module":"test:Record","version":1,"mapper":{"tag":%q}`, id, tag)
	for _, e := range extra {
		m += "," + e
	}
	return m + "}"
}

func fail(id int, typ string, extra ...string) string {
	m := fmt.Sprintf(`{"id":%d,"module":"test:Fail","version":1,"mapper":{"type":%q}`, id, typ)
	for _, e := range extra {
		m += "," + e
	}
	return m + "}"
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func engineInput(cycles ...weft.Bundle) engine.Input {
	in := engine.Input{}
	for _, c := range cycles {
		in.Trigger = append(in.Trigger, []weft.Bundle{c})
	}
	return in
}

// watch is a polling trigger over parameters.items (texts), at most parameters.limit
// per poll; its position is how many items were consumed.
type watch struct{ items weft.Bundle }

func (w watch) Run(context.Context, *app.Call) ([]weft.Bundle, error) { return nil, nil }

func (w watch) Start(_ context.Context, _ *app.Call, from app.StartFrom) (json.RawMessage, error) {
	return json.RawMessage("0"), nil
}

func (w watch) Poll(_ context.Context, c *app.Call, pos json.RawMessage) ([]app.PollItem, error) {
	if fail, _ := c.Params["fail"].(string); fail != "" {
		return nil, weft.Errorf(weft.ConnectionError, "%s", fail)
	}
	n := 0
	if len(pos) > 0 {
		json.Unmarshal(pos, &n)
	}
	items, _ := c.Params["items"].([]any)
	limit := len(items)
	if l, ok := c.Params["limit"].(float64); ok {
		limit = int(l)
	}
	var out []app.PollItem
	for i := n; i < len(items) && len(out) < limit; i++ {
		out = append(out, app.PollItem{Bundle: weft.Bundle{"item": items[i]}, Key: value.Text(items[i]),
			Position: json.RawMessage(fmt.Sprint(i + 1))})
	}
	return out, nil
}
