package bot_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// BenchmarkRouterMessage measures one respondent message through the
// router, the step machine and a real Redis on loopback, with 32
// respondents answering at once. It reports messages per second and Redis
// round trips per message (the design's budget: 2 for an ordinary answer,
// 1 more for consent and for completion).
func BenchmarkRouterMessage(b *testing.B) {
	env := testenv.New(b)
	var rt store.RoundTrips
	env.RDB.AddHook(&rt)
	script := env.Catalog.Get("community-safety")
	router := func() bot.Handler { return env.Router }

	var events atomic.Int64
	var next atomic.Int64
	ctx := context.Background()
	b.ResetTimer()
	rt0 := rt.Load()
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for events.Load() < int64(b.N) {
				i := next.Add(1)
				r := &simulate.Respondent{User: fmt.Sprintf("bench-%d", i), Player: simulate.NewPlayer(script, uint64(i)), Handler: router}
				if err := r.Run(ctx, script.ID); err != nil {
					b.Error(err)
					return
				}
				events.Add(int64(r.Events))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	n := float64(events.Load())
	b.ReportMetric(float64(rt.Load()-rt0)/n, "rt/msg")
	b.ReportMetric(n/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "completions/s")
}
