package netpolicy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Parse splits a comma-separated list (an environment variable's value) into entries,
// dropping empty ones and surrounding spaces.
func Parse(list string) []string {
	var out []string
	for _, e := range strings.Split(list, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// parseEntry reads one entry (Policy.Deny lists the forms) into rules without a verdict.
func parseEntry(entry string) ([]rule, error) {
	e := strings.TrimSpace(entry)
	if e == "" {
		return nil, errors.New("empty entry")
	}
	lower := strings.ToLower(e)
	if lower == "self" {
		return nil, nil // handled by Policy.add and DenySelf
	}
	if strings.Contains(e, "://") {
		return nil, errors.New("a URL is not an entry: give its host (and port)")
	}
	if nets, ok := groups[lower]; ok {
		var out []rule
		for _, n := range nets {
			pfx := netip.MustParsePrefix(n)
			out = append(out, rule{kind: kindNet, prefix: pfx, group: lower, text: pfx.String()})
		}
		return out, nil
	}
	if lower == "unix" {
		return []rule{{kind: kindUnix, group: "unix", text: "every Unix socket"}}, nil
	}
	if path, ok := strings.CutPrefix(e, "unix:"); ok {
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("a Unix socket entry needs an absolute path (unix:/run/postgresql), got %q", path)
		}
		return []rule{{kind: kindUnix, path: path, text: e}}, nil
	}
	if addrText, rest, ok := strings.Cut(e, "/"); ok {
		return parseCIDR(e, addrText, rest)
	}
	if ip, err := netip.ParseAddr(e); err == nil {
		return []rule{singleIP(e, ip, 0)}, nil
	}
	if ap, err := netip.ParseAddrPort(e); err == nil {
		if ap.Port() == 0 {
			return nil, errors.New("port 0 is not a port (1-65535)")
		}
		return []rule{singleIP(e, ap.Addr(), ap.Port())}, nil
	}
	host, port := lower, uint16(0)
	if h, p, err := net.SplitHostPort(lower); err == nil {
		n, err := parsePort(p)
		if err != nil {
			return nil, err
		}
		host, port = h, n
	} else if strings.Contains(lower, ":") {
		return nil, fmt.Errorf("not an address, network, host name or group: %v", err)
	}
	host = strings.TrimSuffix(host, ".")
	if nets, ok := groups[host]; ok && port != 0 { // loopback:8080
		var out []rule
		for _, n := range nets {
			pfx := netip.MustParsePrefix(n)
			out = append(out, rule{kind: kindNet, prefix: pfx, port: port, group: host, text: pfx.String()})
		}
		return out, nil
	}
	if w, ok := strings.CutPrefix(host, "*."); ok {
		if err := checkHostName(w); err != nil {
			return nil, err
		}
		return []rule{{kind: kindHost, host: "." + w, port: port, text: e}}, nil
	}
	if err := checkHostName(host); err != nil {
		return nil, err
	}
	return []rule{{kind: kindHost, host: host, port: port, text: e}}, nil
}

func singleIP(text string, ip netip.Addr, port uint16) rule {
	ip = ip.WithZone("").Unmap()
	return rule{kind: kindNet, prefix: netip.PrefixFrom(ip, ip.BitLen()), port: port, text: text}
}

// parseCIDR reads ADDR/BITS[:PORT]; an IPv4-mapped IPv6 network of 96 bits or more is
// the IPv4 network it maps.
func parseCIDR(entry, addrText, rest string) ([]rule, error) {
	bitsText, portText, hasPort := strings.Cut(rest, ":")
	ip, err := netip.ParseAddr(addrText)
	if err != nil {
		return nil, fmt.Errorf("not a network: %q is not an IP address", addrText)
	}
	if ip.Zone() != "" {
		return nil, errors.New("a network cannot have a zone")
	}
	bits, err := strconv.Atoi(bitsText)
	if err != nil || bits < 0 || bits > ip.BitLen() {
		return nil, fmt.Errorf("not a network: /%s is not a prefix length for %s (0-%d)", bitsText, addrText, ip.BitLen())
	}
	var port uint16
	if hasPort {
		if port, err = parsePort(portText); err != nil {
			return nil, err
		}
	}
	pfx := netip.PrefixFrom(ip, bits)
	if masked := pfx.Masked(); masked != pfx {
		return nil, fmt.Errorf("%s has bits set beyond its /%d prefix (did you mean %s?)", pfx, bits, masked)
	}
	if ip.Is4In6() && bits >= 96 { // narrower mapped networks fail the mask check above
		pfx = netip.PrefixFrom(ip.Unmap(), bits-96)
	}
	return []rule{{kind: kindNet, prefix: pfx, port: port, text: entry}}, nil
}

// checkHostName accepts DNS names (letters, digits, "-", "_", dots between labels).
func checkHostName(h string) error {
	if h == "" || len(h) > 253 {
		return fmt.Errorf("%q is not a host name", h)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q is not a host name (empty or long label)", h)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("%q is not an address, network (CIDR), host name or group (loopback, link-local, unspecified, metadata, private, all, unix, self)", h)
			}
		}
	}
	return nil
}
