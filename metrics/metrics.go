// Package metrics exposes weft's Prometheus metrics on /metrics: counters fed by the
// service's events (runs, incomplete executions, module latency, deactivations), by
// the webhook server (requests by outcome) and by the notifier, and gauges read from
// the store when Prometheus scrapes (incomplete executions by status, the retry and
// webhook queues), so they are right even after a restart and cost nothing between
// scrapes.
//
// Everything lives in a private registry: tests and several servers in one process
// never collide, and nothing registered globally by a library leaks in.
package metrics

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/notify"
	"github.com/weftworks/weft/store"
)

// Options tune Metrics; the zero value gives the defaults.
type Options struct {
	// Clock decides which pending retries are due at a scrape. Defaults to time.Now.
	Clock func() time.Time
	// Logger receives scrape failures. Defaults to slog.Default().
	Logger *slog.Logger
	// ScrapeTimeout bounds the store queries of one scrape. Defaults to 5 s.
	ScrapeTimeout time.Duration
	// NoProcess leaves out the Go runtime and process collectors (tests that compare
	// the whole output).
	NoProcess bool
}

// Metrics counts what weft does. It implements service.Observer; pass it (with
// notify.Multi when there are several observers) as service.Config.Observer.
type Metrics struct {
	reg *prometheus.Registry

	runs          *prometheus.CounterVec
	runDuration   *prometheus.HistogramVec
	operations    prometheus.Counter
	incompletes   *prometheus.CounterVec
	deactivations *prometheus.CounterVec
	moduleLatency *prometheus.HistogramVec
	moduleErrors  *prometheus.CounterVec
	webhooks      *prometheus.CounterVec
}

// latencyBuckets run from 1 ms to about a minute (a module's default time limit is
// 40 s), four times apart: few series per module type, and both a quick data
// transformation and a slow HTTP partner land in a telling bucket.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 4, 9)

// New returns Metrics reading its gauges from st.
func New(st store.Store, opts ...Options) *Metrics {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ScrapeTimeout <= 0 {
		o.ScrapeTimeout = 5 * time.Second
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_runs_total",
			Help: "Recorded executions by kind (run, retry) and status (success, warning, error)."}, []string{"kind", "status"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "weft_run_duration_seconds",
			Help: "Duration of recorded executions by kind.", Buckets: latencyBuckets}, []string{"kind"}),
		operations: prometheus.NewCounter(prometheus.CounterOpts{Name: "weft_operations_total",
			Help: "Operations (module runs, as Make counts them) of recorded executions."}),
		incompletes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_incomplete_stored_total",
			Help: "Incomplete executions stored, by error type."}, []string{"error_type"}),
		deactivations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_scenario_deactivations_total",
			Help: "Scenarios weft deactivated or paused, by state (deactivated, paused)."}, []string{"state"}),
		moduleLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "weft_module_duration_seconds",
			Help: "Time a module took for one bundle, by module type (from the execution log).", Buckets: latencyBuckets}, []string{"module"}),
		moduleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_module_errors_total",
			Help: "Module errors by module type and error type (handled or not)."}, []string{"module", "error_type"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_webhook_requests_total",
			Help: "Webhook requests by outcome."}, []string{"outcome"}),
	}
	m.zero()
	m.reg.MustRegister(m.runs, m.runDuration, m.operations, m.incompletes, m.deactivations, m.moduleLatency,
		m.moduleErrors, m.webhooks, newStoreCollector(st, o))
	if !o.NoProcess {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// WebhookOutcomes are the outcomes the server reports (Webhook); each starts at zero.
var WebhookOutcomes = []string{"accepted", "responded", "error", "scenario_failed", "not_found", "too_large",
	"queue_full", "busy", "bad_signature", "invalid", "unavailable"}

// zero creates the series a fresh process has not counted yet with the value 0: a
// series that appears only at its first event makes increase() miss that event, so
// an alert on the first deactivation or the first refused webhook would never fire.
func (m *Metrics) zero() {
	for _, kind := range []weft.ExecutionKind{weft.KindRun, weft.KindRetry} {
		for _, st := range []weft.ExecutionStatus{weft.ExecutionSuccess, weft.ExecutionWarning, weft.ExecutionError} {
			m.runs.WithLabelValues(string(kind), string(st))
		}
	}
	for _, state := range []string{"deactivated", "paused"} {
		m.deactivations.WithLabelValues(state)
	}
	for _, t := range weft.ErrorTypes {
		m.incompletes.WithLabelValues(string(t))
	}
	for _, o := range WebhookOutcomes {
		m.webhooks.WithLabelValues(o)
	}
}

// Registry is the private registry, for a component that brings collectors of its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' text format (OpenMetrics when asked).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true, ErrorHandling: promhttp.ContinueOnError})
}

