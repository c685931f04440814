package declarative_test

import (
	"strings"
	"testing"
)

// The challenge section's definition errors: every key required, unknown keys refused,
// query read nowhere else.
func TestWebhookChallengeDefinition(t *testing.T) {
	const meta = `"condition": "{{query.` + "`hub.mode`" + ` = \"subscribe\"}}", "token": "{{query.` + "`hub.verify_token`" + `}}", "value": "{{parameters.token}}"`
	for _, tc := range []struct{ name, webhook, want string }{
		{"valid", `{"challenge": {` + meta + `, "answer": "{{query.` + "`hub.challenge`" + `}}"}}`, ""},
		{"no answer", `{"challenge": {` + meta + `}}`, `webhook/challenge/answer: required`},
		{"unknown key", `{"challenge": {` + meta + `, "answer": "x", "status": 200}}`, `webhook/challenge/status: unknown key`},
		{"a body root", `{"challenge": {` + meta + `, "answer": "{{body.x}}"}}`, "body"},
		{"query outside the challenge", `{"payload": {"output": "{{query.x}}"}}`, "query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadDef(`{"name": "w", "base": {"baseUrl": "https://w.test"}, "connection": {"type": "none"},
				"modules": {"Watch": {"parameters": [{"name": "token", "type": "text"}], "webhook": ` + tc.webhook + `}}}`)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid definition refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
