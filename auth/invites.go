package auth

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/weftworks/weft/store"
)

// InviteTTL is how long an invite link works unless used.
const InviteTTL = 7 * 24 * time.Hour

// Errors AcceptInvite returns (test with errors.Is).
var (
	// ErrInviteInvalid: no such invite: never made, used already, or revoked.
	ErrInviteInvalid = errors.New("this invite link is not valid (used already, revoked, or mistyped)")
	// ErrInviteExpired: the invite's time ran out.
	ErrInviteExpired = errors.New("this invite link has expired: ask for a new one")
)

// CheckInviteRole reports a role an invite may not give: any but owner (there is one
// owner, the account created first).
func CheckInviteRole(role string) error {
	switch role {
	case RoleAdmin, RoleEditor, RoleViewer:
		return nil
	}
	return fmt.Errorf("role: an invite gives admin, editor or viewer, not %q", role)
}

// CreateInvite stores a one-time invite to create an account with role, made by the
// account by (its email is recorded), optionally for one email only. It returns the
// invite and its code, shown once (only the code's SHA-256 is stored).
func (a *Auth) CreateInvite(ctx context.Context, st store.UserQueries, by, email, role string) (string, *store.Invite, error) {
	if err := CheckInviteRole(role); err != nil {
		return "", nil, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	secret := make([]byte, 32)
	id := make([]byte, 8)
	if _, err := io.ReadFull(a.random, secret); err != nil {
		return "", nil, fmt.Errorf("create invite: random bytes: %w", err)
	}
	if _, err := io.ReadFull(a.random, id); err != nil {
		return "", nil, fmt.Errorf("create invite: random bytes: %w", err)
	}
	code := encoding.EncodeToString(secret)
	now := a.now().UTC()
	in := &store.Invite{ID: hex.EncodeToString(id), Hash: Hash(code), Email: email, Role: role, CreatedBy: by,
		CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}
	if err := st.CreateInvite(ctx, in); err != nil {
		return "", nil, fmt.Errorf("create invite: %w", err)
	}
	return code, in, nil
}

// Invite returns the live invite of code (ErrInviteInvalid, ErrInviteExpired).
func (a *Auth) Invite(ctx context.Context, st store.UserQueries, code string) (*store.Invite, error) {
	if code == "" {
		return nil, ErrInviteInvalid
	}
	in, err := st.InviteByHash(ctx, Hash(code))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInviteInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("read invite: %w", err)
	}
	if !a.now().Before(in.ExpiresAt) {
		return nil, ErrInviteExpired
	}
	return in, nil
}

// AcceptInvite creates the account an invite offers and uses the invite up, in one
// transaction: two people racing with one link make one account.
func (a *Auth) AcceptInvite(ctx context.Context, st store.Store, code, email, name, password string) (*store.User, error) {
	in, err := a.Invite(ctx, st, code)
	if err != nil {
		return nil, err
	}
	if in.Email != "" && !strings.EqualFold(strings.TrimSpace(email), in.Email) {
		return nil, fmt.Errorf("email: this invite is for %s", in.Email)
	}
	u, err := a.NewUser(email, name, in.Role, password)
	if err != nil {
		return nil, err
	}
	err = st.InTx(ctx, func(q store.Queries) error {
		if err := q.DeleteInvite(ctx, in.ID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrInviteInvalid
			}
			return err
		}
		return q.CreateUser(ctx, u)
	})
	if errors.Is(err, store.ErrExists) {
		return nil, fmt.Errorf("email: an account with %s exists already", u.Email)
	}
	if errors.Is(err, ErrInviteInvalid) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("accept invite: %w", err)
	}
	return u, nil
}
