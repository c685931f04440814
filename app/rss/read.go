package rss

import (
	"context"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// readArticlesSpec is Make's "Retrieve RSS feed items": an action that reads a feed
// each time it runs (no position) and outputs its articles, newest first, within the
// dates asked, at most maxResults.
func readArticlesSpec(o Options) app.Spec {
	return app.Spec{Name: "rss:ActionReadArticles", Label: "Retrieve RSS feed items",
		Help: "Reads an RSS or Atom feed and outputs one bundle per article, newest first, published within the dates given, at most maxResults.",
		Parameters: []app.Field{
			{Name: "include", Label: "Include", Type: app.TypeArray, Help: "Accepted for Make's blueprints; every field is output."},
		},
		Mapper: []app.Field{
			{Name: "url", Label: "URL", Type: app.TypeURL, Required: true, Help: "The feed's address (http or https)."},
			{Name: "username", Label: "User name", Type: app.TypeText, Help: "For a feed behind HTTP basic authentication."},
			{Name: "password", Label: "Password", Type: app.TypeText},
			{Name: "filterDateFrom", Label: "Date from", Type: app.TypeDate, Help: "Only articles published at or after this date."},
			{Name: "filterDateTo", Label: "Date to", Type: app.TypeDate, Help: "Only articles published at or before this date."},
			{Name: "maxResults", Label: "Maximum number of returned items", Type: app.TypeUInteger, Required: true, Default: float64(1)},
			{Name: "gzip", Label: "Request compressed content", Type: app.TypeBoolean, Default: true,
				Help: "Accepted for Make's blueprints; weft always accepts gzip and decompresses it."},
		},
		New: func(app.Config) (app.Module, error) { return &reader{o: o}, nil },
	}
}

type reader struct{ o Options }

func (r *reader) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	arts, err := fetch(ctx, r.o, c.Input, c.Exec.Now())
	if err != nil {
		return nil, err
	}
	slices.Reverse(arts) // newest first
	from, hasFrom := c.Input["filterDateFrom"].(time.Time)
	to, hasTo := c.Input["filterDateTo"].(time.Time)
	limit := maxResults(c.Input)
	var out []weft.Bundle
	for _, a := range arts {
		if len(out) >= limit {
			break
		}
		if hasFrom || hasTo {
			// An article without a date cannot be shown to lie within the dates.
			if !a.dated || hasFrom && a.created.Before(from) || hasTo && a.created.After(to) {
				continue
			}
		}
		out = append(out, a.bundle)
	}
	return out, nil
}
