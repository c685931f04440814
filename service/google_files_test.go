package service_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/email"
)

// googleFiles is a stand-in for the Drive, Docs and Gmail calls of a template-to-PDF
// email, on one server: files.copy, documents.batchUpdate, files.get, files.export
// (the PDF's bytes) and messages.send, which answers 429 (Google's rateLimitExceeded,
// with Retry-After) while rateLimited is set.
type googleFiles struct {
	*httptest.Server
	mu          sync.Mutex
	calls       []string
	sent        [][]byte // raw messages Gmail accepted
	rateLimited bool
}

const pdfBytes = "%PDF-1.4\n\x00\xff\xfe binary report"

func newGoogleFiles(t *testing.T) *googleFiles {
	g := &googleFiles{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		defer g.mu.Unlock()
		key := r.Method + " " + r.URL.Path
		g.calls = append(g.calls, key)
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		if r.Header.Get("Authorization") != "Bearer ya29.google" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}`)
			return
		}
		switch key {
		case "POST /drive/v3/files/1Template/copy":
			io.WriteString(w, `{"kind": "drive#file", "id": "1Copy", "name": "Report Ada", "mimeType": "application/vnd.google-apps.document"}`)
		case "POST /v1/documents/1Copy:batchUpdate":
			io.WriteString(w, `{"documentId": "1Copy", "replies": [{"replaceAllText": {"occurrencesChanged": 1}}]}`)
		case "GET /drive/v3/files/1Copy":
			io.WriteString(w, `{"id": "1Copy", "name": "Report Ada"}`)
		case "GET /drive/v3/files/1Copy/export":
			w.Header().Set("Content-Type", "application/pdf")
			io.WriteString(w, pdfBytes)
		case "POST /gmail/v1/users/me/messages/send":
			if g.rateLimited {
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(429)
				io.WriteString(w, `{"error": {"code": 429, "message": "Too many concurrent requests for user", "status": "RESOURCE_EXHAUSTED",
					"errors": [{"reason": "rateLimitExceeded", "domain": "usageLimits", "message": "Too many concurrent requests for user"}]}}`)
				return
			}
			var req struct{ Raw string }
			json.Unmarshal(body, &req)
			raw, err := base64.URLEncoding.DecodeString(req.Raw)
			if err != nil {
				w.WriteHeader(400)
				io.WriteString(w, `{"error": {"code": 400, "message": "Invalid raw", "status": "INVALID_ARGUMENT"}}`)
				return
			}
			g.sent = append(g.sent, raw)
			io.WriteString(w, `{"id": "m1", "threadId": "t1", "labelIds": ["SENT"]}`)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"error": {"code": 404, "message": "no stand-in route", "status": "NOT_FOUND"}}`)
		}
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *googleFiles) state() ([]string, [][]byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.calls...), append([][]byte(nil), g.sent...)
}

// A file passed between modules survives an incomplete execution: a Docs template is
// filled and exported as PDF through Drive, and Gmail refuses the email with its rate
// limit. The incomplete execution, stored in SQLite with the export's bytes in its
// bundle, is retried when due and sends the same PDF; the copy and the export are not
// made again.
func TestGoogleExportedFileSurvivesIncompleteExecution(t *testing.T) {
	g := newGoogleFiles(t)
	for _, a := range []string{"GOOGLE_DOCS", "GOOGLE_EMAIL"} {
		t.Setenv("WEFT_APP_BASEURL_"+a, g.URL)
	}
	e := newEnv(t, withSecrets(keyring(t, "a")))
	conn, err := e.svc.CreateConnection(t.Context(), "google", "google", map[string]any{"accessToken": "ya29.google"})
	if err != nil {
		t.Fatal(err)
	}
	flow := fmt.Sprintf(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"google-docs:createADocumentFromTemplate","version":1,"parameters":{"__IMTCONN__":%[1]d},
		 "mapper":{"from":"drive","name":"Report {{1.name}}","select":"dropdown","document":"/1Template","folderId":"/","requests":{"Name":"{{1.name}}"},"destination":"drive"}},
		{"id":3,"module":"google-docs:exportADocument","version":1,"parameters":{"__IMTCONN__":%[1]d},
		 "mapper":{"document":"{{2.id}}","mimeType":"application/pdf","destination":"drive"}},
		{"id":4,"module":"google-email:sendAnEmail","version":4,"parameters":{"__IMTCONN__":%[1]d},
		 "mapper":{"to":["{{1.email}}"],"subject":"Your report","bodyType":"rawHtml","content":"<p>Attached.</p>",
		  "attachments":[{"data":"{{3.data}}","filename":"{{3.filename}}"}]}}]`, conn.ID)
	id := e.scenario(flow, `{"dlq": true}`)

	g.mu.Lock()
	g.rateLimited = true
	g.mu.Unlock()
	rr := e.run(id, `{"name": "Ada", "email": "ada@example.org"}`)
	if rr.Result.Status != weft.StatusWarning || len(rr.Incomplete) != 1 {
		t.Fatalf("status %s, %d incomplete executions", rr.Result.Status, len(rr.Incomplete))
	}
	ie := e.ie(rr.Incomplete[0].ID)
	if ie.ErrorType != weft.RateLimitError || ie.FailedModuleID != 4 || !ie.AutoRetry || ie.NextAttemptAt == nil ||
		!ie.NextAttemptAt.Equal(e.clock.Now().Add(120*time.Second)) {
		t.Fatalf("IE %+v", ie)
	}
	calls, sent := g.state()
	if len(sent) != 0 || len(calls) != 5 {
		t.Fatalf("calls %q, %d sent", calls, len(sent))
	}

	// Gmail accepts again; the retry is due at Google's Retry-After.
	g.mu.Lock()
	g.rateLimited = false
	g.mu.Unlock()
	e.clock.Add(119 * time.Second)
	if n := e.due(); n != 0 {
		t.Fatalf("%d retries before Retry-After", n)
	}
	e.clock.Add(time.Second)
	if n := e.due(); n != 1 {
		t.Fatalf("%d retries when due", n)
	}
	if ie := e.ie(ie.ID); ie.Status != weft.IncompleteResolved {
		t.Fatalf("IE status %s after the retry", ie.Status)
	}
	calls, sent = g.state()
	want := []string{"POST /drive/v3/files/1Template/copy", "POST /v1/documents/1Copy:batchUpdate", "GET /drive/v3/files/1Copy",
		"GET /drive/v3/files/1Copy/export", "POST /gmail/v1/users/me/messages/send", "POST /gmail/v1/users/me/messages/send"}
	if fmt.Sprint(calls) != fmt.Sprint(want) || len(sent) != 1 {
		t.Fatalf("calls\n  %q\nwant\n  %q\n%d sent", calls, want, len(sent))
	}
	m, err := email.ParseMessage(bytes.NewReader(sent[0]))
	if err != nil {
		t.Fatal(err)
	}
	atts := m["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("%d attachments", len(atts))
	}
	a := atts[0].(map[string]any)
	if a["fileName"] != "Report Ada.pdf" || a["contentType"] != "application/pdf" || !bytes.Equal(a["data"].([]byte), []byte(pdfBytes)) {
		t.Fatalf("attachment %q %q %q", a["fileName"], a["contentType"], a["data"])
	}
}
