package engine_test

import (
	"encoding/json"
	"github.com/weftworks/weft/internal/corpus"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
)

// standIn is a local stand-in for https://api.example.com: it records every request
// and answers each path with a configured status and body (200 {"ok":true} otherwise).
type standIn struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	answers map[string]answer
}

type received struct {
	Method, Path, ContentType string
	Body                      string
}

type answer struct {
	status int
	body   string
}

func newStandIn(t *testing.T, answers map[string]answer) *standIn {
	s := &standIn{answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, received{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(body)})
		a, ok := s.answers[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			a = answer{200, `{"ok":true}`}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// corpusPlan loads a shared blueprint with api.example.com pointed at the stand-in.
func corpusPlan(t *testing.T, f *fixture, name string, s *standIn) *engine.Plan {
	t.Helper()
	data, err := os.ReadFile(corpus.Path(name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, host := range []string{"https://api.example.com", "https://maker.ifttt.com"} {
		text = strings.ReplaceAll(text, host, s.URL)
	}
	data = []byte(text)
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.eng.Compile(bp)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func jsonBody(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("stand-in received invalid JSON %q: %v", s, err)
	}
	return m
}

func TestCorpus002ErrorHandlerFallback(t *testing.T) {
	t.Run("order accepted", func(t *testing.T) {
		f := newFixture(t)
		s := newStandIn(t, nil)
		res := f.run(corpusPlan(t, f, "002-make-error-handler-fallback.json", s), bundle(`{"orderId":"A1","amount":12.5}`))
		got := s.requests()
		if res.Status != weft.StatusSuccess || len(got) != 1 || got[0].Path != "/orders" || got[0].Method != "POST" {
			t.Fatalf("status %s requests %+v", res.Status, got)
		}
		if b := jsonBody(t, got[0].Body); b["orderId"] != "A1" || b["amount"] != 12.5 {
			t.Fatalf("order body %v", b)
		}
	})
	t.Run("order API fails: handler logs and ignores", func(t *testing.T) {
		f := newFixture(t)
		s := newStandIn(t, map[string]answer{"/orders": {503, `{"error":"maintenance"}`}})
		res := f.run(corpusPlan(t, f, "002-make-error-handler-fallback.json", s), bundle(`{"orderId":"A2","amount":3}`))
		got := s.requests()
		if res.Status != weft.StatusSuccess || len(res.Incomplete) != 0 {
			t.Fatalf("status %s IEs %d", res.Status, len(res.Incomplete))
		}
		if len(got) != 2 || got[1].Path != "/logs" {
			t.Fatalf("requests %+v", got)
		}
		log := jsonBody(t, got[1].Body)
		if log["level"] != "error" || log["orderId"] != "A2" || !strings.Contains(log["message"].(string), "503") {
			t.Fatalf("log body %v", log)
		}
	})
}

func TestCorpus004IfElseMerge(t *testing.T) {
	for _, tc := range []struct{ priority, message string }{
		{"high", "Expedited: order 7 ships today"},
		{"low", "Standard: order 7 ships within 5 days"},
	} {
		t.Run(tc.priority, func(t *testing.T) {
			f := newFixture(t)
			s := newStandIn(t, nil)
			res := f.run(corpusPlan(t, f, "004-make-if-else-merge.json", s), bundle(`{"orderId":"7","priority":"`+tc.priority+`"}`))
			got := s.requests()
			if res.Status != weft.StatusSuccess || len(got) != 1 || got[0].Path != "/notifications" {
				t.Fatalf("status %s requests %+v", res.Status, got)
			}
			if b := jsonBody(t, got[0].Body); b["orderId"] != "7" || b["message"] != tc.message {
				t.Fatalf("body %v", b)
			}
		})
	}
}

func TestCorpus005IteratorAggregator(t *testing.T) {
	f := newFixture(t)
	s := newStandIn(t, nil)
	res := f.run(corpusPlan(t, f, "005-make-iterator-aggregator.json", s),
		bundle(`{"items":[{"name":"Loom","qty":2},{"name":"Yarn","qty":12}]}`))
	got := s.requests()
	if res.Status != weft.StatusSuccess || len(got) != 1 || got[0].Path != "/order-summaries" {
		t.Fatalf("status %s requests %+v", res.Status, got)
	}
	if b := jsonBody(t, got[0].Body); b["summary"] != "Loom × 2, Yarn × 12" {
		t.Fatalf("body %v", b)
	}
	// trigger + iterator + 2 compose + aggregator + HTTP
	if res.Operations != 6 {
		t.Fatalf("operations %d", res.Operations)
	}
}

func TestCorpus008WebhookResponse(t *testing.T) {
	f := newFixture(t)
	s := newStandIn(t, nil)
	res := f.run(corpusPlan(t, f, "008-make-webhook-api-endpoint.json", s), bundle(`{"email":"ada@example.com"}`))
	r := res.Response
	if res.Status != weft.StatusSuccess || r == nil || r.Status != 200 || r.Headers["content-type"] != "application/json" {
		t.Fatalf("status %s response %+v", res.Status, r)
	}
	if b := jsonBody(t, r.Body); b["ok"] != true || b["received"] != "ada@example.com" {
		t.Fatalf("body %v", b)
	}
	if len(s.requests()) != 0 {
		t.Fatal("008 calls no API")
	}
}

func TestCorpus009RouterErrorHandler(t *testing.T) {
	t.Run("hot lead", func(t *testing.T) {
		f := newFixture(t)
		s := newStandIn(t, nil)
		res := f.run(corpusPlan(t, f, "009-make-webhook-router-error-handler.json", s),
			bundle(`{"email":"hot@example.com","name":"Hot","score":80}`))
		got := s.requests()
		if res.Status != weft.StatusSuccess || len(got) != 1 || got[0].Path != "/hot-leads" {
			t.Fatalf("status %s requests %+v", res.Status, got)
		}
		b := jsonBody(t, got[0].Body)
		if b["email"] != "hot@example.com" || b["score"] != 80.0 || b["received"] != "2026-03-04T05:06:07+00:00" {
			t.Fatalf("body %v", b)
		}
		// Route 2 ran too: the variable is set.
		if res.Operations != 3 {
			t.Fatalf("operations %d, want 3 (trigger, HTTP, set variable; the router is free)", res.Operations)
		}
	})
	t.Run("cold lead skips the HTTP route", func(t *testing.T) {
		f := newFixture(t)
		s := newStandIn(t, nil)
		res := f.run(corpusPlan(t, f, "009-make-webhook-router-error-handler.json", s),
			bundle(`{"email":"cold@example.com","name":"Cold","score":10}`))
		if res.Status != weft.StatusSuccess || len(s.requests()) != 0 || res.Operations != 2 {
			t.Fatalf("status %s requests %d operations %d", res.Status, len(s.requests()), res.Operations)
		}
	})
	t.Run("API down: ignored by the handler", func(t *testing.T) {
		f := newFixture(t)
		s := newStandIn(t, map[string]answer{"/hot-leads": {500, `{}`}})
		res := f.run(corpusPlan(t, f, "009-make-webhook-router-error-handler.json", s),
			bundle(`{"email":"hot@example.com","name":"Hot","score":99}`))
		if res.Status != weft.StatusSuccess || len(res.Incomplete) != 0 || len(s.requests()) != 1 {
			t.Fatalf("status %s IEs %d", res.Status, len(res.Incomplete))
		}
	})
}

// 023 is a user's export: a webhook and a router with two legacy HTTP modules posting
// form data to IFTTT, split by whether the payload has an image, reposts filtered out
// with a case-insensitive regular expression.
func TestCorpus023RouterFormPosts(t *testing.T) {
	const key = "/with/key/mZrddwEydz004bgSJxxxx"
	for _, tc := range []struct {
		name    string
		payload string
		path    string
		form    string
	}{
		{"with image", `{"text":"hello","image":"https://img/x.png"}`, "/trigger/image_text_weibo" + key,
			"value1=hello&value2=https%3A%2F%2Fimg%2Fx.png"},
		{"text only", `{"text":"just words"}`, "/trigger/only_text_weibo" + key, "value1=just+words"},
		{"repost is dropped", `{"text":"REPOST of something"}`, "", ""},
		{"slashes are dropped", `{"text":"a // b"}`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			s := newStandIn(t, nil)
			res := f.run(corpusPlan(t, f, "023-integromat-empty-integration-router.json", s), bundle(tc.payload))
			got := s.requests()
			if res.Status != weft.StatusSuccess {
				t.Fatalf("status %s error %+v", res.Status, res.Error)
			}
			if tc.path == "" {
				if len(got) != 0 {
					t.Fatalf("requests %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Method != "POST" || got[0].Path != tc.path ||
				got[0].ContentType != "application/x-www-form-urlencoded" || got[0].Body != tc.form {
				t.Fatalf("requests %+v", got)
			}
		})
	}
}
