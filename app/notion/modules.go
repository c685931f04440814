package notion

import (
	"context"
	"maps"
	"math"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

var (
	connField = app.Field{Name: connParam, Label: "Connection", Type: app.TypeAny, Required: true,
		Help: `A Notion connection: OAuth 2 (provider notion, weft connections authorize) or {"accessToken": "ntn_…"}, an internal integration's secret.`}
	inputMethod = app.Field{Name: "select", Label: "Enter a Database ID", Type: app.TypeSelect, Options: []string{"map", "list"},
		Help: "How Make's form chose the database (map or list); weft reads the ID either way."}
	databaseField   = app.Field{Name: "database", Label: "Database ID", Type: app.TypeText, Required: true}
	dataSourceField = app.Field{Name: "data_source", Label: "Data Source ID", Type: app.TypeText, Required: true}
	fieldsField     = app.Field{Name: "fields", Label: "Fields", Type: app.TypeCollection,
		Help: `Property ID (as Notion gives it, e.g. "title", "%5E%40sv") or name → value: text for titles, rich text, selects, statuses, URLs, e-mails and phone numbers; a number; true/false; an array of options for a multi-select; {start, end, includeTime} or a date for a date; IDs for people and relations; [{url, name}] for files. Empty fields are not sent.`}
)

// createAPageSpec is Make's "Create a Database Item": a page whose parent is a database.
func createAPageSpec(a *api) app.Spec {
	return app.Spec{
		Name:       "notion:createAPage",
		Label:      "Notion: Create a Database Item",
		Help:       "Creates a page in a database (POST /v1/pages, API 2022-06-28) with the given property values, shaped by the database's schema. Output: the page with properties_value.",
		Parameters: []app.Field{connField},
		Mapper:     []app.Field{inputMethod, databaseField, fieldsField},
		New: func(app.Config) (app.Module, error) {
			return runFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
				return a.createItem(ctx, c, "databases", VersionDatabases, value.Text(c.Input["database"]))
			}), nil
		},
	}
}

func createDataSourceItemSpec(a *api) app.Spec {
	return app.Spec{
		Name:       "notion:createDataSourceItem",
		Label:      "Notion: Create a Data Source Item",
		Help:       "Creates a page in a data source (POST /v1/pages with a data_source_id parent, API 2025-09-03) with the given property values, shaped by the data source's schema. Output: the page with properties_value.",
		Parameters: []app.Field{connField},
		Mapper: []app.Field{
			{Name: "select", Label: "Input method", Type: app.TypeSelect, Options: []string{"map", "list"}},
			dataSourceField, fieldsField},
		New: func(app.Config) (app.Module, error) {
			return runFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
				return a.createItem(ctx, c, "data_sources", VersionDataSources, value.Text(c.Input["data_source"]))
			}), nil
		},
	}
}

// createItem reads the schema of the database or data source, shapes the fields and
// creates the page.
func (a *api) createItem(ctx context.Context, c *app.Call, kind, version, parent string) ([]weft.Bundle, error) {
	s, err := a.open(ctx, c, version)
	if err != nil {
		return nil, err
	}
	sc, err := s.readSchema(ctx, kind, parent)
	if err != nil {
		return nil, err
	}
	fields, _ := c.Input["fields"].(map[string]any)
	props, err := sc.properties(fields, c.Exec.Location())
	if err != nil {
		return nil, err
	}
	p := map[string]any{"database_id": notionID(parent)}
	if kind == "data_sources" {
		p = map[string]any{"type": "data_source_id", "data_source_id": notionID(parent)}
	}
	body, err := s.call(ctx, request{method: "POST", path: "/v1/pages", body: map[string]any{"parent": p, "properties": props}})
	if err != nil {
		return nil, err
	}
	return []weft.Bundle{withValues(body)}, nil
}

func updateADatabaseItemSpec(a *api) app.Spec {
	return app.Spec{
		Name:       "notion:updateADatabaseItem",
		Label:      "Notion: Update a Database Item",
		Help:       "Updates the given properties of a database item (PATCH /v1/pages/{page}), shaped by the schema of its database (API 2022-06-28) or data source (updateBy data_source, API 2025-09-03); fields mapped to nothing keep their value. Output: the page with properties_value.",
		Parameters: []app.Field{connField},
		Mapper: []app.Field{
			{Name: "updateBy", Label: "Update By", Type: app.TypeSelect, Options: []string{"data_source", "database"}, Default: "database"},
			inputMethod,
			{Name: "database", Label: "Database ID", Type: app.TypeText, Help: "With updateBy database (the default)."},
			{Name: "data_source", Label: "Data Source ID", Type: app.TypeText, Help: "With updateBy data_source."},
			{Name: "page", Label: "Database Item ID", Type: app.TypeText, Required: true},
			fieldsField,
		},
		New: func(app.Config) (app.Module, error) {
			return runFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
				kind, version, field := "databases", VersionDatabases, "database"
				if value.Text(c.Input["updateBy"]) == "data_source" {
					kind, version, field = "data_sources", VersionDataSources, "data_source"
				}
				parent := value.Text(c.Input[field])
				if parent == "" {
					return nil, weft.Errorf(weft.DataError, "%s: missing value of required field (updateBy %s)", field, field)
				}
				s, err := a.open(ctx, c, version)
				if err != nil {
					return nil, err
				}
				sc, err := s.readSchema(ctx, kind, parent)
				if err != nil {
					return nil, err
				}
				fields, _ := c.Input["fields"].(map[string]any)
				props, err := sc.properties(fields, c.Exec.Location())
				if err != nil {
					return nil, err
				}
				body, err := s.call(ctx, request{method: "PATCH", path: "/v1/pages/" + pathID(value.Text(c.Input["page"])),
					body: map[string]any{"properties": props}})
				if err != nil {
					return nil, err
				}
				return []weft.Bundle{withValues(body)}, nil
			}), nil
		},
	}
}

