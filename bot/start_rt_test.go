package bot_test

import (
	"context"
	"testing"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// TestStartRoundTrips: a /start that opens a session reads the session,
// then the status and the participation marker together, then commits:
// three round trips. A second /start by someone who already took part is
// refused after the first two.
func TestStartRoundTrips(t *testing.T) {
	env := testenv.New(t)
	var rt store.RoundTrips
	env.RDB.AddHook(&rt)
	ctx := context.Background()
	start := func(user, id string) bot.Response {
		t.Helper()
		// Warm the connection pool and the script cache on another person.
		if _, err := env.Router.Handle(ctx, bot.Event{Platform: "telegram", User: "warm-" + id, ID: "w" + id, Private: true,
			Kind: bot.KindCommand, Command: "start", Arg: "community-safety"}); err != nil {
			t.Fatal(err)
		}
		before := rt.Load()
		resp, err := env.Router.Handle(ctx, bot.Event{Platform: "telegram", User: user, ID: id, Private: true,
			Kind: bot.KindCommand, Command: "start", Arg: "community-safety"})
		if err != nil {
			t.Fatal(err)
		}
		if got := rt.Load() - before; got != 3 {
			t.Errorf("/start %s: %d round trips, want 3 (session; status and participation; commit)", id, got)
		}
		return resp
	}
	if resp := start("amina", "1"); len(resp.Messages) == 0 {
		t.Fatal("/start: no prompt")
	}
	// A closed consultation is refused before any participation check.
	if err := env.Store.SetStatus(ctx, "community-safety", "closed", "facilitator:test"); err != nil {
		t.Fatal(err)
	}
	before := rt.Load()
	resp, err := env.Router.Handle(ctx, bot.Event{Platform: "telegram", User: "baraka", ID: "2", Private: true,
		Kind: bot.KindCommand, Command: "start", Arg: "community-safety"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Messages) != 1 || resp.Dialog == bot.DialogOpen {
		t.Errorf("/start on a closed consultation: got %+v, want one refusal", resp)
	}
	if got := rt.Load() - before; got != 2 {
		t.Errorf("refused /start: %d round trips, want 2", got)
	}
}
