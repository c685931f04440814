package engine_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/value"
)

// 035 is a user's export: a webhook gets two Apps Script project ids, reads the source
// project's content with an OAuth 2 GET (http:ActionSendDataOAuth, "Evaluate all states
// as errors" off) and PUTs it into the destination project. Routers with status
// filters answer the webhook ("Updated Script." / "Script Update Failed" / "This is a
// template update."), report failures to another Make webhook, and a last route answers
// 401 "Not Success" when no route set the roundtrip variable "Response Sent". A third,
// disabled route of the first router would call a Make webhook (the author's test call).

const (
	src035 = "SRC-project"
	dst035 = "DST-project"
	// The ids the blueprint uses for a template update.
	tplSrc035 = "1bpvUvzOKbBHFkuzMARbzvCYGApNBBSHUaHMA9yfMIrhyc3yDLBkqpMf9"
	tplDst035 = "1UYxaicpe0ICA2XUND2JwLTMxYd9GhHBU8OoKDaT-WIESYohzcM0-7Vng"
	// Paths of the two Make webhooks 035 calls.
	errorHook035 = "/k79frh2qdwix26jcj48edrt6654lixuv"
	testHook035  = "/ipgii1iz17aa0ayjbmfgmreyea5i3zu6"
	// The script content the stand-in serves, exactly as the PUT must carry it on.
	content035 = `{"scriptId":"SRC-project","files":[{"name":"Code","type":"SERVER_JS","source":"function main() {}"}]}`
)

// hit is one request a 035 stand-in received.
type hit struct {
	Method, Path, Query, Auth, ContentType, Body string
	Idem                                         string // Idempotency-Key
}

// server035 is a stand-in that records every request with its query, Authorization
// header and body, and answers "METHOD /path" with the configured answers in turn (the
// last one repeats); anything else gets 200 {"ok":true}.
type server035 struct {
	*httptest.Server
	mu      sync.Mutex
	got     []hit
	answers map[string][]answer
}

func newServer035(t *testing.T, answers map[string][]answer) *server035 {
	s := &server035{answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, hit{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"),
			r.Header.Get("Content-Type"), string(body), r.Header.Get("Idempotency-Key")})
		a := answer{200, `{"ok":true}`}
		if list := s.answers[r.Method+" "+r.URL.Path]; len(list) > 0 {
			a = list[0]
			if len(list) > 1 {
				s.answers[r.Method+" "+r.URL.Path] = list[1:]
			}
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server035) hits() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hit(nil), s.got...)
}

