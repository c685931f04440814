package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// hook receives a webhook request: it stores the payload durably, then answers 200
// with the body "Accepted" at once, as Make does, or — when the scenario has a webhook
// response module — runs it and answers with that response ("Accepted" when it takes
// longer than ResponseTimeout; the run goes on and nothing is lost either way).
//
// Memory is bounded before a byte of the body is read (docs/operations.md, "Webhook
// intake limits"): the scenario's queue bounds (count and bytes) are checked first, then
// the payload waits for its share of the service's decode budget, which it holds until
// it is stored (queued) or its run ends (inline). Over a bound the answer is 429 with
// Retry-After; a payload answered 2xx is stored.
func (s *Server) hook(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost, http.MethodGet, http.MethodPut:
	default:
		s.hookError(w, http.StatusMethodNotAllowed, "invalid", "webhooks take POST, GET or PUT")
		return
	}
	if s.stopping.Load() {
		w.Header().Set("Retry-After", "5")
		s.hookError(w, http.StatusServiceUnavailable, "unavailable", "weft is shutting down")
		return
	}
	ctx := r.Context()
	h, err := s.hooks.get(ctx, s.st, r.PathValue("token"))
	if errors.Is(err, store.ErrNotFound) {
		s.hookError(w, http.StatusNotFound, "not_found", "no webhook at this address")
		return
	}
	if err != nil {
		s.hookFail(w, err)
		return
	}
	if s.appHookAnswered(ctx, w, r, h) {
		return
	}
	if r.ContentLength > s.cfg.MaxPayload {
		s.tooLarge(w)
		return
	}
	// What the payload will take: its declared length, or the most it may be.
	size := r.ContentLength
	if size < 0 {
		size = s.cfg.MaxPayload
	}
	if !s.queueRoom(w, ctx, h.ScenarioID, size) {
		return
	}
	wait, cancel := context.WithTimeout(ctx, s.cfg.DecodeWait)
	release, err := s.svc.ReservePayload(wait, size)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return // the caller hung up while waiting; nothing was accepted
		}
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterBusy))
		s.hookError(w, http.StatusTooManyRequests, "busy", fmt.Sprintf(
			"weft is decoding and running as many payload bytes as it may at once (the bound is %d bytes: --webhook-decode-bytes); try again",
			s.svc.DecodeBytes()))
		return
	}
	held := true // released here unless an inline run takes it over
	defer func() {
		if held {
			release()
		}
	}()
	body, err := readBody(w, r, s.cfg.MaxPayload)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.tooLarge(w)
			return
		}
		s.hookError(w, http.StatusBadRequest, "invalid", "cannot read the request body: "+err.Error())
		return
	}
	if !s.signatureOK(ctx, w, r, h, body) {
		return
	}
	if !s.appHookOK(ctx, w, r, h, body) {
		return
	}
	payload, stored, err := parsePayload(r, body, value.DecodeLimits{MaxDepth: s.cfg.MaxDepth, MaxMembers: s.cfg.MaxMembers})
	if err != nil {
		var le *value.LimitError
		if errors.As(err, &le) {
			s.hookError(w, http.StatusRequestEntityTooLarge, "too_large", limitMessage(le))
			return
		}
		s.hookError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	// An instant app trigger may reshape the payload into its bundle or drop a call it
	// does not emit (app.HookSpec.Payload).
	if out, keep, changed, err := s.svc.HookPayload(ctx, h.ScenarioID, payload); err != nil {
		s.hookError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	} else if !keep {
		s.accepted(w, nil)
		return
	} else if changed {
		payload, stored = out, nil
	}
	inline := false
	select {
	case s.inline <- struct{}{}:
		inline = true
	default: // busy: the payload waits in the queue for the worker
	}
	acc, err := s.svc.AcceptPayload(context.WithoutCancel(ctx), h.ScenarioID, service.Payload{Bundle: payload, Stored: stored}, inline)
	if err != nil || !acc.Inline {
		if inline {
			<-s.inline
		}
		if err != nil {
			s.hookFail(w, err)
			return
		}
		s.accepted(w, acc)
		return
	}
	// The run belongs to the server, not to the request: a caller who hangs up does not
	// stop it, a shutdown waits for it. It holds the payload's decode budget until it
	// ends (its bundle is in memory until then).
	held = false
	s.runs.Add(1)
	done := make(chan *service.RunResult, 1)
	go func() {
		defer s.runs.Done()
		defer func() { <-s.inline }()
		defer release()
		rr, err := s.svc.RunAccepted(s.runCtx, acc)
		if err != nil {
			s.log.Error("webhook run", "scenario", h.ScenarioID, "item", acc.Item.ID, "err", err)
		}
		done <- rr
	}()
	if !acc.Responds {
		s.accepted(w, acc)
		return
	}
	t := time.NewTimer(s.cfg.ResponseTimeout)
	defer t.Stop()
	select {
	case rr := <-done:
		s.respond(w, acc, rr)
	case <-t.C:
		s.accepted(w, acc)
	case <-ctx.Done():
	}
}

