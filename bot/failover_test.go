package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/store"
)

// answers records when each successful answer was ready, to report the
// longest time without one.
type answers struct {
	next bot.Handler
	mu   sync.Mutex
	at   []time.Time
	errs atomic.Int64
}

func (a *answers) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	resp, err := a.next.Handle(ctx, ev)
	if err != nil {
		a.errs.Add(1)
		return resp, err
	}
	a.mu.Lock()
	a.at = append(a.at, time.Now())
	a.mu.Unlock()
	return resp, nil
}

func (a *answers) longestGap() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	ts := slices.Clone(a.at)
	slices.SortFunc(ts, func(x, y time.Time) int { return x.Compare(y) })
	var gap time.Duration
	for i := 1; i < len(ts); i++ {
		gap = max(gap, ts[i].Sub(ts[i-1]))
	}
	return gap
}

// TestSentinelFailover runs respondents against a real Sentinel set-up
// (one master, one replica, three sentinels) and, mid-load, promotes the
// replica (SENTINEL FAILOVER) or freezes the master for 5 s
// (SIGSTOP/SIGCONT, so the sentinels elect the replica while the old
// master is still there). The client finds the new master by itself, the
// counts are exact (nothing lost, nothing doubled: each write waits for
// the replica, and a write WAIT cannot confirm fails and is retried
// against idempotent scripts), and the time without answers is reported.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five Redis processes and freezes one for 5 s")
	}
	scripts, err := dialogs.LoadFS(dialogs.Bundled())
	if err != nil {
		t.Fatal(err)
	}
	for _, fault := range []string{"failover", "freeze"} {
		t.Run(fault, func(t *testing.T) {
			s := redistest.StartSentinel(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			rdb, err := store.Connect(ctx, s.URL+"?read_timeout=1s&write_timeout=1s&dial_timeout=1s")
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			st := store.New(rdb, store.Options{WaitReplicas: 1, WaitTimeout: 500 * time.Millisecond})
			catalog := bot.NewCatalog(scripts)
			router := bot.NewRouter(bot.RouterConfig{Store: st, Keys: privacy.NewKeys([]byte("failover-secret-0123456789abcdef")),
				Catalog: catalog, Logger: slog.New(slog.DiscardHandler)})
			h := &answers{next: router}
			script := catalog.Get("community-safety")

			const n = 60
			players := make([]*simulate.Player, n)
			var finished atomic.Int64
			var wg sync.WaitGroup
			sem := make(chan struct{}, 12)
			for i := range n {
				players[i] = simulate.NewPlayer(script, uint64(500+i))
				players[i].Decline = i%13 == 0
				r := &simulate.Respondent{User: fmt.Sprintf("fo-%s-%d", fault, i), Player: players[i],
					Handler: func() bot.Handler { return h }, Chaos: simulate.Chaos{DupRate: 0.1}}
				wg.Add(1)
				go func() {
					defer wg.Done()
					sem <- struct{}{}
					defer func() { <-sem }()
					if err := r.Run(ctx, script.ID); err != nil {
						t.Errorf("respondent %d: %v", i, err)
					}
					finished.Add(1)
				}()
			}
			deadline := time.Now().Add(3 * time.Minute)
			for finished.Load() < n/3 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond) // polling the load's progress, not timing anything
			}
			var faultErr error
			var newMaster string
			switch fault {
			case "failover":
				newMaster, faultErr = s.Failover(ctx)
			case "freeze":
				var old string
				old, faultErr = s.Freeze(ctx, 5*time.Second)
				if faultErr == nil {
					newMaster, faultErr = s.WaitNewMaster(ctx, old)
				}
			}
			if faultErr != nil {
				t.Fatalf("%s: %v", fault, faultErr)
			}
			wg.Wait()
			if finished.Load() != n {
				t.Fatalf("%d of %d respondents finished", finished.Load(), n)
			}
			got, err := st.Counters(ctx, script.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := simulate.Expected(players, results.Week(time.Now()))
			if !maps.Equal(got, want) {
				for f := range want {
					if got[f] != want[f] {
						t.Errorf("counter %s: got %d, want %d", f, got[f], want[f])
					}
				}
				for f := range got {
					if _, ok := want[f]; !ok {
						t.Errorf("counter %s: got %d, want none", f, got[f])
					}
				}
			}
			t.Logf("%s: new master %s; longest time without an answer %v; %d failed deliveries retried; %d writes WAIT could not confirm",
				fault, newMaster, h.longestGap().Round(time.Millisecond), h.errs.Load(), st.Unreplicated())
		})
	}
}
