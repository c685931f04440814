package declarative

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// Instant triggers (docs/apps-declarative.md, "Instant triggers"): a module with a
// "webhook" section receives the service's calls at the scenario's hook address.
//
//	"webhook": {
//	  "secret": true,                       // weft makes a random {{webhook.secret}}
//	  "attach": {communication…},           // registers {{webhook.url}} with the service
//	  "detach": {communication…},           // removes it
//	  "verify": {"header": "X-…", "value": "{{webhook.secret}}"}
//	         or {"header": "X-…", "hmac": {"algorithm", "key", "message", "prefix", "encoding"},
//	             "timestamp": {"header": "X-…", "maxAge": 300}}
//	}
//
// attach and detach are communications like a module's (url, method, headers, qs,
// body, response with output and error) whose templates also read {{webhook.url}},
// {{webhook.secret}} and, in detach, what attach's response output kept. Verify's
// templates read parameters, connection, webhook, headers (the request's, lower case)
// and rawBody.

type webhookDef struct {
	secret    bool
	attach    *commDef
	keepOut   bool // attach declares an output: it is kept for detach and verify
	detach    *commDef
	verify    *verifyDef
	payload   *payloadDef   // webhook_payload.go
	challenge *challengeDef // webhook_challenge.go
	name      string
	fullName  string
}

type verifyDef struct {
	header  string
	value   node
	hmac    *hmacDef
	tsHdr   string
	tsMaxAg time.Duration
}

type hmacDef struct {
	algorithm string
	key       node
	message   node
	prefix    string
	encoding  string
}

var scopeVerify = scope{rootParameters, rootConnection, rootWebhook, rootHeaders, rootRawBody}

func decodeWebhook(a *appDef, m *moduleDef, o obj) error {
	w, ok, err := o.object("webhook")
	if err != nil || !ok {
		return err
	}
	if m.trigger != nil {
		return errAt(o.at("webhook"), "a module is a polling trigger or an instant trigger, not both")
	}
	if len(m.mapper) > 0 {
		return errAt(o.at("mapper"), "an instant trigger runs first and maps nothing: declare its fields as parameters")
	}
	if err := w.only("secret", "attach", "detach", "verify", "payload", "challenge"); err != nil {
		return err
	}
	d := &webhookDef{name: m.name, fullName: a.name + ":" + m.name}
	if d.secret, err = w.boolean("secret", false); err != nil {
		return err
	}
	// Without attach the person gives the service the hook's address (Vapi's server
	// URL): activation registers nothing with it (webhook_payload.go).
	att, ok, err := w.object("attach")
	if err != nil {
		return err
	}
	if ok {
		d.attach = &commDef{}
		if err := decodeCommunication(a, d.attach, att, rootWebhook); err != nil {
			return err
		}
		if r, ok, _ := att.object("response"); ok && r.has("output") {
			d.keepOut = true
		}
		if d.attach.pag != nil || d.attach.resp.iterate != nil {
			return errAt(w.at("attach"), "attach is one request: no pagination or iterate")
		}
	}
	if d.payload, err = decodePayload(w); err != nil {
		return err
	}
	if d.challenge, err = decodeChallenge(w); err != nil {
		return err
	}
	if det, ok, err := w.object("detach"); err != nil {
		return err
	} else if ok {
		d.detach = &commDef{}
		if err := decodeCommunication(a, d.detach, det, rootWebhook); err != nil {
			return err
		}
	}
	if d.detach != nil && d.attach == nil {
		return errAt(w.at("detach"), "detach undoes attach: give attach too, or neither (the person gives the service the hook's address)")
	}
	if v, ok, err := w.object("verify"); err != nil {
		return err
	} else if ok {
		if d.verify, err = decodeVerify(v); err != nil {
			return err
		}
	}
	m.webhook = d
	return nil
}

