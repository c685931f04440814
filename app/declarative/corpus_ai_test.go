package declarative_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/app/declarative"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/store/sqlite"
	"github.com/weftworks/weft/value"
)

// End-to-end runs of census-corpus exports (copies in testdata/corpus) that use the AI
// and data apps, against stand-ins of every service they call.

// aiExportEngine compiles an export of testdata/corpus on an engine whose apps are
// pointed at urls and whose connections are conns (by the export's connection ids).
func aiExportEngine(t *testing.T, name string, urls map[string]string, conns map[string]weft.Bundle) (*engine.Engine, *engine.Plan) {
	t.Helper()
	data, err := os.ReadFile(corpus.Export(name))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: fullRegistry(t, urls), Clock: func() time.Time { return now },
		NewID: func() string { return "exec-1" },
		Connections: func(ref any) (weft.Bundle, error) {
			c, found := conns[value.Text(ref)]
			if !found {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %q not found", value.Text(ref))
			}
			return c, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return eng, p
}

// 002 (abdulbarimr10-ai/ai-customer-feedback-analyzer): each new feedback row of a
// sheet (google-sheets:watchRows) is analyzed by OpenAI's Responses API
// (openai-gpt-3:createModelResponse) and the analysis is written back into the row's
// cells (google-sheets:updateRow). The export maps the row number as {{`1`}} (the
// whole row) and writes replace(…) as text (its author's formula outside {{…}});
// weft runs it as exported.
func TestCorpus002FeedbackAnalyzer(t *testing.T) {
	// The sheet watchRows reads (tableFirstRow A1:B1, headers on): one feedback row.
	sheet := `{"range":"Sheet1!A1:B1000","majorDimension":"ROWS","values":[["Feedback","Analysis"],
		["The parcel arrived broken and nobody answers my emails."]]}`
	answer := `{"id":"resp_9","object":"response","created_at":1741476542,"status":"completed","model":"gpt-4o-mini-2024-07-18",
		"output":[{"type":"message","id":"msg_9","status":"completed","role":"assistant","content":[
			{"type":"output_text","text":"Score: 2\nTopic: delivery\nAction: refund","annotations":[]}]}],
		"usage":{"input_tokens":120,"output_tokens":14,"total_tokens":134}}`
	conns := map[string]weft.Bundle{"4729402": {"apiKey": "sk-feedback"}, "4719726": {"accessToken": "ya29.sheet"}}
	sheetsStandIn := func(t *testing.T) *standIn {
		s := newStandIn(t)
		s.fn = func(r *http.Request, _ string) reply {
			if r.Method == "GET" {
				return ok(sheet)
			}
			return ok(`{"spreadsheetId":"11EW0w5UpRPza3djd5QiucYKIitIxFKSA-XHNUcvtND4","updatedRange":"Sheet1!A1:E1","updatedRows":1}`)
		}
		return s
	}
	wantPoll := func(t *testing.T, g got) {
		t.Helper()
		if g.Method != "GET" || g.Path != "/v4/spreadsheets/11EW0w5UpRPza3djd5QiucYKIitIxFKSA-XHNUcvtND4/values/%27Sheet1%27!A1%3AB" ||
			g.Header.Get("Authorization") != "Bearer ya29.sheet" {
			t.Fatalf("watchRows request %s %s auth %q", g.Method, g.Path, g.Header.Get("Authorization"))
		}
	}

	t.Run("the new row is analyzed", func(t *testing.T) {
		openai := newStandIn(t, ok(answer))
		sheets := sheetsStandIn(t)
		eng, p := aiExportEngine(t, "002-integration-google-sheets.json", map[string]string{"openai-gpt-3": openai.URL, "google-sheets": sheets.URL}, conns)
		res, err := eng.Run(t.Context(), p, engine.Input{})
		if err != nil {
			t.Fatal(err)
		}
		o := openai.only(t)
		if o.Method != "POST" || o.Path != "/responses" || o.Header.Get("Authorization") != "Bearer sk-feedback" {
			t.Fatalf("OpenAI request %s %s auth %q", o.Method, o.Path, o.Header.Get("Authorization"))
		}
		body := jsonBody(t, o.Body)
		input, _ := body["input"].(string)
		if !strings.Contains(input, "Analyze the user's input The parcel arrived broken and nobody answers my emails.and extract") {
			t.Fatalf("input %q", input)
		}
		delete(body, "input")
		// The export's settings as the Responses API names them; createConversation is
		// not performed (docs/apps-ai.md).
		sameJSON(t, "OpenAI body", body, `{"model":"gpt-4o-mini","store":true,"background":false,"text":{"format":{"type":"json_object"}},
			"truncation":"auto","parallel_tool_calls":true}`)
		// The export maps the row number as {{`+"`1`"+`}}: module 1's whole bundle, not its
		// __ROW_NUMBER__, so updateRow refuses it (a DataError naming rowNumber) and the
		// run stops there; 002 turns dlq off, so no incomplete execution is kept and the
		// row is not marked as seen (the next poll emits it again).
		if res.Status != weft.StatusError || res.Error == nil || res.Error.ModuleID != 4 || res.Error.Type != weft.DataError ||
			!strings.Contains(res.Error.Message, "rowNumber: collection") || len(res.Incomplete) != 0 || res.Position != nil {
			t.Fatalf("status %s error %+v incomplete %d position %s", res.Status, res.Error, len(res.Incomplete), res.Position)
		}
		g := sheets.requests()
		if len(g) != 1 {
			t.Fatalf("Sheets received %+v, want the poll only", g)
		}
		wantPoll(t, g[0])
	})

	t.Run("OpenAI out of quota: the run fails, nothing written", func(t *testing.T) {
		openai := newStandIn(t, reply{status: 429, body: `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`})
		sheets := sheetsStandIn(t)
		eng, p := aiExportEngine(t, "002-integration-google-sheets.json", map[string]string{"openai-gpt-3": openai.URL, "google-sheets": sheets.URL}, conns)
		res, err := eng.Run(t.Context(), p, engine.Input{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != weft.StatusError || res.Error == nil || res.Error.ModuleID != 3 || res.Error.Type != weft.InvalidConfigurationError ||
			len(sheets.requests()) != 1 {
			t.Fatalf("status %s error %+v sheets %d", res.Status, res.Error, len(sheets.requests()))
		}
	})
}

// 340 (solrpink/MVP-project-group10-Nutrition-plan-generation): a Telegram nutrition
// bot keeps each chat's answers in a data store; the message that answers the last
// question (the dietary restrictions) is saved, Groq writes a meal plan as JSON, the
// JSON is parsed and its calorie target sent back to the chat. Telegram's update is the
// trigger's bundle (telegram:WatchUpdates, an instant trigger); the data store is a
// real SQLite store.
func TestCorpus340NutritionBotGroq(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The chat's record after the earlier questions: state holds the restrictions
	// question's marker, so the route of the last answer runs.
	chat := weft.Bundle{"chat_id": "777", "goal": "1", "age": "30", "weight": "70", "height": "175", "activity": "2",
		"restrictions": "q-restrictions", "state": "q-restrictions", "calories_target": ""}
	if err := st.PutRecord(t.Context(), "101832", "777", chat, true); err != nil {
		t.Fatal(err)
	}
	groq := newStandIn(t, ok(`{"id":"chatcmpl-n1","object":"chat.completion","model":"llama-3.3-70b-versatile",
		"choices":[{"index":0,"message":{"role":"assistant","content":"{\"calories_target\": 2150, \"meal_plan\": \"**Понедельник:** овсянка\"}"},"finish_reason":"stop"}],
		"usage":{"prompt_tokens":400,"completion_tokens":60,"total_tokens":460}}`))
	telegram := newStandIn(t, ok(`{"ok":true,"result":{"message_id":91,"chat":{"id":777,"type":"private"},"date":1772600767,"text":"2150"}}`))
	t.Setenv(declarative.EnvVar("groq"), groq.URL)
	t.Setenv(declarative.EnvVar("telegram"), telegram.URL)
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(corpus.Export("340-integration-telegram-bot.json"))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	// In Make the trigger's webhook holds the bot's connection; weft's trigger names it
	// (weft validate: "__IMTCONN__: … set it before the scenario can run"), as the
	// person importing the export does.
	if bp.Flow[0].Type != "telegram:WatchUpdates" || bp.Flow[0].Parameters["__IMTCONN__"] != nil {
		t.Fatalf("module 1: %s %v", bp.Flow[0].Type, bp.Flow[0].Parameters)
	}
	bp.Flow[0].Parameters["__IMTCONN__"] = "5713112"
	conns := map[string]weft.Bundle{"5753996": {"apiKey": "gsk_nutrition"}, "5713112": {"token": "1:bot-a"}, "5506221": {"token": "2:bot-b"}}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: reg, Clock: func() time.Time { return now }, NewID: func() string { return "exec-1" },
		Connections: func(ref any) (weft.Bundle, error) {
			c, found := conns[value.Text(ref)]
			if !found {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %q not found", value.Text(ref))
			}
			return c, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatal(err)
	}
	update := `{"update_id":1001,"message":{"message_id":90,"from":{"id":777,"is_bot":false,"first_name":"Ada"},
		"chat":{"id":777,"first_name":"Ada","type":"private"},"date":1772600760,"text":"без лактозы"}}`
	res := runOnce(t, eng, p, update)
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	g := groq.only(t)
	if g.Method != "POST" || g.Path != "/chat/completions" || g.Header.Get("Authorization") != "Bearer gsk_nutrition" {
		t.Fatalf("Groq request %s %s auth %q", g.Method, g.Path, g.Header.Get("Authorization"))
	}
	body := jsonBody(t, g.Body)
	msgs, _ := body["messages"].([]any)
	if len(msgs) != 2 || !strings.Contains(value.Text(msgs[1].(map[string]any)["content"]), "- Цель: 1\r\n- Возраст: 30 лет\r\n- Вес:70 кг") ||
		msgs[0].(map[string]any)["role"] != "system" {
		t.Fatalf("Groq messages %v", msgs)
	}
	delete(body, "messages")
	sameJSON(t, "Groq settings", body, `{"model":"llama-3.3-70b-versatile","max_tokens":2500,"temperature":0.7,"response_format":{"type":"json_object"}}`)
	// The parsed answer's calorie target goes back to the chat, from the bot of 54's
	// connection.
	tg := telegram.only(t)
	if tg.Path != "/bot2:bot-b/sendMessage" {
		t.Fatalf("Telegram request %s", tg.Path)
	}
	// The export writes {{`53`}} (the parsed JSON as a whole) before the target.
	sameJSON(t, "Telegram body", jsonBody(t, tg.Body), `{"chat_id":"777","text":"{\"calories_target\":2150,\"meal_plan\":\"**Понедельник:** овсянка\"}2150"}`)
	// Module 49 saved the answer under the export's key ({{5.state}}={{5.restrictions}}).
	rec, err := st.GetRecord(t.Context(), "101832", "q-restrictions=q-restrictions")
	if err != nil || rec["restrictions"] != "без лактозы" || rec["chat_id"] != "777" {
		t.Fatalf("record %v, %v", rec, err)
	}
}
