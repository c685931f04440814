package declarative_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// Drive's file resource as files.copy answers it with fields=* (trimmed).
const driveFile = `{"kind": "drive#file", "id": "1NewCopy", "name": "LUX Proposal - Ada", "mimeType": "application/vnd.google-apps.document",
	"parents": ["1Folder"], "webViewLink": "https://docs.google.com/document/d/1NewCopy/edit?usp=drivesdk",
	"createdTime": "2026-01-02T03:04:05.000Z", "modifiedTime": "2026-01-02T03:04:05.000Z", "owners": [{"emailAddress": "me@example.com"}]}`

// Blueprint 176's copyAFile: the template (a Drive path) copied into a folder, named.
func TestDriveCopyAFile(t *testing.T) {
	s := newStandIn(t, ok(driveFile))
	out, err := run(t, shipped(t, "google-drive", "copyAFile", s), googleCreds, `{"select": "list", "name": "LUX Proposal - Ada",
		"copy": "drive", "destination": "drive", "file": "/1Template", "folderId": "/1Parent/1Folder"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/drive/v3/files/1Template/copy" || g.Query != "fields=%2A&supportsAllDrives=true" ||
		g.Header.Get("Authorization") != "Bearer ya29.secret" {
		t.Fatalf("request %s %s?%s %q", g.Method, g.Path, g.Query, g.Header.Get("Authorization"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"name": "LUX Proposal - Ada", "parents": ["1Folder"]}`)
	sameJSON(t, "output", out, "["+driveFile+"]")

	// No name keeps the original's; the folder / is My Drive's root.
	s = newStandIn(t, ok(driveFile))
	if _, err := run(t, shipped(t, "google-drive", "copyAFile", s), googleCreds, `{"file": "1Template", "folderId": "/"}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.only(t).Body), `{"parents": ["root"]}`)
}

// Blueprint 248's deleteAFile.
func TestDriveDeleteAFile(t *testing.T) {
	s := newStandIn(t, reply{status: 204})
	out, err := run(t, shipped(t, "google-drive", "deleteAFile", s), googleCreds, `{"file": "1Gone", "select": "map", "select1": "file"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "DELETE" || g.Path != "/drive/v3/files/1Gone" || g.Query != "supportsAllDrives=true" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	sameJSON(t, "output", out, `[{"id": "1Gone"}]`)
}

func TestDriveErrors(t *testing.T) {
	checkGoogleErrors(t, "google-drive", "copyAFile", `{"file": "1Template", "folderId": "/1Folder"}`, googleErrorTable(
		googleCase{name: "403 storage quota", status: 403,
			body: googleErr(403, "", "storageQuotaExceeded", "The user's Drive storage quota has been exceeded."), want: weft.OutOfSpaceError},
		googleCase{name: "403 no access to this file", status: 403,
			body: googleErr(403, "", "insufficientFilePermissions", "The user does not have sufficient permissions for this file."), want: weft.DataError},
		googleCase{name: "403 sharing rate limit", status: 403,
			body: googleErr(403, "", "sharingRateLimitExceeded", "Rate limit exceeded for sharing."), want: weft.RateLimitError},
	))
}

// Blueprint 176's replaceATextInADocument: one replaceAllText per old text.
func TestDocsReplaceATextInADocument(t *testing.T) {
	answer := `{"documentId": "1NewCopy", "replies": [{"replaceAllText": {"occurrencesChanged": 2}}, {"replaceAllText": {}}],
		"writeControl": {"requiredRevisionId": "rev9"}}`
	s := newStandIn(t, ok(answer))
	out, err := run(t, shipped(t, "google-docs", "replaceATextInADocument", s), googleCreds, `{"destination": "drive",
		"replaceText": [{"oldText": "CLIENT_NAME", "newText": "Ada"}, {"oldText": "[DATE]", "newText": ""}], "document": "1NewCopy"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v1/documents/1NewCopy:batchUpdate" || g.Query != "" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"requests": [
		{"replaceAllText": {"containsText": {"text": "CLIENT_NAME", "matchCase": true}, "replaceText": "Ada"}},
		{"replaceAllText": {"containsText": {"text": "[DATE]", "matchCase": true}, "replaceText": ""}}]}`)
	sameJSON(t, "output", out, "["+answer+"]")
}

func TestDocsErrors(t *testing.T) {
	checkGoogleErrors(t, "google-docs", "replaceATextInADocument",
		`{"document": "1Doc", "replaceText": [{"oldText": "a", "newText": "b"}]}`, googleErrorTable())
}

// pollOnce builds a polling trigger from its parameters and polls it once.
func pollOnce(t *testing.T, spec *app.Spec, params string, pos json.RawMessage) []app.PollItem {
	t.Helper()
	p, err := app.PrepareParameters(spec, decode(t, params))
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.New(app.Config{ModuleID: 1, Version: 4, Parameters: p})
	if err != nil {
		t.Fatal(err)
	}
	exec := apptest.NewExec()
	exec.Connections["conn"] = googleCreds
	items, err := m.(app.Poller).Poll(context.Background(), &app.Call{ModuleID: 1, Params: p, Exec: exec}, pos)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func keys(items []app.PollItem) string {
	var out []string
	for _, it := range items {
		out = append(out, it.Key)
	}
	return strings.Join(out, " ")
}

// Blueprint 248's watchFilesInAFolder (new files of a folder, limit 1): files.list
// newest first, over pages; the oldest new file first, each once.
func TestDriveWatchFilesInAFolder(t *testing.T) {
	pages := map[string]string{
		"": `{"nextPageToken": "p2", "files": [
			{"id": "f3", "name": "c.jpg", "mimeType": "image/jpeg", "createdTime": "2026-01-03T00:00:00.000Z", "modifiedTime": "2026-01-05T00:00:00.000Z"},
			{"id": "f2", "name": "b.jpg", "mimeType": "image/jpeg", "createdTime": "2026-01-02T00:00:00.000Z", "modifiedTime": "2026-01-02T00:00:00.000Z"}]}`,
		"p2": `{"files": [{"id": "f1", "name": "a.jpg", "mimeType": "image/jpeg", "createdTime": "2026-01-01T00:00:00.000Z", "modifiedTime": "2026-01-04T00:00:00.000Z"}]}`,
	}
	s := newStandIn(t)
	s.fn = func(r *http.Request, _ string) reply { return ok(pages[r.URL.Query().Get("pageToken")]) }
	spec := shipped(t, "google-drive", "watchFilesInAFolder", s)
	const params = `{"__IMTCONN__": "conn", "limit": 2, "select": "create", "folderId": "/1xDMaWgOe7j80MPrRB2T3oi7EMOb6lpdR", "mimeType": "all", "destination": "drive"}`
	items := pollOnce(t, spec, params, nil)
	if got := keys(items); got != "f1 f2" {
		t.Fatalf("first poll %q, want f1 f2", got)
	}
	if items[0].Bundle["name"] != "a.jpg" || items[0].Bundle["mimeType"] != "image/jpeg" {
		t.Errorf("bundle %v", items[0].Bundle)
	}
	g := s.requests()
	if len(g) != 2 || g[0].Method != "GET" || g[0].Path != "/drive/v3/files" {
		t.Fatalf("requests %+v", g)
	}
	q := decodeQuery(t, g[0].Query)
	if q.Get("q") != "'1xDMaWgOe7j80MPrRB2T3oi7EMOb6lpdR' in parents and trashed = false" || q.Get("orderBy") != "createdTime desc" ||
		q.Get("fields") != "nextPageToken,files(*)" || q.Get("supportsAllDrives") != "true" || q.Get("includeItemsFromAllDrives") != "true" {
		t.Errorf("query %v", q)
	}
	if q2 := decodeQuery(t, g[1].Query); q2.Get("pageToken") != "p2" || q2.Get("q") != q.Get("q") {
		t.Errorf("second page %v", q2)
	}
	if got := keys(pollOnce(t, spec, params, items[1].Position)); got != "f3" {
		t.Fatalf("second poll %q, want f3", got)
	}

	// select modify follows modifiedTime; a file's key names its modification, so a
	// file modified again is a new item downstream.
	s.mu.Lock()
	s.got = nil
	s.mu.Unlock()
	mod := `{"__IMTCONN__": "conn", "limit": 5, "select": "modify", "folderId": "/F", "mimeType": "application/pdf"}`
	items = pollOnce(t, spec, mod, nil)
	if got := keys(items); got != "f2@2026-01-02T00:00:00.000Z f1@2026-01-04T00:00:00.000Z f3@2026-01-05T00:00:00.000Z" {
		t.Fatalf("modify poll %q", got)
	}
	q = decodeQuery(t, s.requests()[0].Query)
	if q.Get("orderBy") != "modifiedTime desc" || q.Get("q") != "'F' in parents and trashed = false and mimeType = 'application/pdf'" {
		t.Errorf("query %v", q)
	}
}

func decodeQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// Blueprints 039 and 047's searchForFilesFolders: by name in a folder, in My Drive or
// a shared drive, files or folders, limited; one bundle per result.
func TestDriveSearchForFilesFolders(t *testing.T) {
	list := `{"files": [{"id": "a1", "name": "scan 1.pdf", "mimeType": "application/pdf"}, {"id": "a2", "name": "scan 2.pdf", "mimeType": "application/pdf"}]}`
	for _, tc := range []struct {
		name, mapper, wantQ string
		want                map[string]string
		results             int
	}{
		{"039: PDFs by name in a folder", `{"limit": "1", "query": ".pdf", "select": "list", "folderId": "/1iSv", "operator": "contains",
			"retrieve": "file", "searchType": "title", "destination": "drive"}`,
			"name contains '.pdf' and mimeType != 'application/vnd.google-apps.folder' and '1iSv' in parents and trashed = false",
			map[string]string{"pageSize": "1"}, 1},
		{"047: a year's folder in a shared drive", `{"limit": "1", "query": "\r\n2026\r\n\r\n", "select": "list", "folderId": "/1cr1",
			"operator": "=", "retrieve": "folder", "searchType": "title", "destination": "team", "sharedDrive": "0AMU9", "useDomainAdminAccess": true}`,
			"name = '2026' and mimeType = 'application/vnd.google-apps.folder' and '1cr1' in parents and trashed = false",
			map[string]string{"corpora": "drive", "driveId": "0AMU9", "useDomainAdminAccess": "true"}, 1},
		{"full text anywhere, quotes escaped", `{"query": "O'Brien", "searchType": "fulltext"}`,
			`fullText contains 'O\'Brien' and trashed = false`, map[string]string{"pageSize": "10"}, 2},
		{"a Drive query", `{"query": "modifiedTime > '2026-01-01'", "searchType": "custom", "retrieve": "file_folder"}`,
			"(modifiedTime > '2026-01-01') and trashed = false", nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, ok(list))
			out, err := run(t, shipped(t, "google-drive", "searchForFilesFolders", s), googleCreds, tc.mapper)
			if err != nil {
				t.Fatal(err)
			}
			g := s.only(t)
			q := decodeQuery(t, g.Query)
			if g.Path != "/drive/v3/files" || q.Get("q") != tc.wantQ || q.Get("fields") != "nextPageToken,files(*)" {
				t.Fatalf("request %s q=%q", g.Path, q.Get("q"))
			}
			for k, v := range tc.want {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
			if len(out) != tc.results || out[0]["id"] != "a1" || out[0]["__IMTINDEX__"] != float64(1) {
				t.Fatalf("output %v", out)
			}
		})
	}
}

// The trigger's failures are typed by Google's table, when choosing where to start and
// when polling: the run stops at the trigger and the position stays (SPEC §3.2).
func TestDriveWatchFilesInAFolderErrors(t *testing.T) {
	for _, c := range googleErrorTable() {
		t.Run(c.name, func(t *testing.T) {
			s := newStandIn(t, reply{status: c.status, body: c.body, header: c.header})
			p, call := pollerOf(t, shipped(t, "google-drive", "watchFilesInAFolder", s), googleCreds,
				`{"limit": 2, "select": "create", "folderId": "/F", "mimeType": "all"}`)
			for _, do := range []func() error{
				func() error { _, err := p.Poll(context.Background(), call, nil); return err },
				func() error {
					_, err := p.Start(context.Background(), call, app.StartFrom{Mode: app.StartLast, Last: 1})
					return err
				},
			} {
				err := do()
				apptest.WantError(t, err, c.want, c.message)
				if c.check != nil {
					var e *weft.Error
					if errors.As(err, &e) {
						c.check(t, e)
					}
				}
			}
		})
	}
}