func decodeVerify(o obj) (*verifyDef, error) {
	if err := o.only("header", "value", "hmac", "timestamp"); err != nil {
		return nil, err
	}
	v := &verifyDef{}
	var err error
	if v.header, err = o.str("header", true); err != nil {
		return nil, err
	}
	if o.has("value") == o.has("hmac") {
		return nil, errAt(o.at("value"), "give either value (the header's expected text) or hmac (a signature of the body)")
	}
	if v.value, err = o.node("value", scopeVerify); err != nil {
		return nil, err
	}
	if h, ok, err := o.object("hmac"); err != nil {
		return nil, err
	} else if ok {
		if err := h.only("algorithm", "key", "message", "prefix", "encoding"); err != nil {
			return nil, err
		}
		v.hmac = &hmacDef{}
		if v.hmac.algorithm, err = h.str("algorithm", false); err != nil {
			return nil, err
		}
		switch v.hmac.algorithm {
		case "":
			v.hmac.algorithm = "sha256"
		case "sha1", "sha256", "sha512":
		default:
			return nil, errAt(h.at("algorithm"), "%q is not an HMAC algorithm (sha1, sha256, sha512)", v.hmac.algorithm)
		}
		if _, err := h.str("key", true); err != nil {
			return nil, err
		}
		if v.hmac.key, err = h.node("key", scopeVerify); err != nil {
			return nil, err
		}
		if !h.has("message") {
			h.m["message"] = "{{rawBody}}"
		}
		if v.hmac.message, err = h.node("message", scopeVerify); err != nil {
			return nil, err
		}
		if v.hmac.prefix, err = h.str("prefix", false); err != nil {
			return nil, err
		}
		if v.hmac.encoding, err = h.str("encoding", false); err != nil {
			return nil, err
		}
		switch v.hmac.encoding {
		case "":
			v.hmac.encoding = "hex"
		case "hex", "base64":
		default:
			return nil, errAt(h.at("encoding"), "%q is not an encoding (hex, base64)", v.hmac.encoding)
		}
	}
	if t, ok, err := o.object("timestamp"); err != nil {
		return nil, err
	} else if ok {
		if err := t.only("header", "maxAge"); err != nil {
			return nil, err
		}
		if v.tsHdr, err = t.str("header", true); err != nil {
			return nil, err
		}
		secs, err := t.integer("maxAge", 300, 1, 86400)
		if err != nil {
			return nil, err
		}
		v.tsMaxAg = time.Duration(secs) * time.Second
	}
	return v, nil
}

// hookExec is the app.Execution an attach or detach request runs under: it has the
// hook's connections and clock, and nothing of a run.
type hookExec struct {
	h  *app.HookCall
	id string
}

func (e *hookExec) ID() string { return e.id }
func (e *hookExec) Now() time.Time {
	if e.h.Now != nil {
		return e.h.Now()
	}
	return time.Now()
}
func (e *hookExec) Location() *time.Location           { return time.UTC }
func (e *hookExec) Variable(string) (any, bool)        { return nil, false }
func (e *hookExec) SetVariable(string, app.Scope, any) {}
func (e *hookExec) Respond(app.Response) bool          { return false }
func (e *hookExec) Confidential() bool                 { return true }
func (e *hookExec) State(key any, init func() any) any { return init() }
func (e *hookExec) IdempotencyKey() string             { return "" }
func (e *hookExec) Connection(ref any) (weft.Bundle, error) {
	if e.h.Connection == nil {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %v: no connections here", ref)
	}
	return e.h.Connection(ref)
}

// webhookVars is the {{webhook}} root: the hook's address, its secret and what
// attach kept.
func webhookVars(h *app.HookCall, state app.HookState) map[string]any {
	w := map[string]any{}
	if data, ok := state["data"].(map[string]any); ok {
		maps.Copy(w, data)
	}
	w["url"] = h.URL
	if u, ok := state["url"].(string); ok && u != "" {
		w["url"] = u
	}
	w["secret"] = state["secret"]
	return w
}

// call sends attach or detach.
func (d *webhookDef) call(ctx context.Context, m *moduleDef, rt *runtime, comm *commDef, h *app.HookCall, state app.HookState, what string) (weft.Bundle, error) {
	def := *m
	def.comm = *comm
	mod := &module{def: &def, rt: rt}
	c := &app.Call{Params: h.Params, Exec: &hookExec{h: h, id: what}}
	f, err := mod.fetch(ctx, c, fetchOptions{vars: map[string]any{rootWebhook: webhookVars(h, state)}})
	if err != nil {
		return nil, err
	}
	out := f.col.bundles(f.limit)
	if len(out) == 0 {
		return weft.Bundle{}, nil
	}
	return out[0], nil
}

