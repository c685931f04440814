package declarative_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// Blueprint 198's getRange: one values.get of the range, Google's ValueRange as one
// bundle (the blueprint maps {{2.values}}).
func TestSheetsGetRange(t *testing.T) {
	s := newStandIn(t, ok(`{"range": "Dripify!A1:Z3", "majorDimension": "ROWS",
		"values": [["Name", "Profile"], ["Ada", "https://linkedin.example/ada"], ["Alan"]]}`))
	out, err := run(t, shipped(t, "google-sheets", "getRange", s), googleCreds, `{"spreadsheetId": "1vilmRDyxbhhbujpkT06qSVmWBVAW37YKQvPVDIE6eQs",
		"sheetId": "Dripify", "range": "A:Z", "valueRenderOption": "FORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "GET" || g.Path != "/v4/spreadsheets/1vilmRDyxbhhbujpkT06qSVmWBVAW37YKQvPVDIE6eQs/values/%27Dripify%27!A%3AZ" ||
		g.Query != "dateTimeRenderOption=FORMATTED_STRING&majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE" ||
		g.Header.Get("Authorization") != "Bearer ya29.secret" {
		t.Fatalf("request %s %s?%s %v", g.Method, g.Path, g.Query, g.Header)
	}
	sameJSON(t, "output", out, `[{"range": "Dripify!A1:Z3", "majorDimension": "ROWS",
		"values": [["Name", "Profile"], ["Ada", "https://linkedin.example/ada"], ["Alan"]]}]`)

	// An empty range: Google leaves values out; the bundle has an empty array.
	s = newStandIn(t, ok(`{"range": "Dripify!A1:Z1000", "majorDimension": "ROWS"}`))
	out, err = run(t, shipped(t, "google-sheets", "getRange", s), googleCreds, `{"spreadsheetId": "1v", "sheetId": "Dripify", "range": "A:Z"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "empty", out, `[{"range": "Dripify!A1:Z1000", "majorDimension": "ROWS", "values": []}]`)
}

// Blueprint 315's ActionAddRow (the legacy app): the spreadsheet and sheet are static
// parameters and the cells are keyed by column letter.
func TestSheetsActionAddRow(t *testing.T) {
	s := newStandIn(t, ok(`{"spreadsheetId": "1Pipe", "tableRange": "Pipeline!A1:S40",
		"updates": {"spreadsheetId": "1Pipe", "updatedRange": "Pipeline!A41:S41", "updatedRows": 1, "updatedColumns": 19, "updatedCells": 4}}`))
	exec := apptest.NewExec()
	exec.Connections["conn"] = googleCreds
	params := weft.Bundle{"__IMTCONN__": "conn", "spreadsheetId": "1Pipe", "sheetId": "Pipeline"}
	out, err := apptest.Run(t.Context(), shipped(t, "google-sheets", "ActionAddRow", s), params,
		decode(t, `{"from": "select", "values": {"A": "P-7", "B": "Cantera Norte", "AA": "far", "S": "2026-03-04T05:06:07"},
		"insertDataOption": "INSERT_ROWS", "valueInputOption": "USER_ENTERED", "includesHeaders": true}`), exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v4/spreadsheets/1Pipe/values/%27Pipeline%27!A1:append" ||
		g.Query != "insertDataOption=INSERT_ROWS&valueInputOption=USER_ENTERED" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	row := jsonBody(t, g.Body)["values"].([]any)[0].([]any)
	if len(row) != 27 || row[0] != "P-7" || row[1] != "Cantera Norte" || row[18] != "2026-03-04T05:06:07" || row[26] != "far" || row[2] != nil {
		t.Fatalf("row %v", row)
	}
	if len(out) != 1 || out[0]["rowNumber"] != 41.0 || out[0]["updatedRange"] != "Pipeline!A41:S41" {
		t.Fatalf("output %v", out)
	}

	// A key that is not a column is refused before anything is sent.
	_, err = apptest.Run(t.Context(), shipped(t, "google-sheets", "ActionAddRow", s), params, decode(t, `{"values": {"A": "x", "Status": "y"}}`), exec)
	wantType(t, err, weft.DataError, `key "Status" is not a column`)
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

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

func TestSheetsMoreErrorTables(t *testing.T) {
	for _, m := range []struct {
		module string
		mapper func(tag string) weft.Bundle
	}{
		{"getRange", func(tag string) weft.Bundle {
			return weft.Bundle{"spreadsheetId": tag, "sheetId": "Sheet1", "range": "A:Z"}
		}},
	} {
		t.Run(m.module, func(t *testing.T) {
			checkErrorTable(t, "google-sheets", m.module, googleCreds, m.mapper, googleErrors())
		})
	}
}

// The legacy module's spreadsheet is a static parameter: the same table with the tag
// there.
func TestSheetsActionAddRowErrorTable(t *testing.T) {
	cases := googleErrors()
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		for i := range cases {
			if strings.Contains(r.URL.EscapedPath(), tag(i)) {
				return cases[i].reply
			}
		}
		return reply{status: 500, body: `{"error": "no case"}`}
	}
	var ecs []apptest.ErrorCase
	for i, c := range cases {
		ecs = append(ecs, apptest.ErrorCase{Name: c.name, Params: weft.Bundle{"__IMTCONN__": "conn", "spreadsheetId": tag(i), "sheetId": "Sheet1"},
			Mapper: weft.Bundle{"values": map[string]any{"A": "x"}}, Connections: map[string]weft.Bundle{"conn": googleCreds}, Want: c.typ, WantMessage: c.message})
	}
	apptest.CheckErrors(t, shipped(t, "google-sheets", "ActionAddRow", s), ecs)
}
