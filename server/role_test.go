package server_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/server"
)

// Processes sharing a database split the work by role (docs/operations.md): a worker
// serves health, readiness and metrics only, and runs what is queued; an api process
// serves webhooks (running them inline), the API and the UI.
func TestRoles(t *testing.T) {
	marker := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, name) })
	}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	handlers := func(role string) func(*server.Config) {
		return func(c *server.Config) {
			c.Role, c.API, c.MakeAPI, c.UI, c.Metrics = role, marker("api"), marker("makeapi"), marker("ui"), marker("metrics")
		}
	}

	w := newEnv(t, handlers(server.RoleWorker))
	id, hook := w.scenario(echoBlueprint)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200,
		"/api/v1/scenarios": 404, "/api/v2/scenarios": 404, "/": 404} {
		if code, _ := get(w.base + path); code != want {
			t.Errorf("worker: GET %s: %d, want %d", path, code, want)
		}
	}
	if code, _, _ := post(t, hook, "application/json", `{"a":1}`); code != http.StatusNotFound {
		t.Errorf("worker: a webhook answered %d, want 404 (not served)", code)
	}
	// The worker runs a payload queued by another process.
	if _, err := w.svc.Enqueue(t.Context(), id, weft.Bundle{"a": 1.0}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.runs:
	case <-time.After(30 * time.Second):
		t.Fatal("worker: the queued payload did not run")
	}

	a := newEnv(t, handlers(server.RoleAPI))
	_, hook = a.scenario(echoBlueprint)
	for path, want := range map[string]string{"/api/v1/scenarios": "api", "/api/v2/scenarios": "makeapi", "/": "ui", "/metrics": "metrics"} {
		if code, body := get(a.base + path); code != 200 || body != want {
			t.Errorf("api: GET %s: %d %q, want %q", path, code, body, want)
		}
	}
	// echoBlueprint answers with its own response (201) once its run ended.
	if code, body, _ := post(t, hook, "application/json", `{"a":1}`); code != http.StatusCreated {
		t.Errorf("api: a webhook answered %d %s, want the scenario's 201 (run inline)", code, body)
	}
	select {
	case <-a.runs:
	case <-time.After(30 * time.Second):
		t.Fatal("api: the webhook's inline run was not recorded")
	}

	// A role weft does not know is refused by name.
	if _, err := server.New(server.Config{Service: a.svc, Store: a.st, Role: "boss"}); err == nil {
		t.Error("server.New accepted role boss")
	}
}
