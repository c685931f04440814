package datastore_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/store"
)

func TestReadYourOwnWrites(t *testing.T) {
	h := newHarness(t)
	h.seed("default", map[string]weft.Bundle{"old": js(`{"v":1}`), "gone": js(`{"v":9}`)})

	h.must("AddRecord", nil, js(`{"key":"new","overwrite":false,"data":{"v":2}}`))
	h.must("UpdateRecord", nil, js(`{"key":"old","data":{"w":1}}`))
	h.must("DeleteRecord", nil, js(`{"key":"gone"}`))

	// Nothing reached the store yet.
	same(t, "stored before commit", h.stored("default"),
		map[string]weft.Bundle{"old": js(`{"v":1}`), "gone": js(`{"v":9}`)})
	// The run sees its own writes…
	for key, want := range map[string][]weft.Bundle{
		"new":  {js(`{"v":2}`)},
		"old":  {js(`{"v":1,"w":1}`)},
		"gone": {{}},
	} {
		same(t, "run reads "+key, h.must("GetRecord", nil, weft.Bundle{"key": key}), want)
	}
	same(t, "run: exist gone", h.must("ExistRecord", nil, js(`{"key":"gone"}`)), []weft.Bundle{{"exist": false}})
	same(t, "run: exist new", h.must("ExistRecord", nil, js(`{"key":"new"}`)), []weft.Bundle{{"exist": true}})
	same(t, "run: search", h.must("SearchRecord", nil, js(`{}`)), []weft.Bundle{
		js(`{"key":"new","data":{"v":2},"__IMTINDEX__":1,"__IMTLENGTH__":2}`),
		js(`{"key":"old","data":{"v":1,"w":1},"__IMTINDEX__":2,"__IMTLENGTH__":2}`),
	})
	// …another run does not.
	other := h.newRun()
	same(t, "other run reads new", other.must("GetRecord", nil, js(`{"key":"new"}`)), []weft.Bundle{{}})
	same(t, "other run reads old", other.must("GetRecord", nil, js(`{"key":"old"}`)), []weft.Bundle{js(`{"v":1}`)})
	same(t, "other run: exist gone", other.must("ExistRecord", nil, js(`{"key":"gone"}`)), []weft.Bundle{{"exist": true}})

	h.mustCommit()
	same(t, "stored after commit", h.stored("default"),
		map[string]weft.Bundle{"new": js(`{"v":2}`), "old": js(`{"v":1,"w":1}`)})
	same(t, "other run after commit", other.must("GetRecord", nil, js(`{"key":"new"}`)), []weft.Bundle{js(`{"v":2}`)})
}

func TestRollbackLeavesTheStoreUntouched(t *testing.T) {
	h := newHarness(t)
	seed := map[string]weft.Bundle{"a": js(`{"v":1}`)}
	h.seed("default", seed)
	h.must("AddRecord", nil, js(`{"key":"b","overwrite":true,"data":{"v":2}}`))
	h.must("UpdateRecord", nil, js(`{"key":"a","data":{"v":5}}`))
	h.must("AddRecord", weft.Bundle{"datastore": "other"}, js(`{"key":"c","overwrite":true}`))
	h.rollback()
	same(t, "default", h.stored("default"), seed)
	same(t, "other", h.stored("other"), map[string]weft.Bundle{})
	// The write set is gone: a later commit of the same run writes nothing.
	h.mustCommit()
	same(t, "default after a later commit", h.stored("default"), seed)
	same(t, "run reads a after rollback", h.must("GetRecord", nil, js(`{"key":"a"}`)), []weft.Bundle{js(`{"v":1}`)})
}

