package msexcel

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/value"
)

// codeTypes are Microsoft Graph's error codes whose type differs from their status's.
var codeTypes = map[string]weft.ErrorType{
	// 423 resourceLocked: the workbook is open for editing elsewhere or being saved;
	// Microsoft documents it as temporary, so it is retried automatically.
	"resourcelocked": weft.ConnectionError,
	// 409 on a workbook: the session or the file changed meanwhile; retried.
	"editconflict": weft.ConnectionError,
	// 507: the user's OneDrive is full.
	"quotalimitreached":    weft.OutOfSpaceError,
	"insufficientstorage":  weft.OutOfSpaceError,
	"activitylimitreached": weft.RateLimitError,
}

// ErrorFor types one of Graph's error answers ({"error": {"code", "message",
// "innerError"}}): the code's own type where it differs from the status's, else the
// HTTP table (400 invalidRequest, 404 itemNotFound → DataError, 401 →
// InvalidAccessTokenError, 403 accessDenied → InvalidConfigurationError, 429 →
// RateLimitError with Retry-After, 502/503/504 → ConnectionError, 507 →
// OutOfSpaceError, other 5xx → RuntimeError). The message is "[status] code: message".
func ErrorFor(status int, header http.Header, raw []byte, now time.Time) *weft.Error {
	var code, msg string
	if v, err := value.DecodeJSON(raw); err == nil {
		if m, ok := v.(map[string]any); ok {
			if e, ok := m["error"].(map[string]any); ok {
				code, msg = value.Text(e["code"]), value.Text(e["message"])
			}
		}
	}
	typ, known := codeTypes[strings.ToLower(code)]
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
	body := string(raw)
	if len(body) > 4<<10 {
		body = body[:4<<10]
	}
	e := &weft.Error{Type: typ, Message: fmt.Sprintf("[%d] %s", status, text),
		Details: map[string]any{"statusCode": float64(status), "code": code, "body": body}}
	e.RetryAfter = httpmod.RetryAfter(header.Get("Retry-After"), now)
	return e
}
