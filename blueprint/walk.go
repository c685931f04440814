package blueprint

// Visit is called for every module of a blueprint with its JSON pointer.
type Visit func(m *Module, ptr string) bool

// Walk visits every module depth first in document order (flow, then each module's
// routes, branches and error handler route). Returning false stops the walk.
func (bp *Blueprint) Walk(fn Visit) {
	bp.walkPaths(func(m *Module, p *path) bool { return fn(m, p.String()) })
}

// walkPaths is Walk with lazy pointers: linear in the blueprint however deep it nests.
func (bp *Blueprint) walkPaths(fn func(m *Module, p *path) bool) {
	walkFlow(bp.Flow, root("flow"), fn)
}

func walkFlow(mods []*Module, ptr *path, fn func(m *Module, p *path) bool) bool {
	for i, m := range mods {
		p := ptr.at(i)
		if !fn(m, p) {
			return false
		}
		for j, r := range m.Routes {
			if !walkFlow(r.Flow, p.at("routes", j, "flow"), fn) {
				return false
			}
		}
		for j, b := range m.Branches {
			if !walkFlow(b.Flow, p.at("branches", j, "flow"), fn) {
				return false
			}
		}
		if !walkFlow(m.OnError, p.at("onerror"), fn) {
			return false
		}
	}
	return true
}

// Module returns the module with the given id, and its JSON pointer.
func (bp *Blueprint) Module(id int) (*Module, string) {
	var found *Module
	var at *path
	bp.walkPaths(func(m *Module, p *path) bool {
		if m.HasID && m.ID == id {
			found, at = m, p
			return false
		}
		return true
	})
	if found == nil {
		return nil, ""
	}
	return found, at.String()
}
