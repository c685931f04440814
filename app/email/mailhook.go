package email

import (
	"bufio"
	"io"
	"mime"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// MailhookSpec is the module type gateway:CustomMailHook: an instant trigger whose
// bundles are the messages received at its address (one bundle per message, built by
// ParseMessage). Like gateway:CustomWebHook it has no Run: the run starts with the
// bundle the mailhook server delivered.
func MailhookSpec() app.Spec {
	return app.Spec{
		Name: "gateway:CustomMailHook", Label: "Custom mailhook", Kind: app.KindTrigger,
		Help: "Starts the scenario with each email received at the mailhook's address; the message's sender, recipients, subject, bodies, headers and attachments become the bundle.",
		Parameters: []app.Field{
			{Name: "hook", Type: app.TypeAny, Help: "Mailhook id (Make's; weft assigns its own address)."},
			{Name: "maxResults", Type: app.TypeAny, Help: "Messages taken per cycle (kept for compatibility)."},
		},
	}
}

// Limits of ParseMessage: deeper nesting or more parts than any real mail client
// produces is an attack on the parser, not a message.
const (
	maxDepth = 20
	maxParts = 1000
)

// ParseMessage turns a received RFC 5322 message into the mailhook's trigger bundle:
//
//	{"subject": "…", "text": "…", "html": "…",
//	 "from": {"name": "Ann", "address": "ann@example.com"},
//	 "sender": {"name": "Ann", "email": "ann@example.com"},
//	 "to": [{"name": …, "address": …}], "cc": […], "replyTo": […],
//	 "date": time.Time, "messageId": "<…>", "inReplyTo": "<…>", "references": ["<…>"],
//	 "headers": {"subject": "…", "received": ["…", "…"]},
//	 "attachments": [{"fileName": "a.pdf", "contentType": "application/pdf",
//	                  "size": 1234, "data": []byte, "cid": "…" (inline parts only)}]}
//
// Header text is decoded (RFC 2047 words, RFC 2231 file names), bodies are decoded
// from base64 or quoted-printable and converted to UTF-8 from their charset. text and
// html are always present ("" when the message has no such body). date is absent when
// the message has no readable Date header. Parsing is lenient: a part that cannot be
// decoded is kept as received. Only a message whose header cannot be read is an error
// (a DataError). ParseMessage reads r to its end and does not limit its size; the
// mailhook server does.
func ParseMessage(r io.Reader) (weft.Bundle, error) {
	msg, err := netmail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return nil, &weft.Error{Type: weft.DataError, Message: "email message: unreadable header: " + err.Error(), Err: err}
	}
	h := textproto.MIMEHeader(msg.Header)
	from := firstAddress(addressesOf(h, "From"))
	b := weft.Bundle{
		"subject": decodeWords(h.Get("Subject")),
		"from":    from,
		// Make's mailhook is described with a sender {name, email}; kept as an alias.
		"sender":  map[string]any{"name": from["name"], "email": from["address"]},
		"to":      addressesOf(h, "To"),
		"cc":      addressesOf(h, "Cc"),
		"replyTo": addressesOf(h, "Reply-To"),
		"headers": headerCollection(h),
	}
	if t, err := netmail.ParseDate(h.Get("Date")); err == nil {
		b["date"] = t
	}
	b["messageId"] = strings.TrimSpace(h.Get("Message-Id"))
	b["inReplyTo"] = strings.TrimSpace(h.Get("In-Reply-To"))
	refs := []any{}
	for _, f := range strings.Fields(h.Get("References")) {
		refs = append(refs, f)
	}
	b["references"] = refs

	w := &walker{}
	if err := w.part(h, msg.Body, 0); err != nil {
		return nil, err
	}
	b["text"] = strings.Join(w.text, "\n")
	b["html"] = strings.Join(w.html, "\n")
	if w.attachments == nil {
		w.attachments = []any{}
	}
	b["attachments"] = w.attachments
	return b, nil
}

// charsetDecoder makes RFC 2047 words in any charset the WHATWG encoding index knows
// readable (the standard library alone knows UTF-8, ISO-8859-1 and US-ASCII).
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}}

// decodeWords decodes RFC 2047 encoded words; text that does not decode is kept.
func decodeWords(s string) string {
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ToValidUTF8(d, "\uFFFD")
}

var addressParser = &netmail.AddressParser{WordDecoder: wordDecoder}

// angleAddr finds the address of "Display Name <addr>" when a sender's display name
// breaks RFC 5322 (unquoted dots or commas are common).
var angleAddr = regexp.MustCompile(`^(.*)<([^<>\s]+@[^<>\s]+)>\s*$`)

// addressesOf reads an address header as [{name, address}]. A list the RFC parser
// refuses falls back to the "Name <addr>" reading of each comma-separated element,
// then to nothing (the raw value stays in headers).
func addressesOf(h textproto.MIMEHeader, key string) []any {
	out := []any{}
	for _, raw := range h.Values(key) {
		list, err := addressParser.ParseList(raw)
		if err == nil {
			for _, a := range list {
				out = append(out, map[string]any{"name": a.Name, "address": a.Address})
			}
			continue
		}
		if m := angleAddr.FindStringSubmatch(strings.TrimSpace(raw)); m != nil {
			name := strings.Trim(strings.TrimSpace(decodeWords(m[1])), `"`)
			out = append(out, map[string]any{"name": name, "address": m[2]})
		}
	}
	return out
}

func firstAddress(list []any) map[string]any {
	if len(list) > 0 {
		return list[0].(map[string]any)
	}
	return map[string]any{"name": "", "address": ""}
}

// headerCollection is every header field by lower-case name, decoded; a field that
// occurs more than once is an array in message order (the HTTP app does the same).
func headerCollection(h textproto.MIMEHeader) map[string]any {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(h))
	for _, k := range keys {
		vs := h[k]
		if len(vs) == 1 {
			out[strings.ToLower(k)] = decodeWords(vs[0])
			continue
		}
		arr := make([]any, len(vs))
		for i, v := range vs {
			arr[i] = decodeWords(v)
		}
		out[strings.ToLower(k)] = arr
	}
	return out
}
