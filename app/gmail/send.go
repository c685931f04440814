package gmail

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	netmail "net/mail"
	"net/url"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/value"
)

// Fields shared by Make's version 4 modules (sendAnEmail, replyToAnEmail), as their
// exports describe them (metadata.expect in the corpus).
var (
	connParam = app.Field{Name: "__IMTCONN__", Label: "Connection", Type: app.TypeAny, Required: true,
		Help: "A Google OAuth connection (provider google) with the Gmail scope."}
	bodyFields = []app.Field{
		{Name: "bodyType", Label: "Body type", Type: app.TypeSelect, Required: true, Options: []string{"rawHtml", "collection"},
			Help: "rawHtml: content is the HTML body; collection: the body is built from contents."},
		{Name: "content", Label: "Content", Type: app.TypeText, Help: "The HTML body (bodyType rawHtml)."},
		{Name: "contents", Label: "Body contents", Type: app.TypeArray, Spec: []app.Field{
			{Name: "text", Label: "Text", Type: app.TypeText, Help: "Plain text: shown as written, line breaks kept."},
			{Name: "image", Label: "Image", Type: app.TypeCollection, Spec: []app.Field{
				{Name: "filename", Label: "File name", Type: app.TypeText},
				{Name: "data", Label: "Data", Type: app.TypeBuffer},
				{Name: "width", Label: "Width", Type: app.TypeUInteger},
				{Name: "height", Label: "Height", Type: app.TypeUInteger},
			}},
		}, Help: "bodyType collection: paragraphs of text and inline images, in order."},
		{Name: "attachments", Label: "Attachments", Type: app.TypeArray, Spec: []app.Field{
			{Name: "filename", Label: "File name", Type: app.TypeText, Required: true},
			{Name: "data", Label: "Data", Type: app.TypeBuffer, Required: true},
		}},
		{Name: "signature", Label: "Signature content", Type: app.TypeText, Help: "HTML appended after the body."},
		{Name: "emailHeaders", Label: "Additional email headers", Type: app.TypeArray, Spec: []app.Field{
			{Name: "key", Label: "Key", Type: app.TypeText, Required: true},
			{Name: "value", Label: "Value", Type: app.TypeText},
		}},
	}
)

func sendAnEmailSpec(a *api) app.Spec {
	mapper := []app.Field{
		{Name: "to", Label: "To", Type: app.TypeArray, Required: true, Help: "Recipient addresses."},
		{Name: "subject", Label: "Subject", Type: app.TypeText},
		{Name: "from", Label: "From", Type: app.TypeText,
			Help: "A send-as address of the account (\"Ann <ann@example.com>\"), or a display name alone for the account's own address. Empty: the account's address."},
		{Name: "cc", Label: "CC recipients", Type: app.TypeArray},
		{Name: "bcc", Label: "BCC recipients", Type: app.TypeArray},
	}
	return app.Spec{
		Name:  "google-email:sendAnEmail",
		Label: "Gmail: Send an email",
		Help: "Sends an email from the connected Gmail account (messages.send). Output: the sent message's id, threadId and labelIds. " +
			"An email Gmail accepted cannot be recalled; a retry after a lost answer may send it twice.",
		Parameters: []app.Field{connParam},
		Mapper:     append(mapper, bodyFields...),
		New: func(app.Config) (app.Module, error) {
			return &sendModule{api: a, param: "__IMTCONN__"}, nil
		},
	}
}

// actionSendEmailSpec is Make's earlier Gmail module (version 1 and 2 exports): an
// "account" connection and an HTML body.
func actionSendEmailSpec(a *api) app.Spec {
	return app.Spec{
		Name:  "google-email:ActionSendEmail",
		Label: "Gmail: Send an email (legacy)",
		Help:  "Sends an email from the connected Gmail account (messages.send), Make's version 2 module. Output: the sent message's id, threadId and labelIds.",
		Parameters: []app.Field{{Name: "account", Label: "Connection", Type: app.TypeAny, Required: true,
			Help: "A Google OAuth connection (provider google) with the Gmail scope."}},
		Mapper: []app.Field{
			{Name: "from", Label: "From", Type: app.TypeText, Help: "Empty: the account's address."},
			{Name: "to", Label: "To", Type: app.TypeArray, Required: true},
			{Name: "subject", Label: "Subject", Type: app.TypeText},
			{Name: "html", Label: "Content", Type: app.TypeText, Help: "The HTML body."},
			{Name: "attachments", Label: "Attachments", Type: app.TypeArray, Spec: []app.Field{
				{Name: "fileName", Label: "File name", Type: app.TypeText, Required: true},
				{Name: "data", Label: "Data", Type: app.TypeBuffer, Required: true},
				{Name: "cid", Label: "Content-ID", Type: app.TypeText, Help: "Embeds the file inline: <img src=\"cid:…\">."},
			}},
			{Name: "cc", Label: "Copy recipient", Type: app.TypeArray},
			{Name: "bcc", Label: "Blind copy recipient", Type: app.TypeArray},
		},
		New: func(app.Config) (app.Module, error) {
			return &sendModule{api: a, param: "account", legacy: true}, nil
		},
	}
}

type sendModule struct {
	api    *api
	param  string
	legacy bool
}

