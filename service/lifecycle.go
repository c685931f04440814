package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/store"
)

// openStatuses are the incomplete-execution statuses that still wait for something.
var openStatuses = []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteInProgress}

// ScenarioInUseError refuses to delete a scenario that still has incomplete executions
// to resolve: deleting it would delete them, and with them the data of failed runs.
type ScenarioInUseError struct {
	ScenarioID int64
	// Incomplete are the ids of the open incomplete executions (at most 100).
	Incomplete []string
	// Total counts them all.
	Total int
}

func (e *ScenarioInUseError) Error() string {
	return fmt.Sprintf("scenario %d has %d incomplete execution(s) not resolved yet; resolve or delete them first, or force the deletion",
		e.ScenarioID, e.Total)
}

// ExportScenario returns the scenario's current blueprint exactly as it was stored.
func (s *Service) ExportScenario(ctx context.Context, id int64) ([]byte, error) {
	sc, err := s.st.GetScenario(ctx, id)
	if err != nil {
		return nil, scenarioErr(id, err)
	}
	v, err := s.st.GetVersion(ctx, id, sc.Version)
	if err != nil {
		return nil, fmt.Errorf("scenario %d version %d: %w", id, sc.Version, err)
	}
	return v.Blueprint, nil
}

// CloneScenario stores a copy of a scenario's current blueprint as a new, inactive
// scenario named name (default: the original's name with " (copy)"). Only the
// blueprint's name changes; every other byte is kept. The schedule is copied (it takes
// effect when the copy is activated); executions and incomplete executions are not.
func (s *Service) CloneScenario(ctx context.Context, id int64, name string) (*weft.Scenario, error) {
	orig, err := s.st.GetScenario(ctx, id)
	if err != nil {
		return nil, scenarioErr(id, err)
	}
	raw, err := s.ExportScenario(ctx, id)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		name = orig.Name + " (copy)"
	}
	renamed, err := RenameBlueprint(raw, name)
	if err != nil {
		return nil, fmt.Errorf("clone scenario %d: %w", id, err)
	}
	sc, err := s.CreateScenario(ctx, renamed, fmt.Sprintf("clone:%d", id))
	if err != nil {
		return nil, fmt.Errorf("clone scenario %d: %w", id, err)
	}
	if orig.Schedule != (weft.Schedule{}) {
		sc.Schedule, sc.UpdatedAt = orig.Schedule, s.now()
		if err := s.st.UpdateScenario(ctx, sc); err != nil {
			return nil, fmt.Errorf("clone scenario %d: copy the schedule: %w", id, err)
		}
	}
	if _, err := s.EnsureHook(ctx, sc.ID); err != nil {
		return nil, fmt.Errorf("clone scenario %d: %w", id, err)
	}
	return sc, nil
}

// RenameBlueprint returns raw with its top-level "name" replaced (or added), every
// other byte unchanged: an export must stay byte-for-byte what was imported.
func RenameBlueprint(raw []byte, name string) ([]byte, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	if err := e.Encode(name); err != nil {
		return nil, err
	}
	quoted := bytes.TrimSpace(enc.Bytes())
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '{' {
		return nil, errors.New("blueprint is not a JSON object")
	}
	open := dec.InputOffset()
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("blueprint: %w", err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("blueprint: %w", err)
		}
		if k == "name" {
			end := int(dec.InputOffset())
			start := end - len(v)
			out := make([]byte, 0, len(raw)+len(quoted))
			out = append(out, raw[:start]...)
			out = append(out, quoted...)
			return append(out, raw[end:]...), nil
		}
	}
	// No name yet: add one as the first key.
	out := append([]byte{}, raw[:open]...)
	out = append(out, `"name":`...)
	out = append(out, quoted...)
	if rest := bytes.TrimSpace(raw[open:]); !bytes.HasPrefix(rest, []byte("}")) {
		out = append(out, ',')
	}
	return append(out, raw[open:]...), nil
}

// DeleteScenario deletes a scenario with its versions, executions, incomplete
// executions, queued payloads and webhook. While it has incomplete executions that are
// not resolved it is refused with a *ScenarioInUseError, unless force.
func (s *Service) DeleteScenario(ctx context.Context, id int64, force bool) error {
	deleted := false
	defer func() {
		if deleted {
			// An instant app trigger's registration goes with it; a service that
			// cannot be reached leaves the unregistration owed (hooks.go).
			s.deactivateTrigger(context.WithoutCancel(ctx), id)
		}
	}()
	err := s.st.InTx(ctx, func(q store.Queries) error {
		if _, err := q.GetScenario(ctx, id); err != nil {
			return err
		}
		if !force {
			f := store.IncompleteFilter{ScenarioID: id, Status: openStatuses}
			n, err := q.CountIncomplete(ctx, f)
			if err != nil {
				return err
			}
			if n > 0 {
				f.Limit = 100
				ies, err := q.ListIncomplete(ctx, f)
				if err != nil {
					return err
				}
				ids := make([]string, len(ies))
				for i, ie := range ies {
					ids[i] = ie.ID
				}
				return &ScenarioInUseError{ScenarioID: id, Incomplete: ids, Total: n}
			}
		}
		return q.DeleteScenario(ctx, id)
	})
	if err != nil {
		return opErr(fmt.Sprintf("delete scenario %d", id), fmt.Sprintf("scenario %d", id), err)
	}
	deleted = true
	return nil
}

