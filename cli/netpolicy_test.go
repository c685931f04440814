package cli_test

import (
	"fmt"
	"strings"
	"testing"
)

// callScenario is a blueprint whose second module GETs url.
func callScenario(t *testing.T, url string) string {
	return writeFile(t, "call.json", fmt.Sprintf(`{"name":"calls","flow":[
		{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{},"mapper":{"url":"%s","method":"get"}}],
		"metadata":{"version":1,"scenario":{}}}`, url))
}

// TestRunOutboundPolicy: `weft run` on one's own machine reaches loopback (no server
// defaults); the environment's rules apply to it; a bad rule is a clear error.
func TestRunOutboundPolicy(t *testing.T) {
	p := newAPIPartner(t)
	file := callScenario(t, p.URL)
	code, out, errOut := weft(t, "", "run", file, "--input", `{}`, "--json")
	if code != 0 || !strings.Contains(out, `"status":"success"`) {
		t.Fatalf("open by default: exit %d %s %s", code, out, errOut)
	}

	t.Setenv("WEFT_NET_DENY", "loopback")
	code, out, _ = weft(t, "", "run", file, "--input", `{}`, "--json")
	if !strings.Contains(out, `"InvalidConfigurationError"`) ||
		!strings.Contains(out, "is denied by rule loopback (127.0.0.0/8, WEFT_NET_DENY); allow it with --net-allow") {
		t.Fatalf("WEFT_NET_DENY: exit %d %s", code, out)
	}
	t.Setenv("WEFT_NET_ALLOW", strings.TrimPrefix(p.URL, "http://"))
	code, out, _ = weft(t, "", "run", file, "--input", `{}`, "--json")
	if code != 0 || !strings.Contains(out, `"status":"success"`) {
		t.Fatalf("WEFT_NET_ALLOW: exit %d %s", code, out)
	}

	t.Setenv("WEFT_NET_ALLOW", "10.1.0.0/8")
	code, out, _ = weft(t, "", "run", file, "--input", `{}`, "--json")
	if code != 1 || !strings.Contains(out, `WEFT_NET_ALLOW \"10.1.0.0/8\": 10.1.0.0/8 has bits set beyond its /8 prefix (did you mean 10.0.0.0/8?)`) {
		t.Fatalf("bad rule: exit %d %s", code, out)
	}
}

// TestServeRejectsBadRules: serve and work refuse to start on a rule they cannot read.
func TestServeRejectsBadRules(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--net-allow", "bad host!"},
		{"work", "--net-deny", "10.0.0.0/99"},
	} {
		code, _, errOut := weft(t, "", args...)
		if code != 1 || !strings.HasPrefix(errOut, "weft: --net-") {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
}
