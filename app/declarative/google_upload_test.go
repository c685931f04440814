package declarative_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/weftworks/weft"
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

// createADocument's one upload meets Google's table.
func TestDocsCreateADocumentErrors(t *testing.T) {
	checkGoogleErrors(t, "google-docs", "createADocument", `{"name": "x", "content": "<p>y</p>", "folderId": "/"}`, googleErrorTable(
		googleCase{name: "403 storage quota", status: 403,
			body: googleErr(403, "", "storageQuotaExceeded", "The user's Drive storage quota has been exceeded."), want: weft.OutOfSpaceError}))
}
