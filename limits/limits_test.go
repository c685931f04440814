package limits

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

func TestDefaultsAndLower(t *testing.T) {
	d := Default()
	if got := (Limits{}).WithDefaults(); got != d {
		t.Fatalf("WithDefaults of zero: %+v", got)
	}
	l := Limits{MaxArrayItems: 10}.WithDefaults()
	if l.MaxArrayItems != 10 || l.MaxTextBytes != d.MaxTextBytes {
		t.Fatalf("WithDefaults keeps set fields: %+v", l)
	}
	// A scenario lowers, never raises; zero leaves the server's bound.
	got := d.Lower(Limits{MaxArrayItems: 5, MaxOperations: d.MaxOperations * 10, RunTimeout: time.Second})
	if got.MaxArrayItems != 5 || got.MaxOperations != d.MaxOperations || got.RunTimeout != time.Second ||
		got.MaxTextBytes != d.MaxTextBytes {
		t.Fatalf("Lower: %+v", got)
	}
	if err := (Limits{MaxBundles: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "maxBundles") {
		t.Fatalf("Validate: %v", err)
	}
	for _, def := range Defs {
		if def.Get(d) <= 0 {
			t.Errorf("%s has no default", def.Key)
		}
		if def.Scope != ScopeStructure && def.Type == "" {
			t.Errorf("%s has no error type", def.Key)
		}
		if !strings.HasPrefix(def.Env, "WEFT_") || def.Flag == "" {
			t.Errorf("%s: flag %q env %q", def.Key, def.Flag, def.Env)
		}
	}
}

func TestParse(t *testing.T) {
	bytes, _ := Lookup("maxTextBytes")
	count, _ := Lookup("maxArrayItems")
	dur, _ := Lookup("runTimeout")
	for _, c := range []struct {
		d    *Def
		in   string
		want int64
	}{
		{bytes, "16MiB", 16 << 20}, {bytes, "500 KB", 500_000}, {bytes, "1024", 1024}, {bytes, "2g", 2_000_000_000},
		{count, "100_000", 100_000}, {count, "7", 7},
		{dur, "90s", int64(90 * time.Second)}, {dur, "1h", int64(time.Hour)},
	} {
		got, err := c.d.Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s.Parse(%q) = %d, %v; want %d", c.d.Key, c.in, got, err, c.want)
		}
	}
	for _, c := range []struct {
		d  *Def
		in string
	}{{bytes, "16 parsecs"}, {bytes, "-1"}, {count, "0"}, {count, "1.5"}, {dur, "soon"}, {dur, "-1s"}} {
		if _, err := c.d.Parse(c.in); err == nil || !strings.Contains(err.Error(), c.d.Key) {
			t.Errorf("%s.Parse(%q): %v", c.d.Key, c.in, err)
		}
	}
	// Blueprint settings: numbers (seconds for durations) or text.
	if v, err := dur.ParseJSON(2.5); err != nil || v != int64(2500*time.Millisecond) {
		t.Errorf("ParseJSON(2.5) = %d, %v", v, err)
	}
	if v, err := bytes.ParseJSON("1MiB"); err != nil || v != 1<<20 {
		t.Errorf("ParseJSON(1MiB) = %d, %v", v, err)
	}
	for _, bad := range []any{0.0, 1.5, -3.0, true, nil, "lots"} {
		if _, err := count.ParseJSON(bad); err == nil {
			t.Errorf("ParseJSON(%v) accepted", bad)
		}
	}
}

