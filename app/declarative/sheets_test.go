package declarative_test

import (
	"testing"

	"github.com/weftworks/weft"
)

var googleCreds = weft.Bundle{"accessToken": "ya29.secret"}

func TestSheetsAddRow(t *testing.T) {
	s := newStandIn(t, ok(`{"spreadsheetId":"1Abc","tableRange":"'Order log'!A1:E5",
		"updates":{"spreadsheetId":"1Abc","updatedRange":"'Order log'!A6:E6","updatedRows":1,"updatedColumns":5,"updatedCells":5}}`))
	// Blueprint 029's mapper (a Drive path as spreadsheetId, gaps in the values).
	out, err := run(t, shipped(t, "google-sheets", "addRow", s), googleCreds, `{
		"mode": "select", "insertUnformatted": false, "valueInputOption": "USER_ENTERED", "insertDataOption": "INSERT_ROWS",
		"from": "drive", "spreadsheetId": "/folder/1Abc", "sheetId": "Order log", "includesHeaders": true,
		"useColumnHeaders": false, "values": {"0": "A-1", "1": 12.5, "4": "missing_required_field"}}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v4/spreadsheets/1Abc/values/%27Order%20log%27!A1%3AZ1:append" ||
		g.Query != "insertDataOption=INSERT_ROWS&valueInputOption=USER_ENTERED" || g.Header.Get("Authorization") != "Bearer ya29.secret" {
		t.Fatalf("request %s %s?%s auth %q", g.Method, g.Path, g.Query, g.Header.Get("Authorization"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"majorDimension":"ROWS","values":[["A-1",12.5,null,null,"missing_required_field"]]}`)
	sameJSON(t, "output", out, `[{"rowNumber":6,"spreadsheetId":"1Abc","tableRange":"'Order log'!A1:E5",
		"updatedRange":"'Order log'!A6:E6","updatedRows":1,"updatedColumns":5,"updatedCells":5}]`)
}

func TestSheetsUpdateRow(t *testing.T) {
	s := newStandIn(t, ok(`{"spreadsheetId":"120g","updatedRange":"Sheet1!M7:O7","updatedRows":1,"updatedColumns":3,"updatedCells":2}`))
	// Blueprint 037's mapper: only columns M and O are written, the others kept (null).
	out, err := run(t, shipped(t, "google-sheets", "updateRow", s), googleCreds, `{
		"from": "drive", "mode": "select", "values": {"12": "202603040606", "14": "1"}, "sheetId": "Sheet1",
		"rowNumber": "7", "spreadsheetId": "/120g", "includesHeaders": true, "valueInputOption": "RAW"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "PUT" || g.Path != "/v4/spreadsheets/120g/values/%27Sheet1%27!7%3A7" || g.Query != "valueInputOption=RAW" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"majorDimension":"ROWS",
		"values":[[null,null,null,null,null,null,null,null,null,null,null,null,"202603040606",null,"1"]]}`)
	sameJSON(t, "output", out, `[{"spreadsheetId":"120g","updatedRange":"Sheet1!M7:O7","updatedRows":1,"updatedColumns":3,"updatedCells":2}]`)
}

const sheetValues = `{"range":"Sheet1!A1:CZ1000","majorDimension":"ROWS","values":[
	["name","qty","token"],
	["Loom","2","t-1"],
	[],
	["Yarn","12","t-2"],
	["Wool","7","T-1"],
	["Silk"]
]}`

