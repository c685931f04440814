package rss_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/rss"
)

func readSpec(t *testing.T) *app.Spec {
	t.Helper()
	return apptest.Spec(t, rss.Register, "rss:ActionReadArticles")
}

const rss2 = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Construction Dive</title>
  <item><title>Newest</title><link>https://ex.test/3</link><guid>g3</guid><pubDate>Thu, 05 Mar 2026 09:00:00 +0000</pubDate><description>d3</description></item>
  <item><title>Middle</title><link>https://ex.test/2</link><guid>g2</guid><pubDate>Tue, 03 Mar 2026 09:00:00 +0000</pubDate><description>d2</description></item>
  <item><title>Oldest</title><link>https://ex.test/1</link><guid>g1</guid><pubDate>Sun, 01 Feb 2026 09:00:00 +0000</pubDate><description>d1</description></item>
</channel></rss>`

// rss:ActionReadArticles (blueprints 001 and 357): the feed is read each time, newest
// first, within the dates, at most maxResults; a feed behind basic authentication gets
// the mapper's credentials.
func TestReadArticles(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, rss2)
	}))
	t.Cleanup(srv.Close)
	titles := func(out []weft.Bundle) string {
		var s []string
		for _, b := range out {
			s = append(s, fmt.Sprint(b["title"]))
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		name, want string
		mapper     weft.Bundle
	}{
		// Blueprint 357's mapper: no dates, 50 at most.
		{"every article, newest first", "Newest,Middle,Oldest",
			weft.Bundle{"url": srv.URL + "/.rss", "gzip": true, "password": "", "username": "", "maxResults": "50", "filterDateTo": "", "filterDateFrom": ""}},
		// Blueprint 001's mapper: the last 30 days up to a date, 2 at most.
		{"within dates", "Middle",
			weft.Bundle{"url": srv.URL, "gzip": true, "maxResults": "2", "filterDateFrom": "2026-02-02T00:00:00Z", "filterDateTo": "2026-03-04"}},
		{"limit", "Newest", weft.Bundle{"url": srv.URL, "maxResults": 1.0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := apptest.Run(context.Background(), readSpec(t), weft.Bundle{"include": []any{}}, tc.mapper, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(out); got != tc.want {
				t.Fatalf("articles %s; want %s", got, tc.want)
			}
		})
	}
	out, err := apptest.Run(context.Background(), readSpec(t), nil,
		weft.Bundle{"url": srv.URL, "maxResults": 1.0, "username": "ann", "password": "pw"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := out[0]["dateCreated"].(time.Time); !d.Equal(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)) || out[0]["url"] != "https://ex.test/3" {
		t.Fatalf("bundle %v", out[0])
	}
	mu.Lock()
	defer mu.Unlock()
	if auth[len(auth)-1] != "Basic YW5uOnB3" || auth[0] != "" {
		t.Fatalf("authorization %q", auth)
	}
}

// The feed's failures, directly and in the engine.
func TestReadArticlesErrors(t *testing.T) {
	answer := func(status int, body string) func(testing.TB, *apptest.ErrorCase) {
		return func(t testing.TB, c *apptest.ErrorCase) {
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(status)
				io.WriteString(w, body)
			}))
			t.Cleanup(s.Close)
			c.Mapper["url"] = s.URL + "/feed"
		}
	}
	m := weft.Bundle{"maxResults": 5.0}
	apptest.CheckErrors(t, readSpec(t), []apptest.ErrorCase{
		{Name: "not found", Mapper: m, Setup: answer(404, "no"), Want: weft.DataError, WantMessage: "[404] the feed"},
		{Name: "needs credentials", Mapper: m, Setup: answer(401, ""), Want: weft.InvalidAccessTokenError},
		{Name: "down", Mapper: m, Setup: answer(503, ""), Want: weft.ConnectionError},
		{Name: "not a feed", Mapper: m, Setup: answer(200, "<html><body>hi</body></html>"), Want: weft.UnexpectedError},
		{Name: "refused", Mapper: m, Want: weft.ConnectionError, Setup: func(t testing.TB, c *apptest.ErrorCase) {
			s := httptest.NewServer(http.NotFoundHandler())
			s.Close()
			c.Mapper["url"] = s.URL
		}},
	})
}