// The whole write set, across data stores, goes in one transaction: when one write
// fails, none is applied, and the write set is gone.
func TestCommitIsAllOrNothing(t *testing.T) {
	fs := &faultStore{Store: newBackend(t)}
	h := newHarnessOn(t, fs)
	h.must("AddRecord", nil, js(`{"key":"a","overwrite":true,"data":{"v":1}}`))
	h.must("AddRecord", weft.Bundle{"datastore": "s2"}, js(`{"key":"b","overwrite":true,"data":{"v":2}}`))
	h.must("AddRecord", weft.Bundle{"datastore": "s2"}, js(`{"key":"c","overwrite":true,"data":{"v":3}}`))

	fs.failPut = func(storeName, key string) error {
		if key == "c" {
			return fmt.Errorf("write %s/%s: %w", storeName, key, store.ErrFull)
		}
		return nil
	}
	err := h.commit()
	apptest.WantError(t, err, weft.OutOfSpaceError, `write record "c" of data store "s2": storage full`)
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("commit error %v does not wrap store.ErrFull", err)
	}
	same(t, "default", h.stored("default"), map[string]weft.Bundle{})
	same(t, "s2", h.stored("s2"), map[string]weft.Bundle{})

	fs.failPut = nil
	h.mustCommit() // the failed write set is not retried half way
	same(t, "default after", h.stored("default"), map[string]weft.Bundle{})
	if got := fs.txs.Load(); got != 1 {
		t.Fatalf("%d backend transactions; want 1 (the failed one; an empty write set opens none)", got)
	}
}

func TestCommitAppliesEverythingInOneTransaction(t *testing.T) {
	fs := &faultStore{Store: newBackend(t)}
	h := newHarnessOn(t, fs)
	for i := range 50 {
		h.must("AddRecord", weft.Bundle{"datastore": fmt.Sprint("s", i%3)},
			weft.Bundle{"key": fmt.Sprint("k", i), "overwrite": false, "data": weft.Bundle{"i": float64(i)}})
	}
	h.must("GetRecord", nil, js(`{"key":"k0"}`))
	h.mustCommit()
	h.mustCommit() // nothing left: no transaction
	if got := fs.txs.Load(); got != 1 {
		t.Fatalf("%d backend transactions; want 1", got)
	}
	total := 0
	for i := range 3 {
		total += len(h.stored(fmt.Sprint("s", i)))
	}
	if total != 50 {
		t.Fatalf("%d records stored; want 50", total)
	}
}

func TestReadsOnlyCommitOpensNoTransaction(t *testing.T) {
	fs := &faultStore{Store: newBackend(t)}
	h := newHarnessOn(t, fs)
	h.must("ExistRecord", nil, js(`{"key":"a"}`))
	h.must("GetRecord", nil, js(`{"key":"a"}`))
	h.must("SearchRecord", weft.Bundle{"continueWhenNoRes": true}, js(`{}`))
	h.mustCommit()
	if got := fs.txs.Load(); got != 0 {
		t.Fatalf("%d backend transactions; want 0", got)
	}
}

// Two runs both check a key, both add it without overwrite: the second commit sees the
// first one's record and fails as a duplicate; none of its writes is applied.
func TestConcurrentAddWithoutOverwrite(t *testing.T) {
	a := newHarness(t)
	b := a.newRun()
	a.must("AddRecord", nil, js(`{"key":"id-1","overwrite":false,"data":{"by":"a"}}`))
	b.must("AddRecord", nil, js(`{"key":"id-1","overwrite":false,"data":{"by":"b"}}`))
	b.must("AddRecord", nil, js(`{"key":"id-2","overwrite":false,"data":{"by":"b"}}`))
	a.mustCommit()
	apptest.WantError(t, b.commit(), weft.DuplicateDataError,
		`data store "default": another run added a record with key "id-1" after this run checked it`)
	same(t, "stored", a.stored("default"), map[string]weft.Bundle{"id-1": js(`{"by":"a"}`)})
}

// An update is replayed at commit time: it merges into what another run committed in
// between instead of writing back a stale copy.
func TestConcurrentUpdatesMerge(t *testing.T) {
	a := newHarness(t)
	a.seed("default", map[string]weft.Bundle{"k": js(`{"ids":["0"],"x":0,"y":0}`)})
	b := a.newRun()
	a.must("UpdateRecord", nil, js(`{"key":"k","data":{"x":1,"ids":["a"]}}`))
	b.must("UpdateRecord", nil, js(`{"key":"k","data":{"y":2,"ids":["b"]}}`))
	a.mustCommit()
	b.mustCommit()
	same(t, "stored", a.stored("default"), map[string]weft.Bundle{"k": js(`{"ids":["0","a","b"],"x":1,"y":2}`)})
}

