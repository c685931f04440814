package service

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Connections hold an app's credentials (Make's connections and keychains). Their data
// is encrypted with Config.Secrets, bound to the connection's id, and never leaves the
// service except decrypted for a module (ResolveConnection). docs/connections.md.

// ErrNoSecrets is returned when connections are used without Config.Secrets.
var ErrNoSecrets = errors.New("no secret keys are configured (service.Config.Secrets)")

// ConnectionInUseError refuses to delete a connection that incomplete executions
// waiting for a retry or a person still reference: deleting it would make each of
// them fail again with an InvalidConfigurationError.
type ConnectionInUseError struct {
	ID         int64
	Incomplete []string // their ids, oldest first
}

func (e *ConnectionInUseError) Error() string {
	ids := e.Incomplete
	more := ""
	if len(ids) > 5 {
		ids, more = ids[:5], fmt.Sprintf(" and %d more", len(e.Incomplete)-5)
	}
	return fmt.Sprintf("connection %d is used by %d incomplete execution(s) not yet resolved (%s%s); resolve or delete them, or force the deletion",
		e.ID, len(e.Incomplete), strings.Join(ids, ", "), more)
}

func (s *Service) keyring() (*secrets.Keyring, error) {
	if s.cfg.Secrets == nil {
		return nil, ErrNoSecrets
	}
	return s.cfg.Secrets, nil
}

// CheckConnection validates a connection's name and type (commands check before they
// create a key file).
func CheckConnection(name, typ string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("a connection needs a name")
	case len(name) > 200:
		return fmt.Errorf("connection name of %d characters: at most 200", len(name))
	case strings.TrimSpace(typ) == "":
		return errors.New("a connection needs a type (for example apikey or basic)")
	case len(typ) > 100:
		return fmt.Errorf("connection type of %d characters: at most 100", len(typ))
	}
	return nil
}

// sealConnection encrypts data for connection c (its id must be set).
func sealConnection(kr *secrets.Keyring, c *weft.Connection, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	plain, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("connection data: %w", err)
	}
	c.Data, c.KeyID, err = kr.Encrypt(plain, secrets.ConnectionAAD(c.ID))
	return err
}

// CreateConnection stores a connection with its credentials encrypted. The id comes
// from the store; the ciphertext is bound to it, so it is written in the same
// transaction right after the row is created.
func (s *Service) CreateConnection(ctx context.Context, name, typ string, data map[string]any) (*weft.Connection, error) {
	kr, err := s.keyring()
	if err != nil {
		return nil, fmt.Errorf("create connection: %w", err)
	}
	name, typ = strings.TrimSpace(name), strings.TrimSpace(typ)
	if err := CheckConnection(name, typ); err != nil {
		return nil, fmt.Errorf("create connection: %w", err)
	}
	now := s.now()
	c := &weft.Connection{Name: name, Type: typ, CreatedAt: now, UpdatedAt: now}
	err = s.st.InTx(ctx, func(q store.Queries) error {
		c.ID, c.Data, c.KeyID = 0, nil, ""
		if err := q.CreateConnection(ctx, c); err != nil {
			return err
		}
		if err := sealConnection(kr, c, data); err != nil {
			return err
		}
		return q.UpdateConnection(ctx, c)
	})
	if err != nil {
		return nil, fmt.Errorf("create connection %q: %w", name, err)
	}
	return c, nil
}

// UpdateConnection renames a connection (name non-nil) and/or replaces its credentials
// (data non-nil; encrypted with the current key).
func (s *Service) UpdateConnection(ctx context.Context, id int64, name *string, data map[string]any) (*weft.Connection, error) {
	kr, err := s.keyring()
	if err != nil {
		return nil, fmt.Errorf("update connection %d: %w", id, err)
	}
	var c *weft.Connection
	err = s.st.InTx(ctx, func(q store.Queries) error {
		var err error
		if c, err = q.GetConnection(ctx, id); err != nil {
			return err
		}
		if name != nil {
			c.Name = strings.TrimSpace(*name)
		}
		if err := CheckConnection(c.Name, c.Type); err != nil {
			return err
		}
		if data != nil {
			if err := sealConnection(kr, c, data); err != nil {
				return err
			}
		}
		c.UpdatedAt = s.now()
		return q.UpdateConnection(ctx, c)
	})
	if err != nil {
		return nil, fmt.Errorf("update connection %d: %w", id, err)
	}
	return c, nil
}