// maxPageSize is Notion's largest page of query results; maxPages bounds one query
// (10,000 items), as the declarative apps' pagination is bounded.
const (
	maxPageSize = 100
	maxPages    = 100
)

func searchObjectsSpec(a *api) app.Spec {
	return app.Spec{
		Name:       "notion:searchObjects1",
		Label:      "Notion: Search Objects",
		Help:       "Queries a database (select item: POST /v1/databases/{id}/query, API 2022-06-28) or a data source (select data_source_item: POST /v1/data_sources/{id}/query, API 2025-09-03) with a filter and sorts, every page up to the limit; one bundle per page with properties_value, __IMTINDEX__ and __IMTLENGTH__.",
		Parameters: []app.Field{connField},
		Mapper: []app.Field{
			{Name: "select", Label: "Search Objects", Type: app.TypeSelect, Required: true,
				Options: []string{"data_source_item", "data_source", "page", "item", "database"},
				Help:    "item (a database's items) and data_source_item (a data source's items) are supported; page, database and data_source (Notion's search by title) are not yet."},
			{Name: "limit", Label: "Limit", Type: app.TypeUInteger, Help: "How many items at most; empty returns every match."},
			{Name: "database", Label: "Database ID", Type: app.TypeText},
			{Name: "data_source", Label: "Data source ID", Type: app.TypeText},
			{Name: "filter", Label: "Filter", Type: app.TypeAny,
				Help: `Condition groups [[{a: "Name |&*^%$#@| type", o: "text:equals", b: value}]]: groups OR'ed, conditions AND'ed.`},
			{Name: "sorts", Label: "Sorts", Type: app.TypeArray,
				Help: `[{select: "property", property: "Name", direction: "ascending"}] or [{select: "timestamp", timestamp: "created_time", direction}].`},
		},
		New: func(app.Config) (app.Module, error) {
			return runFunc(a.search), nil
		},
	}
}

func (a *api) search(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	in := c.Input
	var kind, version, field string
	switch sel := value.Text(in["select"]); sel {
	case "item":
		kind, version, field = "databases", VersionDatabases, "database"
	case "data_source_item":
		kind, version, field = "data_sources", VersionDataSources, "data_source"
	default:
		return nil, weft.Errorf(weft.InvalidConfigurationError, "select: searching %q (Notion's search by title) is not supported by weft yet; item and data_source_item are", sel)
	}
	parent := value.Text(in[field])
	if parent == "" {
		return nil, weft.Errorf(weft.DataError, "%s: missing value of required field (select %s)", field, value.Text(in["select"]))
	}
	filter, err := queryFilter(in["filter"])
	if err != nil {
		return nil, weft.Errorf(weft.DataError, "%v", err)
	}
	limit := math.MaxInt
	if n, ok := value.Number(in["limit"]); ok && !value.IsEmpty(in["limit"]) {
		limit = int(n)
	}
	s, err := a.open(ctx, c, version)
	if err != nil {
		return nil, err
	}
	query := map[string]any{}
	if filter != nil {
		query["filter"] = filter
	}
	if sorts := querySorts(in["sorts"]); len(sorts) > 0 {
		query["sorts"] = sorts
	}
	var out []weft.Bundle
	for page := 1; len(out) < limit; page++ {
		if page > maxPages {
			// A query without a limit stops here rather than read a huge database
			// (or a service that never says it is done) without end.
			break
		}
		q := maps.Clone(query)
		q["page_size"] = float64(min(maxPageSize, limit-len(out)))
		body, err := s.call(ctx, request{method: "POST", path: "/v1/" + kind + "/" + pathID(parent) + "/query", body: q})
		if err != nil {
			return nil, err
		}
		for _, r := range value.Array(body["results"]) {
			if m, ok := r.(map[string]any); ok && len(out) < limit {
				out = append(out, withValues(m))
			}
		}
		next := value.Text(body["next_cursor"])
		if !value.Bool(body["has_more"]) || next == "" || next == value.Text(query["start_cursor"]) {
			break
		}
		query["start_cursor"] = next
	}
	for i, b := range out {
		b["__IMTINDEX__"] = float64(i + 1)
		b["__IMTLENGTH__"] = float64(len(out))
	}
	return out, nil
}

