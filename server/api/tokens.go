package api

import (
	"net/http"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
)

// API tokens (admin scope): what `weft tokens` does, so the command works against a
// running or remote server too.

// Token is an API token: never its hash; the token itself only when it is created.
type Token struct {
	// Token is the secret, in the answer to its creation only (omitted otherwise).
	Token      string   `json:"token,omitempty"`
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"createdAt"`
	LastUsedAt *string  `json:"lastUsedAt"`
	RevokedAt  *string  `json:"revokedAt"`
}

// ViewToken is the API's view of a stored token.
func ViewToken(t *weft.Token) Token {
	return Token{ID: t.ID, Name: t.Name, Scopes: nonNilSlice(t.Scopes), CreatedAt: weft.RFC3339(t.CreatedAt),
		LastUsedAt: weft.RFC3339Ptr(t.LastUsedAt), RevokedAt: weft.RFC3339Ptr(t.RevokedAt)}
}

func (a *api) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.Auth.List(r.Context())
	if err != nil {
		return err
	}
	items := make([]Token, len(ts))
	for i, t := range ts {
		items[i] = ViewToken(t)
	}
	writeJSON(w, http.StatusOK, newPage(items, ""))
	return nil
}

type tokenBody struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

func (a *api) createToken(w http.ResponseWriter, r *http.Request) error {
	var b tokenBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.Name) == "" {
		return invalid("name", "a token needs a name (what it is for)")
	}
	if len(b.Scopes) == 0 {
		return invalid("scopes", "a token needs at least one scope: %s", strings.Join(auth.Scopes, ", "))
	}
	if err := auth.CheckScopes(b.Scopes); err != nil {
		return invalid("scopes", "%s", strings.TrimPrefix(err.Error(), "scopes: "))
	}
	plain, t, err := a.Auth.Create(r.Context(), b.Name, b.Scopes)
	if err != nil {
		return err
	}
	v := ViewToken(t)
	v.Token = plain
	w.Header().Set("Location", Prefix+"/tokens/"+t.ID)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// revokeToken revokes a token (it stops working at once) and answers it, revokedAt
// set; revoking twice keeps the first time.
func (a *api) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := a.Auth.Revoke(r.Context(), id); err != nil {
		return err
	}
	ts, err := a.Auth.List(r.Context())
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.ID == id {
			writeJSON(w, http.StatusOK, ViewToken(t))
			return nil
		}
	}
	return notFound("token %s: not found", id)
}
