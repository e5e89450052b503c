package telegram

import (
	"testing"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
)

// TestChat429DelaysOnlyThatChat: Telegram's limits are per chat. A 429
// with retry_after for one chat's send must hold that chat only: another
// chat's reply goes out while the first one waits.
func TestChat429DelaysOnlyThatChat(t *testing.T) {
	e := newEnv(t, fastFake)
	a := e.adapter(t)
	start(t, a, &recorder{})
	first := telegramtest.User{ID: 501, FirstName: "A"}
	second := telegramtest.User{ID: 502, FirstName: "B"}
	e.fake.FailNext("sendMessage", telegramtest.APIError{Code: 429, Description: "Too Many Requests: retry after 5", RetryAfter: 5})
	e.fake.Text(first, "one")
	waitFor(t, "the 429", func() bool { return a.Count429() == 1 })
	e.fake.Text(second, "two")
	waitFor(t, "the other chat's reply", func() bool { return len(botTexts(e.fake, second.ID)) == 1 })
	if n := len(botTexts(e.fake, first.ID)); n != 0 {
		t.Fatalf("the limited chat got its reply before its retry_after (%d messages): the test cannot tell", n)
	}
	waitFor(t, "the limited chat's reply after retry_after", func() bool { return len(botTexts(e.fake, first.ID)) == 1 })
}

// TestCallbackAnswerNotPaced: a button press is answered at once (the
// client's spinner) even when the chat's sends are queued behind
// Telegram's 1 message a second.
func TestCallbackAnswerNotPaced(t *testing.T) {
	e := newEnv(t, fastFake)
	slow := func(c *Config) { c.Limits.ChatPerSecond, c.Limits.ChatBurst = 0.2, 1 }
	const replies = 6
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		if ev.Kind == bot.KindButton {
			return bot.Response{Notice: "noted"}, nil
		}
		var ms []bot.Message
		for range replies {
			ms = append(ms, bot.Message{Text: "part", Buttons: []bot.Button{{Label: "Go", Data: "go"}}})
		}
		return bot.Response{Messages: ms}, nil
	}}
	start(t, e.adapter(t, slow), rec)
	u := telegramtest.User{ID: 601, FirstName: "C"}
	e.fake.Text(u, "hello")
	waitFor(t, "the first part", func() bool { return len(botTexts(e.fake, u.ID)) >= 1 })
	ms := e.fake.Messages(u.ID)
	p := e.fake.Press(u, u.ID, ms[len(ms)-1].ID, "go")
	waitFor(t, "the callback answer", func() bool { return e.fake.CallbackAnswered(p.CallbackID) })
	if n := len(botTexts(e.fake, u.ID)); n >= replies {
		t.Errorf("the callback was answered only after all %d paced sends", n)
	}
}
