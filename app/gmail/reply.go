package gmail

import (
	"context"
	netmail "net/mail"
	"net/url"
	"slices"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

func replyToAnEmailSpec(a *api) app.Spec {
	mapper := []app.Field{
		{Name: "threadId", Label: "Thread ID", Type: app.TypeText, Required: true},
		{Name: "replyMode", Label: "Reply mode", Type: app.TypeSelect, Required: true, Options: []string{"all", "sender", "custom"},
			Help: "sender: the last message's sender (its Reply-To when set); all: the sender and every other recipient; custom: to, cc and bcc below."},
		{Name: "to", Label: "To", Type: app.TypeArray, Help: "Reply mode custom."},
		{Name: "cc", Label: "CC recipients", Type: app.TypeArray, Help: "Reply mode custom."},
		{Name: "bcc", Label: "BCC recipients", Type: app.TypeArray, Help: "Reply mode custom."},
		{Name: "from", Label: "From", Type: app.TypeText,
			Help: "A send-as address of the account, or a display name alone for the account's own address. Empty: the account's address."},
	}
	return app.Spec{
		Name:  "google-email:replyToAnEmail",
		Label: "Gmail: Reply to an email",
		Help: "Replies to the last message of a thread, in that thread (Re: subject, In-Reply-To and References set). " +
			"Output: the sent message's id, threadId and labelIds.",
		Parameters: []app.Field{connParam},
		Mapper:     append(mapper, bodyFields...),
		New: func(app.Config) (app.Module, error) {
			return &replyModule{api: a}, nil
		},
	}
}

type replyModule struct{ api *api }

// The headers a reply needs from the message it answers.
var replyHeaders = []string{"From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "References"}

func (m *replyModule) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	s, err := m.api.open(ctx, c, "__IMTCONN__")
	if err != nil {
		return nil, err
	}
	threadID := strings.TrimSpace(value.Text(c.Input["threadId"]))
	q := url.Values{"format": {"metadata"}, "metadataHeaders": replyHeaders}
	v, err := s.call(ctx, request{method: "GET", path: "/gmail/v1/users/me/threads/" + escapeID(threadID), query: q})
	if err != nil {
		return nil, err
	}
	last, err := lastMessage(v, threadID)
	if err != nil {
		return nil, err
	}
	h := headerMap(last)
	msg := weft.Bundle{}
	mode := value.Text(c.Input["replyMode"])
	sent := slices.Contains(labels(last), "SENT")
	switch mode {
	case "custom":
		msg["to"], msg["cc"], msg["bcc"] = c.Input["to"], c.Input["cc"], c.Input["bcc"]
	default:
		var to, cc []string
		switch {
		case sent:
			// Answering one's own message continues to its recipients, as Gmail does.
			to = []string{h["to"]}
		case h["reply-to"] != "":
			to = []string{h["reply-to"]}
		default:
			to = []string{h["from"]}
		}
		if mode == "all" {
			if !sent {
				to = append(to, h["to"])
			}
			cc = []string{h["cc"]}
			own, err := s.address(ctx)
			if err != nil {
				return nil, err
			}
			seen := map[string]bool{strings.ToLower(own): true}
			to, cc = others(to, seen), others(cc, seen)
		}
		msg["to"], msg["cc"] = anyList(to), anyList(cc)
	}
	if value.IsEmpty(msg["to"]) {
		return nil, weft.Errorf(weft.DataError, "to: the reply has no recipient (thread %s, reply mode %s)", threadID, mode)
	}
	subject := strings.TrimSpace(h["subject"])
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = strings.TrimSpace("Re: " + subject)
	}
	msg["subject"] = subject
	if id := strings.TrimSpace(h["message-id"]); id != "" {
		msg["inReplyTo"] = id
		msg["references"] = anyList(append(strings.Fields(h["references"]), id))
	}
	if err := body(c.Input, msg); err != nil {
		return nil, err
	}
	if msg["from"], err = s.from(ctx, value.Text(c.Input["from"])); err != nil {
		return nil, err
	}
	out, err := s.sendMessage(ctx, c, msg, threadID)
	if err != nil {
		return nil, err
	}
	return []weft.Bundle{out}, nil
}

// lastMessage is the thread's newest message that is not a draft.
func lastMessage(v any, threadID string) (map[string]any, error) {
	t, _ := v.(map[string]any)
	msgs := value.Array(t["messages"])
	for i := len(msgs) - 1; i >= 0; i-- {
		m, ok := msgs[i].(map[string]any)
		if ok && !slices.Contains(labels(m), "DRAFT") {
			return m, nil
		}
	}
	return nil, weft.Errorf(weft.DataError, "threadId: thread %s has no message to reply to", threadID)
}

func labels(m map[string]any) []string {
	var out []string
	for _, l := range value.Array(m["labelIds"]) {
		out = append(out, value.Text(l))
	}
	return out
}

// headerMap is a message's headers (payload.headers), by lower-case name.
func headerMap(m map[string]any) map[string]string {
	out := map[string]string{}
	p, _ := m["payload"].(map[string]any)
	for _, x := range value.Array(p["headers"]) {
		h, _ := x.(map[string]any)
		name := strings.ToLower(value.Text(h["name"]))
		if _, dup := out[name]; !dup {
			out[name] = value.Text(h["value"])
		}
	}
	return out
}

// others lists the addresses of the header values, without those in seen (the
// account's own, the ones already listed); seen grows.
func others(values []string, seen map[string]bool) []string {
	var out []string
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		list, err := netmail.ParseAddressList(v)
		if err != nil {
			if !seen[strings.ToLower(strings.TrimSpace(v))] {
				out = append(out, v) // kept as written; Compose reports it if it is no address
			}
			continue
		}
		for _, a := range list {
			key := strings.ToLower(a.Address)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, a.String())
		}
	}
	return out
}

func anyList(s []string) []any {
	out := make([]any, 0, len(s))
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return out
}
