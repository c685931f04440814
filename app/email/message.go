package email

import (
	"bytes"
	"fmt"
	"mime"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// outgoing is a message ready to send with its envelope.
type outgoing struct {
	msg   *mail.Msg
	id    string // "<…@…>"
	from  string // envelope sender (address only)
	rcpts []string
}

// Header fields a mapping may not set through "headers": the module builds them from
// its own fields (addresses, so Bcc stays out of the message) or MIME needs them to
// match the body it writes.
var reservedHeaders = map[string]string{
	"from": "from", "to": "to", "cc": "cc", "bcc": "bcc", "reply-to": "replyTo",
	"sender": "sender", "subject": "subject", "message-id": "", "date": "",
	"in-reply-to": "inReplyTo", "references": "references",
	"content-type": "", "content-transfer-encoding": "", "mime-version": "",
}

// buildMessage turns the module's evaluated mapper into a message. defaultFrom is the
// connection's sender. now stamps the Date header (the execution's clock); newID gives
// the Message-ID's unique part.
func buildMessage(in weft.Bundle, c *smtpConn, now time.Time, newID func() string) (*outgoing, error) {
	from, err := sender(in, c)
	if err != nil {
		return nil, err
	}
	out, _, err := compose(in, from, now, newID)
	return out, err
}

// compose builds the message. from may be nil: a service that takes whole messages
// (Gmail's API) writes the account's address itself. bcc is returned for such services,
// which read blind recipients from a Bcc header SMTP never sees.
func compose(in weft.Bundle, from *netmail.Address, now time.Time, newID func() string) (*outgoing, []*netmail.Address, error) {
	to, err := addressList(in["to"], "to")
	if err != nil {
		return nil, nil, err
	}
	if len(to) == 0 {
		return nil, nil, dataError("to", "no recipient address")
	}
	cc, err := addressList(in["cc"], "cc")
	if err != nil {
		return nil, nil, err
	}
	bcc, err := addressList(in["bcc"], "bcc")
	if err != nil {
		return nil, nil, err
	}
	replyTo, err := addressList(in["replyTo"], "replyTo")
	if err != nil {
		return nil, nil, err
	}

	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	domain := "weft.invalid"
	if from != nil {
		m.SetAddrHeaderFromMailAddress(mail.HeaderFrom, from)
		domain = domainOf(from.Address)
	}
	m.ToMailAddress(to...)
	if len(cc) > 0 {
		m.CcMailAddress(cc...)
	}
	if len(bcc) > 0 {
		m.BccMailAddress(bcc...)
	}
	if len(replyTo) > 0 {
		m.ReplyToMailAddress(replyTo...)
	}
	if s := strings.TrimSpace(value.Text(in["sender"])); s != "" {
		a, err := netmail.ParseAddress(s)
		if err != nil {
			return nil, nil, dataError("sender", "%q is not an email address", s)
		}
		m.SetGenHeaderPreformatted("Sender", a.String())
	}
	// A mapped subject often ends in a line break; a header cannot hold one.
	m.Subject(strings.Join(strings.Fields(value.Text(in["subject"])), " "))
	m.SetDateWithValue(now)
	id := newID() + "@" + domain
	m.SetMessageIDWithValue(id)

	switch value.Text(in["priority"]) {
	case "high":
		m.SetImportance(mail.ImportanceHigh)
	case "low":
		m.SetImportance(mail.ImportanceLow)
	}
	if v := strings.TrimSpace(value.Text(in["inReplyTo"])); v != "" {
		ref, err := messageRef(v, "inReplyTo")
		if err != nil {
			return nil, nil, err
		}
		m.SetGenHeaderPreformatted(mail.HeaderInReplyTo, ref)
	}
	if refs := value.Array(in["references"]); len(refs) > 0 {
		var list []string
		for i, r := range refs {
			for _, f := range strings.Fields(value.Text(r)) {
				ref, err := messageRef(f, fmt.Sprintf("references/%d", i))
				if err != nil {
					return nil, nil, err
				}
				list = append(list, ref)
			}
		}
		if len(list) > 0 {
			m.SetGenHeaderPreformatted(mail.HeaderReferences, strings.Join(list, " "))
		}
	}
	if err := customHeaders(m, in["headers"]); err != nil {
		return nil, nil, err
	}
	setBody(m, in)
	if err := attach(m, in["attachments"]); err != nil {
		return nil, nil, err
	}

	out := &outgoing{msg: m, id: "<" + id + ">"}
	if from != nil {
		out.from = from.Address
	}
	for _, list := range [][]*netmail.Address{to, cc, bcc} {
		for _, a := range list {
			out.rcpts = append(out.rcpts, a.Address)
		}
	}
	return out, bcc, nil
}

// sender is the From address: the module's "from", else the connection's, else the
// connection's username when it is an address (as most providers require anyway).
func sender(in weft.Bundle, c *smtpConn) (*netmail.Address, error) {
	if s := strings.TrimSpace(value.Text(in["from"])); s != "" {
		a, err := netmail.ParseAddress(s)
		if err != nil {
			return nil, dataError("from", "%q is not an email address", s)
		}
		return a, nil
	}
	if c.from != "" {
		return netmail.ParseAddress(c.from) // checked by readConnection
	}
	if a, err := netmail.ParseAddress(c.username); err == nil {
		return a, nil
	}
	return nil, configError("no sender address: set from in the module or in the SMTP connection")
}

// addressList reads an address field: an array whose items are texts ("a@x.org",
// "Ann <a@x.org>", "a@x.org, b@y.org") or collections ({address|email|value, name}),
// or one such text. Empty items are skipped (Make exports empty arrays and "").
func addressList(v any, field string) ([]*netmail.Address, error) {
	if value.IsEmpty(v) {
		return nil, nil
	}
	var out []*netmail.Address
	for i, item := range value.Array(v) {
		path := fmt.Sprintf("%s/%d", field, i)
		if m, ok := item.(map[string]any); ok {
			addr := ""
			for _, k := range []string{"address", "email", "value"} {
				if s := strings.TrimSpace(value.Text(m[k])); s != "" {
					addr = s
					break
				}
			}
			if addr == "" {
				if value.IsEmpty(m) {
					continue
				}
				return nil, dataError(path, "collection has no address")
			}
			a, err := netmail.ParseAddress(addr)
			if err != nil {
				return nil, dataError(path, "%q is not an email address", addr)
			}
			if name := strings.TrimSpace(value.Text(m["name"])); name != "" {
				a.Name = name
			}
			out = append(out, a)
			continue
		}
		s := strings.TrimSpace(value.Text(item))
		if s == "" {
			continue
		}
		list, err := netmail.ParseAddressList(s)
		if err != nil {
			return nil, dataError(path, "%q is not an email address", s)
		}
		out = append(out, list...)
	}
	return out, nil
}

// messageRef checks a Message-ID reference and puts it in angle brackets.
func messageRef(s, path string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "<") {
		s = "<" + s + ">"
	}
	inner := s[1 : len(s)-1]
	if !strings.HasSuffix(s, ">") || inner == "" || strings.ContainsAny(inner, " <>\r\n\t") || !isASCII(inner) {
		return "", dataError(path, "%q is not a message id", s)
	}
	return s, nil
}

