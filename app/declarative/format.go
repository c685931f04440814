package declarative

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/value"
)

// appDef is one compiled definition file: an app, its connection and its modules.
type appDef struct {
	file    string
	name    string
	label   string
	baseURL string            // after the overrides of Options and the environment
	urls    map[string]string // base.urls (baseurls.go)
	headers node
	qs      node
	err     *errorDef // base.response.error, the default of every module
	conn    connDef
	modules []*moduleDef
}

// connDef is the connection section: how the stored credentials reach a request.
type connDef struct {
	typ    string // none, custom, apiKey, basic, bearer
	param  string // the module parameter naming the connection (Make's __IMTCONN__)
	fields []app.Field
	// secrets names the fields removed from every message: those declared with type
	// password, or every field when none is declared.
	secrets []string
	in      string // apiKey: header or query
	name    string // apiKey: header or query parameter name
	value   node   // apiKey value, bearer token
	scheme  string // bearer: the Authorization scheme (Bearer; Discord's bots say Bot)
	user    node   // basic
	pass    node   // basic
	// oauth2: the provider (package oauth) whose endpoints a connection without its
	// own uses, and the scopes the app's modules need.
	provider string
	scopes   []string
}

type moduleDef struct {
	app     *appDef
	name    string
	label   string
	help    string
	params  []app.Field
	mapper  []app.Field
	open    bool
	timeout time.Duration
	// comm is the module's one request (a communication object), which triggers and
	// webhooks send; steps are the requests an action sends in order (Make's
	// communication arrays; &comm alone for an object). An action's bundles are those
	// of the last step that ran (steps.go).
	comm  commDef
	steps []*commDef
	// trigger makes the module a polling trigger (communication.response.trigger);
	// epoch is its "Choose where to start" section (trigger.go).
	trigger *triggerDef
	epoch   *epochDef
	// webhook makes the module an instant trigger (webhook.go).
	webhook *webhookDef
}

type commDef struct {
	url    node
	method string
	// methodTmpl, when set, computes the method from the input (one of methods): an
	// upsert that creates with POST and updates with PATCH.
	methodTmpl node
	headers    node
	qs         node
	body       node
	bodyType   string // json, urlencoded, text, related, multipart, binary
	temp       node
	resp       respDef
	pag        *pagDef
	poll       *pollDef // poll.go
	// condition, when set, runs the step only when it is true (steps.go).
	condition node
	// each, when set, runs the step once per element of its array, as item and index.
	each node
	// authorize is false when the connection's credentials must not be sent (a URL
	// that carries its own credentials, a token the definition places itself).
	authorize bool
	// outputOnly: a step without url, which sends nothing and outputs resp.output.
	outputOnly bool
}

type respDef struct {
	output  node
	iterate *iterDef
	limit   node
	err     *errorDef
	// temp is evaluated against the response and merged into temp for the steps
	// after this one (with each: one array element per run).
	temp node
	// binary keeps a successful body as bytes (a download), whatever its type says.
	binary bool
}

type iterDef struct {
	container node
	condition node
	filter    *filterDef
	sortKey   node
	sortOrder node
}

type filterDef struct {
	conditions node // Make filter groups: [[{a, o, b}]]
	operand    node // the value compared for one condition (item, index, condition)
}

type errorDef struct {
	condition  node
	typ        node
	message    node
	retryAfter node
}

type pagDef struct {
	url       node
	headers   node
	qs        node
	body      node
	condition node
	maxPages  int
	merge     bool
}

// Limits of a definition.
const (
	defaultMaxPages = 100
	maxMaxPages     = 10000
)

var (
	appNamePattern    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	moduleNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// obj reads one JSON object of a definition, naming its pointer in every error.
type obj struct {
	m   map[string]any
	ptr string
}

func asObj(v any, ptr string) (obj, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return obj{}, errAt(ptr, "must be an object, got %s", value.Kind(v))
	}
	return obj{m: m, ptr: ptr}, nil
}

// only rejects keys not in allowed, so a misspelt section is an error, not a silent
// default.
func (o obj) only(allowed ...string) error {
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return errAt(o.at(k), "unknown key (expected one of %s)", strings.Join(allowed, ", "))
		}
	}
	return nil
}