func getADatabaseItemSpec(a *api) app.Spec {
	return app.Spec{
		Name:       "notion:getADatabaseItem",
		Label:      "Notion: Get a Database Item",
		Help:       "Reads a database item (GET /v1/pages/{page}). Output: the page with properties_value.",
		Parameters: []app.Field{connField},
		Mapper: []app.Field{
			{Name: "select", Label: "Get a Database Item", Type: app.TypeSelect, Options: []string{"map", "list"}},
			{Name: "database", Label: "Database ID", Type: app.TypeText, Help: "Make's form lists the items of this database; the item's ID is enough."},
			{Name: "page", Label: "Database Item ID", Type: app.TypeText, Required: true},
		},
		New: func(app.Config) (app.Module, error) {
			return runFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
				return a.get(ctx, c, "/v1/pages/"+pathID(value.Text(c.Input["page"])))
			}), nil
		},
	}
}

func getADatabaseSpec(a *api) app.Spec {
	return app.Spec{
		Name:       "notion:getADatabase",
		Label:      "Notion: Get a Database",
		Help:       "Reads a database with its schema (GET /v1/databases/{id}, API 2022-06-28). Output: the database with properties_value (each property's settings by name).",
		Parameters: []app.Field{connField},
		Mapper:     []app.Field{databaseField},
		New: func(app.Config) (app.Module, error) {
			return runFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
				return a.get(ctx, c, "/v1/databases/"+pathID(value.Text(c.Input["database"])))
			}), nil
		},
	}
}

func (a *api) get(ctx context.Context, c *app.Call, path string) ([]weft.Bundle, error) {
	s, err := a.open(ctx, c, VersionDatabases)
	if err != nil {
		return nil, err
	}
	body, err := s.call(ctx, request{method: "GET", path: path})
	if err != nil {
		return nil, err
	}
	return []weft.Bundle{withValues(body)}, nil
}

// maxChildren is how many blocks Notion appends in one request.
const maxChildren = 100

func appendAPageContentSpec(a *api) app.Spec {
	return app.Spec{
		Name:       "notion:appendAPageContent",
		Label:      "Notion: Append a Page Content",
		Help:       "Appends blocks to a page (PATCH /v1/blocks/{page}/children, 100 per request). Output: {object: list, results: the blocks appended}.",
		Parameters: []app.Field{connField},
		Mapper: []app.Field{
			{Name: "page", Label: "Page ID", Type: app.TypeText, Required: true},
			{Name: "objects", Label: "Content Objects", Type: app.TypeArray, Required: true,
				Help: `Notion block objects: [{"type": "paragraph", "paragraph": {"rich_text": [{"text": {"content": "…"}}]}}]; Make's older "text" is sent as "rich_text".`},
		},
		New: func(app.Config) (app.Module, error) {
			return runFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
				blocks, err := blocksOf(c.Input["objects"])
				if err != nil {
					return nil, err
				}
				s, err := a.open(ctx, c, VersionDatabases)
				if err != nil {
					return nil, err
				}
				path := "/v1/blocks/" + pathID(value.Text(c.Input["page"])) + "/children"
				results := []any{}
				for i := 0; i < len(blocks); i += maxChildren {
					body, err := s.call(ctx, request{method: "PATCH", path: path,
						body: map[string]any{"children": blocks[i:min(i+maxChildren, len(blocks))]}})
					if err != nil {
						return nil, err
					}
					results = append(results, value.Array(body["results"])...)
				}
				return []weft.Bundle{{"object": "list", "results": results}}, nil
			}), nil
		},
	}
}

// blocksOf reads Make's content objects as Notion blocks: each needs a type; the rich
// text Make's form calls "text" travels as "rich_text" (its name since API 2022-02-22).
func blocksOf(v any) ([]any, error) {
	var out []any
	for i, e := range value.Array(v) {
		b, ok := e.(map[string]any)
		if !ok {
			return nil, weft.Errorf(weft.DataError, "objects/%d: a block is a collection, got %s", i, value.Kind(e))
		}
		typ := value.Text(b["type"])
		if typ == "" {
			return nil, weft.Errorf(weft.DataError, "objects/%d: the block has no type", i)
		}
		b = maps.Clone(b)
		if inner, ok := b[typ].(map[string]any); ok {
			if t, has := inner["text"]; has && inner["rich_text"] == nil {
				inner = maps.Clone(inner)
				inner["rich_text"] = t
				delete(inner, "text")
				b[typ] = inner
			}
		} else if b[typ] == nil {
			b[typ] = map[string]any{} // a divider or breadcrumb has no settings
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, weft.Errorf(weft.DataError, "objects: at least one block is required")
	}
	return out, nil
}

// runFunc is a module that is one function.
type runFunc func(ctx context.Context, c *app.Call) ([]weft.Bundle, error)

func (f runFunc) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) { return f(ctx, c) }
