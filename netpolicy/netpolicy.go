// Package netpolicy decides which network addresses weft's modules may open connections
// to: the outbound policy of a server others use (docs/operations.md, "Outbound network
// policy").
//
// A Policy holds allow and deny rules on networks (CIDR), single addresses, host names
// and Unix sockets, each optionally limited to a port. It is enforced when a connection
// is opened, on the address actually being connected to (after DNS resolution, in the
// dialer's Control hook), so a name that resolves to an allowed address for a check and
// to a denied one for the connection (DNS rebinding) gains nothing, and every redirect
// hop is checked because it dials too. The most specific matching rule decides (see
// Check); an address no rule matches is allowed.
//
// A nil *Policy allows everything: libraries and tests that never set one keep working
// as before. It depends on the standard library only, so every app can use it.
package netpolicy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// DeniedError is a connection the policy refused. It names what was refused and the rule
// that refused it, so an operator knows what to allow.
type DeniedError struct {
	// Target is what the connection went to: "127.0.0.1:8080", "name (10.0.0.1:443)"
	// when a host name was resolved, or "unix socket /path".
	Target string
	// Rule names the deciding rule: "loopback (127.0.0.0/8)", "10.0.0.0/8 (--net-deny)".
	Rule string
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("outbound policy: %s is denied by rule %s; allow it with --net-allow", e.Target, e.Rule)
}

