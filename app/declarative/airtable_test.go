package declarative_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

var airtableCreds = weft.Bundle{"accessToken": "pat.secret"}

const airtableRecord = `{"id":"recA1","createdTime":"2026-03-04T05:06:07.000Z","fields":{"Name":"Ada","Amount":12.5}}`

func TestAirtableCreateRecord(t *testing.T) {
	s := newStandIn(t, ok(airtableRecord))
	// Blueprint 029's mapper; empty fields are not sent.
	out, err := run(t, shipped(t, "airtable", "ActionCreateRecord", s), airtableCreds, `{
		"base": "appB", "table": "tbl Orders", "typecast": false, "useColumnId": false,
		"record": {"fldName": "Ada", "fldAmount": 12.5, "fldEmpty": "", "fldNull": null, "fldList": ["recX"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/appB/tbl%20Orders" || g.Header.Get("Authorization") != "Bearer pat.secret" ||
		g.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s auth %q type %q", g.Method, g.Path, g.Header.Get("Authorization"), g.Header.Get("Content-Type"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"fields":{"fldName":"Ada","fldAmount":12.5,"fldList":["recX"]},"typecast":false}`)
	sameJSON(t, "output", out, `[{"id":"recA1","createdTime":"2026-03-04T05:06:07.000Z","Name":"Ada","Amount":12.5}]`)
}

func TestAirtableUpdateRecord(t *testing.T) {
	s := newStandIn(t, ok(airtableRecord))
	out, err := run(t, shipped(t, "airtable", "ActionUpdateRecords", s), airtableCreds, `{
		"id": "recA1", "base": "appB", "table": "tblT", "typecast": true, "useColumnId": true,
		"record": {"fldDone": true, "": "from an unresolved key"}}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "PATCH" || g.Path != "/appB/tblT/recA1" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"fields":{"fldDone":true},"typecast":true,"returnFieldsByFieldId":true}`)
	if out[0]["id"] != "recA1" {
		t.Fatalf("output %v", out)
	}
	_, err = run(t, shipped(t, "airtable", "ActionUpdateRecords", s), airtableCreds, `{"base": "appB", "table": "tblT"}`)
	wantType(t, err, weft.DataError, "id: missing value of required field")
}

func TestAirtableErrors(t *testing.T) {
	mapper := `{"base":"appB","table":"tblT","record":{"Name":"x"}}`
	checkErrors(t, "airtable", "ActionCreateRecord", airtableCreds, mapper, []errCase{
		{"unknown field", reply{status: 422, body: `{"error":{"type":"UNKNOWN_FIELD_NAME","message":"Unknown field name: \"Nme\""}}`},
			weft.DataError, `[422] UNKNOWN_FIELD_NAME: Unknown field name: "Nme"`},
		{"bad token", reply{status: 401, body: `{"error":{"type":"AUTHENTICATION_REQUIRED","message":"Authentication required"}}`},
			weft.InvalidAccessTokenError, "AUTHENTICATION_REQUIRED"},
		{"no permission or no base", reply{status: 403, body: `{"error":{"type":"INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND","message":"Invalid permissions, or the requested model was not found."}}`},
			weft.InvalidConfigurationError, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"},
		{"not found (plain code)", reply{status: 404, body: `{"error":"NOT_FOUND"}`}, weft.DataError, "[404] NOT_FOUND"},
		{"billing limit", reply{status: 402, body: `{"error":{"type":"PUBLIC_API_BILLING_LIMIT_EXCEEDED","message":"Billing limit exceeded"}}`},
			weft.InvalidConfigurationError, "PUBLIC_API_BILLING_LIMIT_EXCEEDED"},
		{"rate limit", reply{status: 429, body: `{"errors":[{"error":"RATE_LIMIT_REACHED","message":"Rate limit exceeded."}]}`},
			weft.RateLimitError, "[429]"},
		{"down", reply{status: 503, body: `{"error":"SERVICE_UNAVAILABLE"}`}, weft.ConnectionError, "SERVICE_UNAVAILABLE"},
	})
}

// Airtable sends no Retry-After; its documentation says to wait 30 seconds.
func TestAirtableRateLimitWaits30s(t *testing.T) {
	s := newStandIn(t, reply{status: 429, body: `{"errors":[{"error":"RATE_LIMIT_REACHED"}]}`})
	_, err := run(t, shipped(t, "airtable", "ActionCreateRecord", s), airtableCreds, `{"base":"appB","table":"tblT"}`)
	if e := apptest.WantError(t, err, weft.RateLimitError, "[429]"); e.RetryAfter != 30*time.Second {
		t.Fatalf("RetryAfter %s, want 30s", e.RetryAfter)
	}
}
