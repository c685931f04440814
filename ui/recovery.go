package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Outcome unknown and circuit breakers on the incomplete execution pages
// (docs/incomplete-executions.md §9, §10).

// unknownData is the outcome-unknown card: the last check and the mark-done form.
type unknownData struct {
	URL    string
	Result *app.CheckResult
	// Output is the mark-done form's JSON (the read-back's output after a check that
	// found the write).
	Output string
}

// recoveryData adds the outcome-unknown card and the breaker the incomplete execution
// waits behind.
func (u *UI) recoveryData(ctx context.Context, d *ieData) error {
	ie := d.IE
	if ie.OutcomeUnknown && (ie.Status == weft.IncompleteUnresolved || ie.Status == weft.IncompletePending) {
		d.Unknown = &unknownData{Output: "{}"}
	}
	if d.Editable {
		// A preview that cannot be made (a blueprint that no longer compiles) is left
		// out; Run says why.
		d.Preview, _ = u.svc.PreviewResolve(ctx, ie.ID, 0, nil, nil)
	}
	if ie.BreakerKey == "" || ie.Status == weft.IncompleteResolved {
		return nil
	}
	b, err := u.st.GetBreaker(ctx, ie.BreakerKey)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := u.st.CountIncomplete(ctx, store.IncompleteFilter{BreakerKey: b.Key,
		Status: []weft.IncompleteStatus{weft.IncompletePending}})
	if err != nil {
		return err
	}
	d.Breaker = &service.BreakerState{Breaker: *b, Waiting: n}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// checkIncomplete runs the failing module's read-back call and shows what it found.
func (u *UI) checkIncomplete(w http.ResponseWriter, r *http.Request, s *session) error {
	target := strings.TrimSpace(r.FormValue("url"))
	keep := func(d *ieData) {
		if d.Unknown == nil {
			d.Unknown = &unknownData{Output: "{}"}
		}
		d.Unknown.URL = target
	}
	if target == "" {
		return u.renderIncompleteWith(w, r, s, http.StatusUnprocessableEntity,
			"Check: give the URL where the write would show (absolute, or relative to the call's URL).", nil, keep)
	}
	res, err := u.svc.CheckOutcome(r.Context(), r.PathValue("id"), app.Check{URL: target})
	if err != nil {
		if isNotFound(err) {
			return err
		}
		return u.renderIncompleteWith(w, r, s, http.StatusUnprocessableEntity, "Check failed: "+err.Error(), nil, keep)
	}
	return u.renderIncompleteWith(w, r, s, http.StatusOK, "", nil, func(d *ieData) {
		keep(d)
		d.Unknown.Result = res
		if res.Done {
			d.Unknown.Output = prettyJSON(json.RawMessage(value.JSON(map[string]any(res.Output))))
		}
	})
}

// markDone continues the incomplete execution after its failing module with the
// person's output; the page follows the outcome like a retry.
func (u *UI) markDone(w http.ResponseWriter, r *http.Request, s *session) error {
	ie, err := u.st.GetIncomplete(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	text := r.FormValue("output")
	out := weft.Bundle{}
	if strings.TrimSpace(text) != "" {
		v, err := value.DecodeJSON([]byte(text))
		m, ok := v.(map[string]any)
		if err != nil || !ok {
			msg := "Not marked done: the output must be a JSON object (what the module would have returned)."
			if r.Header.Get("HX-Request") != "" {
				return u.refuseInPanel(w, r, s, msg)
			}
			return u.renderIncompleteWith(w, r, s, http.StatusUnprocessableEntity, msg, nil, func(d *ieData) {
				if d.Unknown != nil {
					d.Unknown.Output = text
				}
			})
		}
		out = m
	}
	return u.startAttempt(w, r, s, ie, "Mark done", func(ctx context.Context, id string) (*service.RunResult, *weft.Incomplete, error) {
		return u.svc.MarkDone(ctx, id, out)
	})
}

// resetBreaker closes a circuit breaker by hand.
func (u *UI) resetBreaker(w http.ResponseWriter, r *http.Request, s *session) error {
	key := r.FormValue("key")
	n, err := u.svc.ResetBreaker(r.Context(), key)
	if err != nil {
		return err
	}
	back := "/incomplete"
	if b := r.FormValue("back"); b != "" {
		back = safeNext(b)
	}
	return u.flashRedirect(w, r, s, back, fmt.Sprintf("Circuit breaker %s closed: %d incomplete execution(s) are due now.", key, n))
}
