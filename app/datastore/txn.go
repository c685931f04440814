package datastore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/store"
)

// opKind is what a pending write does.
type opKind int

const (
	opAdd    opKind = iota // AddRecord
	opUpdate               // UpdateRecord
	opDelete               // DeleteRecord
)

// op is one pending write. The write set keeps operations, not resulting records: the
// commit replays them against the records as they are inside the backend transaction,
// so an update merges into what another run committed meanwhile instead of overwriting
// it with a stale copy, and an add without overwrite is checked once more.
type op struct {
	kind            opKind
	data            weft.Bundle // add: the record; update: the fields to merge (owned)
	overwrite       bool        // add
	upsert          bool        // update
	overwriteArrays bool        // update
}

// absolute reports whether the op's result does not depend on the record before it.
func (o *op) absolute() bool {
	return o.kind == opDelete || (o.kind == opAdd && o.overwrite)
}

// Replay failures: the record changed under a pending write (strict replay only).
var (
	errDuplicate = errors.New("a record with this key already exists")
	errMissing   = errors.New("no record with this key")
)

// apply computes the record after o. Strict replay (the commit) fails where the run's
// own check passed but the committed data changed since; a lenient replay (a read
// inside the run) shows what the run's writes intend.
func (o *op) apply(rec weft.Bundle, exists, strict bool) (weft.Bundle, bool, error) {
	switch o.kind {
	case opAdd:
		if exists && !o.overwrite && strict {
			return nil, false, errDuplicate
		}
		return clone(o.data), true, nil
	case opUpdate:
		if !exists {
			if !o.upsert && strict {
				return nil, false, errMissing
			}
			rec = weft.Bundle{}
		}
		return merge(rec, o.data, o.overwriteArrays), true, nil
	}
	return nil, false, nil
}

// writeSet is one data store's pending writes, by key in first-write order.
type writeSet struct {
	ops  map[string][]op
	keys []string
}

// txn is a run's write set over every data store of one registration.
type txn struct {
	mu     sync.Mutex
	stores map[string]*writeSet
	order  []string // store names in first-write order
}

// txn returns the run's write set, creating it on first use.
func (d *registration) txn(exec app.Execution) *txn {
	return exec.State(d, func() any { return &txn{} }).(*txn)
}

// add appends a pending write.
func (t *txn) add(storeName, key string, o op) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stores == nil {
		t.stores = map[string]*writeSet{}
	}
	ws := t.stores[storeName]
	if ws == nil {
		ws = &writeSet{ops: map[string][]op{}}
		t.stores[storeName] = ws
		t.order = append(t.order, storeName)
	}
	if _, ok := ws.ops[key]; !ok {
		ws.keys = append(ws.keys, key)
	}
	ws.ops[key] = append(ws.ops[key], o)
}

// pending returns a copy of the pending writes of one record.
func (t *txn) pending(storeName, key string) []op {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ws := t.stores[storeName]; ws != nil {
		return slices.Clone(ws.ops[key])
	}
	return nil
}

// pendingStore returns a copy of one data store's pending writes by key.
func (t *txn) pendingStore(storeName string) map[string][]op {
	t.mu.Lock()
	defer t.mu.Unlock()
	ws := t.stores[storeName]
	if ws == nil {
		return nil
	}
	out := make(map[string][]op, len(ws.ops))
	for k, ops := range ws.ops {
		out[k] = slices.Clone(ops)
	}
	return out
}

// take removes and returns the whole write set (commit and rollback both end it).
func (t *txn) take() (map[string]*writeSet, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	stores, order := t.stores, t.order
	t.stores, t.order = nil, nil
	return stores, order
}

// replayStart is where replaying ops may begin: after the last op whose result does not
// depend on the record before it, the earlier ops and the stored record do not matter.
// needBase is false when such an op exists.
func replayStart(ops []op) (start int, needBase bool) {
	for i := len(ops) - 1; i >= 0; i-- {
		if ops[i].absolute() {
			return i, false
		}
	}
	return 0, true
}

