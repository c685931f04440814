package declarative_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/value"
)

// 017 (outbound-enrich-resume): a scheduled scenario that searches an Airtable table of
// leads still to research (module 1, an action that is the scenario's first module),
// sleeps 10 s, then per lead:
//
//   - with a company (router 46, route 1): reads the company (2); when it has a domain
//     and an industry (router 44; else 45 marks the lead Rejected) Perplexity researches
//     it (3, an Ignore handler), the answer is cut out of Perplexity's <think> block (9)
//     and cleaned (16), after 5 s Claude normalizes it into a fixed JSON shape (28),
//     which is parsed (11, a Resume handler supplying an "Unknown" answer) and written
//     back to the lead (17); a score under 5 also asks Apollo for the company's news
//     (34), which Claude normalizes (35) and parse (36, Resume) writes over it (38);
//   - without a company but with a grata-import-domain (route 2): after 5 s the
//     company is searched by domain (48) and linked to the lead (50).
//
// The export keeps its author's placeholders where the ids of the Airtable base, its
// tables, views and fields were ({{airtableBaseId}}, {{fieldId1}}, ...): weft reads an
// unknown bare name as empty (docs/mapping.md), so as exported the first search has no
// base (the first subtest). The other subtests do what a person importing it does: put
// their own ids in their place. Apollo's absolute URL is pointed at a stand-in on
// 127.0.0.1 the same way. The run's clock is fake and the engine's Sleep moves it, so
// the blueprint's 10 s and 5 s sleeps keep their durations without the test waiting.

// ids017 are the Airtable ids the importing person puts in place of the placeholders.
var ids017 = map[string]string{
	"airtableBaseId": "appOutbound", "airtableTableId1": "tblLeads", "airtableTableId2": "tblCompanies",
	"airtableViewId1": "viwToResearch", "airtableViewId2": "viwCompanies",
	"fieldId1": "fldApolloEnriched", "fieldId2": "fldScore", "fieldId3": "fldRawJSON", "fieldId4": "fldAISummary",
	"fieldId5": "fldScoreDescription", "fieldId6": "fldActivityDate", "fieldId7": "fldRecentActivity",
	"fieldId8": "fldCitations", "fieldId12": "fldLeadStatus", "fieldId13": "fldCompany",
}

// Connections of 017, by the export's connection ids: Airtable, Perplexity, Anthropic
// and the API key of the HTTP module (auth 47210) that calls Apollo.
var conns017 = map[string]weft.Bundle{
	"4480979": {"accessToken": "pat017"},
	"4496267": {"apiKey": "pplx-017"},
	"4517420": {"apiKey": "sk-ant-017"},
	"47210":   {"key": "apollo-017", "name": "X-Api-Key"},
}

// Leads the search returns: Ada's company is known; Bo has none yet, only the domain
// an import found (with stray spaces and capitals the formula lowers and trims).
const (
	leadAda = `{"id":"recAda","createdTime":"2026-03-01T09:00:00.000Z","fields":{"Full Name":"Ada Lovelace",
		"LinkedIn":"https://www.linkedin.com/in/ada","Company":["recEngines"],"Lead Status":"new"}}`
	leadBo = `{"id":"recBo","createdTime":"2026-03-02T09:00:00.000Z","fields":{"Full Name":"Bo Jacquard",
		"grata-import-domain":" Looms.Example "}}`
	companyEngines = `{"id":"recEngines","createdTime":"2026-01-01T00:00:00.000Z","fields":{"Name":"Analytical Engines Ltd",
		"Domain":"engines.example","Vertical":"Manufacturing","Headquarters":"London",
		"Company LinkedIn":"https://www.linkedin.com/company/engines","Apollo orgID":"org-77"}}`
)

