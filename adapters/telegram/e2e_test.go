package telegram

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

// TestEndToEnd: 300 (BARAZA_SHORT=1: 40) simulated Telegram users complete community-safety at
// once through the fake and the real router, with 10% of updates
// delivered twice and some buttons pressed twice; the adapter is stopped
// mid-run and a new one started on the same store. The counters must equal
// the simulated answers exactly, and no identity may reach Redis or the
// logs.
func TestEndToEnd(t *testing.T) {
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) { endToEnd(t, mode == "webhook") })
	}
}

func endToEnd(t *testing.T, webhook bool) {
	users := 300 // about a minute under -race; BARAZA_SHORT=1 for a quick run
	if os.Getenv("BARAZA_SHORT") == "1" {
		users = 40
	}
	const consultation = "community-safety"
	env := testenv.New(t)
	fake := telegramtest.NewServer(fastFake)
	t.Cleanup(fake.Close)
	script := env.Catalog.Get(consultation)
	if script == nil {
		t.Fatalf("no script %s", consultation)
	}

	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var current atomic.Pointer[Adapter]
	mux.Handle("POST "+WebhookPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		current.Load().WebhookHandler().ServeHTTP(w, r)
	}))
	newAdapter := func() *Adapter {
		cfg := Config{Token: fake.Token(), APIEndpoint: fake.Endpoint(), Offsets: env.Store, Logger: env.Logger,
			Limits: fastLimits, PollTimeout: time.Second, LeaseTTL: 3 * time.Second,
			RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 300 * time.Millisecond, ShutdownGrace: 2 * time.Second}
		if webhook {
			cfg.WebhookURL, cfg.WebhookSecret = srv.URL+WebhookPath, "e2e-secret"
		}
		a, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		current.Store(a)
		return a
	}
	router := func() bot.Handler { return env.Router }
	stop := start(t, newAdapter(), router())

	// A hang detector, not a speed assertion: CI runs this and the
	// Discord e2e in parallel on 2 cores under -race.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := startCrowd(script, people(users, 5100000000, "Wanjiru"), 1, 7, func(_ int, u telegramtest.User, p *simulate.Player, rng *rand.Rand, progressed *atomic.Int64) error {
		return play(ctx, fake, u, p, rng, progressed)
	})
	// restart mid-run
	testenv.WaitFor(t, 6*time.Minute, "half the answers", func() bool { return c.progressed.Load() > int64(users*8) })
	stop()
	env.Restart()
	start(t, newAdapter(), router())
	if !c.wait(t) {
		return
	}
	c.finished(t)

	var needles []string
	for i, p := range c.players {
		u := c.users[i]
		needles = append(needles, strconv.FormatInt(u.ID, 10), u.FirstName, u.Username)
		needles = append(needles, p.Planted()...)
	}
	testenv.AssertCounters(t, env.Counters(t, consultation), simulate.Expected(c.players, ""))
	env.AssertNoLeak(t, needles...)
	if strings.Contains(env.Logs.String(), fake.Token()) {
		t.Errorf("logs hold the bot token")
	}
}

// play drives one simulated user: act on the bot's last message, wait
// until Telegram got the update confirmed, repeat. 10% of updates are
// delivered twice, and 10% of single-choice presses are pressed twice.
func play(ctx context.Context, fake *telegramtest.Server, u telegramtest.User, p *simulate.Player, rng *rand.Rand, progressed *atomic.Int64) error {
	wait := func(id int64) error {
		for !fake.Done(id) {
			if ctx.Err() != nil {
				return fmt.Errorf("update %d never confirmed", id)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	}
	push := func(pushed telegramtest.Pushed) error {
		if rng.IntN(10) == 0 {
			fake.Redeliver(pushed.UpdateID)
		}
		progressed.Add(1)
		return wait(pushed.UpdateID)
	}
	if err := push(fake.Text(u, "/start community-safety")); err != nil {
		return err
	}
	for steps := 0; !p.Done(); steps++ {
		if steps > 200 {
			return fmt.Errorf("no end after 200 steps")
		}
		last, msgID, nav := lastBotMessage(fake, u.ID)
		act, err := p.Act(last)
		if err != nil {
			return err
		}
		switch act.Kind {
		case simulate.ActPress:
			if err := push(fake.Press(u, u.ID, msgID, act.Data)); err != nil {
				return err
			}
			if !nav && rng.IntN(10) == 0 {
				if err := push(fake.Press(u, u.ID, msgID, act.Data)); err != nil {
					return err
				}
			}
		case simulate.ActText:
			if err := push(fake.Text(u, act.Text)); err != nil {
				return err
			}
		case simulate.ActNone:
		}
	}
	return nil
}

// lastBotMessage is the newest visible bot message of a chat as a
// bot.Message, its id, and whether it has Nav-like buttons (more than one
// row after the answers: toggles or Done).
func lastBotMessage(fake *telegramtest.Server, chat int64) (bot.Message, int, bool) {
	ms := fake.Messages(chat)
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if !m.FromBot {
			continue
		}
		out := bot.Message{Text: m.Text}
		multi := false
		for _, row := range m.Keyboard {
			for _, b := range row {
				label, sel := strings.CutPrefix(b.Text, selectedMark)
				multi = multi || sel || label == "Done" || label == "Terminé" || label == "تم"
				out.Buttons = append(out.Buttons, bot.Button{Label: label, Data: b.Data, Selected: sel})
			}
		}
		return out, m.ID, multi
	}
	return bot.Message{}, 0, false
}

// crowd is people answering at once through the fake, one goroutine each:
// person i is users[i], plays players[i] (seeded seed+i) with the random
// stream (i, stream), through run.
type crowd struct {
	users      []telegramtest.User
	players    []*simulate.Player
	progressed atomic.Int64 // answers confirmed, summed over everyone
	wg         sync.WaitGroup
	errs       chan error
}

// people are n Telegram users with ids from base, named name000, ...
func people(n int, base int64, name string) []telegramtest.User {
	us := make([]telegramtest.User, n)
	for i := range us {
		us[i] = telegramtest.User{ID: base + int64(i)*7919, FirstName: fmt.Sprintf("%s%03d", name, i),
			Username: fmt.Sprintf("%s_%03d", strings.ToLower(name), i), LanguageCode: "en"}
	}
	return us
}

// startCrowd starts everyone; run plays one person (play, or a variant).
func startCrowd(script *dialogs.Script, users []telegramtest.User, seed, stream uint64,
	run func(i int, u telegramtest.User, p *simulate.Player, rng *rand.Rand, progressed *atomic.Int64) error) *crowd {
	c := &crowd{users: users, players: make([]*simulate.Player, len(users)), errs: make(chan error, len(users))}
	for i, u := range users {
		p := simulate.NewPlayer(script, seed+uint64(i))
		c.players[i] = p
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			if err := run(i, u, p, rand.New(rand.NewPCG(uint64(i), stream)), &c.progressed); err != nil {
				c.errs <- fmt.Errorf("user %d: %w", i, err)
			}
		}()
	}
	return c
}

// wait waits for everyone and reports each one's error; it returns false
// when anyone failed.
func (c *crowd) wait(t *testing.T) bool {
	t.Helper()
	c.wg.Wait()
	close(c.errs)
	for err := range c.errs {
		t.Error(err)
	}
	return !t.Failed()
}

// finished fails t unless every player saw the end of the dialog.
func (c *crowd) finished(t *testing.T) {
	t.Helper()
	for i, p := range c.players {
		if !p.Done() {
			t.Fatalf("player %d did not finish", i)
		}
	}
}
