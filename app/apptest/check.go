package apptest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/engine"
)

// Consequence is what weft does with a module's unhandled error (SPEC §3.2, with the
// scenario's default dlq on): the user-visible meaning of an app's error table.
type Consequence int

// The consequences of an unhandled error.
const (
	// Retried: an incomplete execution is stored and retried automatically
	// (ConnectionError, RateLimitError, OutOfSpaceError, ModuleTimeoutError).
	Retried Consequence = iota + 1
	// KeptForPerson: an incomplete execution is stored without automatic retry; a
	// person fixes the data or the configuration and resumes it (DataError,
	// InvalidConfigurationError, InvalidAccessTokenError, UnexpectedError,
	// MaxFileSizeExceededError, MaxResultsExceededError).
	KeptForPerson
	// RunFails: the run stops, rolls back and ends in error; no incomplete execution
	// (RuntimeError and every other type).
	RunFails
	// RefusedAtCompile: the module cannot be built from its parameters, so the engine
	// refuses the blueprint before any run (the API answers 409 with the reason).
	RefusedAtCompile
)

func (c Consequence) String() string {
	switch c {
	case Retried:
		return "incomplete execution, retried automatically"
	case KeptForPerson:
		return "incomplete execution, kept for a person"
	case RunFails:
		return "the run fails (rollback, no incomplete execution)"
	case RefusedAtCompile:
		return "the blueprint is refused at compile"
	}
	return "unknown consequence"
}

// ConsequenceOf is what SPEC §3.2 does with an unhandled error of type t on a module
// after the trigger, dlq on.
func ConsequenceOf(t weft.ErrorType) Consequence {
	switch {
	case t.Retryable():
		return Retried
	case t.NeedsPerson():
		return KeptForPerson
	}
	return RunFails
}

// ErrorCase is one row of an app's error table: a way to make the module fail and the
// error type it must report.
type ErrorCase struct {
	// Name names the subtest ("503 is retried").
	Name string
	// Params are the module's static parameters (blueprint "parameters").
	Params weft.Bundle
	// Mapper is the module's evaluated input. In the engine run it is the webhook's
	// payload and each key is mapped as {{1.`key`}}, so values keep their type.
	Mapper weft.Bundle
	// Connections are the stored connections, by the reference the parameters use
	// ("1" for "__IMTCONN__": 1).
	Connections map[string]weft.Bundle
	// Setup, when set, prepares the failure before each of the two runs (the direct
	// call and the engine run): it starts a failing server on 127.0.0.1, fills a disk,
	// and fills in c.Params, c.Mapper or c.Connections (the server's address). c is a
	// copy whose maps are copies: changes stay within this run. Register clean-up with
	// t.Cleanup; t is the run's subtest.
	Setup func(t testing.TB, c *ErrorCase)
	// Timeout, when positive, replaces the spec's time limit in both runs (a
	// ModuleTimeoutError case against a server that never answers).
	Timeout time.Duration
	// Want is the error type the module must report.
	Want weft.ErrorType
	// WantMessage, when set, must appear in the error's message in both runs.
	WantMessage string
	// Check, when set, makes further assertions on the error of the direct call
	// (Details, RetryAfter).
	Check func(t testing.TB, err *weft.Error)
}

// CheckErrors checks an app's error table end to end. Each case runs twice, in
// subtests "<name>/module" and "<name>/engine":
//
//   - module: the module is built and called directly (Run); it must fail with a
//     *weft.Error of type Want (an untyped error counts as a RuntimeError, as in the
//     engine);
//   - engine: the module runs through the real engine as module 2 after a webhook
//     (RunEngine); the run must log that error type for module 2 and end as SPEC
//     §3.2 says for it (Consequence): an incomplete execution with automatic retry,
//     one kept for a person, or a failed run. A failure while building the module
//     (a parameter that fails its field, New's error) must instead make the engine
//     refuse the blueprint.
//
// spec is the module type under test; it must be an action (a failing trigger stores
// nothing: SPEC §3.2 rule 1).
func CheckErrors(t *testing.T, spec *app.Spec, cases []ErrorCase) {
	t.Helper()
	if spec == nil {
		t.Fatal("apptest.CheckErrors: spec is nil")
	}
	if spec.Kind != app.KindAction || spec.New == nil {
		t.Fatalf("apptest.CheckErrors: %s is a %s; only actions (with New) can be checked", spec.Name, spec.Kind)
	}
	for i, c := range cases {
		if c.Name == "" {
			t.Fatalf("apptest.CheckErrors: case %d has no Name", i)
		}
		if !c.Want.Valid() {
			t.Fatalf("apptest.CheckErrors: case %q: Want %q is not an error type", c.Name, c.Want)
		}
		t.Run(c.Name, func(t *testing.T) {
			s := *spec
			if c.Timeout > 0 {
				s.Timeout = c.Timeout
			}
			// The engine half runs only when the module half passed: a module that
			// returns the wrong type would only repeat it through the engine.
			built := false
			if t.Run("module", func(t *testing.T) {
				var err error
				if built, err = checkModule(t, &s, c); err != nil {
					t.Fatal(err)
				}
			}) {
				t.Run("engine", func(t *testing.T) {
					if err := checkEngine(t, &s, c, built); err != nil {
						t.Fatal(err)
					}
				})
			}
		})
	}
}

