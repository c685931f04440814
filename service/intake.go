package service

import (
	"context"
	"fmt"
	"slices"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
	"golang.org/x/sync/semaphore"
)

// Payload is a trigger payload as a caller received it.
type Payload struct {
	Bundle weft.Bundle
	// Stored is Bundle's tagged JSON when the caller has it already — a webhook body
	// that value.DecodeLimited found tag-safe — so it is stored as it came instead of
	// being encoded again (a 5 MB body is not re-encoded). It must decode
	// (value.UnmarshalTagged) to Bundle; nil: the service encodes Bundle.
	Stored []byte
}

// payloadBudget bounds the bytes of trigger payloads decoded and run at once, by the
// webhook intake and the worker together (Config.DecodeBytes): a payload's bundle is
// many times its text, and it stays in memory for its whole run.
type payloadBudget struct {
	sem  *semaphore.Weighted
	size int64
}

func newPayloadBudget(size int64) payloadBudget {
	return payloadBudget{sem: semaphore.NewWeighted(size), size: size}
}

// weigh is what a payload of n bytes takes of the budget: at least 1, at most all of it
// (a payload larger than the whole budget waits until it is empty and runs alone).
func (b payloadBudget) weigh(n int64) int64 { return min(max(n, 1), b.size) }

// ReservePayload waits until n bytes of payload fit the decode budget
// (Config.DecodeBytes), or ctx ends, and returns the release to call once the payload's
// bundle is no longer needed (stored, or its run ended). Callers reserve before reading
// or decoding a payload.
func (s *Service) ReservePayload(ctx context.Context, n int64) (release func(), err error) {
	w := s.budget.weigh(n)
	// Room now is taken even when ctx is already done (Acquire checks ctx first).
	if s.budget.sem.TryAcquire(w) {
		return func() { s.budget.sem.Release(w) }, nil
	}
	if err := s.budget.sem.Acquire(ctx, w); err != nil {
		return nil, fmt.Errorf("wait for %d bytes of the payload decode budget (%d): %w", w, s.budget.size, err)
	}
	return func() { s.budget.sem.Release(w) }, nil
}

// DecodeBytes is the decode budget's size (Config.DecodeBytes).
func (s *Service) DecodeBytes() int64 { return s.budget.size }

// storedPayload is p's stored form.
func storedPayload(p Payload) ([]byte, error) {
	if p.Stored != nil {
		return p.Stored, nil
	}
	raw, err := value.MarshalTagged(map[string]any(p.Bundle))
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return raw, nil
}

// triggerInput is the stored trigger input of a run: its bundles as a tagged JSON
// array. When every cycle is one payload whose stored form the caller has (queued
// payloads, webhook bodies), the array is written from those bytes instead of encoding
// the bundles again.
func triggerInput(cycles [][]weft.Bundle, stored [][]byte) ([]byte, error) {
	if len(stored) != len(cycles) || len(cycles) == 0 {
		return encodeBundles(slices.Concat(cycles...))
	}
	n := 1
	for i, raw := range stored {
		if raw == nil || len(cycles[i]) != 1 {
			return encodeBundles(slices.Concat(cycles...))
		}
		n += len(raw) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, raw := range stored {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, raw...)
	}
	return append(out, ']'), nil
}