// Connections lists the connections, without their (encrypted) data.
func (s *Service) Connections(ctx context.Context) ([]*weft.Connection, error) {
	cs, err := s.st.ListConnections(ctx)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	for _, c := range cs {
		c.Data = nil
	}
	return cs, nil
}

// DeleteConnection deletes a connection. Unless force is set it is refused with a
// *ConnectionInUseError while incomplete executions that are unresolved, pending or
// in progress have a blueprint naming it. (A run starting meanwhile may still read
// it; one that reads it after the deletion fails with an InvalidConfigurationError
// and is kept as an incomplete execution, so nothing is lost.)
func (s *Service) DeleteConnection(ctx context.Context, id int64, force bool) error {
	if _, err := s.st.GetConnection(ctx, id); err != nil {
		return opErr(fmt.Sprintf("delete connection %d", id), fmt.Sprintf("connection %d", id), err)
	}
	if !force {
		users, err := s.incompleteUsing(ctx, id)
		if err != nil {
			return opErr(fmt.Sprintf("delete connection %d", id), fmt.Sprintf("connection %d", id), err)
		}
		if len(users) > 0 {
			return &ConnectionInUseError{ID: id, Incomplete: users}
		}
	}
	if err := s.st.DeleteConnection(ctx, id); err != nil {
		return opErr(fmt.Sprintf("delete connection %d", id), fmt.Sprintf("connection %d", id), err)
	}
	return nil
}

// incompleteUsing lists the open incomplete executions whose blueprint references
// connection id.
func (s *Service) incompleteUsing(ctx context.Context, id int64) ([]string, error) {
	return s.incompleteNaming(ctx, id, store.IncompleteFilter{Status: []weft.IncompleteStatus{weft.IncompleteUnresolved,
		weft.IncompletePending, weft.IncompleteInProgress}, Limit: 500})
}

// incompleteNaming lists the incomplete executions f selects whose blueprint
// references connection id. Each one's own blueprint is read (a person may have edited
// it); identical blueprints are scanned once.
func (s *Service) incompleteNaming(ctx context.Context, id int64, f store.IncompleteFilter) ([]string, error) {
	scanned := map[[32]byte]bool{}
	var users []string
	for {
		page, err := s.st.ListIncomplete(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, ie := range page {
			full, err := s.st.GetIncomplete(ctx, ie.ID)
			if errors.Is(err, store.ErrNotFound) {
				continue // resolved and purged meanwhile
			}
			if err != nil {
				return nil, err
			}
			key := sha256.Sum256(full.Blueprint)
			uses, ok := scanned[key]
			if !ok {
				refs, err := ConnectionRefs(full.Blueprint)
				if err != nil {
					return nil, fmt.Errorf("incomplete execution %s: %w", ie.ID, err)
				}
				uses = refs[id]
				scanned[key] = uses
			}
			if uses {
				users = append(users, ie.ID)
			}
		}
		if len(page) < f.Limit {
			return users, nil
		}
		f.After = page[len(page)-1].ID
	}
}

// ConnectionRefs returns the connection ids a blueprint's modules name in their
// parameters: Make's __IMTCONN__, auth, account, and every *Keychain parameter
// (apiKeyKeychain, basicAuthKeychain, proxyKeychain…), as a number or a numeric
// string. Other values there (Make's restore metadata, "" for none) are not ids.
func ConnectionRefs(blueprint []byte) (map[int64]bool, error) {
	v, err := value.DecodeJSON(blueprint)
	if err != nil {
		return nil, fmt.Errorf("blueprint: %w", err)
	}
	refs := map[int64]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if params, ok := v["parameters"].(map[string]any); ok {
				for k, p := range params {
					if isConnectionParam(k) {
						if id, ok := connectionID(p); ok {
							refs[id] = true
						}
					}
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return refs, nil
}

func isConnectionParam(k string) bool {
	switch k {
	case "__IMTCONN__", "__IMTKEY__", "auth", "account":
		return true
	}
	return strings.HasSuffix(k, "Keychain")
}

// connectionID reads a connection reference: an integer, or a string of one.
func connectionID(ref any) (int64, bool) {
	switch r := ref.(type) {
	case int64:
		return r, r > 0
	case int:
		return int64(r), r > 0
	case float64:
		if r > 0 && r == math.Trunc(r) && r < 1<<53 {
			return int64(r), true
		}
	case json.Number:
		return connectionID(string(r))
	case string:
		if id, err := strconv.ParseInt(strings.TrimSpace(r), 10, 64); err == nil && id > 0 {
			return id, true
		}
	}
	return 0, false
}

// ResolveConnection returns a connection's decrypted credentials for a module (it is
// engine.Options.Connections when Config.Secrets is set). A reference that names no
// stored connection, or credentials the keyring cannot open, are an
// InvalidConfigurationError: a person must fix them, retrying cannot.
func (s *Service) ResolveConnection(ref any) (weft.Bundle, error) {
	id, ok := connectionID(ref)
	if !ok {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "connection reference %s is not a connection id", value.JSON(ref))
	}
	kr, err := s.keyring()
	if err != nil {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %d: %v", id, err)
	}
	// The engine's Connection has no context; a store read is short, and bounded here.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := s.st.GetConnection(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %d does not exist", id)
	}
	if err != nil {
		return nil, &weft.Error{Type: weft.RuntimeError, Message: fmt.Sprintf("connection %d: %v", id, err), Err: err}
	}
	data, err := openConnection(kr, c)
	if err != nil {
		return nil, err
	}
	// An OAuth connection of a provider gets the operator's registered client.
	return s.withOAuthClient(ctx, kr, data)
}

func openConnection(kr *secrets.Keyring, c *weft.Connection) (weft.Bundle, error) {
	plain, err := kr.Decrypt(c.Data, c.KeyID, secrets.ConnectionAAD(c.ID))
	if err != nil {
		return nil, &weft.Error{Type: weft.InvalidConfigurationError, Err: err,
			Message: fmt.Sprintf("connection %d (%s) cannot be decrypted: %v", c.ID, c.Name, err)}
	}
	v, err := value.DecodeJSON(plain)
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %d (%s): its data is not a JSON object", c.ID, c.Name)
	}
	return m, nil
}

