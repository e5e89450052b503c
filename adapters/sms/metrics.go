package sms

import "github.com/prometheus/client_golang/prometheus"

// metrics are the adapter's counters. Labels are a consultation id, a
// status or a result word: never a number, a pseudonym or a text.
type metrics struct {
	inbound  *prometheus.CounterVec
	messages *prometheus.CounterVec
	segments *prometheus.CounterVec
	held     *prometheus.CounterVec
	failures *prometheus.CounterVec
	reports  *prometheus.CounterVec
	repeats  prometheus.Counter
	retries  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baraza_sms_inbound_total",
			Help: "Inbound SMS requests from Kannel by result: ok, repeat (handled already: silence), malformed, unauthorized, error (retried by Kannel)."}, []string{"result"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baraza_sms_messages_out_total",
			Help: "Outbound SMS messages handed to Kannel, by consultation (\"all\" unless /metrics is behind a token)."}, []string{"consultation"}),
		segments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baraza_sms_segments_out_total",
			Help: "Outbound SMS segments (billed parts), by consultation (\"all\" unless /metrics is behind a token)."}, []string{"consultation"}),
		held: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baraza_sms_held_total",
			Help: "Outbound SMS not sent because the consultation reached its segment cap."}, []string{"consultation"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baraza_sms_send_failures_total",
			Help: "Outbound SMS that Kannel refused after all attempts, by kind: temporary, permanent."}, []string{"kind"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baraza_sms_delivery_reports_total",
			Help: "Delivery reports by status: delivered, failed, other."}, []string{"status"}),
		repeats: prometheus.NewCounter(prometheus.CounterOpts{Name: "baraza_sms_repeats_suppressed_total",
			Help: "Outbound SMS not sent because that step's message was sent already (a re-delivery or a restart)."}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "baraza_sms_send_retries_total",
			Help: "Sends retried after a temporary Kannel failure."}),
	}
	if reg != nil {
		reg.MustRegister(m.inbound, m.messages, m.segments, m.held, m.failures, m.reports, m.repeats, m.retries)
	}
	return m
}
