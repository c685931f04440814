package storetest

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func testDataStore(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.GetRecord(ctx, "users", "k1")
	wantErr(t, err, store.ErrNotFound, "get from a store never written")
	n, err := s.CountRecords(ctx, "users")
	must(t, err, "count an unknown store")
	equal(t, n, 0, "count of an unknown store")

	must(t, s.PutRecord(ctx, "users", "k2", weft.Bundle{"name": "Bea"}, false), "add k2")
	must(t, s.PutRecord(ctx, "users", "k1", weft.Bundle{"name": "Al"}, false), "add k1")
	must(t, s.PutRecord(ctx, "other", "k1", weft.Bundle{"name": "elsewhere"}, false), "same key, other store")
	wantErr(t, s.PutRecord(ctx, "users", "k1", weft.Bundle{"name": "again"}, false),
		store.ErrExists, "add an existing key without overwrite")
	got, err := s.GetRecord(ctx, "users", "k1")
	must(t, err, "get k1")
	equal(t, got, weft.Bundle{"name": "Al"}, "k1 unchanged by the refused add")

	must(t, s.PutRecord(ctx, "users", "k1", weft.Bundle{"name": "Al", "age": float64(40)}, true), "replace k1")
	got, err = s.GetRecord(ctx, "users", "k1")
	must(t, err, "get replaced k1")
	equal(t, got, weft.Bundle{"name": "Al", "age": float64(40)}, "k1 replaced")
	must(t, s.PutRecord(ctx, "users", "k3", weft.Bundle{}, true), "overwrite creates")

	list, err := s.ListRecords(ctx, "users", 0)
	must(t, err, "list")
	equal(t, list, []weft.Record{
		{Key: "k1", Data: weft.Bundle{"age": float64(40), "name": "Al"}},
		{Key: "k2", Data: weft.Bundle{"name": "Bea"}},
		{Key: "k3", Data: weft.Bundle{}},
	}, "records in key order")
	list, err = s.ListRecords(ctx, "users", 2)
	must(t, err, "list 2")
	equal(t, len(list), 2, "limit")
	n, err = s.CountRecords(ctx, "users")
	must(t, err, "count")
	equal(t, n, 3, "count")

	must(t, s.DeleteRecord(ctx, "users", "k2"), "delete k2")
	wantErr(t, s.DeleteRecord(ctx, "users", "k2"), store.ErrNotFound, "delete k2 again")
	_, err = s.GetRecord(ctx, "users", "k2")
	wantErr(t, err, store.ErrNotFound, "get deleted k2")
	got, err = s.GetRecord(ctx, "other", "k1")
	must(t, err, "other store untouched")
	equal(t, got, weft.Bundle{"name": "elsewhere"}, "other store's k1")
	if err := s.PutRecord(ctx, "users", "", weft.Bundle{}, true); err == nil {
		t.Fatal("an empty key: want an error")
	}
}

// Record data is stored as JSON: integers beyond a float64's precision stay exact,
// dates come back as their ISO 8601 text and binary data as base64 text (as a
// data store in Make holds them).
func testDataStoreValues(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	in := weft.Bundle{
		"big":    int64(9007199254740993),
		"small":  float64(42),
		"frac":   1.5,
		"text":   "héllo <b>",
		"flag":   true,
		"none":   nil,
		"list":   []any{float64(1), "two", []any{}},
		"nested": map[string]any{"k": "v"},
		"when":   time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.UTC),
		"bin":    []byte("hi"),
	}
	must(t, s.PutRecord(ctx, "v", "k", in, false), "put")
	got, err := s.GetRecord(ctx, "v", "k")
	must(t, err, "get")
	want := weft.Bundle{
		"big": int64(9007199254740993), "small": float64(42), "frac": 1.5, "text": "héllo <b>",
		"flag": true, "none": nil, "list": []any{float64(1), "two", []any{}},
		"nested": map[string]any{"k": "v"}, "when": "2026-01-02T03:04:05.006Z", "bin": "aGk=",
	}
	equal(t, got, want, "record values")
}
