package declarative_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/declarative"
)

const ordersDef = `{
  "name": "orders",
  "base": {"baseUrl": "https://orders.test"},
  "modules": {
    "Create": {"openMapper": true, "communication": {"url": "/orders", "method": "POST", "body": {"id": "{{parameters.id}}"},
      "response": {"output": "{{body}}"}}},
    "CreateKeyed": {"openMapper": true, "communication": {"url": "/orders", "method": "POST",
      "headers": {"Idempotency-Key": "k-{{parameters.id}}"}, "body": {"id": "{{parameters.id}}"}, "response": {"output": "{{body}}"}}},
    "Get": {"openMapper": true, "communication": {"url": "/orders/{{parameters.id}}", "response": {"output": "{{body}}"}}}
  }
}`

// TestOutcomeUnknown: an app described as data that posts to a service which reads the
// request and drops the connection reports the outcome as unknown (with the host for
// the circuit breaker); with an Idempotency-Key it is safe to repeat; a GET never is
// unknown.
func TestOutcomeUnknown(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(s.Close)
	specs, err := declarative.LoadOptions(fstest.MapFS{"orders.json": {Data: []byte(ordersDef)}},
		declarative.Options{BaseURLs: map[string]string{"orders": s.URL}, Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	r := app.NewRegistry()
	for _, sp := range specs {
		if err := r.Register(sp); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		module              string
		unknown, idempotent bool
	}{{"orders:Create", true, false}, {"orders:CreateKeyed", true, true}, {"orders:Get", false, false}} {
		_, err := run(t, lookup(t, r, tc.module), nil, `{"id": "o1"}`)
		var we *weft.Error
		if !errors.As(err, &we) {
			t.Fatalf("%s: %v", tc.module, err)
		}
		if we.OutcomeUnknown != tc.unknown || we.Idempotent != tc.idempotent || we.Type != weft.ConnectionError ||
			we.Endpoint != strings.TrimPrefix(s.URL, "http://") {
			t.Errorf("%s: unknown=%v idempotent=%v type %s endpoint %q: %s", tc.module, we.OutcomeUnknown, we.Idempotent,
				we.Type, we.Endpoint, we.Message)
		}
	}
}
