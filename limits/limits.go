// Package limits bounds what one run may consume — the largest array or text a function
// or module produces, the bundles one module emits, the bytes of bundle data a run
// holds, its operations, its time and its regular-expression time — and the size of a
// flow (docs/operations.md, "Run limits"). A server sets them (`weft serve` flags and
// environment variables); a scenario may lower them (metadata.scenario.limits), never
// raise them.
//
// One *Run carries a run's limits and what the run has used. The engine creates it and
// hands it to the mapping language (iml.Env.Limits), to regular expressions (jsregex)
// and to modules (FromContext); checks sit where values grow, not in every function.
// Every method of *Run accepts a nil receiver (no limits), so code that runs outside a
// run (tests, compile-time folding) needs no special case.
package limits

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft"
)

// Limits are the bounds of a run and of a flow. A zero field means "the default" where
// limits are configured (WithDefaults); a Run always holds positive values.
type Limits struct {
	// MaxArrayItems bounds the elements of one array a function or a module produces.
	// Defaults to 100,000.
	MaxArrayItems int64
	// MaxTextBytes bounds one text a function or a module produces, and the text form
	// of an array or collection turned into text. Defaults to 16 MiB.
	MaxTextBytes int64
	// MaxBundles bounds the bundles one module emits for one bundle it receives.
	// Defaults to 100,000.
	MaxBundles int64
	// MaxRunBytes bounds the bundle data a run holds: every module's input and output
	// (as the execution log keeps them) and every aggregated item. Defaults to 256 MiB:
	// a file near the HTTP app's 100 MB cap can be downloaded and sent on.
	MaxRunBytes int64
	// MaxOperations bounds the operations of a run. Defaults to 100,000.
	MaxOperations int64
	// RunTimeout bounds a run's wall-clock time; modules that wait and CPU-bound work
	// (mapping functions, iterators, aggregators) honour it. Defaults to 40 minutes,
	// Make's limit of one scenario run.
	RunTimeout time.Duration
	// RegexBudget bounds the time every regular-expression search of a run takes
	// together (one search is bounded by jsregex.DefaultTimeout as well). Defaults to
	// 10 s.
	RegexBudget time.Duration
	// MaxDepth bounds how deep routes, if/else branches and error handler routes nest
	// in a blueprint. Defaults to 50.
	MaxDepth int64
	// MaxModules bounds the modules of a blueprint. Defaults to 2,000.
	MaxModules int64
}

// Default returns weft's default limits.
func Default() Limits {
	return Limits{
		MaxArrayItems: 100_000,
		MaxTextBytes:  16 << 20,
		MaxBundles:    100_000,
		MaxRunBytes:   256 << 20,
		MaxOperations: 100_000,
		RunTimeout:    40 * time.Minute,
		RegexBudget:   10 * time.Second,
		MaxDepth:      50,
		MaxModules:    2_000,
	}
}

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	d := Default()
	for i := range Defs {
		if p := Defs[i].ptr(&l); *p == 0 {
			*p = *Defs[i].ptr(&d)
		}
	}
	return l
}

// complete reports whether every field is set (the engine's limits are, once it has
// filled in the defaults): Start then skips WithDefaults, on every run's path.
func (l Limits) complete() bool {
	return l.MaxArrayItems != 0 && l.MaxTextBytes != 0 && l.MaxBundles != 0 && l.MaxRunBytes != 0 &&
		l.MaxOperations != 0 && l.RunTimeout != 0 && l.RegexBudget != 0 && l.MaxDepth != 0 && l.MaxModules != 0
}

// Validate reports a negative limit (zero means the default).
func (l Limits) Validate() error {
	for i := range Defs {
		if v := *Defs[i].ptr(&l); v < 0 {
			return fmt.Errorf("limit %s must be positive, got %s", Defs[i].Key, Defs[i].Format(v))
		}
	}
	return nil
}

// Lower returns l with every field that s sets (positive) and that is below l's value
// replaced by s's: a scenario can lower a server's bound, never raise it.
func (l Limits) Lower(s Limits) Limits {
	for i := range Defs {
		if v, cur := *Defs[i].ptr(&s), Defs[i].ptr(&l); v > 0 && v < *cur {
			*cur = v
		}
	}
	return l
}

// Kind is how a limit's value is written.
type Kind int

