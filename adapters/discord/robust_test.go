package discord_test

import (
	"context"
	"strings"
	"testing"

	"github.com/baraza/baraza/adapters/discord"
	"github.com/baraza/baraza/adapters/discord/discordtest"
	"github.com/baraza/baraza/bot"
)

// TestEmptySelectSkipped: a select-menu submit with "values": [] carries no
// press. It once reached in.Events[0] on the gateway reader and killed the
// process; it must be skipped as malformed, and the adapter keep serving.
func TestEmptySelectSkipped(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	var many []bot.Button
	for _, d := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z"} {
		many = append(many, bot.Button{Label: "Ward " + d, Data: "w:" + d})
	}
	rec := newRecorder(func(ev bot.Event) bot.Response {
		return bot.Response{Messages: []bot.Message{{Text: "Which ward?", Buttons: many}}}
	})
	a, logs := startAdapter(t, f, discord.Config{}, rec)
	u := f.NewUser("4610000000000000001", "secretname", "Secret Global")
	first := u.DM("hi")
	await(t, f, "the question", func() bool { _, _, _, ok := u.FindButton("Ward q"); return ok })
	msgID, customID, _, _ := u.FindButton("Ward q")
	if !strings.HasPrefix(customID, "baraza-select-") {
		t.Fatalf("got custom_id %q, want a select menu", customID)
	}
	if _, err := u.Select(msgID, customID); err != nil {
		t.Fatal(err)
	}
	id := u.DM("still works")
	await(t, f, "the DM after the empty select", func() bool { return rec.count(id) == 1 })
	if got := a.Stats().Malformed.Load(); got != 1 {
		t.Errorf("got %d malformed events, want 1 (the empty select)", got)
	}
	if got := len(rec.all()); got != 2 || rec.count(first) != 1 {
		t.Errorf("got %d handler calls, want 2 (the two DMs only)", got)
	}
	checkLogs(t, logs.String(), u.ID, u.Username, u.GlobalName, u.DMChannel(), f.Token())
	if !strings.Contains(logs.String(), "malformed event skipped") {
		t.Errorf("no malformed-event log line:\n%s", logs.String())
	}
}

// TestHandlerPanicRecovered: a panic while handling one event is recovered
// and logged by its type only; the same user's next event and other users
// are still served.
func TestHandlerPanicRecovered(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	const secret = "panic value holding secret text"
	rec := newRecorder(nil)
	h := bot.HandlerFunc(func(ctx context.Context, ev bot.Event) (bot.Response, error) {
		if ev.Text == "boom" {
			panic(secret + " " + ev.User)
		}
		return rec.Handle(ctx, ev)
	})
	a, logs := startAdapter(t, f, discord.Config{}, h)
	u := f.NewUser("4620000000000000001", "secretname", "Secret Global")
	u.DM("boom")
	id := u.DM("after the panic")
	other := f.NewUser("4620000000000000002", "other", "Other").DM("hello")
	await(t, f, "the events after the panic", func() bool { return rec.count(id) == 1 && rec.count(other) == 1 })
	if !strings.Contains(logs.String(), "panic recovered") || !strings.Contains(logs.String(), "type=string") {
		t.Errorf("got logs without the recovered panic's type:\n%s", logs.String())
	}
	checkLogs(t, logs.String(), secret, u.ID, u.Username, u.DMChannel(), f.Token())
	if got := a.Stats().Failed.Load(); got < 1 {
		t.Errorf("got %d failures counted, want at least 1", got)
	}
}
