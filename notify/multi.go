package notify

import (
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/service"
)

// Multi tells every observer each event, in order; nil observers are skipped. The
// server passes metrics and notifications to service.Config.Observer through it.
func Multi(observers ...service.Observer) service.Observer {
	m := make(multi, 0, len(observers))
	for _, o := range observers {
		if o != nil {
			m = append(m, o)
		}
	}
	return m
}

type multi []service.Observer

func (m multi) RunFinished(sc *weft.Scenario, ex *weft.Execution, res *engine.Result) {
	for _, o := range m {
		o.RunFinished(sc, ex, res)
	}
}

func (m multi) IncompleteStored(sc *weft.Scenario, ie *weft.Incomplete) {
	for _, o := range m {
		o.IncompleteStored(sc, ie)
	}
}

func (m multi) ScenarioDeactivated(sc *weft.Scenario, reason string) {
	for _, o := range m {
		o.ScenarioDeactivated(sc, reason)
	}
}
