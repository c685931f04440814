package httpmod

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// The TLS connection bundle (v4 parameters.tlsKeychain with tlsType "tls" or "mTls",
// v3 parameters.tlsKeychain with useMtls):
//
//	{"ca": "-----BEGIN CERTIFICATE-----…", "certificate": "-----BEGIN CERTIFICATE-----…",
//	 "privateKey": "-----BEGIN PRIVATE KEY-----…"}
//
// ca is trusted besides the system roots; certificate (optionally followed by its
// intermediates) and privateKey are the client identity of mutual TLS.

// tlsSettings is what a request asks of TLS beyond the shared defaults.
type tlsSettings struct {
	insecure bool   // certificate checks off (v3 rejectUnauthorized: false)
	ca       string // PEM trusted besides the system roots
	caAt     string // where ca came from, for messages
	cert     string // client certificate chain (PEM), mutual TLS
	key      string // its private key (PEM)
	idAt     string // where the client identity came from
}

func (s tlsSettings) isDefault() bool {
	return !s.insecure && s.ca == "" && s.cert == ""
}

// fingerprint identifies the settings, so requests with the same ones share a pool.
func (s tlsSettings) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%t\x00%s\x00%s\x00%s", s.insecure, s.ca, s.cert, s.key)
	return hex.EncodeToString(h.Sum(nil))
}

// config builds the *tls.Config; now checks the client certificate's validity period,
// so an expired one is reported as such instead of as a refused handshake.
func (s tlsSettings) config(now time.Time) (*tls.Config, error) {
	if s.isDefault() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.insecure {
		// The user switched verification off for a self-signed service (Make's
		// rejectUnauthorized: false).
		cfg.InsecureSkipVerify = true
	}
	if s.ca != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(s.ca)) {
			return nil, configError(s.caAt, "no PEM certificate found in the CA")
		}
		cfg.RootCAs = pool
	}
	if s.cert != "" {
		pair, err := clientCertificate(s.cert, s.key, s.idAt)
		if err != nil {
			return nil, err
		}
		if leaf := pair.Leaf; leaf != nil && now.After(leaf.NotAfter) {
			return nil, &weft.Error{Type: weft.InvalidAccessTokenError,
				Message: fmt.Sprintf("%s: the client certificate %q expired on %s",
					s.idAt, leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.RFC3339))}
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// clientCertificate parses a PEM certificate chain and its key. Encrypted keys are
// refused with a clear message: PEM encryption is obsolete and insecure (Go cannot
// read PKCS#8 encrypted keys either); store the key decrypted, the connection itself is
// encrypted at rest.
func clientCertificate(certPEM, keyPEM, at string) (tls.Certificate, error) {
	if strings.Contains(keyPEM, "ENCRYPTED") {
		return tls.Certificate{}, configError(at, "the private key is encrypted; store it unencrypted (the connection is encrypted at rest)")
	}
	if b, _ := pem.Decode([]byte(certPEM)); b == nil || b.Type != "CERTIFICATE" {
		return tls.Certificate{}, configError(at, "certificate: no PEM certificate found")
	}
	if b, _ := pem.Decode([]byte(keyPEM)); b == nil || !strings.HasSuffix(b.Type, "PRIVATE KEY") {
		return tls.Certificate{}, configError(at, "privateKey: no PEM private key found")
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		return tls.Certificate{}, configError(at, "the certificate and private key cannot be used: %v", err)
	}
	return pair, nil
}

// tlsConnection reads a TLS connection (named by parameter param): its CA, and with
// mutual its client certificate and key, which are then required.
func tlsConnection(exec app.Execution, ref any, param string, mutual bool) (tlsSettings, error) {
	var s tlsSettings
	if value.IsEmpty(ref) {
		return s, configError("parameters."+param, "a TLS connection is required")
	}
	conn, err := exec.Connection(ref)
	if err != nil {
		return s, connError(param, err)
	}
	at := fmt.Sprintf("parameters.%s: connection %s", param, value.Text(ref))
	s.ca, s.caAt = strings.TrimSpace(value.Text(conn["ca"])), at+": ca"
	if mutual {
		s.cert = strings.TrimSpace(value.Text(conn["certificate"]))
		s.key = strings.TrimSpace(value.Text(conn["privateKey"]))
		s.idAt = at
		if s.cert == "" || s.key == "" {
			// Missing credentials: a person must provide them (as a missing API key).
			return s, &weft.Error{Type: weft.InvalidAccessTokenError,
				Message: at + " has no certificate and privateKey for mutual TLS"}
		}
	} else if s.ca == "" {
		return s, configError(at, "tlsType tls needs a ca (PEM) in the connection")
	}
	return s, nil
}

// maxTLSPools bounds the connection pools kept for module-specific TLS settings.
const maxTLSPools = 64

// transportFor returns the pool for TLS settings: the shared one for the defaults, else
// one per distinct setting, so a module's own CA, client certificate or disabled
// verification never leaks into other modules' connections, and repeated calls reuse
// their connections (a mutual TLS handshake per call would be slow).
func (c *client) transportFor(cfg *tls.Config, key string) *http.Transport {
	if cfg == nil {
		return c.transport
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if tr, ok := c.tlsPools[key]; ok {
		return tr
	}
	if len(c.tlsPools) >= maxTLSPools {
		// Rare (that many distinct certificates in one process): start over. Requests in
		// flight keep their connections; only idle ones close.
		for k, tr := range c.tlsPools {
			tr.CloseIdleConnections()
			delete(c.tlsPools, k)
		}
	}
	tr := c.transport.Clone()
	tr.TLSClientConfig = cfg
	c.tlsPools[key] = tr
	return tr
}

// setTLS applies TLS settings to the request.
func (r *request) setTLS(s tlsSettings, now time.Time) error {
	cfg, err := s.config(now)
	if err != nil {
		return err
	}
	r.tls = cfg
	if cfg != nil {
		r.tlsKey = s.fingerprint()
	}
	return nil
}
