// Package rss is Make's RSS app: rss:TriggerNewArticle, a polling trigger that emits
// the articles a feed (RSS 2.0, RSS 1.0 or Atom, over HTTP) gained since the last
// committed run, oldest first (docs/triggers.md).
package rss

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/netpolicy"
)

// Options configure the app.
type Options struct {
	// Client fetches feeds. Defaults to a client with a 30 s dial timeout honouring
	// HTTPS_PROXY/HTTP_PROXY/NO_PROXY and Net.
	Client *http.Client
	// Net is the outbound network policy of the default client (docs/operations.md):
	// a feed at a denied address is an InvalidConfigurationError naming the rule.
	// Defaults to nil: everything allowed.
	Net *netpolicy.Policy
	// MaxBody caps a feed's size. Defaults to 20 MB.
	MaxBody int64
}

// Register adds the RSS modules with default options.
func Register(r *app.Registry) error { return RegisterOptions(r, Options{}) }

// RegisterOptions adds the RSS modules.
func RegisterOptions(r *app.Registry, o Options) error {
	if o.Client == nil {
		tr := &http.Transport{Proxy: http.ProxyFromEnvironment,
			TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 30 * time.Second, MaxIdleConnsPerHost: 4}
		o.Net.Guard(tr, &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second})
		o.Client = &http.Client{Transport: o.Net.RoundTripper(tr)}
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 20 << 20
	}
	if err := r.Register(readArticlesSpec(o)); err != nil {
		return err
	}
	return r.Register(app.Spec{Name: "rss:TriggerNewArticle", Label: "Watch RSS feed items", Kind: app.KindTrigger, Poll: true,
		Help: "Emits the articles of an RSS or Atom feed that are new since the last run, oldest first, at most maxResults per run.",
		Parameters: []app.Field{
			{Name: "url", Label: "URL", Type: app.TypeURL, Required: true, Help: "The feed's address (http or https)."},
			{Name: "maxResults", Label: "Maximum number of returned items", Type: app.TypeUInteger, Default: float64(1),
				Help: "How many new articles one run emits at most (the rest come in the next runs)."},
			{Name: "username", Label: "User name", Type: app.TypeText, Help: "For a feed behind HTTP basic authentication."},
			{Name: "password", Label: "Password", Type: app.TypeText},
			{Name: "gzip", Label: "Request compressed content", Type: app.TypeBoolean, Default: true,
				Help: "Accepted for Make's blueprints; weft always accepts gzip and decompresses it."},
			{Name: "include", Label: "Include", Type: app.TypeArray,
				Help: "Accepted for Make's blueprints; every field is output."},
		},
		New: func(cfg app.Config) (app.Module, error) { return &trigger{o: o}, nil },
	})
}

type trigger struct{ o Options }

// Run is never called for a polling trigger (the engine calls Poll).
func (t *trigger) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	return nil, weft.Errorf(weft.RuntimeError, "rss:TriggerNewArticle is a polling trigger: it runs as the first module")
}

// position is where the trigger stands: the newest date it emitted and the ids of the
// items it emitted at that date (several articles may share a second), plus the ids of
// undated items it emitted (bounded).
type position struct {
	Date    *time.Time `json:"date,omitempty"`
	AtDate  []string   `json:"atDate,omitempty"`
	Undated []string   `json:"undated,omitempty"`
}

// maxUndated bounds the ids of undated items a position remembers (a feed lists far
// fewer items than this).
const maxUndated = 1000

func (p *position) seen(a *article) bool {
	if !a.dated {
		return slices.Contains(p.Undated, a.id)
	}
	if p.Date == nil {
		return false
	}
	if a.date.Before(*p.Date) {
		return true
	}
	return a.date.Equal(*p.Date) && slices.Contains(p.AtDate, a.id)
}

// after returns the position once a has been emitted.
func (p position) after(a *article) position {
	switch {
	case !a.dated:
		p.Undated = append(slices.Clone(p.Undated), a.id)
		if len(p.Undated) > maxUndated {
			p.Undated = p.Undated[len(p.Undated)-maxUndated:]
		}
	case p.Date == nil || a.date.After(*p.Date):
		d := a.date
		p.Date, p.AtDate = &d, []string{a.id}
	case a.date.Equal(*p.Date):
		p.AtDate = append(slices.Clone(p.AtDate), a.id)
	}
	return p
}

func decodePosition(raw json.RawMessage) (position, error) {
	var p position
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, weft.Errorf(weft.InvalidConfigurationError, "the stored position of the RSS trigger is unreadable (%v): choose where it starts again", err)
	}
	return p, nil
}

