package declarative

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// encodeRelated builds a multipart/related body (RFC 2387): Google's "multipart" upload
// protocol (uploadType=multipart), where the first part is the new file's metadata as
// JSON and the second the file's bytes. The definition's body is an array of parts:
//
//	[{"contentType": "application/json; charset=UTF-8", "body": {…}},
//	 {"contentType": "{{$mimeType…}}", "body": "{{parameters.data}}", "maxSize": 2147483648}]
//
// A part's body that is a collection or an array travels as JSON (contentType defaults
// to application/json; charset=UTF-8); binary data as it is and text as UTF-8 (default
// application/octet-stream and text/plain; charset=UTF-8). A part whose body is null is
// left out; one larger than its maxSize (bytes) is a MaxFileSizeExceededError.
func encodeRelated(v any) ([]byte, string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, "", weft.Errorf(weft.DataError, "a multipart/related body must be an array of parts, got %s", value.Kind(v))
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	n := 0
	for i, e := range list {
		p, ok := e.(map[string]any)
		if !ok {
			return nil, "", weft.Errorf(weft.DataError, "multipart/related part %d must be a collection {contentType, body}, got %s", i, value.Kind(e))
		}
		for k := range p {
			if k != "contentType" && k != "body" && k != "maxSize" {
				return nil, "", weft.Errorf(weft.DataError, "multipart/related part %d: unknown key %q (a part has contentType, body and maxSize)", i, k)
			}
		}
		body := p["body"]
		if body == nil {
			continue
		}
		var data []byte
		ctype := strings.TrimSpace(value.Text(p["contentType"]))
		switch x := body.(type) {
		case map[string]any, []any:
			data = value.JSON(x)
			if ctype == "" {
				ctype = "application/json; charset=UTF-8"
			}
		case []byte:
			data = x
			if ctype == "" {
				ctype = "application/octet-stream"
			}
		default:
			data = []byte(value.Text(x))
			if ctype == "" {
				ctype = "text/plain; charset=UTF-8"
			}
		}
		if limit, ok := number(p["maxSize"]); ok && limit > 0 && len(data) > limit {
			// The service's documented limit (Gemini's 2 GB): refused before anything is
			// sent, so a person sees which file is too big.
			return nil, "", &weft.Error{Type: weft.MaxFileSizeExceededError,
				Message: fmt.Sprintf("multipart/related part %d: %d bytes is over the service's limit of %d bytes", i, len(data), limit),
				Details: map[string]any{"size": float64(len(data)), "maxFileSize": float64(limit)}}
		}
		if strings.ContainsAny(ctype, "\r\n") {
			return nil, "", weft.Errorf(weft.DataError, "multipart/related part %d: a content type cannot hold a line break", i)
		}
		pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {ctype}})
		if err != nil {
			return nil, "", fmt.Errorf("multipart/related part %d: %w", i, err)
		}
		if _, err := pw.Write(data); err != nil {
			return nil, "", fmt.Errorf("multipart/related part %d: %w", i, err)
		}
		n++
	}
	if n == 0 {
		return nil, "", weft.Errorf(weft.DataError, "a multipart/related body needs at least one part with a body")
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("multipart/related: %w", err)
	}
	return buf.Bytes(), "multipart/related; boundary=" + w.Boundary(), nil
}
