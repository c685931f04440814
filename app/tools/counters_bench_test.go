package tools_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/tools"
)

// BenchmarkScenarioCounter is one increment of a counter that never resets: one write
// transaction on a SQLite file (its fsync is most of the cost). Parallel increments of
// one counter share the store's group commits.
func BenchmarkScenarioCounter(b *testing.B) {
	st := openStore(b, filepath.Join(b.TempDir(), "weft.db"))
	s := apptest.Spec(b, func(r *app.Registry) error {
		return tools.RegisterOptions(r, tools.Options{Counters: st})
	}, "util:FunctionIncrement")
	m, err := s.New(app.Config{ModuleID: 3, Parameters: weft.Bundle{"reset": "scenario"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		c := &app.Call{ModuleID: 3, Input: weft.Bundle{}, Exec: inScenario("1")}
		for b.Loop() {
			if _, err := m.Run(context.Background(), c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			c := &app.Call{ModuleID: 3, Input: weft.Bundle{}, Exec: inScenario("2")}
			for pb.Next() {
				if _, err := m.Run(context.Background(), c); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