// The kinds of limit values.
const (
	Count    Kind = iota // a whole number
	Bytes                // a whole number of bytes; flags accept KiB/MiB/GiB and KB/MB/GB
	Duration             // a duration: "90s", "10m"; a JSON number is seconds
)

// Scope says what exceeding a limit does.
type Scope int

// The scopes of limits.
const (
	// ScopeValue limits fail the module for the bundle being processed: SPEC §3.2 applies
	// (an error handler route, or an incomplete execution), and the run goes on.
	ScopeValue Scope = iota
	// ScopeRun limits end the run: it fails (status error, rollback) at the module where the
	// limit was reached, as an error on the trigger does; no incomplete execution is
	// stored, an instant trigger's payload goes back to the queue.
	ScopeRun
	// ScopeStructure limits make a blueprint invalid: validation reports them.
	ScopeStructure
)

// Def describes one limit: its name in blueprints and errors, its flag and environment
// variable, what exceeding it does. cli/serve.go, blueprint settings, error messages and
// docs/operations.md read this table.
type Def struct {
	// Key names the limit in metadata.scenario.limits, in errors and in details.
	Key string
	// Flag is the `weft serve` flag, without dashes.
	Flag string
	// Env is the environment variable that sets it when the flag is not given.
	Env  string
	Kind Kind
	// Unit names what is counted ("items", "bytes").
	Unit  string
	Scope Scope
	// Type is the error type of a run that exceeds it ("" for structure limits).
	Type weft.ErrorType
	Help string
	ptr  func(*Limits) *int64
}

// PerScenario reports whether a scenario may lower the limit (structure limits bound
// the blueprint itself, so a blueprint setting would be pointless).
func (d *Def) PerScenario() bool { return d.Scope != ScopeStructure }

// Get returns the limit's value in l.
func (d *Def) Get(l Limits) int64 { return *d.ptr(&l) }

// Set sets the limit's value in l.
func (d *Def) Set(l *Limits, v int64) { *d.ptr(l) = v }

// Defs lists every limit, in the order docs show them.
var Defs = []Def{
	{Key: "maxArrayItems", Flag: "max-array-items", Env: "WEFT_MAX_ARRAY_ITEMS", Kind: Count, Unit: "items",
		Scope: ScopeValue, Type: weft.MaxResultsExceededError,
		Help: "elements of one array a function or module produces",
		ptr:  func(l *Limits) *int64 { return &l.MaxArrayItems }},
	{Key: "maxTextBytes", Flag: "max-text-bytes", Env: "WEFT_MAX_TEXT_BYTES", Kind: Bytes, Unit: "bytes",
		Scope: ScopeValue, Type: weft.MaxResultsExceededError,
		Help: "bytes of one text a function or module produces (an array or collection turned into text included)",
		ptr:  func(l *Limits) *int64 { return &l.MaxTextBytes }},
	{Key: "maxBundles", Flag: "max-bundles", Env: "WEFT_MAX_BUNDLES", Kind: Count, Unit: "bundles",
		Scope: ScopeValue, Type: weft.MaxResultsExceededError,
		Help: "bundles one module emits for one bundle it receives",
		ptr:  func(l *Limits) *int64 { return &l.MaxBundles }},
	{Key: "regexBudget", Flag: "regex-budget", Env: "WEFT_REGEX_BUDGET", Kind: Duration,
		Scope: ScopeValue, Type: weft.DataError,
		Help: "time all regular-expression searches of a run take together; once spent, every further search of the run fails at once",
		ptr:  func(l *Limits) *int64 { return (*int64)(&l.RegexBudget) }},
	{Key: "maxRunBytes", Flag: "max-run-bytes", Env: "WEFT_MAX_RUN_BYTES", Kind: Bytes, Unit: "bytes",
		Scope: ScopeRun, Type: weft.MaxResultsExceededError,
		Help: "bundle data a run holds: every module's input and output, as the execution log keeps them, and every aggregated item",
		ptr:  func(l *Limits) *int64 { return &l.MaxRunBytes }},
	{Key: "maxOperations", Flag: "max-operations", Env: "WEFT_MAX_OPERATIONS", Kind: Count, Unit: "operations",
		Scope: ScopeRun, Type: weft.MaxResultsExceededError,
		Help: "operations of one run",
		ptr:  func(l *Limits) *int64 { return &l.MaxOperations }},
	{Key: "runTimeout", Flag: "run-timeout", Env: "WEFT_RUN_TIMEOUT", Kind: Duration,
		Scope: ScopeRun, Type: weft.ModuleTimeoutError,
		Help: "wall-clock time of one run, honoured by modules that wait and by CPU-bound work",
		ptr:  func(l *Limits) *int64 { return (*int64)(&l.RunTimeout) }},
	{Key: "maxDepth", Flag: "max-depth", Env: "WEFT_MAX_DEPTH", Kind: Count, Unit: "levels",
		Scope: ScopeStructure,
		Help:  "how deep routes, if/else branches and error handler routes nest in a blueprint",
		ptr:   func(l *Limits) *int64 { return &l.MaxDepth }},
	{Key: "maxModules", Flag: "max-modules", Env: "WEFT_MAX_MODULES", Kind: Count, Unit: "modules",
		Scope: ScopeStructure,
		Help:  "modules of one blueprint (error handler routes included)",
		ptr:   func(l *Limits) *int64 { return &l.MaxModules }},
}

