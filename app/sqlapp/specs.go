package sqlapp

import "github.com/weftworks/weft/app"

// The fields, declared once: validation, docs and forms read these declarations.
var (
	// Not Required in the declaration: Make's app modules may name their connection
	// __IMTCONN__ instead; New insists on one of the two.
	paramAccount = app.Field{Name: "account", Label: "Connection", Type: app.TypeAny,
		Help: "The database connection (required): Postgres {dsn} or {host, port, user, password, database, sslmode}; SQLite {path}. __IMTCONN__ is read when account is absent."}

	paramContinue = app.Field{Name: "continueWhenNoRes", Label: "Continue the execution of the route even if the module returns no rows",
		Type: app.TypeBoolean, Default: false,
		Help: "On: no row outputs one bundle {__IMTLENGTH__: 0}. Off: no row stops the route for this bundle."}

	fieldTable = app.Field{Name: "table", Label: "Table", Type: app.TypeText, Required: true,
		Help: "The table, optionally with its schema (schema.table). Quoted as an identifier, never interpolated."}

	fieldWhere = app.Field{Name: "where", Label: "Where", Type: app.TypeCollection,
		Help: "Column = value conditions, all of which must hold (AND); an empty value (null) matches NULL."}

	fieldLimit = app.Field{Name: "limit", Label: "Limit", Type: app.TypeUInteger,
		Help: "The most rows the statement touches; empty or 0 means no limit."}

	fieldReturning = app.Field{Name: "returning", Label: "Returning columns", Type: app.TypeArray,
		Help: "Columns of the written rows to output under returning; [\"*\"] for all of them."}

	fieldAllRows = app.Field{Name: "allRows", Label: "Allow every row", Type: app.TypeBoolean, Default: false,
		Help: "On: an empty where touches the whole table. Off: an empty where is a DataError."}
)

// moduleDef is one module type, declared for both dialects.
type moduleDef struct {
	module string // after the "postgres:"/"sqlite:" prefix
	label  string
	help   string
	params []app.Field
	mapper []app.Field
	run    opFunc
}

var defs = []moduleDef{
	{
		module: "ExecuteQuery", label: "Execute a query",
		help:   "Runs one SQL statement with bound parameters ($1, $2…). A query outputs one bundle per row; a write outputs {rowsAffected} and its RETURNING rows.",
		params: []app.Field{paramContinue},
		mapper: []app.Field{
			{Name: "query", Label: "Query", Type: app.TypeText, Required: true,
				Help: "One SQL statement; $1, $2… stand for the parameters in order."},
			{Name: "params", Label: "Parameters", Type: app.TypeArray,
				Help: "The values bound to $1, $2…, in order. Never interpolated into the query."},
		},
		run: (*module).execute,
	},
	{
		module: "SelectRows", label: "Select rows",
		help:   "Outputs one bundle per row of the table that matches where, in the order given.",
		params: []app.Field{paramContinue},
		mapper: []app.Field{
			fieldTable,
			{Name: "columns", Label: "Columns", Type: app.TypeArray,
				Help: "The columns to output; empty means all."},
			fieldWhere,
			{Name: "orderBy", Label: "Order by", Type: app.TypeArray,
				Spec: []app.Field{
					{Name: "column", Label: "Column", Type: app.TypeText, Required: true},
					{Name: "order", Label: "Order", Type: app.TypeSelect, Options: []string{"asc", "desc"}, Default: "asc"},
				},
				Help: "Sort columns, most significant first."},
			fieldLimit,
		},
		run: (*module).selectRows,
	},
	{
		module: "InsertRow", label: "Insert a row",
		help: "Inserts one row; outputs {rowsAffected} and the RETURNING columns asked for.",
		mapper: []app.Field{
			fieldTable,
			{Name: "values", Label: "Values", Type: app.TypeCollection, Required: true,
				Help: "Column → value. An empty collection inserts a row of defaults."},
			fieldReturning,
		},
		run: (*module).insertRow,
	},
	{
		module: "UpdateRows", label: "Update rows",
		help: "Sets columns of the rows that match where; outputs {rowsAffected} and the RETURNING columns asked for.",
		mapper: []app.Field{
			fieldTable,
			{Name: "values", Label: "Values", Type: app.TypeCollection, Required: true,
				Help: "Column → new value."},
			fieldWhere, fieldLimit, fieldReturning, fieldAllRows,
		},
		run: (*module).updateRows,
	},
	{
		module: "DeleteRows", label: "Delete rows",
		help:   "Deletes the rows that match where; outputs {rowsAffected} and the RETURNING columns asked for.",
		mapper: []app.Field{fieldTable, fieldWhere, fieldLimit, fieldReturning, fieldAllRows},
		run:    (*module).deleteRows,
	},
}
