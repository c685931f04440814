package declarative

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

// module is the one generic executor: every declarative module type runs through it,
// driven by its compiled definition. It keeps no per-run state.
type module struct {
	def *moduleDef
	rt  *runtime
}

// Limits of what an error keeps of the response, as in httpmod: a short excerpt in the
// message, a few KB in Details.
const (
	messageExcerpt = 200
	detailsBody    = 4 << 10
)

// Run sends the module's requests (and their next pages), checks every response for
// the service's errors and turns the answers into bundles.
func (m *module) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	st, err := m.prepare(ctx, c, nil)
	if err != nil {
		return nil, err
	}
	return m.runSteps(ctx, c, st)
}

// fetchOptions change how fetch reads a polling trigger's items (trigger.go).
type fetchOptions struct {
	// noLimit reads past the response limit (a trigger's limit counts new items only).
	noLimit bool
	// qs is merged into the first request's query (the epoch's overrides).
	qs node
	// ready gets the fetch's environment before the first page is read.
	ready func(*fetched)
	// vars are more roots for the templates ({{webhook}} in attach and detach).
	vars map[string]any
	// stop is asked after each page with the entries it added; true ends paging (a
	// newest-first listing reached items already emitted).
	stop func(page []entry) (bool, error)
}

// fetched is what fetch read, with the templates' environment.
type fetched struct {
	col   *collector
	limit int
	env   *iml.Env
	vars  map[string]any
	// temp is the step's response temp, read from its first page (steps.go).
	temp map[string]any
}

// prepare reads what every request of a module call shares: the parameters, the
// connection and the roots of the templates (more adds some: {{webhook}}).
func (m *module) prepare(ctx context.Context, c *app.Call, more map[string]any) (*stepState, error) {
	params := make(map[string]any, len(c.Params)+len(c.Input))
	maps.Copy(params, c.Params)
	maps.Copy(params, c.Input)
	env := &iml.Env{Now: c.Exec.Now, Location: c.Exec.Location(), ExecutionID: c.Exec.ID(),
		Limits: limits.FromContext(ctx)} // the run's limits (docs/operations.md)
	conn, secrets, err := m.connection(c.Exec, params)
	if err != nil {
		return nil, err
	}
	temp := map[string]any{}
	vars := map[string]any{rootParameters: params, rootConnection: conn, rootTemp: temp,
		rootIdem: c.Exec.IdempotencyKey()}
	maps.Copy(vars, more)
	return &stepState{env: env, vars: vars, temp: temp, secrets: secrets}, nil
}

// fetch sends the module's one request and its next pages and collects the answers
// (triggers, and a webhook's attach and detach).
func (m *module) fetch(ctx context.Context, c *app.Call, o fetchOptions) (*fetched, error) {
	st, err := m.prepare(ctx, c, o.vars)
	if err != nil {
		return nil, err
	}
	return m.fetchStep(ctx, c, st, &m.def.comm, st.vars, o)
}