// customHeaders sets the "headers" array ([{key, value}]; "name" is accepted for key, as
// the HTTP app names it). Values that repeat a key are joined into one header field.
func customHeaders(m *mail.Msg, v any) error {
	if value.IsEmpty(v) {
		return nil
	}
	type kv struct {
		key  string
		vals []string
	}
	var order []*kv
	seen := map[string]*kv{}
	for i, item := range value.Array(v) {
		path := fmt.Sprintf("headers/%d", i)
		h, ok := item.(map[string]any)
		if !ok {
			return dataError(path, "%s is not a collection {key, value}", value.Kind(item))
		}
		key := strings.TrimSpace(value.Text(h["key"]))
		if key == "" {
			key = strings.TrimSpace(value.Text(h["name"]))
		}
		if key == "" {
			return dataError(path+"/key", "missing header name")
		}
		if !validHeaderName(key) {
			return dataError(path+"/key", "%q is not a valid header name", key)
		}
		if field, reserved := reservedHeaders[strings.ToLower(key)]; reserved {
			if field != "" {
				return dataError(path+"/key", "%s is set with the module's %s field", key, field)
			}
			return dataError(path+"/key", "%s is set by the module", key)
		}
		val := value.Text(h["value"])
		if strings.ContainsAny(val, "\r\n\x00") {
			return dataError(path+"/value", "a header value cannot hold a line break")
		}
		lk := strings.ToLower(key)
		if e, ok := seen[lk]; ok {
			e.vals = append(e.vals, val)
			continue
		}
		e := &kv{key: key, vals: []string{val}}
		seen[lk] = e
		order = append(order, e)
	}
	for _, e := range order {
		m.SetGenHeader(mail.Header(e.key), e.vals...)
	}
	return nil
}

