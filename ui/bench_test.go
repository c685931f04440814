package ui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/ui"
)

// withIncompletes stores n incomplete executions of one scenario (copies of a real one,
// spread over statuses and a minute apart) and returns the scenario id.
func withIncompletes(tb testing.TB, e *env, n int) int64 {
	tb.Helper()
	bad := newStandIn(tb, 422)
	sc := e.scenario(forwardBlueprint("Forward orders", bad.srv.URL))
	seed, err := e.st.GetIncomplete(tb.Context(), e.failRuns(sc, 1)[0])
	if err != nil {
		tb.Fatal(err)
	}
	statuses := []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteUnresolved}
	err = e.st.InTx(tb.Context(), func(q store.Queries) error {
		for i := 1; i < n; i++ {
			ie := *seed
			ie.ID = fmt.Sprintf("%032x", 1<<40+i)
			ie.CreatedAt = seed.CreatedAt.Add(time.Duration(i) * time.Minute)
			ie.Status = statuses[i%len(statuses)]
			if ie.Status == weft.IncompletePending {
				at := ie.CreatedAt.Add(10 * time.Minute)
				ie.NextAttemptAt = &at
			}
			ie.ErrorMessage = fmt.Sprintf("[422 Unprocessable Entity] order A-%d rejected", i)
			if err := q.CreateIncomplete(tb.Context(), &ie); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return sc.ID
}

// BenchmarkIncompleteListPage10k renders a scenario's incomplete-execution page (the
// first page and one deep in the cursor, 100 rows each, total counted) with 10,000
// stored: server time only, through the whole handler (session check included).
func BenchmarkIncompleteListPage10k(b *testing.B) {
	e := newEnv(b)
	id := withIncompletes(b, e, 10_000)
	br := e.signedIn()
	cookies := br.c.Jar.Cookies(mustURL(e.srv.URL))
	deep := fmt.Sprintf("%032x", 1<<40+9000)
	for _, c := range []struct{ name, path string }{
		{"first", fmt.Sprintf("/scenarios/%d/incomplete", id)},
		{"deep", fmt.Sprintf("/scenarios/%d/incomplete?after=%s", id, deep)},
		{"all-statuses", fmt.Sprintf("/scenarios/%d/incomplete?status=all", id)},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, c.path, nil)
				for _, ck := range cookies {
					req.AddCookie(ck)
				}
				w := httptest.NewRecorder()
				e.ui.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// TestIncompleteListPage10k checks the page over 10,000 stored incomplete executions:
// exactly one page of rows, the full count, a cursor to the next page; and its server
// time stays within the budget (150 ms; checked loosely here, measured by the benchmark).
func TestIncompleteListPage10k(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds 10,000 incomplete executions")
	}
	e := newEnv(t, func(c *ui.Config) { c.PageSize = 100 })
	id := withIncompletes(t, e, 10_000)
	br := e.signedIn()
	start := time.Now()
	p := br.get(fmt.Sprintf("/scenarios/%d/incomplete?status=all", id))
	took := time.Since(start)
	if p.status != http.StatusOK {
		t.Fatal(p.status)
	}
	mustContain(t, p.body, "10000 incomplete executions (every status).", `id="next-page"`)
	if n := len(rows(p.body)); n != 100 {
		t.Errorf("%d rows, want 100", n)
	}
	if n := strings.Count(p.body, "data-until="); n != 33 {
		t.Errorf("%d countdowns, want 33 (the pending ones of the page)", n)
	}
	// A generous bound: -race and a busy CI machine slow everything several times.
	if took > 2*time.Second {
		t.Errorf("the page took %v", took)
	}
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }
