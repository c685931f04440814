package weft

import (
	"encoding/json"
	"time"
)

// TriggerPosition is where a scenario's polling trigger stands: the position after the
// last item a committed run consumed (app.Poller). One per scenario and trigger module.
type TriggerPosition struct {
	ScenarioID int64 `json:"scenarioId"`
	ModuleID   int   `json:"moduleId"`
	// Module is the trigger's module type when the position was written: a position of
	// another module type (the blueprint's trigger was replaced) is not used.
	Module string `json:"module"`
	// Position is the module's opaque JSON.
	Position json.RawMessage `json:"position"`
	// Start is the start choice the position was made from when a person chose it
	// (empty once a run moved it on, or when it was chosen by default).
	Start string `json:"start,omitempty"`
	// Version counts writes; a run writes its new position only if the version is the
	// one it read (a start chosen meanwhile wins).
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// AppHook is the registration of an instant app trigger's webhook with its service
// (app.HookSpec): registered while the scenario is active, and an unregistration still
// owed when the service could not be reached. It is not deleted with its scenario: an
// owed unregistration outlives it.
type AppHook struct {
	ScenarioID int64  `json:"scenarioId"`
	Module     string `json:"module"`
	// Params are the trigger module's parameters at registration (JSON): what
	// Unregister needs once the blueprint has changed or is gone.
	Params json.RawMessage `json:"-"`
	// URL is the hook address the service was given.
	URL string `json:"url"`
	// State is app.HookState as JSON, encrypted like connections (KeyID names the key).
	State []byte `json:"-"`
	KeyID string `json:"-"`
	// Registered: the service sends events to URL. False: an unregistration is owed.
	Registered bool `json:"registered"`
	// Error is the last failure of a registration or unregistration ("" none).
	Error     string    `json:"error,omitempty"`
	Attempts  int       `json:"attempts"`
	UpdatedAt time.Time `json:"updatedAt"`
}