// Group names that an entry may use in place of addresses. The server defaults deny
// every group but private and all.
var groups = map[string][]string{
	"loopback":    {"127.0.0.0/8", "::1/128"},
	"link-local":  {"169.254.0.0/16", "fe80::/10"},
	"unspecified": {"0.0.0.0/8", "::/128"},
	// Cloud instance metadata services: 169.254.169.254 (AWS, GCP, Azure, Oracle…; also
	// inside link-local), AWS's IPv6 endpoint (inside fc00::/7, which private allows)
	// and Alibaba Cloud's 100.100.100.200.
	"metadata": {"169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32"},
	"private":  {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"},
	"all":      {"0.0.0.0/0", "::/0"},
}

// ServerDefaults are the groups a server's policy denies unless the operator allows them
// (Server): loopback, link-local, unspecified, cloud metadata and Unix sockets; weft's
// own listeners are added with DenySelf.
var ServerDefaults = []string{"loopback", "link-local", "unspecified", "metadata", "unix"}

// rule is one allow or deny entry.
type rule struct {
	deny     bool
	operator bool   // given by the operator: beats a default of equal specificity
	group    string // the group it came from ("" for a literal entry)
	text     string // the entry as written (operator) or the network (default)
	origin   string // where the operator gave it: "--net-allow", "WEFT_NET_DENY"…

	kind   kind
	prefix netip.Prefix // kindNet
	host   string       // kindHost: lower case, no trailing dot; "*.x" → ".x" (suffix)
	path   string       // kindUnix: a folder or socket path; "" = every socket
	port   uint16       // 0: any port
}

type kind int

const (
	kindNet kind = iota
	kindHost
	kindUnix
)

// what is the rule's network, name or socket path, with its port.
func (r *rule) what() string {
	switch {
	case r.kind == kindNet && r.prefix.IsSingleIP() && r.port != 0:
		return netip.AddrPortFrom(r.prefix.Addr(), r.port).String()
	case r.kind == kindNet && r.port != 0:
		return r.prefix.String() + ":" + strconv.Itoa(int(r.port))
	case r.kind == kindNet:
		return r.prefix.String()
	case r.kind == kindUnix && r.path == "":
		return "every Unix socket"
	}
	return r.text
}

func (r *rule) String() string {
	what := r.what()
	switch {
	case r.operator && r.group != "":
		return fmt.Sprintf("%s (%s, %s)", r.group, what, r.origin)
	case r.operator:
		return fmt.Sprintf("%s (%s)", r.text, r.origin)
	case r.group != "":
		return fmt.Sprintf("%s (%s)", r.group, what)
	}
	return what
}

// moreSpecific reports whether a decides over b when both match. A host name beats a
// network (the operator named it); a longer name suffix, a longer prefix or socket path
// beats a shorter one; then a rule with a port beats one without; then an operator's
// rule beats a default; then deny beats allow.
func moreSpecific(a, b *rule) bool {
	if a.kind != b.kind {
		return a.kind == kindHost // only host and net rules compete for one address
	}
	var sa, sb int
	switch a.kind {
	case kindNet:
		sa, sb = a.prefix.Bits(), b.prefix.Bits()
	case kindHost:
		sa, sb = hostScore(a.host), hostScore(b.host)
	case kindUnix:
		sa, sb = len(a.path), len(b.path)
	}
	if sa != sb {
		return sa > sb
	}
	if (a.port != 0) != (b.port != 0) {
		return a.port != 0
	}
	if a.operator != b.operator {
		return a.operator
	}
	return a.deny && !b.deny
}

// hostScore ranks host rules: an exact name beats every wildcard, a longer wildcard
// suffix beats a shorter one.
func hostScore(h string) int {
	if strings.HasPrefix(h, ".") {
		return len(h)
	}
	return 1 << 16
}

// Policy is a set of rules. Build it before use (New or Server, then Allow, Deny,
// DenySelf, AllowURL); it is safe to check and dial from many goroutines, and rules
// added later (a listener bound after the apps were wired) apply to the next
// connection.
type Policy struct {
	mu      sync.Mutex // serialises writers; readers load state without locking
	state   atomic.Pointer[state]
	server  bool // Server: weft's own listeners are denied (DenySelf)
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

type state struct {
	rules       []rule
	exempt      []exemptURL
	selfAllowed bool // the operator allowed "self": DenySelf adds nothing
}

type exemptURL struct{ scheme, hostport, path string }

// New returns a policy without rules: everything is allowed until rules are added.
func New() *Policy {
	p := &Policy{resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}}
	p.state.Store(&state{})
	return p
}

// Server returns the policy of a server others use: ServerDefaults are denied, and
// DenySelf denies the server's own listeners. Private ranges stay allowed: teams run weft
// to reach their internal services.
func Server() *Policy {
	p := New()
	p.server = true
	st := &state{}
	for _, g := range ServerDefaults {
		rs, err := parseEntry(g)
		if err != nil {
			panic(err) // the built-in groups parse
		}
		for i := range rs {
			rs[i].deny = true
			if rs[i].kind == kindNet {
				rs[i].text = rs[i].prefix.String()
			}
		}
		st.rules = append(st.rules, rs...)
	}
	p.state.Store(st)
	return p
}

// Allow adds an allow rule; origin names where it came from in messages
// ("--net-allow", "WEFT_NET_ALLOW"; "" means "--net-allow"). See Deny for the entries.
func (p *Policy) Allow(entry, origin string) error { return p.add(false, entry, origin, "--net-allow") }

// Deny adds a deny rule. An entry is one of:
//
//	10.0.0.0/8, fd00::/8, 10.0.0.0/8:5432   a network (CIDR), optionally one port of it
//	127.0.0.1, ::1, 127.0.0.1:8080, [::1]:8080   one address, optionally one port
//	db.internal, db.internal:5432, *.corp.example   a host name as the module gives it
//	                                        (before DNS), a wildcard for its subdomains
//	unix, unix:/run/postgresql               Unix sockets: all, or those under a folder
//	loopback, link-local, unspecified, metadata, private, all, self   a group
//
// IPv4-mapped IPv6 forms (::ffff:127.0.0.1) are the IPv4 address. A network with bits
// set beyond its prefix is refused, since it is most likely a typo.
func (p *Policy) Deny(entry, origin string) error { return p.add(true, entry, origin, "--net-deny") }

func (p *Policy) add(deny bool, entry, origin, flag string) error {
	if origin == "" {
		origin = flag
	}
	rs, err := parseEntry(entry)
	if err != nil {
		return fmt.Errorf("%s %q: %w", origin, entry, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.state.Load()
	st := &state{rules: slices.Clone(old.rules), exempt: old.exempt, selfAllowed: old.selfAllowed}
	if strings.EqualFold(strings.TrimSpace(entry), "self") {
		// weft's own listeners: allowing them drops those denied already and any later.
		if !deny {
			st.selfAllowed = true
			st.rules = slices.DeleteFunc(st.rules, func(r rule) bool { return r.group == "self" && !r.operator })
		}
		p.state.Store(st)
		return nil
	}
	for _, r := range rs {
		r.deny, r.operator, r.origin = deny, true, origin
		st.rules = append(st.rules, r)
	}
	p.state.Store(st)
	return nil
}

// DenySelf denies connections to one of weft's own listeners (its address as bound,
// e.g. ln.Addr().String()), unless the operator allowed "self". A listener on an
// unspecified address (":8080", "[::]:8080") is reachable on every address of the
// machine, so every interface address gets the rule, at that port only.
func (p *Policy) DenySelf(addr string) error {
	if p == nil || !p.server {
		return nil
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("own listener %q: %w", addr, err)
	}
	port, err := parsePort(portText)
	if err != nil {
		return fmt.Errorf("own listener %q: %w", addr, err)
	}
	var ips []netip.Addr
	ip, err := netip.ParseAddr(host)
	switch {
	case host == "" || (err == nil && ip.IsUnspecified()):
		ifaces, err := net.InterfaceAddrs()
		if err != nil {
			return fmt.Errorf("own listener %q: list the machine's addresses: %w", addr, err)
		}
		for _, a := range ifaces {
			if pfx, err := netip.ParsePrefix(a.String()); err == nil {
				ips = append(ips, pfx.Addr())
			}
		}
		ips = append(ips, netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback())
	case err == nil:
		ips = append(ips, ip)
	default:
		found, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
		if err != nil {
			return fmt.Errorf("own listener %q: %w", addr, err)
		}
		ips = append(ips, found...)
	}
	// Connecting to the unspecified address reaches the machine itself.
	ips = append(ips, netip.IPv4Unspecified(), netip.IPv6Unspecified())
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.state.Load()
	if old.selfAllowed {
		return nil
	}
	st := &state{rules: slices.Clone(old.rules), exempt: old.exempt}
	for _, ip := range ips {
		ip = ip.WithZone("").Unmap()
		pfx := netip.PrefixFrom(ip, ip.BitLen())
		if slices.ContainsFunc(st.rules, func(r rule) bool {
			return r.group == "self" && r.prefix == pfx && r.port == port
		}) {
			continue
		}
		st.rules = append(st.rules, rule{deny: true, group: "self", kind: kindNet, prefix: pfx, port: port,
			text: netip.AddrPortFrom(ip, port).String()})
	}
	p.state.Store(st)
	return nil
}

// AllowURL lets requests to exactly this URL through (any query), whatever the rules say
// about its host: `weft serve --demo` calls its own demo partner this way, without
// opening the rest of weft's own address. The scheme, host, port and path must match;
// HTTP clients built with RoundTripper send such requests on a connection of their own
// (never pooled), so no other request can ride on it.
func (p *Policy) AllowURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("allowed URL %q: not an absolute http or https URL", raw)
	}
	e := exemptOf(u)
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.state.Load()
	st := &state{rules: old.rules, exempt: append(slices.Clone(old.exempt), e), selfAllowed: old.selfAllowed}
	p.state.Store(st)
	return nil
}

func exemptOf(u *url.URL) exemptURL {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return exemptURL{scheme: strings.ToLower(u.Scheme), hostport: hostPort(u), path: path}
}

// hostPort is u's host and port, lower case, the scheme's default port filled in.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), port)
}

