// Package ui is weft's web UI, served by `weft serve` at "/": scenarios with their
// flow drawn from the blueprint, run history, incomplete executions a person can find,
// fix and continue, connections and API tokens. Pages are rendered on the server with
// html/template (everything escaped); htmx (vendored under assets/, no build step) and
// a few lines of JavaScript make filters, bulk actions, the "scheduled in" countdown
// and the live outcome of a run (server-sent events) feel immediate. Templates and
// assets are embedded in the binary.
//
// Sign-in is "paste an API token": the token is checked once, and the browser gets a
// server-side session cookie (HttpOnly, SameSite=Strict, Secure under TLS); the token
// itself never reaches the cookie. Sessions are kept in the store (only the SHA-256
// of their id), so a restart signs nobody out. Every POST carries the session's CSRF
// token. Each page needs the scope its API endpoint needs (package auth).
//
// Handlers call the service and the store directly, as the REST API does; nothing goes
// through HTTP twice.
package ui

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

//go:embed templates/*.html assets
var files embed.FS

// Config configures the UI.
type Config struct {
	// Service runs and changes scenarios. Required.
	Service *service.Service
	// Store is read for listings. Defaults to Service.Store().
	Store store.Store
	// Auth checks the API tokens people sign in with, and manages tokens. Required.
	Auth *auth.Auth
	// Registry holds the module specs (labels, resolve forms). Required.
	Registry *app.Registry
	// BaseURL is weft's public address, for webhook URLs. Defaults to the request's host.
	BaseURL string
	// Now is the time source. Defaults to time.Now.
	Now func() time.Time
	// Logger receives internal errors (never shown to people). Defaults to slog.Default().
	Logger *slog.Logger
	// SecureCookies marks cookies Secure even without TLS on this connection (weft
	// behind a TLS-terminating proxy). Cookies are always Secure when the request
	// came over TLS.
	SecureCookies bool
	// SessionIdle ends a session unused this long. Defaults to 12 h.
	SessionIdle time.Duration
	// SessionMax ends a session this long after sign-in. Defaults to 7 days.
	SessionMax time.Duration
	// PageSize is how many rows a listing shows. Defaults to 100.
	PageSize int
	// MaxBodyBytes limits request bodies (blueprint uploads). Defaults to 10 MiB.
	MaxBodyBytes int64
	// Jobs carries out bulk retries and deletes; share the REST API's (api.Deps.Jobs)
	// so a job started on either is seen by both. Defaults to the UI's own.
	Jobs *bulk.Jobs
}

