package declarative

import (
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// An instant trigger's payload section reshapes each verified call into the bundle
// Make's trigger outputs, and drops the calls it does not emit:
//
//	"payload": {
//	  "condition": "{{body.message.type = \"end-of-call-report\"}}",
//	  "output": "{{body.message}}"
//	}
//
// Both read body (the call's payload, parsed as a webhook's) and parameters (the
// trigger's). A call whose condition is false is answered 200 and not queued; output
// (default {{body}}) must be a collection.
type payloadDef struct {
	condition node
	output    node
}

var scopePayload = scope{rootParameters, rootBody}

func decodePayload(w obj) (*payloadDef, error) {
	o, ok, err := w.object("payload")
	if err != nil || !ok {
		return nil, err
	}
	if err := o.only("condition", "output"); err != nil {
		return nil, err
	}
	p := &payloadDef{}
	if p.condition, err = o.node("condition", scopePayload); err != nil {
		return nil, err
	}
	if !o.has("output") {
		o.m["output"] = "{{body}}"
	}
	if p.output, err = o.node("output", scopePayload); err != nil {
		return nil, err
	}
	return p, nil
}

// bundle is the trigger's app.HookSpec.Payload.
func (p *payloadDef) bundle(h *app.HookCall, payload weft.Bundle) (weft.Bundle, bool, error) {
	vars := map[string]any{rootParameters: map[string]any(h.Params), rootBody: map[string]any(payload)}
	env := &iml.Env{Location: time.UTC}
	if h.Now != nil {
		env.Now = h.Now
	}
	if p.condition != nil {
		v, err := evalVars(p.condition, env, vars)
		if err != nil {
			return nil, false, fmt.Errorf("payload condition: %w", err)
		}
		if !value.Bool(v) {
			return nil, false, nil
		}
	}
	v, err := evalVars(p.output, env, vars)
	if err != nil {
		return nil, false, fmt.Errorf("payload output: %w", err)
	}
	out, ok := v.(map[string]any)
	if !ok {
		return nil, false, fmt.Errorf("payload output: the call gives %s where a bundle (collection) is expected", value.Kind(v))
	}
	return out, true, nil
}
