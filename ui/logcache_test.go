package ui

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

// TestLogCache: a finished execution's log is decoded once and kept within the byte
// budget (oldest dropped first); a running one's is never kept.
func TestLogCache(t *testing.T) {
	done := time.Now()
	ex := func(id string, finished bool) *weft.Execution {
		e := &weft.Execution{ID: id, Log: json.RawMessage(`[{"seq":1,"moduleId":1,"module":"x"}]`)}
		if finished {
			e.FinishedAt = &done
		}
		return e
	}
	c := &logCache{budget: 3 * len(ex("a", true).Log)}
	first, err := c.decode(ex("a", true))
	if err != nil || len(first) != 1 || first[0].ModuleID != 1 {
		t.Fatalf("decode: %v %v", first, err)
	}
	again, _ := c.decode(ex("a", true))
	if &again[0] != &first[0] {
		t.Error("a finished execution's log was decoded twice")
	}
	if _, err := c.decode(ex("run", false)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b", "c", "d"} {
		if _, err := c.decode(ex(id, true)); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, e := range c.entries {
		ids = append(ids, e.id)
	}
	if len(ids) != 3 || ids[0] != "b" || ids[2] != "d" || c.used > c.budget {
		t.Fatalf("kept %v (%d of %d bytes)", ids, c.used, c.budget)
	}
	if _, err := c.decode(&weft.Execution{ID: "bad", Log: json.RawMessage(`{`), FinishedAt: &done}); err == nil {
		t.Error("a broken log decoded")
	}
}
