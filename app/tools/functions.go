package tools

import (
	"context"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/jsregex"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

var composeSpec = app.Spec{
	Name: "util:ComposeTransformer", Label: "Compose a string",
	Timeout: noDeadline,
	Help:    "Turns whatever is mapped into text; outputs it as `value`.",
	Mapper:  []app.Field{{Name: "value", Label: "Text", Type: app.TypeText}},
	New: newStatic(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
		return one(weft.Bundle{"value": value.Text(c.Input["value"])}), nil
	}),
}

var switcherSpec = app.Spec{
	Name: "util:Switcher", Label: "Switch",
	Help: "Returns the output of the first case whose pattern matches the input (equal text, " +
		"or a JavaScript regular expression found in the input), else the else output.",
	Mapper: []app.Field{
		{Name: "input", Label: "Input", Type: app.TypeText},
		{Name: "useRegExpMatch", Label: "Use regular expressions to match", Type: app.TypeBoolean, Default: false},
		{Name: "casesTable", Label: "Cases", Type: app.TypeArray, Spec: []app.Field{
			{Name: "pattern", Label: "Pattern", Type: app.TypeText},
			{Name: "output", Label: "Output", Type: app.TypeAny},
		}},
		{Name: "elseOutput", Label: "Else", Type: app.TypeAny},
	},
	New: func(app.Config) (app.Module, error) {
		return &switcher{cache: jsregex.NewCache(maxCachedPatterns)}, nil
	},
}

// switcher keeps the case patterns it compiled: they are usually literal text in the
// blueprint, so the same few patterns come back for every bundle.
type switcher struct{ cache *jsregex.Cache }

// maxCachedPatterns bounds the cache when patterns are mapped from data.
const maxCachedPatterns = 256

func (s *switcher) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	input := value.Text(c.Input["input"])
	useRegexp := value.Bool(c.Input["useRegExpMatch"])
	for i, e := range value.Array(c.Input["casesTable"]) {
		cs, _ := e.(map[string]any) // PrepareInput guarantees collections
		pattern := value.Text(cs["pattern"])
		matched := pattern == input
		if useRegexp {
			re, err := s.cache.Compile(pattern, "")
			if err != nil {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "casesTable/%d/pattern: %w", i, err)
			}
			if matched, err = re.MatchStringIn(limits.FromContext(ctx), input); err != nil {
				return nil, weft.Errorf(weft.DataError, "casesTable/%d/pattern: %w", i, err)
			}
		}
		if matched {
			return one(weft.Bundle{"output": cs["output"]}), nil
		}
	}
	// No case matched: the else output, or an empty output (the bundle still goes on,
	// as from any transformer whose result is empty).
	return one(weft.Bundle{"output": c.Input["elseOutput"]}), nil
}

// maxSleep is Make's limit for one Sleep module.
const maxSleep = 300

var sleepSpec = app.Spec{
	Name: "util:FunctionSleep", Label: "Sleep",
	Help: "Pauses the flow for 1 to 300 seconds; emits one empty bundle.",
	Mapper: []app.Field{{Name: "duration", Label: "Delay (seconds)", Type: app.TypeUInteger,
		Required: true, Min: 1, Max: maxSleep}},
	// The module's own limit is 300 s; the engine's default 40 s would cut it short.
	Timeout: (maxSleep + 30) * time.Second,
	New: newStatic(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
		secs, _ := value.Number(c.Input["duration"])
		d := time.Duration(secs * float64(time.Second))
		sleep := sleepTimer
		if s, ok := c.Exec.(Sleeper); ok {
			sleep = s.Sleep
		}
		if err := sleep(ctx, d); err != nil {
			return nil, fmt.Errorf("sleep of %s s interrupted: %w", value.FormatNumber(secs), err)
		}
		return one(weft.Bundle{}), nil
	}),
}

// Sleeper is an app.Execution whose waiting is injected with its clock (the engine's
// run: engine.Options.Sleep). The Sleep module waits through it, so a test running a
// blueprint on a fake clock (017 sleeps 10 s, then 5 s per lead) keeps the durations
// the blueprint asks for without waiting them. An optional interface keeps
// app.Execution, and every fake of it, unchanged; without it the module waits in real
// time.
type Sleeper interface {
	// Sleep waits d, or until ctx ends (returning its error).
	Sleep(ctx context.Context, d time.Duration) error
}

// sleepTimer waits d in real time, or until ctx ends.
func sleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Reset choices of the Increment function, as Make stores them.
const (
	resetRun       = "run"       // "After one cycle"
	resetExecution = "execution" // "After one scenario run"
	resetScenario  = "scenario"  // "Never"
)

// incrementSpec declares the Increment function; o.Counters backs reset "scenario".
func incrementSpec(o Options) app.Spec {
	return app.Spec{
		Name: "util:FunctionIncrement", Label: "Increment function",
		Timeout: noDeadline,
		Help:    "Outputs `i`: 1 on the first use, then one more on each use, until the counter resets.",
		Parameters: []app.Field{{Name: "reset", Label: "Reset a value", Type: app.TypeSelect, Required: true,
			Options: []string{resetRun, resetExecution, resetScenario}}},
		New: func(cfg app.Config) (app.Module, error) {
			var scope app.Scope
			switch r := value.Text(cfg.Parameters["reset"]); r {
			case resetRun:
				scope = app.ScopeRoundtrip
			case resetExecution:
				scope = app.ScopeExecution
			case resetScenario:
				// "Never": a counter kept across runs, in weft's store (counters.go).
				return newScenarioCounter(o, cfg.ModuleID)
			default:
				return nil, weft.Errorf(weft.InvalidConfigurationError, "reset: %q is not one of run, execution, scenario", r)
			}
			key := counterVariable(cfg.ModuleID)
			return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
				prev, _ := c.Exec.Variable(key)
				n, _ := value.Number(prev) // absent: 0
				n++
				c.Exec.SetVariable(key, scope, n)
				return one(weft.Bundle{"i": n}), nil
			}), nil
		},
	}
}
