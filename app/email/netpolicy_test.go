package email

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/netpolicy"
)

// TestSendOutboundPolicy: the SMTP connection is opened through the policy; a refused
// server gets no connection and the module an InvalidConfigurationError naming the rule.
func TestSendOutboundPolicy(t *testing.T) {
	for _, mode := range []string{"none", "tls"} {
		t.Run(mode, func(t *testing.T) {
			ts := startSMTP(t, script{tls: mode})
			pol := netpolicy.Server()
			o := sendOpts()
			o.Net = pol
			mapper := weft.Bundle{"to": []any{"bob@example.org"}, "subject": "hi", "contentType": "text", "text": "hello"}
			addr := net.JoinHostPort(ts.host, strconv.Itoa(ts.port))
			_, err := send(t, context.Background(), o, ts.conn(), mapper)
			e := wantType(t, err, weft.InvalidConfigurationError)
			want := "SMTP connect to " + addr + ": outbound policy: " + addr + " is denied by rule loopback (127.0.0.0/8); allow it with --net-allow"
			if e.Message != want {
				t.Fatalf("message %q\nwant %q", e.Message, want)
			}
			if n := len(ts.messages()); n != 0 {
				t.Fatalf("%d messages delivered", n)
			}
			if err := pol.Allow(addr, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := send(t, context.Background(), o, ts.conn(), mapper); err != nil {
				t.Fatalf("allowed: %v", err)
			}
			if got := ts.messages(); len(got) != 1 || got[0].tls != (mode == "tls") {
				t.Fatalf("delivered %d messages", len(got))
			}
		})
	}
	// A name is resolved and checked too.
	ts := startSMTP(t, script{})
	c := ts.conn()
	c["host"] = "localhost"
	o := sendOpts()
	o.Net = netpolicy.Server()
	_, err := send(t, context.Background(), o, c, weft.Bundle{"to": []any{"bob@example.org"}, "text": "x", "contentType": "text"})
	if e := wantType(t, err, weft.InvalidConfigurationError); !strings.Contains(e.Message, "localhost (") || !strings.Contains(e.Message, "denied by rule loopback") {
		t.Fatalf("message %q", e.Message)
	}
}
