package declarative_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// relatedPart is one part of a multipart/related upload.
type relatedPart struct {
	contentType string
	body        []byte
}

// relatedParts reads a multipart/related body as Drive does (metadata, then media).
func relatedParts(t *testing.T, g got) []relatedPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(g.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/related" {
		t.Fatalf("Content-Type %q: %v", g.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(bytes.NewReader([]byte(g.Body)), params["boundary"])
	var out []relatedPart
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		out = append(out, relatedPart{p.Header.Get("Content-Type"), b})
	}
}

// uploaded is Drive's answer to files.create: the file the metadata describes.
func uploaded(r *http.Request, body string) reply {
	return ok(`{"kind": "drive#file", "id": "F1", "name": "invoice 7.pdf", "mimeType": "application/pdf",
		"webViewLink": "https://drive.google.com/file/d/F1/view?usp=drivesdk"}`)
}

// Blueprint 308's uploadAFile: an email attachment (a buffer) into a folder given as a
// Drive path, in one multipart/related request: the metadata, then the bytes and their
// type.
func TestDriveUploadAFile(t *testing.T) {
	s := newStandIn(t)
	s.fn = uploaded
	exec := apptest.NewExec()
	exec.Connections["conn"] = googleCreds
	pdf := []byte("%PDF-1.7 \x00\xff invoice")
	out, err := apptest.Run(t.Context(), shipped(t, "google-drive", "uploadAFile", s), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"data": pdf, "select": "value", "convert": false, "filename": "invoice 7.pdf", "folderId": "/1h0Hh2bdCwj8XcXZFwqXpj68E1r68Q-v4", "destination": "drive"}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/upload/drive/v3/files" || g.Query != "fields=%2A&supportsAllDrives=true&uploadType=multipart" ||
		g.Header.Get("Authorization") != "Bearer ya29.secret" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	parts := relatedParts(t, g)
	if len(parts) != 2 || parts[0].contentType != "application/json; charset=UTF-8" || parts[1].contentType != "application/pdf" ||
		!bytes.Equal(parts[1].body, pdf) {
		t.Fatalf("parts %+v", parts)
	}
	sameJSON(t, "metadata", jsonBody(t, string(parts[0].body)), `{"name": "invoice 7.pdf", "parents": ["1h0Hh2bdCwj8XcXZFwqXpj68E1r68Q-v4"]}`)
	if len(out) != 1 || out[0]["id"] != "F1" || out[0]["webViewLink"] != "https://drive.google.com/file/d/F1/view?usp=drivesdk" {
		t.Fatalf("output %v", out)
	}
}

// A new name (title), and convert: a docx becomes a Google Docs document; text data is
// sent as its UTF-8 bytes (blueprint 338 uploads an AI answer as a .txt file).
func TestDriveUploadAFileConvertedAndText(t *testing.T) {
	s := newStandIn(t)
	s.fn = uploaded
	if _, err := run(t, shipped(t, "google-drive", "uploadAFile", s), googleCreds,
		`{"data": "PK…", "filename": "report.DOCX", "title": "Q1 report", "convert": true, "folderId": "/"}`); err != nil {
		t.Fatal(err)
	}
	parts := relatedParts(t, s.only(t))
	sameJSON(t, "metadata", jsonBody(t, string(parts[0].body)), `{"name": "Q1 report", "parents": ["root"], "mimeType": "application/vnd.google-apps.document"}`)
	if parts[1].contentType != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" || string(parts[1].body) != "PK…" {
		t.Fatalf("media %+v", parts[1])
	}
}

// Blueprint 319's createAFileFromText, converted to a document.
func TestDriveCreateAFileFromText(t *testing.T) {
	s := newStandIn(t)
	s.fn = uploaded
	if _, err := run(t, shipped(t, "google-drive", "createAFileFromText", s), googleCreds,
		`{"name": "Leads", "content": "Ada\nBob", "convert": true, "folderId": "/1WT/1kK", "destination": "drive"}`); err != nil {
		t.Fatal(err)
	}
	parts := relatedParts(t, s.only(t))
	sameJSON(t, "metadata", jsonBody(t, string(parts[0].body)), `{"name": "Leads", "parents": ["1kK"], "mimeType": "application/vnd.google-apps.document"}`)
	if parts[1].contentType != "text/plain; charset=UTF-8" || string(parts[1].body) != "Ada\nBob" {
		t.Fatalf("media %+v", parts[1])
	}
}

// Blueprint 097's createADocument: HTML uploaded through Drive and converted, in one
// request; a header and a footer asked for are added by documents.batchUpdate on the
// new document, and the output stays the Drive file.
func TestDocsCreateADocument(t *testing.T) {
	s := newStandIn(t)
	s.fn = uploaded
	if _, err := run(t, shipped(t, "google-docs", "createADocument", s), googleCreds,
		`{"name": "Sales Report - March", "content": "<h1>Sales</h1><p>Up 4%</p>", "destination": "drive", "header": false, "footer": false, "folderId": "/1dOk"}`); err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/upload/drive/v3/files" || g.Query != "fields=%2A&supportsAllDrives=true&uploadType=multipart" {
		t.Fatalf("request %s?%s", g.Path, g.Query)
	}
	parts := relatedParts(t, g)
	sameJSON(t, "metadata", jsonBody(t, string(parts[0].body)), `{"name": "Sales Report - March", "parents": ["1dOk"], "mimeType": "application/vnd.google-apps.document"}`)
	if parts[1].contentType != "text/html; charset=UTF-8" || string(parts[1].body) != "<h1>Sales</h1><p>Up 4%</p>" {
		t.Fatalf("media %+v", parts[1])
	}
	out, err := run(t, shipped(t, "google-docs", "createADocument", s), googleCreds,
		`{"name": "x", "content": "y", "header": true, "footer": true, "folderId": "/"}`)
	if err != nil {
		t.Fatal(err)
	}
	g2 := s.requests()
	if len(g2) != 4 {
		t.Fatalf("%d requests", len(g2))
	}
	for i, want := range []string{`{"requests": [{"createHeader": {"type": "DEFAULT"}}]}`, `{"requests": [{"createFooter": {"type": "DEFAULT"}}]}`} {
		r := g2[2+i]
		if r.Method != "POST" || r.Path != "/v1/documents/F1:batchUpdate" || r.Header.Get("Authorization") != "Bearer ya29.secret" {
			t.Fatalf("request %d: %s %s %v", 3+i, r.Method, r.Path, r.Header)
		}
		sameJSON(t, "batchUpdate", jsonBody(t, r.Body), want)
	}
	if len(out) != 1 || out[0]["id"] != "F1" || out[0]["webViewLink"] != "https://drive.google.com/file/d/F1/view?usp=drivesdk" {
		t.Fatalf("output %v", out)
	}
}

func TestDriveUploadErrors(t *testing.T) {
	checkGoogleErrors(t, "google-drive", "uploadAFile", `{"data": "x", "filename": "a.txt", "folderId": "/"}`, googleErrorTable(
		googleCase{name: "403 storage quota", status: 403,
			body: googleErr(403, "", "storageQuotaExceeded", "The user's Drive storage quota has been exceeded."), want: weft.OutOfSpaceError},
		googleCase{name: "413 too large", status: 413, body: googleErr(413, "", "uploadTooLarge", "The file is too large."),
			want: weft.MaxFileSizeExceededError},
	))
	checkGoogleErrors(t, "google-docs", "createADocument", `{"name": "x", "content": "<p>y</p>", "folderId": "/"}`, googleErrorTable())
}
