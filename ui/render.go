package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// pageBase is what the layout needs on every page.
type pageBase struct {
	Title string
	// Nav names the active menu entry.
	Nav   string
	CSRF  string
	User  string
	Admin bool
	Flash string
	// Now is the render time (the countdown's starting point).
	Now time.Time
}

// base fills the layout's fields for a signed-in page.
func (u *UI) base(s *session, title, nav string) pageBase {
	b := pageBase{Title: title, Nav: nav, Now: u.cfg.Now().UTC()}
	if s != nil {
		b.CSRF, b.User = s.csrf, s.token.Name
		b.Admin = hasScope(s, "admin")
		b.Flash = u.sessions.takeFlash(s.key)
	}
	return b
}

var funcs = template.FuncMap{
	"time":        fmtTime,
	"ago":         ago,
	"dur":         fmtDuration,
	"size":        fmtSize,
	"short":       shortID,
	"rfc3339":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"countdown":   countdown,
	"json":        prettyJSON,
	"join":        strings.Join,
	"add":         func(a, b int) int { return a + b },
	"jsonPresent": jsonPresent,
	"list":        func(s ...string) []string { return s },
	// small: a bundle shown inline in a list of log entries; a bigger one is a link
	// to its operation's own page (a 5,000-item trigger bundle is 200 KB).
	"small": func(raw json.RawMessage) bool { return len(raw) <= 4096 },
}

// parseTemplates builds one template set per page: the layout and partials, plus the
// page's own file (each page defines "content").
func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("base").Funcs(funcs).ParseFS(files, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		file := path.Base(n)
		if strings.HasPrefix(file, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		pages[strings.TrimSuffix(file, ".html")] = t
	}
	return pages, nil
}

// render writes a page. It renders into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := u.pages[page]
	if !ok {
		u.log.Error("ui: no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	entry := "layout"
	if r.Header.Get("HX-Request") != "" && r.Header.Get("HX-Target") != "" && t.Lookup("fragment") != nil {
		entry = "fragment"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, entry, data); err != nil {
		u.log.Error("ui: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct {
	pageBase
	Status  int
	Message string
}

func (u *UI) errorPage(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	b := u.base(s, http.StatusText(status), "")
	u.render(w, r, status, "error", &errorData{pageBase: b, Status: status, Message: msg})
}

// fail shows err: the domain's refusals with their message, anything else as a 500
// whose cause goes to the log only (it may name internals).
func (u *UI) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var (
		ib    *service.InvalidBlueprintError
		inv   *engine.InvalidError
		inUse *service.ScenarioInUseError
		mbe   *http.MaxBytesError
		ue    *userError
	)
	switch {
	case errors.As(err, &ue):
		u.errorPage(w, r, s, ue.status, ue.msg)
	case errors.As(err, &mbe):
		u.errorPage(w, r, s, http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is larger than %d bytes.", mbe.Limit))
	case errors.As(err, &ib), errors.As(err, &inv), errors.As(err, &inUse), errors.Is(err, service.ErrBusy):
		u.errorPage(w, r, s, http.StatusConflict, err.Error())
	case errors.Is(err, store.ErrNotFound):
		u.errorPage(w, r, s, http.StatusNotFound, "Not found: "+err.Error())
	case errors.Is(err, store.ErrFull):
		u.errorPage(w, r, s, http.StatusInsufficientStorage, "Storage is full: "+err.Error())
	case errors.Is(err, context.Canceled):
		// The person left; nothing to show.
	default:
		u.log.Error("ui", "method", r.Method, "path", r.URL.Path, "err", err)
		u.errorPage(w, r, s, http.StatusInternalServerError, "Something went wrong; the server log has the details.")
	}
}

// userError is a refusal whose message is meant for the person (bad input).
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &userError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// fmtTime writes a moment as <time> in UTC; app.js rewrites it in the viewer's time
// zone (without script it stays UTC, and says so).
func fmtTime(t any) template.HTML {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x != nil {
			v = *x
		}
	}
	if v.IsZero() {
		return "—"
	}
	v = v.UTC()
	return template.HTML(`<time datetime="` + v.Format(time.RFC3339) + `" data-local>` + v.Format("2006-01-02 15:04:05") + ` UTC</time>`)
}

// ago is a short relative time ("3 min ago") from now.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "—"
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func fmtSize(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	}
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}

func shortID(id string) string {
	if len(id) > 10 {
		return id[:10]
	}
	return id
}

// countdown is the text the "scheduled in" column starts with ("in 4 min 10 s"); the
// page's script keeps it counting down from data-until.
func countdown(now time.Time, at *time.Time) string {
	if at == nil {
		return ""
	}
	d := at.Sub(now).Round(time.Second)
	if d <= 0 {
		return "due now"
	}
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("in %d h %d min", h, m)
	case m > 0:
		return fmt.Sprintf("in %d min %d s", m, s)
	}
	return fmt.Sprintf("in %d s", s)
}

// prettyJSON indents JSON for a <pre> (escaped by the template).
func prettyJSON(v any) string {
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprintf("(not JSON: %v)", err)
		}
		raw = b
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return string(raw)
	}
	return out.String()
}
