package declarative_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
	"github.com/weftworks/weft/value"
)

// 045 (category-factors-subscenario, "3 Extract Category Factors") is one step of a
// chain of scenarios: another scenario calls it with two scenario inputs, prompt_id and
// lock_token (declared in the export's top-level io). It reads the prompt record (3)
// and its run (18) from Airtable, asks OpenAI's Responses API (9) for the decision
// factors in the run's answer, parses the JSON array (11: one bundle per factor),
// creates a Category Factors record per factor (13), aggregates their ids (21), marks
// the run processed (14) and the prompt's time (22), and starts the next step,
// "4 Generate Factor Values" (17, Call a subscenario without waiting), with the same
// two inputs.
//
// Make's export names that next step by Make's scenario id (SCN_8253633), which weft
// refuses to build (docs/subscenarios.md). "Run against stand-ins" here means what a
// person importing the chain does: store the next step as a weft scenario of its own
// (a stand-in for "4 Generate Factor Values": Start scenario declaring both inputs,
// then an HTTP request posting them to a stand-in service), set module 17's scenario
// to its id, choose the base and the three tables in the Airtable modules (the export
// redacted them to one id), and run 045 through the service on a real SQLite store,
// called by a parent scenario as in Make. The test asserts every request the
// Airtable and OpenAI stand-ins received, that 045 ran as its parent's sub-scenario
// with the inputs, and that the next step got exactly those inputs when the worker ran
// it from its queue.

// The ids the importing person chooses for 045's Airtable modules: module → table.
var tables045 = map[int]string{3: "tblPrompts", 18: "tblRuns", 13: "tblFactors", 14: "tblRuns", 22: "tblPrompts"}

// conns045 are 045's connections by the export's ids: Airtable and OpenAI.
var conns045 = map[string]weft.Bundle{"13192726": {"accessToken": "patTracker"}, "13192811": {"apiKey": "sk-tracker"}}

const (
	prompt045 = `{"id":"recPrompt","createdTime":"2026-02-01T00:00:00.000Z","fields":{"Prompt Text":"Which CRM should a 10-person agency use?",
		"Primary Category (from Project)":["CRM software"],"Target Audience (from Project)":["Small agencies"],
		"Runs":["recRun1"],"Lock Token":"lock-7"}}`
	run045 = `{"id":"recRun1","createdTime":"2026-03-03T00:00:00.000Z","fields":{"Raw Answer":"HubSpot or Pipedrive.\n\nIf you can share:\n- How many people will use it?\n- What is your monthly budget?"}}`
	// The factors as the model returns them: output_text holding a JSON array.
	factors045 = `[{"factor_key":"seats","label":"Number of seats","question_summary":"How many people will use it?"},` +
		`{"factor_key":"budget","label":"Monthly budget","question_summary":"What is your monthly budget?"}]`
)

// responses045 is an OpenAI Response whose output text is text.
func responses045(text string) reply {
	return ok(`{"id":"resp_45","object":"response","created_at":1772600767,"status":"completed","model":"gpt-5.1-2025-11-13",
		"output":[{"type":"reasoning","id":"rs_1","summary":[]},{"type":"message","id":"msg_45","status":"completed","role":"assistant",
		"content":[{"type":"output_text","annotations":[],"text":` + string(value.JSON(text)) + `}]}],
		"usage":{"input_tokens":900,"output_tokens":80,"total_tokens":980}}`)
}