// Lookup returns the definition of the limit named key.
func Lookup(key string) (*Def, bool) {
	for i := range Defs {
		if Defs[i].Key == key {
			return &Defs[i], true
		}
	}
	return nil, false
}

func def(key string) *Def {
	d, ok := Lookup(key)
	if !ok {
		panic("limits: unknown limit " + key)
	}
	return d
}

// Format writes a value of the limit for people: "100000", "16 MiB", "40m0s".
func (d *Def) Format(v int64) string {
	switch d.Kind {
	case Duration:
		return time.Duration(v).String()
	case Bytes:
		return FormatBytes(v)
	}
	return strconv.FormatInt(v, 10)
}

// FormatBytes writes a byte count with the largest binary unit that divides it, or as
// a plain number of bytes.
func FormatBytes(v int64) string {
	for _, u := range []struct {
		name  string
		shift uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if v != 0 && v%(1<<u.shift) == 0 {
			return strconv.FormatInt(v>>u.shift, 10) + " " + u.name
		}
	}
	return strconv.FormatInt(v, 10) + " bytes"
}

// Parse reads a value of the limit as a flag or an environment variable gives it:
// whole numbers for counts; for bytes a number with an optional unit (KiB, MiB, GiB,
// KB, MB, GB, B); for durations Go's syntax ("90s", "10m"). Zero and negative values
// are refused.
func (d *Def) Parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	var v int64
	var err error
	switch d.Kind {
	case Duration:
		var t time.Duration
		t, err = time.ParseDuration(s)
		v = int64(t)
	case Bytes:
		v, err = parseBytes(s)
	default:
		v, err = strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not %s", d.Key, s, d.kindText())
	}
	if v <= 0 {
		return 0, fmt.Errorf("%s: must be positive, got %q", d.Key, s)
	}
	return v, nil
}

// ParseJSON reads a value of the limit from a decoded JSON value (a blueprint setting):
// a number (seconds for durations) or text as Parse reads it.
func (d *Def) ParseJSON(v any) (int64, error) {
	switch x := v.(type) {
	case float64:
		if d.Kind == Duration {
			if x <= 0 || x > float64(1<<62)/float64(time.Second) {
				return 0, fmt.Errorf("must be a positive number of seconds, got %v", x)
			}
			return int64(x * float64(time.Second)), nil
		}
		if x <= 0 || x != float64(int64(x)) || x > 1<<62 {
			return 0, fmt.Errorf("must be a positive whole number, got %v", x)
		}
		return int64(x), nil
	case string:
		n, err := d.Parse(x)
		if err != nil {
			return 0, fmt.Errorf("%q is not %s", x, d.kindText())
		}
		return n, nil
	}
	return 0, fmt.Errorf("must be %s", d.kindText())
}

func (d *Def) kindText() string {
	switch d.Kind {
	case Duration:
		return `a positive duration ("90s", "10m"; a number is seconds)`
	case Bytes:
		return `a positive number of bytes ("16MiB", "500KB" or a number)`
	}
	return "a positive whole number"
}