// exempt reports whether u was allowed with AllowURL.
func (p *Policy) exempt(u *url.URL) bool {
	if p == nil || u == nil {
		return false
	}
	st := p.state.Load()
	if len(st.exempt) == 0 {
		return false
	}
	return slices.Contains(st.exempt, exemptOf(u))
}

// Check decides a connection to addr, reached through the host name name ("" when the
// module gave an address). The most specific matching rule decides: a host name rule
// over any network rule, then the longer name suffix or network prefix, then a rule
// with a port over one without, then an operator's rule over a default, then deny over
// allow. Nothing matching means allowed. It returns nil or a *DeniedError.
func (p *Policy) Check(name string, addr netip.AddrPort) error {
	if p == nil {
		return nil
	}
	st := p.state.Load()
	if name = canonicalHost(name); name != "" {
		if r := st.decideHost(name, addr.Port()); r != nil {
			return denied(r, name+":"+strconv.Itoa(int(addr.Port())))
		} else if st.hostAllowed(name, addr.Port()) {
			return nil
		}
	}
	refuse := func(r *rule) error {
		target := addr.String()
		if name != "" {
			target = name + " (" + target + ")"
		}
		return &DeniedError{Target: target, Rule: r.String()}
	}
	ip := addr.Addr().WithZone("").Unmap()
	if r := st.decideAddr(ip, addr.Port()); r != nil && r.deny {
		return refuse(r)
	}
	// NAT64 (64:ff9b::/96) carries an IPv4 address a gateway will connect to: that
	// address must be allowed too.
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if r := st.decideAddr(v4, addr.Port()); r != nil && r.deny {
			return refuse(r)
		}
	}
	return nil
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func denied(r *rule, target string) error {
	return &DeniedError{Target: target, Rule: r.String()}
}

