package discord_test

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/discord"
	"github.com/baraza/baraza/adapters/discord/discordtest"
	"github.com/baraza/baraza/bot"
)

// TestBurst500DMs: 500 users DM the bot at once and each gets a reply,
// under the fake's per-route limits (5 per 100 ms) and a global limit.
// The adapter paces itself under the global limit and discordgo paces each
// route bucket on the headers, so no bucket sees more than one 429 (with
// its retry succeeding); at the scaled limit there are none at all (an
// unpaced adapter gets about 130 global 429s here). BARAZA_DISCORD_BURST_REAL=1 also runs it at
// Discord's real global limit of 50 requests a second (about 13 s).
func TestBurst500DMs(t *testing.T) {
	cases := []struct {
		name   string
		global int
		rate   float64
	}{
		{"scaled global 200/s", 200, 150},
	}
	if os.Getenv("BARAZA_DISCORD_BURST_REAL") == "1" {
		cases = append(cases, struct {
			name   string
			global int
			rate   float64
		}{"real global 50/s", 50, 40})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := discordtest.New(t, discordtest.Options{GlobalLimit: tc.global})
			rec := newRecorder(func(ev bot.Event) bot.Response {
				return bot.Response{Messages: []bot.Message{{Text: "Thank you, your answer is recorded."}}}
			})
			a, _ := startAdapter(t, f, discord.Config{RequestsPerSecond: tc.rate}, rec)
			await(t, f, "the slash commands", func() bool { _, n := f.Commands(); return n == 1 })
			var users []*discordtest.User
			for i := 0; i < 500; i++ {
				users = append(users, f.NewUser(fmt.Sprintf("49000000000000%05d", i), "u", "U"))
			}
			for _, u := range users {
				u.DMChannel()
			}
			start := time.Now()
			var wg sync.WaitGroup
			for _, u := range users {
				wg.Add(1)
				go func() { defer wg.Done(); u.DM("yes") }()
			}
			wg.Wait()
			if !f.Await(60*time.Second, func() bool {
				for _, u := range users {
					if len(f.BotMessages(u.DMChannel())) != 1 {
						return false
					}
				}
				return true
			}) {
				t.Fatal("not every user got a reply within 60s")
			}
			took := time.Since(start)
			total := 0
			for bucket, n := range f.RateLimited() {
				total += n
				if n > 1 {
					t.Errorf("bucket %s: got %d 429s, want at most 1", bucket, n)
				}
			}
			// Paced at 150/s with a burst of 30, no one-second window sees
			// more than 180 requests: the global limit of 200 is never hit.
			if tc.global == 200 && total != 0 {
				t.Errorf("got %d 429s, want none under the pacer", total)
			}
			if got := a.Stats().Retried429.Load(); got > int64(len(f.RateLimited())) {
				t.Errorf("got %d retries over %d limited buckets, want at most one each", got, len(f.RateLimited()))
			}
			if n := len(rec.all()); n != 500 {
				t.Errorf("got %d handler calls, want 500", n)
			}
			t.Logf("500 DMs answered in %v (%.0f replies/s), %d 429s, %d retries", took, 500/took.Seconds(), total, a.Stats().Retried429.Load())
		})
	}
}