func parseBytes(s string) (int64, error) {
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	mult := int64(1)
	switch unit {
	case "", "b":
	case "k", "kb":
		mult = 1000
	case "m", "mb":
		mult = 1000 * 1000
	case "g", "gb":
		mult = 1000 * 1000 * 1000
	case "ki", "kib":
		mult = 1 << 10
	case "mi", "mib":
		mult = 1 << 20
	case "gi", "gib":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, err
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}

// Exceeded is a limit a run went over. It travels inside a *weft.Error (see Error) so
// that whoever wraps it keeps its type; the engine adds the module.
type Exceeded struct {
	// Key names the limit ("maxArrayItems").
	Key string
	// Limit is the bound in force; Value what was asked for or reached (0 when unknown).
	Limit, Value int64
	// What says what went over, with the value, for people: "split() would make
	// 10000000 items".
	What string
	// Scenario is true when the bound is the scenario's own, lower than the server's.
	Scenario bool
	// Module and ModuleType name the module where it happened (set by the engine; 0
	// when unknown).
	Module     int
	ModuleType string
}

// Def returns the definition of the exceeded limit.
func (e *Exceeded) Def() *Def { return def(e.Key) }

// RunWide reports whether the limit ends the whole run (ScopeRun).
func (e *Exceeded) RunWide() bool { return e.Def().Scope == ScopeRun }

func (e *Exceeded) Error() string {
	d := e.Def()
	var b strings.Builder
	if e.Module != 0 {
		fmt.Fprintf(&b, "module %d", e.Module)
		if e.ModuleType != "" {
			fmt.Fprintf(&b, " (%s)", e.ModuleType)
		}
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s: over the limit %s of %s", e.What, d.Key, d.Format(e.Limit))
	if d.Unit != "" && d.Kind == Count {
		unit := d.Unit
		if e.Limit == 1 {
			unit = strings.TrimSuffix(unit, "s")
		}
		b.WriteString(" " + unit)
	}
	if e.Scenario {
		fmt.Fprintf(&b, " (the scenario's metadata.scenario.limits.%s)", d.Key)
	} else {
		fmt.Fprintf(&b, " (server setting --%s / %s)", d.Flag, d.Env)
	}
	return b.String()
}

// AsError returns e as the typed error runs report: the limit's error type, e's
// message, and details a handler route can map ({{N.error.details.limit}}).
func (e *Exceeded) AsError() *weft.Error {
	details := map[string]any{"limit": e.Key, "max": float64(e.Limit)}
	if e.Value != 0 {
		details["value"] = float64(e.Value)
	}
	return &weft.Error{Type: e.Def().Type, Message: e.Error(), Details: details, Err: e}
}

// As finds an *Exceeded in err's chain.
func As(err error) (*Exceeded, bool) {
	var e *Exceeded
	ok := errors.As(err, &e)
	return e, ok
}

// Run is one run's limits and what the run has used. The byte and time accounting is
// done by the run's goroutine; the regex budget may be spent from others.
type Run struct {
	// Limits are the bounds in force: the server's, lowered by the scenario's.
	Limits
	server   Limits
	now      func() time.Time
	deadline time.Time
	bytes    int64
	regex    atomic.Int64 // nanoseconds of regex searches
	// sizes keeps the measured size of long arrays (size.go).
	sizes map[arrayKey]int64
}

// Start begins a run under the server's limits lowered by the scenario's; now is the
// run's clock (the deadline is now()+RunTimeout). Zero fields of server are defaults.
func Start(server, scenario Limits, now func() time.Time) *Run {
	if now == nil {
		now = time.Now
	}
	if !server.complete() {
		server = server.WithDefaults()
	}
	r := &Run{Limits: server, server: server, now: now}
	if scenario != (Limits{}) {
		r.Limits = server.Lower(scenario)
	}
	r.deadline = now().Add(r.RunTimeout)
	return r
}

// Deadline is when the run must end.
func (r *Run) Deadline() time.Time {
	if r == nil {
		return time.Time{}
	}
	return r.deadline
}

// Exceed builds the typed error for limit key: value (what says it for people) is over
// the bound in force.
func (r *Run) Exceed(key string, value int64, what string) *weft.Error {
	d := def(key)
	e := &Exceeded{Key: key, Limit: d.Get(r.Limits), Value: value, What: what}
	e.Scenario = e.Limit < d.Get(r.server)
	return e.AsError()
}

// Check returns the runTimeout error once the run's deadline (on the run's clock) has
// passed. Loops over data call it every few thousand iterations.
func (r *Run) Check() error {
	if r == nil {
		return nil
	}
	return r.CheckAt(r.now())
}

// CheckAt is Check with a time already read from the run's clock.
func (r *Run) CheckAt(now time.Time) error {
	if r == nil || !now.After(r.deadline) {
		return nil
	}
	took := now.Sub(r.deadline) + r.RunTimeout
	return r.Exceed("runTimeout", int64(took), "the run has taken "+took.Round(time.Millisecond).String())
}

// DeadlineError is the runTimeout error for a run whose deadline passed while a module
// waited (the context modules run under ended).
func (r *Run) DeadlineError() *weft.Error {
	return r.Exceed("runTimeout", int64(r.RunTimeout), "the run has reached its time limit")
}

// Items checks the size of an array being made (what names the maker: "split()").
func (r *Run) Items(n int, what string) error {
	if r == nil || int64(n) <= r.MaxArrayItems {
		return nil
	}
	return r.Exceed("maxArrayItems", int64(n), fmt.Sprintf("%s would make %d items", what, n))
}

// Text checks the size of a text being made.
func (r *Run) Text(n int, what string) error {
	if r == nil || int64(n) <= r.MaxTextBytes {
		return nil
	}
	return r.Exceed("maxTextBytes", int64(n), fmt.Sprintf("%s would make a text of %d bytes", what, n))
}

// Bundles checks how many bundles a module emits for one bundle.
func (r *Run) Bundles(n int, what string) error {
	if r == nil || int64(n) <= r.MaxBundles {
		return nil
	}
	return r.Exceed("maxBundles", int64(n), fmt.Sprintf("%s emits %d bundles", what, n))
}

// Operations checks the run's operation count.
func (r *Run) Operations(n int) error {
	if r == nil || int64(n) <= r.MaxOperations {
		return nil
	}
	return r.Exceed("maxOperations", int64(n), fmt.Sprintf("operation %d of the run", n))
}

// BytesLeft is how many more bytes of bundle data the run may take in.
func (r *Run) BytesLeft() int64 {
	if r == nil {
		return 1 << 62
	}
	return r.MaxRunBytes - r.bytes
}

// AddBytes counts n more bytes of bundle data (what: "the output of the module").
func (r *Run) AddBytes(n int64, what string) error {
	if r == nil {
		return nil
	}
	r.bytes += n
	if r.bytes <= r.MaxRunBytes {
		return nil
	}
	return r.Exceed("maxRunBytes", r.bytes, fmt.Sprintf("%s brings the run's bundle data to more than %d bytes", what, r.bytes))
}

// RunBytes is the bundle data counted so far.
func (r *Run) RunBytes() int64 {
	if r == nil {
		return 0
	}
	return r.bytes
}

// RegexLeft is the regex time the run has left; the error is the regexBudget error
// when nothing is left.
func (r *Run) RegexLeft() (time.Duration, error) {
	if r == nil {
		return 1 << 62, nil
	}
	left := r.RegexBudget - time.Duration(r.regex.Load())
	if left <= 0 {
		return 0, r.RegexSpent()
	}
	return left, nil
}

// SpendRegex counts d of regex search time.
func (r *Run) SpendRegex(d time.Duration) {
	if r != nil && d > 0 {
		r.regex.Add(int64(d))
	}
}

// ExhaustRegex marks the regex budget spent: a search stopped by it; the clock regexp2
// checks timeouts with is coarser than the budget, so the time counted may fall short.
func (r *Run) ExhaustRegex() {
	if r == nil {
		return
	}
	for {
		used := r.regex.Load()
		if used >= int64(r.RegexBudget) || r.regex.CompareAndSwap(used, int64(r.RegexBudget)) {
			return
		}
	}
}

// RegexSpent is the regexBudget error.
func (r *Run) RegexSpent() *weft.Error {
	used := time.Duration(r.regex.Load())
	return r.Exceed("regexBudget", int64(used), "regular expressions have searched for "+
		used.Round(time.Millisecond).String()+" in this run")
}

type ctxKey struct{}

// NewContext returns ctx carrying r, for modules (FromContext).
func NewContext(ctx context.Context, r *Run) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// FromContext returns the run's limits carried by ctx, or nil (no limits; every
// method of a nil *Run allows everything).
func FromContext(ctx context.Context) *Run {
	r, _ := ctx.Value(ctxKey{}).(*Run)
	return r
}
