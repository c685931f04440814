package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Instant app triggers (app.HookSpec, docs/triggers.md): a scenario whose first module
// receives a service's webhook calls (telegram:WatchUpdates) gets a hook address like
// gateway:CustomWebHook; activation registers the address with the service
// (activation fails when the service refuses), deactivation and deletion unregister it
// (a service that cannot be reached leaves the unregistration owed: the worker tries
// again, 1 min, 2, 4… up to hourly), and every call is verified before its payload is
// queued. The registration's state (a secret weft generated) is stored encrypted.

// ErrNoBaseURL: an instant app trigger needs weft's public address.
var ErrNoBaseURL = errors.New("weft's public address is not known (weft serve --base-url): the service could not call the hook")

// hookSpecOf returns the instant trigger spec of a blueprint's first module, with the
// module (nil when the first module is no instant app trigger).
func (s *Service) hookSpecOf(bp *blueprint.Blueprint) (*app.HookSpec, *blueprint.Module) {
	if bp == nil || len(bp.Flow) == 0 {
		return nil, nil
	}
	first := bp.Flow[0]
	spec, ok := s.cfg.Registry.Lookup(first.Type)
	if !ok || spec.Hook == nil {
		return nil, nil
	}
	return spec.Hook, first
}

// hookCall is what a registration's calls get.
func (s *Service) hookCall(url string, params weft.Bundle) *app.HookCall {
	conns := s.cfg.Connections
	if conns == nil {
		conns = func(ref any) (weft.Bundle, error) {
			return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %v: weft has no keyring, so no connections", ref)
		}
	}
	return &app.HookCall{URL: url, Params: params, Connection: conns, NewSecret: newHookToken, Now: s.now}
}

func hookAAD(scenarioID int64) []byte {
	return []byte("weft/apphook/" + strconv.FormatInt(scenarioID, 10))
}

func (s *Service) sealHookState(scenarioID int64, st app.HookState) ([]byte, string, error) {
	kr, err := s.keyring()
	if err != nil {
		return nil, "", fmt.Errorf("an instant trigger keeps its registration encrypted: %w", err)
	}
	plain, err := json.Marshal(st)
	if err != nil {
		return nil, "", err
	}
	return kr.Encrypt(plain, hookAAD(scenarioID))
}

func (s *Service) openHookState(h *weft.AppHook) (app.HookState, error) {
	if len(h.State) == 0 {
		return app.HookState{}, nil
	}
	kr, err := s.keyring()
	if err != nil {
		return nil, err
	}
	plain, err := kr.Decrypt(h.State, h.KeyID, hookAAD(h.ScenarioID))
	if err != nil {
		return nil, fmt.Errorf("the registration of scenario %d's instant trigger cannot be decrypted: %w", h.ScenarioID, err)
	}
	var st app.HookState
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, err
	}
	return st, nil
}

func paramsOf(h *weft.AppHook) weft.Bundle {
	var p map[string]any
	if v, err := value.DecodeJSON(h.Params); err == nil {
		p, _ = v.(map[string]any)
	}
	return p
}

// registerAppHook registers the scenario's hook with the service of its instant app
// trigger, unless the same registration is in place.
func (s *Service) registerAppHook(ctx context.Context, sc *weft.Scenario, plan *engine.Plan) error {
	spec, first := s.hookSpecOf(plan.Blueprint)
	if spec == nil {
		return nil
	}
	if s.cfg.BaseURL == "" {
		return fmt.Errorf("%s: %w", first.Type, ErrNoBaseURL)
	}
	h, err := s.EnsureHook(ctx, sc.ID)
	if err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("%s: no hook address", first.Type)
	}
	url := strings.TrimRight(s.cfg.BaseURL, "/") + "/hooks/" + h.Token
	params := value.JSON(map[string]any(first.Parameters))
	old, err := s.st.GetAppHook(ctx, sc.ID)
	switch {
	case err == nil && old.Registered && old.URL == url && old.Module == first.Type && bytes.Equal(old.Params, params):
		return nil // in place (activated again to clear a pause)
	case err == nil:
		// Another registration (another address, module or parameters, or an owed
		// unregistration): it goes first, best effort — the new one replaces it at
		// services that keep one hook per bot.
		if uerr := s.unregister(ctx, old); uerr != nil {
			s.log.Warn("instant trigger: the previous registration could not be removed", "scenario", sc.ID, "err", uerr)
		}
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	state, err := spec.Register(ctx, s.hookCall(url, first.Parameters))
	if err != nil {
		return fmt.Errorf("the service refused the hook: %w", err)
	}
	sealed, keyID, err := s.sealHookState(sc.ID, state)
	if err != nil {
		return err
	}
	ah := &weft.AppHook{ScenarioID: sc.ID, Module: first.Type, Params: params, URL: url, State: sealed, KeyID: keyID,
		Registered: true, UpdatedAt: s.now()}
	if err := s.st.PutAppHook(ctx, ah); err != nil {
		// Registered at the service but not recorded: undo it, so no calls arrive
		// that weft cannot verify.
		s.unregister(context.WithoutCancel(ctx), ah)
		return fmt.Errorf("record the hook's registration: %w", err)
	}
	s.verifiers.Delete(sc.ID)
	s.log.Info("instant trigger registered", "scenario", sc.ID, "module", first.Type)
	return nil
}

