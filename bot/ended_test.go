package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/testenv"
)

// answerAllButLast starts community-safety for p in French and presses an
// option of every question until the last one (a typed comment) is asked.
func answerAllButLast(t *testing.T, p *person) {
	t.Helper()
	p.send(bot.Event{Kind: bot.KindCommand, Command: "start", Arg: "community-safety", Locale: "fr"})
	for steps := 0; steps < 80; steps++ {
		m := p.last.Messages
		if len(m) == 0 {
			t.Fatalf("%s: no prompt: %+v", p.user, p.last)
		}
		btns := m[len(m)-1].Buttons
		if !slices.ContainsFunc(btns, func(b bot.Button) bool { return !b.Nav }) {
			return // the closing comment: typed, only Skip and Back
		}
		var pick, done string
		for _, b := range btns {
			switch {
			case strings.HasSuffix(b.Data, ":lfr"), strings.HasSuffix(b.Data, ":y"):
				pick = b.Data
			case strings.HasSuffix(b.Data, ":d"):
				done = b.Data
			case pick == "" && !b.Nav && !b.Selected:
				pick = b.Data
			}
		}
		if done != "" && selected(btns) {
			pick = done
		}
		p.send(bot.Event{Kind: bot.KindButton, Data: pick})
	}
	t.Fatalf("%s: never reached the closing comment", p.user)
}

func selected(bs []bot.Button) bool {
	for _, b := range bs {
		if b.Selected {
			return true
		}
	}
	return false
}

// TestEndingEventRepeated: the platform re-delivers the event that ended a
// dialog after the session is gone. Whether the dialog ended on a typed
// answer or on a command (SKIP of the last question, as an SMS keyword
// sends it), the repeat gets silence — not the "send /start" hint, which
// would come in English to a French speaker, since nothing of the ended
// dialog says which language they spoke. A new message still gets the
// hint.
func TestEndingEventRepeated(t *testing.T) {
	env := testenv.New(t)
	for _, tc := range []struct {
		name string
		end  bot.Event
	}{
		{"typed answer", bot.Event{Kind: bot.KindText, Text: "rien à ajouter"}},
		{"skip command", bot.Event{Kind: bot.KindCommand, Command: "skip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &person{t: t, env: env, platform: "sms", user: "2547001" + strings.ReplaceAll(tc.name, " ", "")}
			answerAllButLast(t, p)
			last := p.send(tc.end)
			if !last.Ended {
				t.Fatalf("the last answer did not end the dialog: %+v", last)
			}
			ended := tc.end
			ended.Platform, ended.User, ended.Chat, ended.Private = p.platform, p.user, p.user, true
			ended.ID = fmt.Sprintf("%s-%d", p.user, p.n) // as person.send named it
			for i := range 2 {
				resp, err := env.Router.Handle(context.Background(), ended)
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Messages) != 0 || resp.Notice != "" {
					t.Errorf("repeat %d of the ending event: got %q (notice %q), want silence", i+1, text(resp), resp.Notice)
				}
			}
			fresh := p.send(bot.Event{Kind: tc.end.Kind, Text: tc.end.Text, Command: tc.end.Command})
			if got, want := text(fresh), dialogs.UI("en", "no_session")+"\n"; got != want {
				t.Errorf("a new message after the end: got %q, want %q", got, want)
			}
		})
	}
}
