package declarative

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// An instant trigger's challenge section answers a service's handshake on the hook
// address itself, instead of queueing it as a call (app.HookSpec.Answer). Meta checks
// an address saved in an app's dashboard with a GET that must echo hub.challenge when
// hub.verify_token is the token the person chose:
//
//	"challenge": {
//	  "condition": "{{query.`hub.mode` = \"subscribe\"}}",
//	  "token": "{{query.`hub.verify_token`}}",
//	  "value": "{{connection.verifyToken}}",
//	  "answer": "{{query.`hub.challenge`}}"
//	}
//
// A call whose condition is false is an ordinary call (verified, then queued). One
// whose condition is true is answered here: 200 with answer as text when token equals
// value (constant-time; an empty value refuses every handshake), 403 otherwise;
// nothing is queued either way. The templates read parameters, connection, webhook,
// headers and query (the call's URL query: one text per name, repeated names as
// arrays).
type challengeDef struct {
	condition, token, value, echo node
}

var scopeChallenge = scope{rootParameters, rootConnection, rootWebhook, rootHeaders, rootQuery}

func decodeChallenge(w obj) (*challengeDef, error) {
	o, ok, err := w.object("challenge")
	if err != nil || !ok {
		return nil, err
	}
	if err := o.only("condition", "token", "value", "answer"); err != nil {
		return nil, err
	}
	c := &challengeDef{}
	for _, f := range []struct {
		key string
		n   *node
	}{{"condition", &c.condition}, {"token", &c.token}, {"value", &c.value}, {"answer", &c.echo}} {
		if _, err := o.str(f.key, true); err != nil {
			return nil, err
		}
		if *f.n, err = o.node(f.key, scopeChallenge); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// answer is the trigger's app.HookSpec.Answer.
func (c *challengeDef) answer(m *moduleDef, h *app.HookCall, r *http.Request, state app.HookState) ([]byte, bool, error) {
	query := map[string]any{}
	for k, vs := range r.URL.Query() {
		if len(vs) == 1 {
			query[k] = vs[0]
			continue
		}
		arr := make([]any, len(vs))
		for i, v := range vs {
			arr[i] = v
		}
		query[k] = arr
	}
	vars := map[string]any{rootParameters: map[string]any(h.Params), rootWebhook: webhookVars(h, state),
		rootHeaders: headerMap(r.Header), rootQuery: query}
	env := &iml.Env{Location: time.UTC}
	if h.Now != nil {
		env.Now = h.Now
	}
	eval := func(n node, what string) (any, error) {
		x, err := evalVars(n, env, vars)
		if err != nil {
			return nil, fmt.Errorf("challenge %s: %w", what, err)
		}
		return x, nil
	}
	cond, err := eval(c.condition, "condition")
	if err != nil {
		return nil, false, err
	}
	if !value.Bool(cond) {
		return nil, false, nil
	}
	// The connection is read only for a handshake: ordinary calls pay nothing here.
	if conn := &m.app.conn; conn.typ != "none" && !value.IsEmpty(h.Params[conn.param]) && h.Connection != nil {
		cb, err := h.Connection(h.Params[conn.param])
		if err != nil {
			return nil, true, fmt.Errorf("challenge: parameters.%s: %w", conn.param, err)
		}
		vars[rootConnection] = map[string]any(cb)
	}
	got, err := eval(c.token, "token")
	if err != nil {
		return nil, true, err
	}
	want, err := eval(c.value, "value")
	if err != nil {
		return nil, true, err
	}
	g, wt := value.Text(got), value.Text(want)
	if wt == "" || subtle.ConstantTimeCompare([]byte(g), []byte(wt)) != 1 {
		return nil, true, &app.VerifyError{Status: http.StatusForbidden, Message: "the handshake's verify token does not match the connection's"}
	}
	ans, err := eval(c.echo, "answer")
	if err != nil {
		return nil, true, err
	}
	return []byte(value.Text(ans)), true, nil
}