// validHeaderName: printable ASCII without colon (RFC 5322 §2.2).
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return s != ""
}

// setBody writes the body. Make's module shows one "Content" field whose key follows
// contentType ("html" or "text", blueprints 029 and 043); when both are filled the
// message is multipart/alternative with the plain text first (clients show the last
// alternative they support, so HTML is last).
func setBody(m *mail.Msg, in weft.Bundle) {
	html, text := value.Text(in["html"]), value.Text(in["text"])
	kind := value.Text(in["contentType"])
	switch {
	case kind == "text" && text == "" && html != "":
		kind = "html" // the only content given is in the other field
	case kind != "text" && html == "" && text != "":
		kind = "text"
	}
	switch {
	case kind == "text":
		m.SetBodyString(mail.TypeTextPlain, text)
	case text != "":
		m.SetBodyString(mail.TypeTextPlain, text)
		m.AddAlternativeString(mail.TypeTextHTML, html)
	default:
		m.SetBodyString(mail.TypeTextHTML, html)
	}
}

// attach adds the "attachments" array ([{fileName, data, contentType?, cid?}]). An item
// with a cid is embedded inline (an <img src="cid:…"> in the HTML shows it).
func attach(m *mail.Msg, v any) error {
	if value.IsEmpty(v) {
		return nil
	}
	for i, item := range value.Array(v) {
		path := fmt.Sprintf("attachments/%d", i)
		a, ok := item.(map[string]any)
		if !ok {
			return dataError(path, "%s is not a collection {fileName, data}", value.Kind(item))
		}
		name := attachmentName(value.Text(a["fileName"]))
		if name == "" {
			return dataError(path+"/fileName", "missing file name")
		}
		var data []byte
		switch d := a["data"].(type) {
		case []byte:
			data = d
		case nil:
		default:
			data = []byte(value.Text(d))
		}
		ct := strings.TrimSpace(value.Text(a["contentType"]))
		if ct == "" {
			ct = mime.TypeByExtension(filepath.Ext(name))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		if _, _, err := mime.ParseMediaType(ct); err != nil || strings.ContainsAny(ct, "\r\n") {
			return dataError(path+"/contentType", "%q is not a media type", ct)
		}
		opts := []mail.FileOption{mail.WithFileContentType(mail.ContentType(ct))}
		if cid := strings.Trim(strings.TrimSpace(value.Text(a["cid"])), "<>"); cid != "" {
			if strings.ContainsAny(cid, " <>\r\n\t") || !isASCII(cid) {
				return dataError(path+"/cid", "%q is not a content id", cid)
			}
			m.EmbedReadSeeker(name, bytes.NewReader(data), append(opts, mail.WithFileContentID(cid))...)
			continue
		}
		m.AttachReadSeeker(name, bytes.NewReader(data), opts...)
	}
	return nil
}

// attachmentName keeps the last path element of a file name and drops control
// characters, which a header parameter cannot carry.
func attachmentName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return -1
		}
		return r
	}, s)
	if s == "." || s == ".." {
		return ""
	}
	return s
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "weft.invalid"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
