package telegram

import (
	"strconv"
	"testing"

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
