package datastore_test

// TEMPORARY in-memory backend while store/sqlite is being written; removed once it builds.

import (
	"context"
	"maps"
	"sort"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

type memStore struct {
	store.Queries
	mu   sync.Mutex
	recs map[string]map[string][]byte
	txmu sync.Mutex
}

type memQ struct {
	store.Queries
	s *memStore
}

func newMem(t *testing.T) store.Store { return &memStore{recs: map[string]map[string][]byte{}} }

func (s *memStore) Close() error { return nil }
func (s *memStore) InTx(ctx context.Context, fn func(q store.Queries) error) error {
	s.txmu.Lock()
	defer s.txmu.Unlock()
	s.mu.Lock()
	snap := map[string]map[string][]byte{}
	for k, v := range s.recs {
		snap[k] = maps.Clone(v)
	}
	s.mu.Unlock()
	if err := fn(memQ{s: s}); err != nil {
		s.mu.Lock()
		s.recs = snap
		s.mu.Unlock()
		return err
	}
	return nil
}
func (s *memStore) GetRecord(ctx context.Context, st, key string) (weft.Bundle, error) {
	return memQ{s: s}.GetRecord(ctx, st, key)
}
func (s *memStore) PutRecord(ctx context.Context, st, key string, data weft.Bundle, ow bool) error {
	return s.InTx(ctx, func(q store.Queries) error { return q.PutRecord(ctx, st, key, data, ow) })
}
func (s *memStore) DeleteRecord(ctx context.Context, st, key string) error {
	return s.InTx(ctx, func(q store.Queries) error { return q.DeleteRecord(ctx, st, key) })
}
func (s *memStore) ListRecords(ctx context.Context, st string, limit int) ([]weft.Record, error) {
	return memQ{s: s}.ListRecords(ctx, st, limit)
}
func (s *memStore) CountRecords(ctx context.Context, st string) (int, error) {
	return memQ{s: s}.CountRecords(ctx, st)
}

func (q memQ) GetRecord(ctx context.Context, st, key string) (weft.Bundle, error) {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	b, ok := q.s.recs[st][key]
	if !ok {
		return nil, store.ErrNotFound
	}
	v, err := value.UnmarshalTagged(b)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}
func (q memQ) PutRecord(ctx context.Context, st, key string, data weft.Bundle, ow bool) error {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	if q.s.recs[st] == nil {
		q.s.recs[st] = map[string][]byte{}
	}
	if _, ok := q.s.recs[st][key]; ok && !ow {
		return store.ErrExists
	}
	b, err := value.MarshalTagged(data)
	if err != nil {
		return err
	}
	q.s.recs[st][key] = b
	return nil
}
func (q memQ) DeleteRecord(ctx context.Context, st, key string) error {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	if _, ok := q.s.recs[st][key]; !ok {
		return store.ErrNotFound
	}
	delete(q.s.recs[st], key)
	return nil
}
func (q memQ) ListRecords(ctx context.Context, st string, limit int) ([]weft.Record, error) {
	q.s.mu.Lock()
	keys := []string{}
	for k := range q.s.recs[st] {
		keys = append(keys, k)
	}
	q.s.mu.Unlock()
	sort.Strings(keys)
	var out []weft.Record
	for _, k := range keys {
		if limit > 0 && len(out) >= limit {
			break
		}
		d, err := q.GetRecord(ctx, st, k)
		if err != nil {
			return nil, err
		}
		out = append(out, weft.Record{Key: k, Data: d})
	}
	return out, nil
}
func (q memQ) CountRecords(ctx context.Context, st string) (int, error) {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	return len(q.s.recs[st]), nil
}