func TestSheetsFilterRows(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mapper string
		want   string
	}{
		{"filter by column letter, case-insensitive", `{"filter": [[{"a": "C", "o": "text:equal:ci", "b": "t-1"}]]}`,
			`[{"0":"Loom","1":"2","2":"t-1","__ROW_NUMBER__":2,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":1,"__IMTLENGTH__":2},
			  {"0":"Wool","1":"7","2":"T-1","__ROW_NUMBER__":5,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":2,"__IMTLENGTH__":2}]`},
		{"groups are OR'ed, conditions AND'ed; a missing cell does not exist",
			`{"filter": [[{"a": "B", "o": "number:greater", "b": "5"}, {"a": "c", "o": "exist"}], [{"a": "C", "o": "notexist"}]]}`,
			`[{"0":"Yarn","1":"12","2":"t-2","__ROW_NUMBER__":4,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":1,"__IMTLENGTH__":3},
			  {"0":"Wool","1":"7","2":"T-1","__ROW_NUMBER__":5,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":2,"__IMTLENGTH__":3},
			  {"0":"Silk","__ROW_NUMBER__":6,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":3,"__IMTLENGTH__":3}]`},
		{"newest row first, limit 1 (blueprint 025)", `{"orderBy": "__ROW_NUMBER__", "sortOrder": "desc", "limit": "1"}`,
			`[{"0":"Silk","__ROW_NUMBER__":6,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":1,"__IMTLENGTH__":1}]`},
		{"order by a column, numerically", `{"orderBy": "B", "sortOrder": "desc", "filter": [[{"a": "B", "o": "exist"}]]}`,
			`[{"0":"Yarn","1":"12","2":"t-2","__ROW_NUMBER__":4,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":1,"__IMTLENGTH__":3},
			  {"0":"Wool","1":"7","2":"T-1","__ROW_NUMBER__":5,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":2,"__IMTLENGTH__":3},
			  {"0":"Loom","1":"2","2":"t-1","__ROW_NUMBER__":2,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":3,"__IMTLENGTH__":3}]`},
		{"without headers the first row is data", `{"includesHeaders": false, "filter": [[{"a": "A", "o": "text:equal", "b": "name"}]]}`,
			`[{"0":"name","1":"qty","2":"token","__ROW_NUMBER__":1,"__SPREADSHEET_ID__":"1Abc","__SHEET__":"Sheet1","__IMTINDEX__":1,"__IMTLENGTH__":1}]`},
		{"no match: no bundle", `{"filter": [[{"a": "A", "o": "text:equal", "b": "{{not a template}}"}]]}`, `[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, ok(sheetValues))
			m := decode(t, tc.mapper)
			base := decode(t, `{"from":"share","spreadsheetId":"1Abc","sheetId":"Sheet1","tableFirstRow":"A1:CZ1",
				"includesHeaders":true,"valueRenderOption":"FORMATTED_VALUE","dateTimeRenderOption":"FORMATTED_STRING","sortOrder":"asc"}`)
			for k, v := range m {
				base[k] = v
			}
			out, err := run(t, shipped(t, "google-sheets", "filterRows", s), googleCreds, string(jsonOf(base)))
			if err != nil {
				t.Fatal(err)
			}
			g := s.only(t)
			if g.Method != "GET" || g.Path != "/v4/spreadsheets/1Abc/values/%27Sheet1%27!A1%3ACZ" ||
				g.Query != "dateTimeRenderOption=FORMATTED_STRING&majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE" {
				t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
			}
			sameJSON(t, "output", out, tc.want)
		})
	}
}

func TestSheetsFilterRowsBadFilter(t *testing.T) {
	s := newStandIn(t, ok(sheetValues))
	_, err := run(t, shipped(t, "google-sheets", "filterRows", s), googleCreds,
		`{"spreadsheetId":"1Abc","sheetId":"Sheet1","filter":[[{"a":"A","o":"text:nonsense","b":"x"}]]}`)
	wantType(t, err, weft.DataError, `filter: filter condition 0/0 field "o"`)
	_, err = run(t, shipped(t, "google-sheets", "filterRows", s), googleCreds,
		`{"spreadsheetId":"1Abc","sheetId":"Sheet1","filter":[{"a":"A"}]}`)
	wantType(t, err, weft.DataError, "filter/0 must be an array of conditions")
}

func TestSheetsErrors(t *testing.T) {
	mapper := `{"spreadsheetId":"1Abc","sheetId":"Sheet1","values":{"0":"x"}}`
	googleErr := func(code int, status, msg string) reply {
		return reply{status: code, body: `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","status":"` + status + `"}}`}
	}
	checkErrors(t, "google-sheets", "addRow", googleCreds, mapper, []errCase{
		{"bad range", googleErr(400, "INVALID_ARGUMENT", "Unable to parse range: Sheet1!A1:Z1"), weft.DataError, "[400] Unable to parse range"},
		{"expired token", googleErr(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), weft.InvalidAccessTokenError, "[401] Request had invalid"},
		{"no access", googleErr(403, "PERMISSION_DENIED", "The caller does not have permission"), weft.InvalidConfigurationError, "does not have permission"},
		{"no such spreadsheet", googleErr(404, "NOT_FOUND", "Requested entity was not found."), weft.DataError, "not found"},
		{"quota", googleErr(429, "RESOURCE_EXHAUSTED", "Quota exceeded"), weft.RateLimitError, "Quota exceeded"},
		{"quota as 403", googleErr(403, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric"), weft.RateLimitError, "Quota exceeded"},
		{"backend", googleErr(503, "UNAVAILABLE", "The service is currently unavailable."), weft.ConnectionError, "currently unavailable"},
		{"internal", googleErr(500, "INTERNAL", "Internal error encountered."), weft.RuntimeError, "Internal error"},
	})
}
