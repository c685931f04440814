package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/server"
)

// closed reports, on the returned channel, when the server closes conn (a read ends).
func closed(conn net.Conn) <-chan struct{} {
	c := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, conn)
		close(c)
	}()
	return c
}

func dial(t *testing.T, e *env) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// trickle writes one piece every 50 ms until the server closes the connection, and
// fails the test if all pieces went out first (or 30 s pass).
func trickle(t *testing.T, conn net.Conn, gone <-chan struct{}, pieces int, piece func(i int) string) int {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	limit := time.After(30 * time.Second)
	for i := 0; ; i++ {
		select {
		case <-gone:
			return i
		case <-limit:
			t.Fatal("the server kept the connection open for 30 s")
		case <-tick.C:
		}
		if i == pieces {
			t.Fatalf("the client sent all %d pieces and was not cut off", pieces)
		}
		if _, err := io.WriteString(conn, piece(i)); err != nil {
			return i // reset by the server
		}
	}
}

// A slowloris client, sending its headers a line at a time, is disconnected once
// ReadHeaderTimeout has passed.
func TestSlowHeadersDisconnected(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.ReadHeaderTimeout = 300 * time.Millisecond })
	conn := dial(t, e)
	gone := closed(conn)
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: weft\r\n")
	sent := trickle(t, conn, gone, 400, func(i int) string { return fmt.Sprintf("X-Slow-%d: x\r\n", i) })
	if sent < 2 {
		t.Fatalf("cut off after %d header lines: the test did not trickle", sent)
	}
	// A prompt client on the same server is served.
	resp, err := http.Get(e.base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

// echo is an API handler that reads the body and answers with its length.
func echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		fmt.Fprintf(w, "%d", len(b))
	})
}

// A body trickled in is cut off at ReadTimeout.
func TestSlowBodyDisconnected(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.ReadTimeout = 500 * time.Millisecond
		c.API = echo()
	})
	conn := dial(t, e)
	gone := closed(conn)
	io.WriteString(conn, "POST /api/v1/echo HTTP/1.1\r\nHost: weft\r\nContent-Length: 400\r\n\r\n")
	trickle(t, conn, gone, 400, func(int) string { return "x" })
}

// A long answer outlives both timeouts: the request's context stays alive after the
// body is read (Go would cancel it at ReadTimeout), and an event stream that writes
// now and then goes on past WriteTimeout.
func TestLongResponsesOutliveTimeouts(t *testing.T) {
	const short = 300 * time.Millisecond
	run := 4 * short // what a slow run takes: the thing under test is a long handler
	e := newEnv(t, func(c *server.Config) {
		c.ReadTimeout, c.WriteTimeout = short, short
		c.API = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			if r.URL.Path == "/stream" { // the API is mounted without its prefix
				w.Header().Set("Content-Type", "text/event-stream")
				for i := range 8 {
					fmt.Fprintf(w, "data: %d\n\n", i)
					w.(http.Flusher).Flush()
					select {
					case <-time.After(run / 8):
					case <-r.Context().Done():
						return
					}
				}
				return
			}
			select {
			case <-time.After(run):
				fmt.Fprint(w, "done")
			case <-r.Context().Done():
				fmt.Fprint(w, "cancelled: ", r.Context().Err())
			}
		})
	})
	resp, err := http.Post(e.base+"/api/v1/run", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "done" {
		t.Fatalf("a run longer than ReadTimeout: %q", b)
	}
	resp, err = http.Get(e.base + "/api/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			events++
		}
	}
	if events != 8 {
		t.Fatalf("event stream longer than WriteTimeout: %d of 8 events (%v)", events, sc.Err())
	}
}

// A client that stops reading a large answer is cut off at WriteTimeout instead of
// holding the handler for ever.
func TestStalledReaderCutOff(t *testing.T) {
	wrote := make(chan error, 1)
	e := newEnv(t, func(c *server.Config) {
		c.WriteTimeout = 300 * time.Millisecond
		c.API = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			chunk := make([]byte, 1<<20)
			for range 1024 { // 1 GiB: far more than the socket buffers hold
				if _, err := w.Write(chunk); err != nil {
					wrote <- err
					return
				}
			}
			wrote <- nil
		})
	})
	conn := dial(t, e)
	io.WriteString(conn, "GET /api/v1/big HTTP/1.1\r\nHost: weft\r\n\r\n")
	// The client reads nothing.
	select {
	case err := <-wrote:
		if err == nil {
			t.Fatal("1 GiB written to a client that reads nothing")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the handler is still blocked 60 s after the client stopped reading")
	}
}

// With a metrics listener, /metrics is served there and not on the main address.
func TestMetricsOwnAddress(t *testing.T) {
	ml, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "weft_up 1\n") })
	e := newEnv(t, func(c *server.Config) { c.Metrics, c.MetricsListener = metrics, ml })
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + ml.Addr().String() + "/metrics"); code != 200 || body != "weft_up 1\n" {
		t.Fatalf("metrics address: %d %q", code, body)
	}
	if code, _ := get(e.base + "/metrics"); code != http.StatusNotFound {
		t.Fatalf("main address still serves /metrics: %d", code)
	}
	if code, _ := get("http://" + ml.Addr().String() + "/healthz"); code != http.StatusNotFound {
		t.Fatalf("metrics address serves more than /metrics: %d", code)
	}
	e.stop()
	if _, err := http.Get("http://" + ml.Addr().String() + "/metrics"); err == nil {
		t.Fatal("metrics address still answers after shutdown")
	}

	// Without one, /metrics is on the main address as before.
	e = newEnv(t, func(c *server.Config) { c.Metrics = metrics })
	if code, body := get(e.base + "/metrics"); code != 200 || body != "weft_up 1\n" {
		t.Fatalf("main address: %d %q", code, body)
	}
}
