package declarative_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// Blueprint 344: responses of a form arrive on the scenario's hook. Typeform's webhook
// API as documented: PUT /forms/{id}/webhooks/{tag} {url, enabled, secret,
// verify_ssl}, DELETE to remove it; calls signed in Typeform-Signature as
// "sha256=" + base64(HMAC-SHA256(secret, body)).
func TestTypeformWatchResponses(t *testing.T) {
	s := newStandIn(t)
	var hooks []map[string]any
	s.fn = func(r *http.Request, body string) reply {
		if r.Header.Get("Authorization") != "Bearer tfp_token" {
			return reply{status: 401, body: `{"code":"AUTHENTICATION_FAILED","description":"Authentication credentials not found on the Request Headers"}`}
		}
		if !strings.HasPrefix(r.URL.Path, "/forms/AbARdjjl/webhooks/weft-") {
			return reply{status: 404, body: `{"code":"FORM_NOT_FOUND","description":"Non existing form with uid AbARdjjl"}`}
		}
		if r.Method == "PUT" {
			hooks = append(hooks, jsonBody(t, body))
			return ok(`{"id":"01H","form_id":"AbARdjjl","tag":"` + strings.TrimPrefix(r.URL.Path, "/forms/AbARdjjl/webhooks/") + `","enabled":true}`)
		}
		return reply{status: 204}
	}
	spec := shipped(t, "typeform", "TriggerNewEntry", s)
	if spec.Kind != app.KindTrigger || spec.Hook == nil || spec.Hook.Payload == nil || spec.Hook.Verify == nil {
		t.Fatalf("spec %+v", spec)
	}
	call := &app.HookCall{URL: "https://weft.example/hooks/tok1", Params: weft.Bundle{"formId": "AbARdjjl", "hookId": "", "__IMTCONN__": 1.0},
		Connection: func(any) (weft.Bundle, error) { return weft.Bundle{"accessToken": "tfp_token"}, nil },
		NewSecret:  func() (string, error) { return "s3cr3tvalue", nil }}
	state, err := spec.Hook.Register(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "PUT" || !strings.HasPrefix(g.Path, "/forms/AbARdjjl/webhooks/weft-") || len(g.Path) != len("/forms/AbARdjjl/webhooks/weft-")+16 {
		t.Fatalf("register %s %s", g.Method, g.Path)
	}
	sameJSON(t, "hook", hooks[0], `{"url":"https://weft.example/hooks/tok1","enabled":true,"secret":"s3cr3tvalue","verify_ssl":true}`)

	body := []byte(`{"event_id":"01HEV","event_type":"form_response","form_response":{"form_id":"AbARdjjl","token":"a3a12ec67a1365927098a606107fac15",
		"submitted_at":"2026-01-02T10:00:00Z","hidden":{"email":"ada@example.com"},"answers":[{"type":"text","text":"Lyon","field":{"id":"f1","type":"short_text"}}]}}`)
	sign := func(b []byte, secret string) *http.Request {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(b)
		req := httptest.NewRequest("POST", "/hooks/tok1", strings.NewReader(string(b)))
		req.Header.Set("Typeform-Signature", "sha256="+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		return req
	}
	if err := spec.Hook.Verify(context.Background(), call, sign(body, "s3cr3tvalue"), body, state); err != nil {
		t.Fatalf("a signed call: %v", err)
	}
	var ve *app.VerifyError
	if err := spec.Hook.Verify(context.Background(), call, sign(body, "other"), body, state); !errors.As(err, &ve) || ve.Status != 401 {
		t.Fatalf("a call signed with another secret: %v", err)
	}
	out, keep, err := spec.Hook.Payload(call, decode(t, string(body)))
	if err != nil || !keep {
		t.Fatalf("payload: keep %v err %v", keep, err)
	}
	// Blueprint 344 maps responseId, hidden.email and answers[].text.
	if out["responseId"] != "a3a12ec67a1365927098a606107fac15" || out["hidden"].(map[string]any)["email"] != "ada@example.com" ||
		out["answers"].([]any)[0].(map[string]any)["text"] != "Lyon" || out["eventId"] != "01HEV" {
		t.Fatalf("bundle %v", out)
	}
	if _, keep, err := spec.Hook.Payload(call, decode(t, `{"event_type":"form_partial_response"}`)); keep || err != nil {
		t.Fatalf("another event is kept: %v %v", keep, err)
	}
	if err := spec.Hook.Unregister(context.Background(), call, state); err != nil {
		t.Fatal(err)
	}
	if r := s.requests(); len(r) != 2 || r[1].Method != "DELETE" || r[1].Path != g.Path {
		t.Fatalf("unregister %+v", r)
	}
	// A form that does not exist refuses the activation.
	call.Params["formId"] = "nope"
	if _, err := spec.Hook.Register(context.Background(), call); err == nil || !strings.Contains(err.Error(), "Non existing form") {
		t.Fatalf("register on a missing form: %v", err)
	}
}
