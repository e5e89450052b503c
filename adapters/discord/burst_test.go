package discord_test

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/discord"
	"github.com/baraza/baraza/adapters/discord/discordtest"
	"github.com/baraza/baraza/bot"
)

// TestBurst500DMs: 500 users DM the bot at once and each gets exactly one
// reply, under the fake's per-route limits (5 per 100 ms) and a global
// limit. The assertions are about behaviour, not the wall clock: every
// 429 the fake sent was waited out (the next request in that bucket
// reached the fake at least retry_after later, by the fake's own clock)
// and retried, and nothing was lost or doubled. That the pacer's grants
// never exceed the global limit is TestPacerStaysUnderGlobalLimit's
// (deterministic) job.
//
// "No 429 at all" also holds on an idle machine, but not under load: the
// pacer bounds when requests leave the adapter, and a scheduler stall on
// a busy 2-core CI runner under -race can deliver 1.2 s of paced requests
// to the fake within one second. It is checked only with
// BARAZA_STRICT_TIMING=1. BARAZA_DISCORD_BURST_REAL=1 also runs the burst
// at Discord's real global limit of 50 requests a second (about 13 s).
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
	strict := os.Getenv("BARAZA_STRICT_TIMING") == "1"
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
			// A hang detector, not a speed limit.
			if !f.Await(5*time.Minute, func() bool {
				for _, u := range users {
					if len(f.BotMessages(u.DMChannel())) != 1 {
						return false
					}
				}
				return true
			}) {
				t.Fatal("not every user got a reply")
			}
			took := time.Since(start)
			for _, u := range users {
				if n := len(f.BotMessages(u.DMChannel())); n != 1 {
					t.Errorf("user %s: got %d replies, want 1", u.ID, n)
				}
			}
			limited := checkRetriesWaited(t, f.Calls())
			if got := a.Stats().Retried429.Load(); got > int64(limited) {
				t.Errorf("got %d retries after %d 429s, want at most one retry each", got, limited)
			}
			if n := len(rec.all()); n != 500 {
				t.Errorf("got %d handler calls, want 500", n)
			}
			if strict && tc.global == 200 && limited != 0 {
				t.Errorf("got %d 429s, want none under the pacer (BARAZA_STRICT_TIMING)", limited)
			}
			t.Logf("500 DMs answered in %v (%.0f replies/s), %d 429s, %d retries", took, 500/took.Seconds(), limited, a.Stats().Retried429.Load())
		})
	}
}

// retryProblems checks, from the fake's records, that after each 429 the
// next request in the same bucket came at least retry_after later, and
// that no bucket's last word was a 429 (it was retried and got through).
// It returns the number of 429s and what broke the rule.
func retryProblems(calls []discordtest.Call) (limited int, problems []string) {
	byBucket := map[string][]discordtest.Call{}
	for _, c := range calls {
		byBucket[c.Bucket] = append(byBucket[c.Bucket], c)
	}
	for bucket, cs := range byBucket {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].At.Before(cs[j].At) })
		for i, c := range cs {
			if c.Status != 429 {
				continue
			}
			limited++
			if i+1 == len(cs) {
				problems = append(problems, fmt.Sprintf("bucket %s: a 429 was never retried", bucket))
				continue
			}
			if gap := cs[i+1].At.Sub(c.At); gap < c.RetryAfter {
				problems = append(problems, fmt.Sprintf("bucket %s: retried %v after a 429, want at least its retry_after %v", bucket, gap, c.RetryAfter))
			}
		}
	}
	return limited, problems
}

func checkRetriesWaited(t *testing.T, calls []discordtest.Call) int {
	t.Helper()
	limited, problems := retryProblems(calls)
	for _, p := range problems {
		t.Error(p)
	}
	return limited
}

// TestRetryProblems: the check above catches a retry sooner than
// retry_after and a 429 never retried, and passes a patient client.
func TestRetryProblems(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name     string
		calls    []discordtest.Call
		problems int
	}{
		{"waited", []discordtest.Call{{Bucket: "a", Status: 429, At: at(0), RetryAfter: 50 * time.Millisecond}, {Bucket: "a", Status: 200, At: at(50)}}, 0},
		{"too soon", []discordtest.Call{{Bucket: "a", Status: 429, At: at(0), RetryAfter: 50 * time.Millisecond}, {Bucket: "a", Status: 200, At: at(49)}}, 1},
		{"other bucket does not count", []discordtest.Call{{Bucket: "a", Status: 429, At: at(0), RetryAfter: 50 * time.Millisecond}, {Bucket: "b", Status: 200, At: at(1)}, {Bucket: "a", Status: 200, At: at(60)}}, 0},
		{"never retried", []discordtest.Call{{Bucket: "a", Status: 200, At: at(0)}, {Bucket: "a", Status: 429, At: at(5), RetryAfter: time.Millisecond}}, 1},
	}
	for _, tc := range tests {
		if _, p := retryProblems(tc.calls); len(p) != tc.problems {
			t.Errorf("%s: got problems %q, want %d", tc.name, p, tc.problems)
		}
	}
}
