package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/testenv"
)

// startSession opens community-safety for user and presses through the
// language and consent prompts, so the next input answers a question.
func startSession(t *testing.T, env *testenv.Env, user string) bot.Message {
	t.Helper()
	ctx := context.Background()
	resp, err := env.Router.Handle(ctx, bot.Event{Platform: "webchat", ID: user + "-s", User: user, Chat: user, Private: true,
		Kind: bot.KindCommand, Command: "start", Arg: "community-safety"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		last := resp.Messages[len(resp.Messages)-1]
		var data string
		for _, b := range last.Buttons {
			if strings.HasSuffix(b.Data, ":len") || strings.HasSuffix(b.Data, ":y") {
				data = b.Data
			}
		}
		if data == "" {
			return last
		}
		resp, err = env.Router.Handle(ctx, bot.Event{Platform: "webchat", ID: fmt.Sprintf("%s-p%d", user, i), User: user, Chat: user,
			Private: true, Kind: bot.KindButton, Data: data})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("never reached a question")
	return bot.Message{}
}

func TestBadInput(t *testing.T) {
	env := testenv.New(t)
	ctx := context.Background()
	const user = "55501234"
	startSession(t, env, user)
	pid := env.Keys.Respondent("webchat", user)
	before, _, _, err := env.Store.LoadSession(ctx, pid, "")
	if err != nil || before == nil {
		t.Fatalf("no session after start: %v", err)
	}
	countersBefore := env.Counters(t, "community-safety")

	tests := []struct {
		name string
		ev   bot.Event
	}{
		{"64 KiB message", bot.Event{Kind: bot.KindText, Text: strings.Repeat("a", 64<<10)}},
		{"invalid UTF-8", bot.Event{Kind: bot.KindText, Text: "caf\xc3\x28 \xff\xfe"}},
		{"control characters", bot.Event{Kind: bot.KindText, Text: "north\x00\x1b[31m\x07"}},
		{"unknown command", bot.Event{Kind: bot.KindCommand, Command: "sudo", Arg: "rm -rf"}},
		{"button from another consultation", bot.Event{Kind: bot.KindButton, Data: "zzzz:0"}},
		{"forged button index", bot.Event{Kind: bot.KindButton, Data: "abcd:999"}},
		{"empty button", bot.Event{Kind: bot.KindButton, Data: ""}},
		{"60-byte garbage button", bot.Event{Kind: bot.KindButton, Data: strings.Repeat("\xff", 60)}},
		{"empty text", bot.Event{Kind: bot.KindText, Text: ""}},
		{"skip on a required question", bot.Event{Kind: bot.KindCommand, Command: "skip"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev
			ev.Platform, ev.User, ev.Chat, ev.Private = "webchat", user, user, true
			ev.ID = fmt.Sprintf("bad-%d", i)
			resp, err := env.Router.Handle(ctx, ev)
			if err != nil {
				t.Fatalf("handle: %v", err)
			}
			if len(resp.Messages) == 0 && resp.Notice == "" {
				t.Fatalf("no answer at all; want a polite explanation")
			}
			for _, m := range resp.Messages {
				if strings.TrimSpace(m.Text) == "" {
					t.Errorf("empty reply text")
				}
				if strings.Contains(m.Text, "\x00") || len(m.Text) > 8000 {
					t.Errorf("reply echoes the bad input: %.60q", m.Text)
				}
			}
			after, _, _, err := env.Store.LoadSession(ctx, pid, "")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, before) {
				t.Errorf("session changed:\n got %s\nwant %s", after, before)
			}
		})
	}
	countersAfter := env.Counters(t, "community-safety")
	if fmt.Sprint(countersAfter) != fmt.Sprint(countersBefore) {
		t.Errorf("counters changed: %v -> %v", countersBefore, countersAfter)
	}
	env.AssertNoLeak(t, user, "rm -rf", strings.Repeat("a", 64))
}

// TestGroupChatInvites checks a group message never starts a session.
func TestGroupChatInvites(t *testing.T) {
	env := testenv.New(t)
	resp, err := env.Router.Handle(context.Background(), bot.Event{Platform: "telegram", ID: "g1", User: "8080808", Chat: "-100123",
		Private: false, Kind: bot.KindCommand, Command: "start", Arg: "community-safety"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Messages) != 1 || len(resp.Messages[0].Buttons) != 0 {
		t.Fatalf("group start: got %+v, want one plain invitation", resp)
	}
	data, _, _, _ := env.Store.LoadSession(context.Background(), env.Keys.Respondent("telegram", "8080808"), "")
	if data != nil {
		t.Errorf("a session was created from a group chat")
	}
}

// TestSessionAtRestShowsNothing: mid-dialog, after a comment with a phone
// number and an e-mail address, Redis holds neither them nor anything
// readable of the session (sealed), and the scrubbed text is what the
// completion stores.
func TestSessionAtRestShowsNothing(t *testing.T) {
	env := testenv.New(t)
	ctx := context.Background()
	s, err := dialogs.Load("early-comment.yaml", []byte(`id: early-comment
version: 1
kind: consultation
languages: [en]
title: Early comment
intro: Hello
consent: OK?
safe_words: ["red kite"]
questions:
  - id: note
    type: text
    text: Tell us anything
  - id: area
    type: choice
    text: Where?
    options:
      - {id: north, label: North}
outro: Thanks
`))
	if err != nil {
		t.Fatal(err)
	}
	env.Catalog.Replace(append(env.Catalog.All(), s))
	const user = "44332211"
	send := func(id string, ev bot.Event) bot.Response {
		t.Helper()
		ev.Platform, ev.User, ev.Chat, ev.Private, ev.ID, ev.MessageRef = "telegram", user, user, true, id, id
		resp, err := env.Router.Handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := send("1", bot.Event{Kind: bot.KindCommand, Command: "start", Arg: "early-comment"})
	resp = send("2", bot.Event{Kind: bot.KindButton, Data: resp.Messages[len(resp.Messages)-1].Buttons[0].Data})
	if !strings.Contains(resp.Messages[len(resp.Messages)-1].Text, "Tell us anything") {
		t.Fatalf("not at the comment: %+v", resp)
	}
	send("3", bot.Event{Kind: bot.KindText, Text: "the bridge, call +33 6 12 34 56 78 or fatou@example.net"})
	env.AssertNoLeak(t, user, "12 34 56 78", "fatou@example.net", "early-comment\"", "the bridge")
	// Even unsealed with the secret, the session holds the scrubbed text.
	pid := env.Keys.Respondent("telegram", user)
	data, _, _, err := env.Store.LoadSession(ctx, pid, "")
	if err != nil || data == nil {
		t.Fatalf("no session: %v", err)
	}
	plain, err := env.Keys.Open(pid, data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(plain), "the bridge") || strings.Contains(string(plain), "12 34 56 78") || strings.Contains(string(plain), "fatou@") {
		t.Errorf("unsealed session: %s", plain)
	}

	// A safe word with no session, and a re-delivered /stop, still erase.
	send("4", bot.Event{Kind: bot.KindCommand, Command: "stop"})
	if r := send("4", bot.Event{Kind: bot.KindCommand, Command: "stop"}); r.Erase == nil || len(r.Messages) != 0 {
		t.Errorf("re-delivered /stop: got %+v, want an erase and no message", r)
	}
	if r := send("5", bot.Event{Kind: bot.KindText, Text: " Red Kite "}); r.Erase == nil || len(r.Messages) != 0 {
		t.Errorf("safe word without a session: got %+v, want an erase and no message", r)
	}
}
