package declarative_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/value"
)

// googleStandIn answers the Drive, Docs, Gmail and Sheets calls of a blueprint on one
// server, by path, and keeps what it received.
type googleStandIn struct {
	*standIn
	sent [][]byte // Gmail messages
}

func newGoogleStandIn(t *testing.T, answers map[string]string) *googleStandIn {
	g := &googleStandIn{standIn: newStandIn(t)}
	g.fn = func(r *http.Request, body string) reply {
		key := r.Method + " " + r.URL.EscapedPath()
		if key == "POST /gmail/v1/users/me/messages/send" || key == "POST /gmail/v1/users/me/drafts" {
			b := jsonBody(t, body)
			if m, isDraft := b["message"].(map[string]any); isDraft {
				b = m
			}
			raw, err := base64.URLEncoding.DecodeString(value.Text(b["raw"]))
			if err != nil {
				return reply{status: 400, body: `{"error": {"code": 400, "message": "Invalid raw"}}`}
			}
			g.mu.Lock()
			g.sent = append(g.sent, raw)
			g.mu.Unlock()
			if a, found := answers[key]; found {
				return ok(a)
			}
			return ok(`{"id": "m1", "threadId": "t1", "labelIds": ["SENT"]}`)
		}
		if a, found := answers[key]; found {
			return ok(a)
		}
		return reply{status: 404, body: `{"error": {"code": 404, "message": "no stand-in answer for ` + key + `", "status": "NOT_FOUND"}}`}
	}
	return g
}

// corpusFile compiles a corpus export copied into testdata/corpus, with texts replaced
// (the author's placeholders for URLs), on the engine with every app.
func corpusFile(t *testing.T, name string, urls map[string]string, replace ...string) (*engine.Engine, *engine.Plan) {
	t.Helper()
	data, err := os.ReadFile("../../testdata/corpus/" + name)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.NewReplacer(replace...).Replace(string(data)))
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: fullRegistry(t, urls), Clock: func() time.Time { return now },
		NewID: func() string { return "exec-1" }, Connections: func(ref any) (weft.Bundle, error) {
			return weft.Bundle{"accessToken": "tok-" + value.Text(ref), "apiKey": "sk-" + value.Text(ref)}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return eng, p
}