// TriggerType is the module type of a blueprint's first module ("" when it has none).
func TriggerType(raw []byte) (string, error) {
	bp, err := blueprint.Parse(raw)
	if err != nil {
		return "", err
	}
	if len(bp.Flow) == 0 {
		return "", nil
	}
	return bp.Flow[0].Type, nil
}

// WebhookTrigger is the trigger that gets a webhook address.
const WebhookTrigger = "gateway:CustomWebHook"

// MailhookTrigger is the trigger that gets a mail address: its hook token as the local
// part, at the domain `weft serve --mailhook-addr` receives for.
const MailhookTrigger = "gateway:CustomMailHook"

var hookEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newHookToken is 32 random bytes in lower-case base32: unguessable, and safe in a URL.
func newHookToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("hook token: %w", err)
	}
	return strings.ToLower(hookEncoding.EncodeToString(b)), nil
}

// EnsureHook gives a scenario whose trigger is a webhook (gateway:CustomWebHook) its
// address, once: it returns the existing hook, a new one, or nil when the trigger is
// not a webhook.
func (s *Service) EnsureHook(ctx context.Context, scenarioID int64) (*weft.Hook, error) {
	raw, err := s.ExportScenario(ctx, scenarioID)
	if err != nil {
		return nil, err
	}
	trig, err := TriggerType(raw)
	if err != nil {
		return nil, err
	}
	if trig != WebhookTrigger && trig != MailhookTrigger {
		// An instant app trigger (telegram:WatchUpdates) receives its service's
		// calls at a hook too (hooks.go).
		if spec, ok := s.cfg.Registry.Lookup(trig); !ok || spec.Hook == nil {
			return nil, nil
		}
	}
	var h *weft.Hook
	err = s.st.InTx(ctx, func(q store.Queries) error {
		var err error
		if h, err = q.HookOfScenario(ctx, scenarioID); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		tok, err := newHookToken()
		if err != nil {
			return err
		}
		h = &weft.Hook{Token: tok, ScenarioID: scenarioID, CreatedAt: s.now()}
		return q.CreateHook(ctx, h)
	})
	if err != nil {
		return nil, fmt.Errorf("webhook of scenario %d: %w", scenarioID, err)
	}
	return h, nil
}

// Hook returns a scenario's webhook (store.ErrNotFound when it has none).
func (s *Service) Hook(ctx context.Context, scenarioID int64) (*weft.Hook, error) {
	h, err := s.st.HookOfScenario(ctx, scenarioID)
	if err != nil {
		return nil, fmt.Errorf("webhook of scenario %d: %w", scenarioID, err)
	}
	return h, nil
}

// Hooks lists every webhook.
func (s *Service) Hooks(ctx context.Context) ([]*weft.Hook, error) {
	hs, err := s.st.ListHooks(ctx)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return hs, nil
}

// RotateHook gives a scenario's webhook a new address; the old one stops working at
// once. The signing secret is kept.
func (s *Service) RotateHook(ctx context.Context, scenarioID int64) (*weft.Hook, error) {
	var h *weft.Hook
	err := s.st.InTx(ctx, func(q store.Queries) error {
		old, err := q.HookOfScenario(ctx, scenarioID)
		if err != nil {
			return err
		}
		tok, err := newHookToken()
		if err != nil {
			return err
		}
		if err := q.DeleteHook(ctx, old.Token); err != nil {
			return err
		}
		h = &weft.Hook{Token: tok, ScenarioID: scenarioID, Secret: old.Secret, SecretKeyID: old.SecretKeyID, CreatedAt: s.now()}
		return q.CreateHook(ctx, h)
	})
	if err != nil {
		return nil, fmt.Errorf("rotate the webhook of scenario %d: %w", scenarioID, err)
	}
	if err := s.reregisterAppHook(ctx, scenarioID); err != nil {
		return h, fmt.Errorf("rotate the webhook of scenario %d: the new address is in place but its service was not told: %w", scenarioID, err)
	}
	return h, nil
}
