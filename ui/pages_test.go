package ui_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// routerBlueprint has a router with a filtered route, an error handler route ending
// in a Break directive, and a module weft does not have.
const routerBlueprint = `{"name": "Route <b>orders</b>", "flow": [
  {"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}},
  {"id": 2, "module": "builtin:BasicRouter", "version": 1, "routes": [
    {"flow": [{"id": 3, "module": "util:ComposeTransformer", "version": 1, "mapper": {"value": "big"},
               "filter": {"name": "Big orders", "conditions": [[{"a": "{{1.amount}}", "o": "number:greater", "b": "100"}]]},
               "onerror": [{"id": 5, "module": "builtin:Break", "version": 1, "mapper": {"count": "2", "interval": "5"}}]}]},
    {"flow": [{"id": 4, "module": "json:ParseJSON", "version": 1, "mapper": {"json": "{{1.raw}}"}}]}
  ]}
], "metadata": {"version": 1, "scenario": {"roundtrips": 1, "maxErrors": 3, "dlq": true, "customKey": "kept"}}}`

func multipartBlueprint(t testing.TB, csrf, field, content string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("_csrf", csrf)
	fw, err := mw.CreateFormFile(field, "scenario.json")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (b *browser) upload(path, content string) page {
	body, ct := multipartBlueprint(b.e.t, b.csrf, "blueprint", content)
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, body)
	req.Header.Set("Content-Type", ct)
	return b.do(req)
}

func TestImportShowsTheFlow(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	p := b.upload("/scenarios/import", routerBlueprint)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/scenarios/1" {
		t.Fatalf("import: %s", p)
	}
	d := b.get("/scenarios/1")
	if d.status != http.StatusOK {
		t.Fatal(d)
	}
	mustContain(t, d.body,
		"Imported “Route &lt;b&gt;orders&lt;/b&gt;” as scenario 1 (inactive).", // the flash, escaped
		`<h1 id="scenario-name">Route &lt;b&gt;orders&lt;/b&gt;</h1>`,
		`class="module router" data-module="2"`,
		`class="module action" data-module="3"`,
		`class="module directive" data-module="5"`,
		`error handler of #3`,
		`stores an incomplete execution, retried 2× every 5 min`,
		`⧩ Big orders`, `title="{{1.amount}} number:greater 100"`,
		`route 1`, `route 2`, "/hooks/")
	mustNotContain(t, d.body, "<b>orders</b>")
	if e := b.get("/scenarios/1/export"); e.body != routerBlueprint || !strings.Contains(e.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("export is not the imported blueprint byte for byte: %q", e.header.Get("Content-Disposition"))
	}
	list := b.get("/scenarios")
	mustContain(t, list.body, `<a href="/scenarios/1">Route &lt;b&gt;orders&lt;/b&gt;</a>`, `badge inactive`, "never")
}

func TestImportRefusesAnInvalidBlueprint(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	cases := []struct{ name, content, want string }{
		{"not JSON", "{flow", "not valid JSON"},
		{"bad module id", `{"name": "x", "flow": [{"id": -1, "module": "util:ComposeTransformer"}]}`, "/flow/0/id"},
		{"empty", "", "Choose a blueprint file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := b.upload("/scenarios/import", c.content)
			if p.status < 400 {
				t.Fatalf("status %d", p.status)
			}
			mustContain(t, p.body, c.want)
		})
	}
	if scs, _ := e.st.ListScenarios(t.Context()); len(scs) != 0 {
		t.Errorf("%d scenarios stored", len(scs))
	}
}

