package discord_test

import (
	"strings"
	"testing"

	"github.com/baraza/baraza/adapters/discord"
	"github.com/baraza/baraza/adapters/discord/discordtest"
	"github.com/baraza/baraza/bot"
)

// TestClosedDMsExplained: a person whose privacy settings refuse DMs from
// server members runs /consult in a server. Discord refuses the bot's DM
// with 50007; instead of "I've sent you a direct message" the person gets
// an ephemeral explanation of the setting to change, and it is counted.
// Someone with open DMs is unaffected.
func TestClosedDMsExplained(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	rec := newRecorder(func(bot.Event) bot.Response {
		return bot.Response{Messages: []bot.Message{{Text: "Welcome. Do you agree?", Buttons: []bot.Button{{Label: "Yes", Data: "c:yes"}}}}}
	})
	a, _ := startAdapter(t, f, discord.Config{}, rec)
	closed := f.NewUser("4100000000000000011", "amani", "Amani")
	closed.CloseDMs()
	open := f.NewUser("4100000000000000012", "baraka", "Baraka")

	closed.Slash("consult", map[string]string{"id": "night-safety"}, true)
	await(t, f, "the explanation", func() bool {
		for _, m := range f.Ephemeral(discordtest.GuildChannelID) {
			if strings.Contains(m.Content, "Allow direct messages from server members") {
				return true
			}
		}
		return false
	})
	for _, m := range f.Ephemeral(discordtest.GuildChannelID) {
		if strings.Contains(m.Content, "sent you a direct message") {
			t.Errorf("told %q though the DM was refused", m.Content)
		}
	}
	if got := a.Stats().ClosedDMs.Load(); got != 1 {
		t.Errorf("closed DMs counted %d, want 1", got)
	}

	open.Slash("consult", map[string]string{"id": "night-safety"}, true)
	await(t, f, "the open user's DM", func() bool { return len(f.BotMessages(open.DMChannel())) == 1 })
	open.Slash("consult", map[string]string{"id": "night-safety"}, true)
	await(t, f, "the second DM", func() bool { return len(f.BotMessages(open.DMChannel())) == 2 })
	if got := a.Stats().DMCacheHits.Load(); got < 1 {
		t.Errorf("DM channel cache hits %d, want at least 1 (one channel per user for the dialog)", got)
	}
}
