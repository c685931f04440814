package msexcel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/msexcel"
	"github.com/weftworks/weft/value"
)

// graphAPI is a stand-in for Microsoft Graph's workbook API as its reference describes
// it: a workbook addressed by its OneDrive path, worksheets by name, usedRange
// (valuesOnly) and range(address).patch writing values or formulas; a null cell is left
// as it is.
type graphAPI struct {
	*httptest.Server
	mu     sync.Mutex
	sheets map[string][][]any // "path|worksheet" → rows
	got    []string
	bodies []map[string]any
	fail   func(r *http.Request) (int, string)
}

var rangeAddr = regexp.MustCompile(`^range\(address='([A-Z]+)(\d+):([A-Z]+)(\d+)'\)$`)

func newGraphAPI(t *testing.T) *graphAPI {
	g := &graphAPI{sheets: map[string][][]any{}}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Close)
	return g
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func colIndex(letters string) int {
	n := 0
	for _, r := range letters {
		n = n*26 + int(r-'A') + 1
	}
	return n - 1
}

func (g *graphAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	json.Unmarshal(raw, &body)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got = append(g.got, r.Method+" "+r.URL.Path)
	g.bodies = append(g.bodies, body)
	if g.fail != nil {
		if status, b := g.fail(r); status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(status)
			io.WriteString(w, b)
			return
		}
	}
	if r.Header.Get("Authorization") != "Bearer eyJ.graph" {
		graphError(w, 401, "InvalidAuthenticationToken", "Access token is empty.")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1.0/me/drive/root:")
	file, rest, ok2 := strings.Cut(rest, ":/workbook/worksheets/")
	if !ok || !ok2 {
		graphError(w, 400, "invalidRequest", "Invalid request")
		return
	}
	ws, op, _ := strings.Cut(rest, "/")
	rows, found := g.sheets[file+"|"+ws]
	if !found {
		graphError(w, 404, "ItemNotFound", "The requested resource doesn't exist.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && op == "usedRange(valuesOnly=true)":
		if len(rows) == 0 {
			json.NewEncoder(w).Encode(map[string]any{"address": ws + "!A1", "rowIndex": 0, "rowCount": 1, "columnCount": 1, "values": [][]any{{""}}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"address": fmt.Sprintf("%s!A1:C%d", ws, len(rows)), "rowIndex": 0,
			"rowCount": len(rows), "columnCount": 3, "values": rows})
	case r.Method == "PATCH" && rangeAddr.MatchString(op):
		m := rangeAddr.FindStringSubmatch(op)
		row, _ := strconv.Atoi(m[2])
		if m[2] != m[4] || len(body) != 1 {
			graphError(w, 400, "InvalidArgument", "The argument is invalid or missing or has an incorrect format.")
			return
		}
		var cells []any
		for _, v := range body {
			cells = v.([]any)[0].([]any)
		}
		if len(cells) != colIndex(m[3])-colIndex(m[1])+1 {
			graphError(w, 400, "InvalidArgument", "The number of rows or columns in the input array doesn't match the size or dimensions of the range.")
			return
		}
		for len(rows) < row {
			rows = append(rows, []any{})
		}
		g.sheets[file+"|"+ws] = rows
		text := make([]any, len(cells))
		types := make([]any, len(cells))
		for i, c := range cells {
			text[i] = value.Text(c)
			types[i] = "String"
			if _, isNum := c.(float64); isNum {
				types[i] = "Double"
			}
			if c == nil {
				types[i] = "Empty"
			}
		}
		rows[row-1] = cells
		json.NewEncoder(w).Encode(map[string]any{"address": ws + "!" + m[1] + m[2] + ":" + m[3] + m[4],
			"values": [][]any{cells}, "text": [][]any{text}, "formulas": [][]any{cells}, "formulasLocal": [][]any{cells},
			"numberFormat": [][]any{make([]any, len(cells))}, "valueTypes": [][]any{types}})
	default:
		graphError(w, 400, "invalidRequest", "Invalid request")
	}
}

func (g *graphAPI) spec(t *testing.T) *app.Spec {
	return apptest.Spec(t, func(r *app.Registry) error {
		return msexcel.RegisterOptions(r, msexcel.Options{BaseURL: g.URL, Getenv: func(string) string { return "" }})
	}, "microsoft-excel:addAWorksheetRow")
}

func runRow(t *testing.T, g *graphAPI, mapper weft.Bundle) ([]weft.Bundle, error) {
	exec := apptest.NewExec()
	exec.Connections["5184651"] = weft.Bundle{"accessToken": "eyJ.graph", "expiresAt": "2026-01-02T05:00:00Z"}
	return apptest.Run(context.Background(), g.spec(t), weft.Bundle{"__IMTCONN__": 5184651.0}, mapper, exec)
}

const book = "/Estoques/NXT - Estoque Junho 2026.xlsx"
const sheet = "📥 Produção Diária"

// microsoft-excel:addAWorksheetRow (blueprint 263's mapper): the row goes below the used
// range; each written cell comes back by column letter.
func TestAddAWorksheetRow(t *testing.T) {
	g := newGraphAPI(t)
	g.sheets[book+"|"+sheet] = [][]any{{"Data", "Modelo", "Cor"}, {"2026-06-01", "X1", "Azul"}}
	mapper := weft.Bundle{"row": map[string]any{"0": "2026-06-02", "1": "X2", "2": "Preto", "4": 150.0},
		"select": "list", "selectB": "my", "workbook": book, "valueType": "values", "worksheet": sheet}
	out, err := runRow(t, g, mapper)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /v1.0/me/drive/root:" + book + ":/workbook/worksheets/" + sheet + "/usedRange(valuesOnly=true)",
		"PATCH /v1.0/me/drive/root:" + book + ":/workbook/worksheets/" + sheet + "/range(address='A3:E3')"}
	if strings.Join(g.got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant\n%s", strings.Join(g.got, "\n"), strings.Join(want, "\n"))
	}
	if b, _ := json.Marshal(g.bodies[1]); string(b) != `{"values":[["2026-06-02","X2","Preto",null,150]]}` {
		t.Fatalf("body %s", b)
	}
	if out[0]["id"] != "3" {
		t.Fatalf("id %v", out[0]["id"])
	}
	row := out[0]["row"].(map[string]any)
	if fmt.Sprint(row["b"]) != "map[formula:X2 formulaLocal:X2 numberFormat:<nil> text:X2 value:X2 valueType:String]" ||
		fmt.Sprint(row["e"].(map[string]any)["valueType"]) != "Double" || len(row) != 5 {
		t.Fatalf("row %v", row)
	}

	// An empty worksheet: the row is row 1. Formulas go as formulas.
	g.sheets[book+"|Empty"] = nil
	if _, err := runRow(t, g, weft.Bundle{"workbook": book, "worksheet": "Empty", "valueType": "formulas",
		"row": map[string]any{"0": "=1+1"}}); err != nil {
		t.Fatal(err)
	}
	if got := g.got[len(g.got)-1]; !strings.HasSuffix(got, "/range(address='A1:A1')") {
		t.Fatalf("request %s", got)
	}
	if b, _ := json.Marshal(g.bodies[len(g.bodies)-1]); string(b) != `{"formulas":[["=1+1"]]}` {
		t.Fatalf("body %s", b)
	}

	for _, tc := range []struct {
		mapper weft.Bundle
		typ    weft.ErrorType
		msg    string
	}{
		{weft.Bundle{"workbook": book, "worksheet": sheet, "row": map[string]any{"A": "x"}}, weft.DataError, `row: key "A" is not a column position`},
		{weft.Bundle{"workbook": book, "worksheet": sheet}, weft.DataError, "row: at least one cell is required"},
		{weft.Bundle{"workbook": book, "worksheet": sheet, "selectB": "site", "row": map[string]any{"0": "x"}}, weft.InvalidConfigurationError, "selectB: workbooks in a site's drive"},
		{weft.Bundle{"workbook": book, "worksheet": "Nope", "row": map[string]any{"0": "x"}}, weft.DataError, "[404] ItemNotFound"},
	} {
		_, err := runRow(t, g, tc.mapper)
		apptest.WantError(t, err, tc.typ, tc.msg)
	}
}

// Graph's documented errors, directly and in the engine.
func TestAddAWorksheetRowErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		code   string
		want   weft.ErrorType
	}{
		{"bad request", 400, "invalidRequest", weft.DataError},
		{"token", 401, "InvalidAuthenticationToken", weft.InvalidAccessTokenError},
		{"no access", 403, "accessDenied", weft.InvalidConfigurationError},
		{"no file", 404, "itemNotFound", weft.DataError},
		{"locked", 423, "resourceLocked", weft.ConnectionError},
		{"throttled", 429, "TooManyRequests", weft.RateLimitError},
		{"internal", 500, "generalException", weft.RuntimeError},
		{"unavailable", 503, "serviceNotAvailable", weft.ConnectionError},
		{"drive full", 507, "quotaLimitReached", weft.OutOfSpaceError},
	}
	g := newGraphAPI(t)
	g.fail = func(r *http.Request) (int, string) {
		for i, c := range cases {
			if strings.Contains(r.URL.Path, fmt.Sprintf("/case%02d.xlsx", i)) {
				return c.status, `{"error":{"code":"` + c.code + `","message":"` + c.name + `"}}`
			}
		}
		return 0, ""
	}
	var ecs []apptest.ErrorCase
	for i, c := range cases {
		ec := apptest.ErrorCase{Name: c.name, Params: weft.Bundle{"__IMTCONN__": 7.0},
			Mapper:      weft.Bundle{"workbook": fmt.Sprintf("/case%02d.xlsx", i), "worksheet": "S", "row": map[string]any{"0": "x"}},
			Connections: map[string]weft.Bundle{"7": {"accessToken": "eyJ.graph"}}, Want: c.want, WantMessage: "[" + strconv.Itoa(c.status) + "] " + c.code}
		if c.status == 429 {
			ec.Check = func(t testing.TB, e *weft.Error) {
				if e.RetryAfter != 5*time.Second {
					t.Errorf("RetryAfter %s", e.RetryAfter)
				}
			}
		}
		ecs = append(ecs, ec)
	}
	apptest.CheckErrors(t, g.spec(t), ecs)
}