func TestUpdateOfARecordDeletedByAnotherRun(t *testing.T) {
	a := newHarness(t)
	a.seed("default", map[string]weft.Bundle{"k": js(`{"v":1}`), "j": js(`{"v":1}`)})
	b := a.newRun()
	a.must("UpdateRecord", nil, js(`{"key":"j","data":{"v":2}}`))
	a.must("UpdateRecord", nil, js(`{"key":"k","data":{"v":2}}`))
	b.must("DeleteRecord", nil, js(`{"key":"k"}`))
	b.mustCommit()
	apptest.WantError(t, a.commit(), weft.DataError,
		`another run deleted the record with key "k" before this run's update was committed`)
	same(t, "stored", a.stored("default"), map[string]weft.Bundle{"j": js(`{"v":1}`)})
}

// A later write of the same key in one run wins; add, update, delete in sequence.
func TestPendingWritesReplayInOrder(t *testing.T) {
	h := newHarness(t)
	h.seed("default", map[string]weft.Bundle{"k": js(`{"v":0}`)})
	steps := []struct {
		module, mapper string
		read           []weft.Bundle
	}{
		{"UpdateRecord", `{"key":"k","data":{"a":[1]}}`, []weft.Bundle{js(`{"v":0,"a":[1]}`)}},
		{"DeleteRecord", `{"key":"k"}`, []weft.Bundle{{}}},
		{"UpdateRecord", `{"key":"k","data":{"b":2},"upsert":true}`, []weft.Bundle{js(`{"b":2}`)}},
		{"AddRecord", `{"key":"k","overwrite":true,"data":{"c":3}}`, []weft.Bundle{js(`{"c":3}`)}},
		{"UpdateRecord", `{"key":"k","data":{"c":4,"d":[5]}}`, []weft.Bundle{js(`{"c":4,"d":[5]}`)}},
	}
	for _, s := range steps {
		h.must(s.module, nil, js(s.mapper))
		same(t, "after "+s.module+" "+s.mapper, h.must("GetRecord", nil, js(`{"key":"k"}`)), s.read)
	}
	h.mustCommit()
	same(t, "stored", h.stored("default"), map[string]weft.Bundle{"k": js(`{"c":4,"d":[5]}`)})
}

// The write set keeps its own copy: changing the mapper's data or an output afterwards
// changes nothing stored.
func TestWriteSetOwnsItsData(t *testing.T) {
	h := newHarness(t)
	data := js(`{"list":[1],"sub":{"x":1}}`)
	out := h.must("AddRecord", nil, weft.Bundle{"key": "k", "overwrite": true, "data": data})
	data["list"].([]any)[0] = 99.0
	data["sub"].(map[string]any)["x"] = 99.0
	out[0]["sub"].(map[string]any)["x"] = 98.0
	got := h.must("GetRecord", nil, js(`{"key":"k"}`))
	got[0]["list"].([]any)[0] = 97.0
	h.mustCommit()
	same(t, "stored", h.stored("default"), map[string]weft.Bundle{"k": js(`{"list":[1],"sub":{"x":1}}`)})
}

// faultStore wraps a real store: it counts write transactions and can make PutRecord
// fail inside them (a full disk cannot be produced on demand).
type faultStore struct {
	store.Store
	txs     atomic.Int64
	failPut func(storeName, key string) error
}

func (f *faultStore) InTx(ctx context.Context, fn func(q store.Queries) error) error {
	f.txs.Add(1)
	return f.Store.InTx(ctx, func(q store.Queries) error { return fn(faultQueries{Queries: q, f: f}) })
}

type faultQueries struct {
	store.Queries
	f *faultStore
}

func (q faultQueries) PutRecord(ctx context.Context, storeName, key string, data weft.Bundle, overwrite bool) error {
	if q.f.failPut != nil {
		if err := q.f.failPut(storeName, key); err != nil {
			return err
		}
	}
	return q.Queries.PutRecord(ctx, storeName, key, data, overwrite)
}
