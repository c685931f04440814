// Package textparser is Make's Text parser app (regexp:*): Match pattern, Match pattern
// (advanced), Replace and HTML to text. Patterns are JavaScript regular expressions
// (package jsregex). See docs/modules-tools.md for fields and decisions.
package textparser

import (
	"context"
	"errors"
	"strconv"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/jsregex"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

// Specs returns the module types of the Text parser app.
func Specs() []app.Spec {
	return []app.Spec{parserSpec, advancedParserSpec, replaceSpec, htmlToTextSpec}
}

// noDeadline (a negative Spec.Timeout) runs a module without a per-bundle deadline:
// these modules do no I/O and their work is linear in their input, so they cannot hang.
const noDeadline = -1

// Register adds every Text parser module type to r.
func Register(r *app.Registry) error {
	for _, s := range Specs() {
		if err := r.Register(s); err != nil {
			return err
		}
	}
	return nil
}

// flagFields are the switches Make shows under every pattern. Case sensitivity is on
// unless turned off, as in JavaScript.
func flagFields() []app.Field {
	return []app.Field{
		{Name: "global", Label: "Global match", Type: app.TypeBoolean, Default: false,
			Help: "Find every match (one bundle each) instead of the first."},
		{Name: "sensitive", Label: "Case sensitive", Type: app.TypeBoolean, Default: true},
		{Name: "multiline", Label: "Multiline", Type: app.TypeBoolean, Default: false,
			Help: "^ and $ match at line starts and ends."},
		{Name: "singleline", Label: "Singleline", Type: app.TypeBoolean, Default: false,
			Help: ". matches line breaks too."},
	}
}

var continueField = app.Field{Name: "continueWhenNoRes", Type: app.TypeBoolean, Default: false,
	Label: "Continue the execution of the route even if the module finds no matches"}

// jsFlags turns Make's switches into JavaScript flags (g is left to the caller).
func jsFlags(b weft.Bundle) string {
	f := ""
	if !boolOr(b["sensitive"], true) {
		f += "i"
	}
	if boolOr(b["multiline"], false) {
		f += "m"
	}
	if boolOr(b["singleline"], false) {
		f += "s"
	}
	return f
}

func boolOr(v any, def bool) bool {
	if v == nil {
		return def
	}
	return value.Bool(v)
}

// patternError classifies a bad pattern: a person has to fix it.
func patternError(field string, err error) error {
	return weft.Errorf(weft.InvalidConfigurationError, "%s: %w", field, err)
}

// searchError classifies a search that hit the time or memory limit: the pattern may be
// fine for other texts, so it is this bundle's data that needs a look.
func searchError(err error) error {
	if errors.Is(err, jsregex.ErrTimeout) || errors.Is(err, jsregex.ErrTooComplex) {
		return weft.Errorf(weft.DataError, "text: %w", err)
	}
	return err
}

var parserSpec = app.Spec{
	Name: "regexp:Parser", Label: "Match pattern",
	Help: "Finds a JavaScript regular expression in a text; emits one bundle per match with " +
		"its groups as $1, $2… or by name, i and __IMTMATCH__ (the whole match).",
	Parameters: append([]app.Field{
		{Name: "pattern", Label: "Pattern", Type: app.TypeText, Required: true},
	}, append(flagFields(), continueField)...),
	Mapper: []app.Field{{Name: "text", Label: "Text", Type: app.TypeText}},
	New: func(cfg app.Config) (app.Module, error) {
		p := cfg.Parameters
		re, err := jsregex.Compile(value.Text(p["pattern"]), jsFlags(p))
		if err != nil {
			return nil, patternError("pattern", err)
		}
		m := &matcher{global: boolOr(p["global"], false), keepGoing: boolOr(p["continueWhenNoRes"], false)}
		return app.ModuleFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
			return m.run(ctx, re, value.Text(c.Input["text"]), groupFields)
		}), nil
	},
}