// perplexityAnswer is sonar-reasoning's answer: its reasoning, then the JSON asked for.
const perplexityAnswer = `{"id":"pplx-1","model":"sonar-reasoning","object":"chat.completion","created":1772600767,
	"citations":["https://news.example/engines-contract","https://news.example/engines-hire"],
	"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant",
	"content":"<think>Looking for recent news.</think>\n{\"news\":[{\"headline\":\"Engines wins contract [1]\"}]}"}}],
	"usage":{"prompt_tokens":900,"completion_tokens":300,"total_tokens":1200}}`

// claude is an Anthropic Messages answer whose text block is text.
func claude(text string) reply {
	b, _ := json.Marshal(text)
	return ok(`{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
		"content":[{"type":"text","text":` + string(b) + `}],"stop_reason":"end_turn",
		"usage":{"input_tokens":2000,"output_tokens":300}}`)
}

// The JSON Claude is asked for: a score of 7 (Apollo is not asked) and of 3 (it is),
// and what it makes of Apollo's news.
const (
	normalized7 = `{"news":[{"headline":"Engines wins contract","publication_date":"2026-02-01","source_name":"Example Times",` +
		`"entity":"company","url":"https://news.example/engines-contract","summary":"Won a contract for six looms."}],` +
		`"linkedin_activity":[{"activity_type":"post","date":"2026-02-10","entity":"contact","summary":"Posted about looms.",` +
		`"url":"https://www.linkedin.com/posts/ada-1"}],` +
		`"intelligence_score":{"score":7,"breakdown":{"recency":4,"source_reliability":3,"linkedin_activity":2},` +
		`"weights":{"recency":0.4,"source_reliability":0.4,"linkedin_activity":0.2},"description":"Recent news from reputable press."},` +
		`"intelligence_summary":["Contract win – 2026-02-01 – growth capital.","Active founder on LinkedIn."]}`
	normalized3 = `{"news":[],"linkedin_activity":[],` +
		`"intelligence_score":{"score":3,"breakdown":{"recency":0,"source_reliability":0,"linkedin_activity":0},` +
		`"weights":{"recency":0.4,"source_reliability":0.4,"linkedin_activity":0.2},"description":"Nothing verifiable found."},` +
		`"intelligence_summary":["No recent signals."]}`
	apolloNormalized = `{"news":[{"headline":"Engines opens a plant","publication_date":"2026-02-20","source_name":"Apollo",` +
		`"entity":"company","url":"https://apollo.example/n1","summary":"A second plant in Leeds."},` +
		`{"headline":"Engines hires a CFO","publication_date":"2026-01-05","source_name":"Apollo","entity":"company",` +
		`"url":"https://apollo.example/n2","summary":"A new CFO."}],"linkedin_activity":[],` +
		`"intelligence_score":{"score":5,"description":"Two recent company news items."},` +
		`"intelligence_summary":["Plant opening – 2026-02-20 – expansion."]}`
	apolloNews = `{"news_articles":[{"id":"n1","title":"Engines opens a plant","url":"https://apollo.example/n1","published_at":"2026-02-20T00:00:00Z"},` +
		`{"id":"n2","title":"Engines hires a CFO","url":"https://apollo.example/n2","published_at":"2026-01-05T00:00:00Z"}],` +
		`"pagination":{"page":1,"per_page":10,"total_entries":2}}`
)

// setup017 is what the services answer in one test.
type setup017 struct {
	exported bool // run the export as published (placeholders left in place)
	// leads and companiesByDomain are the records (JSON, comma separated) the two
	// searches find; company is the lead's company as Airtable returns it.
	leads, company, companiesByDomain string
	perplexity, anthropic, apollo     []reply
}

// world017 is one run's stand-ins and engine.
type world017 struct {
	airtable, perplexity, anthropic, apollo *standIn
	eng                                     *engine.Engine
	plan                                    *engine.Plan
	time                                    *sleepClock
}

