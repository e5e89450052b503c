package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

// dyingHandler is the router of a replica that dies on one update: the
// router handles it (the step is committed in Redis, the answer counted),
// then the process is gone before any reply is sent or the webhook is
// answered.
type dyingHandler struct {
	h      bot.Handler
	user   string // the person whose update kills the replica
	nth    int64  // on their nth update to this replica
	seen   atomic.Int64
	killed atomic.Value // the event id that died mid-update
	died   chan struct{}
	once   sync.Once
}

func (d *dyingHandler) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	resp, err := d.h.Handle(ctx, ev)
	if err != nil || ev.User != d.user || d.seen.Add(1) != d.nth {
		return resp, err
	}
	d.killed.Store(ev.ID)
	d.once.Do(func() { close(d.died) })
	<-ctx.Done() // the process is dead: nothing more happens here
	return bot.Response{}, errors.New("replica killed mid-update")
}

// TestWebhookReplicaDiesMidUpdate: two webhook replicas (two routers and
// adapters) on one Redis behind one address. The first dies in the middle
// of one person's update, after the router committed the step and before
// the reply or the webhook's answer: its connections drop, as a killed
// process's do. Telegram (the fake) re-delivers what was not answered 2xx,
// now to the second replica, which sees a duplicate of a committed step
// and shows the person their current question. Nobody is stuck (no lease
// or lock outlives the dead replica in webhook mode), everyone finishes,
// and the counters equal the simulated answers exactly: the dying update
// counted once.
func TestWebhookReplicaDiesMidUpdate(t *testing.T) {
	const users = 6
	const consultation = "community-safety"
	srv := redistest.Start(t)
	fake := telegramtest.NewServer(fastFake)
	t.Cleanup(fake.Close)
	mux := http.NewServeMux()
	front := httptest.NewServer(mux)
	t.Cleanup(front.Close)

	victim := telegramtest.User{ID: 6300000000, FirstName: "Wanjiru", LanguageCode: "en"}
	var dead atomic.Bool
	var replicas [2]atomic.Pointer[Adapter]
	var dying *dyingHandler
	var killedMu sync.Mutex
	var killedUpdates []int64 // webhook deliveries cut off by the death
	var servedByB sync.Map    // update id -> answered by the survivor
	updateID := func(body []byte) int64 {
		var u struct {
			UpdateID int64 `json:"update_id"`
		}
		_ = json.Unmarshal(body, &u)
		return u.UpdateID
	}
	mux.Handle("POST "+WebhookPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		id := updateID(body)
		if dead.Load() {
			rec := httptest.NewRecorder()
			req := r.Clone(r.Context())
			req.Body = io.NopCloser(bytes.NewReader(body))
			replicas[1].Load().WebhookHandler().ServeHTTP(rec, req)
			if rec.Code/100 == 2 {
				servedByB.Store(id, true)
			}
			w.WriteHeader(rec.Code)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		rec := httptest.NewRecorder()
		req := r.Clone(ctx)
		req.Body = io.NopCloser(bytes.NewReader(body))
		done := make(chan struct{})
		go func() { replicas[0].Load().WebhookHandler().ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
			w.WriteHeader(rec.Code)
		case <-dying.died:
			// Killed: the connection drops without an answer.
			dead.Store(true)
			killedMu.Lock()
			killedUpdates = append(killedUpdates, id)
			killedMu.Unlock()
			cancel()
			<-done
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					_ = c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
	}))

	var envs []*testenv.Env
	var stops []func()
	for i := range 2 {
		env := testenv.NewOn(t, srv)
		envs = append(envs, env)
		a := webhookReplica(t, fake, env, front.URL)
		replicas[i].Store(a)
		var h bot.Handler = env.Router
		if i == 0 {
			dying = &dyingHandler{h: env.Router, user: strconv.FormatInt(victim.ID, 10), nth: 5, died: make(chan struct{})}
			h = dying
		}
		stops = append(stops, start(t, a, h))
	}

	script := envs[0].Catalog.Get(consultation)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute) // a hang detector
	defer cancel()
	us := people(users, 6300000000, "Akinyi")
	us[0] = victim
	c := startCrowd(script, us, 700, 13, func(_ int, u telegramtest.User, p *simulate.Player, rng *rand.Rand, progressed *atomic.Int64) error {
		return play(ctx, fake, u, p, rng, progressed)
	})
	ok := c.wait(t)
	stops[0]() // the dead replica took nothing after it died (the front sent it nothing)
	if !ok {
		return
	}
	select {
	case <-dying.died:
	default:
		t.Fatal("the first replica never died: the victim sent fewer than 5 updates to it")
	}
	killedMu.Lock()
	defer killedMu.Unlock()
	if len(killedUpdates) == 0 {
		t.Fatal("no webhook delivery was cut off")
	}
	for _, id := range killedUpdates {
		if _, ok := servedByB.Load(id); !ok || !fake.Done(id) {
			t.Errorf("update %d, cut off by the death, was not re-delivered to and answered by the survivor", id)
		}
	}
	c.finished(t)
	testenv.AssertCounters(t, envs[1].Counters(t, consultation), simulate.Expected(c.players, ""))
	t.Logf("killed mid-update: event %v; %d deliveries cut off, all re-delivered and answered once by the survivor",
		dying.killed.Load(), len(killedUpdates))
}