func (o obj) at(k string) string { return o.ptr + "/" + escape(k) }

func (o obj) has(k string) bool { _, ok := o.m[k]; return ok }

func (o obj) str(k string, required bool) (string, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		if required {
			return "", errAt(o.at(k), "required")
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", errAt(o.at(k), "must be text, got %s", value.Kind(v))
	}
	if required && strings.TrimSpace(s) == "" {
		return "", errAt(o.at(k), "required")
	}
	return s, nil
}

func (o obj) boolean(k string, def bool) (bool, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, errAt(o.at(k), "must be true or false, got %s", value.Kind(v))
	}
	return b, nil
}

func (o obj) integer(k string, def, lo, hi int) (int, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) || int(f) < lo || int(f) > hi {
		return 0, errAt(o.at(k), "must be a whole number from %d to %d", lo, hi)
	}
	return int(f), nil
}

func (o obj) object(k string) (obj, bool, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return obj{}, false, nil
	}
	c, err := asObj(v, o.at(k))
	return c, err == nil, err
}

// node compiles an optional value; absent is nil.
func (o obj) node(k string, sc scope) (node, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return nil, nil
	}
	return compileNode(v, o.at(k), sc)
}

// collection compiles an optional object of templates (headers, qs).
func (o obj) collection(k string, sc scope) (node, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return nil, nil
	}
	if _, err := asObj(v, o.at(k)); err != nil {
		return nil, err
	}
	return compileNode(v, o.at(k), sc)
}

// decodeApp compiles one definition file's JSON. baseURL, when not empty, replaces
// base.baseUrl.
func decodeApp(file string, doc any, overrideURL func(name string) (string, error)) (*appDef, error) {
	root, err := asObj(doc, "")
	if err != nil {
		return nil, err
	}
	if err := root.only("name", "label", "help", "base", "connection", "modules"); err != nil {
		return nil, err
	}
	a := &appDef{file: file}
	if a.name, err = root.str("name", true); err != nil {
		return nil, err
	}
	if !appNamePattern.MatchString(a.name) {
		return nil, errAt("/name", "%q is not an app name (lower case letters, digits and -, as in google-sheets)", a.name)
	}
	if a.label, err = root.str("label", false); err != nil {
		return nil, err
	}
	if _, err = root.str("help", false); err != nil {
		return nil, err
	}
	base, ok, err := root.object("base")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errAt("/base", "required (base.baseUrl is where the service lives)")
	}
	if err := decodeBase(a, base); err != nil {
		return nil, err
	}
	if u, err := overrideURL(a.name); err != nil {
		return nil, err
	} else if u != "" {
		a.baseURL = u
		a.overrideURLs(u)
	}
	if err := decodeConnection(a, root); err != nil {
		return nil, err
	}
	mods, ok, err := root.object("modules")
	if err != nil {
		return nil, err
	}
	if !ok || len(mods.m) == 0 {
		return nil, errAt("/modules", "required: at least one module")
	}
	names := make([]string, 0, len(mods.m))
	for k := range mods.m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, n := range names {
		if !moduleNamePattern.MatchString(n) {
			return nil, errAt(mods.at(n), "%q is not a module name (letters, digits and _, as in CreateMessage)", n)
		}
		mo, err := asObj(mods.m[n], mods.at(n))
		if err != nil {
			return nil, err
		}
		m, err := decodeModule(a, n, mo)
		if err != nil {
			return nil, err
		}
		a.modules = append(a.modules, m)
	}
	return a, nil
}

func decodeBase(a *appDef, base obj) error {
	if err := base.only("baseUrl", "urls", "headers", "qs", "response"); err != nil {
		return err
	}
	if err := decodeBaseURLs(a, base); err != nil {
		return err
	}
	u, err := base.str("baseUrl", true)
	if err != nil {
		return err
	}
	if err := checkBaseURL(u); err != nil {
		return errAt(base.at("baseUrl"), "%v", err)
	}
	a.baseURL = u
	if a.headers, err = base.collection("headers", scopeRequest); err != nil {
		return err
	}
	if a.qs, err = base.collection("qs", scopeRequest); err != nil {
		return err
	}
	resp, ok, err := base.object("response")
	if err != nil || !ok {
		return err
	}
	if err := resp.only("error"); err != nil {
		return err
	}
	a.err, err = decodeError(resp)
	return err
}

