package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Error is an API error: {"error":{"code","message","details"}} with Status.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details"`
}

func (e *Error) Error() string { return e.Message }

// Error codes, one per status (the status says the class, the code is stable text for
// clients to switch on).
const (
	codeInvalid          = "invalid_input"     // 400
	codeNotFound         = "not_found"         // 404
	codeConflict         = "conflict"          // 409
	codeTooLarge         = "too_large"         // 413
	codeInvalidBlueprint = "invalid_blueprint" // 422
	codeInternal         = "internal"          // 500
	codeStorageFull      = "storage_full"      // 507
	codeTriggerFailed    = "trigger_failed"    // 502
	// codeBusy: the resource is being worked on right now (an incomplete execution's
	// attempt, a sequential scenario's run): the same request may succeed later.
	codeBusy = "busy" // 409
	// codeAmbiguousID: an id prefix that starts several ids (details.matches).
	codeAmbiguousID = "ambiguous_id" // 400
	codeCheckFailed = "check_failed" // 502: a read-back call could not tell
)

// invalid is a 400 naming the field at fault.
func invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: codeInvalid, Message: field + ": " + fmt.Sprintf(format, args...),
		Details: map[string]any{"field": field}}
}

func notFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: codeNotFound, Message: fmt.Sprintf(format, args...)}
}

func conflict(details any, format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: codeConflict, Message: fmt.Sprintf(format, args...), Details: details}
}

// busy is a 409 whose request may succeed later (code busy).
func busy(details any, format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: codeBusy, Message: fmt.Sprintf(format, args...), Details: details}
}

// fail writes err as the API's error response: an *Error as it is, the domain's errors
// by their kind, anything else as a 500 whose cause goes to the log only.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		ae    *Error
		ib    *service.InvalidBlueprintError
		inv   *engine.InvalidError
		inUse *service.ScenarioInUseError
		mbe   *http.MaxBytesError
		trig  *service.TriggerError
		amb   *service.AmbiguousIDError
		conf  *bulk.ConfirmError
	)
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &mbe):
		ae = &Error{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
			Message: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	case errors.As(err, &ib):
		ae = &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidBlueprint, Message: err.Error(),
			Details: map[string]any{"problems": nonNilSlice(ib.Report.Problems), "unsupported": nonNilSlice(ib.Report.Unsupported)}}
	case errors.As(err, &inv):
		// A stored blueprint that cannot run (unsupported modules): the request
		// conflicts with the scenario's state.
		ae = conflict(map[string]any{"problems": nonNilSlice(inv.Report.Problems), "unsupported": nonNilSlice(inv.Report.Unsupported)},
			"%s", err.Error())
	case errors.As(err, &inUse):
		ae = conflict(map[string]any{"incompleteExecutions": inUse.Incomplete, "total": inUse.Total}, "%s", err.Error())
	case errors.Is(err, service.ErrNoBaseURL), errors.Is(err, service.ErrNotPolling):
		ae = conflict(nil, "%s", err.Error())
	case errors.As(err, &trig):
		// The trigger's own service refused or failed (docs/triggers.md).
		ae = &Error{Status: http.StatusBadGateway, Code: codeTriggerFailed, Message: err.Error()}
	case errors.As(err, &amb):
		ae = &Error{Status: http.StatusBadRequest, Code: codeAmbiguousID, Message: err.Error(),
			Details: map[string]any{"prefix": amb.Prefix, "matches": amb.Matches}}
	case errors.As(err, &conf):
		ae = invalid("confirmed", "must be true to delete all incomplete executions of scenario %d", conf.ScenarioID)
	case errors.Is(err, service.ErrBusy):
		// "busy: " opens the service's messages; the code says it already.
		ae = busy(nil, "%s", strings.TrimPrefix(err.Error(), service.ErrBusy.Error()+": "))
	case errors.Is(err, store.ErrNotFound):
		ae = notFound("%s", err.Error())
	case errors.Is(err, store.ErrExists):
		ae = conflict(nil, "%s", err.Error())
	case errors.Is(err, store.ErrFull):
		ae = &Error{Status: http.StatusInsufficientStorage, Code: codeStorageFull, Message: "storage is full: " + err.Error()}
	default:
		if ae = connectionError(err); ae != nil {
			break
		}
		a.Logger.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &Error{Status: http.StatusInternalServerError, Code: codeInternal,
			Message: "internal error; the server log has the details"}
	}
	writeErr(w, ae)
}

func writeErr(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, map[string]*Error{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeRaw writes stored JSON as it is (blueprints are returned byte for byte).
func writeRaw(w http.ResponseWriter, status int, raw []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
