package service_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// botAPI is a stand-in Telegram Bot API on 127.0.0.1: it records setWebhook and
// deleteWebhook calls and answers ok, or the failure the test sets.
type botAPI struct {
	*httptest.Server
	mu    sync.Mutex
	calls []botCall
	fail  int // answer this status with ok:false while set
}

type botCall struct {
	method string
	body   map[string]any
}

func newBotAPI(t *testing.T, token string) *botAPI {
	b := &botAPI{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, ok := strings.CutPrefix(r.URL.Path, "/bot"+token+"/")
		if !ok {
			w.WriteHeader(404)
			io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		b.mu.Lock()
		b.calls = append(b.calls, botCall{method, body})
		fail := b.fail
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if fail != 0 {
			w.WriteHeader(fail)
			fmt.Fprintf(w, `{"ok":false,"error_code":%d,"description":"Bad Request: bad webhook: failed to resolve host"}`, fail)
			return
		}
		io.WriteString(w, `{"ok":true,"result":true,"description":"Webhook was set"}`)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *botAPI) setFail(status int) { b.mu.Lock(); b.fail = status; b.mu.Unlock() }

func (b *botAPI) called() []botCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]botCall(nil), b.calls...)
}

// telegramFlow: telegram:WatchUpdates → POST the message text to the sink.
func telegramFlow(conn int64, sinkURL string) string {
	return fmt.Sprintf(`[{"id":1,"module":"telegram:WatchUpdates","version":1,"parameters":{"__IMTHOOK__":1335589,"__IMTCONN__":%d},"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":%q,"method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"item\":\"{{1.message.text}} from {{1.message.chat.id}}\"}"}}]`, conn, sinkURL+"/in")
}