// checkBaseURL accepts an absolute http(s) URL without templates, query or fragment.
func checkBaseURL(u string) error {
	if strings.Contains(u, "{{") {
		return fmt.Errorf("%q: a base URL is plain text (it is what WEFT_APP_BASEURL_… replaces)", u)
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https URL", u)
	}
	if p.RawQuery != "" || p.Fragment != "" {
		return fmt.Errorf("%q: a base URL has no query or fragment (use base.qs)", u)
	}
	return nil
}

func decodeConnection(a *appDef, root obj) error {
	c, ok, err := root.object("connection")
	if err != nil {
		return err
	}
	a.conn = connDef{typ: "none", param: "__IMTCONN__"}
	if !ok {
		return nil
	}
	if err := c.only("type", "parameter", "fields", "in", "name", "value", "token", "scheme", "username", "password", "provider", "scopes"); err != nil {
		return err
	}
	typ, err := c.str("type", true)
	if err != nil {
		return err
	}
	a.conn.typ = typ
	if p, err := c.str("parameter", false); err != nil {
		return err
	} else if p != "" {
		a.conn.param = p
	}
	if a.conn.fields, err = decodeFields(c, "fields"); err != nil {
		return err
	}
	if list, ok := c.m["fields"].([]any); ok {
		for _, f := range list {
			if m, ok := f.(map[string]any); ok && m["type"] == "password" {
				a.conn.secrets = append(a.conn.secrets, value.Text(m["name"]))
			}
		}
	}
	allowed := map[string][]string{
		"none": {}, "custom": {}, "apiKey": {"in", "name", "value"}, "bearer": {"token", "scheme"},
		"basic": {"username", "password"}, "oauth2": {"provider", "scopes"},
	}
	switch typ {
	case "none", "custom", "apiKey", "bearer", "basic", "oauth2":
	default:
		return errAt(c.at("type"), "%q is not a connection type (none, custom, apiKey, basic, bearer, oauth2)", typ)
	}
	for _, k := range []string{"in", "name", "value", "token", "scheme", "username", "password", "provider", "scopes"} {
		if c.has(k) && !slices.Contains(allowed[typ], k) {
			return errAt(c.at(k), "not used by a %s connection", typ)
		}
	}
	tmpl := func(k, def string) (node, error) {
		if !c.has(k) {
			return compileNode(def, c.at(k), scopeConnection)
		}
		return c.node(k, scopeConnection)
	}
	switch typ {
	case "apiKey":
		if a.conn.in, err = c.str("in", false); err != nil {
			return err
		}
		if a.conn.in == "" {
			a.conn.in = "header"
		}
		if a.conn.in != "header" && a.conn.in != "query" {
			return errAt(c.at("in"), "%q: an API key goes in the header or the query", a.conn.in)
		}
		if a.conn.name, err = c.str("name", true); err != nil {
			return err
		}
		a.conn.value, err = tmpl("value", "{{connection.key}}")
	case "bearer":
		if a.conn.scheme, err = c.str("scheme", false); err != nil {
			return err
		}
		if a.conn.scheme == "" {
			a.conn.scheme = "Bearer"
		}
		if strings.ContainsAny(a.conn.scheme, " \r\n") {
			return errAt(c.at("scheme"), "%q: a scheme is one word (Bearer, Bot)", a.conn.scheme)
		}
		a.conn.value, err = tmpl("token", "{{connection.accessToken}}")
	case "basic":
		if a.conn.user, err = tmpl("username", "{{connection.username}}"); err == nil {
			a.conn.pass, err = tmpl("password", "{{connection.password}}")
		}
	case "oauth2":
		if a.conn.provider, err = c.str("provider", true); err != nil {
			return err
		}
		if _, ok := oauth.Lookup(a.conn.provider); !ok {
			return errAt(c.at("provider"), "%q is not an OAuth provider weft knows (%s)", a.conn.provider, oauth.ProviderNames())
		}
		if v, ok := c.m["scopes"]; ok {
			list, isList := v.([]any)
			if !isList {
				return errAt(c.at("scopes"), "must be an array of texts")
			}
			for i, s := range list {
				t, isText := s.(string)
				if !isText || strings.TrimSpace(t) == "" {
					return errAt(fmt.Sprintf("%s/%d", c.at("scopes"), i), "a scope is a non-empty text")
				}
				a.conn.scopes = append(a.conn.scopes, t)
			}
		}
	}
	return err
}

