package declarative

import (
	"context"
	"fmt"
	"maps"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// Several requests per module (Make's communication arrays). A module's
// "communication" is one request, or an array of steps run in order:
//
//	"communication": [
//	  {"url": "/{{parameters.page}}", "qs": {"fields": "access_token"},
//	   "response": {"temp": {"pageToken": "{{body.access_token}}"}}},
//	  {"url": "/{{parameters.page}}/feed", "method": "POST", "authorize": false,
//	   "body": {"message": "{{parameters.message}}", "access_token": "{{temp.pageToken}}"}}
//	]
//
// Every step is a full communication (url, method, body, response, pagination …) plus:
//
//   - condition: the step runs only when it is true (read before its temp);
//   - each: an array; the step runs once per element, which its templates read as
//     item and index (1-based);
//   - authorize: false sends the request without the connection's credentials;
//   - response.temp: evaluated against the step's response and merged into temp for
//     the steps after it; with each, every key holds an array with one value per run.
//
// A step without url sends nothing: {"condition"?, "output"} makes the module's bundle
// from temp (the ids an each step collected).
//
// The module's bundles are those of the last step that ran (with each: of all its
// runs, in order). A failing step fails the module: later steps do not run.

// maxSteps bounds a definition's communication array.
const maxSteps = 20

// decodeSteps reads a module's communication array.
func decodeSteps(a *appDef, mod obj) ([]*commDef, error) {
	ptr := mod.at("communication")
	list, _ := mod.m["communication"].([]any)
	if len(list) == 0 {
		return nil, errAt(ptr, "required: at least one request")
	}
	if len(list) > maxSteps {
		return nil, errAt(ptr, "at most %d requests", maxSteps)
	}
	steps := make([]*commDef, 0, len(list))
	for i, e := range list {
		o, err := asObj(e, fmt.Sprintf("%s/%d", ptr, i))
		if err != nil {
			return nil, err
		}
		if resp, ok, _ := o.object("response"); ok && resp.has("trigger") {
			return nil, errAt(resp.at("trigger"), "a polling trigger's communication is one request, not an array")
		}
		c := &commDef{}
		if !o.has("url") {
			// A step that sends nothing shapes the module's bundle from temp (the ids
			// an each step collected).
			if err := decodeOutputStep(c, o); err != nil {
				return nil, err
			}
			steps = append(steps, c)
			continue
		}
		if err := decodeCommunication(a, c, o); err != nil {
			return nil, err
		}
		steps = append(steps, c)
	}
	return steps, nil
}

// decodeOutputStep reads a step without url: {"condition"?, "output"}.
func decodeOutputStep(c *commDef, o obj) error {
	if err := o.only("condition", "output"); err != nil {
		return errAt(o.ptr, "a step without url sends nothing: it has only condition and output (%v)", err)
	}
	var err error
	if c.condition, err = o.node("condition", scopeRequest); err != nil {
		return err
	}
	if !o.has("output") {
		return errAt(o.at("url"), "required (or output, for a step that sends nothing)")
	}
	c.outputOnly = true
	c.resp.output, err = o.node("output", scopeRequest)
	return err
}

// decodeStepControl reads condition, each and authorize.
func decodeStepControl(c *commDef, o obj) error {
	var err error
	if c.condition, err = o.node("condition", scopeRequest); err != nil {
		return err
	}
	if o.has("each") {
		if _, err := o.str("each", true); err != nil {
			return err
		}
		if c.each, err = o.node("each", scopeRequest); err != nil {
			return err
		}
	}
	c.authorize, err = o.boolean("authorize", true)
	return err
}

// stepState is what the steps of one module call share: the roots every template
// reads, temp growing with each step.
type stepState struct {
	env     *iml.Env
	vars    map[string]any // parameters, connection, idempotencyKey, temp
	temp    map[string]any
	secrets []string
}

// runSteps runs the module's steps in order and returns the bundles of the last one
// that ran (none when no step ran).
func (m *module) runSteps(ctx context.Context, c *app.Call, st *stepState) ([]weft.Bundle, error) {
	var out []weft.Bundle
	for _, step := range m.def.steps {
		st.vars[rootTemp] = st.temp
		if step.condition != nil {
			v, err := evalRequestPart(step.condition, st.env, st.vars)
			if err != nil {
				return nil, err
			}
			if !value.Bool(v) {
				continue
			}
		}
		if step.outputOnly {
			v, err := evalVars(step.resp.output, st.env, st.vars)
			if err != nil {
				return nil, &weft.Error{Type: weft.UnexpectedError, Message: "output: " + err.Error(), Err: err}
			}
			b, isBundle := v.(map[string]any)
			if !isBundle {
				return nil, weft.Errorf(weft.UnexpectedError, "output: %s where a bundle (collection) is expected", value.Kind(v))
			}
			out = []weft.Bundle{b}
			continue
		}
		if step.each == nil {
			b, rtemp, err := m.runStep(ctx, c, st, step, st.vars)
			if err != nil {
				return nil, err
			}
			maps.Copy(st.temp, rtemp)
			out = b
			continue
		}
		v, err := evalRequestPart(step.each, st.env, st.vars)
		if err != nil {
			return nil, err
		}
		var items []any
		if !value.IsEmpty(v) {
			items = value.Array(v)
		}
		collected := map[string][]any{}
		for _, k := range tempKeys(step.resp.temp) {
			collected[k] = []any{}
		}
		var all []weft.Bundle
		for i, item := range items {
			ivars := maps.Clone(st.vars)
			ivars[rootItem] = item
			ivars[rootIndex] = float64(i + 1)
			b, rtemp, err := m.runStep(ctx, c, st, step, ivars)
			if err != nil {
				return nil, err
			}
			for k, tv := range rtemp {
				collected[k] = append(collected[k], tv)
			}
			all = append(all, b...)
		}
		for k, list := range collected {
			st.temp[k] = list
		}
		out = all
	}
	return out, nil
}

// tempKeys lists the keys a response temp section declares (known before any run, so
// an each step that runs zero times still sets them, to empty arrays).
func tempKeys(n node) []string {
	if m, ok := n.(mapNode); ok {
		return m.keys
	}
	return nil
}

// runStep sends one step's request (and its next pages) and returns its bundles and
// the values of its response temp.
func (m *module) runStep(ctx context.Context, c *app.Call, st *stepState, step *commDef, vars map[string]any) ([]weft.Bundle, map[string]any, error) {
	f, err := m.fetchStep(ctx, c, st, step, vars, fetchOptions{})
	if err != nil {
		return nil, nil, err
	}
	return f.col.bundles(f.limit), f.temp, nil
}
