package notion

import (
	"fmt"
	"net/http"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/value"
)

// Notion's documented error codes (https://developers.notion.com/reference/status-codes)
// and their types where the status table would say otherwise.
var codeTypes = map[string]weft.ErrorType{
	// 409: "the transaction could not be completed, potentially due to a data
	// collision; make sure the parameters are up to date and try again" — transient,
	// so retried automatically like a connection failure.
	"conflict_error": weft.ConnectionError,
	// 503 database_connection_unavailable and service_unavailable are ConnectionErrors
	// by status already; 504 gateway_timeout too.
	"rate_limited": weft.RateLimitError,
	// 400 missing_version: weft always sends Notion-Version, so this is weft's fault
	// or a proxy's — a person must look.
	"missing_version": weft.InvalidConfigurationError,
}

// ErrorFor types one of Notion's error answers: the code's own type where Notion's
// documentation gives it a meaning the status does not, else the HTTP table (400
// validation_error and invalid_request → DataError, 401 unauthorized →
// InvalidAccessTokenError, 403 restricted_resource → InvalidConfigurationError, 404
// object_not_found → DataError, 429 → RateLimitError with Retry-After, 500 → RuntimeError,
// 502/503/504 → ConnectionError). The message is "[status] code: message".
func ErrorFor(status int, header http.Header, raw []byte, now time.Time) *weft.Error {
	var code, msg string
	if v, err := value.DecodeJSON(raw); err == nil {
		if m, ok := v.(map[string]any); ok {
			code, msg = value.Text(m["code"]), value.Text(m["message"])
		}
	}
	typ, known := codeTypes[code]
	if !known {
		typ = httpmod.ErrorTypeForStatus(status)
	}
	if typ == "" {
		typ = weft.RuntimeError
	}
	text := msg
	switch {
	case code != "" && msg != "":
		text = code + ": " + msg
	case code != "":
		text = code
	case msg == "":
		text = excerpt(raw, 200)
	}
	body, _ := truncate(raw, 4<<10)
	e := &weft.Error{Type: typ, Message: fmt.Sprintf("[%d] %s", status, text),
		Details: map[string]any{"statusCode": float64(status), "code": code, "body": body}}
	e.RetryAfter = httpmod.RetryAfter(header.Get("Retry-After"), now)
	return e
}

func truncate(b []byte, max int) (string, bool) {
	if len(b) <= max {
		return string(b), false
	}
	return string(b[:max]), true
}
