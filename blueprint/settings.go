package blueprint

import (
	"encoding/json"
	"strconv"
)

// Settings are the scenario settings of metadata.scenario (SPEC §1.3).
type Settings struct {
	// DLQ allows storing incomplete executions. Defaults to true: weft chooses
	// "nothing lost" where Make defaults to false; an explicit false is honoured.
	DLQ bool `json:"dlq"`
	// Sequential holds new runs while incomplete executions are unresolved.
	Sequential bool `json:"sequential"`
	// MaxErrors is how many consecutive errored runs deactivate the scenario. Defaults to 3.
	MaxErrors int `json:"maxErrors"`
	// AutoCommit commits each ACID module right after its operation. Defaults to true.
	AutoCommit bool `json:"autoCommit"`
	// AutoCommitTriggerLast commits the trigger only after the rest. Defaults to true.
	AutoCommitTriggerLast bool `json:"autoCommitTriggerLast"`
	// Roundtrips is the maximum number of cycles per run. Defaults to 1.
	Roundtrips int `json:"roundtrips"`
	// Confidential keeps no bundle data for inspection.
	Confidential bool `json:"confidential"`
	// DataLoss: when IE storage is full, true discards the new IE, false deactivates.
	DataLoss bool `json:"dataloss"`
	// FreshVariables is kept for Make compatibility (no effect in weft).
	FreshVariables bool `json:"freshVariables"`
}

// DefaultSettings returns weft's defaults for settings a blueprint leaves out.
func DefaultSettings() Settings {
	return Settings{DLQ: true, MaxErrors: 3, AutoCommit: true, AutoCommitTriggerLast: true, Roundtrips: 1}
}

func (r *reader) settings(raw json.RawMessage) Settings {
	s := DefaultSettings()
	o, err := parseObject(raw)
	if err != nil {
		r.problem("/metadata/scenario", "must be an object")
		return s
	}
	const base = "/metadata/scenario"
	flag := func(key string, dst *bool) {
		if _, ok := o.get(key); ok {
			*dst = r.boolean(o, base, key)
		}
	}
	num := func(key string, dst *int, lo int) {
		v, ok := o.get(key)
		if !ok || string(v) == "null" {
			return
		}
		var f float64
		if err := json.Unmarshal(v, &f); err != nil {
			// Make sometimes writes numbers as text.
			var s string
			if json.Unmarshal(v, &s) == nil {
				f, err = strconv.ParseFloat(s, 64)
			}
			if err != nil {
				r.problem(base+"/"+key, "must be a number, got %s", short(v))
				return
			}
		}
		if f < float64(lo) || f != float64(int(f)) {
			r.problem(base+"/"+key, "must be a whole number ≥ %d, got %s", lo, short(v))
			return
		}
		*dst = int(f)
	}
	flag("dlq", &s.DLQ)
	flag("sequential", &s.Sequential)
	flag("autoCommit", &s.AutoCommit)
	flag("autoCommitTriggerLast", &s.AutoCommitTriggerLast)
	flag("confidential", &s.Confidential)
	flag("dataloss", &s.DataLoss)
	flag("freshVariables", &s.FreshVariables)
	num("maxErrors", &s.MaxErrors, 0)
	num("roundtrips", &s.Roundtrips, 0)
	if s.Roundtrips == 0 {
		// Make exports 0 in some scenarios (029); a run always has at least one cycle.
		s.Roundtrips = 1
	}
	return s
}
