// Package server is `weft serve`: one HTTP server in front of the service — webhooks
// (/hooks/{token}), the REST API (/api/v1, package server/api), Make's API (/api/v2,
// package server/makeapi), health and readiness
// (/healthz, /readyz) and Prometheus metrics (/metrics) — plus the worker that carries
// out retries, schedules and queued runs, and a graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Config configures a Server.
type Config struct {
	// Service runs scenarios. Required.
	Service *service.Service
	// Store is the service's store. Required.
	Store store.Store
	// API serves /api/v1 (nil: no API).
	API http.Handler
	// MakeAPI serves /api/v2, Make's API (package server/makeapi; nil: none).
	MakeAPI http.Handler
	// Metrics serves /metrics (nil: no metrics).
	Metrics http.Handler
	// UI serves the web UI at / (every path the routes above do not take; nil: none).
	UI http.Handler
	// OnWebhook is told the outcome of every webhook request ("accepted", "responded",
	// "not_found", "too_large", "queue_full", "busy", "bad_signature", "invalid",
	// "error", "scenario_failed", "unavailable"; metrics.WebhookOutcomes).
	OnWebhook func(outcome string)
	// Logger receives request and lifecycle logs. Defaults to slog.Default().
	Logger *slog.Logger
	// MaxPayload is the largest webhook payload accepted. Defaults to 5 MB (→ 413).
	MaxPayload int64
	// QueueLimit is how many payloads one scenario may have in its queue (waiting,
	// running, set aside). Defaults to 10,000 (→ 429 with Retry-After).
	QueueLimit int

	// Webhook intake limits (docs/operations.md). The decode budget itself is the
	// service's (service.Config.DecodeBytes).

	// QueueBytes is how many bytes of payloads one scenario may have in its queue,
	// counting a new payload by its size as received. Defaults to 64 MiB (→ 429 with
	// Retry-After).
	QueueBytes int64
	// DecodeWait is how long a webhook request waits for room in the decode budget
	// before it is refused. Defaults to 5 s (→ 429 with Retry-After).
	DecodeWait time.Duration
	// MaxDepth and MaxMembers bound a JSON payload's nesting and its object members plus
	// array elements (all levels). Default to 128 and 1,000,000 (→ 413).
	MaxDepth   int
	MaxMembers int
	// ResponseTimeout is how long a webhook caller waits for the scenario's webhook
	// response before getting 200 "Accepted". Defaults to 40 s.
	ResponseTimeout time.Duration
	// MaxInline is how many runs webhook requests carry out at once; beyond it payloads
	// wait in the queue for the worker. Defaults to 64.
	MaxInline int
	// ShutdownTimeout is how long a shutdown waits for runs in flight before
	// interrupting them (Recover hands them back at the next start). Defaults to 30 s.
	ShutdownTimeout time.Duration
	// Poll is how often the worker looks for work when idle. Defaults to 1 s.
	Poll time.Duration
	// HookSecret returns the HMAC key of a hook (decrypted), or nil when it has none.
	HookSecret func(ctx context.Context, token string) ([]byte, error)

	// Connection limits (server/limits.go, docs/security.md): a slow or stalled client
	// holds a connection and a goroutine for at most these.
	//
	// ReadHeaderTimeout is how long a client may take to send a request's headers.
	// Defaults to 10 s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout is how long a client may take to send a whole request, body
	// included; once the body is read the deadline is lifted, so long runs and event
	// streams are not cut. Defaults to 2 min (a 10 MiB body at ~90 KB/s).
	ReadTimeout time.Duration
	// WriteTimeout is how long one write of a response may stall (a client that stops
	// reading); every write and flush renews it, so a long event stream or a webhook
	// response that waits for its run is not cut. Defaults to 1 min.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection that sends no request this long.
	// Defaults to 2 min.
	IdleTimeout time.Duration
	// MetricsListener, when set, serves Metrics there (its own address, e.g. only on
	// an internal interface) and not on the main listener. Serve closes it.
	MetricsListener net.Listener
	// Role splits the work of processes sharing one database (docs/operations.md):
	// RoleAPI serves webhooks (running them inline as usual), the API and the UI but
	// runs no worker; RoleWorker runs the worker (queued runs, retries, schedules,
	// takeovers) and serves only health, readiness and metrics. Defaults to RoleAll.
	Role string
}

// The roles of a process (Config.Role).
const (
	RoleAll    = "all"
	RoleAPI    = "api"
	RoleWorker = "worker"
)

// ErrFenced is what Serve returns when the process lost its lease on a shared store:
// its runs were interrupted (the other processes take them over) and it must exit.
var ErrFenced = errors.New("this process lost its lease on the shared database; its work is taken over by the other processes")

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = 5 << 20
	}
	if c.QueueLimit == 0 {
		c.QueueLimit = 10_000
	}
	if c.QueueBytes == 0 {
		c.QueueBytes = 64 << 20
	}
	if c.DecodeWait == 0 {
		c.DecodeWait = 5 * time.Second
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = 128
	}
	if c.MaxMembers == 0 {
		c.MaxMembers = 1_000_000
	}
	if c.ResponseTimeout == 0 {
		c.ResponseTimeout = 40 * time.Second
	}
	if c.MaxInline == 0 {
		c.MaxInline = 64
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.Poll == 0 {
		c.Poll = time.Second
	}
	if c.OnWebhook == nil {
		c.OnWebhook = func(string) {}
	}
	if c.Role == "" {
		c.Role = RoleAll
	}
	return c.limitDefaults()
}