// run035 runs 035 once for payload with the Google account (connection 33477 in the
// export) given as conn; the Apps Script API and Make's webhooks are api.
func run035(t *testing.T, api *server035, conn weft.Bundle, payload string) *engine.Result {
	t.Helper()
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: reg, Clock: func() time.Time { return now },
		NewID: func() string { return "exec-35" },
		Connections: func(ref any) (weft.Bundle, error) {
			if value.Text(ref) != "33477" {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %v does not exist", ref)
			}
			return conn, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(corpus.Path("035-dsm-update-apps-script.json"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, host := range []string{"https://script.googleapis.com", "https://hook.eu1.make.com"} {
		if !strings.Contains(text, host) {
			t.Fatalf("035 no longer calls %s", host)
		}
		text = strings.ReplaceAll(text, host, api.URL)
	}
	bp, err := blueprint.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{{bundle(payload)}},
		Scenario: engine.ScenarioInfo{ID: "35", Name: "DSM update", URL: "https://weft.test/scenarios/35"}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// ran lists the modules that handled a bundle, in order.
func ran(res *engine.Result) []int {
	var ids []int
	for _, e := range res.Log {
		ids = append(ids, e.ModuleID)
	}
	return ids
}

// connection035 is a Google account with a refresh token, renewed at tokens.
func connection035(tokens *server035) weft.Bundle {
	return weft.Bundle{"tokenUrl": tokens.URL + "/token", "clientId": "weft-client", "clientSecret": "s3cret",
		"refreshToken": "refresh-1"}
}

func tokenAnswer(tok string) answer {
	return answer{200, `{"access_token":"` + tok + `","token_type":"Bearer","expires_in":3600}`}
}

const payload035 = `{"sourceUpdatedScriptId":"` + src035 + `","toUpdateScriptId":"` + dst035 + `"}`

func contentPath(id string) string { return "/v1/projects/" + id + "/content" }

// checkAPICall checks one Apps Script request: method, path, the blueprint's API key in
// the query and the OAuth access token.
func checkAPICall(t *testing.T, h hit, method, path, token string) {
	t.Helper()
	if h.Method != method || h.Path != path || h.Query != "key=YOUR_API_KEY_HERE" || h.Auth != "Bearer "+token {
		t.Fatalf("request %+v, want %s %s?key=YOUR_API_KEY_HERE with Bearer %s", h, method, path, token)
	}
}

// checkErrorReport checks the POST Make's error webhook receives (modules 11 and 21):
// the status and data of the GET (module 3, in both: the author reports module 3 even
// when the PUT failed) and the scenario's name, URL and execution id.
func checkErrorReport(t *testing.T, h hit, status, data string) {
	t.Helper()
	if h.Method != "POST" || h.Path != errorHook035 || h.Auth != "" || h.Body != "" {
		t.Fatalf("error report %+v", h)
	}
	q, err := url.ParseQuery(h.Query)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"error": {"Get Contents of the Script\n\n" + status + "\n" + data + "\n"},
		"script": {"DSM update"}, "script_url": {"https://weft.test/scenarios/35"},
		"executionId": {"exec-35"}, "action_url": {""}}
	if mustJSON(q) != mustJSON(want) {
		t.Fatalf("error report query %q\nwant %q", q, want)
	}
}

func checkResponse(t *testing.T, res *engine.Result, status int, body string) {
	t.Helper()
	if r := res.Response; r == nil || r.Status != status || r.Body != body || len(r.Headers) != 0 {
		t.Fatalf("response %+v, want %d %q", res.Response, status, body)
	}
}

func checkRan(t *testing.T, res *engine.Result, want []int, ops int) {
	t.Helper()
	if got := ran(res); mustJSON(got) != mustJSON(want) || res.Operations != ops {
		t.Fatalf("modules %v operations %d, want %v and %d", got, res.Operations, want, ops)
	}
}

func TestCorpus035UpdatesScript(t *testing.T) {
	t.Run("ids given, token from the refresh token", func(t *testing.T) {
		api := newServer035(t, map[string][]answer{"GET " + contentPath(src035): {{200, content035}}})
		tokens := newServer035(t, map[string][]answer{"POST /token": {tokenAnswer("tok-1")}})
		res := run035(t, api, connection035(tokens), payload035)
		if res.Status != weft.StatusSuccess || res.Error != nil {
			t.Fatalf("status %s error %+v", res.Status, res.Error)
		}
		// One token request serves both calls; the client authenticates with HTTP Basic.
		tok := tokens.hits()
		if len(tok) != 1 || tok[0].Path != "/token" || tok[0].Auth != "Basic d2VmdC1jbGllbnQ6czNjcmV0" ||
			tok[0].Body != "grant_type=refresh_token&refresh_token=refresh-1" {
			t.Fatalf("token requests %+v", tok)
		}
		got := api.hits()
		if len(got) != 2 {
			t.Fatalf("requests %+v, want the GET and the PUT (the disabled test route calls nothing)", got)
		}
		checkAPICall(t, got[0], "GET", contentPath(src035), "tok-1")
		checkAPICall(t, got[1], "PUT", contentPath(dst035), "tok-1")
		if got[1].ContentType != "application/json" || got[1].Body != content035 {
			t.Fatalf("PUT %s %q, want the GET's content unchanged", got[1].ContentType, got[1].Body)
		}
		checkResponse(t, res, 200, "Updated Script.")
		// 32 ("Response Not Sent") is filtered out: 27 set the roundtrip variable 31 reads.
		checkRan(t, res, []int{1, 2, 3, 4, 8, 27, 31}, 7)
	})
	t.Run("template update with a live access token", func(t *testing.T) {
		api := newServer035(t, nil)
		res := run035(t, api, weft.Bundle{"accessToken": "live", "expiresAt": "2026-03-04T06:00:00Z"},
			`{"isTemplateUpdate":true}`)
		got := api.hits()
		if res.Status != weft.StatusSuccess || len(got) != 2 {
			t.Fatalf("status %s requests %+v", res.Status, got)
		}
		checkAPICall(t, got[0], "GET", contentPath(tplSrc035), "live")
		checkAPICall(t, got[1], "PUT", contentPath(tplDst035), "live")
		if got[1].Body != `{"ok":true}` {
			t.Fatalf("PUT body %q", got[1].Body)
		}
		// The "Template Update" route runs after the update and answers 400 too; the
		// caller already has the first response.
		checkResponse(t, res, 200, "Updated Script.")
		checkRan(t, res, []int{1, 2, 3, 4, 8, 27, 26, 30, 31}, 9)
	})
}

func TestCorpus035MissingIdsAnswerNotSuccess(t *testing.T) {
	for _, payload := range []string{
		`{}`,
		`{"sourceUpdatedScriptId":"` + src035 + `"}`,
		`{"sourceUpdatedScriptId":"` + src035 + `","toUpdateScriptId":""}`,
		`{"toUpdateScriptId":"` + dst035 + `","isTemplateUpdate":false}`,
	} {
		t.Run(payload, func(t *testing.T) {
			api := newServer035(t, nil)
			res := run035(t, api, weft.Bundle{"accessToken": "live"}, payload)
			if res.Status != weft.StatusSuccess || len(api.hits()) != 0 {
				t.Fatalf("status %s requests %+v", res.Status, api.hits())
			}
			checkResponse(t, res, 401, "Not Success")
			checkRan(t, res, []int{1, 2, 31, 32}, 4)
		})
	}
}

// The HTTP modules have "Evaluate all states as errors" off: error statuses are outputs
// the routers' status filters send to the report-and-answer-400 routes.
func TestCorpus035ServiceRefusals(t *testing.T) {
	const notFound = `{"error":{"code":404,"message":"Requested entity was not found."}}`
	t.Run("source script not found", func(t *testing.T) {
		api := newServer035(t, map[string][]answer{"GET " + contentPath(src035): {{404, notFound}}})
		res := run035(t, api, weft.Bundle{"accessToken": "live"}, payload035)
		got := api.hits()
		if res.Status != weft.StatusSuccess || len(got) != 2 {
			t.Fatalf("status %s requests %+v", res.Status, got)
		}
		checkAPICall(t, got[0], "GET", contentPath(src035), "live")
		checkErrorReport(t, got[1], "404", notFound)
		checkResponse(t, res, 400, "Script Update Failed")
		checkRan(t, res, []int{1, 2, 3, 11, 18, 29, 31}, 7)
	})
	t.Run("PUT fails with 500", func(t *testing.T) {
		api := newServer035(t, map[string][]answer{"GET " + contentPath(src035): {{200, content035}},
			"PUT " + contentPath(dst035): {{500, `{"error":{"code":500}}`}}})
		res := run035(t, api, weft.Bundle{"accessToken": "live"}, payload035)
		got := api.hits()
		if res.Status != weft.StatusSuccess || len(got) != 3 {
			t.Fatalf("status %s requests %+v", res.Status, got)
		}
		checkAPICall(t, got[1], "PUT", contentPath(dst035), "live")
		checkErrorReport(t, got[2], "200", content035)
		checkResponse(t, res, 400, "Script Update Failed")
		checkRan(t, res, []int{1, 2, 3, 4, 21, 22, 28, 31}, 8)
	})
	t.Run("PUT refuses the token twice", func(t *testing.T) {
		api := newServer035(t, map[string][]answer{"GET " + contentPath(src035): {{200, content035}},
			"PUT " + contentPath(dst035): {{401, `{"error":{"code":401,"status":"UNAUTHENTICATED"}}`}}})
		tokens := newServer035(t, map[string][]answer{"POST /token": {tokenAnswer("tok-1"), tokenAnswer("tok-2")}})
		res := run035(t, api, connection035(tokens), payload035)
		got := api.hits()
		if res.Status != weft.StatusSuccess || len(got) != 4 || len(tokens.hits()) != 2 {
			t.Fatalf("status %s requests %+v token requests %d", res.Status, got, len(tokens.hits()))
		}
		// The 401 gets one more attempt with a renewed token, then counts as the answer.
		checkAPICall(t, got[0], "GET", contentPath(src035), "tok-1")
		checkAPICall(t, got[1], "PUT", contentPath(dst035), "tok-1")
		checkAPICall(t, got[2], "PUT", contentPath(dst035), "tok-2")
		if got[2].Body != content035 || got[2].Idem == "" || got[2].Idem != got[1].Idem || got[0].Idem != "" {
			t.Fatalf("retried PUT %+v after %+v", got[2], got[1])
		}
		checkErrorReport(t, got[3], "200", content035)
		checkResponse(t, res, 400, "Script Update Failed")
		checkRan(t, res, []int{1, 2, 3, 4, 21, 22, 28, 31}, 8)
	})
}

// A revoked refresh token fails the GET with InvalidAccessTokenError. 035 has no error
// handler and stores no incomplete executions (dlq false): the run fails and rolls
// back, and no route answers the webhook.
func TestCorpus035RevokedTokenFailsTheRun(t *testing.T) {
	tokens := newServer035(t, map[string][]answer{"POST /token": {{400,
		`{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`}}})
	api := newServer035(t, nil)
	res := run035(t, api, connection035(tokens), payload035)
	want := &engine.RunError{Type: weft.InvalidAccessTokenError, ModuleID: 3,
		Message: "parameters.account: connection 33477: the token endpoint refused the refresh token [400 Bad Request]: invalid_grant: Token has been expired or revoked."}
	if res.Status != weft.StatusError || res.Error == nil || *res.Error != *want {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	if len(res.Incomplete) != 0 || res.Committed || res.Response != nil {
		t.Fatalf("IEs %d committed %v response %+v", len(res.Incomplete), res.Committed, res.Response)
	}
	if len(api.hits()) != 0 || len(tokens.hits()) != 1 {
		t.Fatalf("API requests %+v token requests %+v", api.hits(), tokens.hits())
	}
	checkRan(t, res, []int{1, 2, 3}, 3)
}
