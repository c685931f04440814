package service_test

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/sqlite"
)

// BenchmarkCallSubscenario is what a waiting call adds to a run: "direct" runs a
// scenario that composes a text; "call" runs one that calls a scenario doing it (Start
// scenario → Compose → Return output) and maps what it returned. The difference is the
// called run's two recorded writes (its execution before it starts, its end after) and
// its compile-once plan lookup.
func BenchmarkCallSubscenario(b *testing.B) {
	ctx := b.Context()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reg, err := all.Registry()
	if err != nil {
		b.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	n := 0
	svc, err := service.New(service.Config{Store: st, Registry: reg, Clock: clk.Now,
		NewID:  func() string { n++; return fmt.Sprintf("b%09d", n) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	compose := `{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"hello {{1.name}}"}}`
	create := func(flow string) int64 {
		sc, err := svc.CreateScenario(ctx, []byte(`{"name":"b","flow":`+flow+`,"metadata":{"version":1}}`), "")
		if err != nil {
			b.Fatal(err)
		}
		return sc.ID
	}
	direct := create(`[{"id":1,"module":"placeholder:Placeholder"},` + compose + `]`)
	child := create(`[{"id":1,"module":"scenario-service:StartSubscenario","metadata":{"interface":[{"name":"name","type":"text","required":true}]}},` +
		compose + `,{"id":3,"module":"scenario-service:ReturnData","mapper":{"text":"{{2.value}}"}}]`)
	if _, err := svc.SetActive(ctx, child, true); err != nil {
		b.Fatal(err)
	}
	call := create(fmt.Sprintf(`[{"id":1,"module":"placeholder:Placeholder"},
		{"id":2,"module":"scenario-service:CallSubscenario","parameters":{"scenario":"%d"},"mapper":{"name":"{{1.name}}"}},
		{"id":3,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{2.text}}"}}]`, child))
	for _, c := range []struct {
		name string
		id   int64
	}{{"direct", direct}, {"call", call}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rr, err := svc.Run(ctx, c.id, []weft.Bundle{{"name": "Ada"}})
				if err != nil || rr.Result.Status != weft.StatusSuccess {
					b.Fatalf("%v %+v", err, rr)
				}
			}
		})
	}
}