func (m *sendModule) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	s, err := m.api.open(ctx, c, m.param)
	if err != nil {
		return nil, err
	}
	msg := weft.Bundle{"to": c.Input["to"], "cc": c.Input["cc"], "bcc": c.Input["bcc"], "subject": c.Input["subject"]}
	if m.legacy {
		msg["html"] = value.Text(c.Input["html"])
		msg["attachments"] = c.Input["attachments"]
	} else if err := body(c.Input, msg); err != nil {
		return nil, err
	}
	if msg["from"], err = s.from(ctx, value.Text(c.Input["from"])); err != nil {
		return nil, err
	}
	out, err := s.sendMessage(ctx, c, msg, "")
	if err != nil {
		return nil, err
	}
	return []weft.Bundle{out}, nil
}

// body fills the HTML body, attachments and headers of a version 4 module into msg,
// the input of email.Compose.
func body(in weft.Bundle, msg weft.Bundle) error {
	var atts []any
	for _, a := range value.Array(in["attachments"]) {
		am, _ := a.(map[string]any)
		atts = append(atts, map[string]any{"fileName": am["filename"], "data": am["data"]})
	}
	var htmlBody string
	switch value.Text(in["bodyType"]) {
	case "collection":
		var b strings.Builder
		for i, item := range value.Array(in["contents"]) {
			im, _ := item.(map[string]any)
			if t := value.Text(im["text"]); t != "" {
				// Plain text: escaped, its line breaks kept [Make's rendering unverified].
				b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(strings.ReplaceAll(t, "\r\n", "\n")), "\n", "<br>") + "</p>")
			}
			img, _ := im["image"].(map[string]any)
			data, _ := img["data"].([]byte)
			name := strings.TrimSpace(value.Text(img["filename"]))
			if len(data) == 0 && name == "" {
				continue // an image left empty ("image": {})
			}
			if len(data) == 0 {
				return weft.Errorf(weft.DataError, "contents/%d/image/data: the image %q has no data", i, name)
			}
			if name == "" {
				name = fmt.Sprintf("image%d", i+1)
			}
			cid := fmt.Sprintf("image%d.weft", i+1)
			size := ""
			for _, d := range []string{"width", "height"} {
				if n, ok := value.Number(img[d]); ok && n > 0 {
					size += fmt.Sprintf(` %s="%s"`, d, value.FormatNumber(n))
				}
			}
			b.WriteString(fmt.Sprintf(`<p><img src="cid:%s" alt="%s"%s></p>`, cid, html.EscapeString(name), size))
			atts = append(atts, map[string]any{"fileName": name, "data": data, "cid": cid})
		}
		htmlBody = b.String()
	default:
		htmlBody = value.Text(in["content"])
	}
	if sig := value.Text(in["signature"]); strings.TrimSpace(sig) != "" {
		htmlBody += "<br><br>" + sig
	}
	msg["html"] = htmlBody
	msg["attachments"] = atts
	msg["headers"] = in["emailHeaders"]
	return nil
}

// from is the From header: a send-as address as given, a display name alone with the
// account's own address, or empty (Gmail writes the account's address).
func (s *session) from(ctx context.Context, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if _, err := netmail.ParseAddress(v); err == nil {
		return v, nil
	}
	if strings.Contains(v, "@") {
		return "", weft.Errorf(weft.DataError, "from: %q is not an email address", v)
	}
	own, err := s.address(ctx)
	if err != nil {
		return "", err
	}
	return (&netmail.Address{Name: strings.Trim(v, `"' `), Address: own}).String(), nil
}

// address is the account's own address (users.getProfile).
func (s *session) address(ctx context.Context) (string, error) {
	v, err := s.call(ctx, request{method: "GET", path: "/gmail/v1/users/me/profile"})
	if err != nil {
		return "", err
	}
	m, _ := v.(map[string]any)
	addr := value.Text(m["emailAddress"])
	if addr == "" {
		return "", weft.Errorf(weft.UnexpectedError, "GET /gmail/v1/users/me/profile: the answer has no emailAddress")
	}
	return addr, nil
}

// sendMessage builds the MIME message and sends it (messages.send), into threadID
// when given. The output is Gmail's answer: id, threadId, labelIds.
func (s *session) sendMessage(ctx context.Context, c *app.Call, msg weft.Bundle, threadID string) (weft.Bundle, error) {
	raw, err := s.compose(c, msg)
	if err != nil {
		return nil, err
	}
	req := map[string]any{"raw": raw}
	if threadID != "" {
		req["threadId"] = threadID
	}
	v, err := s.call(ctx, request{method: "POST", path: "/gmail/v1/users/me/messages/send", body: req})
	if err != nil {
		return nil, err
	}
	out, ok := v.(map[string]any)
	if !ok || value.Text(out["id"]) == "" {
		return nil, weft.Errorf(weft.UnexpectedError, "POST /gmail/v1/users/me/messages/send: the answer is not a message: %s", excerpt(value.JSON(v), 200))
	}
	return weft.Bundle(out), nil
}

// compose builds the MIME message (email.Compose) and returns it in base64url, as
// Gmail's raw takes it; a message over Gmail's 35 MB is refused before anything is sent.
func (s *session) compose(c *app.Call, msg weft.Bundle) (string, error) {
	raw, err := email.Compose(msg, email.ComposeOptions{Now: c.Exec.Now(), NewID: s.api.newID, KeepBcc: true})
	if err != nil {
		return "", err
	}
	if len(raw) > MaxMessageSize {
		return "", &weft.Error{Type: weft.MaxFileSizeExceededError,
			Message: fmt.Sprintf("the email is %d bytes with its attachments; Gmail sends at most %d (35 MB)", len(raw), MaxMessageSize),
			Details: map[string]any{"size": float64(len(raw)), "maxSize": float64(MaxMessageSize)}}
	}
	return base64.URLEncoding.EncodeToString(raw), nil
}

func escapeID(id string) string { return url.PathEscape(strings.TrimSpace(id)) }
