package blueprint

import "fmt"

// Severity says whether a problem stops a blueprint from running.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem is one thing wrong with a blueprint, located by a JSON pointer into the
// document (RFC 6901), e.g. /flow/2/routes/0/flow/1/mapper/url.
type Problem struct {
	Pointer  string   `json:"pointer"`
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
	// ModuleID is the module the problem belongs to (0 for blueprint-level problems).
	ModuleID int `json:"moduleId,omitempty"`
}

func (p Problem) String() string {
	if p.Severity == SeverityWarning {
		return fmt.Sprintf("%s: warning: %s", p.Pointer, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Pointer, p.Message)
}

// Unsupported is a module whose type weft cannot run. A blueprint with one is stored
// and exported as usual but cannot run or be activated (SPEC §1.2).
type Unsupported struct {
	ModuleID int    `json:"moduleId"`
	Type     string `json:"module"`
	Pointer  string `json:"pointer"`
}

// Report is the outcome of validating a blueprint.
type Report struct {
	Problems    []Problem     `json:"problems"`
	Unsupported []Unsupported `json:"unsupported"`
}

// OK reports whether the blueprint has no error-level problem. Unsupported modules do
// not make a blueprint invalid.
func (r *Report) OK() bool {
	for _, p := range r.Problems {
		if p.Severity == SeverityError {
			return false
		}
	}
	return true
}

// Errors returns the error-level problems.
func (r *Report) Errors() []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Severity == SeverityError {
			out = append(out, p)
		}
	}
	return out
}

// Runnable reports whether the blueprint is valid and every module is supported.
func (r *Report) Runnable() bool { return r.OK() && len(r.Unsupported) == 0 }
