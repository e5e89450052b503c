package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

func askResults(t *testing.T, env *testenv.Env, arg, locale string) string {
	t.Helper()
	resp, err := env.Router.Handle(context.Background(), bot.Event{Platform: "webchat", ID: "r-" + arg + locale, User: "results-reader",
		Chat: "x", Private: true, Kind: bot.KindCommand, Command: "results", Arg: arg, Locale: locale})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Messages) != 1 {
		t.Fatalf("/results %s: %d messages", arg, len(resp.Messages))
	}
	return resp.Messages[0].Text
}

// TestResultsCommand: /results shows nothing before the first release,
// then the release's suppressed counts; unpublished scripts say so; nothing is stored for the reader.
func TestResultsCommand(t *testing.T) {
	env := testenv.New(t)
	script := env.Catalog.Get("community-safety")
	if got := askResults(t, env, "community-safety", "en"); !strings.Contains(got, "Not enough people") {
		t.Errorf("before any answer: %q", got)
	}
	for i := range 7 {
		r := &simulate.Respondent{User: fmt.Sprintf("res-%d", i), Player: simulate.NewPlayer(script, uint64(500+i)),
			Handler: func() bot.Handler { return env.Router }}
		if err := r.Run(context.Background(), script.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := askResults(t, env, "community-safety", "en"); !strings.Contains(got, "Not enough people") {
		t.Errorf("7 answers before the first release: %q", got)
	}
	env.Advance(time.Hour)
	env.Release(t)
	got := askResults(t, env, "community-safety", "en")
	if !strings.Contains(got, "7 people have answered.") {
		t.Errorf("completed count missing: %q", got)
	}
	if !strings.Contains(got, "hidden to protect respondents") || !strings.Contains(got, "Hidden numbers count 1 to 4 people") || strings.Contains(got, "fewer than") {
		t.Errorf("no suppressed cell among 7 answers split over many options: %q", got)
	}
	for _, line := range strings.Split(got, "\n") {
		// A shown count is never in 1..4.
		for n := 1; n < 5; n++ {
			if strings.HasSuffix(line, fmt.Sprintf(": %d", n)) || strings.Contains(line, fmt.Sprintf(": %d (", n)) {
				t.Errorf("small count shown: %q", line)
			}
		}
	}
	if got := askResults(t, env, "community-safety", "fr"); !strings.Contains(got, "masqué pour protéger les répondants") && !strings.Contains(got, "7 personnes") {
		t.Errorf("French results: %q", got)
	}
	if got := askResults(t, env, "incident-report", "en"); !strings.Contains(got, "not public") {
		t.Errorf("unpublished script: %q", got)
	}
	if got := askResults(t, env, "no-such-thing", "en"); got == "" {
		t.Errorf("unknown consultation: empty answer")
	}
	data, _, _, _ := env.Store.LoadSession(context.Background(), env.Keys.Respondent("webchat", "results-reader"), "")
	if data != nil {
		t.Errorf("/results created a session")
	}
}

// TestResultsCommandDP: a DP consultation's /results gives its release's
// noisy counts as "≈ N (noise added)" with one line on the noise, the
// same on every ask.
func TestResultsCommandDP(t *testing.T) {
	env := testenv.New(t)
	script := env.Catalog.Get("community-safety")
	eps, err := privacy.ParseEpsilon("1")
	if err != nil {
		t.Fatal(err)
	}
	script.DP = &dialogs.DP{Epsilon: eps, Releases: 5, Every: time.Hour}
	env.Release(t) // the calendar starts: its first release is an hour on
	if got := askResults(t, env, "community-safety", "en"); !strings.Contains(got, "No results yet: they are published on a fixed schedule, the first on ") {
		t.Errorf("DP /results before its first release: %q", got)
	}
	for i := range 7 {
		r := &simulate.Respondent{User: fmt.Sprintf("dp-%d", i), Player: simulate.NewPlayer(script, uint64(700+i)),
			Handler: func() bot.Handler { return env.Router }}
		if err := r.Run(context.Background(), script.ID); err != nil {
			t.Fatal(err)
		}
	}
	env.Advance(time.Hour)
	env.Release(t)
	got := askResults(t, env, "community-safety", "en")
	for _, want := range []string{"(noise added)", "Random noise is added to every number"} {
		if !strings.Contains(got, want) {
			t.Errorf("DP /results lacks %q: %q", want, got)
		}
	}
	if strings.Contains(got, "hidden") || strings.Contains(got, "fewer than") {
		t.Errorf("DP /results speaks of hidden counts: %q", got)
	}
	if again := askResults(t, env, "community-safety", "en"); again != got {
		t.Errorf("a second /results differs:\n%s\n%s", got, again)
	}
}
