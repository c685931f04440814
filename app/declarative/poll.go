package declarative

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// A communication's poll section waits for a job the first request started (an Apify
// Actor run, a long-running operation): while its condition holds against the last
// answer, it sends its own request, built from that answer, and the module's response
// section reads the last answer.
//
//	"poll": {
//	  "while": "{{body.data.status = \"RUNNING\"}}",
//	  "url": "/v2/actor-runs/{{body.data.id}}", "method": "GET", "qs": {"waitForFinish": 60},
//	  "delay": 0,          // seconds before each poll (default 0: the service holds the request)
//	  "maxAttempts": 100   // polls at most (1…10000); then a ModuleTimeoutError
//	}
//
// Every template reads the response roots (body, headers, statusCode) of the last
// answer. Each poll carries the connection's credentials and is checked for the
// service's errors like the first request. The module's time limit bounds the whole
// wait.
type pollDef struct {
	while       node
	url         node
	method      string
	headers, qs node
	body        node
	delay       node
	maxAttempts int
}

const (
	defaultPollAttempts = 100
	maxPollAttempts     = 10000
)

func decodePoll(comm obj, sc scope) (*pollDef, error) {
	o, ok, err := comm.object("poll")
	if err != nil || !ok {
		return nil, err
	}
	if err := o.only("while", "url", "method", "headers", "qs", "body", "delay", "maxAttempts"); err != nil {
		return nil, err
	}
	p := &pollDef{}
	if _, err := o.str("while", true); err != nil {
		return nil, err
	}
	if p.while, err = o.node("while", sc); err != nil {
		return nil, err
	}
	if _, err := o.str("url", true); err != nil {
		return nil, err
	}
	if p.url, err = o.node("url", sc); err != nil {
		return nil, err
	}
	method, err := o.str("method", false)
	if err != nil {
		return nil, err
	}
	p.method = strings.ToUpper(method)
	if p.method == "" {
		p.method = "GET"
	}
	if !slices.Contains(methods, p.method) {
		return nil, errAt(o.at("method"), "%q is not an HTTP method (%s)", method, strings.Join(methods, ", "))
	}
	if p.headers, err = o.collection("headers", sc); err != nil {
		return nil, err
	}
	if p.qs, err = o.collection("qs", sc); err != nil {
		return nil, err
	}
	if p.body, err = o.node("body", sc); err != nil {
		return nil, err
	}
	if p.delay, err = o.node("delay", sc); err != nil {
		return nil, err
	}
	if p.maxAttempts, err = o.integer("maxAttempts", defaultPollAttempts, 1, maxPollAttempts); err != nil {
		return nil, err
	}
	return p, nil
}

// poll waits for the job the first answer describes: it returns the last answer and
// its roots. first is the request that started the job (its credentials are reused).
func (m *module) poll(ctx context.Context, env *iml.Env, first *request, resp *response, rvars map[string]any, now func() time.Time, comm *commDef) (*response, map[string]any, error) {
	p := comm.poll
	for attempt := 1; ; attempt++ {
		v, err := evalVars(p.while, env, rvars)
		if err != nil {
			return nil, nil, m.unreadable(first, resp, err)
		}
		if !value.Bool(v) {
			return resp, rvars, nil
		}
		if attempt > p.maxAttempts {
			return nil, nil, &weft.Error{Type: weft.ModuleTimeoutError,
				Message: fmt.Sprintf("the job was still not done after %d polls (%s)", p.maxAttempts, first.target()),
				Details: m.details(first, resp)}
		}
		if p.delay != nil {
			dv, err := evalVars(p.delay, env, rvars)
			if err != nil {
				return nil, nil, m.unreadable(first, resp, err)
			}
			if secs, ok := number(dv); ok && secs > 0 {
				if err := sleep(ctx, time.Duration(min(secs, 3600))*time.Second); err != nil {
					return nil, nil, err
				}
			}
		}
		req, err := m.pollRequest(env, rvars, first, comm)
		if err != nil {
			return nil, nil, err
		}
		if resp, err = m.rt.send(ctx, req); err != nil {
			return nil, nil, err
		}
		rvars = maps.Clone(rvars)
		rvars[rootBody] = resp.body
		rvars[rootHeaders] = headerMap(resp.header)
		rvars[rootStatus] = float64(resp.status)
		if e := m.responseError(env, rvars, req, resp, now(), comm); e != nil {
			return nil, nil, e
		}
		first = req
	}
}

// pollRequest builds one poll from the last answer.
func (m *module) pollRequest(env *iml.Env, rvars map[string]any, prev *request, comm *commDef) (*request, error) {
	p := comm.poll
	eval := func(n node, what string) (any, error) {
		v, err := evalVars(n, env, rvars)
		if err != nil {
			return nil, weft.Errorf(weft.UnexpectedError, "poll %s: %v", what, err)
		}
		return v, nil
	}
	u, err := eval(p.url, "url")
	if err != nil {
		return nil, err
	}
	full, err := m.def.app.resolve(value.Text(u))
	if err != nil {
		return nil, weft.Errorf(weft.UnexpectedError, "poll url: %v", err)
	}
	r := &request{method: p.method, url: full, bodyType: "json",
		qs: map[string]any{}, header: map[string]any{}, auth: prev.auth, token: prev.token, secrets: prev.secrets}
	for _, part := range []struct {
		n    node
		into map[string]any
		what string
	}{{p.qs, r.qs, "qs"}, {p.headers, r.header, "headers"}} {
		if part.n == nil {
			continue
		}
		v, err := eval(part.n, part.what)
		if err != nil {
			return nil, err
		}
		c, _ := v.(map[string]any)
		maps.Copy(part.into, c)
	}
	if p.body != nil {
		if r.body, err = eval(p.body, "body"); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// sleep waits d or until ctx ends (the module's time limit: a ModuleTimeoutError).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return &weft.Error{Type: weft.ModuleTimeoutError, Message: "waiting to poll: " + ctx.Err().Error(), Err: ctx.Err()}
	}
}
