package declarative

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// The names a definition's templates read ({{parameters.channel}}, {{body.ok}}). The
// scenario grammar of package iml has no such roots (a bare name is empty there), so
// compile rewrites each root to a variable group (parameters.x → var.parameters.x)
// before parsing, and evaluation passes the values as iml.Env.Variables.
const (
	rootParameters = "parameters" // static parameters and mapper input merged (mapper wins)
	rootConnection = "connection" // the connection's stored credentials
	rootTemp       = "temp"       // the communication's temp section, evaluated first
	rootBody       = "body"       // the response body, parsed when it is JSON
	rootHeaders    = "headers"    // response headers, lower-case names
	rootStatus     = "statusCode" // response status
	rootItem       = "item"       // the current element of iterate or $map
	rootIndex      = "index"      // its 1-based position
	rootCondition  = "condition"  // the filter condition whose operand is computed
	rootPagination = "pagination" // {page, offset} while building the next page's request
	rootWebhook    = "webhook"    // an instant trigger's hook: {url, secret, …what attach kept}
	rootRawBody    = "rawBody"    // the text of a request an instant trigger verifies
	rootPosition   = "position"   // a polling trigger's stored position: {date, id} (trigger.go)
	// rootIdem is the module call's idempotency key (app.Execution.IdempotencyKey): the
	// same in every attempt of an incomplete execution, for services that deduplicate.
	rootIdem = "idempotencyKey"
	// rootQuery is the query of a call an instant trigger answers itself (a service's
	// handshake, webhook_challenge.go): one text per name, repeated names as arrays.
	rootQuery = "query"
)

var allRoots = []string{rootParameters, rootConnection, rootTemp, rootBody, rootHeaders,
	rootStatus, rootItem, rootIndex, rootCondition, rootPagination, rootWebhook, rootRawBody, rootPosition, rootIdem,
	rootQuery}

// scope is the set of roots a template may read where it stands.
type scope []string

func (s scope) with(names ...string) scope {
	out := slices.Clone(s)
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

var (
	scopeConnection = scope{rootConnection}
	// temp reads the temp of the steps before (empty in the first).
	scopeTemp       = scope{rootParameters, rootConnection, rootTemp, rootIdem}
	scopeRequest    = scope{rootParameters, rootConnection, rootTemp, rootIdem}
	scopeResponse   = scopeRequest.with(rootBody, rootHeaders, rootStatus)
	scopeItem       = scopeResponse.with(rootItem, rootIndex)
	scopeOperand    = scopeItem.with(rootCondition)
	scopePagination = scopeResponse.with(rootPagination)
)

// node is a compiled definition value: a template, a collection or array of nodes, or
// a transform. Nodes are immutable; one serves every run.
type node interface {
	eval(env *iml.Env) (any, error)
}

// compileError is a problem in a definition, located by its JSON pointer.
type compileError struct {
	ptr string
	msg string
}

func (e *compileError) Error() string { return e.ptr + ": " + e.msg }

func errAt(ptr, format string, args ...any) error {
	return &compileError{ptr: ptr, msg: fmt.Sprintf(format, args...)}
}

// compileNode compiles a definition value: strings are templates over the roots in sc,
// objects and arrays are compiled element by element, and an object with one key
// starting with "$" is a transform.
func compileNode(v any, ptr string, sc scope) (node, error) {
	switch x := v.(type) {
	case string:
		return compileTemplate(x, ptr, sc)
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if strings.HasPrefix(k, "$") {
					return compileTransform(k, arg, ptr+"/"+escape(k), sc)
				}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := mapNode{keys: keys, vals: make([]node, len(keys))}
		for i, k := range keys {
			n, err := compileNode(x[k], ptr+"/"+escape(k), sc)
			if err != nil {
				return nil, err
			}
			m.vals[i] = n
		}
		return m, nil
	case []any:
		a := arrayNode{elems: make([]node, len(x))}
		for i, e := range x {
			n, err := compileNode(e, ptr+"/"+strconv.Itoa(i), sc)
			if err != nil {
				return nil, err
			}
			a.elems[i] = n
		}
		return a, nil
	}
	return constNode{value.Normalize(v)}, nil
}

// escape escapes a key for an RFC 6901 pointer.
func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// compileTemplate parses one template after rewriting its roots.
func compileTemplate(src, ptr string, sc scope) (node, error) {
	if !strings.Contains(src, "{{") {
		return constNode{src}, nil
	}
	rewritten, used, shift := rewriteRoots(src)
	t, err := iml.ParseTemplate(rewritten)
	if err != nil {
		var se *iml.SyntaxError
		if errors.As(err, &se) {
			return nil, errAt(ptr, "template %q: syntax error at offset %d: %s", src, shift(se.Offset), se.Msg)
		}
		return nil, errAt(ptr, "template %q: %v", src, err)
	}
	if refs := t.Refs(); len(refs) > 0 {
		return nil, errAt(ptr, "template %q reads module %d's output: an app definition has no upstream modules (use parameters.…)", src, refs[0].Module)
	}
	if unknown := t.UnknownNames(); len(unknown) > 0 {
		return nil, errAt(ptr, "template %q: unknown name %q (a template reads %s)", src, unknown[0], strings.Join(sc, ", "))
	}
	for _, u := range used {
		if !slices.Contains(sc, u) {
			return nil, errAt(ptr, "template %q: %s is not available here (only %s)", src, u, strings.Join(sc, ", "))
		}
	}
	return tmplNode{t: t, ptr: ptr}, nil
}

// rewriteRoots turns every root name that starts a reference inside {{…}} into a
// variable reference (body.ok → var.body.ok). Text outside the braces, string literals,
// backtick names and path steps after a dot are left alone. It returns the roots used
// and a function mapping an offset in the result back to the source.
func rewriteRoots(src string) (string, []string, func(int) int) {
	var b strings.Builder
	var used []string
	var inserts []int // offsets in the result where "var." was inserted
	i := 0
	for i < len(src) {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			b.WriteString(src[i:])
			break
		}
		j += i + 2
		b.WriteString(src[i:j])
		// Inside an expression until "}}" outside a string.
		prev := byte('{')
		k := j
	expr:
		for k < len(src) {
			c := src[k]
			switch {
			case c == '}' && k+1 < len(src) && src[k+1] == '}':
				b.WriteString("}}")
				k += 2
				break expr
			case c == '"':
				end := k + 1
				for end < len(src) {
					if src[end] == '"' {
						if end+1 < len(src) && src[end+1] == '"' {
							end += 2
							continue
						}
						break
					}
					end++
				}
				end = min(end+1, len(src))
				b.WriteString(src[k:end])
				k = end
				prev = '"'
				continue
			case c == '`':
				end := strings.IndexByte(src[k+1:], '`')
				if end < 0 {
					b.WriteString(src[k:])
					k = len(src)
					continue
				}
				b.WriteString(src[k : k+end+2])
				k += end + 2
				prev = '`'
				continue
			case isIdentByte(c) && !(c >= '0' && c <= '9'):
				end := k
				for end < len(src) && isIdentByte(src[end]) {
					end++
				}
				word := src[k:end]
				if prev != '.' && slices.Contains(allRoots, word) && !followedBy(src, end, '(') {
					inserts = append(inserts, b.Len())
					b.WriteString("var.")
					if !slices.Contains(used, word) {
						used = append(used, word)
					}
				}
				b.WriteString(word)
				k = end
				prev = 'a'
				continue
			}
			b.WriteByte(c)
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				prev = c
			}
			k++
		}
		i = k
	}
	shift := func(off int) int {
		n := 0
		for _, at := range inserts {
			if at < off {
				n += len("var.")
			}
		}
		return off - n
	}
	return b.String(), used, shift
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func followedBy(s string, at int, c byte) bool {
	for at < len(s) && (s[at] == ' ' || s[at] == '\t') {
		at++
	}
	return at < len(s) && s[at] == c
}

