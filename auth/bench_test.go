package auth_test

import (
	"testing"

	"github.com/weftworks/weft/auth"
)

// BenchmarkVerify is the per-request cost of authentication: hash, indexed lookup in
// SQLite, constant-time compare (the last-use write happens once a minute, not here).
func BenchmarkVerify(b *testing.B) {
	st, err := sqliteOpen(b)
	if err != nil {
		b.Fatal(err)
	}
	a := auth.New(st)
	plain, _, err := a.Create(b.Context(), "bench", []string{"admin"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(b.Context(), plain); err != nil {
			b.Fatal(err)
		}
	}
}
