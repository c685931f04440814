package gmail

import (
	"context"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// createADraftSpec is Make's "Create a draft" (version 4, blueprint 049 of the repo's
// corpus): the message of sendAnEmail saved as a draft (drafts.create), optionally in a
// thread.
func createADraftSpec(a *api) app.Spec {
	mapper := []app.Field{
		{Name: "to", Label: "To", Type: app.TypeArray, Required: true, Help: "Recipient addresses."},
		{Name: "subject", Label: "Subject", Type: app.TypeText},
		{Name: "from", Label: "From", Type: app.TypeText,
			Help: "A send-as address of the account, or a display name alone for the account's own address. Empty: the account's address."},
		{Name: "cc", Label: "CC recipients", Type: app.TypeArray},
		{Name: "bcc", Label: "BCC recipients", Type: app.TypeArray},
		{Name: "threadId", Label: "Thread ID", Type: app.TypeText, Help: "Saves the draft as a reply in this thread."},
		{Name: "folders", Label: "Folders", Type: app.TypeArray,
			Help: "Accepted for Make's exports; Gmail keeps drafts under the DRAFT label, so nothing is sent."},
	}
	return app.Spec{
		Name:       "google-email:createADraft",
		Label:      "Gmail: Create a draft",
		Help:       "Saves an email as a draft (drafts.create). Output: the draft: id and message (id, threadId, labelIds).",
		Parameters: []app.Field{connParam},
		Mapper:     append(mapper, bodyFields...),
		New:        func(app.Config) (app.Module, error) { return &draftModule{api: a}, nil },
	}
}

type draftModule struct{ api *api }

func (m *draftModule) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	s, err := m.api.open(ctx, c, "__IMTCONN__")
	if err != nil {
		return nil, err
	}
	msg := weft.Bundle{"to": c.Input["to"], "cc": c.Input["cc"], "bcc": c.Input["bcc"], "subject": c.Input["subject"]}
	if err := body(c.Input, msg); err != nil {
		return nil, err
	}
	if msg["from"], err = s.from(ctx, value.Text(c.Input["from"])); err != nil {
		return nil, err
	}
	raw, err := s.compose(c, msg)
	if err != nil {
		return nil, err
	}
	message := map[string]any{"raw": raw}
	if t := strings.TrimSpace(value.Text(c.Input["threadId"])); t != "" {
		message["threadId"] = t
	}
	v, err := s.call(ctx, request{method: "POST", path: "/gmail/v1/users/me/drafts", body: map[string]any{"message": message}})
	if err != nil {
		return nil, err
	}
	out, ok := v.(map[string]any)
	if !ok || value.Text(out["id"]) == "" {
		return nil, weft.Errorf(weft.UnexpectedError, "POST /gmail/v1/users/me/drafts: the answer is not a draft: %s", excerpt(value.JSON(v), 200))
	}
	return []weft.Bundle{out}, nil
}

// updateEmailLabelsSpec is Make's "Modify email labels" (version 4, blueprint 049).
func updateEmailLabelsSpec(a *api) app.Spec {
	return app.Spec{
		Name:  "google-email:updateEmailLabels",
		Label: "Gmail: Modify email labels",
		Help: "Adds and removes labels of an email (messages.modify): label IDs such as INBOX, UNREAD, STARRED or Label_12. " +
			"Output: the message's id, threadId and labelIds.",
		Parameters: []app.Field{connParam},
		Mapper: []app.Field{
			{Name: "messageId", Label: "Message ID", Type: app.TypeText, Required: true},
			{Name: "addLabels", Label: "Labels to add", Type: app.TypeArray},
			{Name: "removeLabels", Label: "Labels to remove", Type: app.TypeArray},
		},
		New: func(app.Config) (app.Module, error) { return &labelsModule{api: a}, nil },
	}
}

type labelsModule struct{ api *api }

func (m *labelsModule) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	add, remove := labelList(c.Input["addLabels"]), labelList(c.Input["removeLabels"])
	if len(add) == 0 && len(remove) == 0 {
		return nil, weft.Errorf(weft.DataError, "addLabels, removeLabels: give a label to add or to remove")
	}
	s, err := m.api.open(ctx, c, "__IMTCONN__")
	if err != nil {
		return nil, err
	}
	id := strings.TrimSpace(value.Text(c.Input["messageId"]))
	v, err := s.call(ctx, request{method: "POST", path: "/gmail/v1/users/me/messages/" + escapeID(id) + "/modify",
		body: map[string]any{"addLabelIds": add, "removeLabelIds": remove}})
	if err != nil {
		return nil, err
	}
	out, _ := v.(map[string]any)
	return []weft.Bundle{out}, nil
}

// labelList reads a label field: an array, or one label (blueprint 049 maps "INBOX"),
// or labels separated by commas.
func labelList(v any) []string {
	out := []string{}
	for _, x := range value.Array(v) {
		for _, l := range strings.Split(value.Text(x), ",") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}
