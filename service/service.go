// Package service is weft's application layer: it runs scenarios with the engine and
// records everything in the store so that nothing is lost — executions are written
// before they start, and an execution's end, its incomplete executions and the
// scenario's state are written in one transaction. It retries incomplete executions on
// SPEC §5.3's schedule, resolves them with a person's edits, drains the trigger queue
// (sequential scenarios in arrival order) and recovers after a crash.
package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/store"
)

// Config configures a Service.
type Config struct {
	// Store is where everything is kept. Required.
	Store store.Store
	// Registry holds the module types. Required.
	Registry *app.Registry
	// Clock is the time source. Defaults to time.Now.
	Clock func() time.Time
	// NewID makes execution and incomplete-execution ids. Defaults to
	// engine.NewExecutionID.
	NewID func() string
	// Location is the default time zone of date functions. Defaults to UTC.
	Location *time.Location
	// ModuleTimeout is the engine's default module time limit. Defaults to 40 s.
	ModuleTimeout time.Duration
	// Limits bound every run and the blueprints accepted (docs/operations.md, "Run
	// limits"); a scenario may lower the run limits for itself. Zero fields default to
	// limits.Default.
	Limits limits.Limits
	// MaxScenarioBytes and MaxTotalBytes limit the incomplete executions kept
	// (SPEC §5.6). Default to 10 MB and 500 MB, as Fusion.
	MaxScenarioBytes int64
	MaxTotalBytes    int64
	// Retention is how long resolved incomplete executions are kept. Defaults to 30 days.
	Retention time.Duration
	// RetriesPerScenario is how many retries of one scenario run at once. Defaults to 3.
	RetriesPerScenario int
	// RetrySchedule is the delay before each automatic attempt. Defaults to SPEC §5.3's
	// RetrySchedule; tests of whole processes shorten it.
	RetrySchedule []time.Duration
	// Workers is how many runs and retries the worker carries out at once. Defaults to 4.
	Workers int
	// Logger receives operational messages. Defaults to slog.Default().
	Logger *slog.Logger
	// Connections resolves module connections. Defaults to the stored connections
	// (ResolveConnection) when Secrets is set, else to none.
	Connections func(ref any) (weft.Bundle, error)
	// Secrets encrypts stored connections and webhook secrets (docs/connections.md).
	// Without it connections cannot be stored or used.
	Secrets *secrets.Keyring
	// Observer is told about finished runs, stored incomplete executions and
	// deactivated scenarios (metrics, notifications). Defaults to none.
	Observer Observer
	// DecodeBytes bounds the bytes of trigger payloads decoded and run at once, by the
	// webhook intake and the worker together (ReservePayload). Defaults to
	// DefaultDecodeBytes.
	DecodeBytes int64
	// OAuthHTTP sends the token requests of OAuth authorizations (service/oauth.go);
	// give it the process's outbound policy. Defaults to a client with a 30 s timeout.
	OAuthHTTP *http.Client
	// Random is the source of OAuth states. Defaults to crypto/rand.Reader.
	Random io.Reader
	// BaseURL is weft's public address (https://weft.example.com): instant app
	// triggers register BaseURL/hooks/TOKEN with their service (hooks.go). Without it
	// they cannot be activated.
	BaseURL string
	// MaxCallDepth bounds how many scenarios a chain of sub-scenario calls holds, the
	// first caller included (docs/subscenarios.md). Defaults to DefaultMaxCallDepth.
	MaxCallDepth int

	// Circuit breakers (breaker.go, docs/incomplete-executions.md §10).
	// BreakerInterval is the time between probes of an open breaker (a Retry-After
	// longer than it wins). Defaults to the retry schedule's first delay (1 minute),
	// so a process whose schedule is shortened for a test probes as often.
	BreakerInterval time.Duration
	// NoCircuitBreakers turns the breakers off (weft serve/work --circuit-breakers=false):
	// no failure opens one and none holds an automatic retry, so each incomplete
	// execution follows its own retry schedule; breakers already open stay listed until
	// reset or idle.
	NoCircuitBreakers bool
}

// DefaultDecodeBytes is Config.DecodeBytes' default: 16 parallel 5 MB webhook payloads
// of 400,000 keys stay under 500 MB of memory (docs/operations.md).
const DefaultDecodeBytes = 24 << 20

