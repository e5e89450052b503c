package discord_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

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

// flaky fails the first n calls for each event id, then answers.
type flaky struct {
	n   int
	mu  sync.Mutex
	got map[string]int
}

func (f *flaky) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	f.mu.Lock()
	f.got[ev.ID]++
	calls := f.got[ev.ID]
	f.mu.Unlock()
	if calls <= f.n {
		return bot.Response{}, errors.New("store away")
	}
	if ev.Kind == bot.KindText {
		return bot.Response{Messages: []bot.Message{{Text: "stored " + ev.Text, Buttons: []bot.Button{{Label: "A", Data: "a"}}}}}, nil
	}
	return bot.Response{Messages: []bot.Message{{Text: "stored " + ev.Data}}, Notice: "saved"}, nil
}

func (f *flaky) calls(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[id]
}

// TestHandlerRetriedUntilItRecovers: a handler that fails many times (the
// store away for longer than a few retries) is retried with backoff until
// it succeeds, for a DM and for a button press: nothing is lost, and the
// person never sees "try again".
func TestHandlerRetriedUntilItRecovers(t *testing.T) {
	const failures = 12 // the old adapter gave up after 5 attempts
	f := discordtest.New(t, discordtest.Options{})
	h := &flaky{n: failures, got: map[string]int{}}
	a, _ := startAdapter(t, f, discord.Config{RetryBackoff: time.Millisecond, RetryMaxBackoff: 4 * time.Millisecond}, h)
	u := f.NewUser("4630000000000000001", "r", "R")
	id := u.DM("my answer")
	await(t, f, "the stored reply", func() bool {
		m, ok := u.LastBotMessage()
		return ok && m.Content == "stored my answer"
	})
	press, err := u.PressLabel("A")
	if err != nil {
		t.Fatal(err)
	}
	await(t, f, "the stored press", func() bool {
		m, ok := u.LastBotMessage()
		return ok && m.Content == "stored a"
	})
	await(t, f, "the press's notice", func() bool {
		eph := f.Ephemeral(u.DMChannel())
		return len(eph) == 1 && eph[0].Content == "saved"
	})
	for _, ev := range []string{id, press} {
		if got := h.calls(ev); got != failures+1 {
			t.Errorf("event %s: got %d handler calls, want %d", ev, got, failures+1)
		}
	}
	for _, m := range append(f.BotMessages(u.DMChannel()), f.Ephemeral(u.DMChannel())...) {
		if strings.Contains(m.Content, "try again") {
			t.Errorf("got %q, want no failure shown", m.Content)
		}
	}
	if got := a.Stats().Failed.Load(); got != 0 {
		t.Errorf("got %d failures, want 0", got)
	}
}

// TestHandlerGivenUpAfterBudget: past the retry budget the event is given
// up and the person asked to try again.
func TestHandlerGivenUpAfterBudget(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	h := &flaky{n: 1 << 30, got: map[string]int{}}
	a, _ := startAdapter(t, f, discord.Config{RetryBudget: 50 * time.Millisecond, RetryBackoff: time.Millisecond, RetryMaxBackoff: 5 * time.Millisecond}, h)
	u := f.NewUser("4640000000000000001", "r", "R")
	id := u.DM("my answer")
	await(t, f, "the try-again message", func() bool {
		m, ok := u.LastBotMessage()
		return ok && strings.Contains(m.Content, "try again")
	})
	if got := h.calls(id); got < 2 {
		t.Errorf("got %d handler calls, want retries", got)
	}
	if got := a.Stats().Failed.Load(); got != 1 {
		t.Errorf("got %d failures, want 1", got)
	}
}

// TestFullQueueAnswersBusy: when a user's queue is full the dropped event
// is answered "busy" (ephemerally for an interaction) and counted, not
// silently lost.
func TestFullQueueAnswersBusy(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) })
	rec := newRecorder(func(ev bot.Event) bot.Response {
		return bot.Response{Messages: []bot.Message{{Text: "q", Buttons: []bot.Button{{Label: "A", Data: "a"}, {Label: "B", Data: "b"}}}}}
	})
	h := bot.HandlerFunc(func(ctx context.Context, ev bot.Event) (bot.Response, error) {
		resp, err := rec.Handle(ctx, ev)
		if ev.Text == "hold" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return resp, err
	})
	a, _ := startAdapter(t, f, discord.Config{UserQueue: 1}, h)
	u := f.NewUser("4650000000000000001", "r", "R")
	u.DM("hi")
	await(t, f, "the buttons", func() bool { _, _, _, ok := u.FindButton("A"); return ok })
	hold := u.DM("hold")
	await(t, f, "the held event", func() bool { return rec.count(hold) == 1 })
	queued := u.DM("queued")               // waits behind "hold": the queue is now full
	dropped := u.DM("dropped")             // no room: dropped, answered busy
	pressDropped, err := u.PressLabel("A") // no room either: ephemeral busy
	if err != nil {
		t.Fatal(err)
	}
	await(t, f, "the busy replies", func() bool {
		busyDM := 0
		for _, m := range f.BotMessages(u.DMChannel()) {
			if strings.Contains(m.Content, "Busy") {
				busyDM++
			}
		}
		eph := f.Ephemeral(u.DMChannel())
		return busyDM == 1 && len(eph) == 1 && strings.Contains(eph[0].Content, "Busy")
	})
	once.Do(func() { close(release) })
	await(t, f, "the queued event", func() bool { return rec.count(queued) == 1 })
	if got := a.Stats().Dropped.Load(); got != 2 {
		t.Errorf("got %d dropped, want 2", got)
	}
	for _, id := range []string{dropped, pressDropped} {
		if n := rec.count(id); n != 0 {
			t.Errorf("dropped event %s handled %d times, want 0", id, n)
		}
	}
	for _, r := range f.Interactions() {
		if r.ID == pressDropped && r.AckType != 4 {
			t.Errorf("dropped press: got ack type %d, want 4 (an ephemeral reply)", r.AckType)
		}
	}
}
