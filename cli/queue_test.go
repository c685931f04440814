package cli_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	root "github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/sqlite"
)

// TestQueueCommands: a payload whose run ended its instant scenario's run in error is
// set aside; `weft queue` lists and shows it with its error, retries it (back to
// waiting) and deletes it, beside the service that owns the queue.
func TestQueueCommands(t *testing.T) {
	srv, _, _ := standIn(t, 500)
	file := writeFile(t, "orders.json", orderBlueprint(srv.URL))
	code, out, errOut := weft(t, "", "scenarios", "create", file, "--activate", "--json")
	var sc struct{ ID int64 }
	if err := json.Unmarshal([]byte(out), &sc); err != nil || code != 0 {
		t.Fatalf("create: exit %d %v %s%s", code, err, out, errOut)
	}
	// The run fails (HTTP 500, a RuntimeError): the instant scenario is deactivated and
	// its payload set aside; the next one waits.
	dir, _ := dataDirs.Load(t.Name())
	st, err := sqlite.Open(t.Context(), filepath.Join(dir.(string), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(service.Config{Store: st, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"bad", "next"} {
		if _, err := svc.Enqueue(t.Context(), sc.ID, root.Bundle{"id": id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.DrainQueue(t.Context()); err != nil {
		t.Fatal(err)
	}
	scenario := strconv.FormatInt(sc.ID, 10)

	code, out, _ = weft(t, "", "queue", "list", "--scenario", scenario, "--json")
	var page struct {
		Items []root.QueueItemJSON `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &page); err != nil || code != 0 || len(page.Items) != 2 {
		t.Fatalf("queue list --json: exit %d %v\n%s", code, err, out)
	}
	dead, next := page.Items[0], page.Items[1]
	if dead.Status != root.QueueDead || dead.Error == nil || dead.Error.Type != root.RuntimeError || dead.Error.ModuleID != 2 ||
		dead.ExecutionID == nil || dead.DeadAt == nil || next.Status != root.QueueWaiting || next.Error != nil || next.ExecutionID != nil {
		t.Fatalf("queue list: %s", out)
	}
	deadID := strconv.FormatInt(dead.ID, 10)
	code, out, _ = weft(t, "", "queue", "list", "--status", "dead")
	if code != 0 || !strings.Contains(out, deadID+"  scenario "+scenario+"  dead") || !strings.Contains(out, "RuntimeError at module 2") ||
		strings.Count(out, "\n") != 1 {
		t.Fatalf("queue list --status dead: exit %d\n%s", code, out)
	}
	code, out, _ = weft(t, "", "queue", "show", deadID)
	if code != 0 || !strings.Contains(out, `payload: {"id":"bad"}`) || !strings.Contains(out, "weft queue retry "+deadID) {
		t.Fatalf("queue show: exit %d\n%s", code, out)
	}
	code, out, _ = weft(t, "", "queue", "show", deadID, "--json")
	var shown struct {
		Status  root.QueueStatus
		Payload map[string]any
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || code != 0 || shown.Status != root.QueueDead || shown.Payload["id"] != "bad" {
		t.Fatalf("queue show --json: exit %d %v\n%s", code, err, out)
	}

	code, out, _ = weft(t, "", "queue", "retry", "--scenario", scenario, "--all", "--json")
	if code != 0 || strings.TrimSpace(out) != `{"queued":1}` {
		t.Fatalf("queue retry: exit %d %s", code, out)
	}
	code, out, _ = weft(t, "", "queue", "list", "--scenario", scenario, "--status", "waiting", "--json")
	page.Items = nil
	if err := json.Unmarshal([]byte(out), &page); err != nil || code != 0 || len(page.Items) != 2 || page.Items[0].ID != dead.ID {
		t.Fatalf("after retry, both wait, the retried one first: %s", out)
	}
	if code, _, errOut := weft(t, "", "queue", "delete", "--scenario", scenario, "--all"); code == 0 || !strings.Contains(errOut, "--confirm") {
		t.Fatalf("delete all without --confirm: exit %d %s", code, errOut)
	}
	code, out, _ = weft(t, "", "queue", "delete", deadID)
	if code != 0 || !strings.Contains(out, "1 queued payload(s) deleted") {
		t.Fatalf("queue delete: exit %d %s", code, out)
	}
	code, out, _ = weft(t, "", "queue", "delete", "--scenario", scenario, "--all", "--confirm", "--json")
	if code != 0 || strings.TrimSpace(out) != `{"deleted":1}` {
		t.Fatalf("queue delete --all: exit %d %s", code, out)
	}
	if code, out, _ = weft(t, "", "queue", "list", "--scenario", scenario, "--json"); code != 0 || strings.TrimSpace(out) != `{"items":[],"nextCursor":null}` {
		t.Fatalf("queue after deletes: exit %d %s", code, out)
	}
}

func TestQueueArgumentErrors(t *testing.T) {
	for _, args := range [][]string{
		{"queue", "retry"},
		{"queue", "retry", "1", "--scenario", "1", "--all"},
		{"queue", "delete", "--all"},
		{"queue", "delete", "x"},
		{"queue", "delete", "1", "--except", "2"},
		{"queue", "delete", "--scenario", "1", "--all", "--confirm", "--status", "stuck"},
		{"queue", "list", "--status", "nope"},
		{"queue", "list", "--limit", "0"},
		{"queue", "show", "0"},
		{"queue", "show", "404"},
	} {
		if code, _, errOut := weft(t, "", args...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
