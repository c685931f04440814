package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store"
)

// The scenario page shows the trigger queue: the payload set aside after the error run
// that deactivated the scenario, with its error and Retry/Delete, and the one waiting
// behind it; Retry puts it back, Delete removes it; a token without webhooks:read sees
// no queue.
func TestScenarioPageShowsTheQueue(t *testing.T) {
	e := newEnv(t)
	down := newStandIn(t, 500)
	sc := e.scenario(forwardBlueprint("Orders", down.srv.URL))
	if _, err := e.svc.SetActive(t.Context(), sc.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"A-1", "A-2"} {
		acc, err := e.svc.Accept(t.Context(), sc.ID, weft.Bundle{"orderId": order}, true)
		if err != nil {
			t.Fatal(err)
		}
		if acc.Inline {
			if _, err := e.svc.RunAccepted(t.Context(), acc); err != nil {
				t.Fatal(err)
			}
		}
	}
	items, err := e.svc.ListQueue(t.Context(), store.QueueFilter{ScenarioID: sc.ID})
	if err != nil || len(items) != 2 || items[0].Dead == nil {
		t.Fatalf("queue %v %v", items, err)
	}
	dead, waiting := items[0], items[1]
	b := e.signedIn()
	path := fmt.Sprintf("/scenarios/%d", sc.ID)
	p := b.get(path)
	mustContain(t, p.body, `id="queue"`, "2 payload(s)", "<strong>1 set aside</strong>",
		fmt.Sprintf(`<tr data-item="%d"><td class="num">%d</td>`, dead.ID, dead.ID), `<span class="badge error">dead</span>`,
		"RuntimeError at module 2", fmt.Sprintf(`action="%s/queue/%d/retry"`, path, dead.ID),
		fmt.Sprintf(`action="%s/queue/%d/delete"`, path, waiting.ID))
	mustNotContain(t, p.body, fmt.Sprintf(`action="%s/queue/%d/retry"`, path, waiting.ID))

	p = b.post(fmt.Sprintf("%s/queue/%d/retry", path, dead.ID), nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("retry: %s", p)
	}
	mustContain(t, b.get(path).body, fmt.Sprintf("Payload %d is back in the queue", dead.ID), "2 payload(s)")
	if it, _, err := e.svc.GetQueued(t.Context(), sc.ID, dead.ID); err != nil || it.Status() != weft.QueueWaiting {
		t.Fatalf("after retry: %v %v", it, err)
	}
	p = b.post(fmt.Sprintf("%s/queue/%d/delete", path, dead.ID), nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("delete: %s", p)
	}
	mustContain(t, b.get(path).body, fmt.Sprintf("Deleted queued payload %d.", dead.ID), "1 payload(s)")
	if _, _, err := e.svc.GetQueued(t.Context(), sc.ID, dead.ID); err == nil {
		t.Fatal("the deleted payload is still queued")
	}

	// Without webhooks:read the page has no queue; without webhooks:write no buttons
	// and no way to act.
	viewer := e.browser()
	viewer.signIn(e.token(auth.ScenariosRead))
	mustNotContain(t, viewer.get(path).body, `id="queue"`)
	reader := e.browser()
	reader.signIn(e.token(auth.ScenariosRead, auth.WebhooksRead))
	rp := reader.get(path)
	mustContain(t, rp.body, `id="queue"`, "1 payload(s)")
	mustNotContain(t, rp.body, "/queue/"+itoa(waiting.ID)+"/delete")
	if p := reader.post(fmt.Sprintf("%s/queue/%d/delete", path, waiting.ID), nil); p.status != http.StatusForbidden ||
		!strings.Contains(p.body, "lacks the scope webhooks:write") {
		t.Fatalf("delete without webhooks:write: %s", p)
	}
}
