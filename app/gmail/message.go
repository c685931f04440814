package gmail

import (
	"mime"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// System labels Gmail names itself (Make's "system folders"), and its categories.
var (
	systemLabels = map[string]string{"INBOX": "Inbox", "SENT": "Sent", "DRAFT": "Drafts", "SPAM": "Spam", "TRASH": "Trash",
		"UNREAD": "Unread", "STARRED": "Starred", "IMPORTANT": "Important", "CHAT": "Chat"}
	categoryLabels = map[string]string{"CATEGORY_PERSONAL": "Personal", "CATEGORY_SOCIAL": "Social",
		"CATEGORY_PROMOTIONS": "Promotions", "CATEGORY_UPDATES": "Updates", "CATEGORY_FORUMS": "Forums"}
)

// messageBundle turns a Gmail message (messages.get, format full or metadata) into
// the bundle Make's Gmail modules output (the interface of triggerWatchNewEmails in
// the corpus): id, threadId, internalDate (a date), subject, fromName, fromEmail, to,
// cc, bcc ([{name, email}]), snippet, fullTextBody, htmlBody, hasAttachment, hasMedia,
// sysFolders, categoryFolders, userLabelFolders ([{id, name}]), labelIds, headers (by
// name), sizeEstimate, historyId. labelNames names the account's own labels.
func messageBundle(m map[string]any, labelNames map[string]string) weft.Bundle {
	h := headerMap(m)
	b := weft.Bundle{
		"id":           value.Text(m["id"]),
		"threadId":     value.Text(m["threadId"]),
		"snippet":      value.Text(m["snippet"]),
		"historyId":    value.Text(m["historyId"]),
		"subject":      decodeHeader(h["subject"]),
		"labelIds":     orEmpty(value.Array(m["labelIds"])),
		"sizeEstimate": numberOr0(m["sizeEstimate"]),
	}
	if ms, ok := value.Number(m["internalDate"]); ok {
		b["internalDate"] = time.UnixMilli(int64(ms)).UTC()
	}
	from := addresses(h["from"])
	if len(from) > 0 {
		f := from[0].(map[string]any)
		b["fromName"], b["fromEmail"] = f["name"], f["email"]
	} else {
		b["fromName"], b["fromEmail"] = "", ""
	}
	b["to"], b["cc"], b["bcc"] = addresses(h["to"]), addresses(h["cc"]), addresses(h["bcc"])
	headers := map[string]any{}
	p, _ := m["payload"].(map[string]any)
	for _, x := range value.Array(p["headers"]) {
		hm, _ := x.(map[string]any)
		name := value.Text(hm["name"])
		if _, dup := headers[name]; !dup {
			headers[name] = value.Text(hm["value"])
		}
	}
	b["headers"] = headers
	var parts []map[string]any
	walkParts(m["payload"], 0, &parts)
	var text, html []string
	hasAttachment, hasMedia := false, false
	for _, part := range parts {
		if a := attachment(part); a != nil {
			if a["type"] == "media" {
				hasMedia = true
			} else {
				hasAttachment = true
			}
			continue
		}
		body, _ := part["body"].(map[string]any)
		data, err := decodeBase64URL(value.Text(body["data"]))
		if err != nil || len(data) == 0 {
			continue
		}
		switch strings.ToLower(value.Text(part["mimeType"])) {
		case "text/plain":
			text = append(text, string(data))
		case "text/html":
			html = append(html, string(data))
		}
	}
	b["fullTextBody"] = strings.Join(text, "\n")
	b["htmlBody"] = strings.Join(html, "\n")
	b["hasAttachment"], b["hasMedia"] = hasAttachment, hasMedia
	sys, cat, user := []any{}, []any{}, []any{}
	for _, l := range value.Array(m["labelIds"]) {
		id := value.Text(l)
		switch {
		case systemLabels[id] != "":
			sys = append(sys, map[string]any{"id": id, "name": systemLabels[id]})
		case categoryLabels[id] != "":
			cat = append(cat, map[string]any{"id": id, "name": categoryLabels[id]})
		default:
			name := labelNames[id]
			if name == "" {
				name = id
			}
			user = append(user, map[string]any{"id": id, "name": name})
		}
	}
	b["sysFolders"], b["categoryFolders"], b["userLabelFolders"] = sys, cat, user
	return b
}

var headerDecoder = new(mime.WordDecoder)

// decodeHeader decodes RFC 2047 words (Gmail returns headers as written).
func decodeHeader(s string) string {
	if d, err := headerDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// addresses reads an address header as [{name, email}]; an unreadable one is kept as
// the email of one entry.
func addresses(s string) []any {
	out := []any{}
	if strings.TrimSpace(s) == "" {
		return out
	}
	list, err := (&netmail.AddressParser{WordDecoder: headerDecoder}).ParseList(s)
	if err != nil {
		return append(out, map[string]any{"name": "", "email": strings.TrimSpace(s)})
	}
	for _, a := range list {
		out = append(out, map[string]any{"name": a.Name, "email": a.Address})
	}
	return out
}

func orEmpty(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

func numberOr0(v any) float64 {
	n, _ := value.Number(v)
	return n
}