func decodeModule(a *appDef, name string, o obj) (*moduleDef, error) {
	if err := o.only("label", "help", "parameters", "mapper", "openMapper", "timeout", "communication", "epoch", "webhook"); err != nil {
		return nil, err
	}
	m := &moduleDef{app: a, name: name}
	var err error
	if m.label, err = o.str("label", false); err != nil {
		return nil, err
	}
	if m.help, err = o.str("help", false); err != nil {
		return nil, err
	}
	if m.params, err = decodeFields(o, "parameters"); err != nil {
		return nil, err
	}
	if m.mapper, err = decodeFields(o, "mapper"); err != nil {
		return nil, err
	}
	if m.open, err = o.boolean("openMapper", false); err != nil {
		return nil, err
	}
	secs, err := o.integer("timeout", 0, 1, 300)
	if err != nil {
		return nil, err
	}
	m.timeout = time.Duration(secs) * time.Second
	if a.conn.typ != "none" && !slices.ContainsFunc(m.params, func(f app.Field) bool { return f.Name == a.conn.param }) {
		m.params = append([]app.Field{{Name: a.conn.param, Label: "Connection", Type: app.TypeAny, Required: true,
			Help: "The connection holding the " + a.name + " credentials."}}, m.params...)
	}
	if _, isList := o.m["communication"].([]any); isList {
		// Several requests: an action's (a trigger's and a webhook's are one request).
		for _, k := range []string{"webhook", "epoch"} {
			if o.has(k) {
				return nil, errAt(o.at(k), "a module whose communication is several requests is an action: it has no %s", k)
			}
		}
		m.steps, err = decodeSteps(a, o)
		return m, err
	}
	comm, ok, err := o.object("communication")
	if err != nil {
		return nil, err
	}
	if !ok && o.has("webhook") {
		// An instant trigger sends nothing when it runs: its payload arrives.
		return m, decodeWebhook(a, m, o)
	}
	if !ok {
		return nil, errAt(o.at("communication"), "required")
	}
	if o.has("webhook") {
		return nil, errAt(o.at("communication"), "an instant trigger (webhook) has no communication of its own: its requests are attach and detach")
	}
	if err := decodeCommunication(a, &m.comm, comm, triggerRoots(comm)...); err != nil {
		return nil, err
	}
	m.steps = []*commDef{&m.comm}
	if resp, ok, _ := comm.object("response"); ok {
		if m.trigger, err = decodeTrigger(resp); err != nil {
			return nil, err
		}
	}
	if m.epoch, err = decodeEpoch(o); err != nil {
		return nil, err
	}
	if m.epoch != nil && m.trigger == nil {
		return nil, errAt(o.at("epoch"), "only a polling trigger (communication.response.trigger) has an epoch")
	}
	if m.trigger != nil && len(m.mapper) > 0 {
		return nil, errAt(o.at("mapper"), "a polling trigger runs first and maps nothing: declare its fields as parameters")
	}
	if m.trigger != nil && (m.comm.condition != nil || m.comm.each != nil || !m.comm.authorize) {
		return nil, errAt(o.at("communication"), "a polling trigger's request has no condition, each or authorize")
	}
	return m, nil
}

var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

