package iml

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/limits"
)

// limited returns an env under l (zero fields: defaults) whose clock is now.
func limited(scope Scope, l limits.Limits, now func() time.Time) *Env {
	return &Env{Scope: scope, Limits: limits.Start(l, limits.Limits{}, now)}
}

// evalErrKey evaluates src and returns the key of the limit it exceeded ("" for none)
// and the error.
func evalErrKey(t *testing.T, env *Env, src string) (string, error) {
	t.Helper()
	tpl, err := ParseTemplate(src)
	if err != nil {
		t.Fatalf("parse %s: %v", src, err)
	}
	_, err = tpl.Eval(env)
	if ex, ok := limits.As(err); ok {
		return ex.Key, err
	}
	return "", err
}

func TestTenMillionItemsAreRefusedBeforeTheyAreMade(t *testing.T) {
	// The attack from the issue: 10,000 characters split into characters, joined with
	// a 1,000-character separator (10 MB), split into characters again: 10 million
	// items. The last split is refused from the count, before any piece is made.
	chars := strings.Repeat("x", 10_000)
	sep := strings.Repeat("-", 1_000)
	for _, src := range []string{
		`{{split(join(split("` + chars + `"; ""); "` + sep + `"); "")}}`,
		`{{split(join(split(1.text; ""); 1.sep); "")}}`,
	} {
		env := limited(scope{1: map[string]any{"text": chars, "sep": sep}}, limits.Limits{}, nil)
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		key, err := evalErrKey(t, env, src)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		var we *weft.Error
		if key != "maxArrayItems" || !errors.As(err, &we) || we.Type != weft.MaxResultsExceededError {
			t.Fatalf("%.60s…: %v", src, err)
		}
		if !strings.Contains(we.Message, "split() would make 10009000 items") {
			t.Fatalf("message: %s", we.Message)
		}
		// 10 million one-character strings and their []any would be ~400 MB.
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 100<<20 {
			t.Fatalf("allocated %d MB to refuse", grew>>20)
		}
	}
	// Without limits (outside a run) the functions behave as before.
	if v := evalT(t, &Env{}, `{{length(split("abc"; ""))}}`); v != 3.0 {
		t.Fatal(v)
	}
}

func TestTextLimitWhereTextGrows(t *testing.T) {
	big := strings.Repeat("b", 600)
	arr := make([]any, 100)
	for i := range arr {
		arr[i] = big // 100 references to one text: 60 KB as text
	}
	sc := scope{1: map[string]any{"big": big, "arr": arr, "words": []any{"a", "b", "c"}}}
	for _, c := range []struct{ src, what string }{
		{`{{join(1.words; "` + strings.Repeat("+", 30_000) + `")}}`, "join()"},
		{`{{toString(1.arr)}}`, "toString()"},
		{`{{1.arr}}!`, "the template"},
		{`{{1.big}}{{1.big}}{{1.big}}{{1.big}}{{1.big}}{{1.big}}{{1.big}}{{1.big}}{{1.big}}`, "the template"},
		{`{{1.big + 1.big + 1.big + 1.big + 1.big + 1.big + 1.big + 1.big + 1.big}}`, "+"},
		{`{{replace(1.big; "b"; "` + strings.Repeat("c", 100) + `")}}`, "replace()"},
		{`{{replace(1.big; "/b/g"; "` + strings.Repeat("c", 100) + `")}}`, "replacing /b/g"},
		{`{{lower(1.arr)}}`, "lower()"},
	} {
		env := limited(sc, limits.Limits{MaxTextBytes: 5_000}, nil)
		key, err := evalErrKey(t, env, c.src)
		if key != "maxTextBytes" || !strings.Contains(err.Error(), c.what) {
			t.Errorf("%.50s: %v; want maxTextBytes from %s", c.src, err, c.what)
		}
	}
	// Array functions read arrays as such: no text is made, nothing is refused.
	env := limited(sc, limits.Limits{MaxTextBytes: 5_000}, nil)
	if v := evalT(t, env, `{{length(1.arr)}}`); v != 100.0 {
		t.Fatal(v)
	}
}

func TestArrayLimitWhereArraysGrow(t *testing.T) {
	ten := make([]any, 10)
	for i := range ten {
		ten[i] = []any{1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0}
	}
	sc := scope{1: map[string]any{"nested": ten, "flat": ten[0]}}
	for _, c := range []struct{ src, what string }{
		{`{{flatten(1.nested)}}`, "flatten()"},
		{`{{merge(1.flat; 1.flat; 1.flat; 1.flat; 1.flat; 1.flat)}}`, "merge()"},
		{`{{add(1.flat; 1; 2; 3; 4; 5; 6; 7; 8; 9; 10; 11)}}`, "add()"},
		{`{{split("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,1,2,3,4,5,6,7,8,9,0,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o"; ",")}}`, "split()"},
		{`{{keys(1.nested[1])}}{{split("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51"; " ")}}`, "split()"},
	} {
		env := limited(sc, limits.Limits{MaxArrayItems: 20}, nil)
		key, err := evalErrKey(t, env, c.src)
		if key != "maxArrayItems" || !strings.Contains(err.Error(), c.what) {
			t.Errorf("%s: %v; want maxArrayItems from %s", c.src, err, c.what)
		}
	}
}

