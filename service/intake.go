package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
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

// logEntryJSON is engine.LogEntry with its bundles already encoded: json.Marshal of a
// []logEntryJSON writes the bytes json.Marshal of the []engine.LogEntry writes (a test
// fills every field of LogEntry to keep the two in step).
type logEntryJSON struct {
	Seq      int              `json:"seq"`
	Cycle    int              `json:"cycle"`
	ModuleID int              `json:"moduleId"`
	Module   string           `json:"module"`
	Input    json.RawMessage  `json:"input,omitempty"`
	Output   json.RawMessage  `json:"output,omitempty"`
	Error    *engine.RunError `json:"error,omitempty"`
	Outcome  string           `json:"outcome,omitempty"`
	Start    time.Time        `json:"start"`
	Duration time.Duration    `json:"durationNs"`
	Note     string           `json:"note,omitempty"`
}

// encodeLog is json.Marshal(log), byte for byte, with the bundles encoded by
// value.AppendStdJSON instead of by reflection: a run whose trigger bundle has 400,000
// keys logs it without sorting and boxing them through encoding/json (43 MB of
// allocations for a 5 MB payload before).
func encodeLog(log []engine.LogEntry) ([]byte, error) {
	if log == nil {
		return []byte("null"), nil
	}
	out := make([]logEntryJSON, len(log))
	for i := range log {
		e := &log[i]
		o := logEntryJSON{Seq: e.Seq, Cycle: e.Cycle, ModuleID: e.ModuleID, Module: e.Module, Error: e.Error,
			Outcome: e.Outcome, Start: e.Start, Duration: e.Duration, Note: e.Note}
		var err error
		if e.Input != nil {
			if o.Input, err = stdJSON(e.Input); err != nil {
				return nil, fmt.Errorf("log entry %d input: %w", e.Seq, err)
			}
		}
		if len(e.Output) > 0 {
			var raw []byte
			raw = append(raw, '[')
			for j, b := range e.Output {
				if j > 0 {
					raw = append(raw, ',')
				}
				var ok bool
				mark := len(raw)
				if raw, ok = value.AppendStdJSON(raw, b); !ok {
					// Not canonical all through: encoding/json writes this bundle.
					if raw, err = appendMarshal(raw[:mark], b); err != nil {
						return nil, fmt.Errorf("log entry %d output: %w", e.Seq, err)
					}
				}
			}
			o.Output = append(raw, ']')
		}
		out[i] = o
	}
	return json.Marshal(out)
}

// stdJSON encodes v as encoding/json does.
func stdJSON(v any) ([]byte, error) {
	if b, ok := value.AppendStdJSON(nil, v); ok {
		return b, nil
	}
	return json.Marshal(v)
}

func appendMarshal(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(dst, b...), err
}
