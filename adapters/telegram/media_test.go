package telegram

import (
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/privacy"
)

// TestMediaAskedToType: a voice note, sticker, photo, document, location,
// contact or video in a private chat is answered, in the person's
// language, with a request to type; the handler never sees it, and
// neither the file ids, the place nor the phone number reach the logs.
func TestMediaAskedToType(t *testing.T) {
	kinds := []string{telegramtest.Voice, telegramtest.Sticker, telegramtest.Photo, telegramtest.Document,
		telegramtest.Location, telegramtest.Contact, telegramtest.Video}
	tests := []struct {
		lang, want string
	}{
		{"en", "I can only read typed answers — please type or press a button."},
		{"fr-FR", "Je ne peux lire que des réponses écrites"},
		{"ar", "لا أستطيع قراءة سوى الإجابات المكتوبة"},
	}
	e := newEnv(t, fastFake)
	rec := &recorder{}
	a := e.adapter(t)
	start(t, a, rec)
	for i, tc := range tests {
		u := telegramtest.User{ID: int64(700 + i), FirstName: "Zawadi", LanguageCode: tc.lang}
		for _, k := range kinds {
			e.fake.Media(u, k)
		}
		waitFor(t, "an answer to each", func() bool { return len(botTexts(e.fake, u.ID)) == len(kinds) })
		for _, got := range botTexts(e.fake, u.ID) {
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("%s: got %q, want it to start with %q", tc.lang, got, tc.want)
			}
		}
	}
	if n := len(rec.seen()); n != 0 {
		t.Errorf("the handler got %d events, want none", n)
	}
	if got := a.Stats().Media.Load(); got != int64(len(kinds)*len(tests)) {
		t.Errorf("media counted %d, want %d", got, len(kinds)*len(tests))
	}
	for _, leak := range []string{"AgACAgQ", "AQAD", "254712345678", "-1.29", "36.82", "report.pdf", "Amina"} {
		if strings.Contains(e.logs.String(), leak) {
			t.Errorf("logs hold %q", leak)
		}
	}
}

func botTexts(f *telegramtest.Server, chat int64) []string {
	var out []string
	for _, m := range f.Messages(chat) {
		if m.FromBot {
			out = append(out, m.Text)
		}
	}
	return out
}

// TestEraseOlderThan48h: messages older than Telegram's 48 h cannot be
// deleted. deleteMessages refuses the batch holding them; the adapter
// falls back to one deleteMessage per id, deletes what it can, counts the
// rest as undeletable and tells the person.
func TestEraseOlderThan48h(t *testing.T) {
	e := newEnv(t, fastFake)
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		if ev.Command == "stop" {
			return bot.Response{Erase: &bot.Erase{To: ev.MessageRef}, Dialog: bot.DialogNone}, nil
		}
		return bot.Response{Messages: []bot.Message{{Text: "ok"}}, Dialog: bot.DialogOpen}, nil
	}}
	a := e.adapter(t, func(c *Config) {
		c.Trails = bot.NewTrails(e.store, privacy.NewKeys([]byte("a-test-secret-of-at-least-32-bytes!!")))
	})
	start(t, a, rec)
	u := telegramtest.User{ID: 77, FirstName: "Neema"}
	e.fake.Text(u, "old answer")
	waitFor(t, "the first reply", func() bool { return len(e.fake.Messages(77)) == 2 })
	e.fake.Advance(49 * time.Hour)
	e.fake.Text(u, "new answer")
	waitFor(t, "the second reply", func() bool { return len(e.fake.Messages(77)) == 4 })
	e.fake.Text(u, "/stop")
	waitFor(t, "the note", func() bool {
		ms := e.fake.Messages(77)
		return len(ms) == 3 && strings.Contains(ms[2].Text, "could not be removed")
	})
	ms := e.fake.Messages(77)
	if ms[0].Text != "old answer" || ms[1].Text != "ok" {
		t.Errorf("left: %q, %q; want the two old messages", ms[0].Text, ms[1].Text)
	}
	if got := a.Stats().Undeletable.Load(); got != 2 {
		t.Errorf("undeletable: got %d, want 2", got)
	}
	if e.fake.CallCount("deleteMessage") != 5 {
		t.Errorf("deleteMessage calls: got %d, want 5 (one per id after the refused batch)", e.fake.CallCount("deleteMessage"))
	}
}