// airtable045 answers 045's reads, creates each factor with the next record id and
// echoes updates.
func airtable045(t *testing.T) *standIn {
	var created atomic.Int32
	a := newStandIn(t)
	a.fn = func(r *http.Request, body string) reply {
		switch path := r.URL.EscapedPath(); {
		case r.Method == "GET" && path == "/appTracker/tblPrompts/recPrompt":
			return ok(prompt045)
		case r.Method == "GET" && path == "/appTracker/tblRuns/recRun1":
			return ok(run045)
		case r.Method == "POST" && path == "/appTracker/tblFactors":
			return ok(fmt.Sprintf(`{"id":"recF%d","createdTime":"2026-03-04T05:06:07.000Z","fields":%s}`,
				created.Add(1), value.JSON(dig(decode(t, body), "fields"))))
		case r.Method == "PATCH":
			return ok(`{"id":"` + path[strings.LastIndex(path, "/")+1:] + `","createdTime":"2026-03-03T00:00:00.000Z","fields":` +
				string(value.JSON(dig(decode(t, body), "fields"))) + `}`)
		}
		return reply{status: 404, body: `{"error":"NOT_FOUND"}`}
	}
	return a
}

// world045 is a service on a SQLite store holding 045, the next step it calls and a
// parent that calls 045.
type world045 struct {
	svc                    *service.Service
	st                     store.Store
	airtable, openai, next *standIn
	parent, s045, step4    int64
}