// decideHost returns the deny rule deciding name:port, or nil when no host rule matches
// or the deciding one allows.
func (st *state) decideHost(name string, port uint16) *rule {
	if r := st.bestHost(name, port); r != nil && r.deny {
		return r
	}
	return nil
}

func (st *state) hostAllowed(name string, port uint16) bool {
	r := st.bestHost(name, port)
	return r != nil && !r.deny
}

func (st *state) bestHost(name string, port uint16) *rule {
	var best *rule
	for i := range st.rules {
		r := &st.rules[i]
		if r.kind != kindHost || (r.port != 0 && r.port != port) {
			continue
		}
		if r.host == name || (strings.HasPrefix(r.host, ".") && strings.HasSuffix(name, r.host)) {
			if best == nil || moreSpecific(r, best) {
				best = r
			}
		}
	}
	return best
}

func (st *state) decideAddr(ip netip.Addr, port uint16) *rule {
	var best *rule
	for i := range st.rules {
		r := &st.rules[i]
		if r.kind != kindNet || (r.port != 0 && r.port != port) || !r.prefix.Contains(ip) {
			continue
		}
		if best == nil || moreSpecific(r, best) {
			best = r
		}
	}
	return best
}

// CheckUnix decides a connection to the Unix socket at path.
func (p *Policy) CheckUnix(path string) error {
	if p == nil {
		return nil
	}
	st := p.state.Load()
	var best *rule
	for i := range st.rules {
		r := &st.rules[i]
		if r.kind != kindUnix {
			continue
		}
		if r.path == "" || path == r.path || strings.HasPrefix(path, strings.TrimSuffix(r.path, "/")+"/") {
			if best == nil || moreSpecific(r, best) {
				best = r
			}
		}
	}
	if best != nil && best.deny {
		return &DeniedError{Target: "unix socket " + path, Rule: best.String()}
	}
	return nil
}

// CheckHost decides a connection to host:port before it is handed to someone else who
// will connect (an HTTP proxy): a host name rule decides at once; otherwise the name is
// resolved and every address it has must be allowed, since the proxy may pick any. A
// name that does not resolve here is passed on unchecked (the proxy may see another
// DNS; docs/operations.md).
func (p *Policy) CheckHost(ctx context.Context, host string, port uint16) error {
	if p == nil {
		return nil
	}
	return p.checkHost(ctx, host, port, p.resolve)
}