// fetchStep sends one request (a step) and its next pages and collects the answers.
func (m *module) fetchStep(ctx context.Context, c *app.Call, st *stepState, comm *commDef, vars map[string]any, o fetchOptions) (*fetched, error) {
	env, secrets := st.env, st.secrets
	vars = maps.Clone(vars)
	if comm.temp != nil {
		t, err := evalRequestPart(comm.temp, env, vars)
		if err != nil {
			return nil, err
		}
		// A step's own temp, seen by that step only, over the temp of the steps before.
		merged := maps.Clone(st.temp)
		if tm, ok := t.(map[string]any); ok {
			maps.Copy(merged, tm)
		}
		vars[rootTemp] = merged
	}
	req, err := m.firstRequest(env, vars, comm)
	if err != nil {
		return nil, err
	}
	if o.qs != nil {
		v, err := evalRequestPart(o.qs, env, vars)
		if err != nil {
			return nil, err
		}
		c, err := collectionOf(v, "epoch.qs")
		if err != nil {
			return nil, err
		}
		maps.Copy(req.qs, c)
	}
	req.secrets = secrets
	if comm.authorize {
		if err := m.authorize(ctx, c.Exec, env, vars, req, ""); err != nil {
			return nil, err
		}
	}
	limit := -1
	if comm.resp.limit != nil {
		v, err := evalRequestPart(comm.resp.limit, env, vars)
		if err != nil {
			return nil, err
		}
		if n, ok := number(v); ok {
			limit = max(n, 0)
		}
	}
	pageLimit := limit
	if o.noLimit {
		pageLimit = -1
	}
	col, err := m.newCollector(env, vars, comm)
	if err != nil {
		return nil, err
	}
	f := &fetched{col: col, limit: limit, env: env, vars: vars}
	if o.ready != nil {
		o.ready(f)
	}
	maxPages := 1
	if comm.pag != nil {
		maxPages = comm.pag.maxPages
	}
	offset := 0
	retried := false
	for page := 1; ; page++ {
		resp, err := m.rt.send(ctx, req)
		if err != nil {
			return nil, err
		}
		if resp.status == http.StatusUnauthorized && page == 1 && comm.authorize && m.def.app.conn.typ == "oauth2" && !retried {
			// The service refused the access token before its known expiry (revoked,
			// rotated elsewhere): one more attempt with a new one. A second 401 is the
			// error (a refresh token refused meanwhile is an InvalidAccessTokenError).
			retried = true
			if err := m.authorize(ctx, c.Exec, env, vars, req, req.token); err != nil {
				return nil, err
			}
			if resp, err = m.rt.send(ctx, req); err != nil {
				return nil, err
			}
		}
		rvars := maps.Clone(vars)
		rvars[rootBody] = resp.body
		rvars[rootHeaders] = headerMap(resp.header)
		rvars[rootStatus] = float64(resp.status)
		if e := m.responseError(env, rvars, req, resp, c.Exec.Now(), comm); e != nil {
			return nil, e
		}
		if comm.poll != nil {
			// The answer describes a job still running: wait for it (poll.go).
			if resp, rvars, err = m.poll(ctx, env, req, resp, rvars, c.Exec.Now, comm); err != nil {
				return nil, err
			}
		}
		if page == 1 && comm.resp.temp != nil {
			// The first page's answer feeds later steps (a created object's id).
			v, err := evalVars(comm.resp.temp, env, rvars)
			if err != nil {
				return nil, col.unexpected("temp", err)
			}
			f.temp, _ = v.(map[string]any)
		}
		before := len(col.out)
		n, err := col.page(rvars)
		if err != nil {
			return nil, err
		}
		offset += n
		if col.done(pageLimit) || comm.pag == nil || page >= maxPages || n == 0 {
			break
		}
		if o.stop != nil {
			stop, err := o.stop(col.out[before:])
			if err != nil {
				return nil, err
			}
			if stop {
				break
			}
		}
		more, next, err := m.nextRequest(env, rvars, req, page+1, offset, comm)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		req = next
	}
	return f, nil
}