func (c Config) withDefaults() Config {
	if c.Store == nil && c.Service != nil {
		c.Store = c.Service.Store()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = 12 * time.Hour
	}
	if c.SessionMax <= 0 {
		c.SessionMax = 7 * 24 * time.Hour
	}
	if c.PageSize <= 0 {
		c.PageSize = 100
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 10 << 20
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c
}

// UI is the web UI's handler.
type UI struct {
	cfg      Config
	svc      *service.Service
	st       store.Store
	log      *slog.Logger
	mux      *http.ServeMux
	pages    map[string]*template.Template
	sessions *sessions
	jobs     *jobs
	bulkJobs *bulk.Jobs
	assets   fs.FS
	bpCache  sync.Map // versionKey → *scenarioFlow
	anCache  sync.Map // versionKey → *editorAnalysis
	logs     *logCache
	signIns  signInLinks
}

// New returns the UI. Mount it at "/" (server.Config.UI).
func New(cfg Config) (*UI, error) {
	cfg = cfg.withDefaults()
	if cfg.Service == nil || cfg.Auth == nil || cfg.Registry == nil {
		return nil, errors.New("ui: Config.Service, Config.Auth and Config.Registry are required")
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	assets, err := fs.Sub(files, "assets")
	if err != nil {
		return nil, fmt.Errorf("ui: assets: %w", err)
	}
	u := &UI{cfg: cfg, svc: cfg.Service, st: cfg.Store, log: cfg.Logger, mux: http.NewServeMux(), pages: pages,
		sessions: newSessions(cfg.Store, cfg.Now, cfg.SessionIdle, cfg.SessionMax, cfg.Logger), jobs: newJobs(cfg.Now), bulkJobs: cfg.Jobs, assets: assets,
		logs: &logCache{budget: logCacheBytes}}
	if u.bulkJobs == nil {
		u.bulkJobs = defaultBulkJobs(cfg)
	}
	u.routes()
	return u, nil
}

// ServeHTTP serves the UI with its security headers.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Scripts and styles come only from /assets: no inline script can run, so even a
	// mistake in escaping could not execute injected code.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	r.Body = http.MaxBytesReader(w, r.Body, u.cfg.MaxBodyBytes)
	u.mux.ServeHTTP(w, r)
}

// page is a handler behind a session that grants scope ("" for any signed-in person).
type pageFunc func(w http.ResponseWriter, r *http.Request, s *session) error

func (u *UI) routes() {
	m := u.mux
	m.Handle("GET /assets/", http.StripPrefix("/assets/", u.serveAssets()))
	// Browsers ask for /favicon.ico whatever the page links; the SVG answers both.
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeFileFS(w, r, u.assets, "favicon.svg")
	})
	m.HandleFunc("GET /login", u.loginPage)
	m.HandleFunc("POST /login", u.login)
	m.HandleFunc("GET /setup", u.setupPage)
	m.HandleFunc("POST /setup", u.setup)
	m.HandleFunc("GET /login/once/{code}", u.signInOnce)
	m.Handle("POST /logout", u.page("", u.logout))
	m.Handle("GET /{$}", u.page("", func(w http.ResponseWriter, r *http.Request, _ *session) error {
		http.Redirect(w, r, "/scenarios", http.StatusSeeOther)
		return nil
	}))

	m.Handle("GET /scenarios", u.page(auth.ScenariosRead, u.scenarioList))
	m.Handle("POST /scenarios/import", u.page(auth.ScenariosWrite, u.importScenario))
	m.Handle("GET /scenarios/{id}", u.page(auth.ScenariosRead, u.scenarioDetail))
	m.Handle("POST /scenarios/{id}/version", u.page(auth.ScenariosWrite, u.uploadVersion))
	m.Handle("GET /scenarios/{id}/export", u.page(auth.ScenariosRead, u.exportScenario))
	m.Handle("GET /scenarios/{id}/versions/{version}/blueprint", u.page(auth.ScenariosRead, u.versionBlueprint))
	m.Handle("POST /scenarios/{id}/versions/{version}/restore", u.page(auth.ScenariosWrite, u.restoreVersion))
	m.Handle("POST /scenarios/{id}/active", u.page(auth.ScenariosWrite, u.setActive))
	m.Handle("POST /scenarios/{id}/settings", u.page(auth.ScenariosWrite, u.saveSettings))
	m.Handle("POST /scenarios/{id}/schedule", u.page(auth.ScenariosWrite, u.saveSchedule))
	m.Handle("POST /scenarios/{id}/trigger/start", u.page(auth.ScenariosWrite, u.startTrigger))
	m.Handle("POST /scenarios/{id}/run", u.page(auth.ScenariosWrite, u.runScenario))
	m.Handle("POST /scenarios/{id}/delete", u.page(auth.ScenariosWrite, u.deleteScenario))
	// The scenario editor (ui/editor.go) and version diffs (ui/diff.go).
	m.Handle("POST /scenarios/new", u.page(auth.ScenariosWrite, u.newScenario))
	m.Handle("GET /scenarios/{id}/edit", u.page(auth.ScenariosRead, u.editor))
	m.Handle("POST /scenarios/{id}/edit/name", u.page(auth.ScenariosWrite, u.renameScenario))
	m.Handle("POST /scenarios/{id}/edit/interface", u.page(auth.ScenariosWrite, u.saveInterface))
	m.Handle("POST /scenarios/{id}/edit/add", u.page(auth.ScenariosWrite, u.addModule))
	m.Handle("POST /scenarios/{id}/edit/modules/{mid}", u.page(auth.ScenariosWrite, u.editModule))
	m.Handle("POST /scenarios/{id}/edit/modules/{mid}/check", u.page(auth.ScenariosWrite, u.checkModule))
	m.Handle("POST /scenarios/{id}/edit/modules/{mid}/delete", u.page(auth.ScenariosWrite, u.deleteModule))
	m.Handle("POST /scenarios/{id}/edit/modules/{mid}/move", u.page(auth.ScenariosWrite, u.moveModule))
	m.Handle("POST /scenarios/{id}/edit/modules/{mid}/route", u.page(auth.ScenariosWrite, u.addRoute))
	m.Handle("POST /scenarios/{id}/edit/modules/{mid}/handler", u.page(auth.ScenariosWrite, u.addHandler))
	m.Handle("GET /scenarios/{id}/versions/{version}/diff", u.page(auth.ScenariosRead, u.versionDiff))
	m.Handle("GET /scenarios/{id}/history", u.page(auth.ExecutionsRead, u.history))
	m.Handle("POST /scenarios/{id}/queue/{item}/retry", u.page(auth.WebhooksWrite, u.queueItemAction(true)))
	m.Handle("POST /scenarios/{id}/queue/{item}/delete", u.page(auth.WebhooksWrite, u.queueItemAction(false)))
	m.Handle("GET /scenarios/{id}/incomplete", u.page(auth.IncompleteRead, u.incompleteList))

	m.Handle("GET /executions", u.page(auth.ExecutionsRead, u.history))
	m.Handle("GET /executions/{id}", u.page(auth.ExecutionsRead, u.executionDetail))

	m.Handle("GET /incomplete", u.page(auth.IncompleteRead, u.incompleteList))
	m.Handle("GET /incomplete/groups", u.page(auth.IncompleteRead, u.incompleteGroups))
	m.Handle("POST /incomplete/groups/retry", u.page(auth.IncompleteWrite, u.retryGroup))
	m.Handle("POST /incomplete/bulk", u.page(auth.IncompleteWrite, u.bulk))
	m.Handle("POST /incomplete/bulk/confirm", u.page(auth.IncompleteWrite, u.bulkConfirmed))
	m.Handle("GET /incomplete/jobs/{id}", u.page(auth.IncompleteRead, u.bulkJobPage))
	m.Handle("GET /incomplete/jobs/{id}/events", u.page(auth.IncompleteRead, u.bulkJobEvents))
	m.Handle("GET /incomplete/{id}", u.page(auth.IncompleteRead, u.incompleteDetail))
	m.Handle("POST /incomplete/{id}/save", u.page(auth.IncompleteWrite, u.saveIncomplete))
	m.Handle("POST /incomplete/{id}/run", u.page(auth.IncompleteWrite, u.runIncomplete))
	m.Handle("POST /incomplete/{id}/retry", u.page(auth.IncompleteWrite, u.retryIncomplete))
	m.Handle("POST /incomplete/{id}/delete", u.page(auth.IncompleteWrite, u.deleteIncomplete))
	m.Handle("POST /incomplete/{id}/check", u.page(auth.IncompleteWrite, u.checkIncomplete))
	m.Handle("POST /incomplete/{id}/mark-done", u.page(auth.IncompleteWrite, u.markDone))
	m.Handle("POST /breakers/reset", u.page(auth.IncompleteWrite, u.resetBreaker))

	m.Handle("GET /jobs/{id}/events", u.page("", u.jobEvents))

	m.Handle("GET /connections", u.page(auth.ConnectionsRead, u.connectionList))
	m.Handle("POST /connections", u.page(auth.ConnectionsWrite, u.createConnection))
	m.Handle("POST /connections/{id}/delete", u.page(auth.ConnectionsWrite, u.deleteConnection))
	// OAuth connections (ui/oauth.go).
	m.Handle("POST /connections/oauth", u.page(auth.ConnectionsWrite, u.createOAuthConnection))
	m.Handle("GET /connections/{id}", u.page(auth.ConnectionsRead, u.connectionDetail))
	m.Handle("GET /connections/{id}/connect", u.page(auth.ConnectionsWrite, u.connect))
	m.Handle("POST /connections/{id}/retry-blocked", u.page(auth.ConnectionsWrite, u.retryBlocked))
	m.HandleFunc("GET /oauth/callback", u.oauthCallback)

	m.Handle("GET /tokens", u.page(auth.Admin, u.tokenList))
	m.Handle("POST /tokens", u.page(auth.Admin, u.createToken))
	m.Handle("POST /tokens/{id}/revoke", u.page(auth.Admin, u.revokeToken))
	m.Handle("GET /members", u.page(auth.Admin, u.members))
	m.Handle("POST /members/invite", u.page(auth.Admin, u.invite))
	m.Handle("POST /members/invites/{id}/revoke", u.page(auth.Admin, u.revokeInvite))
	m.Handle("POST /members/{id}/role", u.page(auth.Admin, u.setRole))
	m.Handle("POST /members/{id}/remove", u.page(auth.Admin, u.removeMember))
	m.Handle("GET /audit", u.page(auth.Admin, u.auditLog))
	m.HandleFunc("GET /invite/{code}", u.invitePage)
	m.HandleFunc("POST /invite/{code}", u.acceptInvite)

	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.errorPage(w, r, nil, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
	})
}

// serveAssets serves the embedded assets; their names carry versions, so they may be
// cached for long.
func (u *UI) serveAssets() http.Handler {
	fsrv := http.FileServerFS(u.assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}
