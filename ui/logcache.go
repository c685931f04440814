package ui

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/weftworks/weft"
)

// logCache keeps the decoded logs of the last finished executions a person looked
// at, so paging through a long run's operations (one request per click) decodes its
// log once, not per page. A finished execution's log never changes. It is bounded by
// the stored size of the logs it holds; a log larger than the whole budget is not kept.
type logCache struct {
	mu      sync.Mutex
	budget  int
	used    int
	entries []cachedLog // oldest first
}

type cachedLog struct {
	id   string
	size int
	log  []logEntry
}

// logCacheBytes is the budget: the stored JSON of the logs kept (decoded, they take
// a little more, as their bundles stay raw JSON).
const logCacheBytes = 32 << 20

// decode returns the execution's log entries (shared: callers copy an entry before
// changing it).
func (c *logCache) decode(ex *weft.Execution) ([]logEntry, error) {
	if len(ex.Log) == 0 || string(ex.Log) == "null" {
		return nil, nil
	}
	finished := ex.FinishedAt != nil
	if finished {
		c.mu.Lock()
		for i, e := range c.entries {
			if e.id == ex.ID {
				// Most recent last.
				c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
				c.mu.Unlock()
				return e.log, nil
			}
		}
		c.mu.Unlock()
	}
	var log []logEntry
	if err := json.Unmarshal(ex.Log, &log); err != nil {
		return nil, fmt.Errorf("execution %s: read its log: %w", ex.ID, err)
	}
	if !finished || len(ex.Log) > c.budget {
		return log, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.used+len(ex.Log) > c.budget && len(c.entries) > 0 {
		c.used -= c.entries[0].size
		c.entries = c.entries[1:]
	}
	c.entries = append(c.entries, cachedLog{id: ex.ID, size: len(ex.Log), log: log})
	c.used += len(ex.Log)
	return log, nil
}
