package declarative_test

import (
	"testing"

	"github.com/weftworks/weft"
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