// prepared copies c (and its maps) and runs its Setup.
func prepared(t testing.TB, c ErrorCase) ErrorCase {
	t.Helper()
	c.Params, c.Mapper = maps.Clone(c.Params), maps.Clone(c.Mapper)
	c.Connections = maps.Clone(c.Connections)
	if c.Params == nil {
		c.Params = weft.Bundle{}
	}
	if c.Mapper == nil {
		c.Mapper = weft.Bundle{}
	}
	if c.Setup != nil {
		c.Setup(t, &c)
	}
	return c
}

func execFor(c ErrorCase) *Exec {
	e := NewExec()
	maps.Copy(e.Connections, c.Connections)
	return e
}

// checkModule calls the module directly and returns what is wrong, if anything. built
// reports whether the module was built (the failure came from running it, not from its
// parameters). The checks return errors rather than fail t so that their own tests can
// see what they report.
func checkModule(t testing.TB, s *app.Spec, c ErrorCase) (built bool, problem error) {
	c = prepared(t, c)
	ctx := context.Background()
	if s.Timeout > 0 {
		// The engine's deadline, so a module that waits on ctx ends as it would there.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	out, built, err := runStaged(ctx, s, c.Params, c.Mapper, execFor(c))
	if err == nil {
		return built, fmt.Errorf("%s succeeded with %d bundle(s); want %s", s.Name, len(out), c.Want)
	}
	we := weft.AsError(err)
	if we.Type != c.Want {
		return built, fmt.Errorf("%s failed with %s (%v); want %s", s.Name, we.Type, err, c.Want)
	}
	if c.WantMessage != "" && !strings.Contains(we.Message, c.WantMessage) {
		return built, fmt.Errorf("message %q does not contain %q", we.Message, c.WantMessage)
	}
	if c.Check != nil {
		c.Check(t, we)
	}
	want := ConsequenceOf(we.Type)
	if !built {
		want = RefusedAtCompile
	}
	t.Logf("%s → %s: %s", c.Name, we.Type, want)
	return built, nil
}

// checkEngine runs the module through the engine and returns what is wrong, if
// anything; built is what the direct call found.
func checkEngine(t testing.TB, s *app.Spec, c ErrorCase, built bool) error {
	c = prepared(t, c)
	res, err := RunEngine(context.Background(), s, c.Params, c.Mapper, execFor(c))
	if !built {
		var inv *engine.InvalidError
		if !errors.As(err, &inv) {
			return fmt.Errorf("the module cannot be built, so the engine must refuse the blueprint (%s); got %s, error %v",
				RefusedAtCompile, summary(res), err)
		}
		if c.WantMessage != "" && !strings.Contains(err.Error(), c.WantMessage) {
			return fmt.Errorf("compile error %q does not contain %q", err, c.WantMessage)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	var logged *engine.RunError
	for i := range res.Log {
		if e := res.Log[i]; e.ModuleID == 2 && e.Error != nil {
			logged = e.Error
		}
	}
	if logged == nil {
		return fmt.Errorf("module 2 logged no error; %s", summary(res))
	}
	if logged.Type != c.Want {
		return fmt.Errorf("engine logged %s (%s) for module 2; want %s", logged.Type, logged.Message, c.Want)
	}
	if c.WantMessage != "" && !strings.Contains(logged.Message, c.WantMessage) {
		return fmt.Errorf("engine message %q does not contain %q", logged.Message, c.WantMessage)
	}
	want := ConsequenceOf(c.Want)
	switch want {
	case Retried, KeptForPerson:
		if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 {
			return fmt.Errorf("%s: want status warning and 1 incomplete execution (%s); got %s", c.Want, want, summary(res))
		}
		ie := res.Incomplete[0]
		if ie.ModuleID != 2 || ie.Error == nil || ie.Error.Type != c.Want {
			return fmt.Errorf("incomplete execution of module %d with error %v; want module 2, %s", ie.ModuleID, ie.Error, c.Want)
		}
		if ie.AutoRetry != (want == Retried) {
			return fmt.Errorf("%s: incomplete execution with autoRetry %v; want %v (%s)", c.Want, ie.AutoRetry, want == Retried, want)
		}
		if !res.Committed {
			return fmt.Errorf("%s: the cycle rolled back; a run that stored an incomplete execution commits its other work", c.Want)
		}
	case RunFails:
		if res.Status != weft.StatusError || len(res.Incomplete) != 0 {
			return fmt.Errorf("%s: want status error and no incomplete execution (%s); got %s", c.Want, want, summary(res))
		}
		if res.Error == nil || res.Error.Type != c.Want || res.Error.ModuleID != 2 {
			return fmt.Errorf("%s: run error %+v; want %s on module 2", c.Want, res.Error, c.Want)
		}
		if res.Committed {
			return fmt.Errorf("%s: the failed run committed; it must roll back", c.Want)
		}
	}
	return nil
}

// summary describes a result in one line for failure messages.
func summary(res *engine.Result) string {
	if res == nil {
		return "no result"
	}
	s := "status " + string(res.Status)
	if res.Error != nil {
		s += ", error " + string(res.Error.Type) + " on module " + strconv.Itoa(res.Error.ModuleID) + ": " + res.Error.Message
	}
	s += ", " + strconv.Itoa(len(res.Incomplete)) + " incomplete execution(s)"
	return s
}