// 176 (a Make user's AI proposal generator): a webhook's lead is written up by an LLM
// (HTTP), a Google Docs template copied in Drive and filled with Docs' replaceAllText,
// the link emailed through Gmail, Slack told, and the lead logged in a sheet, its
// values mapped by column header (useColumnHeaders: the header row is read first).
func TestCorpus176ProposalFromDocsTemplate(t *testing.T) {
	google := newGoogleStandIn(t, map[string]string{
		"POST /drive/v3/files/YOUR_GOOGLE_DOC_TEMPLATE_ID/copy": driveFile,
		"POST /v1/documents/1NewCopy:batchUpdate":               `{"documentId": "1NewCopy", "replies": [{"replaceAllText": {"occurrencesChanged": 1}}]}`,
		"GET /gmail/v1/users/me/profile":                        `{"emailAddress": "brad@lux.example"}`,
		"GET /v4/spreadsheets/YOUR_GOOGLE_SHEET_ID/values/%27Sheet1%27!A1%3AZ1": `{"range": "Sheet1!A1:Z1", "majorDimension": "ROWS",
			"values": [["Client Name ", "Email", "Project Type", "Lot Address", "Budget Range", "Timeline", "Special Notes", "Submission Date", "Link to Proposal Document "]]}`,
		"POST /v4/spreadsheets/YOUR_GOOGLE_SHEET_ID/values/%27Sheet1%27!A1%3AZ1:append": `{"spreadsheetId": "YOUR_GOOGLE_SHEET_ID", "tableRange": "Sheet1!A1:I4",
			"updates": {"spreadsheetId": "YOUR_GOOGLE_SHEET_ID", "updatedRange": "Sheet1!A5:I5", "updatedRows": 1, "updatedColumns": 9, "updatedCells": 9}}`,
	})
	llm := newStandIn(t, ok(`{"choices": [{"message": {"role": "assistant", "content": "PROJECT OVERVIEW\nA modern home on Lot 7."}}]}`))
	slack := newStandIn(t, reply{status: 200, body: "ok", header: map[string]string{"Content-Type": "text/plain"}})
	urls := map[string]string{"google-drive": google.URL, "google-docs": google.URL, "google-email": google.URL, "google-sheets": google.URL}
	eng, p := corpusFile(t, "176-lux-ai-proposal-generator.json", urls,
		"https://api.groq.com/openai/v1/chat/completions", llm.URL+"/openai/v1/chat/completions",
		"YOUR_SLACK_WEBHOOK_URL", slack.URL+"/hook")
	lead := `{"client_name": "Ada Lovelace", "email": "ada@example.org", "project_type": "Custom home", "lot_address": "Lot 7, Kelowna",
		"budget_range": "$1.2M", "timeline": "18 months", "special_notes": "Lake view"}`
	res, err := eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{{decode(t, lead)}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusSuccess || res.Operations != 7 {
		t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
	}
	reqs := google.requests()
	var keys []string
	for _, r := range reqs {
		keys = append(keys, r.Method+" "+r.Path)
		if r.Header.Get("Authorization") == "" {
			t.Errorf("%s %s without a token", r.Method, r.Path)
		}
	}
	want := []string{"POST /drive/v3/files/YOUR_GOOGLE_DOC_TEMPLATE_ID/copy", "POST /v1/documents/1NewCopy:batchUpdate",
		"GET /gmail/v1/users/me/profile", "POST /gmail/v1/users/me/messages/send",
		"GET /v4/spreadsheets/YOUR_GOOGLE_SHEET_ID/values/%27Sheet1%27!A1%3AZ1", "POST /v4/spreadsheets/YOUR_GOOGLE_SHEET_ID/values/%27Sheet1%27!A1%3AZ1:append",
	}
	if strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Fatalf("Google requests\n  %v\nwant\n  %v", keys, want)
	}
	// The export's name holds a broken formatDate call, read tolerantly (docs/mapping.md).
	sameJSON(t, "copy", jsonBody(t, reqs[0].Body), `{"name": "LUX Proposal - Ada Lovelace -  + \"2026-03-04\"", "parents": ["YOUR_GOOGLE_DRIVE_FOLDER_ID"]}`)
	batch := jsonBody(t, reqs[1].Body)["requests"].([]any)
	if len(batch) != 7 {
		t.Fatalf("%d replacements, want 7", len(batch))
	}
	sameJSON(t, "proposal body", batch[5], `{"replaceAllText": {"containsText": {"text": "[PROPOSAL_BODY]", "matchCase": true},
		"replaceText": "PROJECT OVERVIEW\nA modern home on Lot 7."}}`)
	m, err := email.ParseMessage(bytes.NewReader(google.sent[0]))
	if err != nil {
		t.Fatal(err)
	}
	atts := m["attachments"].([]any)
	if m["subject"] != "Your LUX Quality Homes Proposal - Ada Lovelace" || len(atts) != 1 {
		t.Fatalf("subject %q attachments %d", m["subject"], len(atts))
	}
	// The blueprint attaches the copy's link as a file named after the copy (Make sends
	// what is mapped: a text file holding the link).
	if a := atts[0].(map[string]any); a["fileName"] != "LUX Proposal - Ada" ||
		string(a["data"].([]byte)) != "https://docs.google.com/document/d/1NewCopy/edit?usp=drivesdk" {
		t.Errorf("attachment %v", a)
	}
	if !strings.Contains(m["from"].(map[string]any)["address"].(string), "brad@lux.example") {
		t.Errorf("from %v", m["from"])
	}
	// The lead's row, each value at its header's column.
	row := jsonBody(t, reqs[5].Body)["values"].([]any)[0].([]any)
	if len(row) != 9 || row[0] != "Ada Lovelace" || row[1] != "ada@example.org" || row[6] != "Lake view" ||
		row[8] != "https://docs.google.com/document/d/1NewCopy/edit?usp=drivesdk" {
		t.Errorf("sheet row %v", row)
	}
	s := slack.only(t)
	if s.Path != "/hook" || !strings.Contains(s.Body, `*Proposal Doc:* https://docs.google.com/document/d/1NewCopy/edit?usp=drivesdk`) {
		t.Errorf("Slack %s %s", s.Path, s.Body)
	}
}
