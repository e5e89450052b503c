package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// metricsRegistry has a per-consultation series (as SMS cost counters
// would be), the Redis Lua-call series and a harmless one.
func metricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	perC := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baraza_test_cost_total", Help: "x"}, []string{"consultation"})
	perC.WithLabelValues("night-safety").Add(3)
	perC.WithLabelValues("all").Add(3)
	cmds := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baraza_redis_command_errors_total", Help: "x"}, []string{"command"})
	cmds.WithLabelValues("evalsha").Add(7)
	cmds.WithLabelValues("get").Add(1)
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "baraza_test_up", Help: "x"})
	up.Set(1)
	reg.MustRegister(perC, cmds, up)
	return reg
}

func TestMetricsToken(t *testing.T) {
	get := func(h http.Handler, auth string) (int, string) {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	private := []string{`consultation="night-safety"`, `command="evalsha"`}

	open := NewServer(Deps{Gatherer: metricsRegistry()})
	code, body := get(open, "")
	if code != 200 || !strings.Contains(body, "baraza_test_up 1") || !strings.Contains(body, `command="get"`) || !strings.Contains(body, `consultation="all"`) {
		t.Fatalf("no token configured: got %d, want 200 with the public series:\n%s", code, body)
	}
	for _, p := range private {
		if strings.Contains(body, p) {
			t.Errorf("no token configured: /metrics serves %s", p)
		}
	}

	const tok = "metrics-token-0123456789"
	guarded := NewServer(Deps{Gatherer: metricsRegistry(), MetricsToken: tok})
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", tok} {
		if code, _ := get(guarded, auth); code != http.StatusUnauthorized {
			t.Errorf("token configured, Authorization %q: got %d, want 401", auth, code)
		}
	}
	code, body = get(guarded, "Bearer "+tok)
	if code != 200 {
		t.Fatalf("with the metrics token: got %d", code)
	}
	for _, p := range private {
		if !strings.Contains(body, p) {
			t.Errorf("with the metrics token: %s missing", p)
		}
	}
}

func TestHSTS(t *testing.T) {
	tests := []struct {
		name   string
		secure bool
		tls    bool
		want   bool
	}{
		{"plain http", false, false, false},
		{"public URL is https", true, false, true},
		{"request over TLS", false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewServer(Deps{Secure: tt.secure})
			req := httptest.NewRequest("GET", "/healthz", nil)
			if tt.tls {
				req = httptest.NewRequest("GET", "https://example.org/healthz", nil)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get("Strict-Transport-Security")
			if (got != "") != tt.want || tt.want && !strings.HasPrefix(got, "max-age=") {
				t.Errorf("Strict-Transport-Security %q, want set=%v", got, tt.want)
			}
		})
	}
}