func new045(t *testing.T, openai ...reply) *world045 {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world045{st: st, airtable: airtable045(t), openai: newStandIn(t, openai...), next: newStandIn(t)}
	reg := fullRegistry(t, map[string]string{"airtable": w.airtable.URL, "openai-gpt-3": w.openai.URL})
	var ids atomic.Int64
	w.svc, err = service.New(service.Config{Store: st, Registry: reg,
		Clock:  func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) },
		NewID:  func() string { return fmt.Sprintf("exec-%d", ids.Add(1)) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Connections: func(ref any) (weft.Bundle, error) {
			c, found := conns045[value.Text(ref)]
			if !found {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %q not found", value.Text(ref))
			}
			return c, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	// The stand-in for "4 Generate Factor Values": its inputs as Make declares them
	// (045's call module expects both, required text), posted on.
	w.step4 = w.create(t, `{"name":"4 Generate Factor Values","flow":[
		{"id":1,"module":"scenario-service:StartSubscenario","version":2,"metadata":{"interface":[
			{"name":"prompt_id","type":"text","required":true},{"name":"lock_token","type":"text","required":true}]}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"`+w.next.URL+`/generate","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"prompt_id\":\"{{1.prompt_id}}\",\"lock_token\":\"{{var.input.lock_token}}\"}"}}],
		"metadata":{"version":1,"scenario":{}}}`, true)
	w.s045 = w.create(t, string(import045(t, w.step4)), true)
	// The scenario before 045 in the chain calls it with a prompt, as Make's does:
	// the inputs in the call's data collection, waiting for it to end.
	w.parent = w.create(t, fmt.Sprintf(`{"name":"2 Run Prompt","flow":[{"id":1,"module":"placeholder:Placeholder"},
		{"id":2,"module":"scenario-service:CallSubscenario","version":2,
		 "parameters":{"scenario":"%d","shouldWaitForExecutionEnd":true},
		 "mapper":{"data":{"prompt_id":"{{1.prompt_id}}","lock_token":"{{1.lock_token}}"}}}],
		"metadata":{"version":1,"scenario":{}}}`, w.s045), false)
	return w
}

// import045 is 045 as the importing person sets it up: the base and tables chosen in
// each Airtable module, module 17 calling the weft scenario next.
func import045(t *testing.T, next int64) []byte {
	t.Helper()
	data, err := os.ReadFile(corpus.Path("045-category-factors-subscenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	set := 0
	bp.Walk(func(m *blueprint.Module, _ string) bool {
		if table, ok := tables045[m.ID]; ok {
			mapper := m.Mapper.(map[string]any)
			if mapper["base"] != "appREDACTED_BASE" || mapper["table"] != "tblREDACTED_TABLE" {
				t.Fatalf("module %d: base %v table %v", m.ID, mapper["base"], mapper["table"])
			}
			mapper["base"], mapper["table"] = "appTracker", table
			m.SetMapper(mapper)
			set++
		}
		if m.ID == 17 {
			if m.Parameters["scenario"] != "SCN_8253633" || m.Parameters["shouldWaitForExecutionEnd"] != false {
				t.Fatalf("module 17 parameters %v", m.Parameters)
			}
			m.SetParameters(map[string]any{"scenario": fmt.Sprint(next), "shouldWaitForExecutionEnd": false})
			set++
		}
		return true
	})
	if set != len(tables045)+1 {
		t.Fatalf("set up %d modules of 045", set)
	}
	out, err := bp.Export()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *world045) create(t *testing.T, bp string, active bool) int64 {
	t.Helper()
	sc, err := w.svc.CreateScenario(t.Context(), []byte(bp), "")
	if err != nil {
		t.Fatalf("store scenario: %v", err)
	}
	if active {
		if _, err := w.svc.SetActive(t.Context(), sc.ID, true); err != nil {
			t.Fatalf("activate %s: %v", sc.Name, err)
		}
	}
	return sc.ID
}

// call runs the parent once, calling 045 with the inputs.
func (w *world045) call(t *testing.T, inputs string) *service.RunResult {
	t.Helper()
	rr, err := w.svc.Run(t.Context(), w.parent, []weft.Bundle{decode(t, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func (w *world045) executions(t *testing.T, f store.ExecutionFilter) []*weft.Execution {
	t.Helper()
	exs, err := w.st.ListExecutions(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

func (w *world045) queued(t *testing.T, id int64) []*weft.QueueItem {
	t.Helper()
	items, err := w.svc.ListQueue(t.Context(), store.QueueFilter{ScenarioID: id})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestCorpus045CategoryFactorsSubscenario(t *testing.T) {
	t.Run("as exported: the call of Make's scenario cannot be built", func(t *testing.T) {
		data, err := os.ReadFile(corpus.Path("045-category-factors-subscenario.json"))
		if err != nil {
			t.Fatal(err)
		}
		bp, err := blueprint.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		an := blueprint.Analyze(bp, fullRegistry(t, nil))
		if !strings.Contains(fmt.Sprint(an.Report.Problems), `module 17 (scenario-service:CallSubscenario) is not set up: InvalidConfigurationError: scenario: "SCN_8253633" is a Make scenario id`) {
			t.Fatalf("problems %v", an.Report.Problems)
		}
		// Its inputs are read from the export's io.
		if in := an.Interface; !in.InputsDeclared || len(in.Inputs) != 2 || in.Inputs[0].Name != "prompt_id" || !in.Inputs[1].Required {
			t.Fatalf("interface %+v", in)
		}
	})

	t.Run("factors extracted and written, the next step started with the inputs", func(t *testing.T) {
		w := new045(t, responses045(factors045))
		rr := w.call(t, `{"prompt_id":"recPrompt","lock_token":"lock-7"}`)
		if rr.Result.Status != weft.StatusSuccess {
			t.Fatalf("parent %s: %+v", rr.Result.Status, rr.Result.Error)
		}
		// 045 ran as the parent's sub-scenario, to the end: 9 operations (the call of
		// the next step is not one, as in Make).
		runs := w.executions(t, store.ExecutionFilter{ParentID: rr.Execution.ID})
		if len(runs) != 1 || runs[0].ScenarioID != w.s045 || runs[0].ParentModule != 2 || runs[0].Status != weft.ExecutionSuccess ||
			runs[0].Operations != 9 {
			t.Fatalf("045's executions %+v", runs)
		}

		g := w.airtable.requests()
		want := []string{"GET /appTracker/tblPrompts/recPrompt", "GET /appTracker/tblRuns/recRun1",
			"POST /appTracker/tblFactors", "POST /appTracker/tblFactors",
			"PATCH /appTracker/tblRuns/recRun1", "PATCH /appTracker/tblPrompts/recPrompt"}
		if len(g) != len(want) {
			t.Fatalf("Airtable received %+v", g)
		}
		for i := range want {
			if got := g[i].Method + " " + g[i].Path; got != want[i] || g[i].Header.Get("Authorization") != "Bearer patTracker" {
				t.Fatalf("Airtable request %d: %s auth %q, want %s", i, got, g[i].Header.Get("Authorization"), want[i])
			}
		}
		sameJSON(t, "first factor", jsonBody(t, g[2].Body), `{"typecast":false,
			"fields":{"fldREDACTED_FIELD":"Number of seats","fldTrNQVxAuSvFCdl":"How many people will use it?"}}`)
		sameJSON(t, "second factor", jsonBody(t, g[3].Body), `{"typecast":false,
			"fields":{"fldREDACTED_FIELD":"Monthly budget","fldTrNQVxAuSvFCdl":"What is your monthly budget?"}}`)
		sameJSON(t, "run processed", jsonBody(t, g[4].Body), `{"typecast":false,"fields":{"fldREDACTED_FIELD":true}}`)
		sameJSON(t, "prompt's time", jsonBody(t, g[5].Body), `{"typecast":false,"fields":{"fldREDACTED_FIELD":"2026-03-04T05:06:07.000Z"}}`)

		// OpenAI is asked with the prompt record's lookups and the run's answer.
		o := w.openai.only(t)
		if o.Method != "POST" || o.Path != "/responses" || o.Header.Get("Authorization") != "Bearer sk-tracker" {
			t.Fatalf("OpenAI request %s %s auth %q", o.Method, o.Path, o.Header.Get("Authorization"))
		}
		body := jsonBody(t, o.Body)
		input, _ := body["input"].(string)
		if !strings.HasPrefix(input, "You extract structured decision factors from AI recommendation answers.") ||
			!strings.HasSuffix(input, "Now use the following data:\n\nCATEGORY_NAME: CRM software\nTARGET_AUDIENCE: Small agencies\n\n"+
				"ORIGINAL_QUESTION:Which CRM should a 10-person agency use?\n\n\n"+
				"ANSWER: HubSpot or Pipedrive.\n\nIf you can share:\n- How many people will use it?\n- What is your monthly budget?\n\n") {
			t.Fatalf("OpenAI input:\n%s", input)
		}
		delete(body, "input")
		// The export's settings; its empty format and reasoning send nothing, and
		// createConversation is not performed (docs/apps-ai.md).
		sameJSON(t, "OpenAI settings", body, `{"model":"gpt-5.1","temperature":0.1,"store":true,"background":false,
			"truncation":"auto","parallel_tool_calls":true}`)

		// The next step was queued by 045, not run: 045 does not wait for it.
		if q := w.queued(t, w.step4); len(q) != 1 || len(w.next.requests()) != 0 {
			t.Fatalf("queue of the next step %+v, its requests %d", q, len(w.next.requests()))
		}
		for {
			n, err := w.svc.DrainQueue(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		nx := w.next.only(t)
		if nx.Method != "POST" || nx.Path != "/generate" {
			t.Fatalf("next step's request %s %s", nx.Method, nx.Path)
		}
		sameJSON(t, "next step's inputs", jsonBody(t, nx.Body), `{"prompt_id":"recPrompt","lock_token":"lock-7"}`)
		step := w.executions(t, store.ExecutionFilter{ParentID: runs[0].ID})
		if len(step) != 1 || step[0].ScenarioID != w.step4 || step[0].ParentModule != 17 || step[0].Status != weft.ExecutionSuccess {
			t.Fatalf("next step's executions %+v", step)
		}
	})

	// 045 declares both inputs required (io.input_spec): a call without the lock token
	// is refused before 045 runs, and the caller keeps its bundle for a person.
	t.Run("a call without the lock token: refused, 045 does not run", func(t *testing.T) {
		w := new045(t)
		rr := w.call(t, `{"prompt_id":"recPrompt"}`)
		if rr.Result.Status != weft.StatusWarning || len(rr.Incomplete) != 1 {
			t.Fatalf("parent %s with %d incomplete executions: %+v", rr.Result.Status, len(rr.Incomplete), rr.Result.Error)
		}
		ie := rr.Incomplete[0]
		if ie.ErrorType != weft.DataError || ie.AutoRetry || ie.FailedModuleID != 2 ||
			!strings.Contains(ie.ErrorMessage, fmt.Sprintf("inputs of scenario %d: scenario input lock_token", w.s045)) {
			t.Fatalf("incomplete execution %s %q", ie.ErrorType, ie.ErrorMessage)
		}
		if n := len(w.executions(t, store.ExecutionFilter{ScenarioID: w.s045})); n != 0 || len(w.airtable.requests()) != 0 {
			t.Fatalf("045 ran: %d executions, %d Airtable requests", n, len(w.airtable.requests()))
		}
	})

	// 045 turns dlq off: an error it does not handle fails its run, nothing after the
	// failing module runs and the next step is not started. The parent's call fails
	// with 045's error type, so a rate limit is kept by the parent and retried on the
	// schedule (a retry calls 045 again).
	t.Run("OpenAI rate limit: 045 fails, the parent keeps the call for a retry", func(t *testing.T) {
		w := new045(t, reply{status: 429, body: `{"error":{"message":"Rate limit reached for gpt-5.1","type":"requests","code":"rate_limit_exceeded"}}`})
		rr := w.call(t, `{"prompt_id":"recPrompt","lock_token":"lock-7"}`)
		runs := w.executions(t, store.ExecutionFilter{ScenarioID: w.s045})
		if len(runs) != 1 || runs[0].Status != weft.ExecutionError || runs[0].ErrorType != weft.RateLimitError || runs[0].ErrorModule != 9 {
			t.Fatalf("045's executions %+v", runs)
		}
		if rr.Result.Status != weft.StatusWarning || len(rr.Incomplete) != 1 {
			t.Fatalf("parent %s with %d incomplete executions", rr.Result.Status, len(rr.Incomplete))
		}
		if ie := rr.Incomplete[0]; ie.ErrorType != weft.RateLimitError || !ie.AutoRetry || ie.FailedModuleID != 2 ||
			!strings.Contains(ie.ErrorMessage, fmt.Sprintf("scenario %d (execution %s) failed at module 9", w.s045, runs[0].ID)) {
			t.Fatalf("parent's incomplete execution %s auto %v %q", ie.ErrorType, ie.AutoRetry, ie.ErrorMessage)
		}
		if g := w.airtable.requests(); len(g) != 2 || g[0].Method != "GET" || g[1].Method != "GET" {
			t.Fatalf("Airtable requests %+v, want the two reads only", g)
		}
		if q := w.queued(t, w.step4); len(q) != 0 {
			t.Fatalf("the next step was queued: %+v", q)
		}
	})

	// The model answers prose instead of the JSON array: parsing fails with a
	// DataError, 045 fails before creating anything, and the parent keeps the call for
	// a person (a DataError is not retried automatically).
	t.Run("the model answers prose: no factor written, kept for a person", func(t *testing.T) {
		w := new045(t, responses045("I could not find any follow-up questions."))
		rr := w.call(t, `{"prompt_id":"recPrompt","lock_token":"lock-7"}`)
		runs := w.executions(t, store.ExecutionFilter{ScenarioID: w.s045})
		if len(runs) != 1 || runs[0].Status != weft.ExecutionError || runs[0].ErrorType != weft.DataError || runs[0].ErrorModule != 11 {
			t.Fatalf("045's executions %+v", runs)
		}
		if len(rr.Incomplete) != 1 || rr.Incomplete[0].ErrorType != weft.DataError || rr.Incomplete[0].AutoRetry {
			t.Fatalf("parent's incomplete executions %+v", rr.Incomplete)
		}
		if n := len(w.airtable.requests()); n != 2 || len(w.queued(t, w.step4)) != 0 {
			t.Fatalf("Airtable received %d requests; next step queued %d", n, len(w.queued(t, w.step4)))
		}
	})
}
