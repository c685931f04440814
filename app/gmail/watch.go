package gmail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/value"
)

// maxListed bounds how many message ids one poll lists (500 per page, Gmail's most):
// the oldest new ones are emitted first, so a poll must see back to the position.
const maxListed = 5000

func watchEmailsSpec(a *api) app.Spec {
	return app.Spec{
		Name:  "google-email:triggerWatchNewEmails",
		Label: "Gmail: Watch emails",
		Kind:  app.KindTrigger,
		Poll:  true,
		Help: "Polling trigger: emits the emails received since the last run that match the filter, oldest first, at most limit per run. " +
			"Output: the message as Make's Gmail modules give it (id, threadId, internalDate, subject, fromName, fromEmail, to, cc, bcc, " +
			"snippet, fullTextBody, htmlBody, hasAttachment, hasMedia, folders, labelIds, headers, sizeEstimate, historyId).",
		Parameters: []app.Field{
			connParam,
			{Name: "filterType", Label: "Filter type", Type: app.TypeSelect, Options: []string{"simpleSearch", "gmailSearch"}, Default: "simpleSearch"},
			{Name: "q", Label: "Query", Type: app.TypeText, Help: "filterType gmailSearch: Gmail's search syntax (subject:invoice has:attachment)."},
			{Name: "folder", Label: "Folder", Type: app.TypeText, Help: "A label ID (INBOX, SENT, Label_12…); empty: every email."},
			{Name: "label", Label: "Label", Type: app.TypeText, Help: "A label ID, as folder."},
			{Name: "criteria", Label: "Criteria", Type: app.TypeText,
				Help: "A Gmail search term (is:unread, is:read, is:starred, is:important); ALL or empty: every email."},
			{Name: "from", Label: "Sender email address", Type: app.TypeText},
			{Name: "subject", Label: "Subject", Type: app.TypeText},
			{Name: "includeWords", Label: "Has the words", Type: app.TypeText},
			{Name: "excludeWords", Label: "Doesn't have", Type: app.TypeText},
			{Name: "size", Label: "Email size", Type: app.TypeCollection, Spec: []app.Field{
				{Name: "criteria", Type: app.TypeSelect, Options: []string{"larger", "smaller"}},
				{Name: "amount", Type: app.TypeUInteger},
				{Name: "unit", Type: app.TypeSelect, Options: []string{"M", "K", "B"}},
			}},
			{Name: "hasAttachment", Label: "Only emails with attachments", Type: app.TypeBoolean, Default: false},
			{Name: "markSeen", Label: "Mark email message(s) as read when fetched", Type: app.TypeBoolean, Default: false,
				Help: "Marked once the run that processed them committed (at the next poll), so a failed run never loses an unread email."},
			{Name: "format", Label: "Content format", Type: app.TypeSelect, Options: []string{"full", "metadata"}, Default: "full",
				Help: "full: headers and bodies; metadata: headers only."},
			{Name: "limit", Label: "Limit", Type: app.TypeUInteger, Default: float64(1), Min: 1, Max: 500},
		},
		New: func(app.Config) (app.Module, error) { return &watchModule{api: a}, nil },
	}
}