var advancedParserSpec = app.Spec{
	Name: "regexp:AdvancedParser", Label: "Match pattern (advanced)",
	Help: "Match pattern with the pattern in the mapper; each bundle has __IMTMATCH__ = " +
		"[whole match, group 1, group 2…] and value (group 1, or the whole match without groups).",
	Parameters: append(append(flagFields(), continueField),
		app.Field{Name: "advancedParser", Type: app.TypeBoolean, Help: "Hidden flag Make sets; ignored."}),
	Mapper: []app.Field{
		{Name: "pattern", Label: "Pattern", Type: app.TypeText, Required: true},
		{Name: "text", Label: "Text", Type: app.TypeText, Required: true},
	},
	New: func(cfg app.Config) (app.Module, error) {
		p := cfg.Parameters
		flags := jsFlags(p)
		m := &matcher{global: boolOr(p["global"], false), keepGoing: boolOr(p["continueWhenNoRes"], false)}
		cache := jsregex.NewCache(maxCachedPatterns)
		return app.ModuleFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
			re, err := cache.Compile(value.Text(c.Input["pattern"]), flags)
			if err != nil {
				return nil, patternError("pattern", err)
			}
			return m.run(ctx, re, value.Text(c.Input["text"]), arrayFields)
		}), nil
	},
}

// maxCachedPatterns bounds the compiled patterns a module keeps when they are mapped.
const maxCachedPatterns = 64

// matcher holds the switches shared by both parsers.
type matcher struct {
	global    bool // every match, one bundle each, with __IMTINDEX__/__IMTLENGTH__
	keepGoing bool // continueWhenNoRes: one bundle with empty fields when nothing matches
}

// fieldsFunc writes a match's fields into b; m is nil for the no-match bundle.
type fieldsFunc func(b weft.Bundle, re *jsregex.Regexp, m *jsregex.Match)

// The search runs within the run's limits (limits.FromContext): its regex budget, and
// no more matches than maxArrayItems.
func (p *matcher) run(ctx context.Context, re *jsregex.Regexp, text string, fields fieldsFunc) ([]weft.Bundle, error) {
	limit := 1
	if p.global {
		limit = -1
	}
	ms, err := re.FindAllIn(limits.FromContext(ctx), text, limit)
	if err != nil {
		return nil, searchError(err)
	}
	if len(ms) == 0 {
		if !p.keepGoing {
			return nil, nil // the route stops here, like a filter that does not pass
		}
		b := weft.Bundle{}
		fields(b, re, nil) // no `i`: `exist` on i tells whether something matched
		return []weft.Bundle{b}, nil
	}
	out := make([]weft.Bundle, len(ms))
	for k, m := range ms {
		b := weft.Bundle{"i": float64(k + 1)}
		fields(b, re, m)
		if p.global {
			b["__IMTINDEX__"] = float64(k + 1)
			b["__IMTLENGTH__"] = float64(len(ms))
		}
		out[k] = b
	}
	return out, nil
}

// groupFields is Match pattern's output: $n for unnamed groups (n counts every group,
// in pattern order, as JavaScript numbers them), named groups by their name, and
// __IMTMATCH__ the whole match. A group that took no part is empty text.
func groupFields(b weft.Bundle, re *jsregex.Regexp, m *jsregex.Match) {
	for n, name := range re.GroupNames() {
		key := name
		if key == "" {
			key = "$" + strconv.Itoa(n+1)
		}
		b[key] = ""
		if m != nil {
			b[key] = m.Groups[n].Text
		}
	}
	b["__IMTMATCH__"] = ""
	if m != nil {
		b["__IMTMATCH__"] = m.Text
	}
}

// arrayFields is Match pattern (advanced)'s output: __IMTMATCH__ is the JavaScript
// match array [whole, group 1, …] (so {{N.__IMTMATCH__[2]}} is group 1 in IML's 1-based
// indexing, as blueprint 033 uses it) and value is group 1, or the whole match for a
// pattern without groups (033 appends {{26.value}} to a sentence after a pattern whose
// only group captures the words after "<!channel> "). Groups that took no part are
// null, as in JavaScript.
func arrayFields(b weft.Bundle, re *jsregex.Regexp, m *jsregex.Match) {
	if m == nil {
		b["__IMTMATCH__"] = []any{}
		b["value"] = ""
		return
	}
	arr := make([]any, 1, len(m.Groups)+1)
	arr[0] = m.Text
	for _, g := range m.Groups {
		if g.Ok {
			arr = append(arr, g.Text)
		} else {
			arr = append(arr, nil)
		}
	}
	b["__IMTMATCH__"] = arr
	b["value"] = m.Text
	if len(m.Groups) > 0 {
		b["value"] = m.Groups[0].Text
	}
	for _, g := range m.Groups {
		if g.Name != "" {
			b[g.Name] = g.Text
		}
	}
}
