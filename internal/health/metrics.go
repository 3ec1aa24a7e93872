// Package health records the health of connections and ingestion: Prometheus
// metrics on a private registry, and SentinelHealth rows ("Data fetch status
// change", "Data fetch failure summary") written into the SentinelHealth
// table in the same store batch as the data they describe.
//
// It implements SPEC §8 and reference/ccf-format.md §8.2–§8.6. Decisions
// where the sources are silent: SentinelResourceKind is "RestApiPoller",
// SentinelResourceName is "ApiPolling-<connection>" (the observed prefix,
// §8.4, so community queries work), transient failures (throttling, 5xx,
// network) flip the status to Failure only after persisting 60 minutes, a
// stable status is re-logged once per hour, and the failure summary is
// written when the caller flushes (hourly by the poller). It does not
// schedule anything itself and does not serve HTTP beyond the metrics
// handler.
package health

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ErrorClass classifies a polling error (SPEC §7 health view).
type ErrorClass string

// Error classes.
const (
	ErrAuth        ErrorClass = "auth"
	ErrThrottled   ErrorClass = "throttled"
	ErrPaging      ErrorClass = "paging"
	ErrSource      ErrorClass = "source"
	ErrTransform   ErrorClass = "transform"
	ErrDestination ErrorClass = "destination"
)

// Metrics holds every Codeless metric on its own registry (never the global
// one, so several servers can live in one test binary).
type Metrics struct {
	reg *prometheus.Registry

	requests     *prometheus.CounterVec
	pages        *prometheus.CounterVec
	events       *prometheus.CounterVec
	rows         *prometheus.CounterVec
	errors       *prometheus.CounterVec
	retries      *prometheus.CounterVec
	throttleWait *prometheus.CounterVec
	bytesIn      *prometheus.CounterVec
	windowLag    *prometheus.GaugeVec
	commit       *prometheus.HistogramVec

	ingestBytes   *prometheus.CounterVec
	ingestRecords *prometheus.CounterVec
	ingestRows    *prometheus.CounterVec
	ingestInvalid *prometheus.CounterVec
	ingestCalls   *prometheus.CounterVec
}

// NewMetrics builds the metrics on a new registry that also carries the Go
// runtime and process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	c := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "codeless", Name: name, Help: help}, labels)
		reg.MustRegister(v)
		return v
	}
	m := &Metrics{reg: reg}
	m.requests = c("poll_requests_total", "HTTP requests sent to source APIs, by status code class.", "connection", "code")
	m.pages = c("poll_pages_total", "Response pages processed.", "connection")
	m.events = c("poll_events_total", "Events extracted from responses.", "connection")
	m.rows = c("poll_rows_total", "Rows committed per destination table.", "connection", "table")
	m.errors = c("poll_errors_total", "Polling errors by class.", "connection", "class")
	m.retries = c("poll_retries_total", "Request retries.", "connection")
	m.throttleWait = c("poll_throttle_wait_seconds_total", "Seconds spent waiting on rate limits and Retry-After.", "connection")
	m.bytesIn = c("poll_response_bytes_total", "Response bytes read from source APIs (after decompression).", "connection")
	m.windowLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "codeless", Name: "poll_window_lag_seconds",
		Help: "Seconds between now and the end of the last committed window."}, []string{"connection"})
	m.commit = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "codeless", Name: "commit_seconds",
		Help: "Latency of store commits (rows + checkpoint).", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"connection"})
	reg.MustRegister(m.windowLag, m.commit)
	m.ingestBytes = c("ingest_bytes_total", "Bytes received by the Logs Ingestion endpoint (after decompression).", "dcr")
	m.ingestCalls = c("ingest_requests_total", "Logs Ingestion calls by HTTP status.", "dcr", "status")
	m.ingestRecords = c("ingest_records_total", "Records accepted per DCR stream.", "dcr", "stream")
	m.ingestRows = c("ingest_rows_total", "Rows produced per DCR and table.", "dcr", "table")
	m.ingestInvalid = c("ingest_invalid_values_total", "Values that failed stream type coercion (stored as null).", "dcr", "stream")
	return m
}

// Registry returns the private registry (to add collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request counts one source request with its HTTP status (0 = no response).
func (m *Metrics) Request(conn string, status int) {
	code := "error"
	if status > 0 {
		code = strconv.Itoa(status/100) + "xx"
	}
	m.requests.WithLabelValues(conn, code).Inc()
}

// Page counts one processed page with its events and response bytes.
func (m *Metrics) Page(conn string, events int, bytes int64) {
	m.pages.WithLabelValues(conn).Inc()
	m.events.WithLabelValues(conn).Add(float64(events))
	m.bytesIn.WithLabelValues(conn).Add(float64(bytes))
}

// Rows counts rows committed for a connection into a table.
func (m *Metrics) Rows(conn, table string, n int) {
	m.rows.WithLabelValues(conn, table).Add(float64(n))
}

// Error counts one error of a class.
func (m *Metrics) Error(conn string, class ErrorClass) {
	m.errors.WithLabelValues(conn, string(class)).Inc()
}

// Retry counts one retry.
func (m *Metrics) Retry(conn string) { m.retries.WithLabelValues(conn).Inc() }

// ThrottleWait adds time spent waiting on rate limits.
func (m *Metrics) ThrottleWait(conn string, d time.Duration) {
	m.throttleWait.WithLabelValues(conn).Add(d.Seconds())
}

// WindowLag sets the lag of a connection's last committed window.
func (m *Metrics) WindowLag(conn string, lag time.Duration) {
	m.windowLag.WithLabelValues(conn).Set(lag.Seconds())
}

// Commit observes one commit latency.
func (m *Metrics) Commit(conn string, d time.Duration) {
	m.commit.WithLabelValues(conn).Observe(d.Seconds())
}

// Ingest records one Logs Ingestion call (or in-process pipeline call).
func (m *Metrics) Ingest(dcr, stream string, status int, bytes int64, records, invalid int) {
	m.ingestCalls.WithLabelValues(dcr, strconv.Itoa(status)).Inc()
	if bytes > 0 {
		m.ingestBytes.WithLabelValues(dcr).Add(float64(bytes))
	}
	if records > 0 {
		m.ingestRecords.WithLabelValues(dcr, stream).Add(float64(records))
	}
	if invalid > 0 {
		m.ingestInvalid.WithLabelValues(dcr, stream).Add(float64(invalid))
	}
}

// IngestRows counts rows produced for a table by a DCR.
func (m *Metrics) IngestRows(dcr, table string, n int) {
	m.ingestRows.WithLabelValues(dcr, table).Add(float64(n))
}

// ForgetConnection drops every series of a deleted connection.
func (m *Metrics) ForgetConnection(conn string) {
	l := prometheus.Labels{"connection": conn}
	for _, v := range []*prometheus.CounterVec{m.requests, m.pages, m.events, m.rows, m.errors, m.retries, m.throttleWait, m.bytesIn} {
		v.DeletePartialMatch(l)
	}
	m.windowLag.DeletePartialMatch(l)
	m.commit.DeletePartialMatch(l)
}
