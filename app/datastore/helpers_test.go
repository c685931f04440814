package datastore_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/datastore"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// harness is one registration of the app over a real store, and one run (Exec) whose
// write set the module calls share.
type harness struct {
	t    testing.TB
	st   store.Store
	reg  *app.Registry
	exec *apptest.Exec
	keys int
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessOn(t, newBackend(t))
}

// newHarnessOn registers the app over st with keys "gen-1", "gen-2"… for blank keys.
func newHarnessOn(t testing.TB, st store.Store) *harness {
	t.Helper()
	h := &harness{t: t, st: st, reg: app.NewRegistry(), exec: apptest.NewExec()}
	o := datastore.Options{NewKey: func() string { h.keys++; return fmt.Sprintf("gen-%d", h.keys) }}
	if err := datastore.RegisterOptions(h.reg, st, o); err != nil {
		t.Fatal(err)
	}
	return h
}

// newRun starts another run (a fresh Exec) on the same registration.
func (h *harness) newRun() *harness {
	c := *h
	c.exec = apptest.NewExec()
	return &c
}

// call runs module name (without the "datastore:" prefix) once with the given
// parameters and mapper, as the engine does (parameters and input prepared).
func (h *harness) call(name string, params, mapper weft.Bundle) ([]weft.Bundle, error) {
	h.t.Helper()
	spec, ok := h.reg.Lookup("datastore:" + name)
	if !ok {
		h.t.Fatalf("datastore:%s is not registered", name)
	}
	return apptest.Run(context.Background(), spec, params, mapper, h.exec)
}

// must is call that fails the test on an error.
func (h *harness) must(name string, params, mapper weft.Bundle) []weft.Bundle {
	h.t.Helper()
	out, err := h.call(name, params, mapper)
	if err != nil {
		h.t.Fatalf("%s %v: %v", name, mapper, err)
	}
	return out
}

// tx returns the Transactional side of a data store module (every one commits the
// whole write set).
func (h *harness) tx() app.Transactional {
	h.t.Helper()
	spec, _ := h.reg.Lookup("datastore:ExistRecord")
	m, err := spec.New(app.Config{ModuleID: 1, Version: 1, Parameters: weft.Bundle{}})
	if err != nil {
		h.t.Fatal(err)
	}
	return m.(app.Transactional)
}

func (h *harness) commit() error {
	return h.tx().Commit(context.Background(), h.exec)
}

func (h *harness) mustCommit() {
	h.t.Helper()
	if err := h.commit(); err != nil {
		h.t.Fatalf("commit: %v", err)
	}
}

func (h *harness) rollback() {
	h.t.Helper()
	if err := h.tx().Rollback(context.Background(), h.exec); err != nil {
		h.t.Fatalf("rollback: %v", err)
	}
}

// stored is the committed content of a data store: key → record.
func (h *harness) stored(name string) map[string]weft.Bundle {
	h.t.Helper()
	recs, err := h.st.ListRecords(context.Background(), name, 0)
	if err != nil {
		h.t.Fatalf("list %s: %v", name, err)
	}
	out := map[string]weft.Bundle{}
	for _, r := range recs {
		out[r.Key] = r.Data
	}
	return out
}

// seed commits records straight into the backend.
func (h *harness) seed(storeName string, recs map[string]weft.Bundle) {
	h.t.Helper()
	for k, v := range recs {
		if err := h.st.PutRecord(context.Background(), storeName, k, v, true); err != nil {
			h.t.Fatalf("seed %s/%s: %v", storeName, k, err)
		}
	}
}

// js decodes JSON into canonical values (numbers are float64).
func js(s string) weft.Bundle {
	v, err := value.DecodeJSON([]byte(s))
	if err != nil {
		panic(fmt.Sprintf("bad test JSON %s: %v", s, err))
	}
	return v.(map[string]any)
}

func jsAny(s string) any {
	v, err := value.DecodeJSON([]byte(s))
	if err != nil {
		panic(fmt.Sprintf("bad test JSON %s: %v", s, err))
	}
	return v
}

// same compares canonical values by their canonical JSON (value.JSON: sorted keys), so a
// date and its ISO text are equal: the SQLite store keeps record data as JSON, and a
// date read back is its ISO text, which every date function and operator reads as a
// date. Numbers, booleans, text and null stay distinct.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if g, w := value.JSON(canon(got)), value.JSON(canon(want)); string(g) != string(w) {
		t.Fatalf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// canon turns typed maps and slices (map[string]weft.Bundle, []weft.Bundle, []string)
// into canonical map[string]any and []any, so value.JSON encodes them its own way.
func canon(v any) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return v
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[it.Key().String()] = canon(it.Value().Interface())
		}
		return out
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 { // []byte is a value, not a list
			return v
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = canon(rv.Index(i).Interface())
		}
		return out
	}
	return v
}
