package declarative_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// youtubeAPI is a stand-in for search.list with channelId, type video and order date
// (newest first), publishedAfter / publishedBefore (at or after, before) and pages of
// two results, as the YouTube Data API documents them.
type youtubeAPI struct {
	*standIn
	mu     sync.Mutex
	videos []map[string]any
}

func newYouTubeAPI(t *testing.T) *youtubeAPI {
	y := &youtubeAPI{}
	y.standIn = newStandIn(t)
	y.fn = func(r *http.Request, _ string) reply {
		q := r.URL.Query()
		if r.URL.Path != "/youtube/v3/search" || q.Get("part") != "snippet" || q.Get("type") != "video" || q.Get("order") != "date" {
			return reply{status: 400, body: `{"error":{"code":400,"message":"Invalid request","errors":[{"reason":"badRequest"}]}}`}
		}
		if q.Get("channelId") != "UC123" {
			return reply{status: 404, body: `{"error":{"code":404,"message":"Channel not found.","errors":[{"reason":"channelNotFound","domain":"youtube.search"}]}}`}
		}
		parse := func(k string) (time.Time, bool) {
			s := q.Get(k)
			t, err := time.Parse(time.RFC3339Nano, s)
			return t, s != "" && err == nil
		}
		after, hasAfter := parse("publishedAfter")
		before, hasBefore := parse("publishedBefore")
		y.mu.Lock()
		var list []any
		sorted := append([]map[string]any(nil), y.videos...)
		sort.SliceStable(sorted, func(i, j int) bool {
			return sorted[i]["snippet"].(map[string]any)["publishedAt"].(string) > sorted[j]["snippet"].(map[string]any)["publishedAt"].(string)
		})
		for _, v := range sorted {
			at, _ := time.Parse(time.RFC3339, v["snippet"].(map[string]any)["publishedAt"].(string))
			if hasAfter && at.Before(after) || hasBefore && !at.Before(before) {
				continue
			}
			list = append(list, v)
		}
		y.mu.Unlock()
		start, _ := strconv.Atoi(q.Get("pageToken"))
		end := min(start+2, len(list))
		page := map[string]any{"kind": "youtube#searchListResponse", "items": list[start:end]}
		if end < len(list) {
			page["nextPageToken"] = strconv.Itoa(end)
		}
		b, _ := json.Marshal(page)
		return ok(string(b))
	}
	return y
}

func (y *youtubeAPI) publish(id, at string) {
	y.mu.Lock()
	defer y.mu.Unlock()
	y.videos = append(y.videos, map[string]any{"kind": "youtube#searchResult", "etag": "e-" + id,
		"id": map[string]any{"kind": "youtube#video", "videoId": id},
		"snippet": map[string]any{"publishedAt": at, "channelId": "UC123", "title": "Video " + id, "description": "about " + id,
			"channelTitle": "Chan", "liveBroadcastContent": "none", "publishTime": at}})
}

