package cli_test

import (
	"strings"
	"testing"
)

// Bad intake bounds stop `weft serve` before it serves, naming the flag or variable.
func TestServeIntakeBoundsAreChecked(t *testing.T) {
	for _, c := range []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"--webhook-queue-bytes", "lots"}, `"lots" is not a size in bytes`},
		{"", []string{"--webhook-decode-bytes", "0"}, "--webhook-decode-bytes must be positive"},
		{"", []string{"--webhook-max-depth", "-1"}, "--webhook-max-depth must be positive"},
		{"", []string{"--webhook-decode-wait", "0s"}, "--webhook-decode-wait must be positive"},
		{"WEFT_WEBHOOK_MAX_PAYLOAD=5 parsecs", nil, `$WEFT_WEBHOOK_MAX_PAYLOAD="5 parsecs"`},
		{"WEFT_WEBHOOK_QUEUE_LIMIT=ten", nil, `$WEFT_WEBHOOK_QUEUE_LIMIT="ten"`},
		{"WEFT_WEBHOOK_MAX_MEMBERS=0", nil, "--webhook-max-members must be positive"},
	} {
		if c.env != "" {
			k, v, _ := strings.Cut(c.env, "=")
			t.Setenv(k, v)
		}
		code, _, errOut := weft(t, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s %v: exit %d, stderr %q; want %q", c.env, c.args, code, errOut, c.want)
		}
		if c.env != "" {
			k, _, _ := strings.Cut(c.env, "=")
			t.Setenv(k, "") // empty counts as unset for the next case
		}
	}
}
