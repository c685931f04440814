package declarative_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// checkErrorTable runs a shipped declarative module's error table through
// apptest.CheckErrors: each case directly and through the real engine (the error type
// and what weft then does with the bundle, SPEC §3.2). One stand-in serves every case:
// mapper(tag) builds the case's input with tag placed where it reaches the request (a
// path segment, a query or body value), and the stand-in answers with the reply of the
// case whose tag the request carries.
func checkErrorTable(t *testing.T, appName, module string, creds weft.Bundle, mapper func(tag string) weft.Bundle, cases []tableCase) {
	t.Helper()
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		seen := r.URL.EscapedPath() + "?" + r.URL.RawQuery + " " + body
		for i := range cases {
			if strings.Contains(seen, tag(i)) {
				return cases[i].reply
			}
		}
		return reply{status: 500, body: `{"error":"the stand-in got a request of no case: ` + strings.ReplaceAll(seen, `"`, `'`) + `"}`}
	}
	spec := shipped(t, appName, module, s)
	var ecs []apptest.ErrorCase
	for i, c := range cases {
		ec := apptest.ErrorCase{Name: c.name, Params: weft.Bundle{"__IMTCONN__": "conn"}, Mapper: mapper(tag(i)),
			Connections: map[string]weft.Bundle{"conn": creds}, Want: c.typ, WantMessage: c.message}
		if c.retryAfter > 0 {
			want := c.retryAfter
			ec.Check = func(t testing.TB, e *weft.Error) {
				if e.RetryAfter != want {
					t.Errorf("RetryAfter %s; want %s", e.RetryAfter, want)
				}
			}
		}
		ecs = append(ecs, ec)
	}
	apptest.CheckErrors(t, spec, ecs)
}

func tag(i int) string { return fmt.Sprintf("case%03dx", i) }
