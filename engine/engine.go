// Package engine runs compiled scenarios: bundles depth first through routers, if/else
// branches, loops and error handler routes, exactly as Make does (SPEC §2–§4), and
// resumes an incomplete execution from the module that failed (SPEC §5.4).
//
// A blueprint version is compiled once into a Plan (templates, filters and modules
// built); Plans are immutable and shared by concurrent runs.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/limits"
)

// Options configure an Engine.
type Options struct {
	// Registry holds the module types the engine can run. Required.
	Registry *app.Registry
	// Clock is the time source of runs ({{now}}, log timestamps). Defaults to time.Now.
	Clock func() time.Time
	// Sleep waits d, or until ctx ends (returning its error), for modules that pause
	// the flow (util:FunctionSleep, through tools.Sleeper). Defaults to a real timer.
	// A test with a fake Clock passes one that moves its clock, so a blueprint's
	// sleeps keep their durations (and count toward runTimeout on the run's clock)
	// without costing real time.
	Sleep func(ctx context.Context, d time.Duration) error
	// Location is the default time zone of date functions. Defaults to UTC.
	Location *time.Location
	// ModuleTimeout is the time limit of one module for one bundle, unless the module's
	// spec sets its own. Defaults to 40 s (SPEC §3.1).
	ModuleTimeout time.Duration
	// NewID makes execution ids. Defaults to 32 random hex characters.
	NewID func() string
	// Random feeds {{random}}. Defaults to math/rand/v2.
	Random func() float64
	// NoLog turns the execution log off (benchmarks of the bare engine). Defaults to
	// false: the log is kept, as in production.
	NoLog bool
	// Connections resolves the connections modules name in their parameters. Defaults
	// to none: every lookup is an InvalidConfigurationError.
	Connections func(ref any) (weft.Bundle, error)
	// SaveConnection stores credentials a module renewed (an OAuth server's rotated
	// refresh token). Defaults to none: renewed credentials live in memory only.
	SaveConnection func(ctx context.Context, ref any, data weft.Bundle) error
	// Scenarios runs the scenarios a run calls (scenario-service:CallSubscenario,
	// docs/subscenarios.md). Defaults to none: a call is an InvalidConfigurationError.
	Scenarios Scenarios
	// Limits bound every run (and the structure of the flows Compile accepts); a
	// scenario's metadata.scenario.limits lowers them for its runs. Zero fields default
	// to limits.Default (docs/operations.md, "Run limits").
	Limits limits.Limits
}

// WithDefaults returns the options with every unset field given its default.
func (o Options) WithDefaults() Options {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepTimer
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.ModuleTimeout == 0 {
		o.ModuleTimeout = 40 * time.Second
	}
	if o.NewID == nil {
		o.NewID = NewExecutionID
	}
	if o.Random == nil {
		o.Random = mrand.Float64
	}
	o.Limits = o.Limits.WithDefaults()
	if o.Connections == nil {
		o.Connections = func(ref any) (weft.Bundle, error) {
			return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %v: no connections are configured", ref)
		}
	}
	return o
}

func (o Options) validate() error {
	if o.Registry == nil {
		return errors.New("engine: Options.Registry is required")
	}
	if o.ModuleTimeout < 0 {
		return fmt.Errorf("engine: ModuleTimeout must be positive, got %s", o.ModuleTimeout)
	}
	if err := o.Limits.Validate(); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	return nil
}

// Engine compiles and runs scenarios. It is safe for concurrent use.
type Engine struct {
	opts Options
}

// New returns an engine.
func New(opts Options) (*Engine, error) {
	opts = opts.WithDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Engine{opts: opts}, nil
}

// Limits returns the engine's (the server's) limits, defaults filled in.
func (e *Engine) Limits() limits.Limits { return e.opts.Limits }

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

// NewExecutionID returns 32 random hex characters, the shape of Make's execution ids.
func NewExecutionID() string {
	var b [16]byte
	if _, err := cryptoRead(b[:]); err != nil {
		panic(fmt.Sprintf("engine: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b[:])
}

var cryptoRead = rand.Read
