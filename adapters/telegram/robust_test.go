package telegram

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/privacy"
)

// TestStopAfterRestart: /stop with no session (Erase.From empty) on a
// fresh adapter instance, which has no memory of the chat (a restart, or
// another webhook replica). With a trail store, exactly the dialog's 400
// messages and the /stop are deleted, in batches of at most 100, and
// nothing of the other chat that talked at the same time. Without one,
// only the /stop can be deleted, and the person is told so.
func TestStopAfterRestart(t *testing.T) {
	for _, withTrails := range []bool{true, false} {
		t.Run(fmt.Sprintf("trails=%v", withTrails), func(t *testing.T) {
			e := newEnv(t, fastFake)
			rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
				if ev.Command == "stop" {
					return bot.Response{Erase: &bot.Erase{To: ev.MessageRef}, Dialog: bot.DialogNone}, nil
				}
				return bot.Response{Messages: []bot.Message{{Text: "ok"}}, Dialog: bot.DialogOpen}, nil
			}}
			trails := bot.NewTrails(e.store, privacy.NewKeys([]byte("a-test-secret-of-at-least-32-bytes!!")))
			fast := func(c *Config) {
				c.Limits.ChatBurst = 500
				c.Limits.ChatPerSecond = 5000
				if withTrails {
					c.Trails = trails
				}
			}
			stop := start(t, e.adapter(t, fast), rec)
			u := telegramtest.User{ID: 42, FirstName: "Amina"}
			other := telegramtest.User{ID: 43, FirstName: "Baraka"}
			const answers = 120 // 240 messages: more than two batches
			for i := range answers {
				e.fake.Text(u, "answer "+strconv.Itoa(i))
				e.fake.Text(other, "answer "+strconv.Itoa(i))
			}
			waitFor(t, "the replies", func() bool {
				return len(e.fake.Messages(42)) == 2*answers && len(e.fake.Messages(43)) == 2*answers
			})
			stop()

			start(t, e.adapter(t, fast), rec) // a new instance: nothing in memory
			p := e.fake.Text(u, "/stop")
			if withTrails {
				waitFor(t, "the erase", func() bool { return len(e.fake.Messages(42)) == 0 })
				if n := e.fake.CallCount("deleteMessages"); n != 3 {
					t.Errorf("deleteMessages calls: got %d, want 3 (241 ids in batches of 100)", n)
				}
			} else {
				waitFor(t, "the note", func() bool {
					ms := e.fake.Messages(42)
					return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Text, "could not be removed")
				})
				for _, m := range e.fake.AllMessages(42) {
					if m.Deleted != (m.ID == p.MessageID) {
						t.Fatalf("message %d deleted=%v: only the /stop (%d) can be known", m.ID, m.Deleted, p.MessageID)
					}
				}
			}
			asked, foreign, deleted := e.fake.DeleteStats()
			if foreign != 0 || asked != deleted {
				t.Errorf("asked for %d ids (%d of the other chat), deleted %d: want exactly the deleted ones", asked, foreign, deleted)
			}
			if n := len(e.fake.Messages(43)); n != 2*answers {
				t.Errorf("the other chat has %d messages, want %d", n, 2*answers)
			}
		})
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
