package sqlapp

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// stmtKind says how a statement's result becomes bundles.
type stmtKind int

const (
	kindQuery stmtKind = iota // one bundle per row
	kindWrite                 // {rowsAffected, returning}
	kindAuto                  // ExecuteQuery: rows for a query, {rowsAffected…} for a write
)

// statement is one SQL statement with its arguments, bound as $1, $2… and never
// interpolated. Arguments are canonical values; each dialect converts them.
type statement struct {
	sql   string
	args  []any
	what  string // what the statement does, for error messages ("insert into "users"")
	kind  stmtKind
	write bool // the statement changes rows (known for built ones, guessed for ExecuteQuery)
}

// rowsOut reports whether the result is output as one bundle per row.
func (st *statement) rowsOut(res *result) bool {
	switch st.kind {
	case kindQuery:
		return true
	case kindWrite:
		return false
	}
	return len(res.columns) > 0 && !res.write
}

// result is what a statement returned.
type result struct {
	columns  []string
	rows     [][]any // canonical values
	affected int64
	write    bool // the statement was an INSERT, UPDATE, DELETE or MERGE
}

// bundle is one row as a bundle, column name → value. When two columns share a name
// (a join's two "id"s) the later one wins, as in Make's database modules.
func (r *result) bundle(row []any) weft.Bundle {
	b := make(weft.Bundle, len(r.columns)+2)
	for i, c := range r.columns {
		b[c] = row[i]
	}
	return b
}

// builder writes a statement, numbering its arguments.
type builder struct {
	sb   strings.Builder
	args []any
}

func (b *builder) write(parts ...string) {
	for _, p := range parts {
		b.sb.WriteString(p)
	}
}

