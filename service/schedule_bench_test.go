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

// BenchmarkFireDue: the worker calls FireDue on every loop, so "idle" (1,000 active
// scheduled scenarios, none due) is what each loop pays; "tick" fires one due scenario
// per iteration (claim, run, record).
func BenchmarkFireDue(b *testing.B) {
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
	bp := []byte(`{"name":"b","flow":` + tickFlow + `,"metadata":{"version":1}}`)
	var ids []int64
	for range 1000 {
		sc, err := svc.CreateScenario(ctx, bp, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.SetSchedule(ctx, sc.ID, weft.Schedule{Type: "interval", Interval: 44640}); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.SetActive(ctx, sc.ID, true); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, sc.ID)
	}
	b.Run("idle", func(b *testing.B) {
		for b.Loop() {
			if got, err := svc.FireDue(ctx); err != nil || got != 0 {
				b.Fatalf("%d runs (%v)", got, err)
			}
		}
	})
	b.Run("tick", func(b *testing.B) {
		// Every iteration moves the clock a minute on a one-minute schedule: one run.
		if _, err := svc.SetSchedule(ctx, ids[0], weft.Schedule{Type: "interval", Interval: 1}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			clk.Add(time.Minute)
			if got, err := svc.FireDue(ctx); err != nil || got != 1 {
				b.Fatalf("%d runs (%v)", got, err)
			}
		}
	})
}