// Poll emits the articles not seen yet, oldest first, at most maxResults.
func (t *trigger) Poll(ctx context.Context, c *app.Call, raw json.RawMessage) ([]app.PollItem, error) {
	pos, err := decodePosition(raw)
	if err != nil {
		return nil, err
	}
	arts, err := fetch(ctx, t.o, c.Params, c.Exec.Now())
	if err != nil {
		return nil, err
	}
	limit := maxResults(c.Params)
	var out []app.PollItem
	for _, a := range arts {
		if len(out) >= limit {
			break
		}
		if pos.seen(a) {
			continue
		}
		pos = pos.after(a)
		enc, err := json.Marshal(pos)
		if err != nil {
			return nil, err
		}
		out = append(out, app.PollItem{Bundle: a.bundle, Key: a.id, Position: enc})
	}
	return out, nil
}

// Start: "now" remembers every article the feed has; "all" none; "since" the date just
// before the chosen one; "last:N" every article but the N newest.
func (t *trigger) Start(ctx context.Context, c *app.Call, from app.StartFrom) (json.RawMessage, error) {
	var p position
	switch from.Mode {
	case app.StartAll:
		return json.RawMessage("null"), nil
	case app.StartSince:
		d := from.Since.UTC().Add(-time.Nanosecond)
		p.Date = &d
	case app.StartNow, app.StartLast:
		arts, err := fetch(ctx, t.o, c.Params, c.Exec.Now())
		if err != nil {
			return nil, err
		}
		keep := len(arts)
		if from.Mode == app.StartLast {
			keep = max(len(arts)-from.Last, 0)
		}
		for _, a := range arts[:keep] {
			p = p.after(a)
		}
		if from.Mode == app.StartNow && p.Date == nil {
			// An empty feed: articles from now on are the new ones.
			now := c.Exec.Now().UTC()
			p.Date = &now
		}
	default:
		return nil, fmt.Errorf("start %q: not a start mode", from.Mode)
	}
	return json.Marshal(p)
}

func maxResults(params weft.Bundle) int {
	switch v := params["maxResults"].(type) {
	case float64:
		if v >= 1 {
			return int(min(v, 100000))
		}
	case int:
		if v >= 1 {
			return min(v, 100000)
		}
	}
	return 1
}

// fetch downloads and parses the feed named by in (url, username, password: the
// trigger's parameters or the action's input) and returns its articles oldest first:
// by date when every article has one, else in reverse document order (feeds list the
// newest first).
func fetch(ctx context.Context, o Options, in weft.Bundle, now time.Time) ([]*article, error) {
	u, _ := in["url"].(string)
	u = strings.TrimSpace(u)
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "parameters.url: %q is not an http(s) address", u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "parameters.url: %v", err)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
	req.Header.Set("User-Agent", "weft")
	if user, _ := in["username"].(string); user != "" {
		pass, _ := in["password"].(string)
		req.SetBasicAuth(user, pass)
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, httpmod.ClassifyTransportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, o.MaxBody+1))
	if err != nil {
		return nil, httpmod.ClassifyTransportError(err)
	}
	if resp.StatusCode >= 400 {
		typ := httpmod.ErrorTypeForStatus(resp.StatusCode)
		e := weft.Errorf(typ, "[%d] the feed %s answered %s", resp.StatusCode, redact(u), http.StatusText(resp.StatusCode))
		e.RetryAfter = httpmod.RetryAfter(resp.Header.Get("Retry-After"), now)
		return nil, e
	}
	if int64(len(body)) > o.MaxBody {
		return nil, weft.Errorf(weft.MaxFileSizeExceededError, "the feed %s is larger than %d bytes", redact(u), o.MaxBody)
	}
	elems, err := parseFeed(body)
	if err != nil {
		return nil, weft.Errorf(weft.UnexpectedError, "the feed %s: %v", redact(u), err)
	}
	arts := make([]*article, len(elems))
	allDated := true
	for i, e := range elems {
		arts[i] = readItem(e)
		allDated = allDated && arts[i].dated
	}
	slices.Reverse(arts)
	if allDated {
		slices.SortStableFunc(arts, func(a, b *article) int { return a.date.Compare(b.date) })
	}
	return arts, nil
}

// redact drops credentials written into a URL.
func redact(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '@'); j >= 0 && !strings.Contains(u[i+3:i+3+j], "/") {
			return u[:i+3] + "***@" + u[i+3+j+1:]
		}
	}
	return u
}

var _ app.Poller = (*trigger)(nil)
