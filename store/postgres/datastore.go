package postgres

import (
	"context"
	"fmt"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// Data store records hold their bundle as canonical JSON text (value.JSON), not jsonb:
// jsonb would reorder keys and round big integers.

func (q *queries) GetRecord(ctx context.Context, store, key string) (weft.Bundle, error) {
	var data string
	err := q.db.QueryRow(ctx, `SELECT data FROM record WHERE store = $1 AND key = $2`+q.locking(), store, key).Scan(&data)
	if isNoRows(err) {
		return nil, notFound("data store %q record %q", store, key)
	}
	if err != nil {
		return nil, wrap(err, "get data store %q record %q", store, key)
	}
	return decodeRecord(store, key, data)
}

func decodeRecord(store, key, data string) (weft.Bundle, error) {
	v, err := value.DecodeJSON([]byte(data))
	if err != nil {
		return nil, fmt.Errorf("data store %q record %q: %w", store, key, err)
	}
	b, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("data store %q record %q: stored data is not a collection", store, key)
	}
	return b, nil
}

func (q *queries) PutRecord(ctx context.Context, store, key string, data weft.Bundle, overwrite bool) error {
	if key == "" {
		return fmt.Errorf("put data store %q record: empty key", store)
	}
	enc := string(value.JSON(data))
	var err error
	if overwrite {
		_, err = q.db.Exec(ctx, `INSERT INTO record (store, key, data) VALUES ($1, $2, $3)
			ON CONFLICT (store, key) DO UPDATE SET data = excluded.data`, store, key, enc)
	} else {
		// A plain insert: the primary key turns a taken key into store.ErrExists.
		_, err = q.db.Exec(ctx, `INSERT INTO record (store, key, data) VALUES ($1, $2, $3)`, store, key, enc)
	}
	return wrap(err, "put data store %q record %q", store, key)
}

func (q *queries) DeleteRecord(ctx context.Context, store, key string) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM record WHERE store = $1 AND key = $2`, store, key)
	if err != nil {
		return wrap(err, "delete data store %q record %q", store, key)
	}
	return mustAffect(tag, fmt.Sprintf("delete data store %q record %q", store, key))
}

// ListRecords returns up to limit records in key order; limit 0 returns them all.
func (q *queries) ListRecords(ctx context.Context, store string, limit int) ([]weft.Record, error) {
	if limit < 0 {
		return nil, fmt.Errorf("list data store %q: limit %d must not be negative", store, limit)
	}
	var lim *int // NULL: no limit
	if limit > 0 {
		lim = &limit
	}
	var out []weft.Record
	err := q.each(ctx, func(rows pgxRows) error {
		var r weft.Record
		var data string
		if err := rows.Scan(&r.Key, &data); err != nil {
			return err
		}
		b, err := decodeRecord(store, r.Key, data)
		if err != nil {
			return err
		}
		r.Data = b
		out = append(out, r)
		return nil
	}, `SELECT key, data FROM record WHERE store = $1 ORDER BY key LIMIT $2`, store, lim)
	return out, wrap(err, "list data store %q", store)
}

func (q *queries) CountRecords(ctx context.Context, store string) (int, error) {
	var n int
	err := q.db.QueryRow(ctx, `SELECT count(*) FROM record WHERE store = $1`, store).Scan(&n)
	return n, wrap(err, "count data store %q", store)
}
