package httpmod

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// testPKI is a private CA with a server certificate for 127.0.0.1 and client
// certificates, all in PEM as a user pastes them into a connection.
type testPKI struct {
	caPEM              string
	server             tls.Certificate
	pool               *x509.CertPool
	clientPEM, keyPEM  string // valid client identity "weft-client"
	expiredPEM, expKey string // expired on 2025-12-31
	strangerPEM, sKey  string // signed by another CA
}

var serial atomic.Int64

func newCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

// issue signs a leaf certificate; it returns the certificate and key PEM.
func issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, client bool, notAfter time.Time) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

func newPKI(t *testing.T) *testPKI {
	ca, caKey := newCA(t, "weft test CA")
	p := &testPKI{caPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})), pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	far := time.Date(2039, 1, 1, 0, 0, 0, 0, time.UTC)
	scert, skey := issue(t, ca, caKey, "127.0.0.1", false, far)
	var err error
	if p.server, err = tls.X509KeyPair([]byte(scert), []byte(skey)); err != nil {
		t.Fatal(err)
	}
	p.clientPEM, p.keyPEM = issue(t, ca, caKey, "weft-client", true, far)
	p.expiredPEM, p.expKey = issue(t, ca, caKey, "old-client", true, time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC))
	other, otherKey := newCA(t, "stranger CA")
	p.strangerPEM, p.sKey = issue(t, other, otherKey, "stranger", true, far)
	return p
}

// serve starts an HTTPS server with the PKI's certificate; with mutual it requires a
// client certificate from the CA. It answers with the client's common name and counts
// TLS connections.
func (p *testPKI) serve(t *testing.T, mutual bool) (*httptest.Server, *atomic.Int32) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if len(r.TLS.PeerCertificates) > 0 {
			io.WriteString(w, "hello "+r.TLS.PeerCertificates[0].Subject.CommonName)
			return
		}
		io.WriteString(w, "hello stranger")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}}
	if mutual {
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		srv.TLS.ClientCAs = p.pool
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestTLSOwnCA(t *testing.T) {
	pki := newPKI(t)
	srv, _ := pki.serve(t, false)
	exec := apptest.NewExec()
	exec.Connections["5"] = weft.Bundle{"ca": pki.caPEM}
	spec := specOf(t, "http:MakeRequest", Options{})

	out, err := apptest.Run(context.Background(), spec, weft.Bundle{"tlsType": "tls", "tlsKeychain": 5.0},
		weft.Bundle{"url": srv.URL}, exec)
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "data", out[0]["data"], "hello stranger")
	// The CA serves only the module that names it: the shared pool still refuses.
	_, err = apptest.Run(context.Background(), spec, nil, weft.Bundle{"url": srv.URL}, exec)
	wantError(t, err, weft.ConnectionError, "TLS handshake failed: ")

	exec.Connections["6"] = weft.Bundle{"certificate": pki.clientPEM}
	_, err = apptest.Run(context.Background(), spec, weft.Bundle{"tlsType": "tls", "tlsKeychain": 6.0}, weft.Bundle{"url": srv.URL}, exec)
	wantError(t, err, weft.InvalidConfigurationError, "parameters.tlsKeychain: connection 6: tlsType tls needs a ca (PEM) in the connection")
	exec.Connections["6"] = weft.Bundle{"ca": "not PEM"}
	_, err = apptest.Run(context.Background(), spec, weft.Bundle{"tlsType": "tls", "tlsKeychain": 6.0}, weft.Bundle{"url": srv.URL}, exec)
	wantError(t, err, weft.InvalidConfigurationError, "parameters.tlsKeychain: connection 6: ca: no PEM certificate found in the CA")
}

