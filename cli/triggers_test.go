package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTriggersStartCommand(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<rss version="2.0"><channel><title>t</title>
			<item><title>two</title><guid>g2</guid><pubDate>Fri, 01 May 2026 10:00:00 +0000</pubDate></item>
			<item><title>one</title><guid>g1</guid><pubDate>Fri, 01 May 2026 09:00:00 +0000</pubDate></item></channel></rss>`)
	}))
	defer feed.Close()
	bp := writeFile(t, "rss.json", `{"name":"news","flow":[{"id":1,"module":"rss:TriggerNewArticle","version":4,
		"parameters":{"url":"`+feed.URL+`","maxResults":5},"mapper":{}},
		{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{1.title}}"}}],"metadata":{"version":1}}`)
	if code, out, errOut := weft(t, "", "scenarios", "create", bp, "--json"); code != 0 {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := weft(t, "", "triggers", "show", "1"); code == 0 || !strings.Contains(errOut, "not found") {
		t.Fatalf("show before any start: %d %s", code, errOut)
	}
	code, out, errOut := weft(t, "", "triggers", "start", "1", "--from", "last:1", "--json")
	var p struct {
		Module   string          `json:"module"`
		Start    string          `json:"start"`
		Position json.RawMessage `json:"position"`
		Version  int             `json:"version"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != 0 || p.Start != "last:1" || p.Module != "rss:TriggerNewArticle" ||
		!strings.Contains(string(p.Position), "g1") || strings.Contains(string(p.Position), "g2") {
		t.Fatalf("start last:1: %d %s %s", code, out, errOut)
	}
	if code, out, _ := weft(t, "", "triggers", "show", "1"); code != 0 || !strings.Contains(out, "start    last:1") {
		t.Fatalf("show: %d %s", code, out)
	}
	if code, out, _ := weft(t, "", "triggers", "start", "1", "--from", "2026-05-01"); code != 0 || !strings.Contains(out, "starts from 2026-05-01T00:00:00Z") {
		t.Fatalf("start since a date: %d %s", code, out)
	}
	if code, _, errOut := weft(t, "", "triggers", "start", "1", "--from", "yesterday"); code == 0 || !strings.Contains(errOut, "use now, all, last:N or a date") {
		t.Fatalf("start yesterday: %d %s", code, errOut)
	}
	hook := writeFile(t, "hook.json", `{"name":"h","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}}],"metadata":{"version":1}}`)
	weft(t, "", "scenarios", "create", hook)
	if code, _, errOut := weft(t, "", "triggers", "start", "2", "--from", "all"); code == 0 || !strings.Contains(errOut, "not a polling trigger") {
		t.Fatalf("start of a webhook scenario: %d %s", code, errOut)
	}
}
