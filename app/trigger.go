package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
)

// Poller is implemented by the Module of a polling trigger (a Spec with Poll set):
// Make's "Watch …" modules. The engine calls Poll as the scenario's first module, once
// per cycle, with the position the last committed run left; the service stores the
// position after the items the run consumed only when that run commits (it did not end
// in error). A failed or killed run therefore never skips an item, and a committed one
// is never emitted again.
//
// Positions are opaque JSON owned by the module (a last id, a date, a row number, a
// page token). They must be small (they are stored per scenario and module) and each
// item's Position must describe "everything up to and including this item", so that a
// run stopped after item k resumes after item k.
type Poller interface {
	// Start returns the position from which Poll emits items according to a person's
	// choice (Make's "Choose where to start"). A module that cannot honour a choice
	// returns an error naming it (a feed without dates cannot start "since" a date).
	Start(ctx context.Context, c *Call, from StartFrom) (json.RawMessage, error)
	// Poll returns the items after position, oldest first, at most the module's own
	// limit (its "limit"/"maxResults" parameter). An empty or null position means
	// "every item there is". Failures are *weft.Error as in Module.Run; an error of the
	// first module ends the run without an incomplete execution (SPEC §3.2) and the
	// position stays where it was.
	Poll(ctx context.Context, c *Call, position json.RawMessage) ([]PollItem, error)
}

// PollItem is one new item a polling trigger emits.
type PollItem struct {
	// Bundle is the trigger's output for the item.
	Bundle weft.Bundle
	// Key identifies the item in the service (its id, guid, row number): it names the
	// item's idempotency keys, so an item emitted again after a run that did not commit
	// sends the same keys downstream. Empty: derived from Position.
	Key string
	// Position is the position after this item (and every item before it).
	Position json.RawMessage
}

// StartMode is where a polling trigger starts (Make's "Choose where to start").
type StartMode string

// Start modes.
const (
	// StartNow: only items that appear after the choice ("From now on").
	StartNow StartMode = "now"
	// StartAll: every item the service still has ("All").
	StartAll StartMode = "all"
	// StartSince: items dated at or after StartFrom.Since ("Since specific date").
	StartSince StartMode = "since"
	// StartLast: the last StartFrom.Last items, then every new one ("Choose manually":
	// the N-th newest item is the first one emitted).
	StartLast StartMode = "last"
)

// StartFrom is a start choice.
type StartFrom struct {
	Mode  StartMode `json:"mode"`
	Since time.Time `json:"since,omitzero"`
	Last  int       `json:"last,omitempty"`
}

// String is the choice as `weft triggers start --from` takes it.
func (f StartFrom) String() string {
	switch f.Mode {
	case StartSince:
		return f.Since.UTC().Format(time.RFC3339)
	case StartLast:
		return "last:" + strconv.Itoa(f.Last)
	}
	return string(f.Mode)
}

// ParseStartFrom reads a start choice: "now", "all", "last:N" (N ≥ 1) or a date
// (RFC 3339, or YYYY-MM-DD read in loc, midnight).
func ParseStartFrom(s string, loc *time.Location) (StartFrom, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "now", "":
		return StartFrom{Mode: StartNow}, nil
	case "all":
		return StartFrom{Mode: StartAll}, nil
	}
	if n, ok := strings.CutPrefix(strings.ToLower(s), "last:"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 || v > 100000 {
			return StartFrom{}, fmt.Errorf("start %q: last:N takes a number of items from 1 to 100000", s)
		}
		return StartFrom{Mode: StartLast, Last: v}, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return StartFrom{Mode: StartSince, Since: t}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return StartFrom{Mode: StartSince, Since: t}, nil
	}
	return StartFrom{}, fmt.Errorf("start %q: use now, all, last:N or a date (2026-05-01 or 2026-05-01T08:00:00Z)", s)
}

// Validate checks a choice built in code or decoded from JSON.
func (f StartFrom) Validate() error {
	switch f.Mode {
	case StartNow, StartAll:
		return nil
	case StartSince:
		if f.Since.IsZero() {
			return fmt.Errorf("start since: a date is required")
		}
		return nil
	case StartLast:
		if f.Last < 1 || f.Last > 100000 {
			return fmt.Errorf("start last: %d items is out of range (1 to 100000)", f.Last)
		}
		return nil
	}
	return fmt.Errorf("start mode %q: use now, all, since or last", f.Mode)
}

// HookSpec declares an instant app trigger: a module that receives the service's
// webhook calls (Make's app webhooks, such as telegram:WatchUpdates). weft gives the
// scenario a hook address, calls Register when the scenario is activated and
// Unregister when it is deactivated or deleted, checks each incoming request with
// Verify, and queues accepted payloads exactly like gateway:CustomWebHook.
type HookSpec struct {
	// Register tells the service to send its events to the hook's URL. It returns what
	// the hook keeps for Verify and Unregister (a secret weft generated and handed to
	// the service, a webhook id the service returned). A refusal is an error: the
	// activation fails with it.
	Register func(ctx context.Context, h *HookCall) (HookState, error)
	// Unregister stops the service's calls. Errors are retried by weft until they pass
	// or the registration no longer matters (the scenario is active again).
	Unregister func(ctx context.Context, h *HookCall, state HookState) error
	// Verify checks that a request came from the service (a secret header, an HMAC
	// signature). nil: every request is accepted (the hook address is unguessable).
	// An error refuses the request (401, or a *VerifyError's status) and nothing is
	// queued.
	Verify func(ctx context.Context, h *HookCall, r *http.Request, body []byte, state HookState) error
	// Payload, when set, turns a verified call's payload into the trigger's bundle, as
	// Make's trigger outputs it (Vapi wraps its report in "message"); keep false
	// acknowledges a call the trigger does not emit (another event type) without
	// queueing anything. nil: the payload is the bundle as it came. An error refuses the
	// call (400). h.Params are the trigger's parameters when the hook is registered.
	Payload func(h *HookCall, payload weft.Bundle) (out weft.Bundle, keep bool, err error)
	// Answer, when set, may answer a call itself instead of queueing it: a service's
	// handshake on the hook address (Meta checks an address saved in its dashboard
	// with a GET carrying hub.challenge, which must be echoed). handled false: the
	// call goes on to Verify and the queue as usual. handled true: body is answered
	// with 200 as text and nothing is queued. An error refuses the call (a
	// *VerifyError's status, else 401). It runs before the body is read.
	Answer func(ctx context.Context, h *HookCall, r *http.Request, state HookState) (body []byte, handled bool, err error)
}

// HookState is what an instant trigger's registration keeps (stored encrypted with
// the hook, like connections).
type HookState map[string]any

// HookCall is what Register and Unregister get.
type HookCall struct {
	// URL is the scenario's hook address, as the service must call it.
	URL string
	// Params are the trigger module's static parameters.
	Params weft.Bundle
	// Connection returns the stored credentials a parameter names (__IMTCONN__).
	Connection func(ref any) (weft.Bundle, error)
	// NewSecret returns a new random secret (URL-safe text).
	NewSecret func() (string, error)
	// Now is the service's clock (signature timestamps).
	Now func() time.Time
}

// VerifyError is a request an instant trigger refused (the status tells why: 401 no or
// wrong credentials, 403 a valid but not allowed sender).
type VerifyError struct {
	Status  int
	Message string
}

func (e *VerifyError) Error() string { return e.Message }