func TestExceededError(t *testing.T) {
	server := Limits{MaxArrayItems: 100}
	r := Start(server, Limits{}, nil)
	err := r.Items(1000, "split()")
	if err == nil {
		t.Fatal("1000 items under a limit of 100 accepted")
	}
	var we *weft.Error
	if !errors.As(err, &we) || we.Type != weft.MaxResultsExceededError || we.Details["limit"] != "maxArrayItems" ||
		we.Details["max"] != 100.0 || we.Details["value"] != 1000.0 {
		t.Fatalf("typed error: %#v", err)
	}
	want := "split() would make 1000 items: over the limit maxArrayItems of 100 items (server setting --max-array-items / WEFT_MAX_ARRAY_ITEMS)"
	if we.Message != want {
		t.Fatalf("message\n got %s\nwant %s", we.Message, want)
	}
	// Wrapped by a module, the limit is still found; the engine names the module.
	wrapped := fmt.Errorf("text: %w", weft.Errorf(weft.DataError, "parse: %w", err))
	ex, ok := As(wrapped)
	if !ok {
		t.Fatal("As does not find the limit through wrapping")
	}
	ex.Module, ex.ModuleType = 3, "builtin:BasicFeeder"
	if !strings.HasPrefix(ex.Error(), "module 3 (builtin:BasicFeeder): split()") {
		t.Fatal(ex.Error())
	}
	// A bound the scenario lowered says so.
	r = Start(server, Limits{MaxArrayItems: 10}, nil)
	if err := r.Items(11, "map()"); err == nil || !strings.Contains(err.Error(), "metadata.scenario.limits.maxArrayItems") {
		t.Fatalf("scenario bound: %v", err)
	}
	if err := r.Items(10, "map()"); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if _, ok := As(errors.New("other")); ok {
		t.Fatal("As found a limit in a plain error")
	}
}

func TestRunTimeoutOnTheRunsClock(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r := Start(Limits{RunTimeout: time.Minute}, Limits{}, clock)
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute + time.Second)
	err := r.Check()
	var we *weft.Error
	if !errors.As(err, &we) || we.Type != weft.ModuleTimeoutError || !strings.Contains(we.Message, "the run has taken 1m1s") ||
		!strings.Contains(we.Message, "runTimeout of 1m0s") {
		t.Fatalf("deadline: %v", err)
	}
	if ex, _ := As(err); !ex.RunWide() {
		t.Fatal("runTimeout must end the run")
	}
}

func TestRunBytesAndValues(t *testing.T) {
	r := Start(Limits{MaxRunBytes: 1000, MaxTextBytes: 100, MaxArrayItems: 3}, Limits{}, nil)
	if err := r.Take(map[string]any{"a": strings.Repeat("x", 50), "n": 1.0}, "the output"); err != nil {
		t.Fatal(err)
	}
	used := r.RunBytes()
	if used < 50 || used > 100 {
		t.Fatalf("counted %d bytes for a 50-byte text", used)
	}
	err := r.Take(map[string]any{"a": strings.Repeat("x", 101)}, "the output of module 2")
	if ex, ok := As(err); !ok || ex.Key != "maxTextBytes" || !strings.Contains(err.Error(), "the output of module 2 holds a text of 101 bytes") {
		t.Fatalf("text: %v", err)
	}
	err = r.Take([]any{1.0, 2.0, 3.0, 4.0}, "the input")
	if ex, ok := As(err); !ok || ex.Key != "maxArrayItems" {
		t.Fatalf("array: %v", err)
	}
	// The budget: many references to one text count every time.
	s := strings.Repeat("y", 90)
	err = r.Take([]any{s, s, s}, "x")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; err == nil && i < 10; i++ {
		err = r.Take([]any{s, s, s}, "the output of module 4")
	}
	if ex, ok := As(err); !ok || ex.Key != "maxRunBytes" || !ex.RunWide() {
		t.Fatalf("run bytes: %v", err)
	}
}

func TestTakeStopsEarly(t *testing.T) {
	// A value far over the budget is refused after reading about as much as the
	// budget, not the whole value: counted by the walk's size when it stopped.
	r := Start(Limits{MaxRunBytes: 1000, MaxArrayItems: 1 << 30}, Limits{}, nil)
	big := make([]any, 1_000_000)
	for i := range big {
		big[i] = "abc"
	}
	w := walker{r: r, left: r.BytesLeft(), what: "x"}
	w.walk(big, 0)
	if w.size > 2000 {
		t.Fatalf("walked %d bytes of a value over a 1000-byte budget", w.size)
	}
}

