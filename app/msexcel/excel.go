package msexcel

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

func addAWorksheetRowSpec(a *api) app.Spec {
	return app.Spec{
		Name:  "microsoft-excel:addAWorksheetRow",
		Label: "Microsoft 365 Excel: Add a Worksheet Row",
		Help: "Writes a row below the used range of a worksheet (Graph: usedRange, then range(address).patch). " +
			"Output: id (the row's number) and row, each written cell by column letter: formula, formulaLocal, numberFormat, text, value, valueType.",
		Parameters: []app.Field{{Name: connParam, Label: "Connection", Type: app.TypeAny, Required: true,
			Help: "A Microsoft connection: OAuth 2, provider microsoft (weft connections authorize), scope Files.ReadWrite."}},
		Mapper: []app.Field{
			{Name: "select", Label: "Select a method", Type: app.TypeSelect, Options: []string{"map", "list"},
				Help: "How Make's form chose the workbook; weft reads workbook either way."},
			{Name: "selectB", Label: "Choose your OneDrive location", Type: app.TypeSelect, Options: []string{"my", "site", "group"}, Default: "my",
				Help: "my (the connection's OneDrive) is supported; SharePoint sites and groups are not yet."},
			{Name: "workbook", Label: "Workbook", Type: app.TypeText, Required: true,
				Help: "A path in the OneDrive (/Folder/Book.xlsx) or the file's item ID."},
			{Name: "worksheet", Label: "Worksheet", Type: app.TypeText, Required: true, Help: "The worksheet's name or ID."},
			{Name: "valueType", Label: "Type of Values Being Entered", Type: app.TypeSelect,
				Options: []string{"formulas", "formulasLocal", "values"}, Default: "values"},
			{Name: "row", Label: "Row", Type: app.TypeCollection,
				Help: `Cells by column position: {"0": column A, "1": column B, …}; a column not given is left as it is.`},
		},
		New: func(app.Config) (app.Module, error) { return addRow{a: a}, nil },
	}
}

type addRow struct{ a *api }

// maxColumns is Excel's last column (XFD).
const maxColumns = 16384

func (m addRow) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	in := c.Input
	if loc := value.Text(in["selectB"]); loc != "" && loc != "my" {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "selectB: workbooks in a %s's drive are not supported by weft yet; use one in your OneDrive (my)", loc)
	}
	cells, err := rowCells(in["row"])
	if err != nil {
		return nil, err
	}
	if len(cells) == 0 {
		return nil, weft.Errorf(weft.DataError, "row: at least one cell is required")
	}
	kind := value.Text(in["valueType"])
	if kind == "" {
		kind = "values"
	}
	s, err := m.a.open(ctx, c)
	if err != nil {
		return nil, err
	}
	sheet := workbookPath(value.Text(in["workbook"])) + "/worksheets/" + url.PathEscape(strings.TrimSpace(value.Text(in["worksheet"])))
	used, err := s.call(ctx, request{method: "GET", path: sheet + "/usedRange(valuesOnly=true)"})
	if err != nil {
		return nil, err
	}
	row := nextRow(used)
	addr := fmt.Sprintf("%s%d:%s%d", column(0), row, column(len(cells)-1), row)
	body, err := s.call(ctx, request{method: "PATCH", path: sheet + "/range(address='" + addr + "')",
		body: map[string]any{kind: []any{cells}}})
	if err != nil {
		return nil, err
	}
	return []weft.Bundle{{"id": strconv.Itoa(row), "row": rowOutput(body, len(cells))}}, nil
}

// workbookPath addresses the workbook: a path in the drive (Graph's path syntax,
// root:/a/b.xlsx:) or an item ID.
func workbookPath(wb string) string {
	wb = strings.TrimSpace(wb)
	if strings.HasPrefix(wb, "/") {
		parts := strings.Split(strings.Trim(wb, "/"), "/")
		for i, p := range parts {
			parts[i] = url.PathEscape(p)
		}
		return "/v1.0/me/drive/root:/" + strings.Join(parts, "/") + ":/workbook"
	}
	return "/v1.0/me/drive/items/" + url.PathEscape(wb) + "/workbook"
}

// rowCells reads Make's row {"0": A, "3": D} as cells A…D, null where no value is
// given (Graph leaves a null cell as it is).
func rowCells(v any) ([]any, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, weft.Errorf(weft.DataError, "row: a collection of cells by column position, got %s", value.Kind(v))
	}
	last := -1
	for k := range m {
		i, err := strconv.Atoi(strings.TrimSpace(k))
		if err != nil || i < 0 || i >= maxColumns {
			return nil, weft.Errorf(weft.DataError, "row: key %q is not a column position (0 to %d)", k, maxColumns-1)
		}
		last = max(last, i)
	}
	cells := make([]any, last+1)
	for k, e := range m {
		i, _ := strconv.Atoi(strings.TrimSpace(k))
		switch e.(type) {
		case map[string]any, []any:
			cells[i] = value.Text(e)
		default:
			cells[i] = e
		}
	}
	return cells, nil
}

// nextRow is the 1-based number of the row below the used range; an empty worksheet's
// used range is its single empty cell A1, and the row goes there.
func nextRow(used map[string]any) int {
	idx, _ := value.Number(used["rowIndex"])
	count, _ := value.Number(used["rowCount"])
	if count <= 1 {
		vals := value.Array(used["values"])
		empty := len(vals) == 0
		if len(vals) == 1 {
			empty = true
			for _, c := range value.Array(vals[0]) {
				if !value.IsEmpty(c) {
					empty = false
				}
			}
		}
		if empty {
			return int(idx) + 1
		}
	}
	return int(idx) + int(count) + 1
}

// column is the letters of a 0-based column index (0 → A, 26 → AA).
func column(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// rowOutput is the written row as Make gives it: each cell by lower-case column letter
// with its formula, local formula, number format, text, value and value type.
func rowOutput(r map[string]any, n int) map[string]any {
	cell := func(key string, i int) any {
		rows := value.Array(r[key])
		if len(rows) == 0 {
			return nil
		}
		cols := value.Array(rows[0])
		if i >= len(cols) {
			return nil
		}
		return cols[i]
	}
	out := make(map[string]any, n)
	for i := range n {
		out[strings.ToLower(column(i))] = map[string]any{
			"formula": cell("formulas", i), "formulaLocal": cell("formulasLocal", i), "numberFormat": cell("numberFormat", i),
			"text": cell("text", i), "value": cell("values", i), "valueType": cell("valueTypes", i),
		}
	}
	return out
}
