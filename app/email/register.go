package email

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/netpolicy"
)

// Options configure the Email app for a process. The zero value is ready to use.
type Options struct {
	// Timeout limits each step of an SMTP conversation: connecting (with TLS) and
	// waiting for each reply. Defaults to 40 s. The engine's module time limit bounds
	// the whole send on top of it.
	Timeout time.Duration
	// RootCAs verifies SMTP servers' certificates. Defaults to the system pool.
	RootCAs *x509.CertPool
	// HELO is the name weft gives in EHLO. Defaults to the machine's host name.
	HELO string
	// Net is the outbound network policy for SMTP connections; a refusal is an
	// InvalidConfigurationError naming the rule. Defaults to nil: everything allowed.
	Net *netpolicy.Policy
	// NewID returns the unique left part of a Message-ID. Defaults to 130 random bits
	// in base32; tests inject a fixed one.
	NewID func() string
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 40 * time.Second
	}
	if o.NewID == nil {
		o.NewID = randomID
	}
	return o
}

// randomID is 26 base32 characters of crypto randomness: unique without coordination.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// Specs returns the Email app's module types configured by o: email:ActionSendEmail
// and the mailhook trigger gateway:CustomMailHook.
func Specs(o Options) []app.Spec {
	o = o.withDefaults()
	return []app.Spec{sendSpec(o), MailhookSpec()}
}

// Register registers the Email app's module types with default Options.
func Register(r *app.Registry) error { return RegisterOptions(r, Options{}) }

// RegisterOptions registers the Email app's module types configured by o.
func RegisterOptions(r *app.Registry, o Options) error {
	for _, s := range Specs(o) {
		if err := r.Register(s); err != nil {
			return fmt.Errorf("email app: %w", err)
		}
	}
	return nil
}
