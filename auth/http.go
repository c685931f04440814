package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
)

type ctxKey struct{}

// FromContext returns the token a request was authenticated with (nil outside Require).
func FromContext(ctx context.Context) *weft.Token {
	t, _ := ctx.Value(ctxKey{}).(*weft.Token)
	return t
}

// BearerToken returns the token of an "Authorization: Bearer …" header. "Token …" is
// accepted too: Make's own API uses that scheme, and its users' scripts send it.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Token")) {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Require lets a request through to next only with a valid token that grants scope:
// no or an unknown or revoked token is 401 with a WWW-Authenticate challenge (RFC
// 6750), a token without the scope 403. The token is in the request's context
// (FromContext).
func (a *Auth) Require(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plain, ok := BearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="weft"`)
			writeError(w, http.StatusUnauthorized, "unauthorized",
				"an API token is required: send the header Authorization: Bearer weft_…")
			return
		}
		t, err := a.VerifyRequest(r, plain)
		var te *ThrottledError
		switch {
		case errors.As(err, &te):
			w.Header().Set("Retry-After", strconv.Itoa(te.Seconds()))
			writeError(w, http.StatusTooManyRequests, "too_many_requests",
				fmt.Sprintf("too many failed authentication attempts from your address; retry in %d s", te.Seconds()))
			return
		case errors.Is(err, ErrInvalid), errors.Is(err, ErrRevoked):
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="weft", error="invalid_token", error_description=%q`, err.Error()))
			writeError(w, http.StatusUnauthorized, "unauthorized", "the API token is "+describe(err))
			return
		case err != nil:
			a.log.Error("verify API token", "err", err)
			writeError(w, http.StatusInternalServerError, "internal", "the API token could not be checked")
			return
		}
		if !Allows(t, scope) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="weft", error="insufficient_scope", scope=%q`, scope))
			writeError(w, http.StatusForbidden, "forbidden", fmt.Sprintf("the API token %q lacks the scope %s", t.Name, scope))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, t)))
	})
}

func describe(err error) string {
	if errors.Is(err, ErrRevoked) {
		return "revoked"
	}
	return "not valid"
}

// writeError writes the API's error shape ({"error":{"code","message","details"}}), so
// a refusal here looks like every other refusal of the API.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "details": nil}})
}
