package blueprint

// Continuation returns the ids of the modules a continuation from module id may run
// (SPEC §5.4): the module itself with its error handler route, everything after it in
// its flow (loops close there: an aggregator follows its feeder in the same flow) with
// what those contain, and — where that flow is an if/else branch that merges —
// everything after the if/else, outward as far as branches merge. ok is false when the
// blueprint has no module id.
func (bp *Blueprint) Continuation(id int) (ids map[int]bool, ok bool) {
	ids = map[int]bool{}
	var find func(flow []*Module) (found bool, merges bool)
	// find reports whether id is inside flow; merges tells the caller that the
	// continuation goes on after the container holding flow (a merging branch).
	find = func(flow []*Module) (bool, bool) {
		for i, m := range flow {
			if m.HasID && m.ID == id {
				for _, n := range flow[i:] {
					addAll(n, ids)
				}
				return true, true
			}
			for _, r := range m.Routes {
				if found, _ := find(r.Flow); found {
					return true, false // a route ends where its flow ends
				}
			}
			for _, b := range m.Branches {
				if found, goesOn := find(b.Flow); found {
					if goesOn && b.Merge {
						for _, n := range flow[i+1:] {
							addAll(n, ids)
						}
						return true, true
					}
					return true, false
				}
			}
			if found, _ := find(m.OnError); found {
				return true, false
			}
		}
		return false, false
	}
	found, _ := find(bp.Flow)
	return ids, found
}

func addAll(m *Module, ids map[int]bool) {
	if m.HasID {
		ids[m.ID] = true
	}
	for _, r := range m.Routes {
		for _, n := range r.Flow {
			addAll(n, ids)
		}
	}
	for _, b := range m.Branches {
		for _, n := range b.Flow {
			addAll(n, ids)
		}
	}
	for _, n := range m.OnError {
		addAll(n, ids)
	}
}
