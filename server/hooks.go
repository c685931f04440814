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
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// hook receives a webhook request: it stores the payload durably, then answers 202
// Accepted at once, or — when the scenario has a webhook response module — runs it and
// answers with that response (202 when it takes longer than ResponseTimeout; the run
// goes on and nothing is lost either way).
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxPayload))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.hookError(w, http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("payload over %d bytes", s.cfg.MaxPayload))
			return
		}
		s.hookError(w, http.StatusBadRequest, "invalid", "cannot read the request body: "+err.Error())
		return
	}
	if !s.signatureOK(ctx, w, r, h, body) {
		return
	}
	payload, err := parsePayload(r, body)
	if err != nil {
		s.hookError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if depth, err := s.st.QueueDepth(ctx, h.ScenarioID); err != nil {
		s.hookFail(w, err)
		return
	} else if depth >= s.cfg.QueueLimit {
		w.Header().Set("Retry-After", "10")
		s.hookError(w, http.StatusTooManyRequests, "queue_full",
			fmt.Sprintf("scenario %d has %d payloads waiting (limit %d)", h.ScenarioID, depth, s.cfg.QueueLimit))
		return
	}
	inline := false
	select {
	case s.inline <- struct{}{}:
		inline = true
	default: // busy: the payload waits in the queue for the worker
	}
	acc, err := s.svc.Accept(context.WithoutCancel(ctx), h.ScenarioID, payload, inline)
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
	// stop it, a shutdown waits for it.
	s.runs.Add(1)
	done := make(chan *service.RunResult, 1)
	go func() {
		defer s.runs.Done()
		defer func() { <-s.inline }()
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

func (s *Server) accepted(w http.ResponseWriter, acc *service.Accepted) {
	s.cfg.OnWebhook("accepted")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, "Accepted")
}

// respond answers with the run's webhook response; a run that answered nothing gets
// 202 (its bundle is safe: done, or kept as an incomplete execution) or, when it failed,
// 500.
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
// {"value": …}.
func parsePayload(r *http.Request, body []byte) (weft.Bundle, error) {
	b := weft.Bundle{}
	addValues(b, r.URL.Query())
	if len(bytes.TrimSpace(body)) == 0 {
		return b, nil
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json" || strings.HasSuffix(ct, "+json") || (ct == "" && looksJSON(body)):
		v, err := value.DecodeJSON(body)
		if err != nil {
			return nil, fmt.Errorf("the body is not valid JSON: %v", err)
		}
		if m, ok := v.(map[string]any); ok {
			for k, e := range m {
				b[k] = e
			}
		} else {
			b["value"] = v
		}
	case ct == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("the form body is malformed: %v", err)
		}
		addValues(b, vals)
	case ct == "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		form, err := mr.ReadForm(int64(len(body)) + 1)
		if err != nil {
			return nil, fmt.Errorf("the multipart body is malformed: %v", err)
		}
		defer form.RemoveAll()
		addValues(b, form.Value)
		for name, files := range form.File {
			var list []any
			for _, fh := range files {
				f, err := fh.Open()
				if err != nil {
					return nil, err
				}
				data, err := io.ReadAll(f)
				f.Close()
				if err != nil {
					return nil, err
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
		b["value"] = string(body)
	default:
		b["value"] = body
	}
	return b, nil
}

func looksJSON(body []byte) bool {
	t := bytes.TrimSpace(body)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

func addValues(b weft.Bundle, vals url.Values) {
	for k, vs := range vals {
		if len(vs) == 1 {
			b[k] = vs[0]
			continue
		}
		arr := make([]any, len(vs))
		for i, v := range vs {
			arr[i] = v
		}
		b[k] = arr
	}
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
