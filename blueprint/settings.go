package blueprint

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/weftworks/weft/limits"
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
	// Limits are the scenario's own run limits ("limits": {"maxOperations": 500, …}, a
	// weft extension): each set field lowers the server's bound for the scenario's runs,
	// a higher one has no effect (docs/operations.md, "Run limits"). Zero fields are unset.
	Limits limits.Limits `json:"limits"`
}

// DefaultSettings returns weft's defaults for settings a blueprint leaves out.
func DefaultSettings() Settings {
	return Settings{DLQ: true, MaxErrors: 3, AutoCommit: true, AutoCommitTriggerLast: true, Roundtrips: 1}
}

func (r *reader) settings(raw json.RawMessage) Settings {
	s := DefaultSettings()
	o, err := r.object(raw)
	if err != nil {
		r.problem(root("metadata", "scenario"), "must be an object")
		return s
	}
	base := root("metadata", "scenario")
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
				r.problem(base.key(key), "must be a number, got %s", short(v))
				return
			}
		}
		if f < float64(lo) || f != float64(int(f)) {
			r.problem(base.key(key), "must be a whole number ≥ %d, got %s", lo, short(v))
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
	if raw, ok := o.get("limits"); ok && string(raw) != "null" {
		s.Limits = r.limits(raw, base.at("limits"))
	}
	if s.Roundtrips == 0 {
		// Make exports 0 in some scenarios (029); a run always has at least one cycle.
		s.Roundtrips = 1
	}
	return s
}

// limits reads metadata.scenario.limits: each key a run limit (limits.Defs) a scenario
// may lower. A bad value is an error; an unknown key only a warning, so a blueprint
// written for a later weft still imports.
func (r *reader) limits(raw json.RawMessage, ptr *path) limits.Limits {
	var l limits.Limits
	o, err := r.object(raw)
	if err != nil {
		r.problem(ptr, "must be an object of run limits, e.g. {\"maxOperations\": 1000}")
		return l
	}
	for _, key := range o.keys {
		p := ptr.key(key)
		d, ok := limits.Lookup(key)
		if !ok || !d.PerScenario() {
			r.warn(p, "%q is not a run limit a scenario can set (%s): ignored", key, scenarioLimitKeys())
			continue
		}
		var v any
		if err := json.Unmarshal(o.vals[key], &v); err != nil {
			r.problem(p, "must be a number or text")
			continue
		}
		n, err := d.ParseJSON(v)
		if err != nil {
			r.problem(p, "%s", err)
			continue
		}
		d.Set(&l, n)
	}
	return l
}

func scenarioLimitKeys() string {
	var keys []string
	for i := range limits.Defs {
		if limits.Defs[i].PerScenario() {
			keys = append(keys, limits.Defs[i].Key)
		}
	}
	return strings.Join(keys, ", ")
}
