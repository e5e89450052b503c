package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/testenv"
)

// person drives the router as one account of one platform.
type person struct {
	t        *testing.T
	env      *testenv.Env
	platform string
	user     string
	n        int
	last     bot.Response
}

func (p *person) send(ev bot.Event) bot.Response {
	p.t.Helper()
	p.n++
	ev.Platform, ev.User, ev.Chat, ev.Private = p.platform, p.user, p.user, true
	ev.ID = fmt.Sprintf("%s-%d", p.user, p.n)
	resp, err := p.env.Router.Handle(context.Background(), ev)
	if err != nil {
		p.t.Fatalf("%s: %v", p.user, err)
	}
	p.last = resp
	return resp
}

func (p *person) start(arg string) string {
	return text(p.send(bot.Event{Kind: bot.KindCommand, Command: "start", Arg: arg}))
}

// press presses the i-th button of the last message.
func (p *person) press(i int) string {
	p.t.Helper()
	m := p.last.Messages
	if len(m) == 0 || len(m[len(m)-1].Buttons) <= i {
		p.t.Fatalf("%s: no button %d in %+v", p.user, i, p.last)
	}
	return text(p.send(bot.Event{Kind: bot.KindButton, Data: m[len(m)-1].Buttons[i].Data}))
}

func text(r bot.Response) string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Text + "\n")
	}
	return b.String()
}

// TestInviteRace: two people start with the same code (it was passed on);
// both answer; the first to finish is counted, the second is told kindly,
// and nothing of theirs is counted.
func TestInviteRace(t *testing.T) {
	env := testenv.New(t)
	s := adaptertest.InviteScript(t)
	env.Catalog.Replace(append(env.Catalog.All(), s))
	codes, err := facilitate.MakeInvites(context.Background(), env.Store, env.Keys, s, 1)
	if err != nil {
		t.Fatal(err)
	}
	a := &person{t: t, env: env, platform: "telegram", user: "5001"}
	b := &person{t: t, env: env, platform: "discord", user: "5002"}
	for _, p := range []*person{a, b} {
		if got := p.start(codes[0]); !strings.Contains(got, "Continue?") {
			t.Fatalf("%s /start CODE: got %q, want the consent", p.user, got)
		}
		p.press(0) // accept
	}
	if got := a.press(0); !strings.Contains(got, "Thanks for voting") {
		t.Fatalf("first to finish: got %q, want the outro", got)
	}
	got := b.press(1)
	if !strings.Contains(got, "already been used") {
		t.Errorf("second to finish: got %q, want the code-used message", got)
	}
	if !b.last.Ended {
		t.Errorf("second to finish: Ended false, want the dialog ended")
	}
	c := env.Counters(t, s.ID)
	if c["completed"] != 1 || c["o|pick|light"] != 1 || c["o|pick|patrol"] != 0 {
		t.Errorf("counters %v: want one completion, light 1, patrol 0", c)
	}
}

// TestPlatformAccess: a platform-only consultation refuses the web chat
// with a message and takes one response per Telegram account.
func TestPlatformAccess(t *testing.T) {
	env := testenv.New(t)
	s := adaptertest.InviteScript(t)
	s.Access = dialogs.AccessPlatform
	env.Catalog.Replace(append(env.Catalog.All(), s))
	web := &person{t: t, env: env, platform: "webchat", user: "0123456789abcdef0123456789abcdef"}
	if got := web.start(s.ID); !strings.Contains(got, "Telegram or Discord only") {
		t.Errorf("web chat: got %q, want the platform-only message", got)
	}
	tg := &person{t: t, env: env, platform: "telegram", user: "6001"}
	if got := tg.start(s.ID); !strings.Contains(got, "Continue?") {
		t.Fatalf("telegram: got %q, want the consent", got)
	}
	tg.press(0)
	tg.press(0)
	if got := tg.start(s.ID); !strings.Contains(got, dialogs.UI("en", "already_participated")) {
		t.Errorf("telegram again: got %q, want already participated", got)
	}
	if c := env.Counters(t, s.ID); c["completed"] != 1 {
		t.Errorf("completed %d, want 1", c["completed"])
	}
}
