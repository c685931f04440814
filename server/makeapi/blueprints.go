package makeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/value"
)

// setKey returns raw (a JSON object) with the value at path replaced by val, or added
// as the object's first key when missing (parents are created as needed). Every other
// byte is kept: weft exports blueprints exactly as they were stored.
func setKey(raw []byte, path []string, val []byte) ([]byte, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	open := int(dec.InputOffset())
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if k != path[0] {
			continue
		}
		end := int(dec.InputOffset())
		start := end - len(v)
		repl := val
		if len(path) > 1 {
			inner := []byte(v)
			if t := bytes.TrimSpace(inner); len(t) == 0 || t[0] != '{' {
				inner = []byte("{}")
			}
			if repl, err = setKey(inner, path[1:], val); err != nil {
				return nil, fmt.Errorf("%s: %w", path[0], err)
			}
		}
		out := make([]byte, 0, len(raw)+len(repl))
		out = append(out, raw[:start]...)
		out = append(out, repl...)
		return append(out, raw[end:]...), nil
	}
	// Missing: add it as the first key.
	repl := val
	if len(path) > 1 {
		if repl, err = setKey([]byte("{}"), path[1:], val); err != nil {
			return nil, err
		}
	}
	name, _ := json.Marshal(path[0])
	out := append([]byte{}, raw[:open]...)
	out = append(out, name...)
	out = append(out, ':')
	out = append(out, repl...)
	if rest := bytes.TrimSpace(raw[open:]); !bytes.HasPrefix(rest, []byte("}")) {
		out = append(out, ',')
	}
	return append(out, raw[open:]...), nil
}

// walk calls fn for every module of flow, routes, branches and error handlers
// included.
func walk(mods []*blueprint.Module, fn func(m *blueprint.Module)) {
	for _, m := range mods {
		fn(m)
		for _, r := range m.Routes {
			walk(r.Flow, fn)
		}
		for _, b := range m.Branches {
			walk(b.Flow, fn)
		}
		walk(m.OnError, fn)
	}
}

// appOf is the app of a module type ("json:ParseJSON" → "json").
func appOf(typ string) string {
	app, _, _ := strings.Cut(typ, ":")
	return app
}

// usedPackages lists the apps a blueprint's modules belong to (Make's usedPackages),
// without the engine's own (builtin: routers, directives, flow control).
func usedPackages(bp *blueprint.Blueprint) []string {
	out := []string{}
	walk(bp.Flow, func(m *blueprint.Module) {
		if app := appOf(m.Type); app != "" && app != "builtin" && !slices.Contains(out, app) {
			out = append(out, app)
		}
	})
	slices.Sort(out)
	return out
}

// maxModuleID is the largest module id (Make's idSequence is the next one).
func maxModuleID(bp *blueprint.Blueprint) int {
	n := 0
	walk(bp.Flow, func(m *blueprint.Module) { n = max(n, m.ID) })
	return n
}

// Scenario inputs and outputs live in the blueprint (docs/subscenarios.md): a
// blueprint-level metadata.interface {"input", "output"} (the shape of Make's API),
// else the Start scenario trigger's metadata.interface and the Return output modules'
// metadata.expect.
const (
	startModule  = "scenario-service:StartSubscenario"
	returnModule = "scenario-service:ReturnData"
)

// iface is a scenario interface as Make's API shows it.
type iface struct {
	Input  []any `json:"input"`
	Output []any `json:"output"`
}

// interfaceOf reads the declared inputs and outputs of a blueprint.
func interfaceOf(raw []byte) (iface, error) {
	out := iface{Input: []any{}, Output: []any{}}
	v, err := value.DecodeJSON(raw)
	if err != nil {
		return out, err
	}
	doc, _ := v.(map[string]any)
	md, _ := doc["metadata"].(map[string]any)
	declared, _ := md["interface"].(map[string]any)
	if in, ok := declared["input"].([]any); ok {
		out.Input = in
	}
	if o, ok := declared["output"].([]any); ok {
		out.Output = o
	}
	flow, _ := doc["flow"].([]any)
	if _, ok := declared["input"]; !ok && len(flow) > 0 {
		if first, _ := flow[0].(map[string]any); first["module"] == startModule {
			fmd, _ := first["metadata"].(map[string]any)
			if in, ok := fmd["interface"].([]any); ok {
				out.Input = in
			}
		}
	}
	if _, ok := declared["output"]; !ok {
		seen := map[string]bool{}
		var visit func(mods []any)
		visit = func(mods []any) {
			for _, x := range mods {
				m, _ := x.(map[string]any)
				if m["module"] == returnModule {
					mmd, _ := m["metadata"].(map[string]any)
					expect, _ := mmd["expect"].([]any)
					for _, p := range expect {
						pm, _ := p.(map[string]any)
						name := fmt.Sprint(pm["name"])
						if !seen[name] {
							seen[name] = true
							out.Output = append(out.Output, p)
						}
					}
				}
				for _, key := range []string{"routes", "branches"} {
					list, _ := m[key].([]any)
					for _, r := range list {
						rm, _ := r.(map[string]any)
						sub, _ := rm["flow"].([]any)
						visit(sub)
					}
				}
				sub, _ := m["onerror"].([]any)
				visit(sub)
			}
		}
		visit(flow)
	}
	return out, nil
}

// withInterface stores Make's scenario interface in the blueprint (metadata.interface).
func withInterface(raw []byte, in, out []any) ([]byte, error) {
	if in == nil {
		in = []any{}
	}
	if out == nil {
		out = []any{}
	}
	val, err := json.Marshal(map[string]any{"input": in, "output": out})
	if err != nil {
		return nil, err
	}
	return setKey(raw, []string{"metadata", "interface"}, val)
}
