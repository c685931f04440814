package email

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/weftworks/weft"
)

// walker collects the bodies and attachments of a MIME tree in document order.
type walker struct {
	text, html  []string
	attachments []any
	parts       int
}

// part handles one MIME entity: a multipart container is walked, a text/plain or
// text/html entity that is not marked as an attachment and has no file name is a body,
// anything else is an attachment.
func (w *walker) part(h textproto.MIMEHeader, body io.Reader, depth int) error {
	w.parts++
	if depth > maxDepth || w.parts > maxParts {
		return &weft.Error{Type: weft.DataError,
			Message: fmt.Sprintf("email message: more than %d MIME levels or %d parts", maxDepth, maxParts)}
	}
	mediaType, params := contentType(h)
	if strings.HasPrefix(mediaType, "multipart/") && params["boundary"] != "" {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				// io.EOF ends the container; a missing closing boundary or a broken
				// part header ends it too, keeping what was read (lenient, like mail
				// clients).
				return nil
			}
			if err := w.part(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}
	raw, err := io.ReadAll(body)
	if err != nil && len(raw) == 0 {
		return nil // an unreadable part is skipped
	}
	data := decodeTransfer(h.Get("Content-Transfer-Encoding"), raw)
	disposition, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	fileName := dparams["filename"]
	if fileName == "" {
		fileName = params["name"]
	}
	fileName = decodeWords(fileName)
	if (mediaType == "text/plain" || mediaType == "text/html") && disposition != "attachment" && fileName == "" {
		// Line breaks as Make users map them (LF); the CRLF that ends the last line
		// is transport, not content.
		s := strings.ReplaceAll(toUTF8(data, params["charset"]), "\r\n", "\n")
		s = strings.TrimRight(s, "\r\n")
		if mediaType == "text/html" {
			w.html = append(w.html, s)
		} else {
			w.text = append(w.text, s)
		}
		return nil
	}
	if fileName == "" {
		fileName = "attachment"
		if mediaType == "message/rfc822" {
			fileName = "message.eml"
		}
	}
	a := map[string]any{
		"fileName":    attachmentName(fileName),
		"contentType": mediaType,
		"size":        float64(len(data)),
		"data":        data,
	}
	if cid := strings.Trim(strings.TrimSpace(h.Get("Content-Id")), "<>"); cid != "" {
		a["cid"] = cid
	}
	w.attachments = append(w.attachments, a)
	return nil
}

// contentType reads Content-Type; absent it is text/plain (RFC 2045 §5.2). A value
// the MIME parser refuses keeps its media type and loses its parameters.
func contentType(h textproto.MIMEHeader) (string, map[string]string) {
	raw := h.Get("Content-Type")
	if strings.TrimSpace(raw) == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(raw)
	if err != nil {
		mt, _, _ = strings.Cut(raw, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if params == nil {
			params = map[string]string{}
		}
	}
	return mt, params
}

// decodeTransfer undoes a Content-Transfer-Encoding. Data that does not decode is kept
// as received: losing a part would be worse than showing it encoded.
func decodeTransfer(cte string, raw []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := make([]byte, 0, len(raw))
		for _, c := range raw {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				clean = append(clean, c)
			}
		}
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			// Some senders drop the padding. Unpadded input can decode to more bytes
			// than DecodedLen of the padded form allows (Decode panics on a short dst).
			unpadded := bytes.TrimRight(clean, "=")
			out = make([]byte, base64.RawStdEncoding.DecodedLen(len(unpadded)))
			n, err = base64.RawStdEncoding.Decode(out, unpadded)
			if err != nil {
				return raw
			}
		}
		return out[:n]
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return raw
		}
		return out
	}
	return raw
}

// toUTF8 converts a text body from its charset; unknown charsets and invalid bytes
// become U+FFFD rather than failing the message.
func toUTF8(b []byte, charset string) string {
	switch cs := strings.ToLower(strings.TrimSpace(charset)); cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
	default:
		if enc, err := htmlindex.Get(cs); err == nil {
			if out, err := enc.NewDecoder().Bytes(b); err == nil {
				b = out
			}
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
