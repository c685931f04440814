package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

func (c Config) limitDefaults() Config {
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 2 * time.Minute
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = time.Minute
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	return c
}

// httpServer is an http.Server for h with the connection limits of the config.
//
// http.Server's own WriteTimeout is not used: it bounds the whole handler, and a webhook
// answer waits for its run (up to ResponseTimeout), an event stream lasts as long as the
// run it shows, and an API call may run a scenario. Instead every write renews a
// deadline (limited), so only a client that stops reading is cut off. ReadTimeout is
// http.Server's, but lifted once the body is read (limited): past it Go would cancel
// the request's context while the handler still works.
func (s *Server) httpServer(h http.Handler) *http.Server {
	c := s.cfg
	return &http.Server{Handler: s.limited(h), ReadHeaderTimeout: c.ReadHeaderTimeout, ReadTimeout: c.ReadTimeout,
		IdleTimeout: c.IdleTimeout, MaxHeaderBytes: 64 << 10,
		// net/http's own complaints (TLS handshakes, a handler's panic) go to the
		// process logger too, not to the standard logger's plain lines.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ConnState: func(conn net.Conn, st http.ConnState) {
			if st == http.StateIdle {
				// Between requests no write deadline is left over: the server's own
				// answer to a bad next request must not fail on the last one's.
				_ = conn.SetWriteDeadline(time.Time{})
			}
		}}
}

// limited applies the body and write deadlines to every request.
func (s *Server) limited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		dw := &deadlineWriter{ResponseWriter: w, rc: rc, d: s.cfg.WriteTimeout}
		dw.renew() // before the body is read: "100 Continue" is written then
		if r.Body == nil || r.Body == http.NoBody {
			_ = rc.SetReadDeadline(time.Time{})
		} else {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		next.ServeHTTP(dw, r)
		dw.renew() // the rest of the response is written after the handler returns
	})
}

// deadlineBody lifts the connection's read deadline once the request's body has been
// read to its end.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// deadlineWriter renews the connection's write deadline before each write and flush.
type deadlineWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	d    time.Duration
	last time.Time
}

// renew moves the write deadline d ahead; not more often than every d/8 (each call
// costs a timer update), so the deadline is always at least 7/8 d away.
func (w *deadlineWriter) renew() {
	now := time.Now()
	if now.Sub(w.last) < w.d/8 {
		return
	}
	w.last = now
	_ = w.rc.SetWriteDeadline(now.Add(w.d))
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.renew()
	return w.ResponseWriter.Write(p)
}

func (w *deadlineWriter) WriteHeader(code int) {
	w.renew()
	w.ResponseWriter.WriteHeader(code)
}

// Flush keeps http.Flusher working through the wrapper (event streams need it).
func (w *deadlineWriter) Flush() {
	w.renew()
	_ = w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serveMetrics serves Metrics on MetricsListener, when both are set, with the same
// limits as the main listener; the returned function stops it.
func (s *Server) serveMetrics() (stop func()) {
	if s.cfg.MetricsListener == nil || s.cfg.Metrics == nil {
		if s.cfg.MetricsListener != nil {
			s.cfg.MetricsListener.Close()
		}
		return func() {}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.cfg.Metrics)
	hs := s.httpServer(mux)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(s.cfg.MetricsListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics listener", "err", err)
		}
	}()
	s.log.Info("metrics served on their own address", "addr", s.cfg.MetricsListener.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		<-done
	}
}