func TestSettingsBecomeAVersion(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	sc := e.scenario(routerBlueprint)
	p := b.post("/scenarios/1/settings", url.Values{"sequential": {"on"}, "dlq": {"on"}, "confidential": {"on"},
		"maxErrors": {"5"}, "roundtrips": {"2"}})
	if p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	got, _ := e.st.GetScenario(t.Context(), sc.ID)
	if got.Version != 2 {
		t.Fatalf("version %d, want 2", got.Version)
	}
	raw, _ := e.svc.ExportScenario(t.Context(), sc.ID)
	for _, want := range []string{`"sequential":true`, `"confidential":true`, `"maxErrors":5`, `"roundtrips":2`,
		`"customKey":"kept"`, `"autoCommit":false`, `"name": "Route <b>orders</b>"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("new version lacks %s: %s", want, raw)
		}
	}
	if p := b.post("/scenarios/1/settings", url.Values{"maxErrors": {"-1"}, "roundtrips": {"1"}}); p.status != http.StatusBadRequest {
		t.Errorf("negative maxErrors: %d", p.status)
	} else {
		mustContain(t, p.body, "is not a whole number ≥ 0")
	}
	// An old version can be made current again.
	if p := b.post("/scenarios/1/versions/1/restore", nil); p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	raw, _ = e.svc.ExportScenario(t.Context(), sc.ID)
	if string(raw) != routerBlueprint {
		t.Error("restoring version 1 did not store its blueprint")
	}
}

func TestActivationRefusedShowsWhy(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	sc := e.scenario(`{"name": "Needs an app", "flow": [{"id": 1, "module": "gateway:CustomWebHook", "parameters": {"hook": 1}},
		{"id": 2, "module": "slack:CreateMessage", "version": 1, "mapper": {"text": "hi"}}], "metadata": {"version": 1}}`)
	p := b.post("/scenarios/"+itoa(sc.ID)+"/active", url.Values{"active": {"true"}})
	if p.status != http.StatusConflict {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, p.body, "Not activated: ", "slack:CreateMessage")
	ok := e.scenario(forwardBlueprint("Fine", "http://127.0.0.1:1"))
	if p := b.post("/scenarios/"+itoa(ok.ID)+"/active", url.Values{"active": {"true"}}); p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	mustContain(t, b.get("/scenarios/"+itoa(ok.ID)).body, "Activated.", `id="deactivate"`)
}

var jobRE = regexp.MustCompile(`data-events="(/jobs/[^"]+/events)"`)

// follow reads a job's event stream to its end and returns the outcome's HTML.
func (b *browser) follow(panel string) string {
	b.e.t.Helper()
	m := jobRE.FindStringSubmatch(panel)
	if m == nil {
		b.e.t.Fatalf("no job panel: %s", panel)
	}
	p := b.get(m[1], "Accept", "text/event-stream")
	if p.status != http.StatusOK || p.header.Get("Content-Type") != "text/event-stream" {
		b.e.t.Fatalf("events: %s", p)
	}
	_, out, ok := strings.Cut(p.body, "event: outcome\n")
	if !ok {
		b.e.t.Fatalf("no outcome event: %s", p.body)
	}
	return strings.ReplaceAll(out, "data: ", "")
}

