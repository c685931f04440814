package engine

import "context"

// LogHook receives each execution log entry of a run as it is written: a module has
// just finished one bundle. It is called on the run's goroutine, in log order, so it
// must return quickly; it must neither keep nor change the entry's Input and Output
// (they are the run's own bundles, not copies).
type LogHook func(executionID string, e LogEntry)

type logHookKey struct{}

// WithLogHook returns a context under which Run and Resume call hook with every log
// entry as it is written (a person watching a run from the web UI sees each module
// finish). The hook belongs to one caller's run, not to the engine every run shares,
// so it travels in the context, as net/http/httptrace's hooks do. Without one, or
// with Options.NoLog, nothing is called. Later notes on an entry (the directive that
// handled its error) are in the Result's log only.
func WithLogHook(ctx context.Context, hook LogHook) context.Context {
	return context.WithValue(ctx, logHookKey{}, hook)
}

// logHookOf is the hook of ctx (nil: none); read once per run.
func logHookOf(ctx context.Context) LogHook {
	h, _ := ctx.Value(logHookKey{}).(LogHook)
	return h
}
