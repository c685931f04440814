package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/weftworks/weft"
)

// eventLog writes what an operator must be able to find in the logs, one structured
// line each: every run or retry attempt that ended in error or warning, every
// incomplete execution stored, every retry outcome, every deactivation or pause
// (successful runs at debug). A failing scenario can repeat the same line thousands of
// times a minute, so each kind of line (event, scenario, error type) is written at most
// eventBurst times per eventWindow; the lines held back are counted and the count rides
// on the next line of that kind ("suppressed": N).
type eventLog struct {
	log *slog.Logger
	now func() time.Time

	mu   sync.Mutex
	keys map[eventKey]*eventCount
}

type eventKey struct {
	event    string
	scenario int64
	errType  weft.ErrorType
}

type eventCount struct {
	start      time.Time
	written    int
	suppressed int
}

const (
	eventBurst  = 5
	eventWindow = time.Minute
	// eventKeys bounds the limiter's memory: past it the counts start afresh.
	eventKeys = 10000
)

func newEventLog(log *slog.Logger, now func() time.Time) *eventLog {
	return &eventLog{log: log, now: now, keys: map[eventKey]*eventCount{}}
}

// allow reports whether a line of this kind may be written now, and how many were held
// back since the last one written.
func (l *eventLog) allow(k eventKey) (bool, int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.keys[k]
	if c == nil {
		if len(l.keys) >= eventKeys {
			clear(l.keys)
		}
		c = &eventCount{start: now}
		l.keys[k] = c
	}
	if now.Sub(c.start) >= eventWindow {
		c.start, c.written = now, 0
	}
	if c.written >= eventBurst {
		c.suppressed++
		return false, 0
	}
	c.written++
	n := c.suppressed
	c.suppressed = 0
	return true, n
}

func (l *eventLog) write(level slog.Level, k eventKey, msg string, attrs ...any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	ok, held := l.allow(k)
	if !ok {
		return
	}
	if held > 0 {
		attrs = append(attrs, "suppressed", held)
	}
	l.log.Log(context.Background(), level, msg, attrs...)
}

// finished logs a recorded run or retry attempt and what it stored.
func (l *eventLog) finished(out *RunResult) {
	if out == nil || out.Execution == nil || out.Result == nil {
		return
	}
	ex, res := out.Execution, out.Result
	sc := ex.ScenarioID
	attrs := []any{"scenario", sc, "execution", ex.ID, "kind", string(ex.Kind), "status", string(ex.Status),
		"operations", res.Operations, "duration", res.Duration.Round(time.Microsecond).String()}
	var et weft.ErrorType
	if res.Error != nil {
		et = res.Error.Type
		attrs = append(attrs, "errorType", string(res.Error.Type), "module", res.Error.ModuleID, "error", clip(res.Error.Message))
	}
	if ex.IncompleteID != "" {
		attrs = append(attrs, "incomplete", ex.IncompleteID)
	}
	if out.Discarded > 0 {
		attrs = append(attrs, "discarded", out.Discarded)
	}
	switch {
	case ex.Kind == weft.KindRetry:
		outcome := "resolved"
		if ex.Status != weft.ExecutionSuccess {
			outcome = "failed"
		}
		l.write(slog.LevelInfo, eventKey{"retry " + outcome, sc, et}, "retry attempt "+outcome, attrs...)
	case ex.Status == weft.ExecutionError:
		l.write(slog.LevelWarn, eventKey{"run error", sc, et}, "run ended in error", attrs...)
	case ex.Status == weft.ExecutionWarning:
		l.write(slog.LevelInfo, eventKey{"run warning", sc, et}, "run ended in warning", attrs...)
	default:
		l.write(slog.LevelDebug, eventKey{"run success", sc, ""}, "run succeeded", attrs...)
	}
	for _, ie := range out.Incomplete {
		a := []any{"scenario", ie.ScenarioID, "incomplete", ie.ID, "execution", ie.ExecutionID,
			"module", ie.FailedModuleID, "errorType", string(ie.ErrorType), "status", string(ie.Status),
			"error", clip(ie.ErrorMessage)}
		if ie.NextAttemptAt != nil {
			a = append(a, "nextAttempt", ie.NextAttemptAt.UTC().Format(time.RFC3339))
		}
		l.write(slog.LevelInfo, eventKey{"incomplete stored", ie.ScenarioID, ie.ErrorType}, "incomplete execution stored", a...)
	}
}

// deactivated logs a scenario weft deactivated or paused (never rate-limited away for
// long: one per scenario and minute is plenty, and each is worth a line).
func (l *eventLog) deactivated(sc *weft.Scenario, paused bool, reason string) {
	msg, ev := "scenario deactivated", "deactivated"
	if paused {
		msg, ev = "scenario paused", "paused"
	}
	l.write(slog.LevelWarn, eventKey{ev, sc.ID, ""}, msg, "scenario", sc.ID, "name", sc.Name, "reason", clip(reason))
}

// clip keeps log lines one line and bounded.
func clip(s string) string {
	const max = 300
	out := make([]rune, 0, min(len(s), max))
	for _, r := range s {
		if len(out) >= max {
			out = append(out, '…')
			break
		}
		if r == '\n' || r == '\r' {
			r = ' '
		}
		out = append(out, r)
	}
	return string(out)
}
