package declarative_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/declarative"
	"github.com/weftworks/weft/value"
)

// lookup returns a module of a test app.
func lookup(t *testing.T, r *app.Registry, name string) *app.Spec {
	t.Helper()
	s, ok := r.Lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	return s
}

const pagedDef = `{
  "name": "paged",
  "base": {"baseUrl": "https://paged.test/api"},
  "connection": {"type": "apiKey", "in": "query", "name": "key"},
  "modules": {
    "ByCursor": {
      "mapper": [{"name": "limit", "type": "uinteger"}, {"name": "minAge", "type": "number"}],
      "communication": {
        "url": "/people", "qs": {"size": 2},
        "response": {
          "iterate": {"container": "{{body.data}}", "condition": "{{item.age >= ifempty(parameters.minAge; 0)}}"},
          "output": {"name": "{{item.name}}", "page": "{{body.page}}", "position": "{{index}}"},
          "limit": "{{parameters.limit}}"
        },
        "pagination": {"url": "{{body.next}}", "maxPages": 3}
      }
    },
    "ByPage": {
      "communication": {
        "url": "/people", "qs": {"page": 1},
        "response": {"iterate": "{{body.data}}"},
        "pagination": {"qs": {"page": "{{pagination.page}}", "offset": "{{pagination.offset}}"}, "condition": "{{body.more}}"}
      }
    }
  }
}`

// pagedStandIn serves 3 pages of 2 people; /people?cursor=N is page N.
func pagedStandIn(t *testing.T) *standIn {
	s := newStandIn(t)
	people := [][]string{{`{"name":"Ada","age":36}`, `{"name":"Bo","age":9}`}, {`{"name":"Cy","age":41}`, `{"name":"Di","age":52}`},
		{`{"name":"Ed","age":70}`}}
	s.fn = func(r *http.Request, _ string) reply {
		page := 1
		if c := r.URL.Query().Get("cursor"); c != "" {
			page, _ = strconv.Atoi(c)
		}
		if p := r.URL.Query().Get("page"); p != "" {
			page, _ = strconv.Atoi(p)
		}
		if r.URL.Query().Get("key") != "k-secret" {
			return reply{status: 401, body: `{"error":"bad key"}`}
		}
		next := `"` + s.URL + `/api/people?cursor=` + strconv.Itoa(page+1) + `"`
		if page == len(people) {
			next = "null"
		}
		return ok(`{"page":` + strconv.Itoa(page) + `,"more":` + strconv.FormatBool(page < len(people)) + `,"next":` + next +
			`,"data":[` + strings.Join(people[page-1], ",") + `]}`)
	}
	return s
}

