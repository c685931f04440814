package declarative_test

import (
	"net/http"
	"net/url"
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

// exportEngine compiles a copy of a shared-corpus export (testdata/corpus) on every
// shipped app, declarative apps pointed at stand-ins, with the given connections.
// hosts replaces the start of absolute URLs the blueprint's HTTP modules call (the
// services' own addresses) with a stand-in's, as a DNS entry would.
func exportEngine(t *testing.T, name string, urls map[string]string, conns map[string]weft.Bundle, hosts map[string]string) (*engine.Engine, *engine.Plan) {
	t.Helper()
	data, err := os.ReadFile(corpus.Export(name))
	if err != nil {
		t.Fatal(err)
	}
	for from, to := range hosts {
		if !strings.Contains(string(data), from) {
			t.Fatalf("%s calls no %s", name, from)
		}
		data = []byte(strings.ReplaceAll(string(data), from, to))
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

// 052 (bicced/make-integromat-crypto-workflows): set the transfer's variables, ask
// the wallet API to send it (an API key connection), announce it on Discord.
func TestExport052TransferAnnouncedOnDiscord(t *testing.T) {
	conns := map[string]weft.Bundle{
		"71843":   {"key": "afk-key-1", "placement": "header", "name": "X-API-Key"},
		"5836268": discordCreds,
	}
	wallet := func(t *testing.T) *standIn {
		w := newStandIn(t, ok(`{"txHash":"0xabc","status":"submitted"}`))
		return w
	}
	t.Run("sent and announced", func(t *testing.T) {
		w, d := wallet(t), newDiscordAPI(t)
		eng, p := exportEngine(t, "052-ethereum-transfer-with-discord-notification-templa.json",
			map[string]string{"discord": d.URL}, conns, map[string]string{"https://api.staging.afkcrypto.com": w.URL})
		res := runOnce(t, eng, p, `{}`)
		if res.Status != weft.StatusSuccess || res.Operations != 3 {
			t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
		}
		g := w.only(t)
		if g.Method != "POST" || g.Path != "/v1/send" || g.Header.Get("X-API-Key") != "afk-key-1" ||
			g.Header.Get("Idempotency-Key") != "1772600767000" || g.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("wallet request %s %s key %q idempotency %q type %q", g.Method, g.Path, g.Header.Get("X-API-Key"),
				g.Header.Get("Idempotency-Key"), g.Header.Get("Content-Type"))
		}
		sameJSON(t, "wallet body", jsonBody(t, g.Body), `{"chain":"ethereum","to":"RECIPIENT_WALLET_ADDRESS","asset":"native","amount":"1000000000"}`)
		m := d.only(t)
		if m.Method != "POST" || m.Path != "/channels/1280652667408089210/messages" || m.Header.Get("Authorization") != "Bot bot-secret-token" {
			t.Fatalf("discord request %s %s auth %q", m.Method, m.Path, m.Header.Get("Authorization"))
		}
		body := jsonBody(t, m.Body)
		if body["content"] != "✅ Ethereum Transfer Successful ✅ \n\nTo: RECIPIENT_WALLET_ADDRESS\nAmount: 1000000000" ||
			len(value.Text(body["nonce"])) != 25 || body["enforce_nonce"] != true || len(body) != 3 {
			t.Fatalf("discord body %v", body)
		}
		if len(d.stored()) != 1 {
			t.Fatalf("messages %v", d.stored())
		}
	})
	// 052 turns dlq off (Make's default): a failure is not kept; the run ends in error.
	t.Run("the bot may not post in the channel: the run fails", func(t *testing.T) {
		w, d := wallet(t), newDiscordAPI(t)
		d.answer(discordError(403, 50013, "Missing Permissions"))
		eng, p := exportEngine(t, "052-ethereum-transfer-with-discord-notification-templa.json",
			map[string]string{"discord": d.URL}, conns, map[string]string{"https://api.staging.afkcrypto.com": w.URL})
		res := runOnce(t, eng, p, `{}`)
		if res.Status != weft.StatusError || res.Error == nil || res.Error.ModuleID != 9 || res.Error.Type != weft.InvalidConfigurationError ||
			res.Error.Message != "[403] Missing Permissions (code 50013)" || len(res.Incomplete) != 0 {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
		if len(w.requests()) != 1 {
			t.Fatalf("wallet requests %d", len(w.requests()))
		}
	})
}

// 368 (a Slack "looper"): search the messages of eight days ago, aggregate them, post a
// heading in #random, then one reply per message in the heading's thread with its
// author's picture (users.info).
func TestExport368SlackLooper(t *testing.T) {
	conns := map[string]weft.Bundle{"276911": slackUser}
	s := slackSearch(t, []string{match(1), match(2)})
	posted := 0
	search := s.fn
	s.fn = func(r *http.Request, body string) reply {
		if r.URL.Path == "/chat.postMessage" {
			posted++
			return ok(`{"ok":true,"channel":"C9","ts":"1772600767.00000` + itoa(posted) + `","message":{"text":"x"}}`)
		}
		return search(r, body)
	}
	eng, p := exportEngine(t, "368-slack-free-looper.json", map[string]string{"slack": s.URL}, conns, nil)
	res := runOnce(t, eng, p, `{}`)
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	g := s.requests()
	var paths []string
	for _, r := range g {
		paths = append(paths, r.Path)
	}
	want := "/search.messages /chat.postMessage /users.info /chat.postMessage /users.info /chat.postMessage"
	if strings.Join(paths, " ") != want {
		t.Fatalf("requests %s\nwant %s", strings.Join(paths, " "), want)
	}
	if g[0].Query != "count=30&query=on%3A2026-02-24&sort=timestamp&sort_dir=asc" {
		t.Fatalf("search %s", g[0].Query)
	}
	// The export holds its Japanese heading already mis-decoded (UTF-8 read as
	// Windows-1252); it is sent as exported.
	heading := jsonBody(t, g[1].Body)
	if heading["channel"] != "random" || heading["mrkdwn"] != true || len(heading) != 3 ||
		!strings.HasPrefix(value.Text(heading["text"]), "2026-02-24 ã®") {
		t.Fatalf("heading %q", heading)
	}
	for i, n := range []int{1, 2} {
		r := jsonBody(t, g[3+2*i].Body)
		blocks := value.Array(r["blocks"])
		if r["channel"] != "C1" || r["thread_ts"] != "1772600767.000001" || len(blocks) != 3 {
			t.Fatalf("reply %d: %v", n, r)
		}
		text := string(value.JSON(blocks))
		if !strings.Contains(text, "https://x.slack.com/archives/C1/p"+itoa(n)) || !strings.Contains(text, `"text":"message `+itoa(n)+`"`) ||
			!strings.Contains(text, `"image_url":"https://a.test/512.png"`) {
			t.Fatalf("reply %d blocks %s", n, text)
		}
	}
}

// 015 (testdata/blueprints): read the unverified translations of a Lokalise project
// page by page (the first answer's X-Pagination-Page-Count drives a repeater), keep
// their key ids in a data store record and create a translation task over them.
func TestCorpus015LokaliseUnverifiedTask(t *testing.T) {
	pages := map[string]string{"1": `[{"translation_id":1,"key_id":11}]`, "2": `[{"translation_id":2,"key_id":12}]`}
	var tasks []map[string]any
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		if r.Header.Get("X-Api-Token") != "lok-token" {
			return lokaliseError(401, "Invalid `X-Api-Token` header")
		}
		switch {
		case r.Method == "GET" && r.URL.Path == "/api2/projects/98631370643585c6f40da6.02984008/translations":
			q := r.URL.Query()
			if q.Get("filter_unverified") != "1" || q.Get("disable_references") != "1" || q.Get("limit") != "1" {
				return lokaliseError(400, "bad query "+r.URL.RawQuery)
			}
			return reply{status: 200, body: `{"project_id":"98631370643585c6f40da6.02984008","translations":` + pages[q.Get("page")] + `}`,
				header: map[string]string{"X-Pagination-Page-Count": "2", "X-Pagination-Limit": "1"}}
		case r.Method == "POST" && r.URL.Path == "/api2/projects/98631370643585c6f40da6.02984008/tasks":
			tasks = append(tasks, jsonBody(t, body))
			return ok(`{"project_id":"98631370643585c6f40da6.02984008","task":{"task_id":` + itoa(len(tasks)) + `}}`)
		}
		return lokaliseError(404, "Not Found")
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t.Setenv(declarative.EnvVar("lokalise"), s.URL)
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(corpus.Path("015-lokalise-unverified-task-datastore.json"))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: reg, Clock: func() time.Time { return now }, NewID: func() string { return "exec-1" },
		Connections: func(ref any) (weft.Bundle, error) { return lokaliseCreds, nil }})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatal(err)
	}
	res := runOnce(t, eng, p, `{}`)
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	g := s.requests()
	// The first read (page 1), a read per repeat (pages 1 and 2), each page's key ids
	// appended to the record (overwriteArrays off); the filter lets the last repeat
	// through to one task over every key.
	want := []string{"GET page=1", "GET page=1", "GET page=2", "POST"}
	if len(g) != len(want) {
		t.Fatalf("%d requests: %+v", len(g), g)
	}
	for i, r := range g {
		got := r.Method
		if r.Method == "GET" {
			got += " page=" + queryValue(r.Query, "page")
		}
		if got != want[i] {
			t.Fatalf("request %d is %s, want %s (all: %+v)", i, got, want[i], g)
		}
	}
	if len(tasks) != 1 {
		t.Fatalf("tasks %v", tasks)
	}
	sameJSON(t, "task", tasks[0], `{"title":"2026-03-04T05:06:07.000Z Execution ID: exec-1","keys":[11,12],
		"languages":[{"language_iso":"es","users":[176168]}],"task_type":"translation","source_language_iso":"en",
		"auto_close_languages":true,"auto_close_task":true,"auto_close_items":true}`)
	if out := res.Log[len(res.Log)-1]; out.ModuleID != 2 || len(out.Output) != 1 || out.Output[0]["task"].(map[string]any)["task_id"] != 1.0 {
		t.Fatalf("last log entry %+v", out)
	}
}

func queryValue(raw, key string) string {
	q, _ := url.ParseQuery(raw)
	return q.Get(key)
}