// Observer receives the service's events. Calls happen after the event is stored, on
// the goroutine that caused it: implementations must be quick and never block (queue
// slow work such as an outgoing notification).
type Observer interface {
	// RunFinished is called for every recorded execution (runs and retry attempts).
	RunFinished(sc *weft.Scenario, ex *weft.Execution, res *engine.Result)
	// IncompleteStored is called for every incomplete execution stored.
	IncompleteStored(sc *weft.Scenario, ie *weft.Incomplete)
	// ScenarioDeactivated is called when weft deactivates or pauses a scenario.
	ScenarioDeactivated(sc *weft.Scenario, reason string)
}

type nopObserver struct{}

func (nopObserver) RunFinished(*weft.Scenario, *weft.Execution, *engine.Result) {}
func (nopObserver) IncompleteStored(*weft.Scenario, *weft.Incomplete)           {}
func (nopObserver) ScenarioDeactivated(*weft.Scenario, string)                  {}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.NewID == nil {
		c.NewID = engine.NewExecutionID
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.MaxScenarioBytes == 0 {
		c.MaxScenarioBytes = 10 << 20
	}
	if c.MaxTotalBytes == 0 {
		c.MaxTotalBytes = 500 << 20
	}
	if c.Retention == 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.RetriesPerScenario == 0 {
		c.RetriesPerScenario = 3
	}
	if len(c.RetrySchedule) == 0 {
		c.RetrySchedule = RetrySchedule
	}
	if c.Workers == 0 {
		c.Workers = 4
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.DecodeBytes == 0 {
		c.DecodeBytes = DefaultDecodeBytes
	}
	if c.OAuthHTTP == nil {
		c.OAuthHTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if c.Random == nil {
		c.Random = rand.Reader
	}
	if c.MaxCallDepth == 0 {
		c.MaxCallDepth = DefaultMaxCallDepth
	}
	if c.BreakerInterval == 0 {
		c.BreakerInterval = c.RetrySchedule[0]
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("service: Config.Store is required")
	case c.Registry == nil:
		return errors.New("service: Config.Registry is required")
	case c.RetriesPerScenario < 1 || c.Workers < 1:
		return errors.New("service: RetriesPerScenario and Workers must be at least 1")
	case c.DecodeBytes < 0:
		return fmt.Errorf("service: DecodeBytes %d must not be negative", c.DecodeBytes)
	case c.MaxCallDepth < 2:
		return fmt.Errorf("service: MaxCallDepth %d must be at least 2 (a caller and the scenario it calls)", c.MaxCallDepth)
	}
	return nil
}

// Service runs and records scenarios. It is safe for concurrent use; one process owns
// a data folder at a time (see Lock).
type Service struct {
	cfg   Config
	st    store.Store
	eng   *engine.Engine
	log   *slog.Logger
	plans planCache
	gate  gate
	wake  chan struct{}
	// responders caches, per compiled plan, whether it answers webhook callers.
	responders sync.Map
	// events writes the operator's log lines of runs, retries and deactivations.
	events *eventLog
	// versions caches compiled plans by scenario version (versionKey → versionPlan).
	versions     sync.Map
	versionCount atomic.Int64
	budget       payloadBudget
	// owed are writes that failed after something that cannot be undone; the worker
	// writes them again (owed.go).
	owed owedWrites
	// polls keeps the runs of one polling scenario apart (poll.go).
	polls pollGate
	// verifiers caches how instant app triggers' calls are verified (hooks.go).
	verifiers sync.Map
	// shared is the store as several processes share it (nil: this process owns it);
	// then the store, not the gate, keeps runs and retries apart (cluster.go).
	shared store.Shared
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, st: cfg.Store, log: cfg.Logger,
		plans: planCache{m: map[[32]byte]*engine.Plan{}}, gate: gate{live: map[int64]int{}, retries: map[int64]int{}},
		wake: make(chan struct{}, 1), budget: newPayloadBudget(cfg.DecodeBytes)}
	s.events = newEventLog(cfg.Logger, cfg.Clock)
	if sh, ok := cfg.Store.(store.Shared); ok {
		s.shared = sh
		s.gate.counting = true
	}
	if s.cfg.Connections == nil && s.cfg.Secrets != nil {
		s.cfg.Connections = s.ResolveConnection
	}
	var save func(context.Context, any, weft.Bundle) error
	if s.cfg.Secrets != nil {
		save = s.saveConnection
	}
	eng, err := engine.New(engine.Options{Registry: cfg.Registry, Clock: cfg.Clock, NewID: cfg.NewID,
		Location: cfg.Location, ModuleTimeout: cfg.ModuleTimeout, Connections: s.cfg.Connections, Limits: cfg.Limits,
		SaveConnection: save, Scenarios: subscenarios{s}})
	if err != nil {
		return nil, err
	}
	s.eng = eng
	return s, nil
}

// SetObserver replaces the observer. Call it before the service runs anything (the
// server creates its metrics after the service).
func (s *Service) SetObserver(o Observer) {
	if o == nil {
		o = nopObserver{}
	}
	s.cfg.Observer = o
}

// Store returns the service's store (read-only use by the CLI and the API).
func (s *Service) Store() store.Store { return s.st }

// Engine returns the service's engine.
func (s *Service) Engine() *engine.Engine { return s.eng }

func (s *Service) now() time.Time { return s.cfg.Clock().UTC() }

// notify wakes the worker (a retry was queued, a payload enqueued).
func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// versionKey names an immutable blueprint version.
type versionKey struct {
	scenario int64
	version  int
}

type versionPlan struct {
	plan      *engine.Plan
	blueprint []byte
}

// versionPlan returns the compiled plan of a scenario's current version and its
// blueprint. Versions never change once stored, so each is read and compiled once: a
// webhook request does not reread and rehash the blueprint.
func (s *Service) versionPlan(ctx context.Context, sc *weft.Scenario) (*engine.Plan, []byte, error) {
	key := versionKey{sc.ID, sc.Version}
	if v, ok := s.versions.Load(key); ok {
		vp := v.(versionPlan)
		return vp.plan, vp.blueprint, nil
	}
	v, err := s.st.GetVersion(ctx, sc.ID, sc.Version)
	if err != nil {
		return nil, nil, fmt.Errorf("scenario %d version %d: %w", sc.ID, sc.Version, err)
	}
	p, err := s.plan(v.Blueprint)
	if err != nil {
		return nil, v.Blueprint, err
	}
	if s.versionCount.Add(1) > planCacheSize {
		s.versions.Clear()
		s.versionCount.Store(0)
	}
	s.versions.Store(key, versionPlan{p, v.Blueprint})
	return p, v.Blueprint, nil
}

// planCache keeps compiled plans by blueprint content: a version compiles once, and an
// incomplete execution's own (possibly edited) blueprint compiles once per edit.
type planCache struct {
	mu sync.Mutex
	m  map[[32]byte]*engine.Plan
}

const planCacheSize = 512

func (s *Service) plan(raw []byte) (*engine.Plan, error) {
	key := sha256.Sum256(raw)
	s.plans.mu.Lock()
	p, ok := s.plans.m[key]
	s.plans.mu.Unlock()
	if ok {
		return p, nil
	}
	bp, err := blueprint.Parse(raw)
	if err != nil {
		return nil, err
	}
	p, err = s.eng.Compile(bp)
	if err != nil {
		return nil, err
	}
	s.plans.mu.Lock()
	if len(s.plans.m) >= planCacheSize {
		clear(s.plans.m) // simple and bounded; recompiling is cheap next to a run
		s.responders.Clear()
	}
	s.plans.m[key] = p
	s.plans.mu.Unlock()
	return p, nil
}

// gate keeps a scenario's live runs and its retries apart (SPEC §5.3: a retry never
// overlaps a live run of the same scenario) and caps retries per scenario.
type gate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	live    map[int64]int
	retries map[int64]int
	// counting: the gate only counts, never waits — a shared store keeps runs and
	// retries apart across processes (cluster.go), and waiting here as well could
	// deadlock against a wait there.
	counting bool
}

