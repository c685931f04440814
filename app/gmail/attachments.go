package gmail

import (
	"context"
	"encoding/base64"
	"mime"
	"net/url"
	"slices"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

func listEmailAttachmentsSpec(a *api) app.Spec {
	return app.Spec{
		Name:  "google-email:listEmailAttachments",
		Label: "Gmail: List email attachments",
		Help: "Returns one bundle per attachment of an email (messages.get, attachments.get): filename, mimeType, size, " +
			"attachmentId, contentId, type (attachment or media: an inline image) and, when asked, data.",
		Parameters: []app.Field{connParam},
		Mapper: []app.Field{
			{Name: "messageId", Label: "Message ID", Type: app.TypeText, Required: true},
			{Name: "include", Label: "Include", Type: app.TypeArray, Required: true,
				Help: "attachment (files attached to the email), media (images shown inside its body), or both."},
			{Name: "returnAttachmentData", Label: "Return media or attachment file data", Type: app.TypeBoolean, Default: false},
		},
		New: func(app.Config) (app.Module, error) { return &attachmentsModule{api: a}, nil },
	}
}

type attachmentsModule struct{ api *api }

func (m *attachmentsModule) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	include := map[string]bool{}
	for i, x := range value.Array(c.Input["include"]) {
		k := strings.TrimSpace(value.Text(x))
		if k != "attachment" && k != "media" {
			return nil, weft.Errorf(weft.DataError, "include/%d: %q is not attachment or media", i, k)
		}
		include[k] = true
	}
	if len(include) == 0 {
		return nil, weft.Errorf(weft.DataError, "include: choose attachment, media or both")
	}
	s, err := m.api.open(ctx, c, "__IMTCONN__")
	if err != nil {
		return nil, err
	}
	id := strings.TrimSpace(value.Text(c.Input["messageId"]))
	path := "/gmail/v1/users/me/messages/" + escapeID(id)
	v, err := s.call(ctx, request{method: "GET", path: path, query: url.Values{"format": {"full"}}})
	if err != nil {
		return nil, err
	}
	msg, _ := v.(map[string]any)
	var parts []map[string]any
	walkParts(msg["payload"], 0, &parts)
	var out []weft.Bundle
	for _, p := range parts {
		b := attachment(p)
		if b == nil || !include[value.Text(b["type"])] {
			continue
		}
		out = append(out, b)
	}
	if err := limits.FromContext(ctx).Bundles(len(out), "the attachments"); err != nil {
		return nil, err
	}
	withData := value.Bool(c.Input["returnAttachmentData"])
	for i, b := range out {
		if withData {
			data, err := s.attachmentData(ctx, path, b)
			if err != nil {
				return nil, err
			}
			b["data"] = data
		}
		delete(b, "inline")
		b["__IMTINDEX__"] = float64(i + 1)
		b["__IMTLENGTH__"] = float64(len(out))
	}
	return out, nil
}

// walkParts lists a message's MIME parts depth first (payload.parts).
func walkParts(v any, depth int, out *[]map[string]any) {
	p, ok := v.(map[string]any)
	if !ok || depth > 50 {
		return
	}
	*out = append(*out, p)
	for _, c := range value.Array(p["parts"]) {
		walkParts(c, depth+1, out)
	}
}

// attachment describes a part that is a file, or returns nil. A part is a file when it
// has a file name or its body is stored apart (body.attachmentId); it is media — shown
// inside the body — when its Content-Disposition says inline, or says nothing and it
// has a Content-ID; else an attachment.
func attachment(p map[string]any) weft.Bundle {
	body, _ := p["body"].(map[string]any)
	name := value.Text(p["filename"])
	attID := value.Text(body["attachmentId"])
	if name == "" && attID == "" {
		return nil
	}
	h := headerMap(map[string]any{"payload": p})
	disposition, _, _ := mime.ParseMediaType(h["content-disposition"])
	cid := strings.Trim(strings.TrimSpace(h["content-id"]), "<>")
	typ := "attachment"
	if disposition == "inline" || (disposition == "" && cid != "") {
		typ = "media"
	}
	size, _ := value.Number(body["size"])
	b := weft.Bundle{"filename": name, "mimeType": value.Text(p["mimeType"]), "size": size,
		"attachmentId": attID, "type": typ, "partId": value.Text(p["partId"])}
	if cid != "" {
		b["contentId"] = cid
	}
	if d := value.Text(body["data"]); d != "" {
		b["inline"] = d // small parts come with the message
	}
	return b
}

// attachmentData is the part's bytes: sent with the message, or fetched
// (users.messages.attachments.get). Gmail encodes them in base64url.
func (s *session) attachmentData(ctx context.Context, msgPath string, b weft.Bundle) ([]byte, error) {
	enc := value.Text(b["inline"])
	if enc == "" {
		attID := value.Text(b["attachmentId"])
		v, err := s.call(ctx, request{method: "GET", path: msgPath + "/attachments/" + escapeID(attID)})
		if err != nil {
			return nil, err
		}
		m, _ := v.(map[string]any)
		enc = value.Text(m["data"])
	}
	data, err := decodeBase64URL(enc)
	if err != nil {
		return nil, weft.Errorf(weft.UnexpectedError, "attachment %q: its data is not base64url: %v", value.Text(b["filename"]), err)
	}
	return data, nil
}

// decodeBase64URL reads Gmail's base64url, with or without padding.
func decodeBase64URL(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if slices.Contains([]byte(s), '+') || slices.Contains([]byte(s), '/') {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}
