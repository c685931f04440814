package weft

// Bundle is the unit of data modules exchange (SPEC §2.2): a JSON-like object.
//
// Values inside a bundle are nil, bool, float64, int64 (integers too large for a
// float64 to hold exactly, so ids survive), string, []any, map[string]any,
// time.Time (dates) and []byte (binary data).
type Bundle = map[string]any

// Status is how a run ended (SPEC §3.3).
type Status string

// Run statuses.
const (
	StatusSuccess Status = "success"
	StatusWarning Status = "warning" // the run stored at least one incomplete execution
	StatusError   Status = "error"
)
