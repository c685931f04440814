package declarative_test

import (
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// watchUpdatedCells: the hook address goes into the add-on's settings (nothing is
// registered), and each call the add-on posts becomes the bundle as posted.
func TestSheetsWatchUpdatedCells(t *testing.T) {
	s := newStandIn(t)
	spec := shipped(t, "google-sheets", "watchUpdatedCells", s)
	if spec.Kind != app.KindTrigger || spec.Hook == nil || spec.Hook.Verify != nil {
		t.Fatalf("spec %+v", spec)
	}
	state, err := spec.Hook.Register(t.Context(), &app.HookCall{URL: "https://weft.example/hooks/abc"})
	if err != nil || state["url"] != "https://weft.example/hooks/abc" || len(s.requests()) != 0 {
		t.Fatalf("register: %v %v, %d requests", state, err, len(s.requests()))
	}
	call := `{"spreadsheetId": "1Sheet", "spreadsheetName": "Contenido", "sheetId": 0, "sheetName": "Ideas",
		"range": {"rowStart": 7, "rowEnd": 7, "columnStart": 6, "columnEnd": 6}, "value": "Aprobado", "oldValue": "Pendiente",
		"rowValues": [{"1": "Post 7", "2": "Texto", "3": "https://img.example/7.png", "4": "IG", "6": "Aprobado"}], "user": {"email": "cm@example.org"}}`
	if spec.Hook.Payload == nil {
		t.Fatal("no payload function")
	}
	out, keep, err := spec.Hook.Payload(&app.HookCall{Params: weft.Bundle{"__IMTHOOK__": 1775606}}, decode(t, call))
	if err != nil || !keep {
		t.Fatalf("keep %v err %v", keep, err)
	}
	sameJSON(t, "bundle", out, call)
}

// Blueprint 121's addRow with "Use column headers": the header row is read first
// (values.get of tableFirstRow), and the cells keyed by header are written at their
// columns; a header's trailing space in the export matches the sheet's, trimmed.
func TestSheetsAddRowByColumnHeaders(t *testing.T) {
	s := newStandIn(t,
		ok(`{"range": "Sheet1!A1:Z1", "majorDimension": "ROWS", "values": [["Ticket ID", "Date", "Customer Name", "Customer Email", "Category", "Confidence Score", "Issue Summary", "Status"]]}`),
		ok(`{"spreadsheetId": "1Cuh", "tableRange": "Sheet1!A1:H9", "updates": {"spreadsheetId": "1Cuh", "updatedRange": "Sheet1!A10:H10",
			"updatedRows": 1, "updatedColumns": 8, "updatedCells": 4}}`))
	out, err := run(t, shipped(t, "google-sheets", "addRow", s), googleCreds, `{"mode": "select", "insertUnformatted": false,
		"valueInputOption": "USER_ENTERED", "insertDataOption": "INSERT_ROWS", "from": "drive", "spreadsheetId": "/1Cuh", "sheetId": "Sheet1",
		"includesHeaders": true, "useColumnHeaders": true,
		"values": {"Ticket ID": "T-7", "Customer Email ": "ada@example.org", "Status": "Open", "Confidence Score": 0.92, "undefined": ""}}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if len(g) != 2 || g[0].Method != "GET" || g[0].Path != "/v4/spreadsheets/1Cuh/values/%27Sheet1%27!A1%3AZ1" || g[0].Query != "majorDimension=ROWS" ||
		g[0].Header.Get("Authorization") != "Bearer ya29.secret" {
		t.Fatalf("requests %+v", g)
	}
	if g[1].Method != "POST" || g[1].Path != "/v4/spreadsheets/1Cuh/values/%27Sheet1%27!A1%3AZ1:append" {
		t.Fatalf("append %s %s", g[1].Method, g[1].Path)
	}
	sameJSON(t, "row", jsonBody(t, g[1].Body), `{"majorDimension": "ROWS", "values": [["T-7", null, null, "ada@example.org", null, 0.92, null, "Open"]]}`)
	if len(out) != 1 || out[0]["rowNumber"] != 10.0 {
		t.Fatalf("output %v", out)
	}

	// A header the sheet no longer has: nothing is written.
	s = newStandIn(t, ok(`{"range": "Sheet1!A1:Z1", "majorDimension": "ROWS", "values": [["Ticket ID", "Date"]]}`))
	_, err = run(t, shipped(t, "google-sheets", "addRow", s), googleCreds, `{"spreadsheetId": "1Cuh", "sheetId": "Sheet1",
		"useColumnHeaders": true, "values": {"Ticket ID": "T-8", "Priority": "high"}}`)
	wantType(t, err, weft.DataError, `column "Priority" is not in the sheet's header row ("Ticket ID", "Date")`)
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
	// An empty sheet has no header row.
	s = newStandIn(t, ok(`{"range": "Sheet1!A1:Z1", "majorDimension": "ROWS"}`))
	_, err = run(t, shipped(t, "google-sheets", "addRow", s), googleCreds, `{"spreadsheetId": "1Cuh", "sheetId": "Sheet1",
		"useColumnHeaders": true, "values": {"Ticket ID": "T-8"}}`)
	wantType(t, err, weft.DataError, `column "Ticket ID": the sheet's header row is empty`)
}

// Blueprint 265's updateRow with "Use column headers": the two columns named are
// written, the others left as they are (null).
func TestSheetsUpdateRowByColumnHeaders(t *testing.T) {
	s := newStandIn(t,
		ok(`{"range": "Sheet1!A1:Z1", "majorDimension": "ROWS", "values": [["Name", "E-mail", "Budget", "Project Discribtion", "AI Status(Qualified/Unqualified)", "Reason"]]}`),
		ok(`{"spreadsheetId": "1I5L", "updatedRange": "Sheet1!A4:F4", "updatedRows": 1, "updatedColumns": 2, "updatedCells": 2}`))
	out, err := run(t, shipped(t, "google-sheets", "updateRow", s), googleCreds, `{"from": "drive", "mode": "select", "sheetId": "Sheet1",
		"rowNumber": "4", "spreadsheetId": "/1I5L", "includesHeaders": true, "useColumnHeaders": true, "valueInputOption": "USER_ENTERED",
		"values": {"Reason": "Budget too low", "AI Status(Qualified/Unqualified)": "Unqualified"}}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if len(g) != 2 || g[0].Path != "/v4/spreadsheets/1I5L/values/%27Sheet1%27!A1%3AZ1" || g[1].Method != "PUT" ||
		g[1].Path != "/v4/spreadsheets/1I5L/values/%27Sheet1%27!4%3A4" {
		t.Fatalf("requests %+v", g)
	}
	sameJSON(t, "row", jsonBody(t, g[1].Body), `{"majorDimension": "ROWS", "values": [[null, null, null, null, "Unqualified", "Budget too low"]]}`)
	if out[0]["updatedCells"] != 2.0 {
		t.Fatalf("output %v", out)
	}
}

// The header read fails as any Sheets request: Google's table, nothing written.
func TestSheetsByColumnHeadersErrors(t *testing.T) {
	for _, module := range []string{"addRow", "updateRow"} {
		t.Run(module, func(t *testing.T) {
			checkErrorTable(t, "google-sheets", module, googleCreds, func(tag string) weft.Bundle {
				return weft.Bundle{"spreadsheetId": tag, "sheetId": "Sheet1", "rowNumber": 2.0, "useColumnHeaders": true, "values": map[string]any{"A": "x"}}
			}, googleErrors())
		})
	}
}