// retryAfterBusy is the Retry-After (seconds) of a payload refused because the decode
// budget stayed full for DecodeWait: runs in flight end within seconds.
const retryAfterBusy = 2

// queueRoom checks the scenario's queue bounds for a payload of size bytes (as
// received) and answers 429 when it has no room.
func (s *Server) queueRoom(w http.ResponseWriter, ctx context.Context, scenarioID, size int64) bool {
	u, err := s.st.QueueUsage(ctx, scenarioID)
	if err != nil {
		s.hookFail(w, err)
		return false
	}
	var msg string
	switch {
	case u.Items >= s.cfg.QueueLimit:
		msg = fmt.Sprintf("scenario %d has %d payloads in its queue (the bound is %d payloads: --webhook-queue-limit)",
			scenarioID, u.Items, s.cfg.QueueLimit)
	case u.Bytes+size > s.cfg.QueueBytes:
		msg = fmt.Sprintf("scenario %d has %d bytes of payloads in its queue; %d more would pass the bound of %d bytes (--webhook-queue-bytes)",
			scenarioID, u.Bytes, size, s.cfg.QueueBytes)
	default:
		return true
	}
	if u.Dead > 0 {
		msg += fmt.Sprintf("; %d of them are set aside after an error run (weft queue list --scenario %d)", u.Dead, scenarioID)
	}
	w.Header().Set("Retry-After", "10")
	s.hookError(w, http.StatusTooManyRequests, "queue_full", msg)
	return false
}

func (s *Server) tooLarge(w http.ResponseWriter) {
	s.hookError(w, http.StatusRequestEntityTooLarge, "too_large",
		fmt.Sprintf("payload over %d bytes (the bound: --webhook-max-payload)", s.cfg.MaxPayload))
}

func limitMessage(le *value.LimitError) string {
	if le.Bound == "depth" {
		return fmt.Sprintf("the payload nests deeper than %d levels (the bound: --webhook-max-depth), at byte %d", le.Limit, le.Offset)
	}
	return fmt.Sprintf("the payload has more than %d object members and array elements (the bound: --webhook-max-members), at byte %d",
		le.Limit, le.Offset)
}

// readBody reads the request body, at most limit bytes: into a buffer of exactly its
// declared length when it has one (no growing copies of a 5 MB body).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength < 0 {
		return io.ReadAll(body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("the body ended before its Content-Length of %d bytes", r.ContentLength)
		}
		return nil, err
	}
	return buf, nil
}

// accepted answers a payload that is stored as Make answers a webhook without a
// response module: status 200 with the text "Accepted". (Not 202: some senders treat
// any status but 200 as a failed delivery and send again.)
func (s *Server) accepted(w http.ResponseWriter, acc *service.Accepted) {
	s.cfg.OnWebhook("accepted")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "Accepted")
}

// respond answers with the run's webhook response; a run that answered nothing gets
// "Accepted" (its bundle is safe: done, or kept as an incomplete execution) or, when it
// failed, 500.
func (s *Server) respond(w http.ResponseWriter, acc *service.Accepted, rr *service.RunResult) {
	if rr == nil || rr.Result == nil {
		s.accepted(w, acc)
		return
	}
	res := rr.Result
	if res.Response == nil {
		if res.Status == weft.StatusError {
			s.cfg.OnWebhook("error")
			msg := "the scenario failed"
			if res.Error != nil {
				msg = fmt.Sprintf("the scenario failed at module %d: %s", res.Error.ModuleID, res.Error.Type)
			}
			s.hookError(w, http.StatusInternalServerError, "scenario_failed", msg)
			return
		}
		s.accepted(w, acc)
		return
	}
	s.cfg.OnWebhook("responded")
	for k, v := range res.Response.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(res.Response.Status)
	io.WriteString(w, res.Response.Body)
}

