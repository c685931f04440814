package blueprint

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/weftworks/weft/value"
)

// Structural edits for the scenario editor (docs/ui.md, "Scenario editor"): add,
// delete and move modules, add routes and error handler routes. Like SetMapper they
// keep every key weft does not know where it was; a module or route they create is a
// new object in Make's shape, so an export stays a blueprint Make imports.

// NewModule returns a module of type typ with the given id, version, parameters and
// mapper, in Make's key order (id, module, version, parameters, mapper, metadata).
// Designer positions x, y are written to metadata.designer as Make's editor places
// modules.
func NewModule(id int, typ string, version int, parameters map[string]any, mapper any, x, y int) *Module {
	if parameters == nil {
		parameters = map[string]any{}
	}
	if mapper == nil {
		mapper = map[string]any{}
	}
	o := &object{vals: map[string]json.RawMessage{}}
	o.set("id", json.RawMessage(fmt.Sprint(id)))
	t, _ := json.Marshal(typ)
	o.set("module", t)
	o.set("version", json.RawMessage(fmt.Sprint(version)))
	o.set("parameters", value.JSON(parameters))
	o.set("mapper", value.JSON(mapper))
	o.set("metadata", json.RawMessage(fmt.Sprintf(`{"designer":{"x":%d,"y":%d}}`, x, y)))
	return &Module{ID: id, HasID: true, Type: typ, Version: version, Parameters: parameters, Mapper: mapper, obj: o}
}

// MaxID is the largest module id in the blueprint (0 when there is none); a new
// module takes MaxID()+1, as Make's editor numbers them.
func (bp *Blueprint) MaxID() int {
	n := 0
	bp.walkPaths(func(m *Module, _ *path) bool {
		if m.HasID && m.ID > n {
			n = m.ID
		}
		return true
	})
	return n
}

// container returns the slice holding module id and its index there.
func (bp *Blueprint) container(id int) (*[]*Module, int) {
	var find func(list *[]*Module) (*[]*Module, int)
	find = func(list *[]*Module) (*[]*Module, int) {
		for i, m := range *list {
			if m.HasID && m.ID == id {
				return list, i
			}
			for _, r := range m.Routes {
				if l, j := find(&r.Flow); l != nil {
					return l, j
				}
			}
			for _, b := range m.Branches {
				if l, j := find(&b.Flow); l != nil {
					return l, j
				}
			}
			if l, j := find(&m.OnError); l != nil {
				return l, j
			}
		}
		return nil, -1
	}
	return find(&bp.Flow)
}

// InsertAfter puts m right after module id in id's flow (route, branch or handler
// route); id 0 puts it first in the main flow.
func (bp *Blueprint) InsertAfter(id int, m *Module) error {
	if id == 0 {
		bp.Flow = slices.Insert(bp.Flow, 0, m)
		return nil
	}
	list, i := bp.container(id)
	if list == nil {
		return fmt.Errorf("the blueprint has no module %d", id)
	}
	*list = slices.Insert(*list, i+1, m)
	return nil
}

// Remove deletes module id with everything it holds (its routes, branches and error
// handler route) and returns it.
func (bp *Blueprint) Remove(id int) (*Module, error) {
	list, i := bp.container(id)
	if list == nil {
		return nil, fmt.Errorf("the blueprint has no module %d", id)
	}
	m := (*list)[i]
	*list = slices.Delete(*list, i, i+1)
	return m, nil
}

// Move moves module id by delta places within its own flow (-1: one earlier). It
// reports false when the module is already at that end.
func (bp *Blueprint) Move(id, delta int) (bool, error) {
	list, i := bp.container(id)
	if list == nil {
		return false, fmt.Errorf("the blueprint has no module %d", id)
	}
	j := i + delta
	if j < 0 || j >= len(*list) || delta == 0 {
		return false, nil
	}
	m := (*list)[i]
	*list = slices.Delete(*list, i, i+1)
	*list = slices.Insert(*list, j, m)
	return true, nil
}

// AddRoute appends a route holding flow to the module (a router) and returns it.
func (m *Module) AddRoute(flow []*Module) *Route {
	m.ensureKey("routes", "[]")
	r := &Route{Flow: flow, obj: &object{vals: map[string]json.RawMessage{}}}
	r.obj.set("flow", json.RawMessage("[]"))
	m.Routes = append(m.Routes, r)
	return r
}

// SetOnError replaces the module's error handler route (empty: none).
func (m *Module) SetOnError(flow []*Module) {
	m.ensureKey("onerror", "[]")
	m.OnError = flow
}

// ensureKey adds key to the module's object when it is missing, so export writes
// the field weft keeps in the struct (routes, onerror).
func (m *Module) ensureKey(key, empty string) {
	if m.obj == nil {
		m.obj = &object{vals: map[string]json.RawMessage{}}
	}
	if raw, ok := m.obj.get(key); !ok || string(raw) == "null" {
		m.obj.set(key, json.RawMessage(empty))
	}
}

// Designer returns the module's designer position (metadata.designer x, y) and
// whether it has one.
func (m *Module) Designer() (x, y int, ok bool) {
	raw, found := m.obj.get("metadata")
	if !found {
		return 0, 0, false
	}
	var md struct {
		Designer *struct {
			X float64 `json:"x"`
			Y float64 `json:"y"`
		} `json:"designer"`
	}
	if json.Unmarshal(raw, &md) != nil || md.Designer == nil {
		return 0, 0, false
	}
	return int(md.Designer.X), int(md.Designer.Y), true
}
