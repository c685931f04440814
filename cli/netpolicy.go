package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/weftworks/weft/netpolicy"
)

// The outbound network policy (docs/operations.md, "Outbound network policy").
//
// `weft serve` and `weft work` run scenarios other people wrote (over the API, the web
// UI, webhooks), so they start from netpolicy.Server: loopback, link-local, cloud
// metadata, the unspecified address, Unix sockets and weft's own listeners are denied.
// Every other command is run by the person at the keyboard on their own machine and
// starts open. WEFT_NET_ALLOW and WEFT_NET_DENY (comma-separated) add rules to every
// command; --net-allow and --net-deny add them to serve and work.

// netFlags are the --net-allow/--net-deny flags of a server command.
type netFlags struct{ allow, deny []string }

func (f *netFlags) add(c *cobra.Command) {
	c.Flags().StringSliceVar(&f.allow, "net-allow", nil,
		"allow modules to connect to a network (CIDR), address, host name (each with an optional :PORT), unix:/PATH or group "+
			"(loopback, link-local, metadata, unspecified, unix, self); repeatable, also WEFT_NET_ALLOW")
	c.Flags().StringSliceVar(&f.deny, "net-deny", nil,
		"deny modules connections to a network, address, host name, unix:/PATH or group (… private, all); repeatable, also WEFT_NET_DENY")
}

// policy builds the server policy: its defaults, the environment's rules, the flags'.
func (f *netFlags) policy() (*netpolicy.Policy, error) {
	p := netpolicy.Server()
	if err := addEnvRules(p); err != nil {
		return nil, err
	}
	for _, e := range f.allow {
		if err := p.Allow(e, "--net-allow"); err != nil {
			return nil, err
		}
	}
	for _, e := range f.deny {
		if err := p.Deny(e, "--net-deny"); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func addEnvRules(p *netpolicy.Policy) error {
	for _, e := range netpolicy.Parse(os.Getenv("WEFT_NET_ALLOW")) {
		if err := p.Allow(e, "WEFT_NET_ALLOW"); err != nil {
			return err
		}
	}
	for _, e := range netpolicy.Parse(os.Getenv("WEFT_NET_DENY")) {
		if err := p.Deny(e, "WEFT_NET_DENY"); err != nil {
			return err
		}
	}
	return nil
}

type netPolicyKey struct{}

// useNetPolicy makes p the policy of the apps the command's service opens.
func useNetPolicy(cmd *cobra.Command, p *netpolicy.Policy) {
	cmd.SetContext(context.WithValue(cmd.Context(), netPolicyKey{}, p))
}

// netPolicy is the command's policy: the one a server command set, else an open one
// holding the environment's rules (nil when there are none: everything allowed).
func netPolicy(cmd *cobra.Command) (*netpolicy.Policy, error) {
	if p, ok := cmd.Context().Value(netPolicyKey{}).(*netpolicy.Policy); ok {
		return p, nil
	}
	if os.Getenv("WEFT_NET_ALLOW") == "" && os.Getenv("WEFT_NET_DENY") == "" {
		return nil, nil
	}
	p := netpolicy.New()
	if err := addEnvRules(p); err != nil {
		return nil, err
	}
	return p, nil
}

// denyOwnListener adds a listener weft just bound to the server policy (a scenario must
// not call weft's own API or mailhook with weft's network position).
func denyOwnListener(cmd *cobra.Command, addr string) error {
	p, err := netPolicy(cmd)
	if err != nil || p == nil {
		return err
	}
	if err := p.DenySelf(addr); err != nil {
		return fmt.Errorf("outbound policy: %w", err)
	}
	return nil
}
