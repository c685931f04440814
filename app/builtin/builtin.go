// Package builtin registers Make's flow-control modules (builtin:*), the webhook
// modules (gateway:*) and the trigger placeholder. Routers, if/else, merge, aggregators
// and directives are performed by the engine from the blueprint's structure; their
// specs here declare their fields and kind. The iterator, repeater and webhook
// response are ordinary modules.
package builtin

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

// Register adds every module of this package to r.
func Register(r *app.Registry) error {
	for _, s := range Specs() {
		if err := r.Register(s); err != nil {
			return err
		}
	}
	return nil
}

// inMemory is the time limit of modules that do no I/O: none (they cannot hang).
const inMemory = -1

// Specs returns the module specs of this package.
func Specs() []app.Spec {
	return []app.Spec{
		{Name: "gateway:CustomWebHook", Label: "Custom webhook", Kind: app.KindTrigger,
			Help: "Starts the scenario with each request received on the webhook URL; the payload's fields become the bundle.",
			Parameters: []app.Field{
				{Name: "hook", Type: app.TypeAny, Help: "Webhook id (Make's; weft assigns its own URL)."},
				{Name: "maxResults", Type: app.TypeAny, Help: "Requests taken per cycle (kept for compatibility)."},
			}},
		{Name: "placeholder:Placeholder", Label: "Trigger placeholder", Kind: app.KindTrigger, NoOperation: true,
			Help: "Make's empty module slot. First: the trigger slot of a scenario that starts with a router; the run starts with the given input bundle. Anywhere else: a module not chosen yet; bundles pass through it unchanged."},
		{Name: "gateway:WebhookRespond", Label: "Webhook response", Timeout: inMemory,
			Help: "Sets the HTTP response returned to the caller of the webhook that started the run.",
			Mapper: []app.Field{
				{Name: "status", Type: app.TypeUInteger, Required: true, Default: 200.0, Min: 100, Max: 599},
				{Name: "body", Type: app.TypeAny},
				{Name: "headers", Type: app.TypeAny, Help: "Array of {key, value}."},
			},
			New: func(app.Config) (app.Module, error) { return app.ModuleFunc(respond), nil }},
		{Name: "builtin:BasicRouter", Label: "Router", Kind: app.KindRouter, NoOperation: true,
			Help:       "Sends each bundle down every route whose filter passes, in order; the fallback route (parameters.else) gets bundles no other route accepted.",
			Parameters: []app.Field{{Name: "else", Type: app.TypeAny, Help: "0-based index of the fallback route."}}},
		{Name: "builtin:BasicIfElse", Label: "If-else", Kind: app.KindIfElse, NoOperation: true,
			Help: "Runs exactly one branch: the first whose conditions pass, else the else branch."},
		{Name: "builtin:BasicMerge", Label: "Merge", Kind: app.KindMerge, NoOperation: true,
			Help: "Rejoins the merging branches of the if-else before it; its outputs take the mapping of the branch that ran."},
		{Name: "builtin:BasicFeeder", Label: "Iterator", Timeout: inMemory,
			Help:    "Emits one bundle per element of an array.",
			Mapper:  []app.Field{{Name: "array", Type: app.TypeAny}},
			Outputs: []app.Field{{Name: "value", Type: app.TypeAny, Help: "the array's element (an object's keys are mapped directly)"}, {Name: "__IMTINDEX__", Type: app.TypeNumber}, {Name: "__IMTLENGTH__", Type: app.TypeNumber}},
			New:     func(app.Config) (app.Module, error) { return app.ModuleFunc(iterate), nil }},
		{Name: "builtin:BasicAggregator", Label: "Array aggregator", Kind: app.KindAggregator, OpenMapper: true,
			Help: "Collects the bundles of its feeder's loop into one bundle {array: [...]}; each item holds the mapped fields.",
			Parameters: []app.Field{
				{Name: "feeder", Type: app.TypeInteger, Required: true, Help: "Id of the module that opens the loop."},
				{Name: "target", Type: app.TypeAny},
			},
			Aggregate: func(_ weft.Bundle, items []weft.Bundle) (weft.Bundle, error) {
				arr := make([]any, len(items))
				for i, it := range items {
					arr[i] = it
				}
				return weft.Bundle{"array": arr}, nil
			}},
		{Name: "builtin:BasicRepeater", Label: "Repeater", Timeout: inMemory,
			Help: "Emits `repeats` bundles {i}, i counting from `start` by `step`.",
			Mapper: []app.Field{
				{Name: "start", Type: app.TypeNumber, Default: 1.0},
				{Name: "repeats", Type: app.TypeUInteger, Required: true, Min: 0, Max: 10000},
				{Name: "step", Type: app.TypeNumber, Default: 1.0},
			},
			New: func(app.Config) (app.Module, error) { return app.ModuleFunc(repeat), nil }},
		directive("builtin:Ignore", "Ignore", "Drops the failing bundle; the run goes on and ends in success.", nil),
		directive("builtin:Resume", "Resume", "Continues the route with the mapper as the failing module's output.", nil),
		directive("builtin:Break", "Break", "Stores the failing bundle as an incomplete execution, retried count times every interval minutes when retry is on.",
			[]app.Field{
				{Name: "retry", Type: app.TypeBoolean, Default: true},
				{Name: "count", Type: app.TypeUInteger, Default: 3.0, Min: 1, Max: BreakMaxCount},
				{Name: "interval", Type: app.TypeUInteger, Default: 15.0, Min: 1, Max: BreakMaxInterval},
			}),
		directive("builtin:Commit", "Commit", "Stops the run and commits every transactional module; status success.", nil),
		directive("builtin:Rollback", "Rollback", "Stops the run and rolls back every transactional module; status error.", nil),
	}
}