func (d *webhookDef) spec(m *moduleDef, rt *runtime) *app.HookSpec {
	s := &app.HookSpec{
		Register: func(ctx context.Context, h *app.HookCall) (app.HookState, error) {
			state := app.HookState{"url": h.URL}
			if d.secret {
				sec, err := h.NewSecret()
				if err != nil {
					return nil, err
				}
				state["secret"] = sec
			}
			if d.attach == nil {
				return state, nil
			}
			out, err := d.call(ctx, m, rt, d.attach, h, state, "attach")
			if err != nil {
				return nil, fmt.Errorf("%s: register the hook (attach): %w", d.fullName, err)
			}
			if d.keepOut {
				state["data"] = map[string]any(out)
			}
			return state, nil
		},
		Unregister: func(ctx context.Context, h *app.HookCall, state app.HookState) error {
			if d.detach == nil {
				return nil
			}
			if _, err := d.call(ctx, m, rt, d.detach, h, state, "detach"); err != nil {
				return fmt.Errorf("%s: unregister the hook (detach): %w", d.fullName, err)
			}
			return nil
		},
	}
	if d.payload != nil {
		s.Payload = d.payload.bundle
	}
	if d.challenge != nil {
		s.Answer = func(ctx context.Context, h *app.HookCall, r *http.Request, state app.HookState) ([]byte, bool, error) {
			return d.challenge.answer(m, h, r, state)
		}
	}
	if d.verify != nil {
		s.Verify = func(ctx context.Context, h *app.HookCall, r *http.Request, body []byte, state app.HookState) error {
			return d.verify.check(ctx, m, h, r, body, state)
		}
	}
	return s
}

func unauthorized(format string, args ...any) error {
	return &app.VerifyError{Status: http.StatusUnauthorized, Message: fmt.Sprintf(format, args...)}
}

// check verifies one request: the header holds the expected value, or the HMAC of the
// message (within maxAge of its timestamp).
func (v *verifyDef) check(ctx context.Context, m *moduleDef, h *app.HookCall, r *http.Request, body []byte, state app.HookState) error {
	got := r.Header.Get(v.header)
	if got == "" {
		return unauthorized("missing %s", v.header)
	}
	vars := map[string]any{rootParameters: map[string]any(h.Params), rootWebhook: webhookVars(h, state),
		rootHeaders: headerMap(r.Header), rootRawBody: string(body)}
	env := &iml.Env{Location: time.UTC}
	if h.Now != nil {
		env.Now = h.Now
	}
	if c := &m.app.conn; c.typ != "none" && !value.IsEmpty(h.Params[c.param]) && h.Connection != nil {
		conn, err := h.Connection(h.Params[c.param])
		if err != nil {
			return fmt.Errorf("verify: parameters.%s: %w", c.param, err)
		}
		vars[rootConnection] = map[string]any(conn)
	}
	eval := func(n node, what string) (string, error) {
		x, err := evalVars(n, env, vars)
		if err != nil {
			return "", fmt.Errorf("verify %s: %w", what, err)
		}
		return value.Text(x), nil
	}
	if v.tsHdr != "" {
		ts, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get(v.tsHdr)), 10, 64)
		if err != nil {
			return unauthorized("missing or unreadable %s", v.tsHdr)
		}
		now := time.Now()
		if h.Now != nil {
			now = h.Now()
		}
		if math.Abs(float64(now.Unix()-ts)) > v.tsMaxAg.Seconds() {
			return unauthorized("%s is more than %s away from now (a replayed request?)", v.tsHdr, v.tsMaxAg)
		}
	}
	if v.value != nil {
		want, err := eval(v.value, "value")
		if err != nil {
			return err
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return unauthorized("wrong %s", v.header)
		}
		return nil
	}
	key, err := eval(v.hmac.key, "hmac.key")
	if err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("verify: the HMAC key is empty (check the connection)")
	}
	msg, err := eval(v.hmac.message, "hmac.message")
	if err != nil {
		return err
	}
	var newHash func() hash.Hash
	switch v.hmac.algorithm {
	case "sha1":
		newHash = sha1.New
	case "sha512":
		newHash = sha512.New
	default:
		newHash = sha256.New
	}
	mac := hmac.New(newHash, []byte(key))
	mac.Write([]byte(msg))
	sum := mac.Sum(nil)
	sig, ok := strings.CutPrefix(got, v.hmac.prefix)
	if !ok {
		return unauthorized("%s does not start with %q", v.header, v.hmac.prefix)
	}
	var dec []byte
	if v.hmac.encoding == "base64" {
		dec, err = base64.StdEncoding.DecodeString(sig)
	} else {
		dec, err = hex.DecodeString(sig)
	}
	if err != nil || !hmac.Equal(dec, sum) {
		return unauthorized("wrong %s", v.header)
	}
	return nil
}