// RotateConnections re-encrypts with the current key every connection and webhook
// secret encrypted with another one; afterwards the old keys can be removed. Each row
// is rewritten in its own transaction (a row is always consistent with its key id),
// so an interrupted rotation is simply run again. It returns how many it rewrote; a
// row it cannot decrypt is reported and the others are still rotated.
func (s *Service) RotateConnections(ctx context.Context) (int, error) {
	kr, err := s.keyring()
	if err != nil {
		return 0, fmt.Errorf("rotate connections: %w", err)
	}
	cur := kr.Current()
	cs, err := s.st.ListConnections(ctx)
	if err != nil {
		return 0, fmt.Errorf("rotate connections: %w", err)
	}
	n := 0
	var errs []error
	for _, c := range cs {
		if c.KeyID == cur {
			continue
		}
		rotated := false
		err := s.st.InTx(ctx, func(q store.Queries) error {
			rotated = false
			c, err := q.GetConnection(ctx, c.ID)
			if err != nil || c.KeyID == cur {
				return err
			}
			aad := secrets.ConnectionAAD(c.ID)
			plain, err := kr.Decrypt(c.Data, c.KeyID, aad)
			if err != nil {
				return err
			}
			if c.Data, c.KeyID, err = kr.Encrypt(plain, aad); err != nil {
				return err
			}
			rotated = true
			return q.UpdateConnection(ctx, c) // UpdatedAt kept: the credentials did not change
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("connection %d (%s): %w", c.ID, c.Name, err))
		} else if rotated {
			n++
		}
	}
	hooks, err := s.st.ListHooks(ctx)
	if err != nil {
		return n, errors.Join(append(errs, fmt.Errorf("rotate webhook secrets: %w", err))...)
	}
	for _, h := range hooks {
		if len(h.Secret) == 0 || h.SecretKeyID == cur {
			continue
		}
		rotated := false
		err := s.st.InTx(ctx, func(q store.Queries) error {
			rotated = false
			h, err := q.GetHook(ctx, h.Token)
			if err != nil || len(h.Secret) == 0 || h.SecretKeyID == cur {
				return err
			}
			aad := secrets.HookAAD(h.ScenarioID)
			plain, err := kr.Decrypt(h.Secret, h.SecretKeyID, aad)
			if err != nil {
				return err
			}
			if h.Secret, h.SecretKeyID, err = kr.Encrypt(plain, aad); err != nil {
				return err
			}
			rotated = true
			return q.UpdateHook(ctx, h)
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook secret of scenario %d: %w", h.ScenarioID, err))
		} else if rotated {
			n++
		}
	}
	clients, err := s.st.ListOAuthClients(ctx)
	if err != nil {
		return n, errors.Join(append(errs, fmt.Errorf("rotate OAuth client secrets: %w", err))...)
	}
	for _, c := range clients {
		if len(c.Secret) == 0 || c.KeyID == cur {
			continue
		}
		aad := secrets.OAuthClientAAD(c.Provider)
		plain, err := kr.Decrypt(c.Secret, c.KeyID, aad)
		if err == nil {
			c.Secret, c.KeyID, err = kr.Encrypt(plain, aad)
		}
		if err == nil {
			err = s.st.PutOAuthClient(ctx, c) // UpdatedAt kept, as for connections
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("OAuth client secret of %s: %w", c.Provider, err))
		} else {
			n++
		}
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("rotate connections: %d not re-encrypted: %w", len(errs), errors.Join(errs...))
	}
	return n, nil
}