// legacyWatchSpec is Make's earlier Gmail trigger (version 1 and 2 exports): an
// "account" connection, IMAP-like criteria, and the email as Make's email trigger gives
// it (the email app's message bundle: subject, from, to, text, html, attachments with
// their data…), read from the raw message.
func legacyWatchSpec(a *api) app.Spec {
	return app.Spec{
		Name:  "google-email:TriggerNewEmail",
		Label: "Gmail: Watch emails (legacy)",
		Kind:  app.KindTrigger,
		Poll:  true,
		Help: "Polling trigger (Make's version 2 module): emits the emails received since the last run that match, oldest first, at most maxResults per run. " +
			"Output: id, threadId and the parsed message (subject, from, sender, to, cc, replyTo, date, messageId, headers, text, html, attachments [{fileName, contentType, data, size, cid}]).",
		Parameters: []app.Field{
			{Name: "account", Label: "Connection", Type: app.TypeAny, Required: true,
				Help: "A Google OAuth connection (provider google) with the Gmail scope."},
			{Name: "folder", Label: "Folder", Type: app.TypeText, Default: "INBOX", Help: "A label ID (INBOX, SENT, Label_12…)."},
			{Name: "criteria", Label: "Criteria", Type: app.TypeSelect, Options: []string{"ALL", "SEEN", "UNSEEN", "FLAGGED", "UNFLAGGED"}, Default: "ALL"},
			{Name: "searchType", Label: "Search type", Type: app.TypeSelect, Options: []string{"simple", "gmail"}, Default: "simple"},
			{Name: "query", Label: "Query", Type: app.TypeText, Help: "searchType gmail: Gmail's search syntax."},
			{Name: "from", Label: "Sender email address", Type: app.TypeText},
			{Name: "subject", Label: "Subject", Type: app.TypeText},
			{Name: "text", Label: "Phrase", Type: app.TypeText},
			{Name: "markSeen", Label: "Mark message(s) as read when fetched", Type: app.TypeBoolean, Default: false,
				Help: "Marked once the run that processed them committed (at the next poll)."},
			{Name: "maxResults", Label: "Maximum number of results", Type: app.TypeUInteger, Default: float64(1), Min: 1, Max: 500},
		},
		New: func(app.Config) (app.Module, error) { return &watchModule{api: a, legacy: true}, nil },
	}
}

type watchModule struct {
	api    *api
	legacy bool
}

// settings reads the parameters of either version into the version 4 shape.
func (m *watchModule) settings(params weft.Bundle) (conn string, limit int, p weft.Bundle) {
	if !m.legacy {
		return "__IMTCONN__", int(numberOr0(params["limit"])), params
	}
	p = weft.Bundle{"filterType": "simpleSearch", "folder": params["folder"], "from": params["from"],
		"subject": params["subject"], "includeWords": params["text"]}
	if value.Text(params["searchType"]) == "gmail" {
		p = weft.Bundle{"filterType": "gmailSearch", "q": params["query"]}
	}
	p["criteria"] = map[string]string{"SEEN": "is:read", "UNSEEN": "is:unread", "FLAGGED": "is:starred",
		"UNFLAGGED": "-is:starred"}[strings.ToUpper(value.Text(params["criteria"]))]
	return "account", int(numberOr0(params["maxResults"])), p
}

var _ app.Poller = (*watchModule)(nil)

func (m *watchModule) Run(context.Context, *app.Call) ([]weft.Bundle, error) {
	return nil, weft.Errorf(weft.RuntimeError, "google-email:triggerWatchNewEmails is a polling trigger: it runs as the first module")
}

// wposition is where the trigger stands: the internalDate (ms) of the newest email
// emitted and the ids emitted at that millisecond; Seen lists the ids a committed run
// processed that are still to be marked read (markSeen).
type wposition struct {
	Date   int64    `json:"date,omitempty"`
	AtDate []string `json:"atDate,omitempty"`
	Seen   []string `json:"seen,omitempty"`
}

func decodeWPosition(raw json.RawMessage) (wposition, error) {
	var p wposition
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, weft.Errorf(weft.InvalidConfigurationError, "the stored position of the Gmail trigger is unreadable (%v): choose where it starts again", err)
	}
	return p, nil
}

func (p wposition) seen(date int64, id string) bool {
	return date < p.Date || date == p.Date && slices.Contains(p.AtDate, id)
}

// query is the Gmail search the parameters describe.
func query(params weft.Bundle) string {
	text := func(k string) string { return strings.TrimSpace(value.Text(params[k])) }
	var terms []string
	if text("filterType") == "gmailSearch" {
		if q := strings.Join(strings.Fields(text("q")), " "); q != "" {
			terms = append(terms, q)
		}
		return strings.Join(terms, " ")
	}
	if c := text("criteria"); c != "" && !strings.EqualFold(c, "all") {
		terms = append(terms, c)
	}
	if v := text("from"); v != "" {
		terms = append(terms, "from:("+v+")")
	}
	if v := text("subject"); v != "" {
		terms = append(terms, "subject:("+v+")")
	}
	if v := text("includeWords"); v != "" {
		terms = append(terms, "("+v+")")
	}
	if v := text("excludeWords"); v != "" {
		terms = append(terms, "-{"+v+"}")
	}
	if s, ok := params["size"].(map[string]any); ok {
		if n, ok := value.Number(s["amount"]); ok && n > 0 {
			c := value.Text(s["criteria"])
			if c != "smaller" {
				c = "larger"
			}
			unit := strings.ToUpper(value.Text(s["unit"]))
			if unit == "B" {
				unit = ""
			}
			terms = append(terms, fmt.Sprintf("%s:%s%s", c, value.FormatNumber(n), unit))
		}
	}
	if value.Bool(params["hasAttachment"]) {
		terms = append(terms, "has:attachment")
	}
	return strings.Join(terms, " ")
}