func hookRequest(secret string) *http.Request {
	r := httptest.NewRequest("POST", "/hooks/x", strings.NewReader(`{}`))
	if secret != "" {
		r.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	return r
}

var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`)

// Activation registers the hook with setWebhook and a secret; calls are verified by it;
// deactivation calls deleteWebhook, and when the Bot API cannot be reached the
// unregistration is owed and tried again.
func TestInstantAppTrigger(t *testing.T) {
	const token = "123456:ABC-test"
	bot, out := newBotAPI(t, token), newSink(t)
	t.Setenv("WEFT_APP_BASEURL_TELEGRAM", bot.URL)
	e := newEnv(t, withSecrets(keyring(t, "a")), func(c *service.Config) { c.BaseURL = "https://weft.example/" })
	conn, err := e.svc.CreateConnection(t.Context(), "bot", "telegram", map[string]any{"token": token})
	if err != nil {
		t.Fatal(err)
	}
	id := e.scenario(telegramFlow(conn.ID, out.URL), "")
	sc, _ := e.st.GetScenario(t.Context(), id)
	if !sc.Instant {
		t.Fatal("a telegram:WatchUpdates scenario is not instant")
	}

	// The Bot API refuses: activation fails with its answer, nothing is registered.
	bot.setFail(400)
	_, err = e.svc.SetActive(t.Context(), id, true)
	if err == nil || !strings.Contains(err.Error(), "failed to resolve host") {
		t.Fatalf("activation against a refusing Bot API: %v", err)
	}
	if sc, _ := e.st.GetScenario(t.Context(), id); sc.Active {
		t.Fatal("the scenario is active although its hook was refused")
	}
	if _, err := e.svc.AppHook(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused registration was recorded: %v", err)
	}

	bot.setFail(0)
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	hook, err := e.svc.Hook(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	calls := bot.called()
	set := calls[len(calls)-1]
	secret, _ := set.body["secret_token"].(string)
	if set.method != "setWebhook" || set.body["url"] != "https://weft.example/hooks/"+hook.Token || !secretToken.MatchString(secret) {
		t.Fatalf("setWebhook: %+v", set)
	}
	ah, err := e.svc.AppHook(t.Context(), id)
	if err != nil || !ah.Registered || strings.Contains(string(ah.State), secret) {
		t.Fatalf("registration: %+v, %v (the secret must be stored encrypted)", ah, err)
	}
	// Activating again (to clear a pause) keeps the registration: no second call.
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	if n := len(bot.called()); n != len(calls) {
		t.Fatalf("activating an active scenario called the Bot API again (%d calls)", n-len(calls))
	}

	// A new hook address is registered at once (with a new secret).
	rotated, err := e.svc.RotateHook(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	calls = bot.called()
	if set := calls[len(calls)-1]; set.method != "setWebhook" || set.body["url"] != "https://weft.example/hooks/"+rotated.Token {
		t.Fatalf("after rotation: %+v", set)
	} else {
		secret, _ = set.body["secret_token"].(string)
	}

	// Calls: the right secret passes, a wrong or missing one is refused with 401.
	if err := e.svc.VerifyHook(t.Context(), id, hookRequest(secret), []byte(`{}`)); err != nil {
		t.Fatalf("the right secret: %v", err)
	}
	for _, s := range []string{"", "wrong", secret + "x"} {
		var ve *app.VerifyError
		if err := e.svc.VerifyHook(t.Context(), id, hookRequest(s), []byte(`{}`)); !errors.As(err, &ve) || ve.Status != 401 {
			t.Fatalf("secret %q: %v", s, err)
		}
	}
	// The update is the trigger's output.
	update := `{"update_id":7,"message":{"message_id":3,"date":1780000000,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Ann"},"text":"hello"}}`
	if rr := e.run(id, update); rr.Result.Status != weft.StatusSuccess {
		t.Fatalf("run: %s %+v", rr.Result.Status, rr.Result.Error)
	}
	wantItems(t, "delivered", out.items(), "hello from 42")

	// Deactivation while the Bot API is down: it still deactivates; the
	// unregistration is owed and tried again after a minute.
	bot.setFail(502)
	if _, err := e.svc.SetActive(t.Context(), id, false); err != nil {
		t.Fatalf("deactivate with the Bot API down: %v", err)
	}
	ah, err = e.svc.AppHook(t.Context(), id)
	if err != nil || ah.Registered || ah.Attempts != 1 || !strings.Contains(ah.Error, "502") {
		t.Fatalf("owed unregistration: %+v, %v", ah, err)
	}
	var ve *app.VerifyError
	if err := e.svc.VerifyHook(t.Context(), id, hookRequest(secret), []byte(`{}`)); !errors.As(err, &ve) || ve.Status != 403 {
		t.Fatalf("a call after deactivation: %v", err)
	}
	bot.setFail(0)
	if n, err := e.svc.RetryUnregistrations(t.Context()); n != 0 || err != nil {
		t.Fatalf("retried before its time: %d, %v", n, err)
	}
	e.clock.Add(61 * time.Second)
	if n, err := e.svc.RetryUnregistrations(t.Context()); n != 1 || err != nil {
		t.Fatalf("retry: %d, %v", n, err)
	}
	calls = bot.called()
	if last := calls[len(calls)-1]; last.method != "deleteWebhook" {
		t.Fatalf("last call: %+v", last)
	}
	if _, err := e.svc.AppHook(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the registration outlived its unregistration: %v", err)
	}

	// Activated again, then deleted: deleteWebhook at once.
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	before := len(bot.called())
	if err := e.svc.DeleteScenario(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	calls = bot.called()
	if len(calls) != before+1 || calls[before].method != "deleteWebhook" {
		t.Fatalf("delete: calls %+v", calls[before:])
	}
}

// Without weft's public address an instant app trigger cannot be activated.
func TestInstantAppTriggerNeedsBaseURL(t *testing.T) {
	bot := newBotAPI(t, "1:A")
	t.Setenv("WEFT_APP_BASEURL_TELEGRAM", bot.URL)
	e := newEnv(t, withSecrets(keyring(t, "a")))
	conn, _ := e.svc.CreateConnection(t.Context(), "bot", "telegram", map[string]any{"token": "1:A"})
	id := e.scenario(telegramFlow(conn.ID, "http://127.0.0.1:1"), "")
	_, err := e.svc.SetActive(t.Context(), id, true)
	if !errors.Is(err, service.ErrNoBaseURL) || len(bot.called()) != 0 {
		t.Fatalf("activation without a base URL: %v (%d calls)", err, len(bot.called()))
	}
}