func decodeCommunication(a *appDef, c *commDef, o obj, extra ...string) error {
	// extra roots: an instant trigger's attach and detach requests read {{webhook.…}};
	// a step with each reads its element as item and index everywhere.
	if o.has("each") {
		extra = append(slices.Clone(extra), rootItem, rootIndex)
	}
	scopeRequest, scopeTemp, scopeResponse := scopeRequest.with(extra...), scopeTemp.with(extra...), scopeResponse.with(extra...)
	if err := o.only("url", "method", "headers", "qs", "body", "type", "temp", "response", "pagination", "poll",
		"condition", "each", "authorize"); err != nil {
		return err
	}
	var err error
	if err := decodeStepControl(c, o); err != nil {
		return err
	}
	if _, err = o.str("url", true); err != nil {
		return err
	}
	if c.url, err = o.node("url", scopeRequest.with(extra...)); err != nil {
		return err
	}
	method, err := o.str("method", false)
	if err != nil {
		return err
	}
	if strings.Contains(method, "{{") {
		// Chosen by the input: checked when evaluated (request.go).
		if c.methodTmpl, err = o.node("method", scopeRequest); err != nil {
			return err
		}
		method = "GET"
	}
	c.method = strings.ToUpper(method)
	if c.method == "" {
		c.method = "GET"
	}
	if !slices.Contains(methods, c.method) {
		return errAt(o.at("method"), "%q is not an HTTP method (%s)", method, strings.Join(methods, ", "))
	}
	if c.headers, err = o.collection("headers", scopeRequest.with(extra...)); err != nil {
		return err
	}
	if c.qs, err = o.collection("qs", scopeRequest.with(extra...)); err != nil {
		return err
	}
	if c.body, err = o.node("body", scopeRequest.with(extra...)); err != nil {
		return err
	}
	if c.bodyType, err = o.str("type", false); err != nil {
		return err
	}
	switch c.bodyType {
	case "":
		c.bodyType = "json"
	case "json", "urlencoded", "text", "related", "multipart", "binary":
	default:
		return errAt(o.at("type"), "%q is not a body type (json, urlencoded, text, related, multipart, binary)", c.bodyType)
	}
	if c.temp, err = o.collection("temp", scopeTemp.with(extra...)); err != nil {
		return err
	}
	if err := decodeResponse(a, &c.resp, o, extra...); err != nil {
		return err
	}
	if c.poll, err = decodePoll(o, scopeResponse); err != nil {
		return err
	}
	if c.poll != nil && o.has("pagination") {
		return errAt(o.at("poll"), "a request that waits for its job (poll) has no pagination")
	}
	pag, ok, err := o.object("pagination")
	if err != nil || !ok {
		return err
	}
	c.pag, err = decodePagination(pag, extra...)
	return err
}

func decodeResponse(a *appDef, r *respDef, comm obj, extra ...string) error {
	o, ok, err := comm.object("response")
	if err != nil {
		return err
	}
	if !ok {
		o = obj{m: map[string]any{}, ptr: comm.at("response")}
	}
	if err := o.only("output", "iterate", "limit", "error", "temp", "type", "trigger"); err != nil {
		return err
	}
	switch t, err := o.str("type", false); {
	case err != nil:
		return err
	case t == "binary":
		r.binary = true
	case t != "" && t != "auto":
		return errAt(o.at("type"), "%q is not a response type (auto, binary)", t)
	}
	if it, ok := o.m["iterate"]; ok && it != nil {
		if r.iterate, err = decodeIterate(it, o.at("iterate"), extra...); err != nil {
			return err
		}
	}
	outScope, def := scopeResponse.with(extra...), "{{body}}"
	if r.iterate != nil {
		outScope, def = scopeItem.with(extra...), "{{item}}"
	}
	if r.temp, err = o.collection("temp", scopeResponse.with(extra...)); err != nil {
		return err
	}
	if o.has("output") {
		r.output, err = o.node("output", outScope)
	} else {
		r.output, err = compileNode(def, o.at("output"), outScope)
	}
	if err != nil {
		return err
	}
	if r.limit, err = o.node("limit", scopeRequest.with(extra...)); err != nil {
		return err
	}
	r.err = a.err
	if o.has("error") {
		own, err := decodeError(o, extra...)
		if err != nil {
			return err
		}
		r.err = own.over(a.err)
	}
	return nil
}

