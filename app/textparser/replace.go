package textparser

import (
	"context"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/jsregex"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

var replaceSpec = app.Spec{
	Name: "regexp:Replace", Label: "Replace",
	Help: "Replaces the first match of a JavaScript regular expression (every match when " +
		"global) with the new value, which may use $&, $1…$99, $<name>, $$, $` and $'; outputs `text`.",
	Mapper: append([]app.Field{
		{Name: "pattern", Label: "Pattern", Type: app.TypeText, Required: true},
		{Name: "value", Label: "New value", Type: app.TypeText},
	}, append(flagFields(), app.Field{Name: "text", Label: "Text", Type: app.TypeText})...),
	New: func(app.Config) (app.Module, error) {
		cache := jsregex.NewCache(maxCachedPatterns)
		return app.ModuleFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
			in := c.Input
			re, err := cache.Compile(value.Text(in["pattern"]), jsFlags(in))
			if err != nil {
				return nil, patternError("pattern", err)
			}
			out, err := re.ReplaceIn(limits.FromContext(ctx), value.Text(in["text"]), value.Text(in["value"]), boolOr(in["global"], false))
			if err != nil {
				return nil, searchError(err)
			}
			return []weft.Bundle{{"text": out}}, nil
		}), nil
	},
}