func (p *Policy) checkHost(ctx context.Context, host string, port uint16,
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)) error {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return p.Check("", netip.AddrPortFrom(ip, port))
	}
	name := canonicalHost(host)
	st := p.state.Load()
	if r := st.decideHost(name, port); r != nil {
		return denied(r, name+":"+strconv.Itoa(int(port)))
	}
	if st.hostAllowed(name, port) {
		return nil
	}
	ips, err := resolve(ctx, name)
	if err != nil {
		return nil
	}
	for _, ip := range ips {
		if err := p.Check(name, netip.AddrPortFrom(ip, port)); err != nil {
			return err
		}
	}
	return nil
}

func canonicalHost(h string) string { return strings.ToLower(strings.TrimSuffix(h, ".")) }

// DialFunc is the shape of net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Dialer returns d.DialContext enforcing the policy: a host name rule decides before any
// DNS query; otherwise every address d connects to is checked just before the connect
// system call (d's Control hook), so what is checked is what is reached. A refusal is a
// *net.OpError wrapping the *DeniedError. A nil policy returns d.DialContext itself.
func (p *Policy) Dialer(d *net.Dialer) DialFunc {
	if p == nil {
		return d.DialContext
	}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		refuse := func(err error) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		if strings.HasPrefix(network, "unix") {
			if err := p.CheckUnix(address); err != nil {
				return refuse(err)
			}
			return d.DialContext(ctx, network, address)
		}
		host, portText, err := net.SplitHostPort(address)
		if err != nil {
			return d.DialContext(ctx, network, address) // the dialer says what is wrong
		}
		port, err := parsePort(portText)
		if err != nil {
			return d.DialContext(ctx, network, address)
		}
		name := ""
		if _, err := netip.ParseAddr(host); err != nil {
			name = canonicalHost(host)
			st := p.state.Load()
			if r := st.decideHost(name, port); r != nil {
				return refuse(denied(r, name+":"+portText))
			}
			if st.hostAllowed(name, port) {
				return d.DialContext(ctx, network, address)
			}
		}
		guarded := *d
		base := d.ControlContext
		baseControl := d.Control
		guarded.Control = nil
		guarded.ControlContext = func(ctx context.Context, network, address string, c syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("outbound policy: cannot read the address %q being connected to", address)
			}
			if err := p.Check(name, ap); err != nil {
				return err
			}
			if base != nil {
				return base(ctx, network, address, c)
			}
			if baseControl != nil {
				return baseControl(network, address, c)
			}
			return nil
		}
		return guarded.DialContext(ctx, network, address)
	}
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a port (1-65535)", s)
	}
	return uint16(n), nil
}

// Describe lists the rules, denials first, for a start-up log line: "deny loopback
// (127.0.0.0/8)", "allow 127.0.0.1:8080 (--net-allow)", "allow exactly http://…".
func (p *Policy) Describe() []string {
	if p == nil {
		return nil
	}
	st := p.state.Load()
	var deny, allow []string
	for i := 0; i < len(st.rules); {
		r := &st.rules[i]
		// A group's networks side by side make one entry: "deny loopback (127.0.0.0/8, ::1/128)".
		j, whats := i+1, []string{r.what()}
		for ; r.group != "" && j < len(st.rules); j++ {
			n := &st.rules[j]
			if n.group != r.group || n.deny != r.deny || n.operator != r.operator || n.origin != r.origin {
				break
			}
			whats = append(whats, n.what())
		}
		text := r.String()
		if len(whats) > 1 {
			text = fmt.Sprintf("%s (%s)", r.group, strings.Join(whats, ", "))
			if r.operator {
				text = fmt.Sprintf("%s (%s, %s)", r.group, strings.Join(whats, ", "), r.origin)
			}
		}
		if r.deny {
			deny = append(deny, "deny "+text)
		} else {
			allow = append(allow, "allow "+text)
		}
		i = j
	}
	for _, e := range st.exempt {
		allow = append(allow, "allow exactly "+e.scheme+"://"+e.hostport+e.path)
	}
	if st.selfAllowed {
		allow = append(allow, "allow self (weft's own listeners)")
	}
	return append(deny, allow...)
}
