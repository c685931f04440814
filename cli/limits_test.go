package cli_test

import (
	"strings"
	"testing"
)

// routers is a webhook and two routers nested one in the other.
const routers = `{"name":"r","flow":[{"id":1,"module":"gateway:CustomWebHook"},
 {"id":2,"module":"builtin:BasicRouter","routes":[{"flow":[
  {"id":3,"module":"builtin:BasicRouter","routes":[{"flow":[{"id":4,"module":"util:SetVariable2","mapper":{"name":"x","value":"{{1.a}}"}}]}]}]}]}]}`

func TestLimitsFromTheEnvironment(t *testing.T) {
	file := writeFile(t, "routers.json", routers)
	if code, out, _ := weft(t, "", "validate", file); code != 0 {
		t.Fatalf("default limits: exit %d %s", code, out)
	}
	t.Setenv("WEFT_MAX_DEPTH", "1")
	code, out, _ := weft(t, "", "validate", file)
	if code != 1 || !strings.Contains(out, "/flow/1/routes/0/flow/0: routes, branches and error handler routes nest 2 levels deep at module 3: over the limit maxDepth of 1 level (server setting --max-depth / WEFT_MAX_DEPTH)") {
		t.Fatalf("WEFT_MAX_DEPTH=1: exit %d\n%s", code, out)
	}
	t.Setenv("WEFT_MAX_DEPTH", "deep")
	code, _, errOut := weft(t, "", "validate", file)
	if code != 1 || !strings.Contains(errOut, `WEFT_MAX_DEPTH: maxDepth: "deep" is not a positive whole number`) {
		t.Fatalf("bad variable: exit %d %s", code, errOut)
	}
	t.Setenv("WEFT_MAX_DEPTH", "")
	t.Setenv("WEFT_RUN_TIMEOUT", "soon")
	code, _, errOut = weft(t, "", "run", file)
	if code != 1 || !strings.Contains(errOut, `WEFT_RUN_TIMEOUT: runTimeout: "soon" is not a positive duration`) {
		t.Fatalf("bad variable for run: exit %d %s", code, errOut)
	}
}

func TestServeLimitFlagsAreChecked(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--max-operations", "lots", `invalid argument "lots" for "--max-operations" flag: maxOperations: "lots" is not a positive whole number`},
		{"--max-text-bytes", "16 parsecs", `"--max-text-bytes" flag: maxTextBytes: "16 parsecs" is not a positive number of bytes`},
		{"--regex-budget", "0s", `"--regex-budget" flag: regexBudget: must be positive`},
	} {
		code, _, errOut := weft(t, "", "serve", "--addr", "127.0.0.1:0", c.flag, c.value)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s %s: exit %d %s", c.flag, c.value, code, errOut)
		}
	}
}