// SetHookSecret sets (or, with an empty secret, removes) the HMAC key callers sign a
// scenario's webhook payloads with, encrypted like connections.
func (s *Service) SetHookSecret(ctx context.Context, scenarioID int64, secret []byte) (*weft.Hook, error) {
	kr, err := s.keyring()
	if err != nil && len(secret) > 0 {
		return nil, fmt.Errorf("webhook secret of scenario %d: %w", scenarioID, err)
	}
	var h *weft.Hook
	err = s.st.InTx(ctx, func(q store.Queries) error {
		var err error
		if h, err = q.HookOfScenario(ctx, scenarioID); err != nil {
			return err
		}
		h.Secret, h.SecretKeyID = nil, ""
		if len(secret) > 0 {
			if h.Secret, h.SecretKeyID, err = kr.Encrypt(secret, secrets.HookAAD(scenarioID)); err != nil {
				return err
			}
		}
		return q.UpdateHook(ctx, h)
	})
	if err != nil {
		return nil, fmt.Errorf("webhook secret of scenario %d: %w", scenarioID, err)
	}
	return h, nil
}

// HookSecret returns the decrypted signing secret of the hook with that token, or nil
// when it has none (server.Config.HookSecret).
func (s *Service) HookSecret(ctx context.Context, token string) ([]byte, error) {
	h, err := s.st.GetHook(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	if len(h.Secret) == 0 {
		return nil, nil
	}
	kr, err := s.keyring()
	if err != nil {
		return nil, fmt.Errorf("webhook secret of scenario %d: %w", h.ScenarioID, err)
	}
	plain, err := kr.Decrypt(h.Secret, h.SecretKeyID, secrets.HookAAD(h.ScenarioID))
	if err != nil {
		return nil, fmt.Errorf("webhook secret of scenario %d: %w", h.ScenarioID, err)
	}
	return plain, nil
}

// saveConnection stores credentials a module renewed during a run (an OAuth server's
// rotated refresh token), encrypted like any update. The provider's client the module
// was given (withOAuthClient) is not stored in the connection; and when a person
// reconnected the connection since the module read it (another connectedAt), the
// person's tokens win and nothing is written.
func (s *Service) saveConnection(ctx context.Context, ref any, data weft.Bundle) error {
	id, ok := connectionID(ref)
	if !ok {
		return fmt.Errorf("connection %v: not a stored connection id", ref)
	}
	kr, err := s.keyring()
	if err != nil {
		return err
	}
	return s.st.InTx(ctx, func(q store.Queries) error {
		c, err := q.GetConnection(ctx, id)
		if err != nil {
			return err
		}
		stored, err := openConnection(kr, c)
		if err != nil {
			return err
		}
		if value.Text(stored["connectedAt"]) != value.Text(data["connectedAt"]) {
			return nil
		}
		out := maps.Clone(data)
		withoutClient(out, stored)
		if err := sealConnection(kr, c, out); err != nil {
			return err
		}
		c.UpdatedAt = s.now()
		return q.UpdateConnection(ctx, c)
	})
}
