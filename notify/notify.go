// Package notify tells an outside system (a chat webhook, an incident tool, a script)
// when weft stores an incomplete execution or deactivates or pauses a scenario: each
// event is POSTed as JSON to one URL from a bounded in-memory queue, with retries and
// backoff, never blocking the run that caused it.
//
// Delivery is at least once while weft runs and best effort across a restart: the
// queue lives in memory (the events themselves are in the store, and the API lists
// them). Receivers dedupe by the event's id.
package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

// Event names.
const (
	EventIncompleteStored    = "incomplete.stored"
	EventScenarioDeactivated = "scenario.deactivated"
)

// Event is the JSON body of a notification.
type Event struct {
	// ID is unique per event; a retried delivery carries the same id.
	ID    string    `json:"id"`
	Event string    `json:"event"`
	At    time.Time `json:"at"`
	// Scenario is the scenario the event is about.
	Scenario ScenarioRef `json:"scenario"`
	// Incomplete is the stored incomplete execution (incomplete.stored). Its
	// blueprint, state and error details are never sent.
	Incomplete *weft.Incomplete `json:"incomplete,omitempty"`
	// State is "deactivated" or "paused" and Reason says why (scenario.deactivated).
	State  string `json:"state,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ScenarioRef names a scenario in an event.
type ScenarioRef struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

// Options tune a Notifier; the zero value gives the defaults.
type Options struct {
	// QueueSize is how many events wait at most; more are dropped (and counted).
	// Defaults to 1000.
	QueueSize int
	// MaxAttempts is how many times one event is sent before it is given up. Defaults
	// to 6.
	MaxAttempts int
	// FirstBackoff is the wait before the second attempt; it doubles per attempt up to
	// MaxBackoff. A Retry-After answer waits longer, up to MaxBackoff. Default to 1 s
	// and 1 min.
	FirstBackoff, MaxBackoff time.Duration
	// Clock stamps events. Defaults to time.Now.
	Clock func() time.Time
	// NewID makes event ids. Defaults to 16 random bytes in hex.
	NewID func() string
}

func (o Options) withDefaults() Options {
	if o.QueueSize <= 0 {
		o.QueueSize = 1000
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.FirstBackoff <= 0 {
		o.FirstBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.MaxBackoff < o.FirstBackoff {
		o.MaxBackoff = o.FirstBackoff
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.NewID == nil {
		o.NewID = randomID
	}
	return o
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// Stats counts what a Notifier did.
type Stats struct {
	Sent    uint64 // delivered (2xx)
	Failed  uint64 // given up after the attempts, or refused by the receiver (4xx)
	Dropped uint64 // not queued: the queue was full, or the notifier closed
	Queued  int    // waiting now
}

// Notifier posts events to one URL. It implements service.Observer.
type Notifier struct {
	url    string
	client *http.Client
	log    *slog.Logger
	opts   Options

	queue chan queued
	mu    sync.RWMutex // guards closed against a send racing Close
	quit  chan struct{}
	done  chan struct{}
	// ctx ends in-flight deliveries and backoffs when Close gives up waiting.
	ctx    context.Context
	cancel context.CancelFunc
	closed bool

	sent, failed, dropped atomic.Uint64
}

// queued is an encoded event: encoded on the caller's goroutine, so the worker never
// shares the service's scenario and incomplete-execution values.
type queued struct {
	id, event string
	body      []byte
}

// New starts a Notifier posting to url with client (a client with a 10 s timeout when
// nil), logging to logger (slog.Default() when nil). Close stops it.
func New(target string, client *http.Client, logger *slog.Logger, opts ...Options) *Notifier {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o = o.withDefaults()
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{url: target, client: client, log: logger.With("component", "notify"), opts: o,
		queue: make(chan queued, o.QueueSize), quit: make(chan struct{}), done: make(chan struct{}),
		ctx: ctx, cancel: cancel}
	go n.work()
	return n
}

// CheckURL reports whether u can receive notifications (an absolute http or https
// URL), for commands to check their flags before starting.
func CheckURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("notification URL: %w", err)
	}
	if (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("notification URL %q: want an absolute http:// or https:// URL", u)
	}
	return nil
}

// RunFinished is not notified (runs are counted by metrics).
func (n *Notifier) RunFinished(*weft.Scenario, *weft.Execution, *engine.Result) {}

// IncompleteStored queues an incomplete.stored event.
func (n *Notifier) IncompleteStored(sc *weft.Scenario, ie *weft.Incomplete) {
	n.Send(Event{Event: EventIncompleteStored, Scenario: ref(sc), Incomplete: ie})
}

// ScenarioDeactivated queues a scenario.deactivated event; State says whether the
// scenario was deactivated or paused (it stays active but waits for a person).
func (n *Notifier) ScenarioDeactivated(sc *weft.Scenario, reason string) {
	state := "deactivated"
	if sc != nil && sc.Active {
		state = "paused"
	}
	n.Send(Event{Event: EventScenarioDeactivated, Scenario: ref(sc), State: state, Reason: reason})
}

func ref(sc *weft.Scenario) ScenarioRef {
	if sc == nil {
		return ScenarioRef{}
	}
	return ScenarioRef{ID: sc.ID, Name: sc.Name, Active: sc.Active}
}

// Send queues an event without blocking, filling its id and time when unset. When the
// queue is full, or the notifier is closed, the event is dropped and counted.
func (n *Notifier) Send(ev Event) {
	if ev.ID == "" {
		ev.ID = n.opts.NewID()
	}
	if ev.At.IsZero() {
		ev.At = n.opts.Clock().UTC()
	}
	body, err := json.Marshal(ev)
	if err != nil {
		n.log.Error("encode a notification", "event", ev.Event, "err", err)
		n.failed.Add(1)
		return
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.closed {
		n.drop(ev, "the notifier is closed")
		return
	}
	select {
	case n.queue <- queued{id: ev.ID, event: ev.Event, body: body}:
	default:
		n.drop(ev, "the queue is full")
	}
}

func (n *Notifier) drop(ev Event, why string) {
	d := n.dropped.Add(1)
	// Logged at the 1st, 10th, 100th… drop: a receiver that is down for an hour must
	// not flood the log too.
	if isPowerOf10(d) {
		n.log.Warn("notification dropped", "why", why, "event", ev.Event, "id", ev.ID, "dropped", d)
	}
}

func isPowerOf10(n uint64) bool {
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n == 1
}

// Stats returns the counts so far.
func (n *Notifier) Stats() Stats {
	return Stats{Sent: n.sent.Load(), Failed: n.failed.Load(), Dropped: n.dropped.Load(), Queued: len(n.queue)}
}

// Close stops taking events and delivers those queued until ctx ends; then it gives up
// on the rest (counted as failed) and returns ctx's error.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		<-n.done
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	close(n.quit)
	select {
	case <-n.done:
		n.cancel()
		return nil
	case <-ctx.Done():
		before := n.failed.Load()
		n.cancel()
		<-n.done
		return fmt.Errorf("notify: closed with %d notification(s) undelivered: %w", n.failed.Load()-before, ctx.Err())
	}
}

func (n *Notifier) work() {
	defer close(n.done)
	for {
		select {
		case q := <-n.queue:
			n.deliver(q)
		case <-n.quit:
			for {
				if n.ctx.Err() != nil {
					n.abandon()
					return
				}
				select {
				case q := <-n.queue:
					n.deliver(q)
				default:
					return
				}
			}
		}
	}
}

// abandon counts what is still queued when Close stops waiting, with one log line.
func (n *Notifier) abandon() {
	left := 0
	for {
		select {
		case <-n.queue:
			left++
		default:
			if left > 0 {
				n.failed.Add(uint64(left))
				n.log.Error("notifications abandoned at shutdown", "count", left)
			}
			return
		}
	}
}

// deliver sends one event until it is accepted, refused, or out of attempts.
func (n *Notifier) deliver(q queued) {
	for attempt := 1; ; attempt++ {
		retryAfter, err := n.post(q)
		if err == nil {
			n.sent.Add(1)
			return
		}
		var perm *permanentError
		switch {
		case errors.As(err, &perm):
			n.failed.Add(1)
			n.log.Error("notification refused; not retried", "event", q.event, "id", q.id, "err", err)
			return
		case attempt >= n.opts.MaxAttempts || n.ctx.Err() != nil:
			n.failed.Add(1)
			n.log.Error("notification given up", "event", q.event, "id", q.id, "attempts", attempt, "err", err)
			return
		}
		wait := max(Backoff(attempt, n.opts.FirstBackoff, n.opts.MaxBackoff), min(retryAfter, n.opts.MaxBackoff))
		n.log.Warn("notification failed; retrying", "event", q.event, "id", q.id, "attempt", attempt, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-n.ctx.Done():
			t.Stop()
		}
	}
}

// Backoff is the wait after failed attempt number attempt (1-based): first, doubled
// per attempt, at most limit.
func Backoff(attempt int, first, limit time.Duration) time.Duration {
	d := first
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// permanentError is a failure retrying cannot change: a 4xx answer other than 408 and
// 429, or a URL that does not make a request.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

// post makes one attempt. It returns the receiver's Retry-After, if any.
func (n *Notifier) post(q queued) (time.Duration, error) {
	req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, n.url, bytes.NewReader(q.body))
	if err != nil {
		return 0, &permanentError{msg: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "weft-notify")
	req.Header.Set("X-Weft-Event", q.event)
	req.Header.Set("X-Weft-Delivery", q.id)
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post to the notification URL: %w", err)
	}
	// Drain a little so the connection is reused; the answer's content is not used.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return 0, nil
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("the receiver answered %d", s)
	default:
		return 0, &permanentError{msg: fmt.Sprintf("the receiver answered %d", s)}
	}
}

// retryAfter reads a Retry-After of seconds (the HTTP-date form needs the wall clock
// and is rare on webhooks; it is ignored).
func retryAfter(h string) time.Duration {
	if secs, err := strconv.Atoi(h); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	return 0
}
