package apptest

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// typed fails with the error type its mapper names; "untyped" returns a plain error,
// "ok" succeeds, "wait" blocks until ctx ends. Its parameter "must" is required.
var typed = app.Spec{Name: "t:Typed",
	Parameters: []app.Field{{Name: "must", Type: app.TypeText}},
	Mapper:     []app.Field{{Name: "type", Type: app.TypeText, Required: true}},
	New: func(cfg app.Config) (app.Module, error) {
		if cfg.Parameters["must"] == "unbuildable" {
			return nil, weft.Errorf(weft.InvalidConfigurationError, "parameters.must: cannot build")
		}
		return app.ModuleFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
			switch typ := c.Input["type"].(string); typ {
			case "ok":
				return []weft.Bundle{{"ok": true}}, nil
			case "untyped":
				return nil, errors.New("plain failure")
			case "wait":
				<-ctx.Done()
				return nil, ctx.Err()
			case "diverge":
				// Module 1 in a direct call, module 2 in the engine: behaves differently.
				if c.ModuleID == 1 {
					return nil, weft.Errorf(weft.ConnectionError, "direct")
				}
				return nil, weft.Errorf(weft.RuntimeError, "in the engine")
			default:
				return nil, weft.Errorf(weft.ErrorType(typ), "failed with %s", typ)
			}
		}), nil
	}}

func TestConsequenceOf(t *testing.T) {
	want := map[weft.ErrorType]Consequence{
		weft.ConnectionError: Retried, weft.RateLimitError: Retried, weft.OutOfSpaceError: Retried,
		weft.ModuleTimeoutError: Retried,
		weft.DataError:          KeptForPerson, weft.InvalidConfigurationError: KeptForPerson,
		weft.InvalidAccessTokenError: KeptForPerson, weft.UnexpectedError: KeptForPerson,
		weft.MaxFileSizeExceededError: KeptForPerson, weft.MaxResultsExceededError: KeptForPerson,
		weft.RuntimeError: RunFails, weft.DuplicateDataError: RunFails, weft.IncompleteDataError: RunFails,
		weft.BundleValidationError: RunFails, weft.InconsistencyError: RunFails,
	}
	if len(want) != len(weft.ErrorTypes) {
		t.Fatalf("table has %d types; weft has %d", len(want), len(weft.ErrorTypes))
	}
	for _, typ := range weft.ErrorTypes {
		if got := ConsequenceOf(typ); got != want[typ] {
			t.Errorf("ConsequenceOf(%s) = %s; want %s", typ, got, want[typ])
		}
	}
}

// Every error type passes both halves when the module reports it: the engine half
// finds the consequence SPEC §3.2 gives each type.
func TestCheckErrorsEveryType(t *testing.T) {
	var cases []ErrorCase
	for _, typ := range weft.ErrorTypes {
		cases = append(cases, ErrorCase{Name: string(typ), Mapper: weft.Bundle{"type": string(typ)},
			Want: typ, WantMessage: "failed with " + string(typ)})
	}
	cases = append(cases,
		ErrorCase{Name: "untyped is a RuntimeError", Mapper: weft.Bundle{"type": "untyped"},
			Want: weft.RuntimeError, WantMessage: "plain failure"},
		ErrorCase{Name: "deadline", Mapper: weft.Bundle{"type": "wait"}, Timeout: 20 * time.Millisecond,
			Want: weft.ModuleTimeoutError},
		ErrorCase{Name: "missing mapper field", Mapper: weft.Bundle{}, Want: weft.DataError,
			WantMessage: "type: missing value of required field"},
		ErrorCase{Name: "cannot be built", Params: weft.Bundle{"must": "unbuildable"}, Mapper: weft.Bundle{"type": "ok"},
			Want: weft.InvalidConfigurationError, WantMessage: "cannot build"},
	)
	CheckErrors(t, &typed, cases)
}

func TestCheckModuleReportsMismatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    ErrorCase
		want string
	}{
		{"success", ErrorCase{Mapper: weft.Bundle{"type": "ok"}, Want: weft.DataError},
			"t:Typed succeeded with 1 bundle(s); want DataError"},
		{"wrong type", ErrorCase{Mapper: weft.Bundle{"type": "DataError"}, Want: weft.ConnectionError},
			"t:Typed failed with DataError (DataError: failed with DataError); want ConnectionError"},
		{"wrong message", ErrorCase{Mapper: weft.Bundle{"type": "DataError"}, Want: weft.DataError, WantMessage: "city"},
			`message "failed with DataError" does not contain "city"`},
		{"untyped", ErrorCase{Mapper: weft.Bundle{"type": "untyped"}, Want: weft.UnexpectedError},
			"t:Typed failed with RuntimeError (plain failure); want UnexpectedError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkModule(t, &typed, tc.c)
			if err == nil || err.Error() != tc.want {
				t.Errorf("checkModule = %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestCheckEngineReportsMismatches(t *testing.T) {
	// The direct call says ConnectionError; inside the engine the module fails
	// differently: only the engine half can see it.
	c := ErrorCase{Mapper: weft.Bundle{"type": "diverge"}, Want: weft.ConnectionError}
	if built, err := checkModule(t, &typed, c); err != nil || !built {
		t.Fatalf("checkModule = %v, %v; want built, no problem", built, err)
	}
	err := checkEngine(t, &typed, c, true)
	want := "engine logged RuntimeError (in the engine) for module 2; want ConnectionError"
	if err == nil || err.Error() != want {
		t.Errorf("checkEngine = %v\nwant %s", err, want)
	}

	// A case the direct call found unbuildable but the engine compiles.
	err = checkEngine(t, &typed, ErrorCase{Mapper: weft.Bundle{"type": "DataError"}, Want: weft.DataError}, false)
	if err == nil || !strings.HasPrefix(err.Error(), "the module cannot be built, so the engine must refuse the blueprint") {
		t.Errorf("checkEngine = %v; want a refusal expected", err)
	}
}

// Setup runs once per half on copies: the table's maps never change.
func TestCheckErrorsSetupGetsCopies(t *testing.T) {
	params := weft.Bundle{"must": "x"}
	mapper := weft.Bundle{"type": "placeholder"}
	conns := map[string]weft.Bundle{"a": {"k": "v"}}
	calls := 0
	CheckErrors(t, &typed, []ErrorCase{{Name: "setup", Params: params, Mapper: mapper, Connections: conns,
		Want: weft.RateLimitError,
		Setup: func(t testing.TB, c *ErrorCase) {
			calls++
			c.Mapper["type"] = "RateLimitError"
			c.Params["must"] = "y"
			c.Connections["b"] = weft.Bundle{}
		}}})
	if calls != 2 {
		t.Errorf("Setup ran %d times; want 2 (module, engine)", calls)
	}
	if !maps.Equal(params, weft.Bundle{"must": "x"}) || !maps.Equal(mapper, weft.Bundle{"type": "placeholder"}) || len(conns) != 1 {
		t.Errorf("the case's maps changed: %v %v %v", params, mapper, conns)
	}
}

// RunEngine's mapping keeps every value's type, even those blueprint JSON cannot hold.
func TestRunEngineKeepsTypes(t *testing.T) {
	var got weft.Bundle
	echo := app.Spec{Name: "t:Echo", OpenMapper: true,
		New: func(app.Config) (app.Module, error) {
			return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
				got = maps.Clone(c.Input)
				got["param"] = c.Params["id"]
				return nil, nil
			}), nil
		}}
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	in := weft.Bundle{"data": []byte{0, 1, 2}, "at": at, "n": 1.5, "list": []any{"a", 1.0},
		"nested": map[string]any{"k": "{{not.a.template}}"}, "odd key.with dots": "v", "nothing": nil}
	res, err := RunEngine(context.Background(), &echo, weft.Bundle{"id": int64(9007199254740993)}, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s: %+v", res.Status, res.Error)
	}
	want := maps.Clone(in)
	want["param"] = int64(9007199254740993)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("module saw\n  %#v\nwant\n  %#v", got, want)
	}
	if _, err := ModuleFlow("t:Echo", nil, weft.Bundle{"a`b": 1.0}); err == nil ||
		!strings.Contains(err.Error(), "mapper key \"a`b\" holds a backtick") {
		t.Errorf("ModuleFlow with a backtick key: %v", err)
	}
}
