package postgres

import (
	"context"
	"errors"
	"strconv"
)

// Ids by their beginning (store.IDPrefixes): a range scan on the id's unique index,
// [prefix, the prefix with its last byte raised) — the ids are COLLATE "C", so the
// range is byte order, as in SQLite — and a prefix matching nothing costs one index
// probe however many rows there are.

func (s *Store) IncompleteIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	return readValue(s, ctx, func(q *queries) ([]string, error) {
		return q.idsWithPrefix(ctx, "incomplete", prefix, limit)
	})
}

func (s *Store) ExecutionIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	return readValue(s, ctx, func(q *queries) ([]string, error) {
		return q.idsWithPrefix(ctx, "execution", prefix, limit)
	})
}

// idsWithPrefix reads table's ids starting with prefix (table is one of two constants).
func (q *queries) idsWithPrefix(ctx context.Context, table, prefix string, limit int) ([]string, error) {
	what := table + " ids by prefix"
	if prefix == "" {
		return nil, errors.New(what + ": the prefix is empty")
	}
	if limit < 1 {
		return nil, errors.New(what + ": the limit must be at least 1")
	}
	query := `SELECT id FROM ` + table + ` WHERE id >= $1 AND left(id, length($1)) = $1`
	args := []any{prefix}
	if end, ok := prefixEnd(prefix); ok {
		query += ` AND id < $2`
		args = append(args, end)
	}
	query += ` ORDER BY id LIMIT ` + strconv.Itoa(limit)
	rows, err := q.db.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap(err, "%s", what)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(err, "%s", what)
		}
		ids = append(ids, id)
	}
	return ids, wrap(rows.Err(), "%s", what)
}

// prefixEnd is the least string greater than every string starting with prefix: its
// last byte below 0xff raised by one (false when every byte is 0xff). A raised byte
// that is not valid UTF-8 is not sent: Postgres text refuses it, and then the range
// is left open at the top (left() still filters).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0x7f {
			b[i]++
			return string(b[:i+1]), true
		}
		if b[i] < 0x80 {
			return "", false
		}
	}
	return "", false
}
