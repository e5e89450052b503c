package telegram

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

var errKilled = errors.New("process killed")

// killable is one process's view of the world: once killed, its store,
// its network and its handler all fail, as after kill -9 (nothing is
// released, nothing is cleaned up, in-flight work is abandoned).
type killable struct {
	*store.Store
	dead  atomic.Bool
	sends atomic.Int64 // messages this process got sent
}

func (k *killable) Offset(ctx context.Context, name string) (int64, error) {
	if k.dead.Load() {
		return 0, errKilled
	}
	return k.Store.Offset(ctx, name)
}

func (k *killable) SetOffset(ctx context.Context, name string, v int64) error {
	if k.dead.Load() {
		return errKilled
	}
	return k.Store.SetOffset(ctx, name, v)
}

func (k *killable) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if k.dead.Load() {
		return false, errKilled
	}
	return k.Store.AcquireLease(ctx, name, holder, ttl)
}

func (k *killable) ReleaseLease(ctx context.Context, name, holder string) error {
	if k.dead.Load() {
		return errKilled
	}
	return k.Store.ReleaseLease(ctx, name, holder)
}

func (k *killable) AcquireFencedLease(ctx context.Context, name, holder string, ttl time.Duration) (int64, error) {
	if k.dead.Load() {
		return 0, errKilled
	}
	return k.Store.AcquireFencedLease(ctx, name, holder, ttl)
}

func (k *killable) SetOffsetFenced(ctx context.Context, name string, v int64, holder string, token int64) (bool, error) {
	if k.dead.Load() {
		return false, errKilled
	}
	return k.Store.SetOffsetFenced(ctx, name, v, holder, token)
}

func (k *killable) ReleaseFencedLease(ctx context.Context, name, holder string, token int64) error {
	if k.dead.Load() {
		return errKilled
	}
	return k.Store.ReleaseFencedLease(ctx, name, holder, token)
}

func (k *killable) RoundTrip(r *http.Request) (*http.Response, error) {
	if k.dead.Load() {
		return nil, errKilled
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusOK && strings.HasSuffix(r.URL.Path, "/sendMessage") {
		k.sends.Add(1)
	}
	return resp, err
}

func (k *killable) handler(h bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, ev bot.Event) (bot.Response, error) {
		if k.dead.Load() {
			<-ctx.Done()
			return bot.Response{}, errKilled
		}
		return h.Handle(ctx, ev)
	})
}

// TestKillDuringLiveDialogs: two replicas poll one bot (only one at a
// time holds the lease); 30 people are mid-dialog when the holder is
// killed without any cleanup. The other takes over: nobody starts over,
// every dialog completes, counts are exact, and the outage (from the kill
// to the first reply sent after it) is reported.
func TestKillDuringLiveDialogs(t *testing.T) {
	const users, consultation = 30, "community-safety"
	env := testenv.New(t)
	fake := telegramtest.NewServer(fastFake)
	t.Cleanup(fake.Close)
	script := env.Catalog.Get(consultation)
	routerA := env.Router
	env.Restart()
	routerB := env.Router

	procA, procB := &killable{Store: env.Store}, &killable{Store: env.Store}
	newAdapter := func(p *killable) *Adapter {
		a, err := New(context.Background(), Config{Token: fake.Token(), APIEndpoint: fake.Endpoint(), Offsets: p,
			HTTPClient: &http.Client{Transport: p, Timeout: 20 * time.Second},
			Logger:     env.Logger, Limits: fastLimits, PollTimeout: 10 * time.Second,
			RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 300 * time.Millisecond, ShutdownGrace: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := newAdapter(procA)
	ctxA, killA := context.WithCancel(context.Background())
	defer killA()
	go func() { _ = a.Run(ctxA, procA.handler(routerA)) }()
	testenv.WaitFor(t, time.Minute, "the first replica polling", fake.Polling)
	start(t, newAdapter(procB), procB.handler(routerB)) // the standby

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := startCrowd(script, people(users, 7100000000, "Otieno"), 100, 11, func(_ int, u telegramtest.User, p *simulate.Player, rng *rand.Rand, progressed *atomic.Int64) error {
		return play(ctx, fake, u, p, rng, progressed)
	})
	testenv.WaitFor(t, 3*time.Minute, "dialogs under way", func() bool { return c.progressed.Load() > users*5 })
	if procB.sends.Load() != 0 {
		t.Fatal("the standby sent messages while the other replica held the lease")
	}
	procA.dead.Store(true) // kill -9: nothing released, nothing finished
	killed := time.Now()
	testenv.WaitFor(t, 3*time.Minute, "a reply from the replacement", func() bool { return procB.sends.Load() > 0 })
	outage := time.Since(killed)
	killA()
	if !c.wait(t) {
		return
	}
	t.Logf("restart outage: first reply %.1f s after the kill (lease %s)", outage.Seconds(), a.cfg.LeaseTTL)
	c.finished(t)
	testenv.AssertCounters(t, env.Counters(t, consultation), simulate.Expected(c.players, ""))
}
