package api

import (
	"crypto/rand"
	"encoding/hex"
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
	var items []Hook
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

type hookSecretBody struct {
	Secret *string `json:"secret"`
}

// hookWithSecret shows a newly set secret this once.
type hookWithSecret struct {
	Hook
	Secret string `json:"secret"`
}

// setHookSecret sets the key callers sign payloads with (HMAC-SHA256); without one in
// the body weft generates 32 random bytes (hex).
func (a *api) setHookSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	var b hookSecretBody
	if err := decodeOptional(r, &b); err != nil {
		return err
	}
	secret := ""
	if b.Secret != nil {
		if secret = *b.Secret; len(secret) < 16 {
			return invalid("secret", "%d characters: at least 16 (or leave it out and weft generates one)", len(secret))
		}
	} else {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		secret = hex.EncodeToString(raw)
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	h, err := a.svc.SetHookSecret(r.Context(), id, []byte(secret))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hookWithSecret{Hook: a.viewHook(h), Secret: secret})
	return nil
}

func (a *api) clearHookSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	h, err := a.svc.SetHookSecret(r.Context(), id, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.viewHook(h))
	return nil
}
