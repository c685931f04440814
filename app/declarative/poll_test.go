package declarative_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/declarative"
)

const jobsDef = `{
  "name": "jobs",
  "base": {"baseUrl": "https://jobs.test"},
  "connection": {"type": "apiKey", "name": "X-Key", "value": "{{connection.key}}"},
  "modules": {
    "Run": {
      "mapper": [{"name": "wait", "type": "boolean"}, {"name": "delay", "type": "number"}],
      "communication": {
        "url": "/jobs", "method": "POST", "body": {"n": 1},
        "poll": {"while": "{{parameters.wait & body.state != \"done\"}}", "url": "{{body.next}}", "method": "GET",
                 "headers": {"X-Seen": "{{body.state}}"}, "delay": "{{parameters.delay}}", "maxAttempts": 3},
        "response": {"output": {"id": "{{body.id}}", "state": "{{body.state}}", "polled": "{{statusCode}}"}}
      }
    }
  }
}`

// The poll section sends its request, built from the last answer, while its condition
// holds; the response section reads the last answer.
func TestPollUntilDone(t *testing.T) {
	s := newStandIn(t, reply{status: 202, body: `{"id":"j1","state":"queued","next":"/jobs/j1"}`},
		ok(`{"id":"j1","state":"working","next":"/jobs/j1?after=2"}`), ok(`{"id":"j1","state":"done"}`))
	spec := lookup(t, testApp(t, jobsDef, s), "jobs:Run")
	out, err := run(t, spec, weft.Bundle{"key": "k-1"}, `{"wait":true}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if len(g) != 3 || g[0].Method != "POST" || g[1].Method != "GET" || g[1].Path != "/jobs/j1" || g[1].Header.Get("X-Seen") != "queued" ||
		g[2].Path != "/jobs/j1" || g[2].Query != "after=2" || g[2].Header.Get("X-Seen") != "working" {
		t.Fatalf("requests %+v", g)
	}
	for _, r := range g {
		if r.Header.Get("X-Key") != "k-1" {
			t.Fatalf("a request without the key: %+v", r)
		}
	}
	sameJSON(t, "output", out, `[{"id":"j1","state":"done","polled":200}]`)
	// The condition false at once: one request.
	s.set(reply{status: 202, body: `{"id":"j2","state":"queued","next":"/jobs/j2"}`})
	if out, err = run(t, spec, weft.Bundle{"key": "k-1"}, `{"wait":false}`); err != nil || out[0]["state"] != "queued" || len(s.requests()) != 4 {
		t.Fatalf("no wait: %v %v (%d requests)", out, err, len(s.requests()))
	}
}

func TestPollErrors(t *testing.T) {
	// Still not done after maxAttempts polls.
	s := newStandIn(t, ok(`{"id":"j1","state":"working","next":"/jobs/j1"}`))
	spec := lookup(t, testApp(t, jobsDef, s), "jobs:Run")
	_, err := run(t, spec, weft.Bundle{"key": "k-1"}, `{"wait":true}`)
	apptest.WantError(t, err, weft.ModuleTimeoutError, "still not done after 3 polls")
	if n := len(s.requests()); n != 4 {
		t.Fatalf("%d requests, want 1 + 3 polls", n)
	}
	// A poll answered with an error is that error.
	s = newStandIn(t, ok(`{"id":"j1","state":"working","next":"/jobs/j1"}`), reply{status: 503, body: `{"error":"busy"}`})
	_, err = run(t, lookup(t, testApp(t, jobsDef, s), "jobs:Run"), weft.Bundle{"key": "k-1"}, `{"wait":true}`)
	apptest.WantError(t, err, weft.ConnectionError, "[503]")
	// A delay ends with the module's time limit.
	s = newStandIn(t, ok(`{"id":"j1","state":"working","next":"/jobs/j1"}`))
	exec := apptest.NewExec()
	exec.Connections["conn"] = weft.Bundle{"key": "k-1"}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = apptest.Run(ctx, lookup(t, testApp(t, jobsDef, s), "jobs:Run"), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{"wait": true, "delay": 3600.0}, exec)
	apptest.WantError(t, err, weft.ModuleTimeoutError, "waiting to poll")
	if n := len(s.requests()); n != 1 {
		t.Fatalf("%d requests during the delay", n)
	}
}

func TestPollDefinitionErrors(t *testing.T) {
	for _, tc := range []struct{ name, poll, want string }{
		{"no while", `{"url": "/x"}`, "poll/while: required"},
		{"no url", `{"while": "{{body.x}}"}`, "poll/url: required"},
		{"bad method", `{"while": "{{body.x}}", "url": "/x", "method": "FETCH"}`, `"FETCH" is not an HTTP method`},
		{"attempts out of range", `{"while": "{{body.x}}", "url": "/x", "maxAttempts": 0}`, "poll/maxAttempts: must be a whole number from 1 to 10000"},
		{"an item root", `{"while": "{{item.x}}", "url": "/x"}`, "item"},
		{"with pagination", `{"while": "{{body.x}}", "url": "/x"}, "pagination": {"url": "{{body.next}}"}`, "a request that waits for its job (poll) has no pagination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			def := `{"name": "p", "base": {"baseUrl": "https://p.test"}, "modules": {"M": {"communication": {"url": "/", "poll": ` + tc.poll + `}}}}`
			_, err := declarative.Load(fstest.MapFS{"p.json": {Data: []byte(def)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
