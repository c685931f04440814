package netpolicy_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/weftworks/weft/netpolicy"
)

// BenchmarkCheck decides one address under the server defaults, weft's listener and 20
// operator rules (the cost paid once per new connection; pooled ones pay nothing).
func BenchmarkCheck(b *testing.B) {
	p := netpolicy.Server()
	for i := range 10 {
		if err := p.Allow(fmt.Sprintf("10.%d.0.0/16", i), ""); err != nil {
			b.Fatal(err)
		}
		if err := p.Deny(fmt.Sprintf("api%d.example.com", i), ""); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.DenySelf("127.0.0.1:8080"); err != nil {
		b.Fatal(err)
	}
	addr := netip.MustParseAddrPort("93.184.216.34:443")
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Check("www.example.com", addr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDialLoopback opens and closes a TCP connection to 127.0.0.1 with and without
// the policy's check in the dialer.
func BenchmarkDialLoopback(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	allowed := netpolicy.Server()
	if err := allowed.Allow(ln.Addr().String(), ""); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    *netpolicy.Policy
	}{{"open", nil}, {"policy", allowed}} {
		b.Run(c.name, func(b *testing.B) {
			dial := c.p.Dialer(&net.Dialer{})
			b.ReportAllocs()
			for b.Loop() {
				conn, err := dial(context.Background(), "tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				conn.Close()
			}
		})
	}
}
