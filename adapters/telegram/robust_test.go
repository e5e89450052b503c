package telegram

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
)

// TestStopWithoutFromAfterRestart: /stop with no session (Erase.From
// empty) on a fresh adapter instance, which has no memory of the chat
// (a restart, or another webhook replica): the 300 ids before the /stop
// and the /stop itself are deleted, in batches of 100, and nothing older.
func TestStopWithoutFromAfterRestart(t *testing.T) {
	e := newEnv(t, fastFake)
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		if ev.Command == "stop" {
			return bot.Response{Erase: &bot.Erase{To: ev.MessageRef}}, nil
		}
		return bot.Response{Messages: []bot.Message{{Text: "ok"}}}, nil
	}}
	fast := func(c *Config) { c.Limits.ChatBurst = 500; c.Limits.ChatPerSecond = 5000 }
	stop := start(t, e.adapter(t, fast), rec)
	u := telegramtest.User{ID: 42, FirstName: "Amina"}
	const answers = 200 // 400 messages: more than the window
	for i := range answers {
		e.fake.Text(u, "answer "+strconv.Itoa(i))
	}
	waitFor(t, "the replies", func() bool { return len(e.fake.Messages(42)) == 2*answers })
	stop()

	start(t, e.adapter(t, fast), rec) // a new instance: no tracked range
	p := e.fake.Text(u, "/stop")
	waitFor(t, "the erase", func() bool { return len(e.fake.Messages(42)) == p.MessageID-eraseWindow-1 })
	left := e.fake.Messages(42)
	for i, m := range left {
		if m.ID != i+1 {
			t.Fatalf("message %d left, want ids 1..%d only", m.ID, p.MessageID-eraseWindow-1)
		}
	}
	if n := e.fake.CallCount("deleteMessages"); n != 4 {
		t.Errorf("deleteMessages calls: got %d, want 4 (301 ids in batches of 100)", n)
	}
}

// TestFailingUpdateDoesNotStallIntake: the handler always fails for one
// chat while 150 other updates arrive behind it. The failing update is
// retried a bounded number of times, then dropped (logged by update id
// only, counted) so the offset moves on; everyone else is served, past
// getUpdates' 100-update window.
func TestFailingUpdateDoesNotStallIntake(t *testing.T) {
	e := newEnv(t, fastFake)
	const bad = 13
	var mu sync.Mutex
	badCalls := 0
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		if ev.Chat == strconv.Itoa(bad) {
			mu.Lock()
			badCalls++
			mu.Unlock()
			return bot.Response{}, errors.New("store away")
		}
		return bot.Response{Messages: []bot.Message{{Text: "ok"}}}, nil
	}}
	a := e.adapter(t, func(c *Config) {
		c.HandlerAttempts = 4
		c.RetryDelay, c.MaxRetryDelay = 5*time.Millisecond, 20*time.Millisecond
	})
	stuck := e.fake.Text(telegramtest.User{ID: bad, FirstName: "Stuck", Username: "stuck_person"}, "my answer")
	var last telegramtest.Pushed
	for i := range 150 {
		last = e.fake.Text(telegramtest.User{ID: int64(1000 + i%30), FirstName: "P"}, "answer "+strconv.Itoa(i))
	}
	start(t, a, rec)
	waitFor(t, "every other chat served", func() bool {
		n := 0
		for c := range 30 {
			n += len(e.fake.Messages(int64(1000 + c)))
		}
		return n == 300
	})
	waitFor(t, "the offset past every update", func() bool { return e.fake.Confirmed() > last.UpdateID })
	if got := a.Stats().Dropped.Load(); got != 1 {
		t.Errorf("got %d dropped updates, want 1", got)
	}
	mu.Lock()
	if badCalls != 4 {
		t.Errorf("got %d handler calls for the failing update, want 4 (HandlerAttempts)", badCalls)
	}
	mu.Unlock()
	logs := e.logs.String()
	if !strings.Contains(logs, "update dropped after retries") || !strings.Contains(logs, "update="+strconv.FormatInt(stuck.UpdateID, 10)) {
		t.Errorf("no drop log with the update id:\n%s", logs)
	}
	for _, leak := range []string{"stuck_person", "Stuck", "my answer", "chat=13", "user=13"} {
		if strings.Contains(logs, leak) {
			t.Errorf("logs hold %q", leak)
		}
	}
}
