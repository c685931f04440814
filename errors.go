package weft

import (
	"errors"
	"fmt"
	"time"
)

// ErrorType is the one type every module failure carries (SPEC §3.1). The names are
// Make's, so blueprints that filter on {{N.error.type}} keep working.
type ErrorType string

// The error types of SPEC §3.1.
const (
	ConnectionError           ErrorType = "ConnectionError"
	RateLimitError            ErrorType = "RateLimitError"
	OutOfSpaceError           ErrorType = "OutOfSpaceError"
	ModuleTimeoutError        ErrorType = "ModuleTimeoutError"
	DataError                 ErrorType = "DataError"
	InvalidConfigurationError ErrorType = "InvalidConfigurationError"
	InvalidAccessTokenError   ErrorType = "InvalidAccessTokenError"
	UnexpectedError           ErrorType = "UnexpectedError"
	MaxFileSizeExceededError  ErrorType = "MaxFileSizeExceededError"
	MaxResultsExceededError   ErrorType = "MaxResultsExceededError"
	RuntimeError              ErrorType = "RuntimeError"
	DuplicateDataError        ErrorType = "DuplicateDataError"
	IncompleteDataError       ErrorType = "IncompleteDataError"
	BundleValidationError     ErrorType = "BundleValidationError"
	InconsistencyError        ErrorType = "InconsistencyError"
)

// ErrorTypes lists every known type in the order of SPEC §3.1.
var ErrorTypes = []ErrorType{
	ConnectionError, RateLimitError, OutOfSpaceError, ModuleTimeoutError,
	DataError, InvalidConfigurationError, InvalidAccessTokenError, UnexpectedError,
	MaxFileSizeExceededError, MaxResultsExceededError, RuntimeError,
	DuplicateDataError, IncompleteDataError, BundleValidationError, InconsistencyError,
}

// Valid reports whether t is one of the known error types.
func (t ErrorType) Valid() bool {
	for _, k := range ErrorTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Retryable reports whether an unhandled error of this type is stored as an incomplete
// execution with automatic retry (SPEC §3.2).
func (t ErrorType) Retryable() bool {
	switch t {
	case ConnectionError, RateLimitError, OutOfSpaceError, ModuleTimeoutError:
		return true
	}
	return false
}

// NeedsPerson reports whether an unhandled error of this type is stored as an incomplete
// execution without automatic retry: the data or the configuration must be fixed first
// (SPEC §3.2).
func (t ErrorType) NeedsPerson() bool {
	switch t {
	case DataError, InvalidConfigurationError, InvalidAccessTokenError, UnexpectedError,
		MaxFileSizeExceededError, MaxResultsExceededError:
		return true
	}
	return false
}

// Error is a module failure with its type. Modules return it (directly or wrapped);
// anything else a module returns is treated as a RuntimeError.
type Error struct {
	Type    ErrorType
	Message string
	// Details carries protocol facts worth keeping with an incomplete execution
	// (status code, response body excerpt, SMTP reply...). Values must be JSON-friendly.
	Details map[string]any
	// RetryAfter is the delay a RateLimitError asks for (Retry-After); zero when unknown.
	RetryAfter time.Duration
	// Err is the underlying cause, kept for errors.Is/As; never shown to users as is.
	Err error
	// OutcomeUnknown: the module's request reached the service (it was written in
	// full) but no answer came back (a timeout after writing, the connection dropped
	// after sending), so whether the service acted on it is unknown. Such an incomplete
	// execution is not retried automatically unless the call is Idempotent or the
	// module's spec declares itself idempotent (docs/incomplete-executions.md §9).
	OutcomeUnknown bool
	// Idempotent: repeating this call is safe (it carried an idempotency key the
	// service deduplicates by, or its method changes nothing).
	Idempotent bool
	// Endpoint names the service the call went to ("host:port" of an HTTP call), for
	// the per-connection circuit breaker; empty when the module does not say.
	Endpoint string
}

func (e *Error) Error() string {
	if e.Message == "" && e.Err != nil {
		return string(e.Type) + ": " + e.Err.Error()
	}
	return string(e.Type) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of type t with a formatted message. A %w verb keeps the cause.
func Errorf(t ErrorType, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Type: t, Message: err.Error(), Err: errors.Unwrap(err)}
}

// AsError classifies any error as an *Error: typed errors keep their type, context
// deadlines become ModuleTimeoutError, anything else is a RuntimeError.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, errDeadline) {
		return &Error{Type: ModuleTimeoutError, Message: err.Error(), Err: err}
	}
	return &Error{Type: RuntimeError, Message: err.Error(), Err: err}
}

// TypeOf returns the error type of err (RuntimeError for untyped errors).
func TypeOf(err error) ErrorType { return AsError(err).Type }
