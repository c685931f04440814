// Package api is weft's REST API under /api/v1: scenarios, executions, incomplete
// executions, connections, data stores and webhooks, as JSON, behind API tokens with
// scopes (package auth). The routes are one table (routes.go) that the router, the
// scope checks and the OpenAPI document's drift test all read.
package api

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

var (
	openAPIOnce sync.Once
	openAPIDoc  []byte
)

// OpenAPI returns the OpenAPI 3.1 document of the API (built once, from the operation
// table in openapi.go).
func OpenAPI() []byte {
	openAPIOnce.Do(func() { openAPIDoc = buildOpenAPI() })
	return openAPIDoc
}

// Deps is what the API needs.
type Deps struct {
	// Service runs and changes scenarios. Required.
	Service *service.Service
	// Store is read directly for listings. Defaults to Service.Store().
	Store store.Store
	// Auth checks API tokens. Required.
	Auth *auth.Auth
	// BaseURL is weft's public address (https://weft.example.com), for webhook URLs.
	BaseURL string
	// Now is the time source. Defaults to time.Now.
	Now func() time.Time
	// Logger receives internal errors (never shown to clients). Defaults to slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (413 beyond). Defaults to 10 MiB.
	MaxBodyBytes int64
	// Jobs carries out bulk retries and deletes (GET /jobs/{id}); share it with the web
	// UI so both see the same jobs. Defaults to jobs of its own on Service.
	Jobs *bulk.Jobs
}

type api struct {
	Deps
	svc *service.Service
	st  store.Store
	mux *http.ServeMux
	doc []byte
}

// New returns the API's handler. Mount it at /api/v1 (mux.Handle("/api/v1/", h));
// a mount that strips the prefix works as well.
func New(d Deps) http.Handler {
	if d.Store == nil && d.Service != nil {
		d.Store = d.Service.Store()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 10 << 20
	}
	if d.Jobs == nil && d.Service != nil {
		d.Jobs = bulk.New(bulk.Options{Service: d.Service, Store: d.Store, Now: d.Now, Logger: d.Logger})
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	a := &api{Deps: d, svc: d.Service, st: d.Store, mux: http.NewServeMux(), doc: OpenAPI()}
	for _, rt := range routes {
		h := a.wrap(rt)
		if rt.Scope != "" {
			h = d.Auth.Require(rt.Scope, h)
		}
		a.mux.Handle(rt.Method+" "+Prefix+rt.Path, h)
	}
	a.mux.HandleFunc(Prefix+"/", a.notFound)
	return a
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Prefix && !strings.HasPrefix(r.URL.Path, Prefix+"/") {
		// Mounted behind http.StripPrefix: put the prefix back for the router.
		r2 := r.Clone(r.Context())
		r2.URL.Path = Prefix + r.URL.Path
		if r.URL.RawPath != "" {
			r2.URL.RawPath = Prefix + r.URL.RawPath
		}
		r = r2
	}
	start := a.Now()
	sw := &statusWriter{ResponseWriter: w}
	a.mux.ServeHTTP(sw, r)
	a.Logger.Debug("api request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
		"duration", a.Now().Sub(start))
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// notFound answers paths no route has, or routes asked with another method (405).
func (a *api) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != Prefix+"/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeErr(w, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + strings.Join(allow, ", ")})
		return
	}
	writeErr(w, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such endpoint: " + r.URL.Path})
}

// wrap turns a route's handler into an http.Handler: the body is limited, and a
// returned error becomes the API's error response.
func (a *api) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, a.MaxBodyBytes)
		if err := a.audited(rt, w, r); err != nil { // audit.go
			a.fail(w, r, err)
		}
	})
}
