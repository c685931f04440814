package declarative_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/value"
)

// driveAPI is a stand-in for the Drive API v3 (and Docs' batchUpdate) on 127.0.0.1,
// following Google's reference: resumable uploads (a POST with the metadata answers a
// session URI in Location, which keeps the query; the PUT of the bytes creates the
// file), files.get (metadata, alt=media), files.export, files.copy, files.list,
// files.create (folders), files.update, permissions.create and documents.batchUpdate.
type driveAPI struct {
	*httptest.Server
	mu       sync.Mutex
	got      []got
	files    map[string]map[string]any // id → metadata
	content  map[string][]byte
	sessions map[string]map[string]any // upload id → metadata
	n        int
	token    string // the access token accepted
}

func newDriveAPI(t *testing.T) *driveAPI {
	d := &driveAPI{files: map[string]map[string]any{}, content: map[string][]byte{}, sessions: map[string]map[string]any{}, token: "ya29.secret"}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.Close)
	return d
}

func (d *driveAPI) add(id string, meta map[string]any, content string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	meta["id"] = id
	d.files[id] = meta
	d.content[id] = []byte(content)
}

func (d *driveAPI) requests() []got {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]got(nil), d.got...)
}

func (d *driveAPI) paths() string {
	var out []string
	for _, g := range d.requests() {
		out = append(out, g.Method+" "+g.Path)
	}
	return strings.Join(out, " | ")
}

