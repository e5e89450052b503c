package web

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// handleMetrics serves /metrics. With Deps.MetricsToken set it answers
// only "Authorization: Bearer <MetricsToken>" and serves everything
// (per-consultation series included). Without a token it serves the
// public subset: no series labelled by consultation or script, and no
// count of Lua script calls (each consent, completion and decline is one,
// so their count would read those outcomes scrape by scrape).
func (s *server) handleMetrics() http.Handler {
	full := promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{})
	public := promhttp.HandlerFor(publicGatherer{s.Gatherer}, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.MetricsToken == "" {
			public.ServeHTTP(w, r)
			return
		}
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !equal(strings.TrimSpace(raw), s.MetricsToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="baraza-metrics"`)
			writeError(w, http.StatusUnauthorized, "the metrics token is required")
			return
		}
		full.ServeHTTP(w, r)
	})
}

// publicGatherer drops what moves with each respondent of one
// consultation.
type publicGatherer struct{ g prometheus.Gatherer }

// privateLabels name series that are per consultation or per script.
var privateLabels = map[string]bool{"consultation": true, "script": true, "question": true}

// luaCommands are the Redis commands that run scripts.
var luaCommands = map[string]bool{"evalsha": true, "eval": true, "evalsha_ro": true, "eval_ro": true, "fcall": true, "fcall_ro": true}

func (p publicGatherer) Gather() ([]*dto.MetricFamily, error) {
	fams, err := p.g.Gather()
	out := fams[:0]
	for _, f := range fams {
		kept := f.Metric[:0]
		for _, m := range f.Metric {
			if !private(m) {
				kept = append(kept, m)
			}
		}
		if len(kept) == 0 {
			continue
		}
		f.Metric = kept
		out = append(out, f)
	}
	return out, err
}

func private(m *dto.Metric) bool {
	for _, l := range m.GetLabel() {
		if privateLabels[l.GetName()] && l.GetValue() != "all" {
			// "all" is an aggregate over every consultation (the SMS
			// adapter's counters without a metrics token).
			return true
		}
		if l.GetName() == "command" && luaCommands[l.GetValue()] {
			return true
		}
	}
	return false
}
