package service

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/value"
)

// encodeState stores what engine.Resume needs (everything but the error, which the
// incomplete execution's own columns hold) as tagged JSON.
func encodeState(e *engine.Incomplete) ([]byte, error) {
	outputs := make(map[string]any, len(e.Outputs))
	for id, v := range e.Outputs {
		outputs[strconv.Itoa(id)] = v
	}
	branches := make(map[string]any, len(e.Branches))
	for id, k := range e.Branches {
		branches[strconv.Itoa(id)] = float64(k)
	}
	vars := make(map[string]any, len(e.Variables))
	for name, v := range e.Variables {
		vars[name] = map[string]any{"value": v.Value, "scope": string(v.Scope)}
	}
	loops := make([]any, len(e.Loops))
	for i, l := range e.Loops {
		loops[i] = float64(l)
	}
	path := make([]any, len(e.Path))
	for i, p := range e.Path {
		path[i] = float64(p)
	}
	st := map[string]any{"module": float64(e.ModuleID), "outputs": outputs, "branches": branches,
		"variables": vars, "loops": loops, "cycle": float64(e.Cycle), "origin": e.Origin, "path": path}
	if e.Input != nil {
		st["input"] = map[string]any(e.Input)
	}
	if e.Inputs != nil {
		st["inputs"] = e.Inputs
	}
	if e.Caller != nil {
		st["caller"] = callerState(e.Caller)
	}
	if w := e.Waits; w != nil {
		st["waits"] = map[string]any{"incomplete": w.Incomplete, "scenario": float64(w.Scenario), "execution": w.Execution}
	}
	data, err := value.MarshalTagged(st)
	if err != nil {
		return nil, fmt.Errorf("encode incomplete execution state: %w", err)
	}
	return data, nil
}

// decodeState reads a stored state back into what engine.Resume takes.
func decodeState(ie *weft.Incomplete) (*engine.Incomplete, error) {
	v, err := value.UnmarshalTagged(ie.State)
	if err != nil {
		return nil, fmt.Errorf("incomplete execution %s: state: %w", ie.ID, err)
	}
	st, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("incomplete execution state is not an object")
	}
	e := &engine.Incomplete{ModuleID: ie.FailedModuleID, Outputs: map[int]any{}, Branches: map[int]int{},
		Error: &weft.Error{Type: ie.ErrorType, Message: ie.ErrorMessage}, AutoRetry: ie.AutoRetry}
	if in, ok := st["input"].(map[string]any); ok {
		e.Input = in
	}
	if outs, ok := st["outputs"].(map[string]any); ok {
		for k, v := range outs {
			id, err := strconv.Atoi(k)
			if err != nil {
				return nil, fmt.Errorf("incomplete execution state: output key %q", k)
			}
			e.Outputs[id] = v
		}
	}
	if brs, ok := st["branches"].(map[string]any); ok {
		for k, v := range brs {
			id, err := strconv.Atoi(k)
			f, _ := v.(float64)
			if err != nil {
				return nil, fmt.Errorf("incomplete execution state: branch key %q", k)
			}
			e.Branches[id] = int(f)
		}
	}
	if vars, ok := st["variables"].(map[string]any); ok && len(vars) > 0 {
		e.Variables = map[string]engine.Variable{}
		for name, raw := range vars {
			m, _ := raw.(map[string]any)
			scope, _ := m["scope"].(string)
			e.Variables[name] = engine.Variable{Value: m["value"], Scope: app.Scope(scope)}
		}
	}
	if loops, ok := st["loops"].([]any); ok {
		for _, l := range loops {
			f, _ := l.(float64)
			e.Loops = append(e.Loops, int(f))
		}
	}
	if c, ok := st["cycle"].(float64); ok {
		e.Cycle = int(c)
	}
	if o, ok := st["origin"].(string); ok {
		e.Origin = o
	}
	if path, ok := st["path"].([]any); ok {
		for _, p := range path {
			f, _ := p.(float64)
			e.Path = append(e.Path, int32(f))
		}
	}
	if in, ok := st["inputs"].(map[string]any); ok {
		e.Inputs = in
	}
	if c, ok := st["caller"].(map[string]any); ok {
		e.Caller = callerFromState(c)
	}
	if w, ok := st["waits"].(map[string]any); ok {
		id, _ := w["incomplete"].(string)
		sc, _ := w["scenario"].(float64)
		ex, _ := w["execution"].(string)
		e.Waits = &engine.Wait{Incomplete: id, Scenario: int64(sc), Execution: ex}
	}
	return e, nil
}

// callerState is a run's caller as stored in an incomplete execution's state.
func callerState(c *weft.Caller) map[string]any {
	chain := make([]any, len(c.Chain))
	for i, id := range c.Chain {
		chain[i] = float64(id)
	}
	return map[string]any{"execution": c.ExecutionID, "scenario": float64(c.ScenarioID),
		"module": float64(c.ModuleID), "chain": chain}
}

func callerFromState(m map[string]any) *weft.Caller {
	c := &weft.Caller{}
	c.ExecutionID, _ = m["execution"].(string)
	sc, _ := m["scenario"].(float64)
	mod, _ := m["module"].(float64)
	c.ScenarioID, c.ModuleID = int64(sc), int(mod)
	chain, _ := m["chain"].([]any)
	for _, v := range chain {
		f, _ := v.(float64)
		c.Chain = append(c.Chain, int64(f))
	}
	return c
}
