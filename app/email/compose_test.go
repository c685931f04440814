package email

import (
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// Compose writes the blind recipients into a Bcc header only when asked (Gmail's API
// reads them there), leaves From out when none is given (the service writes the
// account's address) and embeds files with a content id.
func TestComposeForAServiceThatDelivers(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := weft.Bundle{
		"to":          []any{"bob@example.org"},
		"bcc":         []any{"Boss <boss@example.org>", ""},
		"subject":     "Report",
		"html":        `<p>See <img src="cid:chart"></p>`,
		"attachments": []any{map[string]any{"fileName": "chart.png", "data": []byte("\x89PNG"), "cid": "chart"}},
	}
	raw, err := Compose(in, ComposeOptions{Now: now, NewID: func() string { return "id1" }, KeepBcc: true})
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	for _, line := range []string{`Bcc: "Boss" <boss@example.org>`, "Message-ID: <id1@weft.invalid>", "Date: Fri, 02 Jan 2026 03:04:05 +0000"} {
		if !strings.Contains(head, line+"\r\n") {
			t.Errorf("header lacks %q:\n%s", line, head)
		}
	}
	if strings.Contains(head, "\r\nFrom:") || strings.HasPrefix(head, "From:") {
		t.Errorf("a From header was written though none was given:\n%s", head)
	}
	b := mustParse(t, raw)
	deepEqual(t, "html", b["html"], `<p>See <img src="cid:chart"></p>`)
	atts := b["attachments"].([]any)
	if len(atts) != 1 || atts[0].(map[string]any)["fileName"] != "chart.png" {
		t.Fatalf("attachments %#v", atts)
	}

	raw, err = Compose(in, ComposeOptions{Now: now, NewID: func() string { return "id2" }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(raw)), "\r\nbcc:") {
		t.Errorf("Bcc written without KeepBcc")
	}

	_, err = Compose(weft.Bundle{"to": []any{"bob@example.org"}, "from": "not an address"}, ComposeOptions{Now: now})
	apptest.WantError(t, err, weft.DataError, `from: "not an address" is not an email address`)
	_, err = Compose(weft.Bundle{"subject": "x"}, ComposeOptions{Now: now})
	apptest.WantError(t, err, weft.DataError, "to: no recipient address")
}
