package sqlapp_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/sqlapp"
)

// benchTargets runs a benchmark against a fresh database of each kind.
func benchTargets(b *testing.B, f func(b *testing.B, h *harness)) {
	for _, k := range []struct {
		name string
		mk   func(testing.TB) *target
	}{{"postgres", postgresTarget}, {"sqlite", sqliteTarget}} {
		b.Run(k.name, func(b *testing.B) {
			h := newHarness(b, k.mk(b), sqlapp.Options{})
			b.ReportAllocs()
			b.ResetTimer()
			f(b, h)
		})
	}
}

// BenchmarkInsertRow is one InsertRow as the engine runs it with autoCommit: the
// statement in a fresh transaction, then its commit.
func BenchmarkInsertRow(b *testing.B) {
	benchTargets(b, func(b *testing.B, h *harness) {
		ctx := context.Background()
		m, spec, p := h.module("InsertRow", nil)
		for i := 0; b.Loop(); i++ {
			in, err := app.PrepareInput(spec, weft.Bundle{"table": "users",
				"values": map[string]any{"id": float64(i), "email": "u" + strconv.Itoa(i), "age": 30.0}})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.Run(ctx, &app.Call{Input: in, Params: p, Exec: h.exec}); err != nil {
				b.Fatal(err)
			}
			if err := m.(app.Transactional).Commit(ctx, h.exec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSelectRows100 reads 100 rows into 100 bundles (and commits the read).
func BenchmarkSelectRows100(b *testing.B) {
	benchTargets(b, func(b *testing.B, h *harness) {
		ctx := context.Background()
		h.tg.exec(b, "INSERT INTO users (id, email, age) SELECT n, 'u' || n, n % 90 FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100) SELECT n FROM c) s")
		m, spec, p := h.module("SelectRows", nil)
		in, err := app.PrepareInput(spec, weft.Bundle{"table": "users", "orderBy": []any{map[string]any{"column": "id"}}})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			out, err := m.Run(ctx, &app.Call{Input: in, Params: p, Exec: h.exec})
			if err != nil || len(out) != 100 {
				b.Fatalf("%d rows, %v", len(out), err)
			}
			if err := m.(app.Transactional).Commit(ctx, h.exec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
