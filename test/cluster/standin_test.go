package cluster

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// execHeader carries the weft execution id ({{executionId}}) on every call, so the
// stand-in knows which run or retry attempt made it.
const execHeader = "X-Weft-Execution"

// request is one call the stand-in received.
type request struct {
	Key    string // the payload's id (or a schedule's name)
	Kind   string // ok, 503, 429, 422, 500, hang
	N      int    // how many first calls of the key fail (503, 429, hang)
	Exec   string // the weft execution that made the call
	Nth    int    // 1 for the key's first call, 2 for the second…
	Start  time.Time
	End    time.Time
	Status int // 0 when the call hung until weft gave up on it
}

func (r request) failed() bool { return r.Status == 0 || r.Status >= 400 }

// standIn is the service the scenarios call (as test/crash's): its answer follows from
// the path /KIND/N/KEY and how many calls of KEY came before — ok → 200; 503 and 429
// (Retry-After: 1) for the first N calls, then 200; 422 and 500 always; hang: the first
// N calls never answer (weft's module timeout ends them). It records every call and
// every time two calls of one key, or of one serial group ("seq-"), were in flight at
// once: a run and its rerun, or two retries, overlapping.
type standIn struct {
	srv *httptest.Server

	mu       sync.Mutex
	idle     *sync.Cond
	calls    map[string]int
	inflight map[string]int
	total    int
	overlaps []string
	log      []request
	closing  chan struct{}
	serial   map[string]bool
}

func newStandIn(t *testing.T, serial ...string) *standIn {
	s := &standIn{calls: map[string]int{}, inflight: map[string]int{}, closing: make(chan struct{}), serial: map[string]bool{}}
	s.idle = sync.NewCond(&s.mu)
	for _, p := range serial {
		s.serial[p] = true
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.SetKeepAlivesEnabled(true)
	s.srv.Start()
	t.Cleanup(func() {
		close(s.closing)
		s.srv.Close()
	})
	return s
}

func (s *standIn) URL() string { return s.srv.URL }

func (s *standIn) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 3)
	if len(parts) != 3 {
		http.Error(w, "want /KIND/N/KEY, got "+r.URL.Path, http.StatusBadRequest)
		return
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		http.Error(w, "N is not a number in "+r.URL.Path, http.StatusBadRequest)
		return
	}
	req := request{Key: parts[2], Kind: parts[0], N: n, Exec: r.Header.Get(execHeader), Start: time.Now()}
	groups := []string{req.Key}
	if g, _, _ := strings.Cut(req.Key, "-"); s.serial[g] {
		groups = append(groups, "group:"+g)
	}
	s.mu.Lock()
	s.calls[req.Key]++
	req.Nth = s.calls[req.Key]
	s.total++
	for _, g := range groups {
		if s.inflight[g]++; s.inflight[g] > 1 {
			s.overlaps = append(s.overlaps, fmt.Sprintf("%s: %d calls in flight at once (the latest from execution %s)", g, s.inflight[g], req.Exec))
		}
	}
	s.idle.Broadcast()
	s.mu.Unlock()

	req.Status = s.answer(w, r, req)

	s.mu.Lock()
	req.End = time.Now()
	s.log = append(s.log, req)
	s.total--
	for _, g := range groups {
		s.inflight[g]--
	}
	s.idle.Broadcast()
	s.mu.Unlock()
}

func (s *standIn) answer(w http.ResponseWriter, r *http.Request, req request) int {
	// A service takes a moment to answer, so that a kill lands while calls are under way.
	pause := time.NewTimer(time.Duration(1+req.Nth%5) * time.Millisecond)
	defer pause.Stop()
	select {
	case <-pause.C:
	case <-r.Context().Done():
	}
	status := http.StatusOK
	switch req.Kind {
	case "ok":
	case "503":
		if req.Nth <= req.N {
			status = http.StatusServiceUnavailable
		}
	case "429":
		if req.Nth <= req.N {
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", "1")
		}
	case "422":
		status = http.StatusUnprocessableEntity
	case "500":
		status = http.StatusInternalServerError
	case "hang":
		if req.Nth <= req.N {
			select {
			case <-r.Context().Done():
			case <-s.closing:
			case <-time.After(20 * time.Second):
			}
			return 0
		}
	default:
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"key":%q,"nth":%d}`, req.Key, req.Nth)
	return status
}

// waitIdle waits until no call is in flight.
func (s *standIn) waitIdle(timeout time.Duration) error {
	expired := false
	timer := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		expired = true
		s.idle.Broadcast()
		s.mu.Unlock()
	})
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.total > 0 && !expired {
		s.idle.Wait()
	}
	if s.total > 0 {
		return fmt.Errorf("stand-in: %d call(s) still in flight after %s", s.total, timeout)
	}
	return nil
}

func (s *standIn) snapshot() ([]request, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.log...), append([]string(nil), s.overlaps...)
}
