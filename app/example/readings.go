package example

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// Reading is one city's latest observation.
type Reading struct {
	City        string
	Temperature float64
	ObservedAt  time.Time
}

// Readings is the store example:SaveReading commits to: the latest reading per city,
// in memory. (A real app would write a database here; the transactional pattern is the
// same.) It is safe for concurrent use.
type Readings struct {
	mu     sync.Mutex
	byCity map[string]Reading
}

// NewReadings returns an empty store.
func NewReadings() *Readings { return &Readings{byCity: map[string]Reading{}} }

// Get returns the reading of a city (case-insensitive).
func (r *Readings) Get(city string) (Reading, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.byCity[strings.ToLower(city)]
	return v, ok
}

// Cities lists the cities with a reading, sorted.
func (r *Readings) Cities() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.byCity))
	for _, v := range r.byCity {
		out = append(out, v.City)
	}
	slices.Sort(out)
	return out
}

// apply writes a committed write set in one step: readers never see half of a cycle.
// An older observation never replaces a newer one (retries may arrive late).
func (r *Readings) apply(ws map[string]Reading) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, v := range ws {
		if old, ok := r.byCity[k]; ok && old.ObservedAt.After(v.ObservedAt) {
			continue
		}
		r.byCity[k] = v
	}
}

func saveReadingSpec(store *Readings) app.Spec {
	return app.Spec{
		Name:  "example:SaveReading",
		Label: "Weather: Save a reading",
		Help:  "Keeps the latest reading of a city. Transactional: written when the cycle commits, dropped when it rolls back.",
		// ACID: the engine calls the module's Commit or Rollback at the end of each
		// cycle (or right after each operation when the scenario's autoCommit is on).
		ACID: true,
		// No I/O until Commit: Run cannot hang, so it needs no deadline.
		Timeout: -1,
		Mapper: []app.Field{
			{Name: "city", Label: "City", Type: app.TypeText, Required: true},
			{Name: "temperature", Label: "Temperature", Type: app.TypeNumber, Required: true, Min: -150, Max: 150},
			{Name: "observedAt", Label: "Observed at", Type: app.TypeDate,
				Help: "When the reading was taken; defaults to the run's clock."},
		},
		New: func(app.Config) (app.Module, error) { return &saveReading{store: store}, nil },
	}
}

// saveReading implements app.Module and app.Transactional. The instance is shared by
// every run of a blueprint version, so the pending writes of a run live in the run's
// state (Exec.State), under a key only this module instance uses.
type saveReading struct{ store *Readings }

// writeSet is one run's uncommitted readings, by lower-cased city. A run calls its
// modules one at a time, so it needs no lock.
type writeSet map[string]Reading

// pending returns this module's write set in the run exec.
func (m *saveReading) pending(exec app.Execution) writeSet {
	return exec.State(m, func() any { return writeSet{} }).(writeSet)
}

func (m *saveReading) Run(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
	rd := Reading{City: strings.TrimSpace(c.Input["city"].(string)),
		Temperature: c.Input["temperature"].(float64), ObservedAt: c.Exec.Now().UTC()}
	if t, ok := c.Input["observedAt"].(time.Time); ok {
		rd.ObservedAt = t.UTC()
	}
	if rd.City == "" {
		return nil, weft.Errorf(weft.DataError, "city: only spaces")
	}
	m.pending(c.Exec)[strings.ToLower(rd.City)] = rd
	return []weft.Bundle{{"city": rd.City, "temperature": rd.Temperature, "observedAt": rd.ObservedAt}}, nil
}

// Commit applies the cycle's writes. A Commit error would end the run with an
// InconsistencyError (part of the cycle committed, part not), so Commit does only what
// cannot fail for reasons of data: Run already validated everything.
func (m *saveReading) Commit(_ context.Context, exec app.Execution) error {
	ws := m.pending(exec)
	m.store.apply(ws)
	clear(ws)
	return nil
}

// Rollback forgets the cycle's writes: nothing reached the store.
func (m *saveReading) Rollback(_ context.Context, exec app.Execution) error {
	clear(m.pending(exec))
	return nil
}

var _ app.Transactional = (*saveReading)(nil)