type constNode struct{ v any }

func (n constNode) eval(*iml.Env) (any, error) { return n.v, nil }

type tmplNode struct {
	t   *iml.Template
	ptr string
}

func (n tmplNode) eval(env *iml.Env) (any, error) {
	v, err := n.t.Eval(env)
	if err != nil {
		return nil, &evalError{ptr: n.ptr, err: err}
	}
	return v, nil
}

// evalError is a template that failed at run time, located in the definition.
type evalError struct {
	ptr string
	err error
}

func (e *evalError) Error() string { return e.ptr + ": " + e.err.Error() }
func (e *evalError) Unwrap() error { return e.err }

// mapNode builds a collection. A key whose value is null or ignore is left out, so a
// definition sends an optional field only when it has a value.
type mapNode struct {
	keys []string
	vals []node
}

func (n mapNode) eval(env *iml.Env) (any, error) {
	out := make(map[string]any, len(n.keys))
	for i, k := range n.keys {
		v, err := n.vals[i].eval(env)
		if err != nil {
			return nil, err
		}
		if v == nil || v == iml.Ignore {
			continue
		}
		out[k] = v
	}
	return out, nil
}

// arrayNode builds an array; elements evaluating to ignore are left out (nulls stay:
// an API may give them a meaning, such as "leave this cell" in Google Sheets).
type arrayNode struct{ elems []node }

func (n arrayNode) eval(env *iml.Env) (any, error) {
	out := make([]any, 0, len(n.elems))
	for _, e := range n.elems {
		v, err := e.eval(env)
		if err != nil {
			return nil, err
		}
		if v == iml.Ignore {
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

// evalVars evaluates n with the given roots.
func evalVars(n node, base *iml.Env, vars map[string]any) (any, error) {
	if n == nil {
		return nil, nil
	}
	env := *base
	env.Variables = vars
	v, err := n.eval(&env)
	if v == iml.Ignore {
		v = nil
	}
	return v, err
}
