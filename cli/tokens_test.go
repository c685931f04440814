package cli_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestTokensCreateListRevoke(t *testing.T) {
	code, out, errOut := weft(t, "", "tokens", "create", "--name", "ci", "--scopes", "scenarios:read,executions:read")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !regexp.MustCompile(`^weft_[A-Z2-7]{52}$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^token [0-9a-f]{16} \(ci\), scopes scenarios:read, executions:read$`).MatchString(lines[1]) ||
		!strings.Contains(errOut, "cannot show it again") {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	code, out, _ = weft(t, "", "tokens", "create", "--name", "deploy", "--scopes", "admin", "--json")
	var created map[string]any
	if err := json.Unmarshal([]byte(out), &created); code != 0 || err != nil {
		t.Fatalf("create --json: %d %s", code, out)
	}
	if !strings.HasPrefix(created["token"].(string), "weft_") || created["name"] != "deploy" || created["revokedAt"] != nil {
		t.Fatalf("created %v", created)
	}
	id := created["id"].(string)
	if code, out, _ := weft(t, "", "tokens", "revoke", id); code != 0 || out != "token "+id+" revoked\n" {
		t.Fatalf("revoke: %d %q", code, out)
	}
	code, out, _ = weft(t, "", "tokens", "list", "--json")
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &page); code != 0 || err != nil || len(page.Items) != 2 {
		t.Fatalf("list --json: %d %s", code, out)
	}
	for _, tok := range page.Items {
		if _, leaked := tok["token"]; leaked || (tok["id"] == id) != (tok["revokedAt"] != nil) {
			t.Fatalf("listed %v", tok)
		}
	}
	code, out, _ = weft(t, "", "tokens", "list")
	if code != 0 || !strings.Contains(out, "ID  ") || !strings.Contains(out, "revoked ") || strings.Count(out, "\n") != 3 ||
		strings.Contains(out, "weft_") {
		t.Fatalf("list: %d\n%s", code, out)
	}
}

func TestTokensRefusals(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"tokens", "create", "--name", "x", "--scopes", "scenarios:read,everything"}, `--scopes: unknown scope "everything"`, 2},
		{[]string{"tokens", "create", "--scopes", "admin"}, `required flag(s) "name" not set`, 2},
		{[]string{"tokens", "create", "--name", " ", "--scopes", "admin"}, "--name: a token needs a name", 2},
		{[]string{"tokens", "revoke", "nope"}, "token nope", 1},
	} {
		code, _, errOut := weft(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: %d %q", tc.args, code, errOut)
		}
	}
}
