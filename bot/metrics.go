package bot

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what the router does. No label ever carries an identity:
// labels are the adapter name, an outcome word or a refusal reason.
type Metrics struct {
	in       *prometheus.CounterVec
	out      *prometheus.CounterVec
	outcomes *prometheus.CounterVec
	refusals *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  prometheus.Histogram
}

// NewMetrics registers the router's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		in: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baraza_messages_in_total", Help: "Inbound events by adapter."}, []string{"adapter"}),
		out: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baraza_messages_out_total", Help: "Outbound messages by adapter."}, []string{"adapter"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baraza_steps_total", Help: "Handled events by kind: answer, duplicate, refused, command, group, error."}, []string{"outcome"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baraza_refusals_total", Help: "Refused inputs by reason."}, []string{"reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baraza_step_errors_total", Help: "Events that failed (and will be retried) by adapter."}, []string{"adapter"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "baraza_step_seconds", Help: "Time to handle one event, Redis included.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14)}),
	}
	reg.MustRegister(m.in, m.out, m.outcomes, m.refusals, m.errors, m.latency)
	return m
}

func (m *Metrics) observe(adapter, outcome string, out int, err error, d time.Duration) {
	if m == nil {
		return
	}
	m.in.WithLabelValues(adapter).Inc()
	m.out.WithLabelValues(adapter).Add(float64(out))
	m.outcomes.WithLabelValues(coarse(outcome)).Inc()
	if err != nil {
		m.errors.WithLabelValues(adapter).Inc()
	}
	m.latency.Observe(d.Seconds())
}

// coarse folds the router's outcomes into kinds that say nothing about
// respondents: /metrics is scraped without a token, and exact counts of
// consents, completions or refusals of consent would bypass the small-cell
// suppression every other output goes through (with one consultation open,
// "completed" would be its exact completion count, scrape by scrape).
func coarse(outcome string) string {
	switch outcome {
	case "duplicate", "refused", "stale", "group", "command", "results", "error":
		return outcome
	}
	return "answer"
}

func (m *Metrics) refusal(reason string) {
	if m == nil {
		return
	}
	m.refusals.WithLabelValues(reason).Inc()
}
