package declarative_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// Calendar's answer to events.insert (trimmed).
const calendarEvent = `{"kind": "calendar#event", "etag": "\"3391\"", "id": "ev1", "status": "confirmed",
	"htmlLink": "https://www.google.com/calendar/event?eid=ZXYx", "created": "2026-01-02T03:04:05.000Z", "updated": "2026-01-02T03:04:05.000Z",
	"summary": "Follow-Up Meeting with Ada", "creator": {"email": "me@example.com", "self": true},
	"start": {"dateTime": "2026-01-09T10:00:00Z", "timeZone": "UTC"}, "end": {"dateTime": "2026-01-09T11:00:00Z", "timeZone": "UTC"},
	"iCalUID": "ev1@google.com", "sequence": 0, "reminders": {"useDefault": true}, "eventType": "default"}`

// Blueprint 118's createAnEvent: a start, a duration "01:00", the older guestsCanModify.
func TestCalendarCreateAnEventDuration(t *testing.T) {
	s := newStandIn(t, ok(calendarEvent))
	out, err := run(t, shipped(t, "google-calendar", "createAnEvent", s), googleCreds, `{
		"start": "2026-01-09T10:00:00Z", "select": "detail", "summary": "Follow-Up Meeting with Ada",
		"calendar": "d2a89@group.calendar.google.com", "duration": "01:00", "visibility": "default", "allDayEvent": false,
		"transparency": "opaque", "conferenceDate": false, "guestsCanModify": false}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/calendar/v3/calendars/d2a89%40group.calendar.google.com/events" || g.Query != "" ||
		g.Header.Get("Authorization") != "Bearer ya29.secret" {
		t.Fatalf("request %s %s?%s %q", g.Method, g.Path, g.Query, g.Header.Get("Authorization"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"summary": "Follow-Up Meeting with Ada",
		"start": {"dateTime": "2026-01-09T10:00:00.000Z"}, "end": {"dateTime": "2026-01-09T11:00:00.000Z"},
		"transparency": "opaque", "visibility": "default", "guestsCanModify": false}`)
	if len(out) != 1 || out[0]["id"] != "ev1" || out[0]["start"] != "2026-01-09T10:00:00Z" || out[0]["end"] != "2026-01-09T11:00:00Z" ||
		out[0]["htmlLink"] != "https://www.google.com/calendar/event?eid=ZXYx" {
		t.Fatalf("output %v", out)
	}
}

