package gmail_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/value"
)

// sheetsStandIn answers the Sheets API v4 calls of blueprint 313: values.append,
// values.get (the NGO registry) and values.update.
type sheetsStandIn struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []got
}

const ngoRegistry = `{"range": "NGOregistry!A1:CZ1000", "majorDimension": "ROWS", "values": [
	["id", "name", "location", "phone", "capacity", "email"],
	["n1", "Food First", "Pune", "020-1", "50", "pune@foodfirst.example"],
	["n2", "Annapurna", "Mumbai", "022-1", "80", "mumbai@annapurna.example"]]}`

func newSheets(t *testing.T) *sheetsStandIn {
	s := &sheetsStandIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, got{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.Method {
		case "POST":
			io.WriteString(w, `{"spreadsheetId": "1P-4J", "tableRange": "DonationRequests!A1:L6",
				"updates": {"spreadsheetId": "1P-4J", "updatedRange": "DonationRequests!A7:L7", "updatedRows": 1, "updatedColumns": 12, "updatedCells": 11}}`)
		case "GET":
			io.WriteString(w, ngoRegistry)
		case "PUT":
			io.WriteString(w, `{"spreadsheetId": "1P-4J", "updatedRange": "DonationRequests!A7:K7", "updatedRows": 1, "updatedColumns": 11, "updatedCells": 5}`)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sheetsStandIn) requests() []got {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]got(nil), s.reqs...)
}

// corpus313 compiles blueprint 313 (testdata, as published) on the engine with every
// shipped app, Sheets and Gmail pointed at the stand-ins.
func corpus313(t *testing.T, sheets *sheetsStandIn, mail *standIn) (*engine.Engine, *engine.Plan) {
	t.Helper()
	t.Setenv("WEFT_APP_BASEURL_GOOGLE_SHEETS", sheets.URL)
	t.Setenv("WEFT_APP_BASEURL_GOOGLE_EMAIL", mail.URL)
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: reg, Clock: func() time.Time { return now },
		NewID: func() string { return "exec-1" }, Random: func() float64 { return 0.25 },
		Connections: func(ref any) (weft.Bundle, error) {
			return weft.Bundle{"provider": "google", "accessToken": "tok-" + value.Text(ref)}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../testdata/corpus/313-integration-webhooks.json")
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatalf("compile 313: %v", err)
	}
	return eng, p
}

const donation = `{"restaurant": "Spice Hub", "contact": "98200", "location": "Mumbai", "foodType": "Veg thali",
	"quantity": "40", "expiry": "21:00", "email": "owner@spicehub.example", "notes": "Side door"}`

// Blueprint 313 (a restaurant's surplus food, published by a Make user): the webhook's
// donation is logged in a sheet, the first NGO of the donor's city is looked up, emailed
// through Gmail with accept/decline links naming the new row, and the row updated.
func TestCorpus313DonationAssignedByGmail(t *testing.T) {
	sheets, mail := newSheets(t), newStandIn(t)
	mail.token = "tok-5350509" // the blueprint's Gmail connection
	eng, p := corpus313(t, sheets, mail)
	res, err := eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{{decode(t, donation)}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusSuccess || res.Operations != 5 {
		t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
	}

	g := sheets.requests()
	if len(g) != 3 {
		t.Fatalf("%d Sheets requests, want append, get, update", len(g))
	}
	if g[0].Method != "POST" || g[0].Path != "/v4/spreadsheets/1P-4JXAUuDC4LTkGwc6FEOCPgRjjHI1XH_QXUvi6rjWE/values/%27DonationRequests%27!A1%3AZ1:append" ||
		g[0].Header.Get("Authorization") != "Bearer tok-5349994" {
		t.Fatalf("append %s %s %q", g[0].Method, g[0].Path, g[0].Header.Get("Authorization"))
	}
	sameJSON(t, "append body", decode(t, string(g[0].Body)), `{"majorDimension": "ROWS", "values": [["2026-03-04T05:06:07.000Z",
		"Spice Hub", "98200", "Mumbai", "Veg thali", "40", "21:00", "Pending", "Not yet Assigned", null, "owner@spicehub.example", 0.25]]}`)
	if g[1].Method != "GET" || g[1].Path != "/v4/spreadsheets/1P-4JXAUuDC4LTkGwc6FEOCPgRjjHI1XH_QXUvi6rjWE/values/%27NGOregistry%27!A1%3ACZ" {
		t.Fatalf("search %s %s", g[1].Method, g[1].Path)
	}
	if g[2].Method != "PUT" || g[2].Path != "/v4/spreadsheets/1P-4JXAUuDC4LTkGwc6FEOCPgRjjHI1XH_QXUvi6rjWE/values/%27DonationRequests%27!7%3A7" {
		t.Fatalf("update %s %s", g[2].Method, g[2].Path)
	}
	sameJSON(t, "update body", decode(t, string(g[2].Body)), `{"majorDimension": "ROWS", "values": [["2026-03-04T05:06:07.000Z",
		null, null, null, null, null, null, "Waiting for Response", "mumbai@annapurna.example", "Annapurna", "owner@spicehub.example"]]}`)

	reqs := mail.requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/gmail/v1/users/me/messages/send" ||
		reqs[0].Header.Get("Authorization") != "Bearer tok-5350509" {
		t.Fatalf("Gmail requests %+v", reqs)
	}
	m, head := mail.sentMessage(t)
	for _, line := range []string{"To: <mumbai@annapurna.example>", "Subject: New Food Donation Request Assigned"} {
		if !strings.Contains(head, line+"\r\n") {
			t.Errorf("header lacks %q:\n%s", line, head)
		}
	}
	html := m["html"].(string)
	for _, part := range []string{`Hello <b style="color:#166534;">Annapurna</b>`, "Spice Hub", "40 meals", "Side door",
		"decision=accept&requestId= 7", "decision=decline&requestId= 7"} {
		if !strings.Contains(html, part) {
			t.Errorf("the email's HTML lacks %q", part)
		}
	}
}

// 313 turns dlq off: Gmail's rate limit fails the run on the email, and the row is not
// updated as sent.
func TestCorpus313GmailRateLimitFailsTheRun(t *testing.T) {
	sheets, mail := newSheets(t), newStandIn(t)
	mail.token = "tok-5350509"
	mail.failing("POST", "/gmail/v1/users/me/messages/send", 429, map[string]string{"Retry-After": "60"},
		googleError(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded", "User-rate limit exceeded"))
	eng, p := corpus313(t, sheets, mail)
	res, err := eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{{decode(t, donation)}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusError || res.Error.Type != weft.RateLimitError || res.Error.ModuleID != 10 || len(res.Incomplete) != 0 {
		t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
	}
	if n := len(sheets.requests()); n != 2 {
		t.Fatalf("%d Sheets requests, want append and get (no update)", n)
	}
}
