package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

// TestLegacyJSONSession: sessions an earlier version left in Redis (JSON)
// keep working after the upgrade to the binary encoding. Each respondent's
// session is rewritten in the old form twice mid-dialog (after consent and
// further on, as if the replica had been upgraded between two answers);
// the next step reads it, rewrites it in the binary form, and the counts
// stay exact.
func TestLegacyJSONSession(t *testing.T) {
	env := testenv.New(t)
	script := env.Catalog.Get("community-safety")
	ctx := context.Background()
	var players []*simulate.Player
	converted, upgraded := 0, 0
	for i := range 20 {
		p := simulate.NewPlayer(script, uint64(i+1))
		players = append(players, p)
		seen := 0
		var h bot.Handler = handlerFunc(func(ctx context.Context, ev bot.Event) (bot.Response, error) {
			seen++
			pid := env.Keys.Respondent(ev.Platform, ev.User)
			if seen == 4 || seen == 9 {
				data, version, _, err := env.Store.LoadSession(ctx, pid, "")
				if err != nil {
					return bot.Response{}, err
				}
				if data != nil {
					plain, err := env.Keys.Open(pid, data)
					if err != nil {
						t.Fatal(err)
					}
					legacy, err := bot.LegacySession(plain)
					if err != nil {
						t.Fatal(err)
					}
					if err := env.Store.SaveSession(ctx, pid, version, env.Keys.Seal(pid, legacy), ""); err != nil {
						t.Fatal(err)
					}
					converted++
				}
			}
			resp, err := env.Router.Handle(ctx, ev)
			if err == nil && (seen == 4 || seen == 9) {
				data, _, _, lerr := env.Store.LoadSession(ctx, pid, "")
				if lerr != nil {
					t.Fatal(lerr)
				}
				if data != nil {
					plain, err := env.Keys.Open(pid, data)
					if err != nil {
						t.Fatal(err)
					}
					if bot.SessionIsBinary(plain) {
						upgraded++
					}
				}
			}
			return resp, err
		})
		r := &simulate.Respondent{User: fmt.Sprintf("legacy-%d", i), Player: p, Handler: func() bot.Handler { return h }}
		if err := r.Run(ctx, script.ID); err != nil {
			t.Fatal(err)
		}
	}
	if converted < 20 {
		t.Fatalf("only %d sessions were rewritten in JSON; the test did not exercise the old form", converted)
	}
	if upgraded == 0 {
		t.Error("no session was rewritten in the binary form by the next step")
	}
	testenv.AssertCounters(t, env.Counters(t, script.ID), simulate.Expected(players, results.Week(time.Now())))
}