// RunFinished counts an execution, its operations, its duration and every module's
// time per bundle from the execution log.
func (m *Metrics) RunFinished(_ *weft.Scenario, ex *weft.Execution, res *engine.Result) {
	if ex == nil {
		return
	}
	m.runs.WithLabelValues(string(ex.Kind), string(ex.Status)).Inc()
	if res == nil {
		return
	}
	m.operations.Add(float64(res.Operations))
	m.runDuration.WithLabelValues(string(ex.Kind)).Observe(res.Duration.Seconds())
	for i := range res.Log {
		e := &res.Log[i]
		if e.Module == "" {
			continue
		}
		m.moduleLatency.WithLabelValues(e.Module).Observe(e.Duration.Seconds())
		if e.Error != nil {
			m.moduleErrors.WithLabelValues(e.Module, string(e.Error.Type)).Inc()
		}
	}
}

// IncompleteStored counts an incomplete execution by its error type.
func (m *Metrics) IncompleteStored(_ *weft.Scenario, ie *weft.Incomplete) {
	if ie != nil {
		m.incompletes.WithLabelValues(string(ie.ErrorType)).Inc()
	}
}

// ScenarioDeactivated counts a deactivation, or a pause when the scenario stays
// active.
func (m *Metrics) ScenarioDeactivated(sc *weft.Scenario, _ string) {
	state := "deactivated"
	if sc != nil && sc.Active {
		state = "paused"
	}
	m.deactivations.WithLabelValues(state).Inc()
}

// Webhook counts one webhook request by outcome. The server calls it with a small
// fixed set (docs/operations.md lists it): every distinct outcome is a series.
func (m *Metrics) Webhook(outcome string) {
	m.webhooks.WithLabelValues(outcome).Inc()
}

// Notifications exports a notifier's counts (weft_notifications_total by outcome,
// weft_notification_queue_depth), read at scrape time.
func (m *Metrics) Notifications(stats func() notify.Stats) {
	m.reg.MustRegister(&notifyCollector{stats: stats})
}

var (
	notificationsDesc = prometheus.NewDesc("weft_notifications_total",
		"Notifications by outcome: sent, failed (refused or out of attempts), dropped (queue full).", []string{"outcome"}, nil)
	notifyQueueDesc = prometheus.NewDesc("weft_notification_queue_depth", "Notifications waiting to be sent.", nil, nil)
)

type notifyCollector struct{ stats func() notify.Stats }

func (c *notifyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- notificationsDesc
	ch <- notifyQueueDesc
}

func (c *notifyCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(notificationsDesc, prometheus.CounterValue, float64(s.Sent), "sent")
	ch <- prometheus.MustNewConstMetric(notificationsDesc, prometheus.CounterValue, float64(s.Failed), "failed")
	ch <- prometheus.MustNewConstMetric(notificationsDesc, prometheus.CounterValue, float64(s.Dropped), "dropped")
	ch <- prometheus.MustNewConstMetric(notifyQueueDesc, prometheus.GaugeValue, float64(s.Queued))
}
