package bot_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// TestClusterExactlyOnce answers both bundled scripts through the router on
// a three-node Redis Cluster: every multi-key script must stay in one slot
// (a CROSSSLOT or non-local key error would fail the dialog), and the
// counters must be exact.
func TestClusterExactlyOnce(t *testing.T) {
	cl := redistest.StartCluster(t)
	rdb := cl.Client()
	st := store.New(rdb, store.Options{})
	scripts, err := dialogs.LoadFS(dialogs.Bundled())
	if err != nil {
		t.Fatal(err)
	}
	catalog := bot.NewCatalog(scripts)
	router := bot.NewRouter(bot.RouterConfig{Store: st, Keys: privacy.NewKeys(privacy.RandomSecret()), Catalog: catalog})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	for _, id := range []string{"community-safety", "incident-report"} {
		script := catalog.Get(id)
		const n = 30
		players := make([]*simulate.Player, n)
		var wg sync.WaitGroup
		for i := range n {
			players[i] = simulate.NewPlayer(script, uint64(100+i))
			r := &simulate.Respondent{User: fmt.Sprintf("%s-%d", id, i), Player: players[i],
				Handler: func() bot.Handler { return router }, Chaos: simulate.Chaos{DupRate: 0.2, DoubleTapRate: 0.1}}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.Run(ctx, script.ID); err != nil {
					t.Errorf("%s user %d: %v", id, i, err)
				}
			}()
		}
		wg.Wait()
		got, err := st.Counters(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(id+" counters", func(t *testing.T) {
			testenv.AssertCounters(t, got, simulate.Expected(players, results.Week(time.Now())))
		})
	}
}
