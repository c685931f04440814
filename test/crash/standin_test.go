package crash

import (
	"fmt"
	"hash/fnv"
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
	Key   string // the call's identity: a payload id, ".N" added for iterator item N
	Kind  string // what the payload asked for: ok, 503, 429, 422, 500, hang
	N     int    // how many first calls of the key fail (503, 429, hang)
	Exec  string // the weft execution that made the call
	Nth   int    // 1 for the key's first call, 2 for the second…
	Start time.Time
	End   time.Time
	// Status answered; 0 when the call hung until weft gave up on it.
	Status int
}

// failed: weft saw an error for this call (an error status, or its own timeout).
func (r request) failed() bool { return r.Status == 0 || r.Status >= 400 }

// standIn is the service the scenarios call. Its answer follows from the request path
// /KIND/N/KEY alone (and how many calls of KEY came before), so a payload decides its
// own fate: ok → 200; 503 and 429 (Retry-After: 1) for the first N calls, then 200;
// 422 and 500 always; hang: the first N calls never answer (weft's module timeout
// ends them). It records every call and the most calls of one key, and of one
// sequential scenario, it ever had in flight at once.
type standIn struct {
	srv *httptest.Server

	mu       sync.Mutex
	idle     *sync.Cond // signalled when a call starts or ends
	calls    map[string]int
	inflight map[string]int // per key, and per "scenario:NAME" for serialScenarios
	total    int            // calls in flight
	overlaps []string       // keys (or scenarios) seen with two calls in flight at once
	log      []request
	closing  chan struct{}

	// serialScenarios: key prefixes ("seq") whose calls must never overlap at all.
	serialScenarios map[string]bool
}

func newStandIn(t *testing.T, serial ...string) *standIn {
	s := &standIn{calls: map[string]int{}, inflight: map[string]int{}, closing: make(chan struct{}),
		serialScenarios: map[string]bool{}}
	s.idle = sync.NewCond(&s.mu)
	for _, p := range serial {
		s.serialScenarios[p] = true
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.closing) // let hanging handlers go so Close does not wait for them
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
	kind, key := parts[0], parts[2]
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		http.Error(w, "N is not a number in "+r.URL.Path, http.StatusBadRequest)
		return
	}
	req := request{Key: key, Kind: kind, N: n, Exec: r.Header.Get(execHeader), Start: time.Now()}
	groups := []string{key}
	if scen, _, _ := strings.Cut(key, "-"); s.serialScenarios[scen] {
		groups = append(groups, "scenario:"+scen)
	}
	s.mu.Lock()
	s.calls[key]++
	req.Nth = s.calls[key]
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

// answer writes the response and returns its status (0: the call hung).
func (s *standIn) answer(w http.ResponseWriter, r *http.Request, req request) int {
	// A service takes a moment to answer: 1–30 ms, fixed per key and call, so that a
	// kill often lands while a call is under way.
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", req.Key, req.Nth)
	latency := time.NewTimer(time.Duration(1+h.Sum32()%30) * time.Millisecond)
	defer latency.Stop()
	select {
	case <-latency.C:
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
			// Hang until weft gives up (its module timeout closes the connection) or
			// dies; the cap only keeps a broken client from holding the test forever.
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

// waitIdle waits until no call is in flight: after a SIGKILL the stand-in may still be
// finishing calls of the dead process, which must not count as overlapping the next
// one's.
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

// snapshot returns the calls received so far and the overlaps seen.
func (s *standIn) snapshot() ([]request, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.log...), append([]string(nil), s.overlaps...)
}
