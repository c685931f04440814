package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// testCert is a self-signed certificate for 127.0.0.1 and localhost, made once.
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "weft test SMTP"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
})

// script says how the test SMTP server answers. A nil error accepts.
type script struct {
	ehloErr *smtp.SMTPError            // refuses EHLO/HELO (a 421 "service not available")
	mailErr *smtp.SMTPError            // MAIL FROM
	rcptErr map[string]*smtp.SMTPError // RCPT TO, by address
	dataErr *smtp.SMTPError            // end of DATA
	// user and pass, when set, make the server offer AUTH PLAIN and accept only them.
	user, pass string
	// tls: "none" (plain), "starttls" (offers STARTTLS), "tls" (implicit TLS).
	tls     string
	maxSize int64
}

// received is one message the test server accepted.
type received struct {
	from     string
	rcpts    []string
	data     []byte
	authUser string
	tls      bool
}

type testServer struct {
	host string
	port int
	sc   script
	mu   sync.Mutex
	got  []received
}

// startSMTP runs a go-smtp server on 127.0.0.1 answering as sc says.
func startSMTP(t testing.TB, sc script) *testServer {
	t.Helper()
	ts := &testServer{sc: sc}
	cert, _ := testCert()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		if sc.ehloErr != nil {
			return nil, sc.ehloErr
		}
		_, isTLS := c.TLSConnectionState()
		s := &testSession{ts: ts, tls: isTLS}
		if sc.user != "" {
			return &authSession{s}, nil
		}
		return s, nil
	}))
	srv.Domain = "test.local"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = sc.maxSize
	srv.ErrorLog = discardLog{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch sc.tls {
	case "starttls":
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	case "tls":
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(l.Addr().String())
	ts.host = host
	ts.port, _ = strconv.Atoi(port)
	return ts
}

func (ts *testServer) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.got...)
}

// conn is the weft connection bundle for this server.
func (ts *testServer) conn() weft.Bundle {
	c := weft.Bundle{"host": ts.host, "port": float64(ts.port), "tls": or(ts.sc.tls, "none"),
		"from": "Shop <shop@example.com>"}
	if ts.sc.user != "" {
		c["username"], c["password"] = ts.sc.user, ts.sc.pass
	}
	return c
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

type testSession struct {
	ts   *testServer
	tls  bool
	user string
	cur  received
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.ts.sc.mailErr != nil {
		return s.ts.sc.mailErr
	}
	s.cur.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.ts.sc.rcptErr[to]; e != nil {
		return e
	}
	s.cur.rcpts = append(s.cur.rcpts, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.ts.sc.dataErr != nil {
		return s.ts.sc.dataErr
	}
	s.cur.data, s.cur.tls, s.cur.authUser = data, s.tls, s.user
	s.ts.mu.Lock()
	s.ts.got = append(s.ts.got, s.cur)
	s.ts.mu.Unlock()
	return nil
}

// authSession adds AUTH PLAIN to a session.
type authSession struct{ *testSession }

func (a *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (a *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != a.ts.sc.user || pass != a.ts.sc.pass {
			return smtp.ErrAuthFailed // 535 5.7.8
		}
		a.user = user
		return nil
	}), nil
}

func replyErr(code int, a, b, c int, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{a, b, c}, Message: msg}
}

// sendOpts are the app options of the tests: the test CA, a fixed Message-ID.
func sendOpts() Options {
	_, pool := testCert()
	return Options{RootCAs: pool, NewID: func() string { return "fixed-id" }, Timeout: 5 * time.Second, HELO: "weft.test"}
}

func sendSpecFor(t testing.TB, o Options) *app.Spec {
	t.Helper()
	for _, s := range Specs(o) {
		if s.Name == "email:ActionSendEmail" {
			return &s
		}
	}
	t.Fatal("email:ActionSendEmail not in Specs")
	return nil
}

// send runs email:ActionSendEmail once against a connection bundle named "smtp".
func send(t testing.TB, ctx context.Context, o Options, conn weft.Bundle, mapper weft.Bundle) ([]weft.Bundle, error) {
	t.Helper()
	exec := apptest.NewExec()
	exec.Connections["smtp"] = conn
	return apptest.Run(ctx, sendSpecFor(t, o), weft.Bundle{"account": "smtp", "saveAfterSent": false}, mapper, exec)
}

func wantType(t *testing.T, err error, typ weft.ErrorType) *weft.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil; want %s", typ)
	}
	var we *weft.Error
	if !errors.As(err, &we) {
		t.Fatalf("error %T %v is not a *weft.Error", err, err)
	}
	if we.Type != typ {
		t.Fatalf("error type %s (%v); want %s", we.Type, err, typ)
	}
	return we
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s =\n  %#v\nwant\n  %#v", what, got, want)
	}
}

func mustParse(t *testing.T, raw []byte) weft.Bundle {
	t.Helper()
	b, err := ParseMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}
	return b
}