// firstRequest evaluates a step's communication section.
func (m *module) firstRequest(env *iml.Env, vars map[string]any, comm *commDef) (*request, error) {
	a := m.def.app
	u, err := evalRequestPart(comm.url, env, vars)
	if err != nil {
		return nil, err
	}
	method := comm.method
	if comm.methodTmpl != nil {
		v, err := evalRequestPart(comm.methodTmpl, env, vars)
		if err != nil {
			return nil, err
		}
		method = strings.ToUpper(strings.TrimSpace(value.Text(v)))
		if method == "" {
			method = "GET"
		}
		if !slices.Contains(methods, method) {
			return nil, weft.Errorf(weft.DataError, "building the request: %q is not an HTTP method (%s)", value.Text(v), strings.Join(methods, ", "))
		}
	}
	if strings.TrimSpace(value.Text(u)) == "" {
		// Built from a mapped value that is empty (a webhook URL left out): sending it
		// to the base URL instead would call something nobody asked for.
		return nil, weft.Errorf(weft.DataError, "building the request: the URL is empty (a value it is built from is missing)")
	}
	full, err := a.resolve(value.Text(u))
	if err != nil {
		return nil, weft.Errorf(weft.DataError, "building the request: %v", err)
	}
	r := &request{method: method, url: full, bodyType: comm.bodyType,
		qs: map[string]any{}, header: map[string]any{}, binary: comm.resp.binary}
	for _, part := range []struct {
		n    node
		into map[string]any
		what string
	}{{a.qs, r.qs, "base.qs"}, {comm.qs, r.qs, "qs"}, {a.headers, r.header, "base.headers"}, {comm.headers, r.header, "headers"}} {
		if part.n == nil {
			continue
		}
		v, err := evalRequestPart(part.n, env, vars)
		if err != nil {
			return nil, err
		}
		c, err := collectionOf(v, part.what)
		if err != nil {
			return nil, err
		}
		maps.Copy(part.into, c)
	}
	if comm.body != nil {
		if r.body, err = evalRequestPart(comm.body, env, vars); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// nextRequest builds the request of the next page from the pagination section, read
// against the last response; more is false when its condition says there is none.
func (m *module) nextRequest(env *iml.Env, rvars map[string]any, prev *request, page, offset int, comm *commDef) (bool, *request, error) {
	p := comm.pag
	pvars := maps.Clone(rvars)
	pvars[rootPagination] = map[string]any{"page": float64(page), "offset": float64(offset)}
	eval := func(n node, what string) (any, error) {
		v, err := evalVars(n, env, pvars)
		if err != nil {
			return nil, weft.Errorf(weft.UnexpectedError, "pagination %s: %v", what, err)
		}
		return v, nil
	}
	if p.condition != nil {
		v, err := eval(p.condition, "condition")
		if err != nil || !value.Bool(v) {
			return false, nil, err
		}
	}
	next := *prev
	next.qs, next.header = maps.Clone(prev.qs), maps.Clone(prev.header)
	if !p.merge {
		next.qs, next.header = map[string]any{}, map[string]any{}
	}
	if p.url != nil {
		u, err := eval(p.url, "url")
		if err != nil {
			return false, nil, err
		}
		if value.IsEmpty(u) {
			return false, nil, nil // no next URL: the last page
		}
		if next.url, err = m.def.app.resolve(value.Text(u)); err != nil {
			return false, nil, weft.Errorf(weft.UnexpectedError, "pagination url: %v", err)
		}
		if strings.Contains(next.url, "?") && p.merge {
			// A next-page URL carries its own query (a cursor); the parent's
			// parameters would repeat it.
			next.qs = map[string]any{}
		}
	}
	for _, part := range []struct {
		n    node
		into map[string]any
		what string
	}{{p.qs, next.qs, "qs"}, {p.headers, next.header, "headers"}} {
		if part.n == nil {
			continue
		}
		v, err := eval(part.n, part.what)
		if err != nil {
			return false, nil, err
		}
		c, _ := v.(map[string]any)
		maps.Copy(part.into, c)
	}
	if p.body != nil {
		v, err := eval(p.body, "body")
		if err != nil {
			return false, nil, err
		}
		pb, pok := v.(map[string]any)
		ob, ook := prev.body.(map[string]any)
		if p.merge && pok && ook {
			merged := maps.Clone(ob)
			maps.Copy(merged, pb)
			next.body = merged
		} else {
			next.body = v
		}
	}
	return true, &next, nil
}

// responseError returns the module's error for a response, or nil. A response is an
// error when its status is 400 or more, or when the definition's error condition holds
// (Slack answers 200 {"ok": false}). The type comes from the definition's type
// template when it names a SPEC §3.1 type, else from httpmod's status table.
func (m *module) responseError(env *iml.Env, rvars map[string]any, req *request, resp *response, now time.Time, comm *commDef) error {
	def := comm.resp.err
	failed := resp.status >= 400
	text := func(n node) (string, error) {
		if def == nil || n == nil {
			return "", nil
		}
		v, err := evalVars(n, env, rvars)
		return strings.TrimSpace(value.Text(v)), err
	}
	if def != nil && def.condition != nil {
		v, err := evalVars(def.condition, env, rvars)
		if err != nil {
			return m.unreadable(req, resp, err)
		}
		failed = failed || value.Bool(v)
	}
	if !failed {
		return nil
	}
	var typ weft.ErrorType
	if def != nil {
		name, err := text(def.typ)
		if err != nil {
			return m.unreadable(req, resp, err)
		}
		typ = weft.ErrorType(name)
		if name != "" && !typ.Valid() {
			typ = ""
		}
	}
	if typ == "" {
		typ = httpmod.ErrorTypeForStatus(resp.status)
	}
	if typ == "" {
		// The service reported a failure with a success status and the definition
		// did not classify it: "anything else" (SPEC §3.1).
		typ = weft.RuntimeError
	}
	msg, err := text(func() node {
		if def == nil {
			return nil
		}
		return def.message
	}())
	if err != nil {
		return m.unreadable(req, resp, err)
	}
	prefix := fmt.Sprintf("[%d] ", resp.status)
	if msg == "" {
		msg = req.target()
		if ex := excerpt(resp.raw, messageExcerpt); ex != "" {
			msg += ": " + ex
		}
	}
	e := &weft.Error{Type: typ, Message: req.redact(prefix + msg), Details: m.details(req, resp)}
	if u, err := url.Parse(req.url); err == nil && u.Host != "" {
		e.Endpoint = httpmod.Endpoint(u) // the circuit breaker's host
	}
	if def != nil && def.retryAfter != nil {
		if v, err := evalVars(def.retryAfter, env, rvars); err == nil {
			if secs, ok := number(v); ok && secs > 0 && secs <= 366*24*3600 {
				e.RetryAfter = time.Duration(secs) * time.Second
			}
		}
	}
	if e.RetryAfter == 0 {
		e.RetryAfter = httpmod.RetryAfter(resp.header.Get("Retry-After"), now)
	}
	return e
}

// unreadable is the error when the definition's error templates fail on a response.
func (m *module) unreadable(req *request, resp *response, err error) error {
	return &weft.Error{Type: weft.UnexpectedError,
		Message: req.redact(fmt.Sprintf("[%d] %s: cannot read the error response: %v", resp.status, req.target(), err)),
		Details: m.details(req, resp), Err: err}
}

func (m *module) details(req *request, resp *response) map[string]any {
	text, cut := truncateUTF8(resp.raw, detailsBody)
	d := map[string]any{
		"statusCode": float64(resp.status),
		"headers":    headerMap(resp.header),
		"body":       req.redact(text),
		"url":        req.redact(req.url),
	}
	if cut {
		d["bodyTruncated"] = true
	}
	return d
}

// excerpt is the body as one short line for a message; double quotes become single
// quotes so {{N.error.message}} spliced into JSON text stays valid (as in httpmod).
func excerpt(body []byte, max int) string {
	s, cut := truncateUTF8(body, max)
	s = strings.Join(strings.Fields(s), " ")
	s = strings.NewReplacer(`"`, "'", `\`, "").Replace(s)
	if cut {
		s += "…"
	}
	return s
}

func truncateUTF8(b []byte, max int) (string, bool) {
	if len(b) <= max {
		return strings.ToValidUTF8(string(b), "\uFFFD"), false
	}
	s := strings.ToValidUTF8(string(b[:max]), "")
	return s, true
}
