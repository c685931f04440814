package cli

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/service"
)

// intakeLimits are `weft serve`'s webhook intake bounds (docs/operations.md, "Webhook
// intake limits"): each a flag, with an environment variable read when the flag is not
// given.
type intakeLimits struct {
	maxPayload, queueBytes, decodeBytes byteSize
	queueLimit, maxDepth, maxMembers    int
	decodeWait                          time.Duration
}

// intakeFlag names one bound: its flag and its environment variable.
type intakeFlag struct{ flag, env string }

var intakeFlags = []intakeFlag{
	{"webhook-max-payload", "WEFT_WEBHOOK_MAX_PAYLOAD"},
	{"webhook-queue-limit", "WEFT_WEBHOOK_QUEUE_LIMIT"},
	{"webhook-queue-bytes", "WEFT_WEBHOOK_QUEUE_BYTES"},
	{"webhook-decode-bytes", "WEFT_WEBHOOK_DECODE_BYTES"},
	{"webhook-decode-wait", "WEFT_WEBHOOK_DECODE_WAIT"},
	{"webhook-max-depth", "WEFT_WEBHOOK_MAX_DEPTH"},
	{"webhook-max-members", "WEFT_WEBHOOK_MAX_MEMBERS"},
}

func addIntakeFlags(c *cobra.Command) *intakeLimits {
	l := &intakeLimits{maxPayload: 5 << 20, queueBytes: 64 << 20, decodeBytes: service.DefaultDecodeBytes}
	f := c.Flags()
	f.Var(&l.maxPayload, "webhook-max-payload", "largest webhook payload accepted (413 beyond); bytes, or with kB, MB, KiB, MiB, GiB ($WEFT_WEBHOOK_MAX_PAYLOAD)")
	f.IntVar(&l.queueLimit, "webhook-queue-limit", 10_000, "payloads one scenario may have in its queue (429 beyond) ($WEFT_WEBHOOK_QUEUE_LIMIT)")
	f.Var(&l.queueBytes, "webhook-queue-bytes", "bytes of payloads one scenario may have in its queue (429 beyond) ($WEFT_WEBHOOK_QUEUE_BYTES)")
	f.Var(&l.decodeBytes, "webhook-decode-bytes", "bytes of payloads decoded and run at once, webhooks and worker together ($WEFT_WEBHOOK_DECODE_BYTES)")
	f.DurationVar(&l.decodeWait, "webhook-decode-wait", 5*time.Second, "how long a webhook waits for room in the decode budget (429 after) ($WEFT_WEBHOOK_DECODE_WAIT)")
	f.IntVar(&l.maxDepth, "webhook-max-depth", 128, "deepest nesting of a JSON payload (413 beyond) ($WEFT_WEBHOOK_MAX_DEPTH)")
	f.IntVar(&l.maxMembers, "webhook-max-members", 1_000_000, "object members plus array elements of a JSON payload (413 beyond) ($WEFT_WEBHOOK_MAX_MEMBERS)")
	return l
}

// fromEnv reads the environment variable of every bound whose flag was not given (an
// empty one counts as unset), and
// checks every bound; an error names the flag or variable and the value.
func (l *intakeLimits) fromEnv(c *cobra.Command) error {
	f := c.Flags()
	for _, b := range intakeFlags {
		v := os.Getenv(b.env)
		if strings.TrimSpace(v) == "" || f.Changed(b.flag) {
			continue // unset or empty: the flag's value (or default) stands
		}
		if err := f.Set(b.flag, strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("$%s=%q: %w", b.env, v, err)
		}
	}
	for _, chk := range []struct {
		name string
		ok   bool
	}{
		{"--webhook-max-payload", l.maxPayload > 0},
		{"--webhook-queue-limit", l.queueLimit > 0},
		{"--webhook-queue-bytes", l.queueBytes > 0},
		{"--webhook-decode-bytes", l.decodeBytes > 0},
		{"--webhook-decode-wait", l.decodeWait > 0},
		{"--webhook-max-depth", l.maxDepth > 0},
		{"--webhook-max-members", l.maxMembers > 0},
	} {
		if !chk.ok {
			return fmt.Errorf("%s must be positive", chk.name)
		}
	}
	return nil
}

// apply sets the bounds on the server's configuration (the decode budget is the
// service's: serviceConfig).
func (l *intakeLimits) apply(c *server.Config) {
	c.MaxPayload, c.QueueLimit, c.QueueBytes = int64(l.maxPayload), l.queueLimit, int64(l.queueBytes)
	c.DecodeWait, c.MaxDepth, c.MaxMembers = l.decodeWait, l.maxDepth, l.maxMembers
}

func (l *intakeLimits) serviceConfig(c *service.Config) { c.DecodeBytes = int64(l.decodeBytes) }

// byteSize is a flag holding a number of bytes: 1048576, 64MiB, 5MB, 512kB.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }
func (b *byteSize) Type() string   { return "bytes" }

func (b *byteSize) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

func parseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	for _, u := range byteUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || f*mult > math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a size in bytes (e.g. 1048576, 64MiB, 5MB)", s)
	}
	return int64(f * mult), nil
}
