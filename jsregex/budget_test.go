package jsregex

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/limits"
)

// catastrophic backtracks exponentially on a run of a's that does not end the text.
var catastrophic = MustCompile(`(a+)+$`, "")

func budgetKey(err error) string {
	if ex, ok := limits.As(err); ok {
		return ex.Key
	}
	return ""
}

func TestRunBudgetStopsASearch(t *testing.T) {
	// The regex's own timeout is 5 s; the run has 200 ms: the search stops at the run's
	// budget and says so (it would report ErrTimeout after 5 s otherwise).
	text := strings.Repeat("a", 40) + "!"
	for name, search := range map[string]func(*limits.Run) error{
		"MatchStringIn": func(run *limits.Run) error { _, err := catastrophic.MatchStringIn(run, text); return err },
		"FindAllIn":     func(run *limits.Run) error { _, err := catastrophic.FindAllIn(run, text, -1); return err },
		"ReplaceIn":     func(run *limits.Run) error { _, err := catastrophic.ReplaceIn(run, text, "x", true); return err },
	} {
		run := limits.Start(limits.Limits{RegexBudget: 200 * time.Millisecond}, limits.Limits{}, nil)
		err := search(run)
		if budgetKey(err) != "regexBudget" || errors.Is(err, ErrTimeout) {
			t.Fatalf("%s: %v; want the regexBudget error", name, err)
		}
		var we *weft.Error
		if !errors.As(err, &we) || we.Type != weft.DataError || !strings.Contains(we.Message, "regexBudget of 200ms") {
			t.Fatalf("%s: %#v", name, err)
		}
		// Spent: the next search of the run fails at once, even a harmless one.
		if _, err := MustCompile(`b`, "").MatchStringIn(run, "abc"); budgetKey(err) != "regexBudget" {
			t.Fatalf("%s: after the budget is spent: %v", name, err)
		}
	}
}

func TestRunBudgetCountsEverySearch(t *testing.T) {
	run := limits.Start(limits.Limits{}, limits.Limits{}, nil)
	re := MustCompile(`\d+`, "g")
	for range 100 {
		if _, err := re.ReplaceIn(run, "order 17, line 4", "#", true); err != nil {
			t.Fatal(err)
		}
	}
	left, err := run.RegexLeft()
	if err != nil || left >= run.RegexBudget {
		t.Fatalf("searches spent nothing: %v left of %v (%v)", left, run.RegexBudget, err)
	}
	// Without a run nothing is counted and nothing is refused.
	if ok, err := re.MatchStringIn(nil, "7"); !ok || err != nil {
		t.Fatal(ok, err)
	}
}

func TestRunLimitsOnResults(t *testing.T) {
	run := limits.Start(limits.Limits{MaxTextBytes: 10_000, MaxArrayItems: 2_000}, limits.Limits{}, nil)
	// Every character becomes 1,000: the result is refused once it passes 10,000 bytes.
	_, err := MustCompile(`.`, "g").ReplaceIn(run, strings.Repeat("z", 1000), strings.Repeat("y", 1000), true)
	if budgetKey(err) != "maxTextBytes" {
		t.Fatalf("replace: %v", err)
	}
	ms, err := MustCompile(`.`, "").FindAllIn(run, strings.Repeat("q", 5000), -1)
	if budgetKey(err) != "maxArrayItems" || len(ms) > 2048 {
		t.Fatalf("find all: %d matches, %v", len(ms), err)
	}
	if _, err := MustCompile(`.`, "").FindAllIn(run, strings.Repeat("q", 2000), -1); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}
