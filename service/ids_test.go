package service_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Ids are found by their whole text or a unique beginning of at least four characters;
// an ambiguous beginning names some of the ids it starts.
func TestIDPrefixes(t *testing.T) {
	ids := []string{"aaaa0001", "aaaa0002", "aaab0003", "aaab0004", "aaab0005", "aa"}
	next := 0
	e := newEnv(t, func(c *service.Config) {
		c.NewID = func() string { id := ids[next%len(ids)]; next++; return id }
	})
	sc := e.scenario(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"json:ParseJSON","version":1,"mapper":{"json":"{{1.raw}}"}}]`, "")
	rr := e.run(sc, `{"raw":"{broken"}`) // execution aaaa0001, incomplete execution aaaa0002
	if rr.Result.ExecutionID != "aaaa0001" || len(rr.Incomplete) != 1 || rr.Incomplete[0].ID != "aaaa0002" {
		t.Fatalf("ids: %s %+v", rr.Result.ExecutionID, rr.Incomplete)
	}
	ctx := t.Context()
	for ref, want := range map[string]string{"aaaa0001": "aaaa0001", "aaaa000": "aaaa0001", "aaaa": "aaaa0001"} {
		if got, err := e.svc.ExecutionIDOf(ctx, ref); err != nil || got != want {
			t.Errorf("ExecutionIDOf(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	if got, err := e.svc.IncompleteIDOf(ctx, " aaaa0 "); err != nil || got != "aaaa0002" {
		t.Errorf("IncompleteIDOf(aaaa0) = %q, %v", got, err)
	}
	for _, ref := range []string{"aaaa0002x", "zzzz", "aaa", ""} {
		if _, err := e.svc.ExecutionIDOf(ctx, ref); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ExecutionIDOf(%q): %v, want not found", ref, err)
		}
	}
	if _, err := e.svc.ExecutionIDOf(ctx, "aaa"); !strings.Contains(err.Error(), "at least 4 characters") {
		t.Errorf("a short prefix's error says why: %v", err)
	}
	e.run(sc, `{"raw":"{broken"}`) // execution aaab0003, incomplete execution aaab0004
	e.run(sc, `{"raw":"{ok"}`)     // execution aaab0005 (and a third incomplete execution "aa")
	_, err := e.svc.ExecutionIDOf(ctx, "aaab")
	var amb *service.AmbiguousIDError
	if !errors.As(err, &amb) || amb.What != "execution" || strings.Join(amb.Matches, ",") != "aaab0003,aaab0005" {
		t.Fatalf("ambiguous prefix: %v", err)
	}
	if err.Error() != "execution id aaab is ambiguous: it starts aaab0003, aaab0005…; give more characters" {
		t.Fatalf("message: %s", err)
	}
	// A whole id wins over the longer ids it starts.
	if got, err := e.svc.IncompleteIDOf(ctx, "aa"); err != nil || got != "aa" {
		t.Fatalf("IncompleteIDOf(aa) = %q, %v", got, err)
	}
}