func TestMutualTLS(t *testing.T) {
	pki := newPKI(t)
	srv, conns := pki.serve(t, true)
	exec := apptest.NewExec()
	exec.Connections["5"] = weft.Bundle{"ca": pki.caPEM, "certificate": pki.clientPEM, "privateKey": pki.keyPEM}
	spec := specOf(t, "http:MakeRequest", Options{})
	params := weft.Bundle{"tlsType": "mTls", "tlsKeychain": 5.0}
	for i := 0; i < 3; i++ {
		out, err := apptest.Run(context.Background(), spec, params, weft.Bundle{"url": srv.URL}, exec)
		if err != nil {
			t.Fatal(err)
		}
		deepEqual(t, "data", out[0]["data"], "hello weft-client")
	}
	// The pool of these settings is kept: one handshake for three calls.
	if n := conns.Load(); n != 1 {
		t.Errorf("%d TLS connections for three calls, want 1", n)
	}

	tests := []struct {
		name string
		conn weft.Bundle
		typ  weft.ErrorType
		msg  string
	}{
		{"no client certificate", weft.Bundle{"ca": pki.caPEM}, weft.InvalidAccessTokenError,
			"parameters.tlsKeychain: connection 6 has no certificate and privateKey for mutual TLS"},
		{"expired certificate", weft.Bundle{"ca": pki.caPEM, "certificate": pki.expiredPEM, "privateKey": pki.expKey},
			weft.InvalidAccessTokenError, `parameters.tlsKeychain: connection 6: the client certificate "old-client" expired on 2025-12-31T00:00:00Z`},
		{"certificate of another CA", weft.Bundle{"ca": pki.caPEM, "certificate": pki.strangerPEM, "privateKey": pki.sKey},
			weft.ConnectionError, ""},
		{"key of another certificate", weft.Bundle{"ca": pki.caPEM, "certificate": pki.clientPEM, "privateKey": pki.sKey},
			weft.InvalidConfigurationError, "connection 6: the certificate and private key cannot be used: tls: private key does not match public key"},
		{"not a certificate", weft.Bundle{"certificate": "hello", "privateKey": pki.keyPEM},
			weft.InvalidConfigurationError, "connection 6: certificate: no PEM certificate found"},
		{"not a key", weft.Bundle{"certificate": pki.clientPEM, "privateKey": pki.clientPEM},
			weft.InvalidConfigurationError, "connection 6: privateKey: no PEM private key found"},
		{"encrypted key", weft.Bundle{"certificate": pki.clientPEM, "privateKey": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"},
			weft.InvalidConfigurationError, "connection 6: the private key is encrypted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec.Connections["6"] = tt.conn
			_, err := apptest.Run(context.Background(), spec, weft.Bundle{"tlsType": "mTls", "tlsKeychain": 6.0},
				weft.Bundle{"url": srv.URL}, exec)
			wantError(t, err, tt.typ, tt.msg)
		})
	}
	// Without a client certificate the server refuses the handshake.
	exec.Connections["7"] = weft.Bundle{"ca": pki.caPEM}
	_, err := apptest.Run(context.Background(), spec, weft.Bundle{"tlsType": "tls", "tlsKeychain": 7.0}, weft.Bundle{"url": srv.URL}, exec)
	wantError(t, err, weft.ConnectionError)
}

// The legacy modules: useMtls with the certificate connection in tlsKeychain, the CA
// from the mapper's ca field or the connection.
func TestLegacyMutualTLS(t *testing.T) {
	pki := newPKI(t)
	srv, _ := pki.serve(t, true)
	exec := apptest.NewExec()
	exec.Connections["5"] = weft.Bundle{"certificate": pki.clientPEM, "privateKey": pki.keyPEM}
	exec.Connections["8"] = weft.Bundle{"certificate": pki.clientPEM, "privateKey": pki.keyPEM, "ca": pki.caPEM}
	spec := specOf(t, "http:ActionSendData", Options{})
	for _, tt := range []struct {
		ref float64
		ca  string
	}{{5, pki.caPEM}, {8, ""}} {
		out, err := apptest.Run(context.Background(), spec, weft.Bundle{"tlsKeychain": tt.ref},
			weft.Bundle{"url": srv.URL, "useMtls": true, "ca": tt.ca}, exec)
		if err != nil {
			t.Fatalf("connection %v: %v", tt.ref, err)
		}
		deepEqual(t, "data", out[0]["data"], "hello weft-client")
	}
	// rejectUnauthorized false skips the server check, not the client certificate.
	out, err := apptest.Run(context.Background(), spec, weft.Bundle{"tlsKeychain": 5.0},
		weft.Bundle{"url": srv.URL, "useMtls": true, "rejectUnauthorized": false}, exec)
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "insecure data", out[0]["data"], "hello weft-client")
	// Without useMtls no certificate is sent.
	_, err = apptest.Run(context.Background(), spec, weft.Bundle{"tlsKeychain": 5.0},
		weft.Bundle{"url": srv.URL, "ca": pki.caPEM}, exec)
	wantError(t, err, weft.ConnectionError)
}
