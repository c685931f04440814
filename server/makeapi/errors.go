package makeapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/schedule"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Error is Make's error shape: {"detail", "message", "code"} and, for problems with a
// list of causes (an invalid blueprint), "suberrors". The SDK shows detail (or
// message) and the suberrors' messages.
type Error struct {
	Status int `json:"-"`
	// Message is the class of the error ("Bad Request", "Not Found").
	Message string `json:"message"`
	// Detail says what exactly is wrong, naming the field or resource.
	Detail string `json:"detail"`
	// Code is Make's: SC followed by the status for most errors, IM004 when a
	// destructive request lacks confirmed=true.
	Code      string     `json:"code"`
	Suberrors []Suberror `json:"suberrors,omitempty"`
}

// Suberror is one cause of an Error.
type Suberror struct {
	Message string `json:"message"`
	// Pointer is the JSON pointer of a blueprint problem (weft's addition: Make's
	// suberrors carry only a message).
	Pointer string `json:"pointer,omitempty"`
}

func (e *Error) Error() string { return e.Detail }

// Codes that are not SC + status.
const codeConfirm = "IM004" // a destructive request without confirmed=true (406)

// invalid is a 400 naming the parameter or field at fault.
func invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Detail: field + ": " + fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf(format, args...)}
}

// refused is a request the resource's state refuses. Make answers those with 400 (it
// has no 409), so does /api/v2.
func refused(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, args...)}
}

// needConfirmation is Make's IM004: deleting all of something needs confirmed=true.
func needConfirmation(what string) *Error {
	return &Error{Status: http.StatusNotAcceptable, Code: codeConfirm, Message: "Confirmation required",
		Detail: what + " needs the query parameter confirmed=true"}
}

// fail writes err as Make's error response: an *Error as it is, the domain's errors by
// their kind, anything else as a 500 whose cause goes to the log only.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		me    *Error
		ib    *service.InvalidBlueprintError
		inv   *engine.InvalidError
		inUse *service.ScenarioInUseError
		cUse  *service.ConnectionInUseError
		mbe   *http.MaxBytesError
		trig  *service.TriggerError
		sched *schedule.Error
	)
	switch {
	case errors.As(err, &me):
	case errors.As(err, &mbe):
		me = &Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	case errors.As(err, &ib):
		me = &Error{Status: http.StatusBadRequest, Message: "Invalid blueprint", Detail: err.Error()}
		for _, p := range ib.Report.Problems {
			me.Suberrors = append(me.Suberrors, Suberror{Message: p.Message, Pointer: p.Pointer})
		}
		for _, u := range ib.Report.Unsupported {
			me.Suberrors = append(me.Suberrors, Suberror{Pointer: u.Pointer,
				Message: fmt.Sprintf("module %d: %s is not a module weft has", u.ModuleID, u.Type)})
		}
	case errors.As(err, &inv):
		me = &Error{Status: http.StatusBadRequest, Message: "Scenario cannot run", Detail: err.Error()}
		for _, p := range inv.Report.Problems {
			me.Suberrors = append(me.Suberrors, Suberror{Message: p.Message, Pointer: p.Pointer})
		}
	case errors.As(err, &inUse):
		me = refused("%s; delete them first, or confirm with confirmed=true", err.Error())
	case errors.As(err, &cUse):
		me = refused("%s", err.Error())
	case errors.As(err, &sched):
		me = invalid("scheduling", "%s", err.Error())
	case errors.Is(err, service.ErrNoBaseURL), errors.Is(err, service.ErrNotPolling), errors.Is(err, service.ErrBusy):
		me = refused("%s", err.Error())
	case errors.As(err, &trig):
		me = &Error{Status: http.StatusBadGateway, Detail: err.Error()}
	case errors.Is(err, store.ErrNotFound):
		me = notFound("%s", err.Error())
	case errors.Is(err, store.ErrExists):
		me = refused("%s", err.Error())
	case errors.Is(err, store.ErrFull):
		me = &Error{Status: http.StatusInsufficientStorage, Detail: "storage is full: " + err.Error()}
	case errors.Is(err, service.ErrNoSecrets):
		a.Logger.Error("make api", "method", r.Method, "path", r.URL.Path, "err", err)
		me = &Error{Status: http.StatusInternalServerError, Detail: err.Error()}
	default:
		a.Logger.Error("make api", "method", r.Method, "path", r.URL.Path, "err", err)
		me = &Error{Status: http.StatusInternalServerError, Detail: "internal error; the server log has the details"}
	}
	writeErr(w, me)
}

// statusText is the message of an error that has none of its own.
var statusText = map[int]string{
	400: "Bad Request", 401: "Unauthorized", 403: "Permission denied", 404: "Not Found",
	405: "Method Not Allowed", 406: "Not Acceptable", 413: "Payload Too Large", 429: "Too Many Requests",
	500: "Internal Server Error", 502: "Bad Gateway", 507: "Insufficient Storage",
}

func writeErr(w http.ResponseWriter, e *Error) {
	if e.Message == "" {
		e.Message = statusText[e.Status]
	}
	if e.Code == "" {
		e.Code = fmt.Sprintf("SC%d", e.Status)
	}
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