// unregisterAppHook removes a scenario's registration; when the service cannot be
// reached the unregistration is owed (kept, Registered false) and the error returned.
func (s *Service) unregisterAppHook(ctx context.Context, scenarioID int64) error {
	ah, err := s.st.GetAppHook(ctx, scenarioID)
	if err != nil {
		return err
	}
	s.verifiers.Delete(scenarioID)
	return s.unregister(ctx, ah)
}

func (s *Service) unregister(ctx context.Context, ah *weft.AppHook) error {
	spec, ok := s.cfg.Registry.Lookup(ah.Module)
	if !ok || spec.Hook == nil {
		// The module is gone from this build: nothing can unregister it.
		s.log.Warn("instant trigger: its module is not registered, the registration is forgotten", "scenario", ah.ScenarioID, "module", ah.Module)
		return s.forget(ctx, ah.ScenarioID)
	}
	var err error
	if spec.Hook.Unregister != nil {
		var state app.HookState
		if state, err = s.openHookState(ah); err == nil {
			err = spec.Hook.Unregister(ctx, s.hookCall(ah.URL, paramsOf(ah)), state)
		}
	}
	if err != nil {
		owed := *ah
		owed.Registered, owed.Error, owed.Attempts, owed.UpdatedAt = false, err.Error(), ah.Attempts+1, s.now()
		if perr := s.st.PutAppHook(context.WithoutCancel(ctx), &owed); perr != nil {
			return errors.Join(err, perr)
		}
		return fmt.Errorf("unregister %s of scenario %d (weft tries again): %w", ah.Module, ah.ScenarioID, err)
	}
	s.log.Info("instant trigger unregistered", "scenario", ah.ScenarioID, "module", ah.Module)
	return s.forget(ctx, ah.ScenarioID)
}

