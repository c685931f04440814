package datastore_test

import (
	"testing"

	"github.com/weftworks/weft/store"
)

// newBackend opens the store the tests run against.
func newBackend(t *testing.T) store.Store { return newMem(t) }
