package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkSummary measures GET /api/v1/consultations/{id}/summary (bearer
// authentication, status, counters, suppression of every table, the
// release log line, JSON) with counters scaled to 10^3 and 10^6 completed
// responses. Summaries read counters, so the cost must not grow with the
// number of responses.
func BenchmarkSummary(b *testing.B) {
	f := newFixture(b)
	base := f.env.Counters(b, "town")
	key := f.env.Redis.Prefix + "baraza:{c:town}:n"
	for _, n := range []int64{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("completed=%d", n), func(b *testing.B) {
			scaled := make(map[string]any, len(base))
			for field, v := range base {
				scaled[field] = v * n / base["completed"]
			}
			// Plain field names (read as they are beside sealed ones):
			// replace the hash rather than add to it.
			if err := f.env.RDB.Del(context.Background(), key).Err(); err != nil {
				b.Fatal(err)
			}
			if err := f.env.RDB.HSet(context.Background(), key, scaled).Err(); err != nil {
				b.Fatal(err)
			}
			if got := f.env.Counters(b, "town")["completed"]; got != n {
				b.Fatalf("completed: got %d, want %d (key layout changed?)", got, n)
			}
			h := f.srv.Config.Handler
			req := httptest.NewRequest(http.MethodGet, "/api/v1/consultations/town/summary", nil)
			req.Header.Set("Authorization", "Bearer "+f.tokens[official])
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("got %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