// arg adds an argument and returns its placeholder.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// quoteIdent quotes one identifier: double quotes, inner quotes doubled (Postgres and
// SQLite alike). A name is data, never SQL: nothing in it can end the quoting.
func quoteIdent(field, name string) (string, error) {
	if name == "" {
		return "", dataErr("%s: empty name", field)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", dataErr("%s: name %q holds a NUL character", field, name)
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`, nil
}

// quoteTable quotes a table name, each part of schema.table separately.
func quoteTable(name string) (string, error) {
	name = strings.TrimSpace(name)
	parts := strings.Split(name, ".")
	if len(parts) > 3 {
		return "", dataErr("table: %q has more than three dotted parts", name)
	}
	q := make([]string, len(parts))
	for i, p := range parts {
		var err error
		if q[i], err = quoteIdent("table", p); err != nil {
			return "", err
		}
	}
	return strings.Join(q, "."), nil
}

// columnList quotes a list of column names taken from an array field.
func columnList(field string, v any) ([]string, error) {
	var out []string
	for i, c := range value.Array(v) {
		name := value.Text(c)
		if name == "*" {
			if len(value.Array(v)) != 1 {
				return nil, dataErr("%s: * must be the only column", field)
			}
			return []string{"*"}, nil
		}
		q, err := quoteIdent(fmt.Sprintf("%s/%d", field, i), name)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// sortedKeys returns a collection's keys in order: the same input gives the same SQL,
// so prepared statements are reused.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// where writes " WHERE a = $1 AND b IS NULL" for a collection of conditions.
func (b *builder) where(conds map[string]any) error {
	for i, k := range sortedKeys(conds) {
		col, err := quoteIdent("where", k)
		if err != nil {
			return err
		}
		if i == 0 {
			b.write(" WHERE ")
		} else {
			b.write(" AND ")
		}
		if conds[k] == nil {
			b.write(col, " IS NULL")
			continue
		}
		b.write(col, " = ", b.arg(conds[k]))
	}
	return nil
}

// returning writes " RETURNING …" when columns are asked for.
func (b *builder) returning(v any) error {
	cols, err := columnList("returning", v)
	if err != nil || len(cols) == 0 {
		return err
	}
	b.write(" RETURNING ", strings.Join(cols, ", "))
	return nil
}

// limitRows writes the where clause of an UPDATE or DELETE. Neither Postgres nor a
// default SQLite build has UPDATE … LIMIT, so a limit picks the rows by their physical
// id (Postgres ctid, SQLite rowid) in a subquery.
func (b *builder) limitRows(d dialect, table string, in weft.Bundle) error {
	conds, _ := in["where"].(map[string]any)
	if len(conds) == 0 && !toBool(in["allRows"]) {
		return dataErr("where: no condition given; set allRows to touch every row of the table")
	}
	limit := limitOf(in)
	if limit == 0 {
		return b.where(conds)
	}
	id := d.rowID()
	b.write(" WHERE ", id, " IN (SELECT ", id, " FROM ", table)
	if err := b.where(conds); err != nil {
		return err
	}
	b.write(" LIMIT ", strconv.Itoa(limit), ")")
	return nil
}

func limitOf(in weft.Bundle) int {
	if n, ok := value.Number(in["limit"]); ok && n > 0 {
		return int(n)
	}
	return 0
}

// execute is ExecuteQuery: the user's statement with its parameters.
func (m *module) execute(c *app.Call) (*statement, error) {
	q := strings.TrimSpace(value.Text(c.Input["query"]))
	if q == "" {
		return nil, dataErr("query: empty statement")
	}
	return &statement{sql: q, args: value.Array(c.Input["params"]), what: "query",
		kind: kindAuto, write: isWrite(q)}, nil
}

func (m *module) selectRows(c *app.Call) (*statement, error) {
	table, err := quoteTable(value.Text(c.Input["table"]))
	if err != nil {
		return nil, err
	}
	cols, err := columnList("columns", c.Input["columns"])
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		cols = []string{"*"}
	}
	var b builder
	b.write("SELECT ", strings.Join(cols, ", "), " FROM ", table)
	conds, _ := c.Input["where"].(map[string]any)
	if err := b.where(conds); err != nil {
		return nil, err
	}
	for i, o := range value.Array(c.Input["orderBy"]) {
		ob, _ := o.(map[string]any)
		col, err := quoteIdent(fmt.Sprintf("orderBy/%d/column", i), value.Text(ob["column"]))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			b.write(" ORDER BY ")
		} else {
			b.write(", ")
		}
		dir := "ASC"
		if value.Text(ob["order"]) == "desc" {
			dir = "DESC"
		}
		b.write(col, " ", dir)
	}
	if n := limitOf(c.Input); n > 0 {
		b.write(" LIMIT ", strconv.Itoa(n))
	}
	return &statement{sql: b.sb.String(), args: b.args, what: "select from " + table, kind: kindQuery}, nil
}

func (m *module) insertRow(c *app.Call) (*statement, error) {
	table, err := quoteTable(value.Text(c.Input["table"]))
	if err != nil {
		return nil, err
	}
	vals, _ := c.Input["values"].(map[string]any)
	var b builder
	b.write("INSERT INTO ", table)
	if len(vals) == 0 {
		b.write(" DEFAULT VALUES")
	} else {
		keys := sortedKeys(vals)
		cols, ph := make([]string, len(keys)), make([]string, len(keys))
		for i, k := range keys {
			if cols[i], err = quoteIdent("values", k); err != nil {
				return nil, err
			}
			ph[i] = b.arg(vals[k])
		}
		b.write(" (", strings.Join(cols, ", "), ") VALUES (", strings.Join(ph, ", "), ")")
	}
	if err := b.returning(c.Input["returning"]); err != nil {
		return nil, err
	}
	return &statement{sql: b.sb.String(), args: b.args, what: "insert into " + table, kind: kindWrite, write: true}, nil
}

func (m *module) updateRows(c *app.Call) (*statement, error) {
	table, err := quoteTable(value.Text(c.Input["table"]))
	if err != nil {
		return nil, err
	}
	vals, _ := c.Input["values"].(map[string]any)
	if len(vals) == 0 {
		return nil, dataErr("values: no column to set")
	}
	var b builder
	b.write("UPDATE ", table, " SET ")
	for i, k := range sortedKeys(vals) {
		col, err := quoteIdent("values", k)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.write(", ")
		}
		b.write(col, " = ", b.arg(vals[k]))
	}
	if err := b.limitRows(m.dialect, table, c.Input); err != nil {
		return nil, err
	}
	if err := b.returning(c.Input["returning"]); err != nil {
		return nil, err
	}
	return &statement{sql: b.sb.String(), args: b.args, what: "update " + table, kind: kindWrite, write: true}, nil
}

func (m *module) deleteRows(c *app.Call) (*statement, error) {
	table, err := quoteTable(value.Text(c.Input["table"]))
	if err != nil {
		return nil, err
	}
	var b builder
	b.write("DELETE FROM ", table)
	if err := b.limitRows(m.dialect, table, c.Input); err != nil {
		return nil, err
	}
	if err := b.returning(c.Input["returning"]); err != nil {
		return nil, err
	}
	return &statement{sql: b.sb.String(), args: b.args, what: "delete from " + table, kind: kindWrite, write: true}, nil
}

func dataErr(format string, args ...any) error {
	return weft.Errorf(weft.DataError, format, args...)
}