func directive(name, label, help string, mapper []app.Field) app.Spec {
	return app.Spec{Name: name, Label: label, Help: help, Kind: app.KindDirective, NoOperation: true,
		Mapper: mapper, OpenMapper: name == "builtin:Resume"}
}

// iterate refuses an array over the run's maxBundles before making a bundle, and
// looks at the run's deadline while it copies elements.
func iterate(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	raw := c.Input["array"]
	if s, ok := raw.(string); ok && s == "" {
		raw = nil
	}
	arr := value.Array(raw)
	if err := limits.FromContext(ctx).Bundles(len(arr), "the iterator"); err != nil {
		return nil, err
	}
	out := make([]weft.Bundle, len(arr))
	n := float64(len(arr))
	for i, e := range arr {
		if i&4095 == 4095 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var b weft.Bundle
		if m, ok := e.(map[string]any); ok {
			b = make(weft.Bundle, len(m)+2)
			for k, v := range m {
				b[k] = v
			}
		} else {
			b = weft.Bundle{"value": e}
		}
		b["__IMTINDEX__"] = float64(i + 1)
		b["__IMTLENGTH__"] = n
		out[i] = b
	}
	return out, nil
}

func repeat(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	start, _ := c.Input["start"].(float64)
	step, _ := c.Input["step"].(float64)
	n, _ := c.Input["repeats"].(float64)
	if err := limits.FromContext(ctx).Bundles(int(n), "the repeater"); err != nil {
		return nil, err
	}
	out := make([]weft.Bundle, int(n))
	for i := range out {
		out[i] = weft.Bundle{"i": start + float64(i)*step}
	}
	return out, nil
}

func respond(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
	status, _ := c.Input["status"].(float64)
	r := app.Response{Status: int(status), Headers: map[string]string{}}
	switch b := c.Input["body"].(type) {
	case nil:
	case map[string]any, []any:
		r.Body = string(value.JSON(b))
	default:
		r.Body = value.Text(b)
	}
	headers, err := responseHeaders(c.Input["headers"])
	if err != nil {
		return nil, err
	}
	r.Headers = headers
	c.Exec.Respond(r)
	return []weft.Bundle{{}}, nil
}

// responseHeaders reads Make's [{key, value}] list (an empty text means none).
func responseHeaders(v any) (map[string]string, error) {
	out := map[string]string{}
	if v == nil || v == "" {
		return out, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, weft.Errorf(weft.DataError, "headers must be an array of {key, value}, got %s", value.Kind(v))
	}
	if len(arr) > 16 {
		return nil, weft.Errorf(weft.DataError, "at most 16 response headers, got %d", len(arr))
	}
	for i, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, weft.Errorf(weft.DataError, "headers/%d must be {key, value}", i)
		}
		k := strings.TrimSpace(value.Text(m["key"]))
		if k == "" {
			k = strings.TrimSpace(value.Text(m["name"]))
		}
		if k == "" || len(k) > 256 || strings.ContainsAny(k, " :\r\n") {
			return nil, weft.Errorf(weft.DataError, "headers/%d/key %s is not a valid header name", i, strconv.Quote(k))
		}
		val := value.Text(m["value"])
		if len(val) > 4096 || strings.ContainsAny(val, "\r\n") {
			return nil, weft.Errorf(weft.DataError, "headers/%d/value is not a valid header value", i)
		}
		out[k] = val
	}
	return out, nil
}

// BreakSettings are the evaluated fields of builtin:Break.
type BreakSettings struct {
	Retry    bool
	Count    int
	Interval time.Duration
}

// Break's bounds (SPEC §4.2): attempts and minutes between them.
const (
	BreakMaxCount    = 10000
	BreakMaxInterval = 44640
)

// ClampBreak reads Break's mapper leniently, for when it failed its declared fields: a
// bundle must never be lost because the directive that keeps it is misconfigured, so
// each bad setting is replaced by the nearest valid one (an unreadable one by its
// default) and described in the returned warnings.
func ClampBreak(raw weft.Bundle) (BreakSettings, []string) {
	s := BreakSettings{Retry: true, Count: 3, Interval: 15 * time.Minute}
	var warns []string
	if v, ok := raw["retry"]; ok && v != nil && v != "" {
		s.Retry = value.Bool(v)
	}
	clamp := func(name string, def, hi int) int {
		v, ok := raw[name]
		if !ok || v == nil || v == "" {
			return def
		}
		n, ok := value.Number(v)
		if !ok {
			warns = append(warns, fmt.Sprintf("%s %q is not a number: using %d", name, value.Text(v), def))
			return def
		}
		switch {
		case n < 1:
			warns = append(warns, fmt.Sprintf("%s %s is below 1: using 1", name, value.FormatNumber(n)))
			return 1
		case n > float64(hi):
			warns = append(warns, fmt.Sprintf("%s %s is above %d: using %d", name, value.FormatNumber(n), hi, hi))
			return hi
		}
		return int(n)
	}
	s.Count = clamp("count", 3, BreakMaxCount)
	s.Interval = time.Duration(clamp("interval", 15, BreakMaxInterval)) * time.Minute
	return s, warns
}

// ReadBreak reads Break's prepared mapper.
func ReadBreak(in weft.Bundle) BreakSettings {
	s := BreakSettings{Retry: true, Count: 3, Interval: 15 * time.Minute}
	if v, ok := in["retry"].(bool); ok {
		s.Retry = v
	}
	if v, ok := in["count"].(float64); ok && v >= 1 {
		s.Count = int(v)
	}
	if v, ok := in["interval"].(float64); ok && v >= 1 {
		s.Interval = time.Duration(v) * time.Minute
	}
	return s
}
