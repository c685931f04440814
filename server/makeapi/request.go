package makeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft/value"
)

// Make's times: UTC with milliseconds ("2021-09-22T06:40:56.692Z").
const timeLayout = "2006-01-02T15:04:05.000Z"

func makeTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func makeTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := makeTime(*t)
	return &s
}

// Pagination: pg[offset], pg[limit], pg[sortBy], pg[sortDir] (and pg[last] where Make
// pages by the last key); answers carry "pg" with what was applied.
const maxLimit = 10_000

type pg struct {
	SortBy  string `json:"sortBy"`
	SortDir string `json:"sortDir"`
	Limit   int    `json:"limit"`
	Offset  int    `json:"offset"`
	// Last is pg[last]: only entries after this key (not echoed).
	Last string `json:"-"`
}

// paging describes how one listing pages: its default sort, the fields it sorts by
// and its default page size.
type paging struct {
	sortBy  string
	sortDir string
	sorts   []string
	limit   int
	// last: pg[last] is accepted (listings that page by key).
	last bool
}

// read parses the request's pg[…] parameters.
func (pgn paging) read(r *http.Request) (pg, error) {
	q := r.URL.Query()
	p := pg{SortBy: pgn.sortBy, SortDir: pgn.sortDir, Limit: pgn.limit}
	for k := range q {
		if !strings.HasPrefix(k, "pg[") {
			continue
		}
		switch k {
		case "pg[offset]", "pg[limit]", "pg[sortBy]", "pg[sortDir]":
		case "pg[last]", "pg[showLast]":
			if !pgn.last {
				return p, invalid(k, "this listing pages by pg[offset] and pg[limit] only")
			}
		default:
			return p, invalid(k, "is not a pagination parameter (pg[offset], pg[limit], pg[sortBy], pg[sortDir])")
		}
	}
	if s := q.Get("pg[offset]"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, invalid("pg[offset]", "%q is not a whole number from 0", s)
		}
		p.Offset = n
	}
	if s := q.Get("pg[limit]"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return p, invalid("pg[limit]", "%q is not a whole number from 1 to %d", s, maxLimit)
		}
		p.Limit = n
	}
	if s := q.Get("pg[sortBy]"); s != "" {
		if !slices.Contains(pgn.sorts, s) {
			return p, invalid("pg[sortBy]", "%q: this listing sorts by %s", s, strings.Join(pgn.sorts, ", "))
		}
		p.SortBy = s
	}
	if s := q.Get("pg[sortDir]"); s != "" {
		if s != "asc" && s != "desc" {
			return p, invalid("pg[sortDir]", "%q: want asc or desc", s)
		}
		p.SortDir = s
	}
	p.Last = q.Get("pg[last]")
	return p, nil
}

// page returns the window of items p asks for (items already sorted).
func page[T any](items []T, p pg) []T {
	if p.Offset >= len(items) {
		return []T{}
	}
	items = items[p.Offset:]
	if len(items) > p.Limit {
		items = items[:p.Limit]
	}
	return items
}

// sortItems sorts by the key p names (keys maps sortBy values to comparisons,
// ascending); ties keep their order.
func sortItems[T any](items []T, p pg, keys map[string]func(x, y T) int) {
	cmp := keys[p.SortBy]
	if cmp == nil {
		return
	}
	slices.SortStableFunc(items, func(x, y T) int {
		if p.SortDir == "desc" {
			return cmp(y, x)
		}
		return cmp(x, y)
	})
}

// columns reads cols[] (Make's column selection): nil for "every column", an error
// naming a column the resource does not have.
func columns(r *http.Request, known []string) ([]string, error) {
	q := r.URL.Query()
	cols := append(q["cols[]"], q["cols"]...)
	if len(cols) == 0 || slices.Contains(cols, "*") {
		return nil, nil
	}
	for _, c := range cols {
		if !slices.Contains(known, c) {
			return nil, invalid("cols[]", "%q is not a column of this resource (columns: %s)", c, strings.Join(known, ", "))
		}
	}
	return cols, nil
}

// pick keeps only cols of v (all of them when cols is nil).
func pick(v any, cols []string) (any, error) {
	if cols == nil {
		return v, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(cols))
	for _, c := range cols {
		if raw, ok := m[c]; ok {
			out[c] = raw
		}
	}
	return out, nil
}

// pickAll is pick for a list.
func pickAll[T any](items []T, cols []string) ([]any, error) {
	out := make([]any, len(items))
	for i, it := range items {
		v, err := pick(it, cols)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// int64Path reads a numeric path parameter (ids).
func int64Path(r *http.Request, name string) (int64, error) {
	s := r.PathValue(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, invalid(name, "%q is not an id (a positive whole number)", s)
	}
	return n, nil
}

// int64Query reads an optional numeric query parameter (0 when absent).
func int64Query(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, invalid(name, "%q is not an id (a positive whole number)", s)
	}
	return n, nil
}

// requiredInt64Query is int64Query for a parameter that must be there.
func requiredInt64Query(r *http.Request, name string) (int64, error) {
	n, err := int64Query(r, name)
	if err == nil && n == 0 {
		err = invalid(name, "is required")
	}
	return n, err
}

// boolQuery reads an optional true/false query parameter.
func boolQuery(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, invalid(name, "%q is not true or false", s)
	}
	return b, nil
}

