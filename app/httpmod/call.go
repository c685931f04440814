package httpmod

import (
	"context"
	"net/http"

	"github.com/weftworks/weft/app"
)

// idempotencyField is the parameter that turns the Idempotency-Key header off (a weft
// extension; Make has no such header).
var idempotencyField = app.Field{Name: "idempotencyKey", Label: "Send an Idempotency-Key header", Type: app.TypeBoolean,
	Default: true,
	Help: "weft extension: POST, PUT, PATCH and DELETE requests carry Idempotency-Key, the same in the run that failed and in " +
		"every retry of it, so a service that deduplicates does the work once. Turn off for services that refuse unknown headers."}

// setIdempotencyKey sends the execution's key for this module call with the methods
// that change something, unless the user set the header (their own key wins) or the
// module turned it off. GET, HEAD and OPTIONS are idempotent by definition.
func setIdempotencyKey(r *request, exec app.Execution, enabled bool) {
	if !enabled {
		return
	}
	switch r.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return
	}
	if r.header.Get("Idempotency-Key") == "" {
		r.header.Set("Idempotency-Key", exec.IdempotencyKey())
	}
}

// exchange sends r, authenticated by oa when it is set. A 401 answer to an access
// token gets one more attempt with a new token before it counts: the service may have
// revoked the token before its announced expiry.
func (c *client) exchange(ctx context.Context, exec app.Execution, r *request, oa *oauthAuth) (*response, error) {
	if oa == nil {
		return c.do(ctx, r)
	}
	tok, err := oa.authorize(ctx, c, exec, r, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, r)
	if err != nil || resp.status != http.StatusUnauthorized {
		return resp, err
	}
	next, err := oa.authorize(ctx, c, exec, r, tok)
	if err != nil {
		return nil, err
	}
	if next == tok {
		return resp, nil // nothing to renew it with: the 401 stands
	}
	return c.do(ctx, r)
}

// Repeatable: a call that changes something carries the execution's Idempotency-Key
// (the same in every attempt) unless the module turned it off.
func (m *makeRequest) Repeatable() bool { return m.idem }

// Repeatable: as makeRequest's.
func (m *sendData) Repeatable() bool { return m.idem }
