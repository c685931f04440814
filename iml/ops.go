package iml

import (
	"math"
	"strings"
	"time"

	"github.com/weftworks/weft/value"
)

// binNode is a binary operator.
type binNode struct {
	op   string
	l, r node
	off  int
}

// newBinary builds an operator node, folding it when both sides are constants.
func newBinary(op string, l, r node, off int) node {
	n := &binNode{op: op, l: l, r: r, off: off}
	if _, ok := l.(*constNode); ok {
		if _, ok := r.(*constNode); ok {
			if v, err := n.eval(&zeroEnv); err == nil && !isIgnore(v) {
				return &constNode{v}
			}
		}
	}
	return n
}

func (n *binNode) eval(env *Env) (any, error) {
	a, err := n.l.eval(env)
	if err != nil {
		return nil, err
	}
	if isIgnore(a) {
		a = nil
	}
	// & and | short-circuit and yield booleans (value.Bool truthiness).
	switch n.op {
	case "&":
		if !value.Bool(a) {
			return false, nil
		}
		b, err := n.r.eval(env)
		if err != nil {
			return nil, err
		}
		return value.Bool(unignore(b)), nil
	case "|":
		if value.Bool(a) {
			return true, nil
		}
		b, err := n.r.eval(env)
		if err != nil {
			return nil, err
		}
		return value.Bool(unignore(b)), nil
	}
	b, err := n.r.eval(env)
	if err != nil {
		return nil, err
	}
	b = unignore(b)
	switch n.op {
	case "=":
		return value.Equal(a, b), nil
	case "!=":
		return !value.Equal(a, b), nil
	case "<":
		c, ok := compare(a, b, env.loc())
		return ok && c < 0, nil
	case "<=":
		c, ok := compare(a, b, env.loc())
		return ok && c <= 0, nil
	case ">":
		c, ok := compare(a, b, env.loc())
		return ok && c > 0, nil
	case ">=":
		c, ok := compare(a, b, env.loc())
		return ok && c >= 0, nil
	case "+":
		return plus(env, a, b)
	}
	x, err := arithOperand(n.op, a)
	if err != nil {
		return nil, err
	}
	y, err := arithOperand(n.op, b)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "-":
		return x - y, nil
	case "*":
		return x * y, nil
	case "/":
		if y == 0 {
			return nil, evalErr("", "division by zero (%s / 0)", value.FormatNumber(x))
		}
		return x / y, nil
	case "%":
		if y == 0 {
			return nil, evalErr("", "modulo by zero (%s %% 0)", value.FormatNumber(x))
		}
		return math.Mod(x, y), nil
	}
	return nil, evalErr("", "unknown operator %s", n.op)
}

func unignore(v any) any {
	if isIgnore(v) {
		return nil
	}
	return v
}

// plus adds numbers and concatenates anything else as text, as JavaScript's + does
// ("-" + 3 is "-3"); an empty operand counts as empty text next to text and as 0 next
// to a number.
func plus(env *Env, a, b any) (any, error) {
	if isNumeric(a) && isNumeric(b) {
		x, _ := arithOperand("+", a)
		y, _ := arithOperand("+", b)
		return x + y, nil
	}
	if a == nil && isNumber(b) {
		return arithOperand("+", b)
	}
	if b == nil && isNumber(a) {
		return arithOperand("+", a)
	}
	if lim := env.Limits; lim != nil {
		if err := lim.AsText(a, "+"); err != nil {
			return nil, err
		}
		if err := lim.AsText(b, "+"); err != nil {
			return nil, err
		}
		x, y := value.Text(a), value.Text(b)
		if err := lim.Text(len(x)+len(y), "+"); err != nil {
			return nil, err
		}
		return x + y, nil
	}
	return value.Text(a) + value.Text(b), nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case float64, int64:
		return true
	}
	return false
}

// isNumeric: values + adds rather than concatenates.
func isNumeric(v any) bool {
	switch v.(type) {
	case float64, int64, bool, time.Time:
		return true
	}
	return false
}

// arithOperand reads an operand of - * / % (and of + between numbers): numbers, numeric
// text, dates (milliseconds since the epoch, so date - date is a duration), booleans
// (1/0); empty is 0, as in JavaScript. Anything else is an error naming the operator.
func arithOperand(op string, v any) (float64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return 0, nil
		}
	}
	if f, ok := value.Number(v); ok {
		return f, nil
	}
	return 0, evalErr("", "operator %s needs numbers, got %s", op, describeValue(v))
}

// compare orders two values for < <= > >=: numbers (and numeric text next to a number)
// numerically, dates by instant (text next to a date is read as a date), two texts
// numerically when both are numbers and by code point otherwise. ok is false when the
// values cannot be ordered (the comparison is then false).
func compare(a, b any, loc *time.Location) (int, bool) {
	switch {
	case isDate(a) || isDate(b):
		x, ok1 := value.Date(a, loc)
		y, ok2 := value.Date(b, loc)
		if !ok1 || !ok2 {
			return 0, false
		}
		return x.Compare(y), true
	case isNumber(a) || isNumber(b):
		x, ok1 := value.Number(a)
		y, ok2 := value.Number(b)
		if !ok1 || !ok2 {
			return 0, false
		}
		return cmpFloat(x, y), true
	}
	sa, ok1 := a.(string)
	sb, ok2 := b.(string)
	if a == nil {
		sa, ok1 = "", true
	}
	if b == nil {
		sb, ok2 = "", true
	}
	if !ok1 || !ok2 {
		if ba, ok := a.(bool); ok {
			if bb, ok := b.(bool); ok {
				return cmpFloat(b2f(ba), b2f(bb)), true
			}
		}
		return 0, false
	}
	if x, ok := value.Number(sa); ok {
		if y, ok := value.Number(sb); ok {
			return cmpFloat(x, y), true
		}
	}
	return strings.Compare(sa, sb), true
}

func isDate(v any) bool {
	_, ok := v.(time.Time)
	return ok
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
