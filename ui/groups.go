package ui

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store"
)

// The grouped view gathers the incomplete executions that wait (unresolved or
// pending) by scenario, failing module, error type and normalised message: a hundred
// orders rejected for the same reason are one line with one "retry all" button.

var (
	reQuoted = regexp.MustCompile(`"[^"]*"|'[^']*'|“[^”]*”`)
	reEmail  = regexp.MustCompile(`[\w.+-]+@[\w-]+(\.[\w-]+)+`)
	reURL    = regexp.MustCompile(`https?://\S*[^\s.,;:!?)\]]`)
	reUUID   = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	reHexID  = regexp.MustCompile(`(?i)\b[0-9a-f]{8,}\b`)
	reNumber = regexp.MustCompile(`\d+(\.\d+)?`)
	reSpaces = regexp.MustCompile(`\s+`)
)

// normaliseMessage removes what differs between occurrences of one error: quoted
// values, e-mail addresses, URLs, ids and numbers. "order 1234 rejected: \"x\"" and
// "order 99 rejected: \"y\"" are both "order # rejected: …".
func normaliseMessage(msg string) string {
	s := reQuoted.ReplaceAllString(msg, "…")
	s = reURL.ReplaceAllString(s, "<url>")
	s = reEmail.ReplaceAllString(s, "<email>")
	s = reUUID.ReplaceAllString(s, "<id>")
	s = reHexID.ReplaceAllStringFunc(s, func(m string) string {
		if strings.ContainsAny(m, "0123456789") {
			return "<id>"
		}
		return m
	})
	s = reNumber.ReplaceAllString(s, "#")
	s = strings.TrimSpace(reSpaces.ReplaceAllString(s, " "))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// Label is what the grouped view shows of a group: one real message of it (a person
// reads "order 1234 rejected", not "order # rejected"), shortened.
func (g *ieGroup) Label() string {
	if r := []rune(g.Example); len(r) > 160 {
		return string(r[:160]) + "…"
	}
	return g.Example
}

// Varies names what the group's messages may differ in (from the placeholders of
// its normalised message), for the line under its label.
func (g *ieGroup) Varies() string {
	if g.Count < 2 {
		return ""
	}
	var parts []string
	for _, p := range []struct{ mark, name string }{
		{"#", "numbers"}, {"<id>", "ids"}, {"<url>", "addresses"}, {"<email>", "e-mail addresses"}, {"…", "quoted values"},
	} {
		if strings.Contains(g.Message, p.mark) {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ")
}

// ieGroup is one group of the grouped view.
type ieGroup struct {
	ScenarioID int64
	Scenario   string
	ModuleID   int
	Module     string
	ErrorType  weft.ErrorType
	Message    string
	Example    string
	Count      int
	Pending    int
	Oldest     time.Time
	Newest     time.Time
	IDs        []string
}

type groupKey struct {
	scenario int64
	module   int
	typ      weft.ErrorType
	msg      string
}

// groupIncomplete groups every waiting incomplete execution (of one scenario, or all).
func (u *UI) groupIncomplete(ctx context.Context, scenarioID int64) ([]*ieGroup, error) {
	f := store.IncompleteFilter{ScenarioID: scenarioID, Status: []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending},
		Limit: 1000}
	groups := map[groupKey]*ieGroup{}
	for {
		ies, err := u.st.ListIncomplete(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, ie := range ies {
			k := groupKey{ie.ScenarioID, ie.FailedModuleID, ie.ErrorType, normaliseMessage(ie.ErrorMessage)}
			g := groups[k]
			if g == nil {
				g = &ieGroup{ScenarioID: k.scenario, ModuleID: k.module, ErrorType: k.typ, Message: k.msg,
					Example: ie.ErrorMessage, Oldest: ie.CreatedAt}
				groups[k] = g
			}
			g.Count++
			if ie.Status == weft.IncompletePending {
				g.Pending++
			}
			g.Newest = ie.CreatedAt
			g.IDs = append(g.IDs, ie.ID)
		}
		if len(ies) < f.Limit {
			break
		}
		f.After = ies[len(ies)-1].ID
	}
	out := make([]*ieGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, g)
	}
	// Biggest first; ties in a stable order so the page does not reshuffle.
	slices.SortFunc(out, func(a, b *ieGroup) int {
		return cmp.Or(b.Count-a.Count, cmp.Compare(a.ScenarioID, b.ScenarioID), a.ModuleID-b.ModuleID,
			strings.Compare(string(a.ErrorType), string(b.ErrorType)), strings.Compare(a.Message, b.Message))
	})
	return out, nil
}

type groupsData struct {
	pageBase
	Scenario *weft.Scenario
	Groups   []*ieGroup
	Total    int
	CanWrite bool
}

func (u *UI) incompleteGroups(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	f, err := readFilter(r)
	if err != nil {
		return err
	}
	d := &groupsData{pageBase: u.base(s, "Incomplete executions by cause", "incomplete"), CanWrite: hasScope(s, auth.IncompleteWrite)}
	if f.Scenario != 0 {
		if d.Scenario, err = u.st.GetScenario(ctx, f.Scenario); err != nil {
			return err
		}
	}
	if d.Groups, err = u.groupIncomplete(ctx, f.Scenario); err != nil {
		return err
	}
	scs, err := u.st.ListScenarios(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]*weft.Scenario{}
	for _, sc := range scs {
		byID[sc.ID] = sc
	}
	for _, g := range d.Groups {
		d.Total += g.Count
		g.Module = strconv.Itoa(g.ModuleID)
		if sc := byID[g.ScenarioID]; sc != nil {
			g.Scenario = sc.Name
			if fl, err := u.flow(ctx, sc.ID, sc.Version); err == nil && fl.Labels[g.ModuleID] != "" {
				g.Module += " · " + fl.Labels[g.ModuleID]
			}
		}
	}
	u.render(w, r, http.StatusOK, "groups", d)
	return nil
}

// retryGroup queues a retry of every incomplete execution of one group, the group
// worked out again now (what waits now, not what the page showed a minute ago).
func (u *UI) retryGroup(w http.ResponseWriter, r *http.Request, s *session) error {
	scenarioID, err := strconv.ParseInt(r.FormValue("scenario"), 10, 64)
	if err != nil || scenarioID < 1 {
		return badRequest("Scenario %q is not a scenario id.", r.FormValue("scenario"))
	}
	module, err := strconv.Atoi(r.FormValue("module"))
	if err != nil {
		return badRequest("Module %q is not a module id.", r.FormValue("module"))
	}
	key := groupKey{scenarioID, module, weft.ErrorType(r.FormValue("errorType")), r.FormValue("message")}
	groups, err := u.groupIncomplete(r.Context(), scenarioID)
	if err != nil {
		return err
	}
	back := "/incomplete/groups"
	if r.FormValue("scoped") == "1" {
		back += "?scenario=" + strconv.FormatInt(scenarioID, 10)
	}
	for _, g := range groups {
		if (groupKey{g.ScenarioID, g.ModuleID, g.ErrorType, g.Message}) == key {
			n := len(g.IDs)
			return u.startBulk(w, r, s, false, map[int64][]string{scenarioID: g.IDs}, back,
				fmt.Sprintf("Queued %d retr%s of “%s”; the worker runs them now.", n, plural(n, "y", "ies"), g.Message))
		}
	}
	return u.flashRedirect(w, r, s, back, "That group has nothing waiting any more (retried or resolved meanwhile).")
}
