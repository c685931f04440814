package server_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Each payload adds a record keyed by its id (without overwrite: a second run of the
// same payload would fail with DuplicateDataError and show as an error run).
const stormOnce = `{"name":"once","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
 {"id":2,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":"once"},"mapper":{"key":"{{1.id}}","overwrite":false,"data":{"n":"{{1.n}}"}}}],
 "metadata":{"version":1,"instant":true,"scenario":{"maxErrors":1000000}}}`

// The sequential scenario chains records: each stores the previous payload's number,
// read from the record "last", then becomes "last" — the chain is only unbroken when
// payloads run one at a time in arrival order.
const stormSeq = `{"name":"seq","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
 {"id":2,"module":"datastore:GetRecord","version":1,"parameters":{"datastore":"seq"},"mapper":{"key":"last","returnWrapped":false}},
 {"id":3,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":"seq"},"mapper":{"key":"{{1.n}}","overwrite":false,"data":{"prev":"{{ifempty(2.n; 0)}}"}}},
 {"id":4,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":"seq"},"mapper":{"key":"last","overwrite":true,"data":{"n":"{{1.n}}"}}}],
 "metadata":{"version":1,"instant":true,"scenario":{"sequential":true,"maxErrors":1000000}}}`

// TestWebhookStorm sends 10,000 payloads in bursts, restarting weft in the middle:
// none is lost, each runs exactly once, and the sequential scenario keeps arrival order.
func TestWebhookStorm(t *testing.T) {
	const total, seqEvery, clients, burst = 10_000, 10, 32, 1000
	e := newEnv(t)
	path := e.path
	onceID, onceURL := e.scenario(stormOnce)
	seqID, seqURL := e.scenario(stormSeq)
	base := e.base
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	// send posts until weft accepts it; a refused connection or a 503 while weft
	// restarts was not accepted, so sending again cannot duplicate it.
	cur := func() string { return base }
	var baseMu sync.Mutex
	send := func(url, body string) error {
		for attempt := 0; attempt < 500; attempt++ {
			baseMu.Lock()
			b := cur()
			baseMu.Unlock()
			u := b + url[strings.Index(url, "/hooks/"):]
			resp, err := client.Post(u, "application/json", strings.NewReader(body))
			if err != nil {
				if errors.Is(err, syscall.ECONNREFUSED) {
					continue
				}
				return err
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				return nil
			case http.StatusServiceUnavailable:
				continue
			default:
				return fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		return errors.New("never accepted")
	}
	seqN := 0
	for start := 0; start < total; start += burst {
		if start == total/2 {
			// Restart in the middle: graceful stop, then a new server on the same data.
			e.stop()
			e = startEnv(t, path)
			baseMu.Lock()
			base = e.base
			baseMu.Unlock()
		}
		jobs := make(chan [2]string)
		var wg sync.WaitGroup
		errs := make(chan error, burst)
		for range clients {
			wg.Go(func() {
				for j := range jobs {
					if err := send(j[0], j[1]); err != nil {
						errs <- err
					}
				}
			})
		}
		for i := start; i < start+burst; i++ {
			if i%seqEvery == 0 {
				// Sequential payloads go out in order from this one goroutine.
				close(jobs)
				wg.Wait()
				seqN++
				if err := send(seqURL, fmt.Sprintf(`{"n":%d}`, seqN)); err != nil {
					t.Fatal(err)
				}
				jobs = make(chan [2]string)
				for range clients {
					wg.Go(func() {
						for j := range jobs {
							if err := send(j[0], j[1]); err != nil {
								errs <- err
							}
						}
					})
				}
				continue
			}
			jobs <- [2]string{onceURL, fmt.Sprintf(`{"id":"p%05d","n":%d}`, i, i)}
		}
		close(jobs)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	onceWant := total - total/seqEvery
	defer func() {
		n, _ := e.st.CountRecords(t.Context(), "once")
		m, _ := e.st.CountRecords(t.Context(), "seq")
		d, _ := e.st.QueueDepth(t.Context(), 0)
		ies, _ := e.st.CountIncomplete(t.Context(), store.IncompleteFilter{})
		run, _ := e.st.RunningExecutions(t.Context())
		t.Logf("once %d/%d, seq %d/%d, queue %d, IEs %d, running %d", n, onceWant, m, seqN+1, d, ies, len(run))
		if t.Failed() {
			for _, id := range []int64{onceID, seqID} {
				sc, _ := e.st.GetScenario(t.Context(), id)
				t.Logf("scenario %d: active %t paused %q deactivated %q errors %d", id, sc.Active, sc.Paused, sc.Deactivated, sc.ConsecutiveErrors)
				exs, _ := e.st.ListExecutions(t.Context(), store.ExecutionFilter{ScenarioID: id, Status: weft.ExecutionError, Limit: 5})
				for _, ex := range exs {
					t.Logf("  error run %s: %s at module %d: %s", ex.ID, ex.ErrorType, ex.ErrorModule, ex.ErrorMsg)
				}
			}
		}
	}()
	e.waitForWithin(2*time.Minute, func() bool {
		n, _ := e.st.CountRecords(t.Context(), "once")
		m, _ := e.st.CountRecords(t.Context(), "seq")
		return n == onceWant && m == seqN+1
	})
	// Exactly once: no run of the once-scenario failed (a duplicate would have).
	errRuns, err := e.st.ListExecutions(t.Context(), store.ExecutionFilter{ScenarioID: onceID, Status: weft.ExecutionError, Limit: 10})
	if err != nil || len(errRuns) != 0 {
		t.Fatalf("error runs: %d (%v)", len(errRuns), err)
	}
	// Order: record n says its predecessor was n-1.
	recs, err := e.st.ListRecords(t.Context(), "seq", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Key == "last" {
			continue
		}
		var n int
		fmt.Sscan(r.Key, &n)
		if fmt.Sprint(r.Data["prev"]) != fmt.Sprint(n-1) {
			t.Fatalf("sequential order broken at %d: prev %v", n, r.Data["prev"])
		}
	}
	if d, _ := e.st.QueueDepth(t.Context(), 0); d != 0 {
		t.Fatalf("queue depth %d at the end", d)
	}
	_ = seqID
}
