package gmail_test

import (
	"encoding/base64"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// A message as messages.get format=full answers it: a text body, an inline image with
// a Content-ID, an attached PDF stored apart, and a small attached file sent with the
// message.
var invoiceMessage = `{"id": "m9", "threadId": "t9", "payload": {"partId": "", "mimeType": "multipart/mixed", "filename": "",
	"headers": [{"name": "Subject", "value": "Invoice"}], "body": {"size": 0}, "parts": [
	{"partId": "0", "mimeType": "multipart/related", "filename": "", "body": {"size": 0}, "parts": [
		{"partId": "0.0", "mimeType": "text/html", "filename": "", "body": {"size": 20, "data": "` + b64("<p>see attached</p>") + `"}},
		{"partId": "0.1", "mimeType": "image/png", "filename": "logo.png",
		 "headers": [{"name": "Content-Disposition", "value": "inline; filename=\"logo.png\""}, {"name": "Content-ID", "value": "<logo@x>"}],
		 "body": {"attachmentId": "ATT-LOGO", "size": 4}}]},
	{"partId": "1", "mimeType": "application/pdf", "filename": "invoice.pdf",
	 "headers": [{"name": "Content-Disposition", "value": "attachment; filename=\"invoice.pdf\""}],
	 "body": {"attachmentId": "ATT-PDF", "size": 9}},
	{"partId": "2", "mimeType": "text/csv", "filename": "lines.csv",
	 "headers": [{"name": "Content-Disposition", "value": "attachment"}],
	 "body": {"size": 6, "data": "` + b64("a,b\n1,") + `"}}]}}`

func b64(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }

// Blueprint 308's listEmailAttachments (attachment and media, with data): one bundle
// per file, data fetched with attachments.get when Gmail keeps it apart.
func TestListEmailAttachments(t *testing.T) {
	s := newStandIn(t)
	s.messages["m9"] = invoiceMessage
	s.atts["ATT-LOGO"] = b64("\x89PNG")
	s.atts["ATT-PDF"] = base64.RawURLEncoding.EncodeToString([]byte("%PDF-1.4\xff"))
	out, err := run(t, s, "google-email:listEmailAttachments", `{"__IMTCONN__": 1}`,
		`{"include": ["attachment", "media"], "messageId": "m9", "returnAttachmentData": true}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, typ, mime, data string
	}{{"logo.png", "media", "image/png", "\x89PNG"}, {"invoice.pdf", "attachment", "application/pdf", "%PDF-1.4\xff"}, {"lines.csv", "attachment", "text/csv", "a,b\n1,"}}
	if len(out) != len(want) {
		t.Fatalf("%d bundles, want %d: %v", len(out), len(want), out)
	}
	for i, w := range want {
		b := out[i]
		if b["filename"] != w.name || b["type"] != w.typ || b["mimeType"] != w.mime || string(b["data"].([]byte)) != w.data ||
			b["__IMTINDEX__"] != float64(i+1) || b["__IMTLENGTH__"] != float64(3) {
			t.Errorf("bundle %d = %v", i, b)
		}
	}
	if out[0]["contentId"] != "logo@x" || out[1]["attachmentId"] != "ATT-PDF" || out[1]["size"] != float64(9) {
		t.Errorf("bundles %v", out)
	}
	var paths []string
	for _, r := range s.requests() {
		paths = append(paths, r.Method+" "+r.Path+"?"+r.Query)
	}
	wantPaths := []string{"GET /gmail/v1/users/me/messages/m9?format=full",
		"GET /gmail/v1/users/me/messages/m9/attachments/ATT-LOGO?", "GET /gmail/v1/users/me/messages/m9/attachments/ATT-PDF?"}
	if len(paths) != len(wantPaths) {
		t.Fatalf("requests %v", paths)
	}
	for i := range paths {
		if paths[i] != wantPaths[i] {
			t.Errorf("request %d = %s, want %s", i, paths[i], wantPaths[i])
		}
	}
}

// Only media, without data: no attachments.get.
func TestListEmailAttachmentsMediaWithoutData(t *testing.T) {
	s := newStandIn(t)
	s.messages["m9"] = invoiceMessage
	out, err := run(t, s, "google-email:listEmailAttachments", `{"__IMTCONN__": 1}`,
		`{"include": ["media"], "messageId": "m9", "returnAttachmentData": false}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "output", out, `[{"filename": "logo.png", "mimeType": "image/png", "size": 4, "attachmentId": "ATT-LOGO",
		"type": "media", "partId": "0.1", "contentId": "logo@x", "__IMTINDEX__": 1, "__IMTLENGTH__": 1}]`)
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	_, err = run(t, s, "google-email:listEmailAttachments", `{"__IMTCONN__": 1}`, `{"include": ["everything"], "messageId": "m9"}`)
	apptest.WantError(t, err, weft.DataError, `include/0: "everything" is not attachment or media`)
}
