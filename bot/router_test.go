package bot_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

// TestExactlyOnce runs 200 concurrent respondents with duplicated events,
// double taps, a process restart and a Redis blip in the middle, and
// checks the counters equal the simulated answers exactly.
func TestExactlyOnce(t *testing.T) {
	srv := redistest.Start(t, redistest.WithAOF())
	env := testenv.NewOn(t, srv)
	script := env.Catalog.Get("community-safety")
	if script == nil {
		t.Fatal("bundled community-safety script missing")
	}

	var mu sync.RWMutex
	router := bot.Handler(env.Router)
	current := func() bot.Handler {
		mu.RLock()
		defer mu.RUnlock()
		return router
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const n = 200
	players := make([]*simulate.Player, n)
	var finished atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		players[i] = simulate.NewPlayer(script, uint64(i+1))
		players[i].Decline = i%17 == 0
		r := &simulate.Respondent{User: fmt.Sprintf("7%08d", 1000+i), Player: players[i], Handler: current,
			Chaos: simulate.Chaos{DupRate: 0.1, DoubleTapRate: 0.05}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(ctx, script.ID); err != nil {
				t.Errorf("user %d: %v", i, err)
			}
			finished.Add(1)
		}()
	}
	// Half-way: the process restarts (a new router, nothing in memory
	// survives), and Redis goes away and comes back.
	testenv.WaitFor(t, 60*time.Second, "half the respondents", func() bool { return finished.Load() >= n/4 })
	mu.Lock()
	env.Restart()
	router = env.Router
	mu.Unlock()
	srv.Restart()
	wg.Wait()
	if t.Failed() {
		return
	}

	testenv.AssertCounters(t, env.Counters(t, script.ID), simulate.Expected(players, results.Week(time.Now())))

	// No identity and no free text in Redis or the logs.
	var needles []string
	for i := range n {
		needles = append(needles, fmt.Sprintf("7%08d", 1000+i))
	}
	for _, p := range players {
		needles = append(needles, p.Planted()...)
	}
	env.AssertNoLeak(t, needles...)
}
