package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft/store"
)

// Accounts: people who sign in to the web UI (store.UserQueries).

const userColumns = `id, email, name, role, password_hash, created_at`

func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var u store.User
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = fromDB(created)
	return &u, nil
}

func checkUser(u *store.User) error {
	switch {
	case u == nil:
		return errors.New("create user: nil user")
	case u.ID == "":
		return errors.New("create user: no id")
	case strings.TrimSpace(u.Email) == "":
		return fmt.Errorf("create user %s: no email", u.ID)
	case u.Role == "":
		return fmt.Errorf("create user %s: no role", u.ID)
	case u.PasswordHash == "":
		return fmt.Errorf("create user %s: no password hash", u.ID)
	}
	return nil
}

func (q *queries) CreateUser(ctx context.Context, u *store.User) error {
	if err := checkUser(u); err != nil {
		return err
	}
	_, err := q.db.ExecContext(ctx, `INSERT INTO account (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, strings.ToLower(strings.TrimSpace(u.Email)), u.Name, u.Role, u.PasswordHash, toDB(u.CreatedAt))
	return wrap(err, "create user %s (%s)", u.ID, u.Email)
}

func (q *queries) GetUser(ctx context.Context, id string) (*store.User, error) {
	u, err := scanUser(q.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM account WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("user %s", id)
	}
	return u, wrap(err, "get user %s", id)
}

func (q *queries) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := scanUser(q.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM account WHERE email = ?`, email))
	if isNoRows(err) {
		return nil, notFound("user with email %q", email)
	}
	return u, wrap(err, "user by email %q", email)
}

func (q *queries) ListUsers(ctx context.Context) ([]*store.User, error) {
	var out []*store.User
	err := q.each(ctx, func(rows *sql.Rows) error {
		u, err := scanUser(rows)
		if err != nil {
			return err
		}
		out = append(out, u)
		return nil
	}, `SELECT `+userColumns+` FROM account ORDER BY created_at, id`)
	return out, wrap(err, "list users")
}

func (q *queries) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM account`).Scan(&n)
	return n, wrap(err, "count users")
}

// The Store's own user queries (see store_methods.go).

func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	return s.write(ctx, func(q *queries) error { return q.CreateUser(ctx, u) })
}

func (s *Store) GetUser(ctx context.Context, id string) (*store.User, error) {
	return readValue(s, ctx, func(q *queries) (*store.User, error) { return q.GetUser(ctx, id) })
}

func (s *Store) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	return readValue(s, ctx, func(q *queries) (*store.User, error) { return q.UserByEmail(ctx, email) })
}

func (s *Store) ListUsers(ctx context.Context) ([]*store.User, error) {
	return readValue(s, ctx, func(q *queries) ([]*store.User, error) { return q.ListUsers(ctx) })
}

func (s *Store) CountUsers(ctx context.Context) (int, error) {
	return readValue(s, ctx, func(q *queries) (int, error) { return q.CountUsers(ctx) })
}