// sleepClock is the run's clock; the engine's Sleep moves it and records the sleeps.
type sleepClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *sleepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *sleepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *sleepClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// airtable017 answers like Airtable: the leads search, the lead's company by id, the
// company search by domain, and updates of a lead echoing the fields written.
func airtable017(t *testing.T, s setup017) *standIn {
	a := newStandIn(t)
	a.fn = func(r *http.Request, body string) reply {
		path := r.URL.EscapedPath()
		switch {
		case r.Method == "POST" && path == "/appOutbound/tblLeads/listRecords":
			return ok(`{"records":[` + s.leads + `]}`)
		case r.Method == "POST" && path == "/appOutbound/tblCompanies/listRecords":
			return ok(`{"records":[` + s.companiesByDomain + `]}`)
		case r.Method == "GET" && path == "/appOutbound/tblCompanies/recEngines":
			return ok(s.company)
		case r.Method == "PATCH" && strings.HasPrefix(path, "/appOutbound/tblLeads/rec"):
			var b struct{ Fields map[string]any }
			if err := json.Unmarshal([]byte(body), &b); err != nil {
				return reply{status: 422, body: `{"error":{"type":"INVALID_REQUEST_BODY","message":"bad JSON"}}`}
			}
			out, _ := json.Marshal(map[string]any{"id": strings.TrimPrefix(path, "/appOutbound/tblLeads/"),
				"createdTime": "2026-03-01T09:00:00.000Z", "fields": b.Fields})
			return ok(string(out))
		}
		return reply{status: 404, body: `{"error":"NOT_FOUND"}`}
	}
	return a
}

