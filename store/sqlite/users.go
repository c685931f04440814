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

func (q *queries) SetUserRole(ctx context.Context, id, role string) error {
	if role == "" {
		return fmt.Errorf("set role of user %s: no role", id)
	}
	res, err := q.db.ExecContext(ctx, `UPDATE account SET role = ? WHERE id = ?`, role, id)
	if err != nil {
		return wrap(err, "set role of user %s", id)
	}
	return mustAffect(res, "set role of user "+id)
}

func (q *queries) DeleteUser(ctx context.Context, id string) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM account WHERE id = ?`, id)
	if err != nil {
		return wrap(err, "delete user %s", id)
	}
	return mustAffect(res, "delete user "+id)
}

const inviteColumns = `id, hash, email, role, created_by, created_at, expires_at`

func scanInvite(row interface{ Scan(...any) error }) (*store.Invite, error) {
	var in store.Invite
	var created, expires int64
	if err := row.Scan(&in.ID, &in.Hash, &in.Email, &in.Role, &in.CreatedBy, &created, &expires); err != nil {
		return nil, err
	}
	in.CreatedAt, in.ExpiresAt = fromDB(created), fromDB(expires)
	return &in, nil
}

func checkInvite(in *store.Invite) error {
	switch {
	case in == nil:
		return errors.New("create invite: nil invite")
	case in.ID == "":
		return errors.New("create invite: no id")
	case len(in.Hash) == 0:
		return fmt.Errorf("create invite %s: no hash", in.ID)
	case in.Role == "":
		return fmt.Errorf("create invite %s: no role", in.ID)
	}
	return nil
}

func (q *queries) CreateInvite(ctx context.Context, in *store.Invite) error {
	if err := checkInvite(in); err != nil {
		return err
	}
	_, err := q.db.ExecContext(ctx, `INSERT INTO invite (`+inviteColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		in.ID, in.Hash, strings.ToLower(strings.TrimSpace(in.Email)), in.Role, in.CreatedBy, toDB(in.CreatedAt), toDB(in.ExpiresAt))
	return wrap(err, "create invite %s", in.ID)
}

func (q *queries) InviteByHash(ctx context.Context, hash []byte) (*store.Invite, error) {
	if len(hash) == 0 {
		return nil, notFound("invite with an empty hash")
	}
	in, err := scanInvite(q.db.QueryRowContext(ctx, `SELECT `+inviteColumns+` FROM invite WHERE hash = ?`, hash))
	if isNoRows(err) {
		return nil, notFound("invite")
	}
	return in, wrap(err, "invite by hash")
}

func (q *queries) ListInvites(ctx context.Context) ([]*store.Invite, error) {
	var out []*store.Invite
	err := q.each(ctx, func(rows *sql.Rows) error {
		in, err := scanInvite(rows)
		if err != nil {
			return err
		}
		out = append(out, in)
		return nil
	}, `SELECT `+inviteColumns+` FROM invite ORDER BY created_at, id`)
	return out, wrap(err, "list invites")
}

func (q *queries) DeleteInvite(ctx context.Context, id string) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM invite WHERE id = ?`, id)
	if err != nil {
		return wrap(err, "delete invite %s", id)
	}
	return mustAffect(res, "delete invite "+id)
}

func (s *Store) SetUserRole(ctx context.Context, id, role string) error {
	return s.write(ctx, func(q *queries) error { return q.SetUserRole(ctx, id, role) })
}

func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteUser(ctx, id) })
}

func (s *Store) CreateInvite(ctx context.Context, in *store.Invite) error {
	return s.write(ctx, func(q *queries) error { return q.CreateInvite(ctx, in) })
}

func (s *Store) InviteByHash(ctx context.Context, hash []byte) (*store.Invite, error) {
	return readValue(s, ctx, func(q *queries) (*store.Invite, error) { return q.InviteByHash(ctx, hash) })
}

func (s *Store) ListInvites(ctx context.Context) ([]*store.Invite, error) {
	return readValue(s, ctx, func(q *queries) ([]*store.Invite, error) { return q.ListInvites(ctx) })
}

func (s *Store) DeleteInvite(ctx context.Context, id string) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteInvite(ctx, id) })
}