func (s *Server) hookError(w http.ResponseWriter, status int, code, msg string) {
	s.cfg.OnWebhook(code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(value.JSON(map[string]any{"error": map[string]any{"code": code, "message": msg}}))
	w.Write([]byte("\n"))
}

func (s *Server) hookFail(w http.ResponseWriter, err error) {
	if errors.Is(err, store.ErrNotFound) {
		// The scenario went away while its hook was still in the lookup cache: the
		// address is gone, and "try again" would make senders retry for nothing.
		s.hookError(w, http.StatusNotFound, "not_found", "no webhook at this address")
		return
	}
	s.log.Error("webhook", "err", err)
	w.Header().Set("Retry-After", "5")
	s.hookError(w, http.StatusServiceUnavailable, "unavailable", "the payload could not be stored; try again")
}

// signatureOK checks the HMAC-SHA256 signature of a hook that has a secret: header
// X-Weft-Signature (or GitHub's X-Hub-Signature-256) = "sha256=" + hex of the body's HMAC.
func (s *Server) signatureOK(ctx context.Context, w http.ResponseWriter, r *http.Request, h *weft.Hook, body []byte) bool {
	if len(h.Secret) == 0 || s.cfg.HookSecret == nil {
		return true
	}
	key, err := s.cfg.HookSecret(ctx, h.Token)
	if err != nil {
		s.hookFail(w, err)
		return false
	}
	if len(key) == 0 {
		return true
	}
	sig := r.Header.Get("X-Weft-Signature")
	if sig == "" {
		sig = r.Header.Get("X-Hub-Signature-256")
	}
	got, err := hex.DecodeString(strings.TrimPrefix(sig, "sha256="))
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	if sig == "" || err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		s.hookError(w, http.StatusUnauthorized, "bad_signature", "missing or wrong X-Weft-Signature (sha256=HMAC of the body)")
		return false
	}
	return true
}

// parsePayload turns a request into the trigger bundle, as Make's custom webhook does:
// query parameters, then the body's fields (JSON object, form, multipart with files as
// {name, mime, data}); a JSON body that is not an object, or a text body, arrives as
// {"value": …}. A JSON body is decoded once, within lim; when it needs no merging with
// query parameters and is already tagged JSON of the bundle, stored is the body itself
// (stored as received, never encoded again); otherwise stored is nil.
func parsePayload(r *http.Request, body []byte, lim value.DecodeLimits) (b weft.Bundle, stored []byte, err error) {
	query := r.URL.Query()
	b = weft.Bundle{}
	if len(bytes.TrimSpace(body)) == 0 {
		addValues(b, query)
		return b, nil, nil
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json" || strings.HasSuffix(ct, "+json") || (ct == "" && looksJSON(body)):
		v, safe, err := value.DecodeLimited(body, lim)
		if err != nil {
			var le *value.LimitError
			if errors.As(err, &le) {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("the body is not valid JSON: %v", err)
		}
		m, isObject := v.(map[string]any)
		if !isObject {
			m = map[string]any{"value": v}
			if safe && len(query) == 0 {
				stored = slices.Concat([]byte(`{"value":`), body, []byte(`}`))
			}
		} else if safe && len(query) == 0 {
			stored = body
		}
		// Query parameters first, the body's fields over them (no copy of the body's map).
		for k, vs := range query {
			if _, ok := m[k]; !ok {
				m[k] = queryValue(vs)
			}
		}
		return m, stored, nil
	case ct == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, fmt.Errorf("the form body is malformed: %v", err)
		}
		if n := len(vals); lim.MaxMembers > 0 && n > lim.MaxMembers {
			return nil, nil, &value.LimitError{Bound: "members", Limit: lim.MaxMembers, Offset: len(body)}
		}
		addValues(b, query)
		addValues(b, vals)
	case ct == "multipart/form-data":
		addValues(b, query)
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		form, err := mr.ReadForm(int64(len(body)) + 1)
		if err != nil {
			return nil, nil, fmt.Errorf("the multipart body is malformed: %v", err)
		}
		defer form.RemoveAll()
		addValues(b, form.Value)
		for name, files := range form.File {
			var list []any
			for _, fh := range files {
				f, err := fh.Open()
				if err != nil {
					return nil, nil, err
				}
				data, err := io.ReadAll(f)
				f.Close()
				if err != nil {
					return nil, nil, err
				}
				list = append(list, map[string]any{"name": fh.Filename, "mime": fh.Header.Get("Content-Type"), "data": data})
			}
			if len(list) == 1 {
				b[name] = list[0]
			} else {
				b[name] = list
			}
		}
	case strings.HasPrefix(ct, "text/") || ct == "application/xml":
		addValues(b, query)
		b["value"] = string(body)
	default:
		addValues(b, query)
		b["value"] = body
	}
	return b, nil, nil
}

