package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft/store"
)

// The audit log (docs/security.md, "Audit log"): every change made through the UI —
// a POST its handler answered below 400 — is recorded with who made it, when, the
// route (what) and the path (to what): scenario versions, resolves, bulk actions,
// connections, tokens, members. Shown at /audit to admins.

// notAudited are POST routes that change nothing a person would look for.
var notAudited = map[string]bool{
	"logout": true,
	"scenarios/{id}/edit/modules/{mid}/check": true, // a live validation, stores nothing
}

// statusWriter remembers the status a handler answered with.
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

// Unwrap lets http.ResponseController reach the real writer (flushes, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// audited runs h and records the change if it succeeded.
func (u *UI) audited(w http.ResponseWriter, r *http.Request, s *session, h pageFunc) error {
	action := strings.TrimPrefix(r.Pattern, "POST ")
	action = strings.TrimPrefix(action, "/")
	if r.Method != http.MethodPost || notAudited[action] {
		return h(w, r, s)
	}
	sw := &statusWriter{ResponseWriter: w}
	err := h(sw, r, s)
	if err == nil && sw.status < 400 {
		u.audit(r, actor(s), action, strings.TrimPrefix(r.URL.Path, "/"))
	}
	return err
}

// audit appends an entry. A failed write is logged: the change itself is done and
// must not be reported as failed.
func (u *UI) audit(r *http.Request, who, action, target string) {
	e := &store.AuditEntry{At: u.cfg.Now().UTC(), Actor: who, Action: action, Target: target}
	if err := u.st.AddAudit(ctxWithoutCancel(r), e); err != nil {
		u.log.Error("ui: audit log", "err", err, "actor", who, "action", action, "target", target)
	}
}

const auditPage = 100

type auditData struct {
	pageBase
	Entries []*store.AuditEntry
	// Older is the ?before= of the next page (0: none).
	Older int64
}

func (u *UI) auditLog(w http.ResponseWriter, r *http.Request, s *session) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	es, err := u.st.ListAudit(r.Context(), before, auditPage+1)
	if err != nil {
		return err
	}
	d := &auditData{pageBase: u.base(s, "Audit log", "audit")}
	if len(es) > auditPage {
		es = es[:auditPage]
		d.Older = es[len(es)-1].ID
	}
	d.Entries = es
	u.render(w, r, http.StatusOK, "audit", d)
	return nil
}