// Server is a running weft.
type Server struct {
	cfg    Config
	svc    *service.Service
	st     store.Store
	log    *slog.Logger
	mux    *http.ServeMux
	inline chan struct{} // semaphore of inline runs
	runs   sync.WaitGroup
	// runCtx is the context of runs; cancelled when a shutdown gives up waiting.
	runCtx    context.Context
	cancelRun context.CancelFunc
	ready     atomic.Bool
	stopping  atomic.Bool
	hooks     hookCache
}

// New returns a server.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.Service == nil || cfg.Store == nil {
		return nil, errors.New("server: Config.Service and Config.Store are required")
	}
	switch cfg.Role {
	case RoleAll, RoleAPI, RoleWorker:
	default:
		return nil, fmt.Errorf("server: role %q: want %s, %s or %s", cfg.Role, RoleAll, RoleAPI, RoleWorker)
	}
	if cfg.MaxPayload < 0 || cfg.QueueLimit < 0 || cfg.QueueBytes < 0 || cfg.DecodeWait < 0 || cfg.MaxDepth < 0 || cfg.MaxMembers < 0 {
		return nil, fmt.Errorf("server: webhook intake limits must not be negative (max payload %d, queue limit %d, queue bytes %d, decode wait %s, max depth %d, max members %d)",
			cfg.MaxPayload, cfg.QueueLimit, cfg.QueueBytes, cfg.DecodeWait, cfg.MaxDepth, cfg.MaxMembers)
	}
	s := &Server{cfg: cfg, svc: cfg.Service, st: cfg.Store, log: cfg.Logger, mux: http.NewServeMux(),
		inline: make(chan struct{}, cfg.MaxInline)}
	s.runCtx, s.cancelRun = context.WithCancel(context.Background())
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	if s.cfg.Role != RoleWorker {
		s.mux.HandleFunc("/hooks/{token}", s.hook)
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if s.cfg.Metrics != nil && s.cfg.MetricsListener == nil {
		s.mux.Handle("GET /metrics", s.cfg.Metrics)
	}
	if s.cfg.Role == RoleWorker {
		return // a worker answers health, readiness and metrics only
	}
	if s.cfg.API != nil {
		s.mux.Handle("/api/v1/", http.StripPrefix("/api/v1", s.cfg.API))
	}
	if s.cfg.MakeAPI != nil {
		s.mux.Handle("/api/v2/", http.StripPrefix("/api/v2", s.cfg.MakeAPI))
	}
	if s.cfg.UI != nil {
		s.mux.Handle("/", s.cfg.UI)
	}
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if !s.ready.Load() || s.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"status":"starting or stopping"}`)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.st.ListScenarios(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"status":"store unavailable"}`)
		return
	}
	fmt.Fprint(w, `{"status":"ready"}`)
}

// Serve recovers interrupted work, then serves on ln and runs the worker until ctx is
// cancelled; then it shuts down gracefully: no new requests, runs in flight get
// ShutdownTimeout to finish, the rest are interrupted and recovered at the next start.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if _, err := s.svc.Recover(ctx); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	hs := s.httpServer(s.mux)
	hs.BaseContext = func(net.Listener) context.Context { return s.runCtx }
	stopMetrics := s.serveMetrics()
	defer stopMetrics()
	stopWork := make(chan struct{})
	workDone := make(chan error, 1)
	if s.cfg.Role == RoleAPI {
		workDone <- nil // the workers of other processes do the worker's part
	} else {
		go func() { workDone <- s.svc.WorkUntil(s.runCtx, stopWork, s.cfg.Poll) }()
	}
	serveDone := make(chan error, 1)
	go func() { serveDone <- hs.Serve(ln) }()
	s.ready.Store(true)
	s.log.Info("weft serving", "addr", ln.Addr().String(), "role", s.cfg.Role)

	select {
	case <-ctx.Done():
	case <-s.svc.Fenced():
		// Another process may take this one's work over once the lease expires: stop
		// every run now, before that, so none runs twice at the same time.
		s.log.Error("lease lost on the shared database: interrupting every run and stopping")
		s.stopping.Store(true)
		close(stopWork)
		s.cancelRun()
		_ = hs.Close()
		s.runs.Wait()
		<-workDone
		return ErrFenced
	case err := <-serveDone:
		close(stopWork)
		s.cancelRun()
		<-workDone
		return err
	}
	s.stopping.Store(true)
	s.log.Info("shutting down: finishing runs in flight", "timeout", s.cfg.ShutdownTimeout)
	deadline, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	close(stopWork) // the worker takes no more work; its runs in flight may finish
	// Stop accepting; wait for handlers (and the inline runs they carry) to finish.
	shutErr := hs.Shutdown(deadline)
	// Wait for the runs webhook requests started and for the worker's runs in flight:
	// interrupting a run that already committed data store writes would make its payload
	// run twice after recovery, so only the deadline cuts them short.
	done := make(chan struct{})
	go func() { s.runs.Wait(); <-workDone; close(done) }()
	select {
	case <-done:
	case <-deadline.Done():
		s.log.Warn("shutdown timeout: interrupting runs in flight (recovered at the next start)")
		s.cancelRun()
		<-done
	}
	// Runs that ended after the worker stopped may owe their end to the store (a full
	// disk): one last try, else recovery handles them at the next start.
	if s.svc.FailedWrites() > 0 {
		if _, err := s.svc.RetryFailedWrites(context.Background()); err != nil {
			s.log.Error("stopping with failed writes; recovery handles them at the next start",
				"owed", s.svc.FailedWrites(), "err", err)
		}
	}
	s.cancelRun()
	if shutErr != nil && !errors.Is(shutErr, context.DeadlineExceeded) {
		return shutErr
	}
	return nil
}