func (g *gate) init() {
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
}

// enterRun waits until no retry of the scenario is in progress, then counts a live run.
func (g *gate) enterRun(id int64) {
	g.mu.Lock()
	g.init()
	for g.retries[id] > 0 && !g.counting {
		g.cond.Wait()
	}
	g.live[id]++
	g.mu.Unlock()
}

func (g *gate) leaveRun(id int64) {
	g.mu.Lock()
	g.init()
	if g.live[id]--; g.live[id] <= 0 {
		delete(g.live, id)
	}
	g.cond.Broadcast()
	g.mu.Unlock()
}

func (g *gate) leaveRetry(id int64) {
	g.mu.Lock()
	g.init()
	if g.retries[id]--; g.retries[id] <= 0 {
		delete(g.retries, id)
	}
	g.cond.Broadcast()
	g.mu.Unlock()
}

// ErrBusy is returned when a scenario cannot run now (a sequential scenario with
// unresolved incomplete executions, a retry already in progress).
var ErrBusy = errors.New("busy")

// enterRetry waits until no live run of the scenario is going on, then counts a retry.
func (g *gate) enterRetry(id int64) {
	g.mu.Lock()
	g.init()
	for g.live[id] > 0 && !g.counting {
		g.cond.Wait()
	}
	g.retries[id]++
	g.mu.Unlock()
}
