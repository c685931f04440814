package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/weftworks/weft"
)

// Failed attempts (an unknown or revoked API token, at the API or at the web UI's
// sign-in) are limited per client: each client has a bucket of DefaultFailureBurst
// failures, refilled at DefaultFailureRate; while it is empty the client's attempts are
// refused with ErrThrottled before any token is looked up. Tokens are 256 random bits,
// so this is not what keeps them secret: it keeps a guessing client from costing a
// database lookup and a log line per request, and makes its traces readable.
const (
	// DefaultFailureBurst is how many failures a client may make in a row.
	DefaultFailureBurst = 10
	// DefaultFailureEvery is how often a client earns one more attempt (10 a minute).
	DefaultFailureEvery = 6 * time.Second
)

// Bounds of the throttle's memory.
const (
	maxClients = 100_000 // beyond, new clients share one bucket
	maxKnown   = 10_000  // tokens verified recently
	knownFor   = 15 * time.Minute
	overflow   = "overflow"
)

// ErrThrottled: the client failed too often lately; ThrottledError says for how long.
var ErrThrottled = errors.New("too many failed attempts")

// ThrottledError refuses an attempt of a client that failed too often lately.
type ThrottledError struct {
	// RetryAfter is when the client may try again.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed attempts from this address: retry in %d s", e.Seconds())
}

// Seconds is RetryAfter in whole seconds, rounded up (a Retry-After header's value).
func (e *ThrottledError) Seconds() int { return int(math.Ceil(e.RetryAfter.Seconds())) }

func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// WithFailureLimit sets how many failed attempts a client may make in a row (burst)
// and how often it earns another (every). every <= 0 turns the limit off.
func WithFailureLimit(every time.Duration, burst int) Option {
	return func(a *Auth) { a.thr = newThrottle(every, burst) }
}

type throttle struct {
	off     bool
	every   rate.Limit
	burst   int
	mu      sync.Mutex
	clients map[string]*rate.Limiter
	known   map[[32]byte]time.Time // hash → when a token was last verified
	logs    *rate.Limiter          // failure log lines: 1 a second, 10 in a row
	dropped int                    // log lines left out since the last one written
}

func newThrottle(every time.Duration, burst int) *throttle {
	t := &throttle{off: every <= 0 || burst <= 0, clients: map[string]*rate.Limiter{}, known: map[[32]byte]time.Time{},
		logs: rate.NewLimiter(1, 10), burst: burst}
	if !t.off {
		t.every = rate.Every(every)
	}
	return t
}

// VerifyRequest is Verify for a token the request r presents, on behalf of r's client
// (its remote address; an IPv6 client by its /64): a client that failed too often
// lately gets a *ThrottledError (ErrThrottled) without its token being looked up —
// unless the token was verified within the last 15 minutes, so that clients sharing an
// address with a guesser (behind one proxy) keep working. Unknown and revoked tokens
// count as failures and are logged (at most one line a second, with the number left
// out).
func (a *Auth) VerifyRequest(r *http.Request, plain string) (*weft.Token, error) {
	return a.verifyFrom(r.Context(), ClientKey(r.RemoteAddr), r.URL.Path, plain)
}

func (a *Auth) verifyFrom(ctx context.Context, client, where, plain string) (*weft.Token, error) {
	thr := a.thr
	if thr.off {
		return a.Verify(ctx, plain)
	}
	now := a.now()
	h := [32]byte(Hash(plain))
	if wait := thr.wait(client, now); wait > 0 && !thr.isKnown(h, now) {
		e := &ThrottledError{RetryAfter: wait}
		a.logFailure(now, "authentication throttled", client, where, e.Error())
		return nil, e
	}
	t, err := a.Verify(ctx, plain)
	switch {
	case err == nil:
		thr.remember(h, now)
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrRevoked):
		thr.fail(client, now)
		a.logFailure(now, "authentication failed", client, where, err.Error())
	}
	return t, err
}

// wait is how long client must wait before its next attempt (0: it may go ahead).
func (thr *throttle) wait(client string, now time.Time) time.Duration {
	thr.mu.Lock()
	defer thr.mu.Unlock()
	l := thr.clients[client]
	if l == nil {
		return 0
	}
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(thr.every) * float64(time.Second))
}

// fail takes one attempt from client's bucket.
func (thr *throttle) fail(client string, now time.Time) {
	thr.mu.Lock()
	defer thr.mu.Unlock()
	l := thr.clients[client]
	if l == nil {
		if len(thr.clients) >= maxClients {
			// Forget the clients whose buckets are full again; when even that
			// leaves no room, newcomers share one bucket (never unlimited).
			for k, c := range thr.clients {
				if c.TokensAt(now) >= float64(thr.burst) {
					delete(thr.clients, k)
				}
			}
		}
		if len(thr.clients) >= maxClients {
			client = overflow
			l = thr.clients[client]
		}
		if l == nil {
			l = rate.NewLimiter(thr.every, thr.burst)
			thr.clients[client] = l
		}
	}
	l.AllowN(now, 1)
}

func (thr *throttle) isKnown(h [32]byte, now time.Time) bool {
	thr.mu.Lock()
	defer thr.mu.Unlock()
	at, ok := thr.known[h]
	return ok && now.Sub(at) < knownFor
}

func (thr *throttle) remember(h [32]byte, now time.Time) {
	thr.mu.Lock()
	defer thr.mu.Unlock()
	if len(thr.known) >= maxKnown {
		for k, at := range thr.known {
			if now.Sub(at) >= knownFor {
				delete(thr.known, k)
			}
		}
		if len(thr.known) >= maxKnown {
			clear(thr.known)
		}
	}
	thr.known[h] = now
}

// logFailure writes one warning per failure, at most one a second (ten in a burst):
// a guessing client must not flood the log. A line says how many were left out
// before it.
func (a *Auth) logFailure(now time.Time, msg, client, where, reason string) {
	thr := a.thr
	thr.mu.Lock()
	ok := thr.logs.AllowN(now, 1)
	dropped := thr.dropped
	if ok {
		thr.dropped = 0
	} else {
		thr.dropped++
	}
	thr.mu.Unlock()
	if !ok {
		return
	}
	a.log.LogAttrs(context.Background(), slog.LevelWarn, msg, slog.String("client", client),
		slog.String("path", where), slog.String("reason", reason), slog.Int("suppressed", dropped))
}

// ClientKey is the throttle's key for a remote address ("host:port"): the IP, or for
// IPv6 its /64 (one customer's network usually holds a whole /64).
func ClientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
