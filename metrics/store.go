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