// blueprint017 reads the export; imported, the placeholders become the person's ids and
// Apollo's URL the stand-in's.
func blueprint017(t *testing.T, imported bool, apolloURL string) *blueprint.Blueprint {
	t.Helper()
	data, err := os.ReadFile(corpus.Path("017-outbound-enrich-resume.json"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if imported {
		for name, id := range ids017 {
			placeholder := "{{" + name + "}}"
			if !strings.Contains(text, placeholder) {
				t.Fatalf("017 has no %s", placeholder)
			}
			text = strings.ReplaceAll(text, placeholder, id)
		}
		const apollo = "https://api.apollo.io/"
		if strings.Count(text, apollo) != 1 {
			t.Fatalf("017 calls %s %d times, want once", apollo, strings.Count(text, apollo))
		}
		text = strings.Replace(text, apollo, apolloURL+"/", 1)
	}
	bp, err := blueprint.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return bp
}

func new017(t *testing.T, s setup017) *world017 {
	t.Helper()
	if s.company == "" {
		s.company = companyEngines
	}
	w := &world017{airtable: airtable017(t, s), perplexity: newStandIn(t, s.perplexity...),
		anthropic: newStandIn(t, s.anthropic...), apollo: newStandIn(t, s.apollo...),
		time: &sleepClock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}}
	reg := fullRegistry(t, map[string]string{"airtable": w.airtable.URL, "perplexity-ai": w.perplexity.URL,
		"anthropic-claude": w.anthropic.URL})
	eng, err := engine.New(engine.Options{Registry: reg, Clock: w.time.Now, Sleep: w.time.Sleep,
		NewID: func() string { return "exec-1" },
		Connections: func(ref any) (weft.Bundle, error) {
			c, found := conns017[value.Text(ref)]
			if !found {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %q not found", value.Text(ref))
			}
			return c, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
	w.plan, err = eng.Compile(blueprint017(t, !s.exported, w.apollo.URL))
	if err != nil {
		t.Fatalf("compile 017: %v", err)
	}
	return w
}

// run runs 017 once: its first module is an action, so the run has one cycle
// (roundtrips 1) started with nothing upstream.
func (w *world017) run(t *testing.T) *engine.Result {
	t.Helper()
	res, err := w.eng.Run(t.Context(), w.plan, engine.Input{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// updates returns every update of a lead Airtable received, in order, as "path body".
func (w *world017) updates(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, g := range w.airtable.requests() {
		if g.Method == "PATCH" {
			if g.Header.Get("Authorization") != "Bearer pat017" {
				t.Fatalf("update %s auth %q", g.Path, g.Header.Get("Authorization"))
			}
			out = append(out, g.Path+" "+string(value.JSON(jsonBody(t, g.Body))))
		}
	}
	return out
}

// wantUpdates compares the updates with want, each "path JSON body".
func wantUpdates(t *testing.T, w *world017, want ...string) {
	t.Helper()
	got := w.updates(t)
	if len(got) != len(want) {
		t.Fatalf("updates:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		path, body, _ := strings.Cut(want[i], " ")
		gotPath, gotBody, _ := strings.Cut(got[i], " ")
		if gotPath != path {
			t.Fatalf("update %d of %s, want %s", i, gotPath, path)
		}
		sameJSON(t, "update of "+path, decode(t, gotBody), body)
	}
}

// handled returns how module id's error was handled in the run's log and its type.
func handled(res *engine.Result, id int) (string, weft.ErrorType) {
	for _, e := range res.Log {
		if e.ModuleID == id && e.Error != nil {
			return e.Outcome, e.Error.Type
		}
	}
	return "", ""
}

// outputOf returns module id's first output bundle in the run's log.
func outputOf(res *engine.Result, id int) weft.Bundle {
	for _, e := range res.Log {
		if e.ModuleID == id && len(e.Output) > 0 {
			return e.Output[0]
		}
	}
	return nil
}

// The blueprint's own texts (no mapping in them), to compare prompts with.
func mapperText(t *testing.T, bp *blueprint.Blueprint, id int, path ...any) string {
	t.Helper()
	var found *blueprint.Module
	bp.Walk(func(m *blueprint.Module, _ string) bool {
		if m.ID == id {
			found = m
		}
		return found == nil
	})
	if found == nil {
		t.Fatalf("017 has no module %d", id)
	}
	text, _ := dig(found.Mapper, path...).(string)
	return text
}

// dig walks into decoded JSON: a string steps into an object, an int into an array
// (nil when the path is not there).
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func TestCorpus017OutboundEnrichResume(t *testing.T) {
	bp := blueprint017(t, false, "")
	perplexitySystem := mapperText(t, bp, 3, "messages", 0, "content")
	claudeSystem := mapperText(t, bp, 28, "system")
	t.Run("as exported: the search has no base", func(t *testing.T) {
		w := new017(t, setup017{exported: true, leads: leadAda})
		res := w.run(t)
		// The first module is the trigger: its error fails the run, nothing is kept
		// (SPEC §3.2.1), and no service is asked.
		if res.Status != weft.StatusError || res.Error == nil || res.Error.ModuleID != 1 || res.Error.Type != weft.DataError ||
			!strings.Contains(res.Error.Message, "base: missing value of required field") || len(res.Incomplete) != 0 {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
		if n := len(w.airtable.requests()) + len(w.perplexity.requests()); n != 0 {
			t.Fatalf("%d requests sent", n)
		}
	})

	t.Run("researched, scored and written back; a lead without a company linked by domain", func(t *testing.T) {
		w := new017(t, setup017{leads: leadAda + "," + leadBo,
			companiesByDomain: `{"id":"recLooms","createdTime":"2026-01-02T00:00:00.000Z","fields":{"Name":"Looms","Domain":"looms.example"}}`,
			perplexity:        []reply{ok(perplexityAnswer)}, anthropic: []reply{claude(normalized7)}})
		res := w.run(t)
		if res.Status != weft.StatusSuccess || res.Error != nil || res.Operations != 14 {
			t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
		}
		// 10 s per lead before the router, 5 s before Claude and 5 s before the
		// company search: the run's clock moved by exactly the blueprint's sleeps.
		if s := w.time.sleeps(); !slices.Equal(s, []time.Duration{10 * time.Second, 5 * time.Second, 10 * time.Second, 5 * time.Second}) ||
			res.Duration != 30*time.Second {
			t.Fatalf("slept %v, run lasted %s", s, res.Duration)
		}
		g := w.airtable.requests()
		if len(g) != 5 {
			t.Fatalf("Airtable received %d requests: %+v", len(g), g)
		}
		for i, want := range []string{"POST /appOutbound/tblLeads/listRecords", "GET /appOutbound/tblCompanies/recEngines",
			"PATCH /appOutbound/tblLeads/recAda", "POST /appOutbound/tblCompanies/listRecords", "PATCH /appOutbound/tblLeads/recBo"} {
			if got := g[i].Method + " " + g[i].Path; got != want || g[i].Header.Get("Authorization") != "Bearer pat017" {
				t.Fatalf("Airtable request %d: %s auth %q, want %s", i, got, g[i].Header.Get("Authorization"), want)
			}
		}
		// The leads search: the export's formula, view, sort, limit and 63 fields.
		search := jsonBody(t, g[0].Body)
		fields, _ := search["fields"].([]any)
		if search["filterByFormula"] != mapperText(t, bp, 1, "formula") || len(fields) != 63 || fields[0] != "Lead#" ||
			fields[62] != "grata-import-domain" {
			t.Fatalf("leads search formula %q, fields %v", search["filterByFormula"], fields)
		}
		delete(search, "filterByFormula")
		delete(search, "fields")
		sameJSON(t, "leads search", search, `{"maxRecords":10,"view":"viwToResearch",
			"sort":[{"field":"Created","direction":"desc"},{"field":"Data Intelligence Score","direction":"asc"}]}`)
		// Bo's company is searched by the lowered, trimmed domain, and linked.
		byDomain := jsonBody(t, g[3].Body)
		if fields, _ := byDomain["fields"].([]any); len(fields) != 37 || fields[0] != "Name" {
			t.Fatalf("company search fields %v", fields)
		}
		delete(byDomain, "fields")
		sameJSON(t, "company search", byDomain, `{"filterByFormula":"LOWER({Domain})=\"looms.example\"","maxRecords":1,
			"view":"viwCompanies","sort":[{"field":"Created","direction":"desc"}]}`)
		// Ada's lead gets Claude's normalized research: the score, the first summary
		// line, the description, the first news item, Perplexity's first citation and
		// Claude's text in backticks as the raw JSON.
		wantUpdates(t, w,
			`/appOutbound/tblLeads/recAda {"typecast":false,"fields":{"fldApolloEnriched":true,"fldScore":7,
				"fldRawJSON":`+string(value.JSON("`"+normalized7+"`"))+`,
				"fldAISummary":"Contract win – 2026-02-01 – growth capital.","fldScoreDescription":"Recent news from reputable press.",
				"fldActivityDate":"2026-02-01",
				"fldRecentActivity":"# News\n## Engines wins contract\nWon a contract for six looms.\n[Source Url](https://news.example/engines-contract)\n\n# LinkedIn Activity\nPosted about looms.",
				"fldCitations":"https://news.example/engines-contract"}}`,
			`/appOutbound/tblLeads/recBo {"typecast":false,"fields":{"fldCompany":["recLooms"]}}`)

		// Perplexity is asked about Ada's company and Ada.
		p := w.perplexity.only(t)
		if p.Method != "POST" || p.Path != "/chat/completions" || p.Header.Get("Authorization") != "Bearer pplx-017" {
			t.Fatalf("Perplexity request %s %s auth %q", p.Method, p.Path, p.Header.Get("Authorization"))
		}
		pb := jsonBody(t, p.Body)
		msgs, _ := pb["messages"].([]any)
		if len(msgs) != 2 {
			t.Fatalf("Perplexity messages %v", msgs)
		}
		system, user := msgs[0].(map[string]any), msgs[1].(map[string]any)
		if system["role"] != "system" || system["content"] != perplexitySystem || user["role"] != "user" {
			t.Fatalf("Perplexity messages %v", msgs)
		}
		for _, part := range []string{"For **Analytical Engines Ltd** (from the last",
			"- Company LinkedIn\u2003: https://www.linkedin.com/company/engines  \r\n- Company Domain\u2003\u2003: engines.example  \r\n" +
				"- Industry\u2003\u2003\u2003\u2003\u2003: Manufacturing  \r\n- Headquarters\u2003\u2003\u2003: London  \n",
			"2. For the contact **Ada Lovelace** at **https://www.linkedin.com/in/ada** (from the last"} {
			if !strings.Contains(user["content"].(string), part) {
				t.Fatalf("Perplexity's user message does not say %q:\n%s", part, user["content"])
			}
		}
		delete(pb, "messages")
		sameJSON(t, "Perplexity settings", pb, `{"model":"sonar-reasoning","max_tokens":7000,"temperature":1,
			"web_search_options":{"search_context_size":"medium"}}`)
		// What follows </think> is kept (9) and cleaned of newlines and [n] markers (16).
		sameJSON(t, "module 16", outputOf(res, 16), `{"text":"{\"news\":[{\"headline\":\"Engines wins contract \"}]}"}`)

		// Claude is given Perplexity's whole answer.
		c := w.anthropic.only(t)
		if c.Method != "POST" || c.Path != "/v1/messages" || c.Header.Get("X-Api-Key") != "sk-ant-017" ||
			c.Header.Get("Anthropic-Version") != "2023-06-01" {
			t.Fatalf("Anthropic request %s %s headers %v", c.Method, c.Path, c.Header)
		}
		cb := jsonBody(t, c.Body)
		text := value.Text(dig(cb, "messages", 0, "content", 0, "text"))
		if cb["system"] != claudeSystem || !strings.Contains(text,
			"content.\n\n<think>Looking for recent news.</think>\n{\"news\":[{\"headline\":\"Engines wins contract [1]\"}]}\n\n## Your Role:") {
			t.Fatalf("Claude's prompt:\n%s", text)
		}
		delete(cb, "system")
		delete(cb, "messages")
		sameJSON(t, "Claude settings", cb, `{"model":"claude-sonnet-4-20250514","max_tokens":3000,"temperature":1}`)
		if n := len(w.apollo.requests()); n != 0 {
			t.Fatalf("Apollo asked %d times for a score of 7", n)
		}
	})

	t.Run("a company without an industry: the lead is rejected", func(t *testing.T) {
		w := new017(t, setup017{leads: leadAda,
			company: `{"id":"recEngines","createdTime":"2026-01-01T00:00:00.000Z","fields":{"Name":"Analytical Engines Ltd","Domain":"engines.example"}}`})
		res := w.run(t)
		if res.Status != weft.StatusSuccess || res.Operations != 4 {
			t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
		}
		// Router 44's else route: no research, the lead marked Rejected.
		wantUpdates(t, w, `/appOutbound/tblLeads/recAda {"typecast":false,"fields":{"fldLeadStatus":"Rejected","fldApolloEnriched":true}}`)
		if n := len(w.perplexity.requests()) + len(w.anthropic.requests()); n != 0 {
			t.Fatalf("%d AI requests for a rejected lead", n)
		}
	})

	t.Run("low score: Apollo's news, normalized by Claude, written over", func(t *testing.T) {
		w := new017(t, setup017{leads: leadAda, perplexity: []reply{ok(perplexityAnswer)},
			anthropic: []reply{claude(normalized3), claude(apolloNormalized)}, apollo: []reply{ok(apolloNews)}})
		res := w.run(t)
		if res.Status != weft.StatusSuccess || res.Operations != 14 {
			t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
		}
		// Apollo's news search for the company's Apollo id, with the API key of the
		// connection in its header; the brackets stay as written (serializeUrl off).
		a := w.apollo.only(t)
		if a.Method != "POST" || a.Path != "/api/v1/news_articles/search" || a.Query != "organization_ids[]=org-77" ||
			a.Header.Get("X-Api-Key") != "apollo-017" || a.Body != "" {
			t.Fatalf("Apollo request %s %s?%s key %q body %q", a.Method, a.Path, a.Query, a.Header.Get("X-Api-Key"), a.Body)
		}
		c := w.anthropic.requests()
		if len(c) != 2 {
			t.Fatalf("Anthropic received %d requests", len(c))
		}
		// The second prompt carries Apollo's articles as the HTTP module parsed them.
		text := value.Text(dig(jsonBody(t, c[1].Body), "messages", 0, "content", 0, "text"))
		if !strings.Contains(text, "A single raw JSON from APOLLO News :\n```") ||
			!strings.Contains(text, `"title":"Engines opens a plant"`) || !strings.Contains(text, "- Company Domain\u2003\u2003: engines.example") {
			t.Fatalf("Claude's prompt on Apollo's news:\n%s", text)
		}
		wantUpdates(t, w,
			`/appOutbound/tblLeads/recAda {"typecast":false,"fields":{"fldApolloEnriched":true,"fldScore":3,
				"fldRawJSON":`+string(value.JSON("`"+normalized3+"`"))+`,"fldAISummary":"No recent signals.",
				"fldScoreDescription":"Nothing verifiable found.",
				"fldRecentActivity":"# News\n## \n\n[Source Url]()\n\n# LinkedIn Activity\n","fldCitations":"https://news.example/engines-contract"}}`,
			`/appOutbound/tblLeads/recAda {"typecast":false,"fields":{"fldApolloEnriched":true,"fldScore":5,
				"fldRawJSON":`+string(value.JSON("`"+apolloNormalized+"`"))+`,"fldAISummary":"Plant opening – 2026-02-20 – expansion.",
				"fldScoreDescription":"Two recent company news items.","fldActivityDate":"2026-02-20",
				"fldRecentActivity":"# News\n## Engines opens a plant\r\nA second plant in Leeds.\r\n[Source Url](https://apollo.example/n1)\r\n\r\n# LinkedIn Activity\r\n\r\n",
				"fldCitations":"https://apollo.example/n1,https://apollo.example/n2"}}`)
	})

	// Both parses of Claude's answer have a Resume handler: an answer that is not JSON
	// is replaced by the handler's "Unknown" research (score "1"), written to the lead,
	// and the run goes on as if the parse had output it (1 < 5: Apollo is asked).
	t.Run("Claude answers prose: the Resume handlers stand in", func(t *testing.T) {
		w := new017(t, setup017{leads: leadAda, perplexity: []reply{ok(perplexityAnswer)},
			anthropic: []reply{claude("I could not find anything reliable.")}, apollo: []reply{ok(apolloNews)}})
		res := w.run(t)
		if res.Status != weft.StatusSuccess || len(res.Incomplete) != 0 {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
		for _, id := range []int{11, 36} {
			if how, typ := handled(res, id); how != "handled: resume" || typ != weft.DataError {
				t.Fatalf("module %d: error %s handled %q", id, typ, how)
			}
		}
		fallback := `"fldApolloEnriched":true,"fldScore":"1","fldAISummary":"Unknown","fldScoreDescription":"No vallid data found",
			"fldRecentActivity":`
		wantUpdates(t, w,
			`/appOutbound/tblLeads/recAda {"typecast":false,"fields":{`+fallback+`"# News\n## Unknown\nUnknown\n[Source Url]()\n\n# LinkedIn Activity\nUnknown",
				"fldRawJSON":"`+"`I could not find anything reliable.`"+`","fldCitations":"https://news.example/engines-contract"}}`,
			`/appOutbound/tblLeads/recAda {"typecast":false,"fields":{`+fallback+`"# News\n## Unknown\r\nUnknown\r\n[Source Url]()\r\n\r\n# LinkedIn Activity\r\nUnknown\r\n",
				"fldRawJSON":"`+"`I could not find anything reliable.`"+`"}}`)
		if len(w.apollo.requests()) != 1 || len(w.anthropic.requests()) != 2 {
			t.Fatalf("Apollo %d, Anthropic %d requests", len(w.apollo.requests()), len(w.anthropic.requests()))
		}
	})

	// Perplexity's Ignore handler drops the lead's bundle: nothing is written for Ada,
	// no incomplete execution is kept, and Bo's lead still goes its way.
	t.Run("Perplexity down: ignored, the next lead goes on", func(t *testing.T) {
		w := new017(t, setup017{leads: leadAda + "," + leadBo, companiesByDomain: "",
			perplexity: []reply{{status: 500, body: `{"error":{"message":"Internal server error","type":"server_error","code":500}}`}}})
		res := w.run(t)
		if res.Status != weft.StatusSuccess || len(res.Incomplete) != 0 || res.Error != nil {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
		if how, typ := handled(res, 3); how != "handled: ignore" || typ != weft.ConnectionError {
			t.Fatalf("Perplexity's error %s handled %q", typ, how)
		}
		if len(w.perplexity.requests()) != 1 || len(w.anthropic.requests()) != 0 || len(w.updates(t)) != 0 {
			t.Fatalf("Perplexity %d, Anthropic %d requests, updates %v", len(w.perplexity.requests()), len(w.anthropic.requests()), w.updates(t))
		}
		// Bo's company search found nothing: no link, but it was asked.
		if g := w.airtable.requests(); len(g) != 3 || g[2].Path != "/appOutbound/tblCompanies/listRecords" {
			t.Fatalf("Airtable requests %+v", g)
		}
		if s := w.time.sleeps(); !slices.Equal(s, []time.Duration{10 * time.Second, 10 * time.Second, 5 * time.Second}) {
			t.Fatalf("slept %v", s)
		}
	})

	// Claude overloaded has no handler: 017 keeps incomplete executions (dlq on), so
	// Ada's bundle is kept at module 28 as a ConnectionError, retried automatically;
	// the retry (engine.Resume) asks Claude again from the stored outputs — Perplexity
	// is not asked again, nothing sleeps again — and writes the lead.
	t.Run("Claude overloaded: kept for a retry, which writes the lead", func(t *testing.T) {
		w := new017(t, setup017{leads: leadAda + "," + leadBo, perplexity: []reply{ok(perplexityAnswer)},
			anthropic: []reply{{status: 529, body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
				claude(normalized7)}})
		res := w.run(t)
		if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || res.Error == nil {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
		ie := res.Incomplete[0]
		if ie.ModuleID != 28 || ie.Error.Type != weft.ConnectionError || !ie.AutoRetry || !strings.Contains(ie.Error.Message, "Overloaded") {
			t.Fatalf("incomplete execution at %d: %+v auto %v", ie.ModuleID, ie.Error, ie.AutoRetry)
		}
		// The run went on with Bo (no company found, nothing written).
		if len(w.updates(t)) != 0 || len(w.airtable.requests()) != 3 {
			t.Fatalf("updates %v, Airtable requests %d", w.updates(t), len(w.airtable.requests()))
		}
		slept := len(w.time.sleeps())
		again, err := w.eng.Resume(t.Context(), w.plan, ie, engine.ResumeInput{ExecutionID: "exec-2"})
		if err != nil {
			t.Fatal(err)
		}
		if again.Status != weft.StatusSuccess || len(again.Incomplete) != 0 {
			t.Fatalf("retry: status %s error %+v", again.Status, again.Error)
		}
		if len(w.perplexity.requests()) != 1 || len(w.anthropic.requests()) != 2 || len(w.time.sleeps()) != slept {
			t.Fatalf("retry: Perplexity %d, Anthropic %d requests, slept %v", len(w.perplexity.requests()),
				len(w.anthropic.requests()), w.time.sleeps())
		}
		// The retry sends Claude the same prompt, from the stored Perplexity answer.
		c := w.anthropic.requests()
		if c[0].Body != c[1].Body {
			t.Fatal("the retry's prompt differs from the first attempt's")
		}
		if u := w.updates(t); len(u) != 1 || !strings.HasPrefix(u[0], "/appOutbound/tblLeads/recAda ") ||
			!strings.Contains(u[0], `"fldScore":7`) || !strings.Contains(u[0], `"fldCitations":"https://news.example/engines-contract"`) {
			t.Fatalf("retry updates %v", u)
		}
	})
}
