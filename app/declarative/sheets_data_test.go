package declarative_test

import (
	"testing"

	"github.com/weftworks/weft"
)

// google-sheets:getSheetContent (blueprints 138 and 177): values.get of the range, one
// bundle per non-empty row, row numbers counted from the range's first row.
func TestSheetsGetSheetContent(t *testing.T) {
	for _, tc := range []struct {
		name, mapper, path, want string
	}{
		{"blueprint 138: from row 2, no headers",
			`{"from": "drive", "range": "A2:G", "select": "list", "sheetId": "Sheet1", "spreadsheetId": "/12YF3g",
			  "includesHeaders": false, "valueRenderOption": "FORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"}`,
			"/v4/spreadsheets/12YF3g/values/%27Sheet1%27!A2%3AG",
			`[{"0":"Loom","1":"2","__ROW_NUMBER__":2,"__SPREADSHEET_ID__":"12YF3g","__SHEET__":"Sheet1","__IMTINDEX__":1,"__IMTLENGTH__":3},
			  {"0":"Yarn","1":"12","__ROW_NUMBER__":4,"__SPREADSHEET_ID__":"12YF3g","__SHEET__":"Sheet1","__IMTINDEX__":2,"__IMTLENGTH__":3},
			  {"0":"Silk","__ROW_NUMBER__":5,"__SPREADSHEET_ID__":"12YF3g","__SHEET__":"Sheet1","__IMTINDEX__":3,"__IMTLENGTH__":3}]`},
		{"blueprint 177: whole columns with a header row",
			`{"from": "drive", "range": "A:D", "select": "list", "sheetId": "Source_Finance", "spreadsheetId": "/1irj",
			  "tableFirstRow": "A1:D1", "includesHeaders": true, "valueRenderOption": "FORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"}`,
			"/v4/spreadsheets/1irj/values/%27Source_Finance%27!A%3AD",
			`[{"0":"Yarn","1":"12","__ROW_NUMBER__":3,"__SPREADSHEET_ID__":"1irj","__SHEET__":"Source_Finance","__IMTINDEX__":1,"__IMTLENGTH__":2},
			  {"0":"Silk","__ROW_NUMBER__":4,"__SPREADSHEET_ID__":"1irj","__SHEET__":"Source_Finance","__IMTINDEX__":2,"__IMTLENGTH__":2}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, ok(`{"range":"x","majorDimension":"ROWS","values":[["Loom","2"],[],["Yarn","12"],["Silk"]]}`))
			out, err := run(t, shipped(t, "google-sheets", "getSheetContent", s), googleCreds, tc.mapper)
			if err != nil {
				t.Fatal(err)
			}
			g := s.only(t)
			if g.Method != "GET" || g.Path != tc.path ||
				g.Query != "dateTimeRenderOption=FORMATTED_STRING&majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE" ||
				g.Header.Get("Authorization") != "Bearer ya29.secret" {
				t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
			}
			sameJSON(t, "output", out, tc.want)
		})
	}
	// An empty range (no values key) is no bundle, not an error.
	s := newStandIn(t, ok(`{"range":"Sheet1!A1:B","majorDimension":"ROWS"}`))
	out, err := run(t, shipped(t, "google-sheets", "getSheetContent", s), googleCreds, `{"spreadsheetId": "x", "sheetId": "Sheet1", "range": "A1:B"}`)
	if err != nil || len(out) != 0 {
		t.Fatalf("empty range: %v %v", out, err)
	}
}

// google-sheets:updateCell (blueprints 371, 374): values.update of one cell.
func TestSheetsUpdateCell(t *testing.T) {
	s := newStandIn(t, ok(`{"spreadsheetId":"1rwI","updatedRange":"Sheet1!E7","updatedRows":1,"updatedColumns":1,"updatedCells":1}`))
	out, err := run(t, shipped(t, "google-sheets", "updateCell", s), googleCreds, `{"cell": "E7", "from": "drive", "value": "Yes",
		"select": "list", "sheetId": "Sheet1", "spreadsheetId": "/1rwI", "valueInputOption": "USER_ENTERED"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "PUT" || g.Path != "/v4/spreadsheets/1rwI/values/%27Sheet1%27!E7" || g.Query != "valueInputOption=USER_ENTERED" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"majorDimension":"ROWS","values":[["Yes"]]}`)
	sameJSON(t, "output", out, `[{"spreadsheetId":"1rwI","updatedRange":"Sheet1!E7","updatedRows":1,"updatedColumns":1,"updatedCells":1}]`)
	// No value clears the cell.
	if _, err := run(t, shipped(t, "google-sheets", "updateCell", s), googleCreds, `{"cell": "E7", "sheetId": "Sheet1", "spreadsheetId": "1rwI"}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "clearing body", jsonBody(t, s.requests()[1].Body), `{"majorDimension":"ROWS","values":[[""]]}`)
}

// google-sheets:clearValuesFromRange (blueprint 260): values.clear; Make names the
// sheet "sheet" in this module.
func TestSheetsClearValuesFromRange(t *testing.T) {
	s := newStandIn(t, ok(`{"spreadsheetId":"1P0x","clearedRange":"Latest!A2:I1000"}`))
	out, err := run(t, shipped(t, "google-sheets", "clearValuesFromRange", s), googleCreds,
		`{"from": "drive", "range": "A2:I1000", "sheet": "Latest", "select": "list", "spreadsheetId": "/1P0x"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v4/spreadsheets/1P0x/values/%27Latest%27!A2%3AI1000:clear" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{}`)
	sameJSON(t, "output", out, `[{"spreadsheetId":"1P0x","clearedRange":"Latest!A2:I1000"}]`)
}

// google-sheets:addMultipleRows (blueprint 177): one values.append with every row.
func TestSheetsAddMultipleRows(t *testing.T) {
	s := newStandIn(t, ok(`{"spreadsheetId":"1irj","tableRange":"Reconciliation_Output!A1:C4",
		"updates":{"spreadsheetId":"1irj","updatedRange":"Reconciliation_Output!A5:C6","updatedRows":2,"updatedColumns":3,"updatedCells":5}}`))
	out, err := run(t, shipped(t, "google-sheets", "addMultipleRows", s), googleCreds, `{
		"rows": [{"values": ["2026-01", 12.5, "ok"]}, {"values": ["2026-02", null, "gap"]}, ["2026-03", 1]],
		"sheetId": "Reconciliation_Output", "spreadsheetId": "1irj", "tableFirstRow": "A1:Z1",
		"insertDataOption": "INSERT_ROWS", "valueInputOption": "USER_ENTERED", "insertUnformatted": false}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v4/spreadsheets/1irj/values/%27Reconciliation_Output%27!A1%3AZ1:append" ||
		g.Query != "insertDataOption=INSERT_ROWS&valueInputOption=USER_ENTERED" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"majorDimension":"ROWS","values":[["2026-01",12.5,"ok"],["2026-02",null,"gap"],["2026-03",1]]}`)
	sameJSON(t, "output", out, `[{"spreadsheetId":"1irj","tableRange":"Reconciliation_Output!A1:C4","updatedRange":"Reconciliation_Output!A5:C6",
		"updatedRows":2,"updatedColumns":3,"updatedCells":5}]`)
}

func googleErrors() []tableCase {
	googleErr := func(code int, status, msg string) reply {
		return reply{status: code, body: `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","status":"` + status + `"}}`}
	}
	return []tableCase{
		{"bad range", googleErr(400, "INVALID_ARGUMENT", "Unable to parse range: Sheet1!A1:Z1"), weft.DataError, "[400] Unable to parse range", 0},
		{"expired token", googleErr(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), weft.InvalidAccessTokenError, "[401] Request had invalid", 0},
		{"no access", googleErr(403, "PERMISSION_DENIED", "The caller does not have permission"), weft.InvalidConfigurationError, "does not have permission", 0},
		{"no such spreadsheet", googleErr(404, "NOT_FOUND", "Requested entity was not found."), weft.DataError, "not found", 0},
		{"quota", googleErr(429, "RESOURCE_EXHAUSTED", "Quota exceeded"), weft.RateLimitError, "Quota exceeded", 0},
		{"quota as 403", googleErr(403, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric"), weft.RateLimitError, "Quota exceeded", 0},
		{"backend", googleErr(503, "UNAVAILABLE", "The service is currently unavailable."), weft.ConnectionError, "currently unavailable", 0},
		{"internal", googleErr(500, "INTERNAL", "Internal error encountered."), weft.RuntimeError, "Internal error", 0},
	}
}

// Google's error table through each new Sheets module, directly and in the engine.
func TestSheetsDataErrorTables(t *testing.T) {
	for _, m := range []struct {
		module string
		mapper func(tag string) weft.Bundle
	}{
		{"getSheetContent", func(tag string) weft.Bundle {
			return weft.Bundle{"spreadsheetId": tag, "sheetId": "Sheet1", "range": "A1:B"}
		}},
		{"updateCell", func(tag string) weft.Bundle {
			return weft.Bundle{"spreadsheetId": tag, "sheetId": "Sheet1", "cell": "A1", "value": "x"}
		}},
		{"clearValuesFromRange", func(tag string) weft.Bundle {
			return weft.Bundle{"spreadsheetId": tag, "sheet": "Sheet1", "range": "A1:B"}
		}},
		{"addMultipleRows", func(tag string) weft.Bundle {
			return weft.Bundle{"spreadsheetId": tag, "sheetId": "Sheet1", "rows": []any{map[string]any{"values": []any{"a"}}}}
		}},
	} {
		t.Run(m.module, func(t *testing.T) {
			checkErrorTable(t, "google-sheets", m.module, googleCreds, m.mapper, googleErrors())
		})
	}
}
