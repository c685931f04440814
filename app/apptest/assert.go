package apptest

import (
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// Spec registers an app into a fresh registry, as the engine does, and returns the
// spec of one of its modules.
func Spec(t testing.TB, register func(*app.Registry) error, name string) *app.Spec {
	t.Helper()
	r := app.NewRegistry()
	if err := register(r); err != nil {
		t.Fatalf("register: %v", err)
	}
	s, ok := r.Lookup(name)
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	return s
}

// WantError fails the test unless err has the weft error type typ and its message
// contains want; it returns the typed error for further checks.
func WantError(t testing.TB, err error, typ weft.ErrorType, want string) *weft.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil; want %s containing %q", typ, want)
	}
	we := weft.AsError(err)
	if we.Type != typ || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %s %q; want %s containing %q", we.Type, err, typ, want)
	}
	return we
}
