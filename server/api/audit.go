package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store"
)

// The audit log (docs/security.md, "Audit log"): the API records its own changes (any
// method but GET that succeeded) with the token that made them, and lists the log to
// admins, newest first, as the web UI's /audit page does.

// AuditEntry is one change: who, when, what, on what.
type AuditEntry struct {
	ID     int64  `json:"id"`
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Target string `json:"target"`
}

func (a *api) listAudit(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := paging(r)
	if err != nil {
		return err
	}
	var before int64
	if cursor != "" {
		if before, err = strconv.ParseInt(cursor, 10, 64); err != nil || before < 1 {
			return invalid("cursor", "not a cursor of this list")
		}
	}
	es, err := a.st.ListAudit(r.Context(), before, limit+1)
	if err != nil {
		return err
	}
	next := ""
	if len(es) > limit {
		es = es[:limit]
		next = strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	items := make([]AuditEntry, len(es))
	for i, e := range es {
		items[i] = AuditEntry{ID: e.ID, At: weft.RFC3339(e.At), Actor: e.Actor, Action: e.Action, Target: e.Target}
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

// audited runs a changing route's handler and records the change if it succeeded. A
// failed write of the entry is logged: the change itself is done.
func (a *api) audited(rt route, w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodGet {
		return rt.Handle(a, w, r)
	}
	sw := &statusWriter{ResponseWriter: w}
	err := rt.Handle(a, sw, r)
	if err != nil || sw.status >= 400 {
		return err
	}
	who := "api"
	if t := auth.FromContext(r.Context()); t != nil {
		who = "token " + t.Name
	}
	e := &store.AuditEntry{At: a.Now().UTC(), Actor: who, Action: "api " + rt.Method + " " + strings.TrimPrefix(rt.Path, "/"),
		Target: strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, Prefix), "/")}
	if err := a.st.AddAudit(context.WithoutCancel(r.Context()), e); err != nil {
		a.Logger.Error("api: audit log", "err", err, "actor", who, "action", e.Action)
	}
	return nil
}
