package storetest

import (
	"testing"

	"github.com/weftworks/weft/store"
)

func testAudit(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	list, err := s.ListAudit(ctx, 0, 10)
	must(t, err, "list an empty audit log")
	equal(t, len(list), 0, "entries of a fresh store")
	var added []*store.AuditEntry
	for i, a := range []string{"scenarios/new", "scenarios/{id}/delete", "members/invite"} {
		e := &store.AuditEntry{At: at(i), Actor: "ada@example.org", Action: a, Target: "t" + a}
		must(t, s.AddAudit(ctx, e), "add "+a)
		if len(added) > 0 && e.ID <= added[len(added)-1].ID {
			t.Fatalf("audit ids do not increase: %d after %d", e.ID, added[len(added)-1].ID)
		}
		added = append(added, e)
	}
	if err := s.AddAudit(ctx, &store.AuditEntry{At: at(9), Action: "x"}); err == nil {
		t.Error("an entry without an actor was added")
	}
	list, err = s.ListAudit(ctx, 0, 2)
	must(t, err, "newest two")
	equal(t, list, []*store.AuditEntry{added[2], added[1]}, "newest first, limited")
	list, err = s.ListAudit(ctx, added[1].ID, 10)
	must(t, err, "the page before the second")
	equal(t, list, []*store.AuditEntry{added[0]}, "older page")
}
