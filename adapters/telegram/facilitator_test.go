package telegram

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/testenv"
)

// lateCommands lets the facilitator commands be built after the core
// whose Keys and Consult they need.
type lateCommands struct {
	c atomic.Pointer[facilitate.Commands]
}

func (l *lateCommands) HandleCommand(ctx context.Context, ev bot.Event, respondent, lang string) (bot.Response, bool, error) {
	if c := l.c.Load(); c != nil {
		return c.HandleCommand(ctx, ev, respondent, lang)
	}
	return bot.Response{}, false, nil
}

// TestFacilitatorCommandsOverTelegram: a facilitator listed as
// telegram:<id> closes and reopens a consultation and gets an invite QR
// code as a photo, through the real Bot API client and the fake; a citizen
// sending the same commands gets the ordinary unknown-command answer, and
// /start answers "closed" while it is closed.
func TestFacilitatorCommandsOverTelegram(t *testing.T) {
	late := &lateCommands{}
	env := testenv.New(t, testenv.WithCommands(late))
	fake := telegramtest.NewServer(fastFake)
	t.Cleanup(fake.Close)
	a, err := New(context.Background(), Config{Token: fake.Token(), APIEndpoint: fake.Endpoint(), Offsets: env.Store,
		Logger: env.Logger, Limits: fastLimits, PollTimeout: time.Second, LeaseTTL: 3 * time.Second,
		RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 300 * time.Millisecond, ShutdownGrace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := facilitate.New(facilitate.Config{Facilitators: []string{"telegram:7100200300"}, Keys: env.Keys,
		Consult: env.Consult, Inviters: map[string]bot.Inviter{Name: a}, WebchatURL: "https://baraza.example/chat", Logger: env.Logger})
	if err != nil {
		t.Fatal(err)
	}
	late.c.Store(cmds)
	stop := start(t, a, env.Router)
	defer stop()

	facilitator := telegramtest.User{ID: 7100200300, FirstName: "Amina", Username: "amina_f", LanguageCode: "en"}
	citizen := telegramtest.User{ID: 7100200400, FirstName: "Baraka", Username: "baraka_c", LanguageCode: "en"}
	// say sends text and waits for the bot's next message in that chat.
	say := func(u telegramtest.User, text string) telegramtest.Message {
		t.Helper()
		before := botMessages(fake, u.ID)
		fake.Text(u, text)
		var got []telegramtest.Message
		testenv.WaitFor(t, 20*time.Second, "the answer to "+text, func() bool {
			got = botMessages(fake, u.ID)
			return len(got) > len(before)
		})
		return got[len(got)-1]
	}

	if m := say(facilitator, "/close community-safety"); !strings.Contains(strings.ToLower(m.Text), "closed") {
		t.Errorf("/close: got %q", m.Text)
	}
	if m := say(citizen, "/start community-safety"); !strings.Contains(m.Text, "not open") {
		t.Errorf("/start while closed: got %q", m.Text)
	}
	unknown := say(citizen, "/close community-safety")
	if strings.Contains(strings.ToLower(unknown.Text), "closed") || strings.Contains(unknown.Text, "/open") {
		t.Errorf("citizen /close: got %q, want the ordinary unknown-command answer", unknown.Text)
	}
	if again := say(citizen, "/frobnicate"); again.Text != unknown.Text {
		t.Errorf("citizen: facilitator command answered %q, an unknown one %q; they must be the same", unknown.Text, again.Text)
	}
	if m := say(facilitator, "/open community-safety"); !strings.Contains(strings.ToLower(m.Text), "open") {
		t.Errorf("/open: got %q", m.Text)
	}
	if m := say(facilitator, "/invite community-safety"); !m.Photo && !strings.Contains(m.Text, "t.me/") {
		t.Errorf("/invite: got %+v, want the deep link and a QR photo", m)
	}
	var sawPhoto, sawLink bool
	for _, m := range botMessages(fake, facilitator.ID) {
		sawPhoto = sawPhoto || m.Photo
		sawLink = sawLink || strings.Contains(m.Text, "https://t.me/"+fake.BotUsername()+"?start=community-safety")
	}
	if !sawPhoto || !sawLink {
		t.Errorf("/invite: photo %v, deep link %v; want both", sawPhoto, sawLink)
	}
	env.AssertNoLeak(t, "7100200300", "7100200400", "amina_f", "baraka_c", "Amina", "Baraka")
}

func botMessages(fake *telegramtest.Server, chat int64) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range fake.Messages(chat) {
		if m.FromBot {
			out = append(out, m)
		}
	}
	return out
}
