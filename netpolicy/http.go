package netpolicy

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"
)

// Guard makes t enforce the policy: its connections are opened by Dialer(d), and a
// request t would send through a proxy has its target host checked first (CheckHost),
// since the dial then reaches only the proxy. Call it once, before t is used; clones of
// t (t.Clone) keep the guard. A nil policy leaves t as it is except for using d.
func (p *Policy) Guard(t *http.Transport, d *net.Dialer) {
	t.DialContext = p.Dialer(d)
	if p == nil || t.Proxy == nil {
		return
	}
	next := t.Proxy
	resolve := p.resolve
	if d.Resolver != nil { // the resolver the transport's own dials use
		resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return d.Resolver.LookupNetIP(ctx, "ip", host)
		}
	}
	t.Proxy = func(req *http.Request) (*url.URL, error) {
		u, err := next(req)
		if err != nil || u == nil {
			return u, err
		}
		if p.exempt(req.URL) {
			return u, nil
		}
		port, _ := strconv.ParseUint(portOf(req.URL), 10, 16)
		if err := p.checkHost(req.Context(), req.URL.Hostname(), uint16(port), resolve); err != nil {
			return nil, err
		}
		return u, nil
	}
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// RoundTripper returns what an http.Client should use on the guarded transport t: a
// request to a URL allowed with AllowURL (even one allowed later) — every redirect hop
// is a request of its own — goes over a fresh connection of its own that is closed
// after the response, so the allowance never lends a pooled connection to another
// request for the same host and port; every other request goes to t. A nil policy
// returns t itself.
func (p *Policy) RoundTripper(t *http.Transport) http.RoundTripper {
	if p == nil {
		return t
	}
	return &exemptTransport{p: p, t: t}
}

type exemptTransport struct {
	p *Policy
	t *http.Transport
}

func (e *exemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !e.p.exempt(req.URL) {
		return e.t.RoundTrip(req)
	}
	one := e.t.Clone()
	one.DisableKeepAlives = true
	allowed := hostPort(req.URL)
	plainDialer := &net.Dialer{Timeout: 30 * time.Second}
	plain := plainDialer.DialContext
	guarded := one.DialContext
	if guarded == nil { // t was not guarded: the other addresses are still checked
		guarded = e.p.Dialer(plainDialer)
	}
	one.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
		if address == allowed {
			return plain(ctx, network, address)
		}
		return guarded(ctx, network, address)
	}
	return one.RoundTrip(req)
}

// Client returns an HTTP client whose connections go through the policy (environment
// proxies honoured, their targets checked), for calls weft makes itself on behalf of
// what users configured — the OAuth authorization code exchange with a connection's
// token URL. A nil policy returns a plain client with the timeout.
func (p *Policy) Client(timeout time.Duration) *http.Client {
	if p == nil {
		return &http.Client{Timeout: timeout}
	}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	p.Guard(tr, d)
	return &http.Client{Timeout: timeout, Transport: p.RoundTripper(tr)}
}
