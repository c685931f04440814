package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/examples"
)

// DemoScenario is one scenario `weft serve --demo` seeds.
type DemoScenario struct {
	Scenario *weft.Scenario
	HookURL  string
}

// Demo seeds the example scenarios (once; a restart finds them) and serves the flaky
// partner API they call at /demo/flaky-partner: it fails two requests out of three with
// 503, so incomplete executions appear, are retried a minute later, and resolve. While
// ctx lives, a demo order arrives every interval.
func (s *Server) Demo(ctx context.Context, baseURL string, interval time.Duration) ([]DemoScenario, error) {
	var calls atomic.Int64
	s.mux.HandleFunc("/demo/flaky-partner", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1)%3 != 0 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":"partner temporarily unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"accepted":true}`)
	})
	seeds := []struct{ source, blueprint string }{
		{"demo:order-summary", string(examples.Demo)},
		{"demo:flaky-partner", strings.ReplaceAll(string(examples.DemoFlaky), "{{WEFT_BASE_URL}}", baseURL)},
		{"demo:parse-greeting", string(examples.ParseGreeting)},
	}
	var out []DemoScenario
	for _, seed := range seeds {
		sc, err := s.svc.ImportScenario(ctx, []byte(seed.blueprint), seed.source)
		if err != nil {
			return nil, fmt.Errorf("demo scenario %s: %w", seed.source, err)
		}
		if !sc.Active {
			if sc, err = s.svc.SetActive(ctx, sc.ID, true); err != nil {
				return nil, fmt.Errorf("demo scenario %s: %w", seed.source, err)
			}
		}
		h, err := s.svc.EnsureHook(ctx, sc.ID)
		if err == nil && h == nil {
			err = errors.New("its trigger is not a webhook")
		}
		if err != nil {
			return nil, fmt.Errorf("demo scenario %s: hook: %w", seed.source, err)
		}
		out = append(out, DemoScenario{Scenario: sc, HookURL: baseURL + "/hooks/" + h.Token})
	}
	flaky := out[1]
	go func() {
		n := 0
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			n++
			payload := weft.Bundle{"orderId": fmt.Sprintf("D-%04d", n), "amount": float64(10 * n)}
			if _, err := s.svc.Accept(ctx, flaky.Scenario.ID, payload, false); err != nil && ctx.Err() == nil {
				s.log.Warn("demo order", "err", err)
			}
		}
	}()
	return out, nil
}
