package telegram

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

// TestQuickExitExactIDs is the attack on /stop's erase: 30 people talk to
// the bot at once through the real router, so the one private-chat id
// counter interleaves their chats, and every fifth presses /stop
// mid-dialog. Exactly the stoppers' messages (both sides, /stop included)
// must be deleted, no id of another chat may be asked for, and the ids
// asked for per message deleted must stay at or below 1.1.
func TestQuickExitExactIDs(t *testing.T) {
	const users, consultation = 30, "community-safety"
	env := testenv.New(t)
	fake := telegramtest.NewServer(fastFake)
	t.Cleanup(fake.Close)
	script := env.Catalog.Get(consultation)
	a, err := New(context.Background(), Config{Token: fake.Token(), APIEndpoint: fake.Endpoint(), Offsets: env.Store, Trails: bot.NewTrails(env.Store, env.Keys),
		Logger: env.Logger, Limits: fastLimits, PollTimeout: time.Second, LeaseTTL: 3 * time.Second,
		RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 300 * time.Millisecond, ShutdownGrace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start(t, a, env.Router)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := startCrowd(script, people(users, 6100000000, "Achieng"), 1, 9, func(i int, u telegramtest.User, p *simulate.Player, rng *rand.Rand, progressed *atomic.Int64) error {
		stopAfter := -1
		if i%5 == 0 {
			stopAfter = 3 + i%7
		}
		return playStop(ctx, fake, u, p, rng, progressed, stopAfter)
	})
	if !c.wait(t) {
		return
	}
	want := 0
	for i, u := range c.users {
		all := fake.AllMessages(u.ID)
		for _, m := range all {
			if i%5 == 0 && !m.Deleted {
				t.Errorf("user %d (stopped): message %d still there", i, m.ID)
			}
			if i%5 != 0 && m.Deleted {
				t.Errorf("user %d (did not stop): message %d deleted", i, m.ID)
			}
		}
		if i%5 == 0 {
			want += len(all)
		}
	}
	asked, foreign, deleted := fake.DeleteStats()
	ratio := float64(asked) / float64(max(1, deleted))
	t.Logf("quick exit: %d messages deleted, %d ids asked for (%.2f per deleted message), %d of another chat", deleted, asked, ratio, foreign)
	if deleted != want {
		t.Errorf("deleted %d messages, want %d (every message of the stoppers' chats)", deleted, want)
	}
	if foreign != 0 {
		t.Errorf("asked to delete %d ids of other people's chats, want 0", foreign)
	}
	if ratio > 1.1 {
		t.Errorf("ids asked per message deleted: got %.2f, want <= 1.1", ratio)
	}
}

// playStop plays like play, but after stopAfter steps (>= 0) sends /stop
// and waits until its chat is empty.
func playStop(ctx context.Context, fake *telegramtest.Server, u telegramtest.User, p *simulate.Player, rng *rand.Rand, progressed *atomic.Int64, stopAfter int) error {
	wait := func(id int64) error {
		for !fake.Done(id) {
			if ctx.Err() != nil {
				return fmt.Errorf("update %d never confirmed", id)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	}
	push := func(pushed telegramtest.Pushed) error {
		progressed.Add(1)
		return wait(pushed.UpdateID)
	}
	if err := push(fake.Text(u, "/start community-safety")); err != nil {
		return err
	}
	for steps := 0; !p.Done(); steps++ {
		if steps == stopAfter {
			if err := push(fake.Text(u, "/stop")); err != nil {
				return err
			}
			for len(fake.Messages(u.ID)) > 0 {
				if ctx.Err() != nil {
					return fmt.Errorf("chat not emptied after /stop: %d messages left", len(fake.Messages(u.ID)))
				}
				time.Sleep(5 * time.Millisecond)
			}
			return nil
		}
		if steps > 200 {
			return fmt.Errorf("no end after 200 steps")
		}
		last, msgID, _ := lastBotMessage(fake, u.ID)
		act, err := p.Act(last)
		if err != nil {
			return err
		}
		switch act.Kind {
		case simulate.ActPress:
			err = push(fake.Press(u, u.ID, msgID, act.Data))
		case simulate.ActText:
			err = push(fake.Text(u, act.Text))
		}
		if err != nil {
			return err
		}
		_ = rng
	}
	return nil
}
