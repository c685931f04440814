package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft/store"
)

// MinIDPrefix is the shortest beginning of an execution or incomplete-execution id
// taken for the whole id; a shorter text must be a whole id (four hex digits already
// single out one of 65,536, and a mistyped short id must not select something at
// random).
const MinIDPrefix = 4

// AmbiguousIDError is an id prefix that starts several ids.
type AmbiguousIDError struct {
	// What is "execution" or "incomplete execution".
	What   string
	Prefix string
	// Matches are some of the ids it starts (at most ambiguousShown).
	Matches []string
}

func (e *AmbiguousIDError) Error() string {
	return fmt.Sprintf("%s id %s is ambiguous: it starts %s…; give more characters", e.What, e.Prefix,
		strings.Join(e.Matches, ", "))
}

// ambiguousShown is how many matches an AmbiguousIDError names.
const ambiguousShown = 5

// IncompleteIDOf returns the id of the incomplete execution ref names: its whole id, or
// a unique prefix of at least MinIDPrefix characters (the web UI and the docs show
// ten). Not found is store.ErrNotFound; a prefix of several an *AmbiguousIDError. A
// store without store.IDPrefixes takes whole ids only: ref comes back as it is.
func (s *Service) IncompleteIDOf(ctx context.Context, ref string) (string, error) {
	return s.idOf(ctx, "incomplete execution", ref, func(p store.IDPrefixes) func(context.Context, string, int) ([]string, error) {
		return p.IncompleteIDsWithPrefix
	})
}

// ExecutionIDOf is IncompleteIDOf for executions.
func (s *Service) ExecutionIDOf(ctx context.Context, ref string) (string, error) {
	return s.idOf(ctx, "execution", ref, func(p store.IDPrefixes) func(context.Context, string, int) ([]string, error) {
		return p.ExecutionIDsWithPrefix
	})
}

func (s *Service) idOf(ctx context.Context, what, ref string,
	lookup func(store.IDPrefixes) func(context.Context, string, int) ([]string, error)) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", fmt.Errorf("%w: no %s id given", store.ErrNotFound, what)
	}
	p, ok := s.st.(store.IDPrefixes)
	if !ok {
		return ref, nil
	}
	ids, err := lookup(p)(ctx, ref, 2)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, ref, err)
	}
	switch {
	case len(ids) > 0 && ids[0] == ref: // a whole id (the least string it starts)
		return ref, nil
	case len(ref) < MinIDPrefix:
		return "", fmt.Errorf("%s %s: %w (a shortened id needs at least %d characters)", what, ref, store.ErrNotFound, MinIDPrefix)
	case len(ids) == 1:
		return ids[0], nil
	case len(ids) == 0:
		return "", fmt.Errorf("%s %s: %w", what, ref, store.ErrNotFound)
	}
	some, err := lookup(p)(ctx, ref, ambiguousShown)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, ref, err)
	}
	return "", &AmbiguousIDError{What: what, Prefix: ref, Matches: some}
}

// scenarioErr names the scenario in an error reading it, once: a store's "not found"
// names what it did not find already, so it becomes "scenario N: not found" rather
// than "scenario N: scenario N: not found".
func scenarioErr(id int64, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("scenario %d: %w", id, store.ErrNotFound)
	}
	return fmt.Errorf("scenario %d: %w", id, err)
}

// opErr wraps err with the operation that failed (op), except a store's "not found",
// which names what it did not find already: that becomes "WHAT: not found" rather than
// "delete scenario 9: scenario 9: not found".
func opErr(op, what string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}
