package adaptertest

import (
	"strings"
	"testing"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/invite"
)

// inviteYAML is an invite-only consultation of one question.
const inviteYAML = `
id: invite-vote
version: 1
access: invite
languages: [en]
title: Vote by invitation
intro: One question.
consent: Your answer is anonymous. Continue?
questions:
  - id: pick
    type: choice
    text: Which matters most?
    options:
      - {id: light, label: Street lights}
      - {id: patrol, label: Patrols}
outro: Thanks for voting.
`

// InviteScript is the invite-only consultation InviteOnce plays.
func InviteScript(t testing.TB) *dialogs.Script {
	t.Helper()
	s, err := dialogs.Load("invite-vote.yaml", []byte(inviteYAML))
	if err != nil {
		t.Fatalf("invite script: %v", err)
	}
	return s
}

// InviteOnce checks, through a platform's driver and the real router, that
// an invitation code of InviteScript works once and never again: a
// /start CODE (the Telegram deep link, a Discord /consult CODE, the web
// chat's ?c=CODE) completes and is counted; the same code then is refused
// with a message to the same account, to another one, and typed by hand;
// an unknown code and a /start without code are answered, not counted; a
// second code typed after "/start invite-vote" works. codes are two fresh
// codes; completed reads the consultation's raw completed counter.
func InviteOnce(t *testing.T, d Driver, codes []string, completed func() int64) {
	t.Helper()
	if len(codes) < 2 {
		t.Fatal("InviteOnce needs two codes")
	}
	const (
		first, other, typist, guesser, second = "3001", "3002", "3003", "3004", "3005"
		used                                  = "already been used"
	)
	answer := func(u string) {
		t.Helper()
		in := waitInbox(t, d, u, "the consent question", func(in []bot.Message) bool {
			return len(in) > 0 && len(in[len(in)-1].Buttons) >= 2 && strings.Contains(in[len(in)-1].Text, "Continue?")
		})
		d.Press(t, u, in[len(in)-1].Buttons[0].Data)
		in = waitInbox(t, d, u, "the question", func(in []bot.Message) bool {
			return len(in) > 0 && strings.Contains(in[len(in)-1].Text, "Which matters most?") && len(in[len(in)-1].Buttons) >= 2
		})
		d.Press(t, u, in[len(in)-1].Buttons[0].Data)
		waitLastContains(t, d, u, "Thanks for voting.")
	}

	d.Command(t, first, "start", codes[0])
	answer(first)
	if got := completed(); got != 1 {
		t.Fatalf("after the first use of a code: completed %d, want 1", got)
	}
	d.Command(t, other, "start", codes[0])
	waitLastContains(t, d, other, used)
	d.Command(t, first, "start", codes[0])
	waitLastContains(t, d, first, used)
	d.Text(t, typist, strings.ToLower(invite.Format(codes[0])))
	waitLastContains(t, d, typist, used)
	d.Command(t, guesser, "start", "ZZZZZ-ZZZZZ")
	waitLastContains(t, d, guesser, "not one we know")

	d.Command(t, second, "start", "invite-vote")
	waitLastContains(t, d, second, "by invitation")
	d.Text(t, second, invite.Format(codes[1]))
	answer(second)
	if got := completed(); got != 2 {
		t.Errorf("after two codes, each used once and tried again: completed %d, want 2", got)
	}
}

func waitLastContains(t testing.TB, d Driver, u, text string) {
	t.Helper()
	waitInbox(t, d, u, "a last message containing "+text, func(in []bot.Message) bool {
		return len(in) > 0 && strings.Contains(in[len(in)-1].Text, text)
	})
}