func (s *Service) forget(ctx context.Context, scenarioID int64) error {
	if err := s.st.DeleteAppHook(context.WithoutCancel(ctx), scenarioID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// unregisterBackoff is the wait before the next try of an owed unregistration.
func unregisterBackoff(attempts int) time.Duration {
	d := time.Minute
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// RetryUnregistrations tries again the owed unregistrations that are due and returns
// how many succeeded (the worker calls it every pass).
func (s *Service) RetryUnregistrations(ctx context.Context) (int, error) {
	owed, err := s.st.ListAppHooks(ctx, true)
	if err != nil {
		return 0, fmt.Errorf("owed unregistrations: %w", err)
	}
	n := 0
	var errs []error
	for _, ah := range owed {
		if s.now().Before(ah.UpdatedAt.Add(unregisterBackoff(ah.Attempts))) {
			continue
		}
		if err := s.unregister(ctx, ah); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// AppHook returns a scenario's registration with its service (store.ErrNotFound when
// it has none).
func (s *Service) AppHook(ctx context.Context, scenarioID int64) (*weft.AppHook, error) {
	return s.st.GetAppHook(ctx, scenarioID)
}

// verifiers caches, per scenario, how its hook's calls are verified: a decrypted
// state and a read per call would be paid by every webhook request otherwise. A
// registration or unregistration in this process (the one that owns the data folder)
// drops the entry.
type verifier struct {
	spec  *app.HookSpec // nil: the scenario's calls need no check
	call  *app.HookCall
	state app.HookState
}

// VerifyHook checks a call to a scenario's hook with its instant trigger's Verify. It
// returns nil for hooks of other triggers; a refused call is an *app.VerifyError (or an
// error to answer 401 with).
func (s *Service) VerifyHook(ctx context.Context, scenarioID int64, r *http.Request, body []byte) error {
	v, err := s.verifierOf(ctx, scenarioID)
	if err != nil {
		return err
	}
	if v.spec == nil || v.spec.Verify == nil {
		return nil
	}
	if v.state == nil {
		return &app.VerifyError{Status: http.StatusForbidden, Message: "the instant trigger of this hook is not registered (activate the scenario)"}
	}
	return v.spec.Verify(ctx, v.call, r, body, v.state)
}

// HookAnswer lets a scenario's instant trigger answer a call itself (a service's
// handshake, app.HookSpec.Answer). handled false: the call is an ordinary one (hooks
// of other triggers, triggers without Answer). A refused call is an *app.VerifyError
// (or an error to answer 401 with).
func (s *Service) HookAnswer(ctx context.Context, scenarioID int64, r *http.Request) (body []byte, handled bool, err error) {
	v, err := s.verifierOf(ctx, scenarioID)
	if err != nil {
		return nil, false, err
	}
	if v.spec == nil || v.spec.Answer == nil {
		return nil, false, nil
	}
	if v.state == nil {
		return nil, false, &app.VerifyError{Status: http.StatusForbidden, Message: "the instant trigger of this hook is not registered (activate the scenario)"}
	}
	return v.spec.Answer(ctx, v.call, r, v.state)
}

// HookPayload turns a verified call's payload into its instant trigger's bundle
// (app.HookSpec.Payload). changed is false when the payload is the bundle as it came
// (hooks of other triggers, triggers without a Payload); keep false is a call the
// trigger does not emit, to acknowledge and drop.
func (s *Service) HookPayload(ctx context.Context, scenarioID int64, payload weft.Bundle) (out weft.Bundle, keep, changed bool, err error) {
	v, err := s.verifierOf(ctx, scenarioID)
	if err != nil {
		return nil, false, false, err
	}
	if v.spec == nil || v.spec.Payload == nil {
		return payload, true, false, nil
	}
	call := v.call
	if call == nil {
		call = &app.HookCall{}
	}
	out, keep, err = v.spec.Payload(call, payload)
	return out, keep, true, err
}

func (s *Service) verifierOf(ctx context.Context, scenarioID int64) (*verifier, error) {
	if v, ok := s.verifiers.Load(scenarioID); ok {
		return v.(*verifier), nil
	}
	sc, err := s.st.GetScenario(ctx, scenarioID)
	if err != nil {
		return nil, err
	}
	plan, _, err := s.versionPlan(ctx, sc)
	v := &verifier{}
	if err == nil {
		if spec, _ := s.hookSpecOf(plan.Blueprint); spec != nil {
			v.spec = spec
			ah, err := s.st.GetAppHook(ctx, scenarioID)
			switch {
			case err == nil && ah.Registered:
				if v.state, err = s.openHookState(ah); err != nil {
					return nil, err
				}
				v.call = s.hookCall(ah.URL, paramsOf(ah))
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return nil, err
			}
		}
	}
	s.verifiers.Store(scenarioID, v)
	return v, nil
}

// dropVerifier forgets a scenario's cached verifier (a new version, a new hook).
func (s *Service) dropVerifier(scenarioID int64) { s.verifiers.Delete(scenarioID) }

// reregisterAppHook registers an active scenario's instant trigger again (its hook
// has a new address).
func (s *Service) reregisterAppHook(ctx context.Context, scenarioID int64) error {
	ah, err := s.st.GetAppHook(ctx, scenarioID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !ah.Registered) {
		return nil
	}
	if err != nil {
		return err
	}
	sc, err := s.st.GetScenario(ctx, scenarioID)
	if err != nil {
		return err
	}
	plan, _, err := s.versionPlan(ctx, sc)
	if err != nil {
		return err
	}
	return s.registerAppHook(ctx, sc, plan)
}

// SetBaseURL sets weft's public address (Config.BaseURL) once it is known (weft serve
// learns it when it listens). Call it before the service runs anything.
func (s *Service) SetBaseURL(u string) { s.cfg.BaseURL = strings.TrimRight(u, "/") }