func (d *driveAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.got = append(d.got, got{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(body)})
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if r.Header.Get("Authorization") != "Bearer "+d.token {
		w.WriteHeader(401)
		io.WriteString(w, `{"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}`)
		return
	}
	fail := func(code int, reason, msg string) {
		w.WriteHeader(code)
		io.WriteString(w, googleErr(code, "", reason, msg))
	}
	answer := func(v any) {
		e := json.NewEncoder(w)
		e.SetEscapeHTML(false) // as Google writes JSON
		e.Encode(v)
	}
	q := r.URL.Query()
	p := r.URL.Path
	fileID := func(prefix string) string {
		rest := strings.TrimPrefix(p, prefix)
		id, _, _ := strings.Cut(rest, "/")
		return id
	}
	switch {
	case r.Method == "POST" && p == "/upload/drive/v3/files" && q.Get("uploadType") == "resumable" && q.Get("upload_id") == "":
		var meta map[string]any
		if err := json.Unmarshal(body, &meta); err != nil {
			fail(400, "parseError", "Parse Error")
			return
		}
		if meta["mimeType"] == nil && r.Header.Get("X-Upload-Content-Type") != "" {
			meta["mimeType"] = r.Header.Get("X-Upload-Content-Type")
		}
		d.n++
		id := "u" + itoa(d.n)
		d.sessions[id] = meta
		q.Set("upload_id", id)
		w.Header().Set("Location", d.URL+"/upload/drive/v3/files?"+q.Encode())
		w.WriteHeader(200)
	case r.Method == "PUT" && p == "/upload/drive/v3/files" && q.Get("upload_id") != "":
		meta, found := d.sessions[q.Get("upload_id")]
		if !found {
			fail(404, "notFound", "No such upload session")
			return
		}
		delete(d.sessions, q.Get("upload_id"))
		d.n++
		id := "F" + itoa(d.n)
		f := map[string]any{"kind": "drive#file", "id": id, "name": meta["name"], "mimeType": meta["mimeType"], "parents": meta["parents"],
			"webViewLink": "https://drive.google.com/file/d/" + id + "/view?usp=drivesdk"}
		d.files[id], d.content[id] = f, body
		answer(f)
	case r.Method == "GET" && strings.HasPrefix(p, "/drive/v3/files/") && strings.HasSuffix(p, "/export"):
		id := fileID("/drive/v3/files/")
		if _, found := d.files[id]; !found {
			fail(404, "notFound", "File not found: "+id+".")
			return
		}
		w.Header().Set("Content-Type", q.Get("mimeType"))
		io.WriteString(w, "exported "+id+" as "+q.Get("mimeType"))
	case r.Method == "GET" && strings.HasPrefix(p, "/drive/v3/files/"):
		id := fileID("/drive/v3/files/")
		f, found := d.files[id]
		if !found {
			fail(404, "notFound", "File not found: "+id+".")
			return
		}
		if q.Get("alt") == "media" {
			if strings.HasPrefix(f["mimeType"].(string), "application/vnd.google-apps.") {
				fail(403, "fileNotDownloadable", "Only files with binary content can be downloaded. Use Export with Docs Editors files.")
				return
			}
			w.Header().Set("Content-Type", f["mimeType"].(string))
			w.Write(d.content[id])
			return
		}
		answer(f)
	case r.Method == "POST" && strings.HasPrefix(p, "/drive/v3/files/") && strings.HasSuffix(p, "/copy"):
		id := fileID("/drive/v3/files/")
		src, found := d.files[id]
		if !found {
			fail(404, "notFound", "File not found: "+id+".")
			return
		}
		var meta map[string]any
		json.Unmarshal(body, &meta)
		d.n++
		cid := "C" + itoa(d.n)
		f := map[string]any{"kind": "drive#file", "id": cid, "name": meta["name"], "mimeType": src["mimeType"], "parents": meta["parents"],
			"webViewLink": "https://docs.google.com/document/d/" + cid + "/edit?usp=drivesdk"}
		d.files[cid] = f
		answer(f)
	case r.Method == "GET" && p == "/drive/v3/files":
		// files.list for the queries the tests send: name = '…', a folder's children,
		// folders only.
		var hits []any
		name := regexp.MustCompile(`name = '([^']*)'`).FindStringSubmatch(q.Get("q"))
		parent := regexp.MustCompile(`'([^']*)' in parents`).FindStringSubmatch(q.Get("q"))
		for _, id := range sortedIDs(d.files) {
			f := d.files[id]
			if name != nil && f["name"] != name[1] {
				continue
			}
			if parent != nil && !containsAny(f["parents"], parent[1]) {
				continue
			}
			if strings.Contains(q.Get("q"), "mimeType = 'application/vnd.google-apps.folder'") && f["mimeType"] != "application/vnd.google-apps.folder" {
				continue
			}
			hits = append(hits, f)
		}
		if hits == nil {
			hits = []any{}
		}
		answer(map[string]any{"files": hits})
	case r.Method == "POST" && p == "/drive/v3/files":
		var meta map[string]any
		json.Unmarshal(body, &meta)
		d.n++
		id := "D" + itoa(d.n)
		meta["id"], meta["kind"], meta["webViewLink"] = id, "drive#file", "https://drive.google.com/drive/folders/"+id
		d.files[id] = meta
		answer(meta)
	case r.Method == "PATCH" && strings.HasPrefix(p, "/drive/v3/files/"):
		id := fileID("/drive/v3/files/")
		f, found := d.files[id]
		if !found {
			fail(404, "notFound", "File not found: "+id+".")
			return
		}
		var parents []any
		for _, x := range f["parents"].([]any) {
			if !strings.Contains(","+q.Get("removeParents")+",", ","+x.(string)+",") {
				parents = append(parents, x)
			}
		}
		for _, x := range strings.Split(q.Get("addParents"), ",") {
			if x != "" {
				parents = append(parents, x)
			}
		}
		f["parents"] = parents
		answer(f)
	case r.Method == "POST" && strings.HasPrefix(p, "/drive/v3/files/") && strings.HasSuffix(p, "/permissions"):
		var perm map[string]any
		json.Unmarshal(body, &perm)
		perm["kind"], perm["id"] = "drive#permission", "anyoneWithLink"
		answer(perm)
	case r.Method == "POST" && strings.HasPrefix(p, "/v1/documents/") && strings.HasSuffix(p, ":batchUpdate"):
		id := strings.TrimSuffix(strings.TrimPrefix(p, "/v1/documents/"), ":batchUpdate")
		answer(map[string]any{"documentId": id, "replies": []any{}})
	default:
		fail(404, "notFound", "stand-in: no route for "+r.Method+" "+p)
	}
}