// youtube:pollingVideos (blueprints 377, 378): the channel's videos published since
// the position, newest first from the API, emitted oldest first, limit per run.
func TestYouTubeWatchVideos(t *testing.T) {
	y := newYouTubeAPI(t)
	y.publish("v1", "2026-03-01T10:00:00Z")
	y.publish("v2", "2026-03-01T11:00:00Z")
	spec := shipped(t, "youtube", "pollingVideos", y.standIn)
	p, c := pollerOf(t, spec, googleCreds, `{"channelId": "UC123", "publishedBefore": null, "publishedAfter": null, "limit": 2}`)
	pos, err := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartNow})
	if err != nil {
		t.Fatal(err)
	}
	first := y.requests()[0]
	if q, _ := url.ParseQuery(first.Query); first.Path != "/youtube/v3/search" || q.Get("channelId") != "UC123" ||
		q.Get("maxResults") != "50" || q.Has("publishedAfter") || first.Header.Get("Authorization") != "Bearer ya29.secret" {
		t.Fatalf("request %s?%s", first.Path, first.Query)
	}
	for i, at := range []string{"2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"} {
		y.publish(fmt.Sprintf("v%d", i+3), at)
	}
	keys, pos2, items := pollKeys(t, p, c, pos)
	if fmt.Sprint(keys) != "[v3 v4]" {
		t.Fatalf("first run %v; want [v3 v4]", keys)
	}
	last := y.requests()[len(y.requests())-1]
	if q, _ := url.ParseQuery(last.Query); q.Get("publishedAfter") != "2026-03-01T11:00:00Z" {
		t.Fatalf("poll asks publishedAfter %q; want the position", q.Get("publishedAfter"))
	}
	sameJSON(t, "bundle", items[0].Bundle, `{"kind":"youtube#searchResult","etag":"e-v3","id":{"kind":"youtube#video","videoId":"v3"},
		"snippet":{"publishedAt":"2026-03-02T08:00:00Z","channelId":"UC123","title":"Video v3","description":"about v3",
		"channelTitle":"Chan","liveBroadcastContent":"none","publishTime":"2026-03-02T08:00:00Z"}}`)
	if keys, _, _ := pollKeys(t, p, c, pos2); fmt.Sprint(keys) != "[v5]" {
		t.Fatalf("second run %v", keys)
	}

	// publishedAfter / publishedBefore bound what "all" emits.
	p2, c2 := pollerOf(t, spec, googleCreds, `{"channelId": "UC123", "publishedAfter": "2026-03-01T10:30:00Z", "publishedBefore": "2026-03-02T09:00:00Z", "limit": 10}`)
	all, err := p2.Start(context.Background(), c2, app.StartFrom{Mode: app.StartAll})
	if err != nil {
		t.Fatal(err)
	}
	if keys, _, _ := pollKeys(t, p2, c2, all); fmt.Sprint(keys) != "[v2 v3]" {
		t.Fatalf("within the dates: %v", keys)
	}
	last = y.requests()[len(y.requests())-1]
	if q, _ := url.ParseQuery(last.Query); q.Get("publishedAfter") != "2026-03-01T10:30:00Z" || q.Get("publishedBefore") != "2026-03-02T09:00:00Z" {
		t.Fatalf("dates sent: %s", last.Query)
	}
}

func TestYouTubeWatchVideosErrors(t *testing.T) {
	ytErr := func(code int, reason, msg string) reply {
		return reply{status: code, body: `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","errors":[{"reason":"` + reason + `","domain":"youtube"}]}}`}
	}
	for _, tc := range []struct {
		name string
		r    reply
		typ  weft.ErrorType
		msg  string
	}{
		{"no such channel", ytErr(404, "channelNotFound", "Channel not found."), weft.DataError, "[404] Channel not found."},
		{"daily quota", ytErr(403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota."), weft.RateLimitError, "exceeded your quota"},
		{"rate", ytErr(403, "rateLimitExceeded", "Rate Limit Exceeded"), weft.RateLimitError, "Rate Limit"},
		{"forbidden", ytErr(403, "forbidden", "Access forbidden."), weft.InvalidConfigurationError, "Access forbidden."},
		{"expired token", ytErr(401, "authError", "Invalid Credentials"), weft.InvalidAccessTokenError, "Invalid Credentials"},
		{"backend", ytErr(503, "backendError", "Backend Error"), weft.ConnectionError, "Backend Error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, tc.r)
			p, c := pollerOf(t, shipped(t, "youtube", "pollingVideos", s), googleCreds, `{"channelId": "UC123", "limit": 1}`)
			_, err := p.Poll(context.Background(), c, json.RawMessage(`{"date":"2026-03-01T00:00:00Z","atDate":["v0"]}`))
			apptest.WantError(t, err, tc.typ, tc.msg)
		})
	}
}
