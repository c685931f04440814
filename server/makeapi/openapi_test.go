package makeapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/weftworks/weft/server/makeapi"
)

// The OpenAPI document, compiled once: every response of every test in this package
// is validated against the schema documented for its operation and status (env.doAs).
var spec struct {
	once     sync.Once
	err      error
	doc      map[string]any
	compiler *jsonschema.Compiler
	ops      []specOp
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

type specOp struct {
	method, path string
	re           *regexp.Regexp
	op           map[string]any
}

const specURL = "https://weft.test/openapi.json"

func loadSpec() error {
	spec.once.Do(func() {
		raw := makeapi.OpenAPI()
		if err := json.Unmarshal(raw, &spec.doc); err != nil {
			spec.err = err
			return
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			spec.err = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		if spec.err = c.AddResource(specURL, inst); spec.err != nil {
			return
		}
		spec.compiler, spec.schemas = c, map[string]*jsonschema.Schema{}
		for path, item := range spec.doc["paths"].(map[string]any) {
			pattern := "^" + regexp.MustCompile(`\\\{[A-Za-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$"
			for method, op := range item.(map[string]any) {
				spec.ops = append(spec.ops, specOp{method: strings.ToUpper(method), path: path, re: regexp.MustCompile(pattern), op: op.(map[string]any)})
			}
		}
		// Literal paths win over templates (/incomplete-executions/retry vs /{id}).
		slices.SortFunc(spec.ops, func(a, b specOp) int { return strings.Count(a.path, "{") - strings.Count(b.path, "{") })
	})
	return spec.err
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// checkResponse validates one answer against the document.
func checkResponse(method, path string, r resp) error {
	if err := loadSpec(); err != nil {
		return fmt.Errorf("openapi.json: %w", err)
	}
	path, _, _ = strings.Cut(path, "?")
	var found *specOp
	for i := range spec.ops {
		if spec.ops[i].method == method && spec.ops[i].re.MatchString(path) {
			found = &spec.ops[i]
			break
		}
	}
	if found == nil {
		if r.status == 404 || r.status == 405 {
			return nil // the router's own answers to unknown paths and methods
		}
		return fmt.Errorf("%s %s answered %d but is not documented", method, path, r.status)
	}
	status := fmt.Sprint(r.status)
	res, ok := found.op["responses"].(map[string]any)[status].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s: status %d is not documented: %s", method, found.path, r.status, r.body)
	}
	if _, hasBody := res["content"]; !hasBody {
		if len(r.body) != 0 {
			return fmt.Errorf("%s %s %d: documented without a body, got %s", method, found.path, r.status, r.body)
		}
		return nil
	}
	loc := specURL + "#/paths/" + pointerEscape(found.path) + "/" + strings.ToLower(method) + "/responses/" + status +
		"/content/application~1json/schema"
	spec.mu.Lock()
	sch, ok := spec.schemas[loc]
	if !ok {
		var err error
		if sch, err = spec.compiler.Compile(loc); err != nil {
			spec.mu.Unlock()
			return fmt.Errorf("compile %s: %w", loc, err)
		}
		spec.schemas[loc] = sch
	}
	spec.mu.Unlock()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		return fmt.Errorf("%s %s %d: body is not JSON: %v", method, found.path, r.status, err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s %s %d: the body does not match the documented schema: %v\n%s", method, found.path, r.status, err, r.body)
	}
	return nil
}

// The document and the router agree both ways: every documented operation is routed
// (with the documented scope), and every route is documented.
func TestOpenAPIMatchesRouter(t *testing.T) {
	if err := loadSpec(); err != nil {
		t.Fatal(err)
	}
	if spec.doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", spec.doc["openapi"])
	}
	routed := map[string]string{}
	for _, ep := range makeapi.Endpoints() {
		routed[ep.Method+" "+ep.Path] = ep.Scope
	}
	documented := map[string]bool{}
	e := newEnv(t)
	for _, op := range spec.ops {
		key := op.method + " " + op.path
		documented[key] = true
		scope, ok := routed[key]
		if !ok {
			t.Errorf("%s is documented but not routed", key)
			continue
		}
		if got, _ := op.op["x-weft-scope"].(string); got != scope {
			t.Errorf("%s: documented scope %q, routed %q", key, got, scope)
		}
		// The live router knows it: neither "no such endpoint" nor 405.
		r := e.do(op.method, concrete(op.path), "{}")
		if r.status == 405 || (r.status == 404 && strings.Contains(string(r.body), "no such endpoint")) {
			t.Errorf("%s: the router answers %s", key, r)
		}
		for _, code := range []string{"500"} {
			if _, ok := op.op["responses"].(map[string]any)[code]; !ok {
				t.Errorf("%s: no %s response documented", key, code)
			}
		}
	}
	for key := range routed {
		if !documented[key] {
			t.Errorf("%s is routed but not documented", key)
		}
	}
	// Every named schema compiles.
	for name := range spec.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		if _, err := spec.compiler.Compile(specURL + "#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}

// The validation itself is not vacuous: a body with a wrong or an extra field fails.
func TestResponseValidationCatchesDrift(t *testing.T) {
	e := newEnv(t)
	const path = "/users/me/current-authorization"
	good := e.do("GET", path, nil)
	if err := checkResponse("GET", path, good); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"extra field":   `{"authorization":{"authUsed":"token","scope":[]},"total":1}`,
		"wrong type":    `{"authorization":{"authUsed":"token","scope":{}}}`,
		"missing field": `{"authorization":{"authUsed":"token"}}`,
		"bad item":      `{"authorization":{"authUsed":"token","scope":[1]}}`,
	} {
		if err := checkResponse("GET", path, resp{status: 200, body: []byte(body)}); err == nil {
			t.Errorf("%s: %s validated", name, body)
		}
	}
	// A selection of columns may leave fields out, never add or mistype one.
	for _, body := range []string{`{"scenarios":[{"id":"1"}],"pg":{"sortBy":"id","sortDir":"asc","limit":1,"offset":0}}`,
		`{"scenarios":[{"id":1,"colour":"red"}],"pg":{"sortBy":"id","sortDir":"asc","limit":1,"offset":0}}`} {
		if err := checkResponse("GET", "/scenarios", resp{status: 200, body: []byte(body)}); err == nil {
			t.Errorf("%s validated", body)
		}
	}
	if err := checkResponse("GET", path, resp{status: 418, body: []byte(`{}`)}); err == nil {
		t.Error("an undocumented status validated")
	}
}
