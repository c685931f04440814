package tools

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

func TestSleep(t *testing.T) {
	s := spec(t, "util:FunctionSleep")
	if s.Timeout <= 300*time.Second {
		t.Errorf("Timeout = %v; must exceed the 300 s a Sleep may last", s.Timeout)
	}
	tests := []struct {
		duration any
		want     time.Duration
	}{
		{"10", 10 * time.Second}, // 017
		{1.0, time.Second},
		{"300", 300 * time.Second},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			got, err := apptest.Run(context.Background(), s, nil, weft.Bundle{"duration": tt.duration}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, []weft.Bundle{{}}) {
				t.Errorf("output %v; want one empty bundle", got)
			}
			if slept := time.Since(start); slept != tt.want {
				t.Errorf("duration %v slept %v; want %v", tt.duration, slept, tt.want)
			}
		})
	}
}

func TestSleepHonoursContext(t *testing.T) {
	s := spec(t, "util:FunctionSleep")
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := time.Now()
		_, err := apptest.Run(ctx, s, nil, weft.Bundle{"duration": 300.0}, nil)
		if !errors.Is(err, context.DeadlineExceeded) || weft.TypeOf(err) != weft.ModuleTimeoutError {
			t.Errorf("error = %v (%s); want a ModuleTimeoutError wrapping the deadline", err, weft.TypeOf(err))
		}
		if slept := time.Since(start); slept != 3*time.Second {
			t.Errorf("stopped after %v; want 3s", slept)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := apptest.Run(ctx, s, nil, weft.Bundle{"duration": 5.0}, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v; want context.Canceled", err)
		}
	})
}

// sleeper is an execution whose waiting is injected (as the engine's run is).
type sleeper struct {
	*apptest.Exec
	slept []time.Duration
	err   error
}

func (s *sleeper) Sleep(_ context.Context, d time.Duration) error {
	s.slept = append(s.slept, d)
	return s.err
}

// An execution that is a Sleeper does the waiting: no real time passes, the duration
// is the mapped one, and its error (a cancelled run) is the module's.
func TestSleepThroughTheExecution(t *testing.T) {
	s := spec(t, "util:FunctionSleep")
	exec := &sleeper{Exec: apptest.NewExec()}
	got, err := apptest.Run(context.Background(), s, nil, weft.Bundle{"duration": "10"}, exec)
	if err != nil || !reflect.DeepEqual(got, []weft.Bundle{{}}) || !reflect.DeepEqual(exec.slept, []time.Duration{10 * time.Second}) {
		t.Fatalf("output %v, error %v, slept %v; want one empty bundle after 10s", got, err, exec.slept)
	}
	exec.err = context.Canceled
	_, err = apptest.Run(context.Background(), s, nil, weft.Bundle{"duration": "5"}, exec)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v; want context.Canceled", err)
	}
}

func TestSleepValidation(t *testing.T) {
	s := spec(t, "util:FunctionSleep")
	for _, tt := range []struct {
		duration any
		want     string
	}{
		{"0", "duration: 0 is outside 1…300"},
		{"301", "duration: 301 is outside 1…300"},
		{"1.5", "duration: 1.5 is not a whole number"},
		{"soon", `duration: text "soon" is not a number`},
		{"", "duration: missing value of required field"},
	} {
		_, err := apptest.Run(context.Background(), s, nil, weft.Bundle{"duration": tt.duration}, nil)
		wantError(t, err, weft.DataError, tt.want)
	}
}

func TestIncrement(t *testing.T) {
	s := spec(t, "util:FunctionIncrement")
	for _, tt := range []struct {
		reset string
		scope app.Scope
	}{{"run", app.ScopeRoundtrip}, {"execution", app.ScopeExecution}} {
		exec := newScopedExec()
		m, err := s.New(app.Config{ModuleID: 6, Parameters: weft.Bundle{"reset": tt.reset}})
		if err != nil {
			t.Fatal(err)
		}
		other, _ := s.New(app.Config{ModuleID: 9, Parameters: weft.Bundle{"reset": tt.reset}})
		var got []any
		for _, mod := range []app.Module{m, m, other, m} {
			out, err := mod.Run(context.Background(), &app.Call{Input: weft.Bundle{}, Exec: exec})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, out[0]["i"])
		}
		// Each Increment module counts on its own: 1, 2, (other: 1), 3.
		if want := []any{1.0, 2.0, 1.0, 3.0}; !reflect.DeepEqual(got, want) {
			t.Errorf("reset=%s: i = %v; want %v", tt.reset, got, want)
		}
		if sc := exec.scopes[counterVariable(6)]; sc != tt.scope {
			t.Errorf("reset=%s: counter scope %q; want %q", tt.reset, sc, tt.scope)
		}
	}

	// A new execution starts again at 1.
	out, err := apptest.Run(context.Background(), s, weft.Bundle{"reset": "execution"}, nil, apptest.NewExec())
	if err != nil || out[0]["i"] != 1.0 {
		t.Errorf("fresh execution: %v, %v; want i=1", out, err)
	}

	_, err = apptest.Run(context.Background(), s, weft.Bundle{"reset": "scenario"}, nil, nil)
	// Without a counter store (Register): refused, naming why (counters_test.go has it working).
	wantError(t, err, weft.InvalidConfigurationError, `reset: "scenario" (never reset) is not yet supported here: its counter lives in weft's store`)
	_, err = s.New(app.Config{Parameters: weft.Bundle{"reset": "daily"}})
	wantError(t, err, weft.InvalidConfigurationError, `reset: "daily" is not one of run, execution, scenario`)
	_, err = apptest.Run(context.Background(), s, weft.Bundle{}, nil, nil)
	wantError(t, err, weft.InvalidConfigurationError, "reset: missing value of required field")
}