func looksJSON(body []byte) bool {
	t := bytes.TrimSpace(body)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

func addValues(b weft.Bundle, vals url.Values) {
	for k, vs := range vals {
		b[k] = queryValue(vs)
	}
}

// queryValue is one parameter's value: text, or an array of texts when repeated.
func queryValue(vs []string) any {
	if len(vs) == 1 {
		return vs[0]
	}
	arr := make([]any, len(vs))
	for i, v := range vs {
		arr[i] = v
	}
	return arr
}

// hookCache keeps webhook lookups for a second: a storm of requests to one address does
// not read the same row thousands of times a second. A deleted or rotated address stops
// answering within a second.
type hookCache struct {
	mu sync.Mutex
	m  map[string]hookEntry
}

type hookEntry struct {
	h   *weft.Hook
	err error
	at  time.Time
}

const hookTTL = time.Second

func (c *hookCache) get(ctx context.Context, st store.Store, token string) (*weft.Hook, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[token]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < hookTTL {
		return e.h, e.err
	}
	h, err := st.GetHook(ctx, token)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err // not cached: a store failure is not an answer
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[string]hookEntry{}
	}
	c.m[token] = hookEntry{h, err, now}
	c.mu.Unlock()
	return h, err
}

// appHookAnswered lets an instant app trigger answer a call itself, before anything
// is read or queued (Meta's GET hub.challenge handshake, app.HookSpec.Answer). It
// reports whether the call was answered (the handshake's echo, or a refusal).
func (s *Server) appHookAnswered(ctx context.Context, w http.ResponseWriter, r *http.Request, h *weft.Hook) bool {
	body, handled, err := s.svc.HookAnswer(ctx, h.ScenarioID, r)
	var ve *app.VerifyError
	switch {
	case err == nil && !handled:
		return false
	case err == nil:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	case errors.As(err, &ve):
		s.hookError(w, ve.Status, "unauthorized", ve.Message)
	case errors.Is(err, store.ErrNotFound):
		s.hookError(w, http.StatusNotFound, "not_found", "no webhook at this address")
	default:
		s.log.Error("webhook handshake", "scenario", h.ScenarioID, "err", err)
		s.hookError(w, http.StatusUnauthorized, "unauthorized", "the call could not be verified")
	}
	return true
}

// appHookOK checks a call to the hook of an instant app trigger (telegram:WatchUpdates)
// with the trigger's own verification (a secret header, a signature): a refused call is
// answered 401 (or the trigger's status) and nothing is queued (service/hooks.go).
func (s *Server) appHookOK(ctx context.Context, w http.ResponseWriter, r *http.Request, h *weft.Hook, body []byte) bool {
	err := s.svc.VerifyHook(ctx, h.ScenarioID, r, body)
	if err == nil {
		return true
	}
	var ve *app.VerifyError
	switch {
	case errors.As(err, &ve):
		s.hookError(w, ve.Status, "unauthorized", ve.Message)
	case errors.Is(err, store.ErrNotFound):
		s.hookError(w, http.StatusNotFound, "not_found", "no webhook at this address")
	default:
		s.log.Error("webhook verification", "scenario", h.ScenarioID, "err", err)
		s.hookError(w, http.StatusUnauthorized, "unauthorized", "the call could not be verified")
	}
	return false
}