func decodeIterate(v any, ptr string, extra ...string) (*iterDef, error) {
	if s, ok := v.(string); ok {
		c, err := compileNode(s, ptr, scopeResponse.with(extra...))
		return &iterDef{container: c}, err
	}
	o, err := asObj(v, ptr)
	if err != nil {
		return nil, err
	}
	if err := o.only("container", "condition", "filter", "sort"); err != nil {
		return nil, err
	}
	it := &iterDef{}
	if _, err := o.str("container", true); err != nil {
		return nil, err
	}
	if it.container, err = o.node("container", scopeResponse.with(extra...)); err != nil {
		return nil, err
	}
	if it.condition, err = o.node("condition", scopeItem.with(extra...)); err != nil {
		return nil, err
	}
	if f, ok, err := o.object("filter"); err != nil {
		return nil, err
	} else if ok {
		if err := f.only("conditions", "operand"); err != nil {
			return nil, err
		}
		it.filter = &filterDef{}
		if _, err := f.str("conditions", true); err != nil {
			return nil, err
		}
		if it.filter.conditions, err = f.node("conditions", scopeRequest.with(extra...)); err != nil {
			return nil, err
		}
		if !f.has("operand") {
			return nil, errAt(f.at("operand"), "required: the value a condition's a names in the item")
		}
		if it.filter.operand, err = f.node("operand", scopeOperand.with(extra...)); err != nil {
			return nil, err
		}
	}
	if s, ok, err := o.object("sort"); err != nil {
		return nil, err
	} else if ok {
		if err := s.only("key", "order"); err != nil {
			return nil, err
		}
		if !s.has("key") {
			return nil, errAt(s.at("key"), "required")
		}
		if it.sortKey, err = s.node("key", scopeItem.with(extra...)); err != nil {
			return nil, err
		}
		if it.sortOrder, err = s.node("order", scopeRequest.with(extra...)); err != nil {
			return nil, err
		}
	}
	return it, nil
}

func decodeError(parent obj, extra ...string) (*errorDef, error) {
	o, ok, err := parent.object("error")
	if err != nil || !ok {
		return nil, err
	}
	if err := o.only("condition", "type", "message", "retryAfter"); err != nil {
		return nil, err
	}
	e := &errorDef{}
	sc := scopeResponse.with(extra...)
	if e.condition, err = o.node("condition", sc); err != nil {
		return nil, err
	}
	if e.typ, err = o.node("type", sc); err != nil {
		return nil, err
	}
	if e.message, err = o.node("message", sc); err != nil {
		return nil, err
	}
	if e.retryAfter, err = o.node("retryAfter", sc); err != nil {
		return nil, err
	}
	return e, nil
}

// over fills e's missing parts from base (a module's error section refines the base's).
func (e *errorDef) over(base *errorDef) *errorDef {
	if e == nil {
		return base
	}
	if base == nil {
		return e
	}
	out := *e
	if out.condition == nil {
		out.condition = base.condition
	}
	if out.typ == nil {
		out.typ = base.typ
	}
	if out.message == nil {
		out.message = base.message
	}
	if out.retryAfter == nil {
		out.retryAfter = base.retryAfter
	}
	return &out
}

func decodePagination(o obj, extra ...string) (*pagDef, error) {
	if err := o.only("url", "headers", "qs", "body", "condition", "maxPages", "mergeWithParent"); err != nil {
		return nil, err
	}
	p := &pagDef{}
	var err error
	sc := scopePagination.with(extra...)
	if p.url, err = o.node("url", sc); err != nil {
		return nil, err
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
	if p.condition, err = o.node("condition", sc); err != nil {
		return nil, err
	}
	if p.url == nil && p.qs == nil && p.body == nil && p.headers == nil {
		return nil, errAt(o.ptr, "a pagination changes the url, qs, body or headers of the next request")
	}
	if p.maxPages, err = o.integer("maxPages", defaultMaxPages, 1, maxMaxPages); err != nil {
		return nil, err
	}
	if p.merge, err = o.boolean("mergeWithParent", true); err != nil {
		return nil, err
	}
	return p, nil
}
