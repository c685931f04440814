package metrics

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var (
	incompleteDesc = prometheus.NewDesc("weft_incomplete_executions",
		"Stored incomplete executions by status.", []string{"status"}, nil)
	retryQueueDesc = prometheus.NewDesc("weft_retry_queue_depth",
		"Pending incomplete executions whose next automatic attempt is due now.", nil, nil)
	webhookQueueDesc = prometheus.NewDesc("weft_webhook_queue_depth",
		"Trigger payloads (webhook requests, queued runs) waiting for a run.", nil, nil)
	breakersOpenDesc = prometheus.NewDesc("weft_circuit_breakers_open",
		"Open circuit breakers: connections or hosts whose automatic retries wait for a probe.", nil, nil)
	breakerWaitingDesc = prometheus.NewDesc("weft_circuit_breaker_waiting",
		"Pending incomplete executions behind an open circuit breaker, by its key (connection:ID or host:HOST:PORT).",
		[]string{"key"}, nil)
	storeErrorsDesc = prometheus.NewDesc("weft_metrics_store_errors_total",
		"Store queries of scrapes that failed (the gauges they feed are left out of that scrape).", nil, nil)
)

// incompleteStatuses are the statuses exported; resolved ones are kept only for the
// retention period and say little about health, but are cheap to count too.
var incompleteStatuses = []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending,
	weft.IncompleteInProgress, weft.IncompleteResolved}

// storeCollector reads its gauges from the store at scrape time: count queries only.
type storeCollector struct {
	st      store.Store
	clock   func() time.Time
	log     *slog.Logger
	timeout time.Duration
	errors  atomic.Uint64
}

func newStoreCollector(st store.Store, o Options) *storeCollector {
	c := &storeCollector{st: st, clock: o.Clock, log: o.Logger, timeout: o.ScrapeTimeout}
	return c
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- incompleteDesc
	ch <- retryQueueDesc
	ch <- webhookQueueDesc
	ch <- breakersOpenDesc
	ch <- breakerWaitingDesc
	ch <- storeErrorsDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	for _, s := range incompleteStatuses {
		n, err := c.st.CountIncomplete(ctx, store.IncompleteFilter{Status: []weft.IncompleteStatus{s}})
		if c.failed(err, "count incomplete executions", "status", s) {
			continue
		}
		ch <- prometheus.MustNewConstMetric(incompleteDesc, prometheus.GaugeValue, float64(n), string(s))
	}
	if n, err := c.st.CountDue(ctx, c.clock().UTC()); !c.failed(err, "count due retries") {
		ch <- prometheus.MustNewConstMetric(retryQueueDesc, prometheus.GaugeValue, float64(n))
	}
	n, err := c.st.QueueDepth(ctx, 0)
	if !c.failed(err, "count queued payloads") {
		ch <- prometheus.MustNewConstMetric(webhookQueueDesc, prometheus.GaugeValue, float64(n))
	}
	if bs, err := c.st.ListBreakers(ctx); !c.failed(err, "list circuit breakers") {
		ch <- prometheus.MustNewConstMetric(breakersOpenDesc, prometheus.GaugeValue, float64(len(bs)))
		for _, b := range bs {
			n, err := c.st.CountIncomplete(ctx, store.IncompleteFilter{BreakerKey: b.Key,
				Status: []weft.IncompleteStatus{weft.IncompletePending}})
			if c.failed(err, "count incomplete executions behind a circuit breaker", "breaker", b.Key) {
				continue
			}
			ch <- prometheus.MustNewConstMetric(breakerWaitingDesc, prometheus.GaugeValue, float64(n), b.Key)
		}
	}
	ch <- prometheus.MustNewConstMetric(storeErrorsDesc, prometheus.CounterValue, float64(c.errors.Load()))
}

func (c *storeCollector) failed(err error, what string, args ...any) bool {
	if err == nil {
		return false
	}
	c.errors.Add(1)
	c.log.Error("metrics: "+what, append(args, "err", err)...)
	return true
}