func TestTextSize(t *testing.T) {
	for _, c := range []struct {
		v    any
		want int64
	}{
		{"abc", 3}, {[]any{"a", "bc"}, 5}, {map[string]any{"k": "v"}, 9}, {nil, 0},
	} {
		if got := TextSize(c.v, 1000); got != c.want {
			t.Errorf("TextSize(%v) = %d, want %d", c.v, got, c.want)
		}
	}
	big := strings.Repeat("z", 1000)
	arr := make([]any, 1000)
	for i := range arr {
		arr[i] = big
	}
	r := Start(Limits{MaxTextBytes: 10_000}, Limits{}, nil)
	if err := r.AsText(arr, "toString()"); err == nil || !strings.Contains(err.Error(), "toString()") {
		t.Fatalf("AsText: %v", err)
	}
	if err := r.AsText(big, "x"); err != nil {
		t.Fatalf("a text is checked where it is made: %v", err)
	}
}

func TestRegexBudget(t *testing.T) {
	r := Start(Limits{RegexBudget: time.Second}, Limits{}, nil)
	if left, err := r.RegexLeft(); err != nil || left != time.Second {
		t.Fatal(left, err)
	}
	r.SpendRegex(400 * time.Millisecond)
	r.SpendRegex(700 * time.Millisecond)
	_, err := r.RegexLeft()
	var we *weft.Error
	if !errors.As(err, &we) || we.Type != weft.DataError || !strings.Contains(we.Message, "regexBudget of 1s") ||
		!strings.Contains(we.Message, "1.1s") {
		t.Fatalf("spent: %v", err)
	}
}

func TestNilRunAllowsEverything(t *testing.T) {
	var r *Run
	if r.Items(1<<40, "x") != nil || r.Text(1<<40, "x") != nil || r.Bundles(1<<40, "x") != nil ||
		r.Operations(1<<40) != nil || r.AddBytes(1<<40, "x") != nil || r.Check() != nil || r.Take("x", "x") != nil ||
		r.AsText([]any{"x"}, "x") != nil {
		t.Fatal("a nil Run refused something")
	}
	if FromContext(context.Background()) != nil {
		t.Fatal("FromContext of a bare context")
	}
	run := Start(Limits{}, Limits{}, nil)
	if FromContext(NewContext(context.Background(), run)) != run {
		t.Fatal("FromContext does not return the run")
	}
	if run.Limits != Default() {
		t.Fatalf("Start with zero limits: %+v", run.Limits)
	}
}

func TestCompleteCoversEveryLimit(t *testing.T) {
	// complete() lists the fields by hand (it is on every run's path): a new limit must
	// be added there too.
	for i := range Defs {
		l := Default()
		Defs[i].Set(&l, 0)
		if l.complete() {
			t.Errorf("complete() ignores %s", Defs[i].Key)
		}
	}
	if !Default().complete() {
		t.Fatal("the defaults are not complete")
	}
}

func TestLongArraysAreMeasuredOnceCountedEachTime(t *testing.T) {
	r := Start(Limits{}, Limits{}, nil)
	long := make([]any, 5000)
	for i := range long {
		long[i] = map[string]any{"k": "value"}
	}
	if err := r.Take(map[string]any{"items": long}, "the trigger"); err != nil {
		t.Fatal(err)
	}
	once := r.RunBytes()
	// The same array again (an iterator's input mapping it): counted again, from the
	// size kept; changing an element in place is not seen, as bundles are not changed.
	long[0].(map[string]any)["k"] = strings.Repeat("x", 1000)
	if err := r.Take(map[string]any{"array": long}, "its input"); err != nil {
		t.Fatal(err)
	}
	if got := r.RunBytes(); got < 2*once-20 || got > 2*once {
		t.Fatalf("counted %d then %d in all", once, got)
	}
	// A shorter slice of it is another array.
	if err := r.Take(long[:4000], "x"); err != nil {
		t.Fatal(err)
	}
	if got := r.RunBytes(); got-2*once > once || got-2*once < once*3/4 {
		t.Fatalf("a shorter slice counted %d", got-2*once)
	}
}
