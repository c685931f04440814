package httpmod

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// closedPort returns an address on 127.0.0.1 where nothing listens any more.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// rawServer accepts connections, reads one request head and hands the connection to
// handle (which must close it).
func rawServer(t *testing.T, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rd := bufio.NewReader(c)
			for {
				line, err := rd.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
			}
			handle(c.(*net.TCPConn))
		}
	}()
	return ln.Addr().String()
}

func TestConnectionRefused(t *testing.T) {
	addr := closedPort(t)
	for _, name := range []string{"http:MakeRequest", "http:ActionSendData", "http:ActionGetFile"} {
		// handleErrors false / stopOnHttpError false never hide a transport failure.
		_, err := run(t, name, map[string]any{"handleErrors": false},
			map[string]any{"url": "http://" + addr + "/x", "stopOnHttpError": false})
		e := wantError(t, err, weft.ConnectionError, "connection refused: ", addr)
		deepEqual(t, "details url", e.Details["url"], "http://"+addr+"/x")
	}
}

func TestConnectionResetAndClosed(t *testing.T) {
	reset := rawServer(t, func(c *net.TCPConn) {
		c.SetLinger(0) // close with RST
		c.Close()
	})
	_, err := run(t, "http:MakeRequest", nil, map[string]any{"url": "http://" + reset, "method": "post",
		"contentType": "json", "jsonStringBodyContent": `{"a":1}`})
	wantError(t, err, weft.ConnectionError, "connection reset: ")

	closed := rawServer(t, func(c *net.TCPConn) { c.Close() })
	_, err = run(t, "http:MakeRequest", nil, map[string]any{"url": "http://" + closed})
	wantError(t, err, weft.ConnectionError, "connection closed by the server: ")

	garbage := rawServer(t, func(c *net.TCPConn) {
		io.WriteString(c, "SMTP ready\r\n\r\n")
		c.Close()
	})
	_, err = run(t, "http:MakeRequest", nil, map[string]any{"url": "http://" + garbage})
	wantError(t, err, weft.UnexpectedError, "malformed response: ")
}

// hangingServer never answers (headers) or stops after the headers (body) until the
// client goes away or the test ends.
func hangingServer(t *testing.T, sendHeaders bool) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sendHeaders {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(200)
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	return srv
}

func TestTimeoutField(t *testing.T) {
	for _, sendHeaders := range []bool{false, true} {
		srv := hangingServer(t, sendHeaders)
		start := time.Now()
		_, err := run(t, "http:MakeRequest", nil, map[string]any{"url": srv.URL + "/slow", "timeout": "1"})
		e := wantError(t, err, weft.ModuleTimeoutError,
			"GET "+srv.URL+"/slow: no complete response within the 1s timeout")
		if !errors.Is(e, context.DeadlineExceeded) {
			t.Errorf("cause %v is not a deadline", e.Err)
		}
		if d := time.Since(start); d < time.Second || d > 10*time.Second {
			t.Errorf("timed out after %s, want about 1s", d)
		}
	}
}

// The engine's own deadline or cancellation reaches the request too.
func TestContextCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	}))
	defer srv.Close()
	_, err := apptest.Run(ctx, specOf(t, "http:MakeRequest", Options{}), nil, map[string]any{"url": srv.URL}, nil)
	e := wantError(t, err, weft.RuntimeError, "cancelled: ")
	if !errors.Is(e, context.Canceled) {
		t.Errorf("cause %v is not context.Canceled", e.Err)
	}

	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	_, err = apptest.Run(dctx, specOf(t, "http:MakeRequest", Options{}), nil, map[string]any{"url": srv.URL}, nil)
	wantError(t, err, weft.ModuleTimeoutError, "timed out: ")
}