// labels is the label filter: folder and label (simple search only).
func labelFilter(params weft.Bundle) []string {
	if value.Text(params["filterType"]) == "gmailSearch" {
		return nil
	}
	var out []string
	for _, k := range []string{"folder", "label"} {
		if v := strings.Trim(strings.TrimSpace(value.Text(params[k])), "/"); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// list returns the ids of the matching emails, newest first (messages.list), at most
// max; after (ms, 0: none) narrows the search to the emails of that second and later.
func (s *session) list(ctx context.Context, params weft.Bundle, after int64, max int) ([]string, error) {
	q := query(params)
	if after > 0 {
		q = strings.TrimSpace(q + fmt.Sprintf(" after:%d", after/1000-1))
	}
	var ids []string
	token := ""
	for len(ids) < max {
		v := url.Values{"maxResults": {fmt.Sprint(min(500, max-len(ids)))}}
		if q != "" {
			v.Set("q", q)
		}
		for _, l := range labelFilter(params) {
			v.Add("labelIds", l)
		}
		if token != "" {
			v.Set("pageToken", token)
		}
		ans, err := s.call(ctx, request{method: "GET", path: "/gmail/v1/users/me/messages", query: v})
		if err != nil {
			return nil, err
		}
		m, _ := ans.(map[string]any)
		for _, x := range value.Array(m["messages"]) {
			xm, _ := x.(map[string]any)
			if id := value.Text(xm["id"]); id != "" {
				ids = append(ids, id)
			}
		}
		token = value.Text(m["nextPageToken"])
		if token == "" {
			break
		}
	}
	return ids, nil
}

type wmessage struct {
	raw  map[string]any
	id   string
	date int64
}

func (s *session) message(ctx context.Context, id, format string) (*wmessage, error) {
	ans, err := s.call(ctx, request{method: "GET", path: "/gmail/v1/users/me/messages/" + escapeID(id), query: url.Values{"format": {format}}})
	if err != nil {
		return nil, err
	}
	m, _ := ans.(map[string]any)
	ms, ok := value.Number(m["internalDate"])
	if !ok {
		return nil, weft.Errorf(weft.UnexpectedError, "message %s: Gmail's answer has no internalDate", id)
	}
	return &wmessage{raw: m, id: id, date: int64(ms)}, nil
}

// Poll emits the emails after the position, oldest first, at most limit. It first
// marks read the emails a committed run processed (markSeen).
func (m *watchModule) Poll(ctx context.Context, c *app.Call, raw json.RawMessage) ([]app.PollItem, error) {
	pos, err := decodeWPosition(raw)
	if err != nil {
		return nil, err
	}
	param, limit, params := m.settings(c.Params)
	s, err := m.api.open(ctx, c, param)
	if err != nil {
		return nil, err
	}
	if len(pos.Seen) > 0 {
		// Gmail's batchModify takes up to 1000 ids; a position holds at most limit (≤ 500).
		if _, err := s.call(ctx, request{method: "POST", path: "/gmail/v1/users/me/messages/batchModify",
			body: map[string]any{"ids": pos.Seen, "removeLabelIds": []string{"UNREAD"}}}); err != nil {
			return nil, err
		}
		pos.Seen = nil
	}
	if limit <= 0 {
		limit = 1
	}
	ids, err := s.list(ctx, params, pos.Date, maxListed)
	if err != nil {
		return nil, err
	}
	format := value.Text(params["format"])
	switch {
	case m.legacy:
		format = "raw"
	case format != "metadata":
		format = "full"
	}
	// The listing is newest first: the candidates are its oldest ids, read until limit
	// new ones are found (ids at the position's millisecond may come again).
	var found []*wmessage
	for i := len(ids) - 1; i >= 0 && len(found) < limit; i-- {
		msg, err := s.message(ctx, ids[i], format)
		if err != nil {
			return nil, err
		}
		if !pos.seen(msg.date, msg.id) {
			found = append(found, msg)
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].date < found[j].date })
	var names map[string]string
	if !m.legacy && hasUserLabels(found) {
		if names, err = s.labelNames(ctx); err != nil {
			return nil, err
		}
	}
	markSeen := value.Bool(c.Params["markSeen"])
	out := make([]app.PollItem, 0, len(found))
	cur := pos
	for _, msg := range found {
		if msg.date > cur.Date {
			cur.Date, cur.AtDate = msg.date, []string{msg.id}
		} else {
			cur.AtDate = append(slices.Clone(cur.AtDate), msg.id)
		}
		if markSeen {
			cur.Seen = append(slices.Clone(cur.Seen), msg.id)
		}
		enc, err := json.Marshal(cur)
		if err != nil {
			return nil, err
		}
		b := messageBundle(msg.raw, names)
		if m.legacy {
			if b, err = rawBundle(msg.raw); err != nil {
				return nil, err
			}
		}
		out = append(out, app.PollItem{Bundle: b, Key: msg.id, Position: enc})
	}
	return out, nil
}

// rawBundle is a message read with format raw, parsed as the email app parses mail
// (email.ParseMessage), with Gmail's id and threadId.
func rawBundle(m map[string]any) (weft.Bundle, error) {
	data, err := decodeBase64URL(value.Text(m["raw"]))
	if err != nil {
		return nil, weft.Errorf(weft.UnexpectedError, "message %s: its raw form is not base64url: %v", value.Text(m["id"]), err)
	}
	b, err := email.ParseMessage(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	b["id"], b["threadId"] = value.Text(m["id"]), value.Text(m["threadId"])
	return b, nil
}

func hasUserLabels(msgs []*wmessage) bool {
	for _, m := range msgs {
		for _, l := range value.Array(m.raw["labelIds"]) {
			id := value.Text(l)
			if systemLabels[id] == "" && categoryLabels[id] == "" {
				return true
			}
		}
	}
	return false
}

// labelNames names the account's labels (users.labels.list).
func (s *session) labelNames(ctx context.Context) (map[string]string, error) {
	ans, err := s.call(ctx, request{method: "GET", path: "/gmail/v1/users/me/labels"})
	if err != nil {
		return nil, err
	}
	m, _ := ans.(map[string]any)
	out := map[string]string{}
	for _, x := range value.Array(m["labels"]) {
		l, _ := x.(map[string]any)
		out[value.Text(l["id"])] = value.Text(l["name"])
	}
	return out, nil
}

// Start: all is no position; since a date the position just before it; now the
// newest matching email; last:N the position before the N newest.
func (m *watchModule) Start(ctx context.Context, c *app.Call, from app.StartFrom) (json.RawMessage, error) {
	switch from.Mode {
	case app.StartAll:
		return json.RawMessage("null"), nil
	case app.StartSince:
		return json.Marshal(wposition{Date: from.Since.UnixMilli() - 1})
	case app.StartNow, app.StartLast:
	default:
		return nil, fmt.Errorf("start %q: not a start mode", from.Mode)
	}
	param, _, params := m.settings(c.Params)
	s, err := m.api.open(ctx, c, param)
	if err != nil {
		return nil, err
	}
	n := 1
	if from.Mode == app.StartLast {
		n = from.Last + 1
	}
	ids, err := s.list(ctx, params, 0, n)
	if err != nil {
		return nil, err
	}
	if len(ids) < n {
		if from.Mode == app.StartNow {
			return json.Marshal(wposition{Date: c.Exec.Now().UnixMilli()})
		}
		return json.RawMessage("null"), nil // fewer than N: all of them
	}
	msg, err := s.message(ctx, ids[n-1], "minimal")
	if err != nil {
		return nil, err
	}
	return json.Marshal(wposition{Date: msg.date, AtDate: []string{msg.id}})
}