// Blueprint 098's createAnEvent: a duration in minutes, reminders, notifications, guest
// permissions; then Meet, attendees, recurrence and attachments.
func TestCalendarCreateAnEventDetail(t *testing.T) {
	s := newStandIn(t, ok(calendarEvent))
	_, err := run(t, shipped(t, "google-calendar", "createAnEvent", s), googleCreds, `{
		"start": "2026-01-09T10:00:00Z", "select": "detail", "summary": "Demo", "calendar": "brian@example.com",
		"duration": "30", "location": "Room 1", "overrides": [{"method": "popup", "minutes": "10"}], "visibility": "default",
		"allDayEvent": false, "description": "Agenda", "sendUpdates": "all", "transparency": "opaque", "conferenceDate": true,
		"guestPermissions": {"guestsCanModify": false, "guestsCanInviteOthers": true, "guestsCanSeeOtherGuests": true},
		"attendees": [{"email": "ann@example.org", "displayName": "Ann"}, {"email": "bob@example.org"}],
		"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"], "attachments": [{"fileUrl": "https://drive.google.com/open?id=f1"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/calendar/v3/calendars/brian%40example.com/events" ||
		g.Query != "conferenceDataVersion=1&sendUpdates=all&supportsAttachments=true" {
		t.Fatalf("request %s?%s", g.Path, g.Query)
	}
	body := jsonBody(t, g.Body)
	rid, _ := body["conferenceData"].(map[string]any)["createRequest"].(map[string]any)["requestId"].(string)
	if len(rid) != 32 {
		t.Fatalf("conference requestId %q", rid)
	}
	sameJSON(t, "body", body, `{"summary": "Demo", "description": "Agenda", "location": "Room 1",
		"start": {"dateTime": "2026-01-09T10:00:00.000Z"}, "end": {"dateTime": "2026-01-09T10:30:00.000Z"},
		"transparency": "opaque", "visibility": "default",
		"attendees": [{"email": "ann@example.org", "displayName": "Ann"}, {"email": "bob@example.org"}],
		"reminders": {"useDefault": false, "overrides": [{"method": "popup", "minutes": 10}]},
		"guestsCanModify": false, "guestsCanInviteOthers": true, "guestsCanSeeOtherGuests": true,
		"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
		"conferenceData": {"createRequest": {"requestId": "`+rid+`", "conferenceSolutionKey": {"type": "hangoutsMeet"}}},
		"attachments": [{"fileUrl": "https://drive.google.com/open?id=f1"}]}`)
}

// All-day events send dates in the scenario's time zone; an end on the start's day (or
// none) makes a one-day event (Google's end date is exclusive).
func TestCalendarCreateAnEventAllDay(t *testing.T) {
	for _, tc := range []struct{ name, start, end, wantStart, wantEnd string }{
		{"no end", "2026-01-09T15:00:00Z", "", "2026-01-09", "2026-01-10"},
		{"end on the same day", "2026-01-09T15:00:00Z", "2026-01-09T20:00:00Z", "2026-01-09", "2026-01-10"},
		{"three days", "2026-01-09T15:00:00Z", "2026-01-12T15:00:00Z", "2026-01-09", "2026-01-12"},
		{"03:00 UTC is the day before in New York", "2026-01-09T03:00:00Z", "", "2026-01-08", "2026-01-09"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, ok(`{"id": "ev2", "start": {"date": "`+tc.wantStart+`"}, "end": {"date": "`+tc.wantEnd+`"}}`))
			exec := apptest.NewExec()
			exec.Loc, _ = time.LoadLocation("America/New_York")
			exec.Connections["conn"] = googleCreds
			mapper := decode(t, `{"calendar": "primary", "summary": "Offsite", "allDayEvent": true, "start": "`+tc.start+`"}`)
			if tc.end != "" {
				mapper["end"] = tc.end
			}
			out, err := apptest.Run(t.Context(), shipped(t, "google-calendar", "createAnEvent", s), weft.Bundle{"__IMTCONN__": "conn"}, mapper, exec)
			if err != nil {
				t.Fatal(err)
			}
			body := jsonBody(t, s.only(t).Body)
			sameJSON(t, "dates", map[string]any{"start": body["start"], "end": body["end"]},
				`{"start": {"date": "`+tc.wantStart+`"}, "end": {"date": "`+tc.wantEnd+`"}}`)
			if out[0]["start"] != tc.wantStart || out[0]["end"] != tc.wantEnd {
				t.Errorf("output %v", out[0])
			}
		})
	}
}

// select quick: events.quickAdd with the text.
func TestCalendarQuickAdd(t *testing.T) {
	s := newStandIn(t, ok(calendarEvent))
	if _, err := run(t, shipped(t, "google-calendar", "createAnEvent", s), googleCreds,
		`{"select": "quick", "calendar": "primary", "text": "Lunch with Ann tomorrow 12:30", "sendUpdates": "none"}`); err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/calendar/v3/calendars/primary/events/quickAdd" ||
		g.Query != "sendUpdates=none&text=Lunch+with+Ann+tomorrow+12%3A30" || g.Body != "" {
		t.Fatalf("request %s %s?%s body %q", g.Method, g.Path, g.Query, g.Body)
	}
}

// Blueprint 098's getACalendar and getFreeBusyInformation.
func TestCalendarGetAndFreeBusy(t *testing.T) {
	s := newStandIn(t, ok(`{"kind": "calendar#calendar", "id": "brian@example.com", "summary": "Brian", "timeZone": "America/Chicago"}`))
	out, err := run(t, shipped(t, "google-calendar", "getACalendar", s), googleCreds, `{"calendar": "brian@example.com"}`)
	if err != nil {
		t.Fatal(err)
	}
	if g := s.only(t); g.Method != "GET" || g.Path != "/calendar/v3/calendars/brian%40example.com" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "calendar", out, `[{"kind": "calendar#calendar", "id": "brian@example.com", "summary": "Brian", "timeZone": "America/Chicago"}]`)

	busy := `{"kind": "calendar#freeBusy", "timeMin": "2026-01-09T10:00:00.000Z", "timeMax": "2026-01-09T10:30:00.000Z",
		"calendars": {"brian@example.com": {"busy": [{"start": "2026-01-09T10:15:00Z", "end": "2026-01-09T11:00:00Z"}]}}}`
	s = newStandIn(t, ok(busy))
	out, err = run(t, shipped(t, "google-calendar", "getFreeBusyInformation", s), googleCreds,
		`{"item": [{"id": "brian@example.com"}], "timeMax": "2026-01-09T10:30:00Z", "timeMin": "2026-01-09T10:00:00Z"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/calendar/v3/freeBusy" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"timeMin": "2026-01-09T10:00:00.000Z", "timeMax": "2026-01-09T10:30:00.000Z",
		"items": [{"id": "brian@example.com"}]}`)
	sameJSON(t, "free/busy", out, "["+busy+"]")
}

func TestCalendarErrors(t *testing.T) {
	mapper := `{"calendar": "primary", "summary": "x", "start": "2026-01-09T10:00:00Z"}`
	checkGoogleErrors(t, "google-calendar", "createAnEvent", mapper, googleErrorTable(
		googleCase{name: "403 not the organizer", status: 403,
			body: googleErr(403, "", "forbiddenForNonOrganizer", "Shared properties can only be changed by the organizer of the event."),
			want: weft.DataError},
		googleCase{name: "409 duplicate", status: 409, body: googleErr(409, "", "duplicate", "The requested identifier already exists."),
			want: weft.DataError},
	))
}
