package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Pagination: ?limit= (1…maxLimit, default defaultLimit) and ?cursor= (opaque, from
// the previous page's nextCursor).
const (
	defaultLimit = 50
	maxLimit     = 500
)

// page is a list's answer: nextCursor is null on the last page.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

func newPage[T any](items []T, next string) Page[T] {
	p := Page[T]{Items: nonNilSlice(items)}
	if next != "" {
		c := base64.RawURLEncoding.EncodeToString([]byte(next))
		p.NextCursor = &c
	}
	return p
}

// paging reads ?limit= and ?cursor= (decoded to the position it encodes, "" at start).
func paging(r *http.Request) (limit int, cursor string, err error) {
	q := r.URL.Query()
	limit = defaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return 0, "", invalid("limit", "%q is not a whole number from 1 to %d", s, maxLimit)
		}
		limit = n
	}
	if s := q.Get("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) == 0 {
			return 0, "", invalid("cursor", "%q is not a cursor this API returned", s)
		}
		cursor = string(b)
	}
	return limit, cursor, nil
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

// decode reads a JSON object body into v, refusing unknown fields (a typo in a field
// name must not silently do nothing).
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("body", "a JSON object is required")
	}
	return decodeBytes(body, v)
}

// decodeOptional is decode for a body that may be left out (then v keeps its zero value).
func decodeOptional(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	return decodeBytes(body, v)
}

func decodeBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return invalid("body", "holds more than one JSON value")
	}
	return nil
}

// jsonError names the field a decoding error is about.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return invalid(field, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return invalid("body", "is not valid JSON (at byte %d): %v", se.Offset, se)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(field, "is not a known field")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("body", "is not valid JSON: it ends too early")
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return invalid("body", "is not valid JSON: %v", err)
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

// bundleBody reads a body that is a bundle (a trigger payload, a record): any JSON,
// big integers kept exactly; a value that is not an object becomes {"value": …}, as
// Make's webhook passes a raw body. An empty body is an empty bundle.
func bundleBody(r *http.Request, field string) (weft.Bundle, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return weft.Bundle{}, nil
	}
	v, err := value.DecodeJSON(body)
	if err != nil {
		return nil, invalid(field, "is not valid JSON: %v", err)
	}
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	return weft.Bundle{"value": v}, nil
}

// selectionBody is the body of bulk retry and delete.
type selectionBody struct {
	IDs        []string `json:"ids"`
	ScenarioID int64    `json:"scenarioId"`
	All        bool     `json:"all"`
	Except     []string `json:"except"`
	Confirmed  bool     `json:"confirmed"`
}

func (b selectionBody) check() error {
	switch {
	case len(b.IDs) > 0 && b.All:
		return invalid("all", "select incomplete executions by ids or all of a scenario, not both")
	case b.All && b.ScenarioID < 1:
		return invalid("scenarioId", "selecting all incomplete executions needs a scenario id")
	case !b.All && len(b.IDs) == 0:
		return invalid("ids", "no incomplete execution selected: give ids, or scenarioId with all: true")
	case len(b.Except) > 0 && !b.All:
		return invalid("except", "only applies with all: true")
	case !b.All && b.ScenarioID != 0:
		return invalid("scenarioId", "only applies with all: true")
	}
	for i, id := range b.IDs {
		if strings.TrimSpace(id) == "" {
			return invalid(fmt.Sprintf("ids[%d]", i), "is empty")
		}
	}
	return nil
}

// incompleteID reads the {id} of an incomplete execution: the whole id or a unique
// prefix (service.IncompleteIDOf).
func (a *api) incompleteID(r *http.Request) (string, error) {
	return a.svc.IncompleteIDOf(r.Context(), r.PathValue("id"))
}

// executionID reads the {id} of an execution, as incompleteID.
func (a *api) executionID(r *http.Request) (string, error) {
	return a.svc.ExecutionIDOf(r.Context(), r.PathValue("id"))
}

// incompleteIDs resolves ids given in a body (prefixes allowed) in place; field names
// the body field for errors.
func (a *api) incompleteIDs(r *http.Request, field string, ids []string) error {
	for i, ref := range ids {
		id, err := a.svc.IncompleteIDOf(r.Context(), ref)
		var amb *service.AmbiguousIDError
		switch {
		case errors.As(err, &amb):
			return err
		case errors.Is(err, store.ErrNotFound):
			// Left as given: the selection's check names every unknown id at once.
			continue
		case err != nil:
			return fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		ids[i] = id
	}
	return nil
}
