package api

import (
	"net/http"
	"strconv"
)

func (a *api) listHooks(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := paging(r)
	if err != nil {
		return err
	}
	after := int64(0)
	if cursor != "" {
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil {
			return invalid("cursor", "is not a cursor this API returned")
		}
	}
	hooks, err := a.svc.Hooks(r.Context()) // in scenario order
	if err != nil {
		return err
	}
	var items []hookView
	next := ""
	for _, h := range hooks {
		if h.ScenarioID <= after {
			continue
		}
		if len(items) == limit {
			next = strconv.FormatInt(items[len(items)-1].ScenarioID, 10)
			break
		}
		items = append(items, a.viewHook(h))
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

func (a *api) getHook(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	h, err := a.svc.Hook(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.viewHook(h))
	return nil
}

// rotateHook gives the scenario's webhook a new address; the old one stops at once.
func (a *api) rotateHook(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	h, err := a.svc.RotateHook(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.viewHook(h))
	return nil
}