// steppingClock advances by step at every reading, so a run's deadline passes after a
// known number of looks at the clock, whatever the machine's speed.
func steppingClock(step time.Duration) func() time.Time {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

func TestDeadlineInsideLoops(t *testing.T) {
	n := 100_000
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"k": float64(n - i), "v": "x"}
	}
	sc := scope{1: map[string]any{"items": items}}
	// The deadline is 60 looks at the clock away; a loop over 100,000 elements looks
	// every 4,096 iterations (24 times), sort once per 4,096 comparisons (~400 times).
	for _, c := range []struct {
		src  string
		step time.Duration
	}{
		{`{{sort(1.items; "asc"; "k")}}`, time.Second},
		{`{{map(1.items; "k")}}`, 3 * time.Second},
		{`{{distinct(1.items; "k")}}`, 3 * time.Second},
		{`{{toCollection(1.items; "k"; "v")}}`, 3 * time.Second},
	} {
		env := limited(sc, limits.Limits{RunTimeout: time.Minute}, steppingClock(c.step))
		key, err := evalErrKey(t, env, c.src)
		var we *weft.Error
		if key != "runTimeout" || !errors.As(err, &we) || we.Type != weft.ModuleTimeoutError {
			t.Errorf("%s: %v; want the runTimeout error", c.src, err)
		}
	}
	// Cheap calls look at the clock every 256 calls.
	env := limited(scope{1: map[string]any{"a": "A"}}, limits.Limits{RunTimeout: time.Minute}, steppingClock(time.Minute))
	tpl := MustParseTemplate(`{{lower(1.a)}}`)
	var err error
	calls := 0
	for ; err == nil && calls < 1000; calls++ {
		_, err = tpl.Eval(env)
	}
	if ex, ok := limits.As(err); !ok || ex.Key != "runTimeout" || calls > 2*checkEvery {
		t.Fatalf("after %d calls: %v", calls, err)
	}
}

func TestRegexBudgetInMappingsAndFilters(t *testing.T) {
	text := strings.Repeat("a", 40) + "!"
	sc := scope{1: map[string]any{"t": text}}
	env := limited(sc, limits.Limits{RegexBudget: 200 * time.Millisecond}, nil)
	key, err := evalErrKey(t, env, `{{replace(1.t; "/(a+)+$/"; "x")}}`)
	var we *weft.Error
	if key != "regexBudget" || !errors.As(err, &we) || we.Type != weft.DataError {
		t.Fatalf("replace: %v", err)
	}
	// The budget is the run's: the filter of the next module fails at once.
	f := MustCompileFilter([][]Condition{{{A: "{{1.t}}", O: "text:pattern", B: "b"}}})
	_, err = f.Match(env)
	if ex, ok := limits.As(err); !ok || ex.Key != "regexBudget" {
		t.Fatalf("filter: %v", err)
	}
}

func TestConstantFoldingIsBounded(t *testing.T) {
	// Ten nested replacements of constants grow 10× each: 10^11 bytes if folded
	// blindly while the blueprint compiles. Folding stops at the default limits and
	// leaves the rest to run time, where the run's limit refuses it.
	src := `{{` + strings.Repeat(`replace(`, 10) + `"aaaaaaaaaa"` + strings.Repeat(`; "a"; "aaaaaaaaaa")`, 10) + `}}`
	tpl, err := ParseTemplate(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tpl.single.(*constNode); ok {
		t.Fatal("folded past the text limit")
	}
	env := limited(nil, limits.Limits{}, nil)
	if _, err := tpl.Eval(env); err == nil {
		t.Fatal("evaluated 10^11 bytes")
	} else if ex, ok := limits.As(err); !ok || ex.Key != "maxTextBytes" {
		t.Fatal(err)
	}
}

// Fusion's array and date functions are bounded like Make's: arrayDifference's result
// by maxArrayItems, its loops and dateMax/dateMin's by the run's deadline, and the
// functions that read arrays as such never turn them into text.
func TestFusionFunctionsWithinLimits(t *testing.T) {
	ten := []any{1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0}
	other := []any{11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0}
	sc := scope{1: map[string]any{"a": ten, "b": other}}
	env := limited(sc, limits.Limits{MaxArrayItems: 20}, nil)
	if key, err := evalErrKey(t, env, `{{arrayDifference(1.a; 1.b; "symmetric")}}`); key != "maxArrayItems" || !strings.Contains(err.Error(), "arrayDifference()") {
		t.Errorf("symmetric difference of 21 items: %v", err)
	}
	if v := evalT(t, env, `{{length(arrayDifference(1.a; 1.b))}}`); v != 10.0 {
		t.Errorf("classic difference: %v", v)
	}

	n := 100_000
	dates := make([]any, n)
	for i := range dates {
		dates[i] = "2016-01-01T00:00:00Z"
	}
	sc = scope{1: map[string]any{"dates": dates, "nums": append(make([]any, 0, n), dates...)}}
	for _, src := range []string{`{{dateMax(1.dates)}}`, `{{dateMin(1.dates)}}`, `{{arrayDifference(1.dates; 1.nums; "symmetric")}}`} {
		env := limited(sc, limits.Limits{RunTimeout: time.Minute}, steppingClock(3*time.Second))
		if key, err := evalErrKey(t, env, src); key != "runTimeout" {
			t.Errorf("%s: %v; want the runTimeout error", src, err)
		}
	}

	big := make([]any, 100)
	for i := range big {
		big[i] = strings.Repeat("b", 600)
	}
	env = limited(scope{1: map[string]any{"arr": big}}, limits.Limits{MaxTextBytes: 5_000}, nil)
	for _, src := range []string{`{{isBlank(1.arr)}}`, `{{in(1.arr; 1.arr)}}`, `{{arrayElement(1.arr; 2)}}`, `{{case(1; 1.arr)}}`, `{{ifin(1.arr; 1.arr; 1; 2)}}`} {
		if _, err := MustParseTemplate(src).Eval(env); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}
