package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// Choose where a polling trigger starts through the API, against a stand-in feed; the
// feed failing is a 502 naming it; a webhook scenario has no trigger position (409).
func TestTriggerStartAPI(t *testing.T) {
	var failing atomic.Bool
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, `<rss version="2.0"><channel><title>t</title>
			<item><title>two</title><guid>g2</guid><pubDate>Fri, 01 May 2026 10:00:00 +0000</pubDate></item>
			<item><title>one</title><guid>g1</guid><pubDate>Fri, 01 May 2026 09:00:00 +0000</pubDate></item></channel></rss>`)
	}))
	defer feed.Close()
	e := newEnv(t)
	sc := e.create(`{"name":"news","flow":[{"id":1,"module":"rss:TriggerNewArticle","version":4,"parameters":{"url":"` + feed.URL + `","maxResults":5},"mapper":{}}],"metadata":{"version":1}}`)
	path := "/scenarios/" + id(sc) + "/trigger"
	if code, _, _ := e.do("GET", path, nil).err(t); code != "not_found" {
		t.Fatalf("before a start: %s", code)
	}
	p := e.must(200, e.do("PUT", path+"/start", `{"from":"last:1"}`))
	if p["start"] != "last:1" || p["module"] != "rss:TriggerNewArticle" || p["version"] != float64(1) ||
		!strings.Contains(fmt.Sprint(p["position"]), "g1") {
		t.Fatalf("start: %v", p)
	}
	if g := e.must(200, e.do("GET", path, nil)); fmt.Sprint(g) != fmt.Sprint(p) {
		t.Fatalf("get %v, want %v", g, p)
	}
	if p := e.must(200, e.do("PUT", path+"/start", `{"from":"2026-05-01T09:30:00Z"}`)); p["start"] != "2026-05-01T09:30:00Z" {
		t.Fatalf("since: %v", p)
	}
	if code, _, d := e.do("PUT", path+"/start", `{"from":"tomorrow"}`).err(t); code != "invalid_input" || d["field"] != "from" {
		t.Fatalf("bad from: %s %v", code, d)
	}
	if code, _, _ := e.do("PUT", path+"/start", `{}`).err(t); code != "invalid_input" {
		t.Fatalf("no from: %s", code)
	}
	failing.Store(true)
	r := e.do("PUT", path+"/start", `{"from":"now"}`)
	if code, msg, _ := r.err(t); r.status != 502 || code != "trigger_failed" || !strings.Contains(msg, "503") {
		t.Fatalf("failing feed: %d %s", r.status, r.body)
	}
	hook := e.create(`{"name":"h","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}}],"metadata":{"version":1}}`)
	if r := e.do("PUT", "/scenarios/"+id(hook)+"/trigger/start", `{"from":"all"}`); r.status != 409 {
		t.Fatalf("webhook scenario: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/scenarios/999/trigger", nil); r.status != 404 {
		t.Fatalf("missing scenario: %d", r.status)
	}
}