func TestTLSFailures(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secret garden")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	// A self-signed certificate is refused by default.
	_, err := run(t, "http:MakeRequest", nil, map[string]any{"url": srv.URL})
	wantError(t, err, weft.ConnectionError, "TLS handshake failed: ", "certificate")
	_, err = run(t, "http:ActionSendData", nil, map[string]any{"url": srv.URL})
	wantError(t, err, weft.ConnectionError, "TLS handshake failed: ")

	// https to a plain HTTP server.
	plain, _ := recorder(t, nil)
	_, err = run(t, "http:MakeRequest", nil, map[string]any{"url": strings.Replace(plain.URL, "http:", "https:", 1)})
	wantError(t, err, weft.ConnectionError, "TLS handshake failed: ")

	// Legacy: verification off, or the server's certificate given as CA.
	got := runOne(t, "http:ActionSendData", nil, map[string]any{"url": srv.URL, "rejectUnauthorized": false})
	deepEqual(t, "insecure data", got["data"], "secret garden")
	pem := certPEM(srv)
	got = runOne(t, "http:ActionSendData", nil, map[string]any{"url": srv.URL, "ca": pem})
	deepEqual(t, "own CA data", got["data"], "secret garden")
	_, err = run(t, "http:ActionSendData", nil, map[string]any{"url": srv.URL, "ca": "not a certificate"})
	wantError(t, err, weft.InvalidConfigurationError, "ca: no PEM certificate found")
}

// fakeDNS answers every query on 127.0.0.1 with NXDOMAIN.
func fakeDNS(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			msg := append([]byte(nil), buf[:n]...)
			msg[2] = 0x80 | msg[2]&0x79 // response, same opcode and RD
			msg[3] = 0x80 | 3           // RA, NXDOMAIN
			for i := 6; i < 12; i++ {   // no answer, authority or additional records
				msg[i] = 0
			}
			pc.WriteTo(trimQuestion(msg), from)
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

// trimQuestion drops what follows the first question (an EDNS OPT record we no longer
// count).
func trimQuestion(msg []byte) []byte {
	i := 12
	for i < len(msg) && msg[i] != 0 {
		i += int(msg[i]) + 1
	}
	if end := i + 5; end <= len(msg) {
		return msg[:end]
	}
	return msg
}

func TestDNSFailure(t *testing.T) {
	spec := specOf(t, "http:MakeRequest", Options{Resolver: fakeDNS(t)})
	_, err := apptest.Run(context.Background(), spec, nil, map[string]any{"url": "http://api.weft-test.invalid/x"}, nil)
	e := wantError(t, err, weft.ConnectionError, "host not found: ", "api.weft-test.invalid")
	var dnsErr *net.DNSError
	if !errors.As(e, &dnsErr) {
		t.Errorf("cause %v is not a DNS error", e.Err)
	}
}

func TestResponseSizeCap(t *testing.T) {
	big := strings.Repeat("x", 2000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked": // no Content-Length: found while reading
			w.Header().Set("Content-Type", "text/plain")
			w.(http.Flusher).Flush()
			io.WriteString(w, big)
		case "/gzip": // 2000 bytes that decompress to 1 MB
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			gz.Write(bytes.Repeat([]byte{0}, 1<<20))
			gz.Close()
		default:
			io.WriteString(w, big)
		}
	}))
	defer srv.Close()
	// The gzip body is about 1 KB on the wire and 1 MB decoded: the cap counts decoded.
	spec := specOf(t, "http:MakeRequest", Options{MaxBodySize: 1500})
	for _, tt := range []struct{ path, msg string }{
		{"/", "response body of 2000 bytes exceeds the 1500-byte limit"},
		{"/chunked", "response body exceeds the 1500-byte limit"},
		{"/gzip", "response body exceeds the 1500-byte limit"},
	} {
		_, err := apptest.Run(context.Background(), spec, nil, map[string]any{"url": srv.URL + tt.path}, nil)
		wantError(t, err, weft.MaxFileSizeExceededError, tt.msg)
	}
	got, err := apptest.Run(context.Background(), specOf(t, "http:MakeRequest", Options{MaxBodySize: 2000}),
		nil, map[string]any{"url": srv.URL + "/chunked"}, nil)
	if err != nil || got[0]["data"] != big {
		t.Errorf("body at the limit: %v", err)
	}
}

func TestRedirectLoop(t *testing.T) {
	srv, _ := recorder(t, reply(302, "", "Location", "/again"))
	spec := specOf(t, "http:MakeRequest", Options{MaxRedirects: 3})
	_, err := apptest.Run(context.Background(), spec, nil, map[string]any{"url": srv.URL}, nil)
	wantError(t, err, weft.UnexpectedError, "redirect loop: ", "stopped after 3")
}

// certPEM is the test server's certificate in PEM, as a user pastes it into "ca".
func certPEM(srv *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}
