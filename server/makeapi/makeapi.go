// Package makeapi is Make's public API v2 (developers.make.com, "API documentation")
// under /api/v2, translated onto weft's service: the paths, query parameters, bodies,
// envelopes, field names and error shape Make's own TypeScript SDK (@makehq/sdk), its
// MCP tools and users' scripts expect, so they manage weft unchanged.
//
// It shares the service and the authorization table (package auth, weft's tokens and
// scopes) with weft's own API (/api/v1, package server/api); each route names the weft
// scope that guards the same data in /api/v1 (routes.go). Where weft can do more than
// Make (canary retries, groups, outcome unknown) only /api/v1 offers it; /api/v2 stays
// Make's, so a client written for Make never meets a field it does not know.
package makeapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Prefix is where the API lives.
const Prefix = "/api/v2"

// Deps is what the API needs.
type Deps struct {
	// Service runs and changes scenarios. Required.
	Service *service.Service
	// Store is read directly for listings. Defaults to Service.Store().
	Store store.Store
	// Auth checks API tokens (the same tokens and scopes as /api/v1). Required.
	Auth *auth.Auth
	// BaseURL is weft's public address (https://weft.example.com), for webhook URLs.
	BaseURL string
	// Now is the time source. Defaults to time.Now.
	Now func() time.Time
	// NewKey makes the key of a data store record created without one. Defaults to 12
	// random hex digits (Make's generated keys look alike).
	NewKey func() string
	// Logger receives internal errors (never shown to clients). Defaults to slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (413 beyond). Defaults to 10 MiB.
	MaxBodyBytes int64
	// OrganizationID and TeamID are the ids weft shows for its one organization and its
	// one team. Requests may name any organization or team id (a script moved from Make
	// keeps its own): every one of them is weft's. Default to 1.
	OrganizationID int64
	TeamID         int64
	// QueueLimit is what hooks show as their queueLimit: the server's per-scenario
	// queue bound (server.Config.QueueLimit). Defaults to 10,000.
	QueueLimit int
}

type api struct {
	Deps
	svc *service.Service
	st  store.Store
	mux *http.ServeMux
	doc []byte
}

var (
	openAPIOnce sync.Once
	openAPIDoc  []byte
)

// OpenAPI returns the OpenAPI 3.1 document of /api/v2 (built once from the operation
// table in openapi.go; a test keeps it and the route table in step).
func OpenAPI() []byte {
	openAPIOnce.Do(func() { openAPIDoc = buildOpenAPI() })
	return openAPIDoc
}

// New returns the API's handler. Mount it at /api/v2 (mux.Handle("/api/v2/", h)); a
// mount that strips the prefix works as well.
func New(d Deps) http.Handler {
	if d.Store == nil && d.Service != nil {
		d.Store = d.Service.Store()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NewKey == nil {
		d.NewKey = randomKey
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 10 << 20
	}
	if d.OrganizationID <= 0 {
		d.OrganizationID = 1
	}
	if d.TeamID <= 0 {
		d.TeamID = 1
	}
	if d.QueueLimit <= 0 {
		d.QueueLimit = 10_000
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	a := &api{Deps: d, svc: d.Service, st: d.Store, mux: http.NewServeMux(), doc: OpenAPI()}
	for _, rt := range routes {
		a.mux.Handle(rt.Method+" "+Prefix+rt.Path, a.wrap(rt))
	}
	a.mux.HandleFunc(Prefix+"/", a.notFound)
	return a
}

func randomKey() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on the platforms weft builds for; a key from the
		// clock is still unique enough for one record.
		return strconv.FormatInt(time.Now().UnixNano(), 16)
	}
	return hex.EncodeToString(b)
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
	a.Logger.Debug("make api request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
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

// notFound answers paths no route has (404), or routes asked with another method (405).
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
		writeErr(w, &Error{Status: http.StatusMethodNotAllowed,
			Detail: r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + strings.Join(allow, ", ")})
		return
	}
	writeErr(w, &Error{Status: http.StatusNotFound,
		Detail: "weft answers Make's API for a part of its endpoints (docs/api.md, \"Make's API\"); " + r.URL.Path + " is not one of them"})
}

// wrap turns a route into an http.Handler: the token is checked against the route's
// weft scope (answering in Make's error shape), the body is limited, and a returned
// error becomes Make's error response.
func (a *api) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Scope != "" {
			var ok bool
			if r, ok = a.authorize(w, r, rt.Scope); !ok {
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, a.MaxBodyBytes)
		if err := rt.Handle(a, w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}

// authorize lets a request through only with a valid, unrevoked token that grants
// scope (scopeAnyToken: any valid token). The refusals are auth.Require's (401 with a
// WWW-Authenticate challenge, 403, 429 with Retry-After while the client is
// throttled) in Make's error shape.
func (a *api) authorize(w http.ResponseWriter, r *http.Request, scope string) (*http.Request, bool) {
	plain, ok := auth.BearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="weft"`)
		writeErr(w, &Error{Status: http.StatusUnauthorized, Message: "Invalid access token.",
			Detail: "an API token is required: send the header Authorization: Token weft_… (or Bearer weft_…)"})
		return r, false
	}
	t, err := a.Auth.VerifyRequest(r, plain)
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(te.Seconds()))
		writeErr(w, &Error{Status: http.StatusTooManyRequests,
			Detail: fmt.Sprintf("too many failed authentication attempts from your address; retry in %d s", te.Seconds())})
		return r, false
	case errors.Is(err, auth.ErrInvalid), errors.Is(err, auth.ErrRevoked):
		what := "not valid"
		if errors.Is(err, auth.ErrRevoked) {
			what = "revoked"
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="weft", error="invalid_token", error_description=%q`, err.Error()))
		writeErr(w, &Error{Status: http.StatusUnauthorized, Message: "Invalid access token.", Detail: "the API token is " + what})
		return r, false
	case err != nil:
		a.Logger.Error("verify API token", "err", err)
		writeErr(w, &Error{Status: http.StatusInternalServerError, Detail: "the API token could not be checked"})
		return r, false
	}
	if scope != scopeAnyToken && !auth.Allows(t, scope) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="weft", error="insufficient_scope", scope=%q`, scope))
		writeErr(w, &Error{Status: http.StatusForbidden, Message: "Permission denied",
			Detail: fmt.Sprintf("the API token %q lacks the weft scope %s (Make's %s)", t.Name, scope, makeScopeOf(scope))})
		return r, false
	}
	return r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)), true
}

type tokenKey struct{}

// tokenOf is the token a request was authorized with (nil for routes without one).
func tokenOf(r *http.Request) *weft.Token {
	t, _ := r.Context().Value(tokenKey{}).(*weft.Token)
	return t
}
