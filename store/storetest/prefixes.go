package storetest

import (
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// testIDPrefixes: executions and incomplete executions by the beginning of their id,
// for the stores that offer it (store.IDPrefixes is optional).
func testIDPrefixes(t *testing.T, s store.Store) {
	p, ok := s.(store.IDPrefixes)
	if !ok {
		t.Skip("this store takes whole ids only (no store.IDPrefixes)")
	}
	ctx := ctxT(t)
	sc := newScenario(t, s, "P")
	for _, id := range []string{"abc1", "abc2", "abd0", "ab", "b", "abz"} {
		must(t, s.CreateExecution(ctx, &weft.Execution{ID: id, ScenarioID: sc.ID, Version: 1, Kind: weft.KindRun,
			Status: weft.ExecutionRunning, StartedAt: at(0)}), "create execution "+id)
		createIE(t, s, newIE("i"+id, sc.ID, weft.IncompleteUnresolved, at(0)))
	}
	for _, c := range []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"abc", 10, []string{"abc1", "abc2"}},
		{"ab", 10, []string{"ab", "abc1", "abc2", "abd0", "abz"}},
		{"ab", 2, []string{"ab", "abc1"}},
		{"abc2", 10, []string{"abc2"}},
		{"abc3", 10, nil},
		{"z", 10, nil},
		{"abz", 10, []string{"abz"}},
	} {
		got, err := p.ExecutionIDsWithPrefix(ctx, c.prefix, c.limit)
		must(t, err, "executions with prefix "+c.prefix)
		equal(t, got, c.want, "executions with prefix "+c.prefix)
		got, err = p.IncompleteIDsWithPrefix(ctx, "i"+c.prefix, c.limit)
		must(t, err, "incomplete executions with prefix i"+c.prefix)
		var want []string
		for _, id := range c.want {
			want = append(want, "i"+id)
		}
		equal(t, got, want, "incomplete executions with prefix i"+c.prefix)
	}
	if _, err := p.ExecutionIDsWithPrefix(ctx, "", 10); err == nil {
		t.Fatal("an empty prefix is refused")
	}
	if _, err := p.IncompleteIDsWithPrefix(ctx, "a", 0); err == nil {
		t.Fatal("a limit below 1 is refused")
	}
}
