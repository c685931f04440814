package declarative_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/engine"
)

// 013 (a Make user's "Google Sheets to Google Calendar events"): each new row of a
// sheet (watchRows) is an event; every address of its column D gets a welcome email
// through Gmail, and the event is created with them as attendees.
func TestCorpus013SheetRowsToCalendarEvents(t *testing.T) {
	sheets := newStandIn(t, ok(`{"range": "'<SHEET_NAME>'!A1:Z1000", "majorDimension": "ROWS", "values": [
		["start", "end", "title", "guests", "description"],
		["2026-03-10 09:00", "2026-03-10 10:30", "Loom Meetup", "ann@example.org bob@example.org", "Bring yarn"]]}`))
	var sent [][]byte
	gmail := newStandIn(t)
	gmail.fn = func(r *http.Request, body string) reply {
		b := jsonBody(t, body)
		raw, err := base64.URLEncoding.DecodeString(b["raw"].(string))
		if err != nil {
			t.Errorf("raw: %v", err)
		}
		sent = append(sent, raw)
		return ok(`{"id": "m` + itoa(len(sent)) + `", "threadId": "t` + itoa(len(sent)) + `", "labelIds": ["SENT"]}`)
	}
	calendar := newStandIn(t, ok(calendarEvent))
	eng, p := corpusEngine(t, "013-gsheet-to-gcal-events.json",
		map[string]string{"google-sheets": sheets.URL, "google-email": gmail.URL, "google-calendar": calendar.URL})
	res, err := eng.Run(context.Background(), p, engine.Input{}) // no position yet: every row
	if err != nil {
		t.Fatal(err)
	}
	// The trigger, the iterator, two emails, the aggregator and the event.
	if res.Status != weft.StatusSuccess || res.Operations != 6 {
		t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
	}
	if g := sheets.only(t); g.Method != "GET" || g.Path != "/v4/spreadsheets/%3CSPREADSHEET_ID%3E/values/%27%3CSHEET_NAME%3E%27!A1%3AZ" {
		t.Fatalf("watchRows request %s %s", g.Method, g.Path)
	}

	mails := gmail.requests()
	if len(mails) != 2 || len(sent) != 2 {
		t.Fatalf("%d Gmail requests, want 2", len(mails))
	}
	for i, to := range []string{"ann@example.org", "bob@example.org"} {
		g := mails[i]
		if g.Method != "POST" || g.Path != "/gmail/v1/users/me/messages/send" || g.Header.Get("Authorization") != "Bearer tok-<GOOGLE_RESTRICTED_ACCOUNT_ID>" {
			t.Fatalf("Gmail request %d: %s %s %q", i, g.Method, g.Path, g.Header.Get("Authorization"))
		}
		m, err := email.ParseMessage(bytes.NewReader(sent[i]))
		if err != nil {
			t.Fatal(err)
		}
		gotTo := m["to"].([]any)[0].(map[string]any)["address"]
		if gotTo != to || m["subject"] != "Welcome to the Loom Meetup" ||
			!strings.Contains(m["html"].(string), "We are excited to see you in Loom Meetup at 2026-03-10 09:00.") {
			t.Errorf("email %d: to %v subject %q html %q", i, gotTo, m["subject"], m["html"])
		}
	}

	c := calendar.only(t)
	if c.Method != "POST" || c.Path != "/calendar/v3/calendars/%3CYOUR_EMAIL%3E/events" || c.Header.Get("Authorization") != "Bearer tok-<GOOGLE_CONN_ID>" {
		t.Fatalf("Calendar request %s %s %q", c.Method, c.Path, c.Header.Get("Authorization"))
	}
	sameJSON(t, "event", jsonBody(t, c.Body), `{"summary": "Loom Meetup", "description": "Bring yarn",
		"start": {"dateTime": "2026-03-10T09:00:00.000Z"}, "end": {"dateTime": "2026-03-10T10:30:00.000Z"},
		"transparency": "opaque", "visibility": "default",
		"attendees": [{"email": "ann@example.org"}, {"email": "bob@example.org"}],
		"guestsCanModify": false, "guestsCanInviteOthers": true, "guestsCanSeeOtherGuests": true}`)
	if res.Position == nil {
		t.Errorf("the committed run left no trigger position")
	}
}