func sortedIDs(m map[string]map[string]any) []string {
	var ids []string
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func containsAny(list any, s string) bool {
	for _, x := range value.Array(list) {
		if x == s {
			return true
		}
	}
	return false
}

func driveRun(t *testing.T, d *driveAPI, appName, module, mapper string) ([]weft.Bundle, error) {
	t.Helper()
	s := &standIn{Server: d.Server}
	return run(t, shipped(t, appName, module, s), googleCreds, mapper)
}

// Blueprint 308's uploadAFile: an email attachment (a buffer) into a folder given as a
// Drive path: a resumable upload — the metadata, then the bytes with their type.
func TestDriveUploadAFile(t *testing.T) {
	d := newDriveAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = googleCreds
	pdf := []byte("%PDF-1.7 \x00\xff invoice")
	out, err := apptest.Run(t.Context(), shipped(t, "google-drive", "uploadAFile", &standIn{Server: d.Server}), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"data": pdf, "select": "value", "convert": false, "filename": "invoice 7.pdf", "folderId": "/1h0Hh2bdCwj8XcXZFwqXpj68E1r68Q-v4", "destination": "drive"}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := d.requests()
	if len(g) != 2 {
		t.Fatalf("requests %s", d.paths())
	}
	if g[0].Method != "POST" || g[0].Path != "/upload/drive/v3/files" || g[0].Query != "fields=%2A&supportsAllDrives=true&uploadType=resumable" ||
		g[0].Header.Get("X-Upload-Content-Type") != "application/pdf" {
		t.Fatalf("session request %s %s?%s %v", g[0].Method, g[0].Path, g[0].Query, g[0].Header)
	}
	sameJSON(t, "metadata", jsonBody(t, g[0].Body), `{"name": "invoice 7.pdf", "parents": ["1h0Hh2bdCwj8XcXZFwqXpj68E1r68Q-v4"]}`)
	if g[1].Method != "PUT" || g[1].Body != string(pdf) || g[1].Header.Get("Content-Type") != "application/pdf" ||
		g[1].Header.Get("Authorization") != "Bearer ya29.secret" || !strings.Contains(g[1].Query, "upload_id=u1") {
		t.Fatalf("upload %s ?%s %q %v", g[1].Method, g[1].Query, g[1].Body, g[1].Header)
	}
	if len(out) != 1 || out[0]["id"] != "F2" || out[0]["name"] != "invoice 7.pdf" || out[0]["mimeType"] != "application/pdf" ||
		out[0]["webViewLink"] != "https://drive.google.com/file/d/F2/view?usp=drivesdk" {
		t.Fatalf("output %v", out)
	}
}

// A new name (title), and convert: a docx becomes a Google Docs document.
func TestDriveUploadAFileConverted(t *testing.T) {
	d := newDriveAPI(t)
	out, err := driveRun(t, d, "google-drive", "uploadAFile",
		`{"data": "PK…", "filename": "report.DOCX", "title": "Q1 report", "convert": true, "folderId": "/"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.requests()
	sameJSON(t, "metadata", jsonBody(t, g[0].Body), `{"name": "Q1 report", "parents": ["root"], "mimeType": "application/vnd.google-apps.document"}`)
	if g[0].Header.Get("X-Upload-Content-Type") != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" {
		t.Errorf("upload type %q", g[0].Header.Get("X-Upload-Content-Type"))
	}
	if out[0]["mimeType"] != "application/vnd.google-apps.document" {
		t.Errorf("output %v", out[0])
	}
}

// Blueprint 319's createAFileFromText, converted to a document.
func TestDriveCreateAFileFromText(t *testing.T) {
	d := newDriveAPI(t)
	out, err := driveRun(t, d, "google-drive", "createAFileFromText",
		`{"name": "Leads", "content": "Ada\nBob", "convert": true, "folderId": "/1WT/1kK", "destination": "drive"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.requests()
	sameJSON(t, "metadata", jsonBody(t, g[0].Body), `{"name": "Leads", "parents": ["1kK"], "mimeType": "application/vnd.google-apps.document"}`)
	if g[1].Body != "Ada\nBob" || g[1].Header.Get("Content-Type") != "text/plain; charset=UTF-8" || out[0]["name"] != "Leads" {
		t.Fatalf("upload %q %q, output %v", g[1].Body, g[1].Header.Get("Content-Type"), out)
	}
}

// Blueprint 307's getAFile: a file with content is downloaded; a Google Docs file is
// exported in the format chosen for documents, named with its extension.
func TestDriveGetAFile(t *testing.T) {
	d := newDriveAPI(t)
	d.add("img1", map[string]any{"name": "moto.jpg", "mimeType": "image/jpeg", "webViewLink": "https://drive.google.com/file/d/img1/view"}, "\xff\xd8\xffJPEG")
	d.add("doc1", map[string]any{"name": "Contract", "mimeType": "application/vnd.google-apps.document"}, "")
	formats := `"formatDrawings": "image/jpeg", "formatDocuments": "application/pdf",
		"formatSpreadsheets": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"formatPresentations": "application/vnd.openxmlformats-officedocument.presentationml.presentation"`
	out, err := driveRun(t, d, "google-drive", "getAFile", `{"file": "img1", "select": "map", `+formats+`}`)
	if err != nil {
		t.Fatal(err)
	}
	if d.paths() != "GET /drive/v3/files/img1 | GET /drive/v3/files/img1" || d.requests()[1].Query != "alt=media&supportsAllDrives=true" {
		t.Fatalf("requests %s ?%s", d.paths(), d.requests()[1].Query)
	}
	b := out[0]
	if b["name"] != "moto.jpg" || b["id"] != "img1" || string(b["data"].([]byte)) != "\xff\xd8\xffJPEG" || b["size"] != float64(7) ||
		b["webViewLink"] != "https://drive.google.com/file/d/img1/view" {
		t.Fatalf("output %v", b)
	}

	out, err = driveRun(t, d, "google-drive", "getAFile", `{"file": "/folder/doc1", `+formats+`}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.requests()
	if e := g[len(g)-1]; e.Path != "/drive/v3/files/doc1/export" || e.Query != "mimeType=application%2Fpdf" {
		t.Fatalf("export %s ?%s", e.Path, e.Query)
	}
	if b := out[0]; b["name"] != "Contract.pdf" || b["mimeType"] != "application/pdf" || string(b["data"].([]byte)) != "exported doc1 as application/pdf" {
		t.Fatalf("output %v", b)
	}
}

// Blueprint 142's moveAFileIntoAFolder: the parents read, then replaced.
func TestDriveMoveAFileIntoAFolder(t *testing.T) {
	d := newDriveAPI(t)
	d.add("f9", map[string]any{"name": "irpf.pdf", "mimeType": "application/pdf", "parents": []any{"inbox1", "inbox2"}}, "")
	out, err := driveRun(t, d, "google-drive", "moveAFileIntoAFolder",
		`{"file": "f9", "move": "drive", "select": "file", "folderId": "/root/done1", "destination": "drive"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.requests()
	if d.paths() != "GET /drive/v3/files/f9 | PATCH /drive/v3/files/f9" || g[0].Query != "fields=parents&supportsAllDrives=true" {
		t.Fatalf("requests %s ?%s", d.paths(), g[0].Query)
	}
	if q := decodeQuery(t, g[1].Query); q.Get("addParents") != "done1" || q.Get("removeParents") != "inbox1,inbox2" {
		t.Fatalf("update ?%s", g[1].Query)
	}
	sameJSON(t, "parents", out[0]["parents"], `["done1"]`)
}

// Blueprint 321's shareAFileFolder: anyone may read; the permission with the links.
func TestDriveShareAFileFolder(t *testing.T) {
	d := newDriveAPI(t)
	d.add("img2", map[string]any{"name": "post.png", "mimeType": "image/png",
		"webViewLink": "https://drive.google.com/file/d/img2/view", "webContentLink": "https://drive.google.com/uc?id=img2&export=download"}, "")
	out, err := driveRun(t, d, "google-drive", "shareAFileFolder",
		`{"file": "img2", "role": "reader", "type": "anyone", "select": "file", "destination": "drive", "allowFileDiscovery": false}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.requests()
	if d.paths() != "POST /drive/v3/files/img2/permissions | GET /drive/v3/files/img2" || g[0].Query != "fields=%2A&supportsAllDrives=true" {
		t.Fatalf("requests %s ?%s", d.paths(), g[0].Query)
	}
	sameJSON(t, "permission", jsonBody(t, g[0].Body), `{"role": "reader", "type": "anyone", "allowFileDiscovery": false}`)
	if out[0]["webContentLink"] != "https://drive.google.com/uc?id=img2&export=download" {
		t.Errorf("webContentLink %q", out[0]["webContentLink"])
	}
	delete(out[0], "webContentLink")
	sameJSON(t, "output", out, `[{"role": "reader", "type": "anyone", "allowFileDiscovery": false, "kind": "drive#permission", "id": "anyoneWithLink",
		"fileId": "img2", "shareLink": "https://drive.google.com/file/d/img2/view"}]`)

	// A user's role names the address, and owner transfers ownership.
	_, err = driveRun(t, d, "google-drive", "shareAFileFolder", `{"file": "img2", "role": "owner", "type": "user", "emailAddress": "ann@example.org"}`)
	if err != nil {
		t.Fatal(err)
	}
	g = d.requests()
	sameJSON(t, "permission", jsonBody(t, g[2].Body), `{"role": "owner", "type": "user", "emailAddress": "ann@example.org"}`)
	if q := decodeQuery(t, g[2].Query); q.Get("transferOwnership") != "true" {
		t.Errorf("query %s", g[2].Query)
	}
}

// Blueprint 367's createAFolder, shared with anyone as writer.
func TestDriveCreateAFolderShared(t *testing.T) {
	d := newDriveAPI(t)
	out, err := driveRun(t, d, "google-drive", "createAFolder",
		`{"name": "Post 12", "role": "writer", "type": "anyone", "shared": true, "folderId": "/1gv/1zG/14v", "destination": "drive"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.requests()
	if d.paths() != "POST /drive/v3/files | POST /drive/v3/files/D1/permissions" {
		t.Fatalf("requests %s", d.paths())
	}
	sameJSON(t, "folder", jsonBody(t, g[0].Body), `{"name": "Post 12", "mimeType": "application/vnd.google-apps.folder", "parents": ["14v"]}`)
	sameJSON(t, "permission", jsonBody(t, g[1].Body), `{"role": "writer", "type": "anyone"}`)
	if len(out) != 1 || out[0]["id"] != "D1" || out[0]["name"] != "Post 12" {
		t.Fatalf("output %v", out)
	}
	// Not shared: one request.
	d2 := newDriveAPI(t)
	if _, err := driveRun(t, d2, "google-drive", "createAFolder", `{"name": "Solo", "shared": false, "folderId": "/"}`); err != nil {
		t.Fatal(err)
	}
	if d2.paths() != "POST /drive/v3/files" {
		t.Fatalf("requests %s", d2.paths())
	}
}

// Blueprints 382 and 174's createADocumentFromTemplate: the template copied, its
// {{tags}} replaced, its images replaced by URL (object id and tab from the key).
func TestDocsCreateADocumentFromTemplate(t *testing.T) {
	d := newDriveAPI(t)
	d.add("1ZBX", map[string]any{"name": "Brief template", "mimeType": "application/vnd.google-apps.document"}, "")
	out, err := driveRun(t, d, "google-docs", "createADocumentFromTemplate", `{"from": "drive", "name": "Brief Gala 2026-05-01",
		"select": "dropdown", "document": "/1ZBX", "folderId": "/15iF", "destination": "drive",
		"requests": {"DATE": "01.05.2026", "VENUE": "Hall A", "CREW_LIST": 12},
		"image": {"kix.1icxd7xfegr8-t.0": "https://example.org/qr.png"}}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.requests()
	if d.paths() != "POST /drive/v3/files/1ZBX/copy | POST /v1/documents/C1:batchUpdate | POST /v1/documents/C1:batchUpdate" {
		t.Fatalf("requests %s", d.paths())
	}
	sameJSON(t, "copy", jsonBody(t, g[0].Body), `{"name": "Brief Gala 2026-05-01", "parents": ["15iF"]}`)
	texts := jsonBody(t, g[1].Body)["requests"].([]any)
	if len(texts) != 3 {
		t.Fatalf("replacements %v", texts)
	}
	found := map[string]string{}
	for _, x := range texts {
		r := x.(map[string]any)["replaceAllText"].(map[string]any)
		ct := r["containsText"].(map[string]any)
		if ct["matchCase"] != true {
			t.Errorf("matchCase %v", ct)
		}
		found[ct["text"].(string)] = r["replaceText"].(string)
	}
	sameJSON(t, "replacements", found, `{"{{DATE}}": "01.05.2026", "{{VENUE}}": "Hall A", "{{CREW_LIST}}": "12"}`)
	sameJSON(t, "image", jsonBody(t, g[2].Body), `{"requests": [{"replaceImage": {"imageObjectId": "kix.1icxd7xfegr8", "tabId": "t.0",
		"uri": "https://example.org/qr.png", "imageReplaceMethod": "CENTER_CROP"}}]}`)
	if out[0]["id"] != "C1" || out[0]["webViewLink"] != "https://docs.google.com/document/d/C1/edit?usp=drivesdk" {
		t.Fatalf("output %v", out)
	}
}

// Blueprint 138's exportADocument: the document as PDF, named after it.
func TestDocsExportADocument(t *testing.T) {
	d := newDriveAPI(t)
	d.add("C7", map[string]any{"name": "weekly performance", "mimeType": "application/vnd.google-apps.document"}, "")
	out, err := driveRun(t, d, "google-docs", "exportADocument", `{"document": "C7", "mimeType": "application/pdf", "destination": "drive"}`)
	if err != nil {
		t.Fatal(err)
	}
	if d.paths() != "GET /drive/v3/files/C7 | GET /drive/v3/files/C7/export" {
		t.Fatalf("requests %s", d.paths())
	}
	b := out[0]
	if b["filename"] != "weekly performance.pdf" || b["mimeType"] != "application/pdf" || string(b["data"].([]byte)) != "exported C7 as application/pdf" {
		t.Fatalf("output %v", b)
	}
}

// Every step of the multi-request modules meets Google's error table: the first
// request failing, and a later one failing after the first succeeded (the module fails
// with the later answer's type; nothing of the earlier step's output is emitted).
func TestDriveStepErrors(t *testing.T) {
	file := ok(`{"kind": "drive#file", "id": "f1", "name": "a.pdf", "mimeType": "application/pdf", "parents": ["p1"]}`)
	doc := ok(`{"kind": "drive#file", "id": "d1", "name": "Contract", "mimeType": "application/vnd.google-apps.document"}`)
	perReason := func(code int, reason string, want weft.ErrorType) googleCase {
		return googleCase{name: itoa(code) + " " + reason, status: code, body: googleErr(code, "", reason, reason), want: want}
	}
	for _, tc := range []struct {
		app, module, mapper string
		before              []reply
		extra               []googleCase
	}{
		{"google-drive", "uploadAFile", `{"data": "x", "filename": "a.txt", "folderId": "/"}`, nil, []googleCase{
			perReason(403, "storageQuotaExceeded", weft.OutOfSpaceError),
			{name: "200 without a session", status: 200, body: `{}`, want: weft.UnexpectedError, message: "Drive started no upload session"}}},
		{"google-drive", "uploadAFile", `{"data": "x", "filename": "a.txt", "folderId": "/"}`,
			[]reply{{status: 200, header: map[string]string{"Location": "SESSION"}}}, []googleCase{
				{name: "413 too large", status: 413, body: googleErr(413, "", "uploadTooLarge", "The file is too large."), want: weft.MaxFileSizeExceededError}}},
		{"google-drive", "createAFileFromText", `{"name": "a.txt", "content": "x", "folderId": "/"}`, nil, nil},
		{"google-drive", "getAFile", `{"file": "f1"}`, nil, nil},
		{"google-drive", "getAFile", `{"file": "f1"}`, []reply{file}, []googleCase{
			perReason(403, "cannotDownloadAbusiveFile", weft.DataError)}},
		{"google-drive", "getAFile", `{"file": "d1", "formatDocuments": "application/pdf"}`, []reply{doc}, []googleCase{
			perReason(403, "exportSizeLimitExceeded", weft.DataError)}},
		{"google-drive", "moveAFileIntoAFolder", `{"file": "f1", "folderId": "/p2"}`, nil, nil},
		{"google-drive", "moveAFileIntoAFolder", `{"file": "f1", "folderId": "/p2"}`, []reply{file}, []googleCase{
			perReason(403, "teamDriveFileLimitExceeded", weft.DataError)}},
		{"google-drive", "shareAFileFolder", `{"file": "f1", "role": "reader", "type": "anyone"}`, nil, []googleCase{
			perReason(403, "sharingRateLimitExceeded", weft.RateLimitError)}},
		{"google-drive", "shareAFileFolder", `{"file": "f1", "role": "reader", "type": "anyone"}`, []reply{ok(`{"id": "anyoneWithLink"}`)}, nil},
		{"google-drive", "createAFolder", `{"name": "x", "folderId": "/", "shared": true, "role": "reader", "type": "anyone"}`, nil, []googleCase{
			perReason(403, "storageQuotaExceeded", weft.OutOfSpaceError)}},
		{"google-drive", "createAFolder", `{"name": "x", "folderId": "/", "shared": true, "role": "reader", "type": "anyone"}`,
			[]reply{ok(`{"id": "D1", "name": "x"}`)}, nil},
		{"google-docs", "createADocumentFromTemplate", `{"document": "/t1", "name": "n", "folderId": "/", "requests": {"A": "1"}}`, nil, []googleCase{
			perReason(403, "cannotCopyFile", weft.DataError)}},
		{"google-docs", "createADocumentFromTemplate", `{"document": "/t1", "name": "n", "folderId": "/", "requests": {"A": "1"}}`,
			[]reply{ok(`{"id": "C1", "name": "n"}`)}, nil},
		{"google-docs", "createADocumentFromTemplate", `{"document": "/t1", "name": "n", "folderId": "/", "requests": {"A": "1"}, "image": {"kix.1": "https://example.org/a.png"}}`,
			[]reply{ok(`{"id": "C1", "name": "n"}`), ok(`{"documentId": "C1", "replies": [{}]}`)}, nil},
		{"google-docs", "exportADocument", `{"document": "d1", "mimeType": "application/pdf"}`, nil, nil},
		{"google-docs", "exportADocument", `{"document": "d1", "mimeType": "application/pdf"}`, []reply{doc}, []googleCase{
			perReason(403, "exportSizeLimitExceeded", weft.DataError)}},
		{"google-docs", "createADocument", `{"name": "x", "content": "<p>y</p>", "folderId": "/", "header": true}`, []reply{doc}, nil},
		{"google-docs", "createADocument", `{"name": "x", "content": "<p>y</p>", "folderId": "/", "footer": true}`, []reply{doc}, nil},
	} {
		t.Run(tc.module+" after "+itoa(len(tc.before)), func(t *testing.T) {
			checkGoogleErrorsAfter(t, tc.app, tc.module, tc.mapper, tc.before, googleErrorTable(tc.extra...))
		})
	}

	d := newDriveAPI(t)
	_, err := driveRun(t, d, "google-drive", "getAFile", `{"file": "nope"}`)
	wantType(t, err, weft.DataError, "[404] File not found: nope.")
}

// 047 (the repo corpus: a shared drive's year/month/week folders): the year folder is
// searched in two places; where it exists, this month's folder is created in it with a
// folder per week (Make's search emits nothing when nothing matches, so the branches
// for a missing year never run, in Make as here).
func TestCorpus047DriveFolders(t *testing.T) {
	d := newDriveAPI(t)
	d.token = "tok-7189904"
	d.add("Y2026", map[string]any{"name": "2026", "mimeType": "application/vnd.google-apps.folder", "parents": []any{"1cr1FWCO8rod0arh-lPbbD6a6QO36wLjd"}}, "")
	eng, p := corpusEngine(t, "047-drive-folder-creation.json", map[string]string{"google-drive": d.URL})
	res, err := eng.Run(context.Background(), p, engine.Input{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	var created []string
	for _, g := range d.requests() {
		if g.Header.Get("Authorization") != "Bearer tok-7189904" {
			t.Errorf("%s %s: %q", g.Method, g.Path, g.Header.Get("Authorization"))
		}
		if g.Method == "GET" {
			q := decodeQuery(t, g.Query)
			if q.Get("corpora") != "drive" || q.Get("driveId") != "0AMU9_ttXHQFWUk9PVA" || q.Get("useDomainAdminAccess") != "true" ||
				!strings.HasPrefix(q.Get("q"), "name = '2026' and mimeType = 'application/vnd.google-apps.folder' and ") {
				t.Errorf("search %v", q)
			}
			continue
		}
		b := jsonBody(t, g.Body)
		created = append(created, value.Text(b["name"])+" in "+value.Text(value.Array(b["parents"])[0]))
	}
	// 2026-03-04: March, weeks from the 1st, the last to the month's end; the export's
	// line breaks after two of the names are sent as mapped.
	want := []string{"Mar in Y2026", "01 Mar - 07 Mar in D1", "08 Mar - 14 Mar in D1", "15 Mar - 21 Mar\r\n in D1", "22 Mar - 28 Mar\r\n in D1", "29 Mar - 31 Mar in D1"}
	if strings.Join(created, " | ") != strings.Join(want, " | ") {
		t.Fatalf("folders created\n  %q\nwant\n  %q", created, want)
	}
}