func TestPaginationByNextURL(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mapper   string
		requests int
		want     string
	}{
		{"every page", `{}`, 3, `[
			{"name":"Ada","page":1,"position":1,"__IMTINDEX__":1,"__IMTLENGTH__":5},
			{"name":"Bo","page":1,"position":2,"__IMTINDEX__":2,"__IMTLENGTH__":5},
			{"name":"Cy","page":2,"position":1,"__IMTINDEX__":3,"__IMTLENGTH__":5},
			{"name":"Di","page":2,"position":2,"__IMTINDEX__":4,"__IMTLENGTH__":5},
			{"name":"Ed","page":3,"position":1,"__IMTINDEX__":5,"__IMTLENGTH__":5}]`},
		{"the limit stops paging", `{"limit": 3}`, 2, `[
			{"name":"Ada","page":1,"position":1,"__IMTINDEX__":1,"__IMTLENGTH__":3},
			{"name":"Bo","page":1,"position":2,"__IMTINDEX__":2,"__IMTLENGTH__":3},
			{"name":"Cy","page":2,"position":1,"__IMTINDEX__":3,"__IMTLENGTH__":3}]`},
		{"the condition drops items", `{"minAge": 40, "limit": 2}`, 2, `[
			{"name":"Cy","page":2,"position":1,"__IMTINDEX__":1,"__IMTLENGTH__":2},
			{"name":"Di","page":2,"position":2,"__IMTINDEX__":2,"__IMTLENGTH__":2}]`},
		{"limit 0", `{"limit": 0}`, 1, `[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pagedStandIn(t)
			out, err := run(t, lookup(t, testApp(t, pagedDef, s), "paged:ByCursor"), weft.Bundle{"key": "k-secret"}, tc.mapper)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "output", out, tc.want)
			g := s.requests()
			if len(g) != tc.requests {
				t.Fatalf("%d requests, want %d: %+v", len(g), tc.requests, g)
			}
			// The first request carries the definition's qs and the key; a next URL
			// carries its own query (the key is added again).
			if g[0].Query != "key=k-secret&size=2" || (len(g) > 1 && g[1].Query != "cursor=2&key=k-secret") {
				t.Fatalf("queries %q, %q", g[0].Query, g[len(g)-1].Query)
			}
		})
	}
}

func TestPaginationByPageNumber(t *testing.T) {
	s := pagedStandIn(t)
	out, err := run(t, lookup(t, testApp(t, pagedDef, s), "paged:ByPage"), weft.Bundle{"key": "k-secret"}, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 5 || out[4]["name"] != "Ed" {
		t.Fatalf("output %v", out)
	}
	var qs []string
	for _, g := range s.requests() {
		qs = append(qs, g.Query)
	}
	if got := strings.Join(qs, " | "); got != "key=k-secret&page=1 | key=k-secret&offset=2&page=2 | key=k-secret&offset=4&page=3" {
		t.Fatalf("queries %s", got)
	}
}

func TestMaxPagesBoundsPaging(t *testing.T) {
	s := newStandIn(t)
	s.fn = func(*http.Request, string) reply {
		return ok(`{"data":[{"name":"n","age":1}],"next":"/people?again=1"}`)
	}
	out, err := run(t, lookup(t, testApp(t, pagedDef, s), "paged:ByCursor"), weft.Bundle{"key": "k"}, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || len(s.requests()) != 3 {
		t.Fatalf("%d bundles from %d requests, want 3 from maxPages 3", len(out), len(s.requests()))
	}
}

func TestAPIKeyInTheQueryIsHidden(t *testing.T) {
	s := pagedStandIn(t)
	_, err := run(t, lookup(t, testApp(t, pagedDef, s), "paged:ByCursor"), weft.Bundle{"key": "wrong-key"}, `{}`)
	e := apptest.WantError(t, err, weft.InvalidAccessTokenError, "[401] GET ")
	if strings.Contains(e.Message+string(value.JSON(e.Details)), "wrong-key") {
		t.Fatalf("message %q shows the key", e.Message)
	}
}

const shapesDef = `{
  "name": "shapes",
  "base": {"baseUrl": "https://shapes.test", "headers": {"X-Base": "b", "X-Over": "base"}, "qs": {"v": 2}},
  "connection": {"type": "basic", "fields": [{"name": "username", "required": true}, {"name": "password"}]},
  "modules": {
    "Form": {
      "openMapper": true,
      "communication": {
        "url": "/form/{{encodeURL(parameters.id)}}", "method": "post", "type": "urlencoded",
        "headers": {"X-Over": "module", "X-Empty": "{{parameters.none}}"},
        "qs": {"tags": "{{parameters.tags}}"},
        "body": {"name": "{{parameters.name}}", "list": "{{parameters.tags}}", "obj": {"$literal": {"$not": "{{a template}}"}}},
        "response": {"output": {"$merge": ["{{body}}", {"status": "{{statusCode}}", "trace": "{{headers.` + "`x-trace`" + `}}"}]}}
      }
    },
    "Text": {
      "openMapper": true,
      "communication": {
        "url": "/text", "method": "PUT", "type": "text", "headers": {"Content-Type": "text/csv"},
        "body": "{{join(parameters.cells; \",\")}}",
        "response": {"output": {"rows": {"$map": {"over": "{{split(body; newline)}}", "to": {"$indexed": "{{split(item; \",\")}}"}}}}}
      }
    },
    "Shapes": {
      "openMapper": true,
      "communication": {
        "url": "/shapes", "method": "POST",
        "body": {
          "row": {"$positional": "{{parameters.cells}}"},
          "only": {"$if": {"condition": "{{parameters.flag}}", "then": {"on": true}, "else": "{{ignore}}"}},
          "kept": {"$compact": "{{parameters.record}}"}
        },
        "response": {"output": "{{body}}"}
      }
    },
    "BadOutput": {
      "communication": {"url": "/list", "response": {"output": "{{body.items}}"}}
    },
    "AppError": {
      "communication": {
        "url": "/op",
        "response": {"error": {"condition": "{{body.status = \"fail\"}}", "type": "{{body.kind}}", "message": "{{body.why}}"}}
      }
    },
    "BadErrorTemplate": {
      "communication": {
        "url": "/op",
        "response": {"error": {"condition": "{{parseDate(body.when; \"X\") > 0}}"}}
      }
    }
  }
}`

var basicCreds = weft.Bundle{"username": "ada", "password": "pw-secret"}

func TestURLEncodedBodyBasicAuthAndMerging(t *testing.T) {
	s := newStandIn(t, reply{status: 201, body: `{"id":"f1"}`, header: map[string]string{"X-Trace": "t-9"}})
	out, err := run(t, lookup(t, testApp(t, shapesDef, s), "shapes:Form"), basicCreds,
		`{"id":"a b/c","name":"Ada & Bo","tags":["x","y"]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:pw-secret"))
	if g.Method != "POST" || g.Path != "/form/a%20b%2Fc" || g.Query != "tags=x&tags=y&v=2" || g.Header.Get("Authorization") != auth ||
		g.Header.Get("X-Base") != "b" || g.Header.Get("X-Over") != "module" || g.Header.Values("X-Empty") != nil ||
		g.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("request %s %s?%s headers %v", g.Method, g.Path, g.Query, g.Header)
	}
	if g.Body != "list=x&list=y&name=Ada+%26+Bo&obj=%7B%22%24not%22%3A%22%7B%7Ba+template%7D%7D%22%7D" {
		t.Fatalf("body %s", g.Body)
	}
	sameJSON(t, "output", out, `[{"id":"f1","status":201,"trace":"t-9"}]`)
}

func TestTextBodyAndTransforms(t *testing.T) {
	s := newStandIn(t, reply{status: 200, body: "a,b\nc", header: map[string]string{"Content-Type": "text/csv"}})
	out, err := run(t, lookup(t, testApp(t, shapesDef, s), "shapes:Text"), basicCreds, `{"cells":["1","2"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if g := s.only(t); g.Method != "PUT" || g.Body != "1,2" || g.Header.Get("Content-Type") != "text/csv" {
		t.Fatalf("request %+v", g)
	}
	sameJSON(t, "output", out, `[{"rows":[{"0":"a","1":"b"},{"0":"c"}]}]`)

	s = newStandIn(t, ok(`{"ok":true}`), ok(`{"ok":true}`))
	spec := lookup(t, testApp(t, shapesDef, s), "shapes:Shapes")
	if _, err := run(t, spec, basicCreds, `{"cells":{"2":"c","0":"a"},"flag":true,"record":{"a":1,"b":"","c":null,"":"x"}}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "shapes body", jsonBody(t, s.only(t).Body), `{"row":["a",null,"c"],"only":{"on":true},"kept":{"a":1}}`)
	_, err = run(t, spec, basicCreds, `{"cells":{"A":"x"}}`)
	apptest.WantError(t, err, weft.DataError, `body/row/$positional: key "A" is not a position`)
	_, err = run(t, spec, basicCreds, `{"cells":{"99999":"x"}}`)
	apptest.WantError(t, err, weft.DataError, "position 99999 is beyond the last allowed")
}

func TestResponseProblems(t *testing.T) {
	for _, tc := range []struct {
		name, module string
		reply        reply
		typ          weft.ErrorType
		msg          string
	}{
		{"output is not a collection", "BadOutput", ok(`{"items":[1,2]}`), weft.UnexpectedError, "output: the response gives array where a bundle (collection) is expected"},
		{"app error with its own type", "AppError", ok(`{"status":"fail","kind":"DuplicateDataError","why":"exists"}`), weft.DuplicateDataError, "[200] exists"},
		{"app error with an unknown type", "AppError", ok(`{"status":"fail","kind":"Oops","why":"odd"}`), weft.RuntimeError, "[200] odd"},
		{"app error on an error status keeps the status type", "AppError", reply{status: 404, body: `{"status":"fail","why":"gone"}`}, weft.DataError, "[404] gone"},
		{"error template fails", "BadErrorTemplate", ok(`{"when":"soon"}`), weft.UnexpectedError, "cannot read the error response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, tc.reply)
			_, err := run(t, lookup(t, testApp(t, shapesDef, s), "shapes:"+tc.module), basicCreds, `{}`)
			apptest.WantError(t, err, tc.typ, tc.msg)
		})
	}
}

func TestTransportLimits(t *testing.T) {
	s := newStandIn(t, ok(`{"data":"`+strings.Repeat("x", 2000)+`"}`))
	specs, err := declarative.LoadOptions(fstest.MapFS{"shapes.json": {Data: []byte(shapesDef)}},
		declarative.Options{Getenv: noEnv, BaseURLs: map[string]string{"shapes": s.URL}, MaxBodySize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var spec *app.Spec
	for i := range specs {
		if specs[i].Name == "shapes:Form" {
			spec = &specs[i]
		}
	}
	_, err = run(t, spec, basicCreds, `{"id":"1"}`)
	apptest.WantError(t, err, weft.MaxFileSizeExceededError, "exceeds the 1000-byte limit")

	slow := newStandIn(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow.fn = func(r *http.Request, _ string) reply {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return ok(`{}`)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	exec := apptest.NewExec()
	exec.Connections["c"] = basicCreds
	_, err = apptest.Run(ctx, lookup(t, testApp(t, shapesDef, slow), "shapes:Form"), weft.Bundle{"__IMTCONN__": "c"},
		decode(t, `{"id":"1"}`), exec)
	apptest.WantError(t, err, weft.ModuleTimeoutError, "timed out")
}