// view reads one record as this run sees it: the committed record with the run's
// pending writes applied. exists is false when there is no such record.
func (d *registration) view(ctx context.Context, exec app.Execution, storeName, key string) (weft.Bundle, bool, error) {
	ops := d.txn(exec).pending(storeName, key)
	start, needBase := replayStart(ops)
	var rec weft.Bundle
	exists := false
	if needBase {
		var err error
		if rec, exists, err = committed(ctx, d.backend, storeName, key); err != nil {
			return nil, false, err
		}
	}
	for i := start; i < len(ops); i++ {
		rec, exists, _ = ops[i].apply(rec, exists, false)
	}
	return rec, exists, nil
}

// committed reads a stored record; a missing one is exists == false, not an error.
func committed(ctx context.Context, q store.DataStoreQueries, storeName, key string) (weft.Bundle, bool, error) {
	rec, err := q.GetRecord(ctx, storeName, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, backendError(err, "read record %q of data store %q", key, storeName)
	}
	if rec == nil {
		rec = weft.Bundle{}
	}
	return rec, true, nil
}

// commit applies the run's write set in one backend transaction. The write set ends
// here whatever the outcome: a failed commit's writes are void (the engine stops the
// run with an InconsistencyError) and must not reach a later commit half applied.
func (d *registration) commit(ctx context.Context, exec app.Execution) error {
	stores, order := d.txn(exec).take()
	if len(order) == 0 {
		return nil // reads only: nothing to write, no transaction to open
	}
	err := d.backend.InTx(ctx, func(q store.Queries) error {
		for _, name := range order {
			ws := stores[name]
			for _, key := range ws.keys {
				if err := commitRecord(ctx, q, name, key, ws.ops[key]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	var we *weft.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &we):
		return fmt.Errorf("commit data store writes: %w", err)
	}
	return backendError(err, "commit data store writes") // the transaction's own COMMIT
}

// commitRecord replays one record's pending writes strictly and stores the result.
func commitRecord(ctx context.Context, q store.Queries, storeName, key string, ops []op) error {
	start, needBase := replayStart(ops)
	var rec weft.Bundle
	exists, existed := false, !needBase // without a base read, a delete must be tried
	if needBase {
		var err error
		if rec, exists, err = committed(ctx, q, storeName, key); err != nil {
			return err
		}
		existed = exists
	}
	for i := start; i < len(ops); i++ {
		var err error
		if rec, exists, err = ops[i].apply(rec, exists, true); err != nil {
			return replayError(err, storeName, key)
		}
	}
	switch {
	case exists:
		if err := q.PutRecord(ctx, storeName, key, rec, true); err != nil {
			return backendError(err, "write record %q of data store %q", key, storeName)
		}
	case existed:
		if err := q.DeleteRecord(ctx, storeName, key); err != nil && !errors.Is(err, store.ErrNotFound) {
			return backendError(err, "delete record %q of data store %q", key, storeName)
		}
	}
	return nil
}

// replayError explains a write that no longer applies at commit time.
func replayError(err error, storeName, key string) error {
	if errors.Is(err, errDuplicate) {
		return &weft.Error{Type: weft.DuplicateDataError, Err: err, Message: fmt.Sprintf(
			"data store %q: another run added a record with key %q after this run checked it", storeName, key)}
	}
	return &weft.Error{Type: weft.DataError, Err: err, Message: fmt.Sprintf(
		"data store %q: another run deleted the record with key %q before this run's update was committed", storeName, key)}
}

// backendError translates a storage failure at the edge: a full disk is an
// OutOfSpaceError (retried automatically), anything else a RuntimeError.
func backendError(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if errors.Is(err, store.ErrFull) {
		return &weft.Error{Type: weft.OutOfSpaceError, Err: err, Message: msg + ": storage full"}
	}
	return &weft.Error{Type: weft.RuntimeError, Err: err, Message: fmt.Sprintf("%s: %v", msg, err)}
}
