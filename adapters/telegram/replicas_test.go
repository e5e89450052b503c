package telegram

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

// TestTwoWebhookReplicas runs two whole cores (router, adapter, locks:
// two `baraza serve` processes) on one Redis behind one webhook address
// that hands each delivery to the other replica in turn, so one person's
// consecutive updates, and Telegram's re-deliveries, land on different
// replicas. Counts exact, every answer counted for its question, the same
// summary read on both.
func TestTwoWebhookReplicas(t *testing.T) {
	const users = 30
	const consultation = "community-safety"
	srv := redistest.Start(t)
	fake := telegramtest.NewServer(fastFake)
	t.Cleanup(fake.Close)
	mux := http.NewServeMux()
	front := httptest.NewServer(mux)
	t.Cleanup(front.Close)

	var envs []*testenv.Env
	var adapters [2]atomic.Pointer[Adapter]
	var served [2]atomic.Int64
	var turn atomic.Int64
	mux.Handle("POST "+WebhookPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(turn.Add(1) % 2)
		served[i].Add(1)
		adapters[i].Load().WebhookHandler().ServeHTTP(w, r)
	}))
	for i := range 2 {
		env := testenv.NewOn(t, srv)
		envs = append(envs, env)
		a := webhookReplica(t, fake, env, front.URL)
		adapters[i].Store(a)
		start(t, a, env.Router)
	}

	script := envs[0].Catalog.Get(consultation)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute) // a hang detector
	defer cancel()
	c := startCrowd(script, people(users, 6200000000, "Achieng"), 300, 11, func(_ int, u telegramtest.User, p *simulate.Player, rng *rand.Rand, progressed *atomic.Int64) error {
		return play(ctx, fake, u, p, rng, progressed)
	})
	if !c.wait(t) {
		return
	}
	for i := range served {
		if served[i].Load() < int64(users) {
			t.Errorf("replica %d took %d deliveries, want a fair share", i, served[i].Load())
		}
	}
	testenv.AssertCounters(t, envs[0].Counters(t, consultation), simulate.Expected(c.players, ""))
	// Both replicas' release loops tick: one release is made, and both
	// read it.
	for _, env := range envs {
		env.Release(t)
	}
	var views []string
	for _, env := range envs {
		s, err := env.Consult.Summary(context.Background(), consultation, "en")
		if err != nil {
			t.Fatal(err)
		}
		if s.Release != 1 {
			t.Errorf("release %d, want 1", s.Release)
		}
		b, _ := json.Marshal(s)
		views = append(views, string(b))
	}
	if views[0] != views[1] {
		t.Errorf("the replicas read different summaries:\n%s\n%s", views[0], views[1])
	}
}

// webhookReplica is one replica of a webhook deployment behind front:
// its own adapter on env's store, talking to fake.
func webhookReplica(t *testing.T, fake *telegramtest.Server, env *testenv.Env, front string) *Adapter {
	t.Helper()
	cfg := Config{Token: fake.Token(), APIEndpoint: fake.Endpoint(), Offsets: env.Store, Logger: env.Logger,
		Limits: fastLimits, PollTimeout: time.Second, LeaseTTL: 3 * time.Second,
		RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 300 * time.Millisecond, ShutdownGrace: 2 * time.Second,
		WebhookURL: front + WebhookPath, WebhookSecret: "replicas-secret-0123456789abcdef-xyz"}
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
