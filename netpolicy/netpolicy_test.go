package netpolicy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft/netpolicy"
)

// verdict checks one address and returns "" (allowed) or the deciding rule.
func verdict(t *testing.T, p *netpolicy.Policy, name, addr string) string {
	t.Helper()
	err := p.Check(name, netip.MustParseAddrPort(addr))
	if err == nil {
		return ""
	}
	var de *netpolicy.DeniedError
	if !errors.As(err, &de) {
		t.Fatalf("Check(%q, %s): %v is not a *DeniedError", name, addr, err)
	}
	return de.Rule
}

func mustAllow(t *testing.T, p *netpolicy.Policy, entries ...string) {
	t.Helper()
	for _, e := range entries {
		if err := p.Allow(e, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func mustDeny(t *testing.T, p *netpolicy.Policy, entries ...string) {
	t.Helper()
	for _, e := range entries {
		if err := p.Deny(e, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServerDefaults(t *testing.T) {
	p := netpolicy.Server()
	for _, c := range []struct{ addr, rule string }{
		{"127.0.0.1:8080", "loopback (127.0.0.0/8)"},
		{"127.1.2.3:80", "loopback (127.0.0.0/8)"},
		{"[::1]:80", "loopback (::1/128)"},
		{"[::ffff:127.0.0.1]:80", "loopback (127.0.0.0/8)"}, // IPv4-mapped
		{"[::ffff:169.254.169.254]:80", "metadata (169.254.169.254/32)"},
		{"169.254.169.254:80", "metadata (169.254.169.254/32)"},
		{"[fd00:ec2::254]:80", "metadata (fd00:ec2::254/128)"},
		{"100.100.100.200:80", "metadata (100.100.100.200/32)"},
		{"169.254.10.1:80", "link-local (169.254.0.0/16)"},
		{"[fe80::1%eth0]:80", "link-local (fe80::/10)"},
		{"0.0.0.0:80", "unspecified (0.0.0.0/8)"},
		{"[::]:80", "unspecified (::/128)"},
		{"[::ffff:0.0.0.0]:80", "unspecified (0.0.0.0/8)"},
		{"[64:ff9b::7f00:1]:80", "loopback (127.0.0.0/8)"}, // NAT64 of 127.0.0.1
		// Private ranges stay open: teams self-host weft to reach internal services.
		{"10.1.2.3:5432", ""},
		{"172.16.0.1:80", ""},
		{"192.168.1.10:443", ""},
		{"[fd12::1]:443", ""},
		{"93.184.216.34:443", ""},
		{"[2606:4700::1]:443", ""},
		{"[64:ff9b::808:808]:53", ""},
	} {
		if got := verdict(t, p, "", c.addr); got != c.rule {
			t.Errorf("%s: rule %q, want %q", c.addr, got, c.rule)
		}
	}
	err := p.Check("", netip.MustParseAddrPort("127.0.0.1:8080"))
	want := "outbound policy: 127.0.0.1:8080 is denied by rule loopback (127.0.0.0/8); allow it with --net-allow"
	if err == nil || err.Error() != want {
		t.Fatalf("message %v, want %q", err, want)
	}
	if err := p.Check("localhost", netip.MustParseAddrPort("127.0.0.1:9")); err == nil ||
		!strings.Contains(err.Error(), "localhost (127.0.0.1:9) is denied by rule loopback") {
		t.Fatalf("a name names what it resolved to: %v", err)
	}
}

func TestNilAndNewAllowEverything(t *testing.T) {
	var nilPolicy *netpolicy.Policy
	for _, p := range []*netpolicy.Policy{nilPolicy, netpolicy.New()} {
		for _, a := range []string{"127.0.0.1:80", "169.254.169.254:80", "[::1]:1"} {
			if got := verdict(t, p, "", a); got != "" {
				t.Errorf("%s denied by %s", a, got)
			}
		}
		if err := p.CheckUnix("/run/postgresql/.s.PGSQL.5432"); err != nil {
			t.Error(err)
		}
	}
}

func TestPorts(t *testing.T) {
	p := netpolicy.Server()
	mustAllow(t, p, "127.0.0.1:8080", "[::1]:9000")
	for _, c := range []struct{ addr, rule string }{
		{"127.0.0.1:8080", ""},
		{"[::ffff:127.0.0.1]:8080", ""},
		{"127.0.0.1:8081", "loopback (127.0.0.0/8)"},
		{"127.0.0.2:8080", "loopback (127.0.0.0/8)"},
		{"[::1]:9000", ""},
		{"[::1]:9001", "loopback (::1/128)"},
	} {
		if got := verdict(t, p, "", c.addr); got != c.rule {
			t.Errorf("%s: rule %q, want %q", c.addr, got, c.rule)
		}
	}
	// A port on a network, IPv4 and IPv6.
	q := netpolicy.New()
	mustDeny(t, q, "10.0.0.0/8:5432", "fd00::/8:5432")
	for _, c := range []struct{ addr, rule string }{
		{"10.9.9.9:5432", "10.0.0.0/8:5432 (--net-deny)"},
		{"10.9.9.9:5433", ""},
		{"[fd00::7]:5432", "fd00::/8:5432 (--net-deny)"},
		{"[fd00::7]:80", ""},
	} {
		if got := verdict(t, q, "", c.addr); got != c.rule {
			t.Errorf("%s: rule %q, want %q", c.addr, got, c.rule)
		}
	}
}

func TestMostSpecificRuleWins(t *testing.T) {
	p := netpolicy.Server()
	if err := p.Deny("private", "WEFT_NET_DENY"); err != nil {
		t.Fatal(err)
	}
	mustAllow(t, p, "10.1.0.0/16", "loopback")
	mustDeny(t, p, "10.1.2.3", "127.0.0.53")
	for _, c := range []struct{ addr, rule string }{
		{"10.2.0.1:80", "private (10.0.0.0/8, WEFT_NET_DENY)"},
		{"10.1.9.9:80", ""},                          // the /16 allow beats the /8 deny
		{"10.1.2.3:80", "10.1.2.3 (--net-deny)"},     // the /32 deny beats the /16 allow
		{"127.0.0.1:80", ""},                         // the operator's allow beats the default at equal specificity
		{"127.0.0.53:53", "127.0.0.53 (--net-deny)"}, //
		{"[fd00::1]:80", "private (fc00::/7, WEFT_NET_DENY)"},
		{"169.254.169.254:80", "metadata (169.254.169.254/32)"}, // allowing loopback opens nothing else
	} {
		if got := verdict(t, p, "", c.addr); got != c.rule {
			t.Errorf("%s: rule %q, want %q", c.addr, got, c.rule)
		}
	}
	// The same network allowed and denied by the operator: deny wins.
	q := netpolicy.New()
	mustAllow(t, q, "192.168.0.0/16")
	mustDeny(t, q, "192.168.0.0/16")
	if got := verdict(t, q, "", "192.168.1.1:80"); got != "192.168.0.0/16 (--net-deny)" {
		t.Errorf("tie: %q", got)
	}
	// Allowing a network with a port beats denying it without one.
	r := netpolicy.Server()
	mustAllow(t, r, "127.0.0.0/8:6379")
	if got := verdict(t, r, "", "127.0.0.9:6379"); got != "" {
		t.Errorf("port rule: %q", got)
	}
}

func TestHostRules(t *testing.T) {
	p := netpolicy.Server()
	mustDeny(t, p, "all", "*.corp.example")
	mustAllow(t, p, "api.example.com", "localhost:8080", "build.corp.example")
	for _, c := range []struct{ name, addr, rule string }{
		// A host rule decides whatever the name resolves to: the operator trusts it.
		{"api.example.com", "93.184.216.34:443", ""},
		{"API.Example.com.", "127.0.0.1:443", ""},
		{"localhost", "127.0.0.1:8080", ""},
		{"localhost", "127.0.0.1:8081", "loopback (127.0.0.0/8)"},
		{"other.example.com", "93.184.216.34:443", "all (0.0.0.0/0, --net-deny)"},
		{"", "93.184.216.34:443", "all (0.0.0.0/0, --net-deny)"},
		{"", "[2606:4700::1]:443", "all (::/0, --net-deny)"},
		{"wiki.corp.example", "10.0.0.8:443", "*.corp.example (--net-deny)"},
		{"build.corp.example", "10.0.0.9:443", ""}, // an exact name beats a wildcard
		{"corp.example", "10.0.0.10:443", "all (0.0.0.0/0, --net-deny)"},
		{"", "127.0.0.1:8080", "loopback (127.0.0.0/8)"}, // the address alone is not the name
	} {
		if got := verdict(t, p, c.name, c.addr); got != c.rule {
			t.Errorf("%s at %s: rule %q, want %q", c.name, c.addr, got, c.rule)
		}
	}
	// A denied name is refused whatever it resolves to.
	q := netpolicy.New()
	mustDeny(t, q, "metadata.google.internal")
	if got := verdict(t, q, "metadata.google.internal", "8.8.8.8:80"); got != "metadata.google.internal (--net-deny)" {
		t.Errorf("denied name: %q", got)
	}
}

func TestMappedEntries(t *testing.T) {
	p := netpolicy.Server()
	mustAllow(t, p, "::ffff:127.0.0.1", "::ffff:169.254.0.0/112")
	if got := verdict(t, p, "", "127.0.0.1:80"); got != "" {
		t.Errorf("mapped allow of 127.0.0.1: %q", got)
	}
	if got := verdict(t, p, "", "169.254.3.4:80"); got != "" {
		t.Errorf("mapped network allow: %q", got)
	}
}

func TestSelf(t *testing.T) {
	p := netpolicy.Server()
	mustAllow(t, p, "127.0.0.1", "loopback")
	if err := p.DenySelf("127.0.0.1:9000"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ addr, rule string }{
		{"127.0.0.1:9000", "self (127.0.0.1:9000)"}, // a port on one address beats allowing the address
		{"127.0.0.1:9001", ""},
		{"0.0.0.0:9000", "self (0.0.0.0:9000)"},
	} {
		if got := verdict(t, p, "", c.addr); got != c.rule {
			t.Errorf("%s: rule %q, want %q", c.addr, got, c.rule)
		}
	}
	mustAllow(t, p, "127.0.0.1:9000")
	if got := verdict(t, p, "", "127.0.0.1:9000"); got != "" {
		t.Errorf("the operator's address and port beat self: %q", got)
	}

	// A listener on every address: every address of the machine, at that port.
	q := netpolicy.Server()
	mustAllow(t, q, "private", "loopback")
	if err := q.DenySelf("[::]:7777"); err != nil {
		t.Fatal(err)
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		pfx := netip.MustParsePrefix(a.String())
		ap := netip.AddrPortFrom(pfx.Addr(), 7777).String()
		if got := verdict(t, q, "", ap); !strings.HasPrefix(got, "self (") {
			t.Errorf("%s: rule %q, want self", ap, got)
		}
	}
	if got := verdict(t, q, "", "127.0.0.1:7778"); got != "" {
		t.Errorf("another port: %q", got)
	}

	// Allowing self, before or after the listener is known.
	for _, order := range []string{"before", "after"} {
		r := netpolicy.Server()
		mustAllow(t, r, "127.0.0.1")
		if order == "before" {
			mustAllow(t, r, "self")
		}
		if err := r.DenySelf("127.0.0.1:9000"); err != nil {
			t.Fatal(err)
		}
		if order == "after" {
			mustAllow(t, r, "self")
		}
		if got := verdict(t, r, "", "127.0.0.1:9000"); got != "" {
			t.Errorf("self allowed %s: %q", order, got)
		}
	}
	// An open policy (weft run) has no listeners to protect.
	o := netpolicy.New()
	if err := o.DenySelf("127.0.0.1:9000"); err != nil {
		t.Fatal(err)
	}
	if got := verdict(t, o, "", "127.0.0.1:9000"); got != "" {
		t.Errorf("open policy: %q", got)
	}
	if err := netpolicy.Server().DenySelf("nonsense"); err == nil {
		t.Error("a bad listener address is accepted")
	}
}

func TestUnixSockets(t *testing.T) {
	p := netpolicy.Server()
	if err := p.CheckUnix("/tmp/x.sock"); err == nil ||
		err.Error() != "outbound policy: unix socket /tmp/x.sock is denied by rule unix (every Unix socket); allow it with --net-allow" {
		t.Fatalf("default: %v", err)
	}
	mustAllow(t, p, "unix:/run/postgresql")
	if err := p.CheckUnix("/run/postgresql/.s.PGSQL.5432"); err != nil {
		t.Error(err)
	}
	if err := p.CheckUnix("/run/postgresqlx/.s.PGSQL.5432"); err == nil {
		t.Error("a sibling folder with a longer name is allowed")
	}
	mustDeny(t, p, "unix:/run/postgresql/.s.PGSQL.5433")
	if err := p.CheckUnix("/run/postgresql/.s.PGSQL.5433"); err == nil {
		t.Error("a denied socket inside an allowed folder is allowed")
	}
	q := netpolicy.Server()
	mustAllow(t, q, "unix")
	if err := q.CheckUnix("/tmp/x.sock"); err != nil {
		t.Error(err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ entry, want string }{
		{"", "empty entry"},
		{"10.1.0.0/8", "did you mean 10.0.0.0/8?"},
		{"10.0.0.0/33", "not a prefix length"},
		{"300.1.1.1/8", "not an IP address"},
		{"::ffff:0:0/64", "did you mean ::/64?"},
		{"127.0.0.1:0", "port 0"},
		{"host:99999", "not a port"},
		{"10.0.0.0/8:http", "not a port"},
		{"bad host!", "not an address, network"},
		{"exa_mple..com", "not a host name"},
		{"unix:run/pg", "absolute path"},
		{"http://example.com", "a URL is not an entry"},
	} {
		err := netpolicy.New().Allow(c.entry, "WEFT_NET_ALLOW")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "WEFT_NET_ALLOW ") {
			t.Errorf("%q: %v, want …%s…", c.entry, err, c.want)
		}
	}
	if got := netpolicy.Parse(" 127.0.0.1, ,localhost:80,"); fmt.Sprint(got) != "[127.0.0.1 localhost:80]" {
		t.Errorf("Parse: %q", got)
	}
}

// TestDialer dials real listeners on 127.0.0.1: a refusal happens before the connect
// (in the dialer's Control hook, on the resolved address), so nothing reaches the
// listener.
func TestDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx := context.Background()

	p := netpolicy.Server()
	dial := p.Dialer(&net.Dialer{})
	for _, addr := range []string{ln.Addr().String(), "localhost:" + port} {
		_, err := dial(ctx, "tcp", addr)
		var de *netpolicy.DeniedError
		if !errors.As(err, &de) || !strings.Contains(de.Rule, "loopback") {
			t.Fatalf("%s: %v", addr, err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "dial" {
			t.Fatalf("%s: the refusal is not a dial error: %T", addr, err)
		}
	}
	mustAllow(t, p, "localhost:"+port)
	c, err := dial(ctx, "tcp", "localhost:"+port)
	if err != nil {
		t.Fatalf("an allowed name: %v", err)
	}
	c.Close()
	<-accepted
	if _, err := dial(ctx, "tcp", ln.Addr().String()); err == nil {
		t.Fatal("allowing the name localhost allowed the address too")
	}
	mustAllow(t, p, ln.Addr().String())
	c, err = dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("an allowed address and port: %v", err)
	}
	c.Close()
	<-accepted
	mustDeny(t, p, "localhost:"+port) // equal to the allow: deny wins
	if _, err := dial(ctx, "tcp", "localhost:"+port); err == nil ||
		!strings.Contains(err.Error(), "localhost:"+port+" is denied by rule localhost:"+port+" (--net-deny)") {
		t.Fatalf("a denied name is refused before DNS: %v", err)
	}
	select {
	case <-accepted:
		t.Fatal("a refused dial reached the listener")
	default:
	}
	// Unix sockets.
	sock := t.TempDir() + "/s"
	ul, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	if _, err := dial(ctx, "unix", sock); err == nil || !strings.Contains(err.Error(), "unix socket "+sock) {
		t.Fatalf("unix: %v", err)
	}
	mustAllow(t, p, "unix:"+sock)
	c, err = dial(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestProxyTarget: with a proxy, the dial reaches only the proxy, so the target is
// checked before the request is handed over.
func TestProxyTarget(t *testing.T) {
	var proxied sync.Map
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Store(r.URL.String(), true)
		io.WriteString(w, "via proxy")
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	p := netpolicy.Server()
	mustAllow(t, p, pu.Host) // the operator's proxy, on loopback here
	tr := &http.Transport{Proxy: http.ProxyURL(pu)}
	p.Guard(tr, &net.Dialer{})
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: p.RoundTripper(tr)}
	for _, target := range []string{"http://127.0.0.2:9/x", "http://localhost:9/y", "http://169.254.169.254/latest/meta-data/"} {
		_, err := client.Get(target)
		var de *netpolicy.DeniedError
		if !errors.As(err, &de) {
			t.Fatalf("%s through the proxy: %v", target, err)
		}
		if _, seen := proxied.Load(target); seen {
			t.Fatalf("%s reached the proxy", target)
		}
	}
	mustAllow(t, p, "127.0.0.2:9")
	res, err := client.Get("http://127.0.0.2:9/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if _, seen := proxied.Load("http://127.0.0.2:9/x"); !seen {
		t.Fatal("an allowed target did not go through the proxy")
	}
}

// TestAllowURL: an exact URL on a denied address is reachable, nothing else on that
// address is, not even over a connection the allowed request opened.
func TestAllowURL(t *testing.T) {
	var closes sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		closes.Store(r.URL.Path, r.Close)
		if r.URL.Path == "/demo/partner/../../api" {
			http.Redirect(w, r, "/api", http.StatusFound)
			return
		}
		io.WriteString(w, "ok "+r.URL.Path)
	}))
	defer srv.Close()
	p := netpolicy.Server()
	tr := &http.Transport{}
	p.Guard(tr, &net.Dialer{})
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: p.RoundTripper(tr)}
	if _, err := client.Get(srv.URL + "/demo/partner"); err == nil {
		t.Fatal("reached before it was allowed")
	}
	// Allowed after the client was built (weft serve knows its address only then).
	if err := p.AllowURL(srv.URL + "/demo/partner"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		res, err := client.Post(srv.URL+"/demo/partner?order=7", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatalf("the allowed URL: %v", err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(b) != "ok /demo/partner" {
			t.Fatalf("allowed URL answered %q", b)
		}
		if c, _ := closes.Load("/demo/partner"); c != true {
			t.Fatal("the allowed request's connection is kept for reuse")
		}
		for _, other := range []string{srv.URL + "/api", srv.URL + "/demo/partner/x", srv.URL + "/demo/partnerx"} {
			_, err := client.Get(other)
			var de *netpolicy.DeniedError
			if !errors.As(err, &de) {
				t.Fatalf("%s: %v", other, err)
			}
		}
	}
	if err := p.AllowURL("/relative"); err == nil {
		t.Fatal("a relative URL is accepted")
	}
}

// TestConcurrentUse adds listeners while connections are checked (run with -race).
func TestConcurrentUse(t *testing.T) {
	p := netpolicy.Server()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 50 {
				_ = p.DenySelf(fmt.Sprintf("10.0.%d.%d:80", i, j))
			}
		}()
		go func() {
			defer wg.Done()
			for range 200 {
				_ = p.Check("", netip.MustParseAddrPort("10.0.0.1:80"))
			}
		}()
	}
	wg.Wait()
	if got := verdict(t, p, "", "10.0.3.49:80"); got != "self (10.0.3.49:80)" {
		t.Fatalf("after concurrent adds: %q", got)
	}
}

func TestDescribe(t *testing.T) {
	p := netpolicy.Server()
	mustAllow(t, p, "127.0.0.1:8080")
	if err := p.Deny("private", "WEFT_NET_DENY"); err != nil {
		t.Fatal(err)
	}
	if err := p.DenySelf("127.0.0.1:9000"); err != nil {
		t.Fatal(err)
	}
	if err := p.AllowURL("http://127.0.0.1:9000/demo/flaky-partner"); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.Describe(), "\n")
	want := strings.Join([]string{
		"deny loopback (127.0.0.0/8, ::1/128)",
		"deny link-local (169.254.0.0/16, fe80::/10)",
		"deny unspecified (0.0.0.0/8, ::/128)",
		"deny metadata (169.254.169.254/32, fd00:ec2::254/128, 100.100.100.200/32)",
		"deny unix (every Unix socket)",
		"deny private (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7, WEFT_NET_DENY)",
		"deny self (127.0.0.1:9000, 0.0.0.0:9000, [::]:9000)",
		"allow 127.0.0.1:8080 (--net-allow)",
		"allow exactly http://127.0.0.1:9000/demo/flaky-partner",
	}, "\n")
	if got != want {
		t.Fatalf("Describe:\n%s\nwant\n%s", got, want)
	}
}

func TestClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	var open *netpolicy.Policy
	res, err := open.Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatalf("nil policy: %v", err)
	}
	res.Body.Close()
	p := netpolicy.Server()
	_, err = p.Client(5 * time.Second).Get(srv.URL)
	var de *netpolicy.DeniedError
	if !errors.As(err, &de) || !strings.Contains(de.Rule, "loopback") {
		t.Fatalf("server policy: %v", err)
	}
}
