package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// TestGuessRoundTrips: a router starts a person's step from the session
// its own last step left, and commits with CommitGuess; an ordinary
// answer then costs one round trip. When another replica stepped the
// person meanwhile, the refused guess carries the session as it is, and
// the step costs two, as with a read; a re-delivered event is answered
// from the refusal too. A step with an effect on the counters (consent)
// is decided on a read session, as before.
func TestGuessRoundTrips(t *testing.T) {
	env := testenv.New(t)
	var rt store.RoundTrips
	env.RDB.AddHook(&rt)
	a := env.Router
	env.Restart() // a second replica on the same Redis
	b := env.Router
	script := env.Catalog.Get("community-safety")
	ctx := context.Background()

	// Warm the connection pool and the script cache on someone else.
	warm := &simulate.Respondent{User: "warm", Player: simulate.NewPlayer(script, 99),
		Handler: func() bot.Handler { return a }}
	if err := warm.Run(ctx, script.ID); err != nil {
		t.Fatal(err)
	}

	player := simulate.NewPlayer(script, 1)
	seq := 0
	var last bot.Message
	send := func(name string, h *bot.Router, ev bot.Event, wantRT int64) bot.Response {
		t.Helper()
		before := rt.Load()
		resp, err := h.Handle(ctx, ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := rt.Load() - before; got != wantRT {
			t.Errorf("%s: %d round trips, want %d", name, got, wantRT)
		}
		for _, m := range resp.Messages {
			if m.ReplaceButtons {
				last.Buttons = m.Buttons
				continue
			}
			last = m
		}
		return resp
	}
	event := func() bot.Event {
		seq++
		act, err := player.Act(last)
		if err != nil {
			t.Fatal(err)
		}
		ev := bot.Event{Platform: "telegram", User: "amina", Chat: "amina", Private: true,
			ID: strconv.Itoa(seq), MessageRef: strconv.Itoa(seq)}
		if act.Kind == simulate.ActPress {
			ev.Kind, ev.Data = bot.KindButton, act.Data
		} else {
			ev.Kind, ev.Text = bot.KindText, act.Text
		}
		return ev
	}

	send("/start", a, bot.Event{Platform: "telegram", User: "amina", Chat: "amina", Private: true, ID: "0",
		Kind: bot.KindCommand, Command: "start", Arg: script.ID}, 3)
	lang := event()
	first := send("language, same replica", a, lang, 1)
	if len(first.Messages) == 0 || first.Step == "" {
		t.Fatalf("language: got %+v, want the consent prompt and a step", first)
	}
	// The same event again, on the replica that handled it: refused by
	// the commit's check of recent events, answered with the prompt the
	// read path shows, from the session the refusal carried.
	dupA := send("language again, same replica", a, lang, 1)
	dupB := send("language again, other replica", b, lang, 1) // a read: the event is a duplicate
	if fmt.Sprint(dupA.Messages) != fmt.Sprint(dupB.Messages) || dupA.Step != dupB.Step || dupA.Step != first.Step {
		t.Errorf("duplicate: guessed %+v, read %+v, first step %q", dupA, dupB, first.Step)
	}
	send("consent, same replica", a, event(), 3) // counted as started: read, count, commit
	send("an answer, same replica", a, event(), 1)
	send("an answer, other replica", b, event(), 2) // read, commit
	stale := event()
	resp := send("an answer, first replica again", a, stale, 2) // guess refused with the session, commit
	if resp.Step == "" || len(resp.Messages) == 0 {
		t.Errorf("after a refused guess: got %+v, want the next prompt", resp)
	}
	send("that answer again, other replica", b, stale, 1)
	send("another answer, first replica", a, event(), 1)
}

// TestReplicasGuessExactlyOnce runs 150 respondents against two routers
// on one Redis, each delivery going to either at random, some delivered
// to both at once, with re-deliveries and double taps: every guess one
// replica makes may be stale. The counters equal the simulated answers
// exactly, and no identity reaches Redis or the logs.
func TestReplicasGuessExactlyOnce(t *testing.T) {
	srv := redistest.Start(t)
	env := testenv.NewOn(t, srv)
	script := env.Catalog.Get("community-safety")
	a := env.Router
	env.Restart()
	routers := []*bot.Router{a, env.Router}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var raced atomic.Int64
	const n = 150
	players := make([]*simulate.Player, n)
	var wg sync.WaitGroup
	for i := range n {
		players[i] = simulate.NewPlayer(script, uint64(i+1))
		players[i].Decline = i%13 == 0
		// One source per respondent: its deliveries are sequential.
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		either := racer{routers: routers, rng: rng, raced: &raced}
		r := &simulate.Respondent{User: fmt.Sprintf("8%08d", 1000+i), Player: players[i],
			Handler: func() bot.Handler { return either },
			Chaos:   simulate.Chaos{DupRate: 0.15, DoubleTapRate: 0.05}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(ctx, script.ID); err != nil {
				t.Errorf("user %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if raced.Load() == 0 {
		t.Fatal("no delivery went to both replicas at once")
	}
	testenv.AssertCounters(t, env.Counters(t, script.ID), simulate.Expected(players, results.Week(time.Now())))
	var needles []string
	for i := range n {
		needles = append(needles, fmt.Sprintf("8%08d", 1000+i))
	}
	for _, p := range players {
		needles = append(needles, p.Planted()...)
	}
	env.AssertNoLeak(t, needles...)
}

// racer hands an event to one of two routers at random, and one event
// in eight to both at once (a platform re-delivering to another replica
// while the first is still at it), answering with either's response.
type racer struct {
	routers []*bot.Router
	rng     *rand.Rand
	raced   *atomic.Int64
}

func (r racer) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	pick := r.rng.IntN(2)
	if r.rng.IntN(8) != 0 {
		return r.routers[pick].Handle(ctx, ev)
	}
	r.raced.Add(1)
	var resps [2]bot.Response
	var errs [2]error
	var wg sync.WaitGroup
	for i, h := range r.routers {
		wg.Go(func() { resps[i], errs[i] = h.Handle(ctx, ev) })
	}
	wg.Wait()
	return resps[pick], errs[pick]
}

// TestStaleGuessCountsNothing: a step begun from a guessed session never
// reaches the counters. Replica A starts a session; on replica B the
// person stops and starts again (a new session, a new nonce); then A gets
// the consent. Decided on A's guess, it would count "started" for the
// first session and again, once the commit was refused, for the second:
// it must be decided on the session read.
func TestStaleGuessCountsNothing(t *testing.T) {
	env := testenv.New(t)
	a := env.Router
	env.Restart()
	b := env.Router
	script := env.Catalog.Get("community-safety")
	ctx := context.Background()
	ev := func(id string, kind bot.EventKind) bot.Event {
		return bot.Event{Platform: "telegram", User: "baraka", Chat: "baraka", Private: true, ID: id, MessageRef: id, Kind: kind}
	}
	handle := func(h *bot.Router, e bot.Event) bot.Response {
		t.Helper()
		resp, err := h.Handle(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	startEv := ev("1", bot.KindCommand)
	startEv.Command, startEv.Arg = "start", script.ID
	player := simulate.NewPlayer(script, 5)
	resp := handle(a, startEv)
	// The language, then the consent prompt, on A: A's last session is
	// the one at the consent.
	act, err := player.Act(resp.Messages[len(resp.Messages)-1])
	if err != nil {
		t.Fatal(err)
	}
	lang := ev("2", bot.KindButton)
	lang.Data = act.Data
	resp = handle(a, lang)
	consentPrompt := resp.Messages[len(resp.Messages)-1]
	stop := ev("3", bot.KindCommand)
	stop.Command = "stop"
	handle(b, stop)
	again := ev("4", bot.KindCommand)
	again.Command, again.Arg = "start", script.ID
	resp = handle(b, again)
	act, err = player.Act(resp.Messages[len(resp.Messages)-1])
	if err != nil {
		t.Fatal(err)
	}
	lang2 := ev("5", bot.KindButton)
	lang2.Data = act.Data
	resp = handle(b, lang2)
	if fmt.Sprint(resp.Messages[len(resp.Messages)-1].Buttons) != fmt.Sprint(consentPrompt.Buttons) {
		t.Fatalf("the second session's consent prompt differs from the first's: %+v / %+v", resp.Messages, consentPrompt)
	}
	act, err = player.Act(consentPrompt)
	if err != nil {
		t.Fatal(err)
	}
	consent := ev("6", bot.KindButton)
	consent.Data = act.Data
	handle(a, consent)
	got := env.Counters(t, script.ID)
	if got["started"] != 1 {
		t.Errorf("started = %d after one consent of one session, want 1 (counters %v)", got["started"], got)
	}
}