// teamOrOrganization checks the scope of a listing: Make asks for teamId or
// organizationId (one of them). weft has one of each, so any id names it.
func teamOrOrganization(r *http.Request) error {
	team, err := int64Query(r, "teamId")
	if err != nil {
		return err
	}
	org, err := int64Query(r, "organizationId")
	if err != nil {
		return err
	}
	switch {
	case team == 0 && org == 0:
		return invalid("teamId", "missing required parameter teamId or organizationId")
	case team != 0 && org != 0:
		return invalid("teamId", "teamId and organizationId cannot be used together")
	}
	return nil
}

// requireTeam checks the teamId parameter of a listing that Make scopes to a team.
func requireTeam(r *http.Request) error {
	_, err := requiredInt64Query(r, "teamId")
	return err
}

// readBody reads the whole body (limited by wrap's MaxBytesReader).
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, invalid("body", "could not be read: %v", err)
	}
	return b, nil
}

// object is a JSON object body, its fields kept raw so each is read with its own
// rules and fields nobody reads are refused (a misspelt field must not silently do
// nothing).
type object map[string]json.RawMessage

// readObject reads a body that must be a JSON object; an empty body is {} when
// optional.
func readObject(r *http.Request, optional bool) (object, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return object{}, nil
		}
		return nil, invalid("body", "a JSON object is required")
	}
	var o object
	if err := json.Unmarshal(body, &o); err != nil || o == nil {
		return nil, invalid("body", "is not a JSON object")
	}
	return o, nil
}

// only refuses fields other than known.
func (o object) only(known ...string) error {
	var extra []string
	for k := range o {
		if !slices.Contains(known, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return invalid(extra[0], "is not a field weft knows here (known: %s)", strings.Join(known, ", "))
	}
	return nil
}

// has reports a field that is present and not null.
func (o object) has(k string) bool {
	raw, ok := o[k]
	return ok && string(bytes.TrimSpace(raw)) != "null"
}

// get decodes field k into v (left alone when absent or null).
func (o object) get(k string, v any) error {
	if !o.has(k) {
		return nil
	}
	if err := json.Unmarshal(o[k], v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return invalid(k, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
		}
		return invalid(k, "is not valid: %v", err)
	}
	return nil
}

// bundle decodes field k as a bundle (big integers kept exactly): any JSON object.
func (o object) bundle(k string) (map[string]any, error) {
	if !o.has(k) {
		return nil, nil
	}
	v, err := value.DecodeJSON(o[k])
	if err != nil {
		return nil, invalid(k, "is not valid JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(k, "must be an object")
	}
	return m, nil
}

// jsonDoc reads field k as a JSON document Make sends either as an object or as a
// string holding it (blueprints and schedules travel as strings).
func (o object) jsonDoc(k string) ([]byte, error) {
	if !o.has(k) {
		return nil, nil
	}
	raw := bytes.TrimSpace(o[k])
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalid(k, "is not a valid string: %v", err)
		}
		raw = bytes.TrimSpace([]byte(s))
		if len(raw) == 0 {
			return nil, invalid(k, "is empty")
		}
		if !json.Valid(raw) {
			return nil, invalid(k, "is not valid JSON")
		}
	}
	if raw[0] != '{' {
		return nil, invalid(k, "must be a JSON object (or a string holding one)")
	}
	return raw, nil
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	case "string":
		return "text"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return k
}

// selection is Make's body for bulk retry and delete: ids, or all (but exceptIds).
type selection struct {
	IDs    []string
	All    bool
	Except []string
}

// readSelection reads {"ids"} or {"all": true, "exceptIds"}; idsKey and exceptKey are
// the names the resource uses (keys / exceptKeys for data store records).
func readSelection(o object, idsKey, exceptKey string) (selection, error) {
	var s selection
	if err := o.only(idsKey, "all", exceptKey); err != nil {
		return s, err
	}
	if err := o.get(idsKey, &s.IDs); err != nil {
		return s, err
	}
	if err := o.get("all", &s.All); err != nil {
		return s, err
	}
	if err := o.get(exceptKey, &s.Except); err != nil {
		return s, err
	}
	switch {
	case s.All && len(s.IDs) > 0:
		return s, invalid(idsKey, "give %s or all: true, not both", idsKey)
	case !s.All && len(s.IDs) == 0:
		return s, invalid(idsKey, "nothing selected: give %s, or all: true", idsKey)
	case !s.All && len(s.Except) > 0:
		return s, invalid(exceptKey, "only applies with all: true")
	}
	for i, id := range s.IDs {
		if strings.TrimSpace(id) == "" {
			return s, invalid(fmt.Sprintf("%s[%d]", idsKey, i), "is empty")
		}
	}
	return s, nil
}

// includes reports whether the selection takes id.
func (s selection) includes(id string) bool {
	if s.All {
		return !slices.Contains(s.Except, id)
	}
	return slices.Contains(s.IDs, id)
}

// field decodes field k as a value (any JSON; big integers kept exactly).
func (o object) field(k string) (any, error) {
	v, err := value.DecodeJSON(o[k])
	if err != nil {
		return nil, invalid(k, "is not valid JSON: %v", err)
	}
	return v, nil
}
