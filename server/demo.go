package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
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
// partner API they call at /demo/flaky-partner: it refuses the first call for two
// orders out of three with 503 and takes every later call for them, so incomplete
// executions appear, are retried automatically a minute later, and resolve — the story
// the README tells. (It used to fail two calls in three whatever they were, so the
// retries failed as often as first calls and the backlog grew for minutes.) While ctx
// lives, a demo order arrives every interval.
func (s *Server) Demo(ctx context.Context, baseURL string, interval time.Duration) ([]DemoScenario, error) {
	s.mux.Handle("/demo/flaky-partner", newFlakyPartner())
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

// flakyPartner is the demo's partner API. Orders are told apart by the orderId of the
// JSON body (a body without one counts as a new order every time).
type flakyPartner struct {
	mu     sync.Mutex
	orders int64
	failed map[string]bool // orders whose first call was refused, waiting for their retry
}

func newFlakyPartner() *flakyPartner { return &flakyPartner{failed: map[string]bool{}} }

// flakyPartnerBodyLimit bounds what the partner reads of a call: demo orders are tiny.
const flakyPartnerBodyLimit = 64 << 10

func (p *flakyPartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var order struct {
		OrderID string `json:"orderId"`
	}
	json.NewDecoder(io.LimitReader(r.Body, flakyPartnerBodyLimit)).Decode(&order)
	p.mu.Lock()
	refuse := false
	if order.OrderID != "" && p.failed[order.OrderID] {
		delete(p.failed, order.OrderID) // the retry goes through
	} else {
		p.orders++
		refuse = p.orders%3 != 0
		if refuse && order.OrderID != "" && len(p.failed) < 100_000 {
			p.failed[order.OrderID] = true
		}
	}
	p.mu.Unlock()
	if refuse {
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"error":"partner temporarily unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"accepted":true}`)
}
