package ui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The scenario page of a polling scenario shows where its trigger stands and sets
// where it starts; other scenarios have no such card.
func TestTriggerStartForm(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<rss version="2.0"><channel><title>t</title>
			<item><title>two</title><guid>g2</guid><pubDate>Fri, 01 May 2026 10:00:00 +0000</pubDate></item>
			<item><title>one</title><guid>g1</guid><pubDate>Fri, 01 May 2026 09:00:00 +0000</pubDate></item></channel></rss>`)
	}))
	defer feed.Close()
	e := newEnv(t)
	sc := e.scenario(`{"name":"news","flow":[{"id":1,"module":"rss:TriggerNewArticle","version":4,"parameters":{"url":"` + feed.URL + `","maxResults":5},"mapper":{}}],"metadata":{"version":1}}`)
	b := e.signedIn()
	path := "/scenarios/" + itoa(sc.ID)
	p := b.get(path)
	mustContain(t, p.body, `id="trigger"`, "rss:TriggerNewArticle", "No start chosen yet", `action="`+path+`/trigger/start"`)

	p = b.post(path+"/trigger/start", url.Values{"mode": {"last"}, "last": {"1"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("start last 1: %s", p)
	}
	p = b.get(path)
	mustContain(t, p.body, "The trigger starts from last:1.", "Starts from <strong>last:1</strong>", "g1")
	pos, err := e.svc.TriggerPosition(t.Context(), sc.ID)
	if err != nil || pos.Start != "last:1" || !strings.Contains(string(pos.Position), "g1") || strings.Contains(string(pos.Position), "g2") {
		t.Fatalf("stored position: %+v, %v", pos, err)
	}
	p = b.post(path+"/trigger/start", url.Values{"mode": {"since"}, "since": {"2026-05-01T09:30"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("start since: %s", p)
	}
	if pos, _ := e.svc.TriggerPosition(t.Context(), sc.ID); pos.Start != "2026-05-01T09:30:00Z" {
		t.Fatalf("since: %+v", pos)
	}
	p = b.post(path+"/trigger/start", url.Values{"mode": {"since"}, "since": {"yesterday"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "is not a date and time") {
		t.Fatalf("bad date: %s", p)
	}
	// A read-only session sees the position but no form.
	ro := e.browser()
	ro.signIn(e.token("scenarios:read"))
	mustContain(t, ro.get(path).body, `id="trigger"`)
	mustNotContain(t, ro.get(path).body, `/trigger/start"`)
	if p := ro.post(path+"/trigger/start", url.Values{"mode": {"all"}}); p.status != http.StatusForbidden {
		t.Fatalf("read-only start: %d", p.status)
	}

	hook := e.scenario(`{"name":"h","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}}],"metadata":{"version":1}}`)
	mustNotContain(t, b.get("/scenarios/"+itoa(hook.ID)).body, `id="trigger"`)
}
