package blueprint

import "strconv"

// Visit is called for every module of a blueprint with its JSON pointer.
type Visit func(m *Module, ptr string) bool

// Walk visits every module depth first in document order (flow, then each module's
// routes, branches and error handler route). Returning false stops the walk.
func (bp *Blueprint) Walk(fn Visit) {
	walkFlow(bp.Flow, "/flow", fn)
}

func walkFlow(mods []*Module, ptr string, fn Visit) bool {
	for i, m := range mods {
		p := ptr + "/" + strconv.Itoa(i)
		if !fn(m, p) {
			return false
		}
		for j, r := range m.Routes {
			if !walkFlow(r.Flow, p+"/routes/"+strconv.Itoa(j)+"/flow", fn) {
				return false
			}
		}
		for j, b := range m.Branches {
			if !walkFlow(b.Flow, p+"/branches/"+strconv.Itoa(j)+"/flow", fn) {
				return false
			}
		}
		if !walkFlow(m.OnError, p+"/onerror", fn) {
			return false
		}
	}
	return true
}

// Module returns the module with the given id, and its JSON pointer.
func (bp *Blueprint) Module(id int) (*Module, string) {
	var found *Module
	var at string
	bp.Walk(func(m *Module, ptr string) bool {
		if m.HasID && m.ID == id {
			found, at = m, ptr
			return false
		}
		return true
	})
	return found, at
}
