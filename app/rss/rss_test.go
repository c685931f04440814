package rss_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/rss"
	"github.com/weftworks/weft/netpolicy"
	"github.com/weftworks/weft/value"
)

type exec struct{ app.Execution }

func (exec) Now() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }

func poller(t *testing.T, url string, params weft.Bundle) (app.Poller, *app.Call) {
	t.Helper()
	r := app.NewRegistry()
	if err := rss.Register(r); err != nil {
		t.Fatal(err)
	}
	spec, _ := r.Lookup("rss:TriggerNewArticle")
	if !spec.Poll || spec.Kind != app.KindTrigger {
		t.Fatalf("spec %+v", spec)
	}
	p := weft.Bundle{"url": url, "maxResults": 10.0}
	for k, v := range params {
		p[k] = v
	}
	m, err := spec.New(app.Config{Parameters: p})
	if err != nil {
		t.Fatal(err)
	}
	return m.(app.Poller), &app.Call{Params: p, Exec: exec{}}
}

func serve(t *testing.T, body string) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && (u != "ann" || p != "pw") {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

const atom = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
  <title>Example</title>
  <entry><title>Second</title><id>urn:2</id><link rel="alternate" href="https://ex.test/2"/><link rel="enclosure" href="https://ex.test/2.mp3" type="audio/mpeg" length="123"/>
    <updated>2026-04-02T10:00:00Z</updated><published>2026-04-02T09:00:00Z</published><summary>s2</summary><content type="html">&lt;p&gt;c2&lt;/p&gt;</content>
    <author><name>Ann</name></author><category term="news"/><media:thumbnail url="https://ex.test/2.jpg" width="120"/></entry>
  <entry><title>First</title><id>urn:1</id><link href="https://ex.test/1"/><updated>2026-04-01T10:00:00Z</updated><summary>s1</summary></entry>
</feed>`

// An Atom feed: the bundle has the corpus's interface fields, oldest first; the
// position moves past each.
func TestAtomFeed(t *testing.T) {
	p, c := poller(t, serve(t, atom), nil)
	items, err := p.Poll(context.Background(), c, nil)
	if err != nil || len(items) != 2 {
		t.Fatalf("poll: %d items, %v", len(items), err)
	}
	b := items[1].Bundle
	want := map[string]any{"title": "Second", "url": "https://ex.test/2", "summary": "s2", "description": "<p>c2</p>", "author": "Ann",
		"categories": []any{"news"}, "image": map[string]any{"title": "", "url": "https://ex.test/2.jpg"},
		"enclosures": []any{map[string]any{"url": "https://ex.test/2.mp3", "type": "audio/mpeg", "length": 123.0}}}
	for k, v := range want {
		if string(value.JSON(b[k])) != string(value.JSON(v)) {
			t.Errorf("%s = %s, want %s", k, value.JSON(b[k]), value.JSON(v))
		}
	}
	if d, _ := b["dateUpdated"].(time.Time); !d.Equal(time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("dateUpdated %v", b["dateUpdated"])
	}
	if d, _ := b["dateCreated"].(time.Time); !d.Equal(time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("dateCreated %v", b["dateCreated"])
	}
	if items[0].Bundle["title"] != "First" || items[0].Key != "urn:1" {
		t.Errorf("oldest first: %v", items[0].Bundle["title"])
	}
	rest, err := p.Poll(context.Background(), c, items[0].Position)
	if err != nil || len(rest) != 1 || rest[0].Key != "urn:2" {
		t.Fatalf("after the first: %+v, %v", rest, err)
	}
	if none, _ := p.Poll(context.Background(), c, items[1].Position); len(none) != 0 {
		t.Fatalf("after both: %d", len(none))
	}
}

const rdf = `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel><title>t</title></channel>
  <item><title>B</title><link>https://ex.test/b</link></item>
  <item><title>A</title><link>https://ex.test/a</link><dc:creator>Bob</dc:creator></item>
</rdf:RDF>`

// Undated items (RSS 1.0 here) come in reverse document order and are remembered by id.
func TestUndatedFeedAndStart(t *testing.T) {
	url := serve(t, rdf)
	p, c := poller(t, url, weft.Bundle{"maxResults": 1.0})
	items, err := p.Poll(context.Background(), c, nil)
	if err != nil || len(items) != 1 || items[0].Bundle["title"] != "A" || items[0].Bundle["author"] != "Bob" {
		t.Fatalf("limit 1, oldest first: %+v, %v", items, err)
	}
	next, _ := p.Poll(context.Background(), c, items[0].Position)
	if len(next) != 1 || next[0].Bundle["title"] != "B" {
		t.Fatalf("next: %+v", next)
	}
	now, err := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartNow})
	if err != nil {
		t.Fatal(err)
	}
	if none, _ := p.Poll(context.Background(), c, now); len(none) != 0 {
		t.Fatalf("from now on: %d items", len(none))
	}
	last, _ := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartLast, Last: 1})
	if got, _ := p.Poll(context.Background(), c, last); len(got) != 1 || got[0].Bundle["title"] != "B" {
		t.Fatalf("last 1: %+v", got)
	}
	// Undated items cannot start since a date: every one is new.
	since, _ := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartSince, Since: time.Now()})
	var pos map[string]any
	json.Unmarshal(since, &pos)
	if pos["date"] == nil {
		t.Fatalf("since: %s", since)
	}
}

// Failures are typed for the engine: an unreachable feed is a ConnectionError, a
// refused one by its status, a document that is no feed an UnexpectedError.
func TestFeedErrors(t *testing.T) {
	for _, tc := range []struct {
		body string
		url  string
		want weft.ErrorType
	}{
		{body: "<html><body>hi</body></html>", want: weft.UnexpectedError},
		{body: "not xml <", want: weft.UnexpectedError},
		{url: "http://127.0.0.1:1/feed", want: weft.ConnectionError},
		{url: "ftp://example.test/feed", want: weft.InvalidConfigurationError},
	} {
		u := tc.url
		if u == "" {
			u = serve(t, tc.body)
		}
		p, c := poller(t, u, nil)
		_, err := p.Poll(context.Background(), c, nil)
		if we := weft.AsError(err); err == nil || we.Type != tc.want {
			t.Errorf("%q %q: %v, want %s", tc.url, tc.body, err, tc.want)
		}
	}
	p, c := poller(t, serve(t, atom), weft.Bundle{"username": "ann", "password": "wrong"})
	if _, err := p.Poll(context.Background(), c, nil); weft.AsError(err).Type != weft.InvalidAccessTokenError {
		t.Errorf("wrong password: %v", err)
	}
	p, c = poller(t, serve(t, atom), weft.Bundle{"username": "ann", "password": "pw"})
	if items, err := p.Poll(context.Background(), c, nil); err != nil || len(items) != 2 {
		t.Errorf("basic auth: %d, %v", len(items), err)
	}
	if _, err := p.Poll(context.Background(), c, json.RawMessage(`{"date":3}`)); weft.AsError(err).Type != weft.InvalidConfigurationError {
		t.Errorf("unreadable position: %v", err)
	}
}

// Under an outbound policy that denies loopback (weft serve's default), a feed on
// 127.0.0.1 is refused with an InvalidConfigurationError naming the rule.
func TestFeedUnderNetworkPolicy(t *testing.T) {
	url := serve(t, atom)
	r := app.NewRegistry()
	if err := rss.RegisterOptions(r, rss.Options{Net: netpolicy.Server()}); err != nil {
		t.Fatal(err)
	}
	spec, _ := r.Lookup("rss:TriggerNewArticle")
	params := weft.Bundle{"url": url, "maxResults": 1.0}
	m, _ := spec.New(app.Config{Parameters: params})
	_, err := m.(app.Poller).Poll(context.Background(), &app.Call{Params: params, Exec: exec{}}, nil)
	if we := weft.AsError(err); err == nil || we.Type != weft.InvalidConfigurationError || !strings.Contains(we.Message, "loopback") {
		t.Fatalf("feed on loopback under the server policy: %v", err)
	}
}

// BenchmarkPoll fetches and reads a 100-item RSS feed from 127.0.0.1 and emits the one
// item after the position (the steady state of a scheduled feed).
func BenchmarkPoll(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>`)
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := 99; i >= 0; i-- {
		fmt.Fprintf(&sb, `<item><title>Article %d</title><link>https://ex.test/%d</link><guid>g%d</guid><pubDate>%s</pubDate>`+
			`<description>%s</description><category>news</category><media:thumbnail url="https://ex.test/%d.jpg"/></item>`,
			i, i, i, t0.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z), strings.Repeat("text ", 100), i)
	}
	sb.WriteString(`</channel></rss>`)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, sb.String()) }))
	defer s.Close()
	r := app.NewRegistry()
	rss.Register(r)
	spec, _ := r.Lookup("rss:TriggerNewArticle")
	params := weft.Bundle{"url": s.URL, "maxResults": 10.0}
	m, _ := spec.New(app.Config{Parameters: params})
	p, c := m.(app.Poller), &app.Call{Params: params, Exec: exec{}}
	all, err := p.Poll(context.Background(), c, nil)
	if err != nil || len(all) != 10 {
		b.Fatalf("%d, %v", len(all), err)
	}
	last, _ := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartLast, Last: 1})
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	for b.Loop() {
		items, err := p.Poll(context.Background(), c, last)
		if err != nil || len(items) != 1 {
			b.Fatalf("%d, %v", len(items), err)
		}
	}
}
