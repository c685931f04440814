package declarative_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/engine"
)

// 138 (a Make user's weekly performance reports): a sheet's rows are read, OpenAI
// writes each employee's summary, a Google Docs template is copied and filled with the
// row and the summary, the copy exported as PDF through Drive, and the PDF emailed to
// the employee through Gmail as an attachment: a file passed from one module to another
// as Make passes it (the export's filename and data mapped into the attachment).
func TestCorpus138DocsTemplateExportedAndEmailed(t *testing.T) {
	pdf := "%PDF-1.4\n\x00\xe2\xe3 weekly report"
	google := newGoogleStandIn(t, map[string]string{
		"GET /v4/spreadsheets/12YF3gWZza-c1niR6Tby1LjDErkqJQaOCR4Jg66wH3Ns/values/%27Sheet1%27!A2%3AG": `{"range": "Sheet1!A2:G3", "majorDimension": "ROWS",
			"values": [["E7", "Ada Lovelace", "ada@example.org", "12", "11", "5/5", "3"], ["E8", "Alan Turing", "alan@example.org", "9", "9", "4/5", "2"]]}`,
		"POST /drive/v3/files/16NRsRoqZrN-llThmWMYadZ3pW7AytEG1MirdKQMFm1Q/copy": `{"kind": "drive#file", "id": "1Copy", "name": "weekly performace ",
			"mimeType": "application/vnd.google-apps.document", "webViewLink": "https://docs.google.com/document/d/1Copy/edit?usp=drivesdk"}`,
		"POST /v1/documents/1Copy:batchUpdate": `{"documentId": "1Copy", "replies": [{"replaceAllText": {"occurrencesChanged": 1}}]}`,
		"GET /drive/v3/files/1Copy":            `{"id": "1Copy", "name": "weekly performace "}`,
		"GET /drive/v3/files/1Copy/export":     pdf,
		"GET /gmail/v1/users/me/profile":       `{"emailAddress": "hr@example.com"}`,
	})
	openai := newStandIn(t, ok(`{"id": "c1", "object": "chat.completion", "model": "gpt-3.5-turbo",
		"choices": [{"index": 0, "message": {"role": "assistant", "content": "Ada completed 11 of 12 tasks. Rating: excellent."}, "finish_reason": "stop"}]}`))
	urls := map[string]string{"google-sheets": google.URL, "google-drive": google.URL, "google-docs": google.URL, "google-email": google.URL,
		"openai-gpt-3": openai.URL}
	eng, p := corpusFile(t, "138-integration-google-sheets.json", urls)
	res, err := eng.Run(context.Background(), p, engine.Input{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	if res.Operations != 11 {
		t.Errorf("operations %d, want 11 (the sheet once; the feeder, OpenAI, the template, the export and Gmail per row)", res.Operations)
	}
	reqs := google.requests()
	var keys []string
	for _, r := range reqs {
		keys = append(keys, r.Method+" "+r.Path)
		if r.Header.Get("Authorization") != "Bearer tok-12512875" && r.Header.Get("Authorization") != "Bearer tok-12858898" {
			t.Errorf("%s %s: Authorization %q", r.Method, r.Path, r.Header.Get("Authorization"))
		}
	}
	perRow := []string{"POST /drive/v3/files/16NRsRoqZrN-llThmWMYadZ3pW7AytEG1MirdKQMFm1Q/copy", "POST /v1/documents/1Copy:batchUpdate",
		"GET /drive/v3/files/1Copy", "GET /drive/v3/files/1Copy/export", "POST /gmail/v1/users/me/messages/send"}
	want := append(append([]string{"GET /v4/spreadsheets/12YF3gWZza-c1niR6Tby1LjDErkqJQaOCR4Jg66wH3Ns/values/%27Sheet1%27!A2%3AG"}, perRow...), perRow...)
	if strings.Join(keys, " | ") != strings.Join(want, " | ") {
		t.Fatalf("Google requests\n  %q\nwant\n  %q", keys, want)
	}
	if q := decodeQuery(t, reqs[0].Query); q.Get("valueRenderOption") != "FORMATTED_VALUE" || q.Get("majorDimension") != "ROWS" {
		t.Errorf("sheet query %v", q)
	}
	if c := openai.requests(); len(c) != 2 || !strings.Contains(c[0].Body, `Employee Name:Ada Lovelace\nEmployee ID:E7`) ||
		!strings.Contains(c[1].Body, `Employee Name:Alan Turing`) {
		t.Fatalf("OpenAI requests %v", c)
	}
	for i, row := range []struct{ name, id, address, summary string }{
		{"Ada Lovelace", "E7", "ada@example.org", "Ada completed 11 of 12 tasks. Rating: excellent."},
		{"Alan Turing", "E8", "alan@example.org", "Ada completed 11 of 12 tasks. Rating: excellent."},
	} {
		copyReq, fill, export := reqs[1+5*i], reqs[2+5*i], reqs[4+5*i]
		sameJSON(t, "copy", jsonBody(t, copyReq.Body), `{"name": "weekly performace ", "parents": ["root"]}`)
		found := map[string]any{}
		for _, x := range jsonBody(t, fill.Body)["requests"].([]any) {
			r := x.(map[string]any)["replaceAllText"].(map[string]any)
			found[r["containsText"].(map[string]any)["text"].(string)] = r["replaceText"]
		}
		if len(found) != 7 || found["{{Name}}"] != row.name || found["{{EmployeeID}}"] != row.id || found["{{ChatGPT_Output}}"] != row.summary {
			t.Errorf("row %d: replacements %v", i+1, found)
		}
		if export.Query != "mimeType=application%2Fpdf" {
			t.Errorf("export ?%s", export.Query)
		}
		m, err := email.ParseMessage(bytes.NewReader(google.sent[i]))
		if err != nil {
			t.Fatal(err)
		}
		to := m["to"].([]any)
		if len(to) != 1 || to[0].(map[string]any)["address"] != row.address || m["subject"] != "Report" {
			t.Errorf("email %d: to %v subject %q", i+1, to, m["subject"])
		}
		atts := m["attachments"].([]any)
		if len(atts) != 1 {
			t.Fatalf("email %d: %d attachments", i+1, len(atts))
		}
		a := atts[0].(map[string]any)
		if a["fileName"] != "weekly performace .pdf" || a["contentType"] != "application/pdf" || !bytes.Equal(a["data"].([]byte), []byte(pdf)) {
			t.Errorf("email %d: attachment %q %q %q", i+1, a["fileName"], a["contentType"], a["data"])
		}
	}
}
