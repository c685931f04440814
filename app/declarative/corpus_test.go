package declarative_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/app/declarative"
	"github.com/weftworks/weft/apps"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/value"
)

// fullRegistry is every shipped app: app/all plus the declarative apps, their base URLs
// pointed at the stand-ins through the environment, so the test holds whether app/all
// registers the declarative apps itself or not.
func fullRegistry(t *testing.T, urls map[string]string) *app.Registry {
	t.Helper()
	for name, u := range urls {
		t.Setenv(declarative.EnvVar(name), u)
	}
	r, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, registered := r.Lookup("slack:CreateMessage"); !registered {
		if err := declarative.Register(r, declarative.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// corpusEngine compiles a corpus blueprint on an engine whose connections all resolve
// to test credentials and whose clock is 2026-03-04T05:06:07Z.
func corpusEngine(t *testing.T, name string, urls map[string]string) (*engine.Engine, *engine.Plan) {
	t.Helper()
	conns := func(ref any) (weft.Bundle, error) {
		return weft.Bundle{"accessToken": "tok-" + value.Text(ref), "apiKey": "sk-" + value.Text(ref), "token": "1:bot-" + value.Text(ref)}, nil
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: fullRegistry(t, urls), Clock: func() time.Time { return now },
		NewID: func() string { return "exec-1" }, Connections: conns})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(corpus.Path(name))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return eng, p
}

func runOnce(t *testing.T, eng *engine.Engine, p *engine.Plan, trigger string) *engine.Result {
	t.Helper()
	res, err := eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{{decode(t, trigger)}}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// 021: a webhook reply is classified by OpenAI, the JSON answer parsed, and Slack told.
func TestCorpus021SlackAlertsOpenAI(t *testing.T) {
	trigger := `{"reply_text":"Sounds great, let's talk","firstName":"Ada","lastName":"Lovelace"}`
	t.Run("classified and posted", func(t *testing.T) {
		openai := newStandIn(t, ok(`{"id":"c1","choices":[{"index":0,"message":{"role":"assistant","content":"{\"category\": \"Positive\"}"}}]}`))
		slack := newStandIn(t, ok(`{"ok":true,"channel":"YOUR_SLACK_CHANNEL_ID","ts":"1.2"}`))
		eng, p := corpusEngine(t, "021-slack-alerts-openai.json", map[string]string{"openai-gpt-3": openai.URL, "slack": slack.URL})
		res := runOnce(t, eng, p, trigger)
		if res.Status != weft.StatusSuccess || res.Operations != 4 {
			t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
		}
		o := openai.only(t)
		if o.Path != "/chat/completions" || o.Header.Get("Authorization") != "Bearer sk-YOUR_OPENAI_CONNECTION" {
			t.Fatalf("OpenAI request %s auth %q", o.Path, o.Header.Get("Authorization"))
		}
		sameJSON(t, "OpenAI body", jsonBody(t, o.Body), `{"model":"gpt-4","max_tokens":300,"temperature":1,"top_p":1,"n":1,
			"messages":[{"role":"system","content":"Classify replies as Positive, Not Interested, or Unsubscribe. If unclear, mark as Positive. Respond in JSON format."},
			{"role":"user","content":"Sounds great, let's talk"}]}`)
		s := slack.only(t)
		if s.Path != "/chat.postMessage" || s.Header.Get("Authorization") != "Bearer tok-YOUR_SLACK_CONNECTION" {
			t.Fatalf("Slack request %s auth %q", s.Path, s.Header.Get("Authorization"))
		}
		sameJSON(t, "Slack body", jsonBody(t, s.Body), `{"channel":"YOUR_SLACK_CHANNEL_ID","mrkdwn":true,
			"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"New lead categorized as *Positive* by AI: Ada Lovelace"}}]}`)
	})
	// 021 leaves dlq at weft's default (on): a failing bundle is kept as an incomplete
	// execution, retried automatically only for the retryable types.
	t.Run("Slack refuses the channel: kept for a person, no retry", func(t *testing.T) {
		openai := newStandIn(t, ok(`{"choices":[{"message":{"content":"{\"category\": \"Unsubscribe\"}"}}]}`))
		slack := newStandIn(t, ok(`{"ok":false,"error":"channel_not_found"}`))
		eng, p := corpusEngine(t, "021-slack-alerts-openai.json", map[string]string{"openai-gpt-3": openai.URL, "slack": slack.URL})
		res := runOnce(t, eng, p, trigger)
		if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || res.Error.ModuleID != 4 || res.Error.Type != weft.DataError ||
			res.Error.Message != "[200] channel_not_found" || res.Incomplete[0].AutoRetry {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
	})
	t.Run("OpenAI rate limit: kept and retried after its delay", func(t *testing.T) {
		openai := newStandIn(t, reply{status: 429, body: `{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}`,
			header: map[string]string{"Retry-After": "20"}})
		slack := newStandIn(t)
		eng, p := corpusEngine(t, "021-slack-alerts-openai.json", map[string]string{"openai-gpt-3": openai.URL, "slack": slack.URL})
		res := runOnce(t, eng, p, trigger)
		if res.Status != weft.StatusWarning || res.Error.Type != weft.RateLimitError || res.Error.ModuleID != 2 || len(slack.requests()) != 0 {
			t.Fatalf("status %s error %+v slack %d", res.Status, res.Error, len(slack.requests()))
		}
		if ie := res.Incomplete[0]; !ie.AutoRetry || ie.Error.RetryAfter != 20*time.Second {
			t.Fatalf("incomplete execution retry %v after %s", ie.AutoRetry, ie.Error.RetryAfter)
		}
	})
}

// The registration sheet of 037: columns A…Q, I the QR token, O is_inside, P/Q the
// validity window as YYYYMMDDHHmm (compared as numbers; now is 202603040606 in Paris).
const checkInSheet = `{"range":"Sheet1!A1:CZ1000","majorDimension":"ROWS","values":[
	["first name","last name","email","slot","school","grad","reg","QR_Type","qr_token","qr_url","pdf","Status","checked_in_at","email_sent_at","is_inside","Valid_from","Valid_to"],
	["Ada","L","ada@example.com","9:00","X","2027","R1","QR","tok-ada","u","p","REGISTERED","","","0","202603040000","202603042359"],
	["Bo","M","bo@example.com","9:00","Y","2027","R2","QR","tok-bo","u","p","CHECKED_IN","202603040501","","1","202603040000","202603042359"],
	["Cy","N","cy@example.com","9:00","Z","2027","R3","QR","tok-cy","u","p","REGISTERED","","","0","202603050000","202603052359"]
]}`

// 037: a check-in webhook looks the QR token up in a sheet, grants entry inside the
// validity window (and marks the row), denies it otherwise.
func TestCorpus037CheckInWebhook(t *testing.T) {
	for _, tc := range []struct {
		name, token, answer string
		updatedRow          string
	}{
		{"valid ticket: granted and marked inside", "tok-ada", "Entry Granted", "2"},
		{"already inside: denied", "tok-bo", "Entry denied", ""},
		{"outside the window: denied", "tok-cy", "Entry denied", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sheets := newStandIn(t)
			sheets.fn = func(r *http.Request, _ string) reply {
				if r.Method == "GET" {
					return ok(checkInSheet)
				}
				return ok(`{"spreadsheetId":"120g","updatedRange":"Sheet1!A2:O2","updatedRows":1,"updatedColumns":15,"updatedCells":2}`)
			}
			eng, p := corpusEngine(t, "037-bpmn-scenario-3-webhook.json", map[string]string{"google-sheets": sheets.URL})
			res := runOnce(t, eng, p, `{"token":"`+tc.token+`"}`)
			if res.Status != weft.StatusSuccess || res.Response == nil || res.Response.Body != tc.answer || res.Response.Status != 200 {
				t.Fatalf("status %s response %+v error %+v", res.Status, res.Response, res.Error)
			}
			g := sheets.requests()
			if g[0].Method != "GET" || g[0].Path != "/v4/spreadsheets/120g7c5audGh_VXL1APBxUCcLTTB9O8DwSsC6qKt_ifk/values/%27Sheet1%27!A1%3ACZ" ||
				g[0].Header.Get("Authorization") != "Bearer tok-5178736" {
				t.Fatalf("search request %+v", g[0])
			}
			if tc.updatedRow == "" {
				if len(g) != 1 {
					t.Fatalf("requests %+v, want the search only", g)
				}
				return
			}
			if len(g) != 2 || g[1].Method != "PUT" ||
				g[1].Path != "/v4/spreadsheets/120g7c5audGh_VXL1APBxUCcLTTB9O8DwSsC6qKt_ifk/values/%27Sheet1%27!"+tc.updatedRow+"%3A"+tc.updatedRow {
				t.Fatalf("requests %+v", g)
			}
			sameJSON(t, "update body", jsonBody(t, g[1].Body), `{"majorDimension":"ROWS",
				"values":[[null,null,null,null,null,null,null,null,null,null,null,null,"202603040606",null,"1"]]}`)
		})
	}
	t.Run("unknown token: no row, no answer", func(t *testing.T) {
		sheets := newStandIn(t, ok(checkInSheet))
		eng, p := corpusEngine(t, "037-bpmn-scenario-3-webhook.json", map[string]string{"google-sheets": sheets.URL})
		res := runOnce(t, eng, p, `{"token":"forged"}`)
		if res.Status != weft.StatusSuccess || res.Response != nil || len(sheets.requests()) != 1 {
			t.Fatalf("status %s response %+v requests %d", res.Status, res.Response, len(sheets.requests()))
		}
	})
	// 037 turns dlq off: an unhandled error fails the run.
	t.Run("expired Google token: the run fails on the search", func(t *testing.T) {
		sheets := newStandIn(t, reply{status: 401, body: `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`})
		eng, p := corpusEngine(t, "037-bpmn-scenario-3-webhook.json", map[string]string{"google-sheets": sheets.URL})
		res := runOnce(t, eng, p, `{"token":"tok-ada"}`)
		if res.Status != weft.StatusError || res.Error.Type != weft.InvalidAccessTokenError || res.Error.ModuleID != 4 || len(res.Incomplete) != 0 {
			t.Fatalf("status %s error %+v", res.Status, res.Error)
		}
	})
}

// 011 (Make's skills example) adds a row without naming a connection or a spreadsheet:
// Make would not run it either; weft refuses it when compiling, naming the parameter.
func TestCorpus011NeedsAConnection(t *testing.T) {
	data, err := os.ReadFile(corpus.Path("011-make-skills-full-blueprint.json"))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Options{Registry: fullRegistry(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Compile(bp)
	if err == nil || !strings.Contains(err.Error(), "/flow/2") || !strings.Contains(err.Error(), "__IMTCONN__: missing value of required field") {
		t.Fatalf("compile error = %v", err)
	}
}

type corpusBlueprint struct {
	file string
	bp   *blueprint.Blueprint
}

var (
	corpusOnce   sync.Once
	corpusParsed []corpusBlueprint
	corpusErr    error
)

// corpusBlueprints parses the corpus once for the tests that read all of it.
func corpusBlueprints(t *testing.T) []corpusBlueprint {
	t.Helper()
	files := corpus.Files(t)
	corpusOnce.Do(func() {
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				corpusErr = err
				return
			}
			bp, err := blueprint.Parse(data)
			if err != nil {
				corpusErr = fmt.Errorf("%s: %w", file, err)
				return
			}
			corpusParsed = append(corpusParsed, corpusBlueprint{file, bp})
		}
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusParsed
}

// endToEnd lists the corpus blueprints that use a declarative app and run with the
// registered apps, each tested end to end above. When another app joins app/all, more
// blueprints qualify and this test names them.
var endToEnd = []string{
	"011",
	"013",
	"015",
	"017",
	"021",
	"027",
	"029",
	"031",
	"037",
	"045",
	"047",
	"049",
}

func TestCorpusBlueprintsThatRunAreTested(t *testing.T) {
	r := fullRegistry(t, nil)
	var runnable []string
	for _, cb := range corpusBlueprints(t) {
		file, bp := cb.file, cb.bp
		usesOurs, all := false, true
		bp.Walk(func(m *blueprint.Module, _ string) bool {
			spec, ok := r.Lookup(m.Type)
			if !ok {
				all = false
			} else if spec.New != nil && isDeclarative(m.Type) {
				usesOurs = true
			}
			return true
		})
		if usesOurs && all {
			runnable = append(runnable, filepath.Base(file)[:3])
		}
	}
	if !slices.Equal(runnable, endToEnd) {
		t.Fatalf("blueprints that use a declarative app and can run: %v; tested end to end: %v (add a TestCorpusNNN for each new one)", runnable, endToEnd)
	}
}

// isDeclarative reports whether a module type belongs to a shipped definition (read
// from the definitions, so a new app needs no entry here).
func isDeclarative(module string) bool {
	declaredOnce.Do(func() {
		specs, err := declarative.Load(apps.FS)
		if err != nil {
			panic(err)
		}
		for _, s := range specs {
			declaredApps[strings.SplitN(s.Name, ":", 2)[0]] = true
		}
	})
	app, _, _ := strings.Cut(module, ":")
	return declaredApps[app]
}

var (
	declaredOnce sync.Once
	declaredApps = map[string]bool{}
)

// Every use of a shipped module in the corpus maps only declared fields, so field
// names follow Make's.
func TestCorpusMapperKeysAreDeclared(t *testing.T) {
	r := registry(t, nil)
	seen := map[string]int{}
	for _, cb := range corpusBlueprints(t) {
		file, bp := cb.file, cb.bp
		bp.Walk(func(m *blueprint.Module, ptr string) bool {
			spec, ok := r.Lookup(m.Type)
			if !ok {
				return true
			}
			seen[m.Type]++
			if spec.Poll || spec.Hook != nil {
				// Triggers take parameters only: each must be declared too.
				for k := range m.Parameters {
					if !slices.ContainsFunc(spec.Parameters, func(f app.Field) bool { return f.Name == k }) {
						t.Errorf("%s%s: parameter %q is not a declared field of %s", filepath.Base(file), ptr, k, m.Type)
					}
				}
			}
			mapper, _ := m.Mapper.(map[string]any)
			for k := range mapper {
				if !spec.OpenMapper && !slices.ContainsFunc(spec.Mapper, func(f app.Field) bool { return f.Name == k }) {
					t.Errorf("%s%s: mapper key %q is not a declared field of %s", filepath.Base(file), ptr, k, m.Type)
				}
			}
			return true
		})
	}
	var got []string
	for k, n := range seen {
		got = append(got, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(got)
	// One module type per line, in name order, so apps added side by side merge cleanly.
	want := strings.Join([]string{
		"airtable:ActionCreateRecord×15",
		"airtable:ActionGetRecord×3",
		"airtable:ActionSearchRecords×2",
		"airtable:ActionUpdateRecords×28",
		"airtable:TriggerWatchRecords×1",
		"anthropic-claude:createAMessage×5",
		"anymailfinder:emailSearchDecisionMaker×1",
		"anymailfinder:emailSearchPerson×1",
		"apify:fetchDatasetItems×1",
		"gemini-ai:createACompletionGeminiPro×1",
		"google-calendar:createAnEvent×1",
		"google-docs:createADocument×2",
		"google-drive:createAFolder×11",
		"google-drive:getAFile×1",
		"google-drive:searchForFilesFolders×3",
		"google-drive:uploadAFile×2",
		"google-sheets:addRow×8",
		"google-sheets:filterRows×11",
		"google-sheets:updateRow×4",
		"google-sheets:watchRows×1",
		"instantly:addLeadToCampaign×2",
		"lokalise:createATask×1",
		"lokalise:lokaliseRest×2",
		"openai-gpt-3:CreateCompletion×11",
		"openai-gpt-3:createModelResponse×1",
		"perplexity-ai:createAChatCompletion×1",
		"slack:CreateMessage×29",
		"slack:SearchMessages×2",
		"telegram:SendReplyMessage×9",
		"typeform:ListResponses×1",
		"typeform:WatchEventsWithResponses×1",
		"wordpress:getPost×2",
		"wordpress:updatePost×2",
		"wordpress:watchPosts×1",
	}, " ")
	if strings.Join(got, " ") != want {
		t.Fatalf("uses in the corpus:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}