func TestResolveWithTheForm(t *testing.T) {
	e := newEnv(t)
	bad := newStandIn(t, 422)
	good := newStandIn(t, 200)
	sc := e.scenario(forwardBlueprint("Forward orders", bad.srv.URL))
	id := e.failRuns(sc, 1)[0]
	b := e.signedIn()

	p := b.get("/incomplete/" + id)
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	mustContain(t, p.body, `id="ie-status">unresolved`, "<strong>DataError</strong> at module 2 (HTTP: Make a request)",
		`class="module action failed" data-module="2"`, `name="mapper.url"`, `name="mapper.method"`,
		`&#34;orderId&#34;: &#34;A-100&#34;`, // the stored input, escaped
		"No attempt yet.")

	// A bad JSON value is refused with the field named, and the typed value is kept.
	p = b.post("/incomplete/"+id+"/save", url.Values{"mapper.url": {good.srv.URL + "/orders"}, "parameters.errorTypes": {"{nope"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad JSON: %d", p.status)
	}
	mustContain(t, p.body, "Not saved: ", "parameters.errorTypes", "not valid JSON", `value="`+good.srv.URL+`/orders"`)

	// Run: the mapping changes, the run continues from module 2 and the page follows it.
	p = b.post("/incomplete/"+id+"/run", url.Values{"mapper.url": {good.srv.URL + "/fixed?id={{1.orderId}}"}}, "HX-Request", "true")
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	out := b.follow(p.body)
	mustContain(t, out, "Run ended success", `id="ie-status-after">resolved`)
	if calls := good.Calls(); len(calls) != 1 || calls[0] != `/fixed?id=A-100 {"orderId": "A-100"}` {
		t.Errorf("stand-in calls %q", calls)
	}
	ie, _ := e.st.GetIncomplete(t.Context(), id)
	if ie.Status != weft.IncompleteResolved {
		t.Errorf("status %s", ie.Status)
	}
	p = b.get("/incomplete/" + id)
	mustContain(t, p.body, `id="ie-status">resolved`, "by a person", "nothing to fix")
	// A resolved one is not run again.
	p = b.post("/incomplete/"+id+"/retry", nil, "HX-Request", "true")
	mustContain(t, p.body, "Not run.", "already resolved")
}

func TestResolveWithTheJSONEditor(t *testing.T) {
	e := newEnv(t)
	bad := newStandIn(t, 422)
	good := newStandIn(t, 200)
	sc := e.scenario(forwardBlueprint("Forward orders", bad.srv.URL))
	id := e.failRuns(sc, 1)[0]
	b := e.signedIn()
	text := `{"mapper": {"url": "` + good.srv.URL + `/json", "method": "post"}, "parameters": {"authenticationType": "noAuth"}}`
	// Without JavaScript the run is waited for and the page comes back with its outcome.
	p := b.post("/incomplete/"+id+"/run", url.Values{"editor": {"json"}, "json": {text}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/incomplete/"+id {
		t.Fatal(p)
	}
	mustContain(t, b.get("/incomplete/"+id).body, "Run of incomplete execution", ": success")
	if calls := good.Calls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "/json ") {
		t.Errorf("calls %q", calls)
	}
	for _, c := range []struct{ text, want string }{
		{`[1]`, "must be an object"},
		{`{"filter": {}}`, `only mapper and parameters can change here`},
		{`{nope`, "not valid JSON"},
	} {
		other := e.failRuns(sc, 1)[0]
		p := b.post("/incomplete/"+other+"/save", url.Values{"editor": {"json"}, "json": {c.text}})
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", c.text, p.status)
		}
		mustContain(t, p.body, c.want)
	}
}

func TestConfidentialDataIsNotShown(t *testing.T) {
	e := newEnv(t)
	bad := newStandIn(t, 422)
	bp := strings.Replace(forwardBlueprint("Secret orders", bad.srv.URL), `"dlq": true`, `"dlq": true, "confidential": true`, 1)
	sc := e.scenario(bp)
	id := e.failRuns(sc, 1)[0]
	b := e.signedIn()
	p := b.get("/incomplete/" + id)
	mustContain(t, p.body, "confidential: the stored bundle is kept to resume the run but never shown")
	mustNotContain(t, p.body, `&#34;orderId&#34;: &#34;A-100&#34;`, `id="ie-input"`)
	ie, _ := e.st.GetIncomplete(t.Context(), id)
	p = b.get("/executions/" + ie.ExecutionID)
	mustContain(t, p.body, "This scenario is confidential", "#2 HTTP: Make a request")
	mustNotContain(t, p.body, `&#34;orderId&#34;: &#34;A-100&#34;`, "input bundle", "output bundles")
}

func TestExecutionDetail(t *testing.T) {
	e := newEnv(t)
	bad := newStandIn(t, 422)
	sc := e.scenario(forwardBlueprint("Forward orders", bad.srv.URL))
	id := e.failRuns(sc, 1)[0]
	ie, _ := e.st.GetIncomplete(t.Context(), id)
	b := e.signedIn()
	p := b.get("/executions/" + ie.ExecutionID)
	mustContain(t, p.body, "#1 Custom webhook", "#2 HTTP: Make a request", "input bundle", "DataError",
		`<a href="/incomplete/`+id+`">`)
	h := b.get("/scenarios/" + itoa(sc.ID) + "/history")
	mustContain(t, h.body, `<a href="/executions/`+ie.ExecutionID+`">`, `badge warning`, "manual") // recorded: a direct run
	all := b.get("/executions?status=warning")
	mustContain(t, all.body, "Forward orders")
	if p := b.get("/executions?status=bogus"); p.status != http.StatusBadRequest {
		t.Errorf("bad status filter: %d", p.status)
	}
}

func TestConnectionsNeverShowCredentials(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	p := b.post("/connections", url.Values{"name": {"Partner"}, "type": {"apikey"}, "credentials": {`{"apiKey": "s3cr3t-value"}`}})
	if p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	list := b.get("/connections")
	mustContain(t, list.body, "Created connection 1 (Partner)", `<td><a href="/connections/1">Partner</a></td>`, "<code>apikey</code>")
	mustNotContain(t, list.body, "s3cr3t-value")
	p = b.post("/connections", url.Values{"name": {"Bad"}, "type": {"apikey"}, "credentials": {`not json s3cr3t-2`}})
	if p.status != http.StatusBadRequest {
		t.Fatal(p.status)
	}
	mustContain(t, p.body, "Credentials must be a JSON object")
	mustNotContain(t, p.body, "s3cr3t-2")
	if p := b.post("/connections/1/delete", nil); p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	if cs, _ := e.svc.Connections(t.Context()); len(cs) != 0 {
		t.Errorf("%d connections left", len(cs))
	}
}

func TestTokensShownOnce(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	p := b.post("/tokens", url.Values{"name": {"ci"}, "scope": {"incomplete:read", "scenarios:read"}})
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	m := regexp.MustCompile(`<pre id="token-plain">(weft_[A-Z2-7]+)</pre>`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no token shown: %s", p.body)
	}
	tok, err := e.auth.Verify(t.Context(), m[1])
	if err != nil || tok.Name != "ci" || strings.Join(tok.Scopes, ",") != "incomplete:read,scenarios:read" {
		t.Fatalf("token %+v %v", tok, err)
	}
	list := b.get("/tokens")
	mustNotContain(t, list.body, m[1])
	mustContain(t, list.body, "<td>ci</td>", "incomplete:read, scenarios:read")
	if p := b.post("/tokens/"+tok.ID+"/revoke", nil); p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	if _, err := e.auth.Verify(t.Context(), m[1]); err == nil {
		t.Error("revoked token still valid")
	}
	if p := b.post("/tokens", url.Values{"name": {"x"}, "scope": {"root"}}); p.status != http.StatusBadRequest {
		t.Errorf("unknown scope: %d", p.status)
	} else {
		mustContain(t, p.body, `unknown scope &#34;root&#34;`)
	}
}

func TestRunOnceFromTheScenarioPage(t *testing.T) {
	e := newEnv(t)
	good := newStandIn(t, 200)
	sc := e.scenario(forwardBlueprint("Forward orders", good.srv.URL))
	b := e.signedIn()
	p := b.post("/scenarios/"+itoa(sc.ID)+"/run", url.Values{"input": {`{"orderId": "Z-9"}`}}, "HX-Request", "true")
	out := b.follow(p.body)
	mustContain(t, out, "<strong>Run ended success</strong> after 3 operation(s)")
	if calls := good.Calls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "/orders?id=Z-9 ") {
		t.Errorf("calls %q", calls)
	}
	refused := b.post("/scenarios/"+itoa(sc.ID)+"/run", url.Values{"input": {`{nope`}}, "HX-Request", "true")
	if refused.status != http.StatusBadRequest || jobRE.MatchString(refused.body) {
		t.Errorf("bad input: %d", refused.status)
	}
	// Another session cannot read this session's run.
	other := e.signedIn()
	p = b.post("/scenarios/"+itoa(sc.ID)+"/run", nil, "HX-Request", "true")
	m := jobRE.FindStringSubmatch(p.body)
	if q := other.get(m[1]); q.status != http.StatusNotFound {
		t.Errorf("another session's events: %d", q.status)
	}
	b.follow(p.body)
}

func TestUnknownPagesAndIDs(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	for path, status := range map[string]int{
		"/nope":                  http.StatusNotFound,
		"/scenarios/99":          http.StatusNotFound,
		"/scenarios/abc":         http.StatusNotFound,
		"/incomplete/0000":       http.StatusNotFound,
		"/executions/0000":       http.StatusNotFound,
		"/incomplete?status=odd": http.StatusBadRequest,
		"/incomplete?module=x":   http.StatusBadRequest,
		"/assets/app.css":        http.StatusOK,
		"/assets/":               http.StatusNotFound,
	} {
		if p := b.get(path); p.status != status {
			t.Errorf("GET %s: %d, want %d", path, p.status, status)
		}
	}
}

var _ = store.ErrNotFound
