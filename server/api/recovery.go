package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Outcome unknown and circuit breakers (docs/incomplete-executions.md §9, §10).

type checkBody struct {
	URL string `json:"url"`
}

// checkIncomplete runs the read-back call of the failing module.
func (a *api) checkIncomplete(w http.ResponseWriter, r *http.Request) error {
	var b checkBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.URL) == "" {
		return invalid("url", "is required: where the read-back finds the write (absolute, or relative to the call's URL)")
	}
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	res, err := a.svc.CheckOutcome(r.Context(), id, app.Check{URL: b.URL})
	var ce *engine.CheckError
	switch {
	case errors.Is(err, engine.ErrNoReadBack):
		return conflict(nil, "%s", err.Error())
	case errors.As(err, &ce):
		return &Error{Status: http.StatusBadGateway, Code: codeCheckFailed, Message: err.Error(),
			Details: map[string]any{"errorType": string(ce.Err.Type)}}
	case err != nil:
		return err
	}
	if res.Output == nil {
		res.Output = weft.Bundle{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type markDoneBody struct {
	Output json.RawMessage `json:"output"`
}

// markDone continues an incomplete execution after its failing module with a given
// output, and waits for the outcome (like retry).
func (a *api) markDone(w http.ResponseWriter, r *http.Request) error {
	var b markDoneBody
	if err := decode(r, &b); err != nil {
		return err
	}
	var out weft.Bundle
	if len(b.Output) > 0 && string(b.Output) != "null" {
		v, err := value.DecodeJSON(b.Output)
		m, ok := v.(map[string]any)
		if err != nil || !ok {
			return invalid("output", "must be a JSON object: what the module would have returned")
		}
		out = m
	}
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	before, err := a.st.GetIncomplete(r.Context(), id)
	if err != nil {
		return err
	}
	switch before.Status {
	case weft.IncompleteResolved:
		return conflict(map[string]any{"incompleteExecution": before.JSON()}, "incomplete execution %s is already resolved", id)
	case weft.IncompleteInProgress:
		return conflict(map[string]any{"incompleteExecution": before.JSON()}, "incomplete execution %s is being retried right now", id)
	}
	ctx := context.WithoutCancel(r.Context()) // the continuation is carried to its end
	rr, after, err := a.svc.MarkDone(ctx, id, out)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RetryResult{Run: viewRun(rr), IncompleteExecution: after.JSON()})
	return nil
}

// Breaker is an open circuit breaker as the API shows it (the CLI prints it too).
type Breaker struct {
	Key          string  `json:"key"`
	OpenedAt     string  `json:"openedAt"`
	NextProbeAt  string  `json:"nextProbeAt"`
	ProbeID      *string `json:"probeId"`
	Failures     int     `json:"failures"`
	ErrorType    string  `json:"errorType"`
	ErrorMessage string  `json:"errorMessage"`
	Waiting      int     `json:"waiting"`
}

func (a *api) listBreakers(w http.ResponseWriter, r *http.Request) error {
	bs, err := a.svc.Breakers(r.Context())
	if err != nil {
		return err
	}
	out := make([]Breaker, 0, len(bs))
	for _, b := range bs {
		v := Breaker{Key: b.Key, OpenedAt: weft.RFC3339(b.OpenedAt), NextProbeAt: weft.RFC3339(b.NextProbeAt),
			Failures: b.Failures, ErrorType: string(b.ErrorType), ErrorMessage: b.ErrorMessage, Waiting: b.Waiting}
		if b.ProbeID != "" {
			p := b.ProbeID
			v.ProbeID = &p
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (a *api) resetBreaker(w http.ResponseWriter, r *http.Request) error {
	n, err := a.svc.ResetBreaker(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"released": n})
	return nil
}

type previewBody struct {
	// Edits are MODULE.mapper.FIELD=VALUE or MODULE.parameters.FIELD=VALUE, as the
	// CLI's --set.
	Edits     []string        `json:"edits"`
	Blueprint json.RawMessage `json:"blueprint"`
	// From is where the continuation starts, as the retry's from.
	From json.RawMessage `json:"from"`
}

// previewIncomplete says what a retry (no body) or a resolve with edits would do.
func (a *api) previewIncomplete(w http.ResponseWriter, r *http.Request) error {
	var b previewBody
	if err := decodeOptional(r, &b); err != nil {
		return err
	}
	var edits []service.Edit
	for i, s := range b.Edits {
		e, err := service.ParseEdit(s)
		if err != nil {
			return invalid(fmt.Sprintf("edits[%d]", i), "%v", err)
		}
		edits = append(edits, e)
	}
	var raw []byte
	if len(b.Blueprint) > 0 && string(b.Blueprint) != "null" {
		raw = b.Blueprint
	}
	from, err := fromJSON(b.From)
	if err != nil {
		return err
	}
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	p, err := a.svc.PreviewResolve(r.Context(), id, from, edits, raw)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidBlueprint, Message: err.Error()}
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// retryFrom reads the retry's optional body {"from": MODULE_ID | "trigger"}.
func retryFrom(r *http.Request) (int, error) {
	var b struct {
		From json.RawMessage `json:"from"`
	}
	if err := decodeOptional(r, &b); err != nil {
		return 0, err
	}
	return fromJSON(b.From)
}

// fromJSON reads from: a module id, "trigger" (-1), or nothing (0: the failing module).
func fromJSON(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	if string(raw) == `"trigger"` {
		return -1, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil || n <= 0 {
		return 0, invalid("from", "must be a module id or \"trigger\"")
	}
	return n, nil
}
