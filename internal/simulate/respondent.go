package simulate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
)

// Chaos says how often a Respondent misbehaves like a real platform and a
// real person do.
type Chaos struct {
	// DupRate is the share of events delivered twice with the same id.
	DupRate float64
	// DoubleTapRate is the share of (non-toggle) button presses pressed a
	// second time, as a new event.
	DoubleTapRate float64
}

// Respondent drives one Player straight through a bot.Handler, the way an
// adapter would: an event that fails (Redis away) is retried with the
// same id until it succeeds.
type Respondent struct {
	User     string
	Platform string
	Player   *Player
	Chaos    Chaos
	// Handler returns the handler to use for the next event (a test may
	// swap routers to simulate a restart).
	Handler func() bot.Handler
	// Events counts the events delivered, duplicates and retries included.
	Events int

	seq int
	rng *rand.Rand
	// last is the last message received (a person answers what they see
	// last); ok says whether there is one. Earlier messages are not kept:
	// the load command runs thousands of respondents in the process it
	// measures, and their history would be garbage the collector scans.
	last   bot.Message
	ok     bool
	trail  [trailLen]delivery // the last few deliveries, for a lost respondent's error
	trails int                // deliveries recorded in trail
}

const trailLen = 6

// delivery is what lost() tells of one delivery. It is formatted only when
// a respondent is lost, not on every delivery.
type delivery struct {
	ev     bot.Event
	tries  int
	msgs   int
	first  string
	notice string
	ended  bool
}

// remember keeps an account of a delivery for lost().
func (r *Respondent) remember(ev bot.Event, tries int, resp bot.Response) {
	d := delivery{ev: ev, tries: tries, msgs: len(resp.Messages), notice: resp.Notice, ended: resp.Ended}
	if len(resp.Messages) > 0 {
		d.first = resp.Messages[0].Text
	}
	r.trail[r.trails%trailLen] = d
	r.trails++
}

// lost wraps a lost respondent's error with its last deliveries.
func (r *Respondent) lost(format string, args ...any) error {
	var lines []string
	for i := max(0, r.trails-trailLen); i < r.trails; i++ {
		d := r.trail[i%trailLen]
		lines = append(lines, fmt.Sprintf("%v(%s%s) id=%s tries=%d -> %d msgs %q notice %q ended=%v",
			d.ev.Kind, d.ev.Command, d.ev.Data, d.ev.ID, d.tries, d.msgs, clip(d.first), d.notice, d.ended))
	}
	return fmt.Errorf("%w: "+format+"\n\tlast deliveries:\n\t%s", append(append([]any{ErrLost}, args...), strings.Join(lines, "\n\t"))...)
}

// ErrLost means the player could not follow the dialog.
var ErrLost = errors.New("simulate: respondent lost")

func (r *Respondent) deliver(ctx context.Context, ev bot.Event) (bot.Response, error) {
	backoff := time.Millisecond
	for tries := 1; ; tries++ {
		r.Events++
		resp, err := r.Handler().Handle(ctx, ev)
		if err == nil {
			r.remember(ev, tries, resp)
			return resp, nil
		}
		select {
		case <-ctx.Done():
			return bot.Response{}, fmt.Errorf("simulate: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

func (r *Respondent) apply(resp bot.Response) {
	for _, m := range resp.Messages {
		if m.ReplaceButtons && r.ok {
			r.last.Buttons = m.Buttons
			continue
		}
		r.last, r.ok = m, true
	}
}

func (r *Respondent) event(kind bot.EventKind) bot.Event {
	r.seq++
	p := r.Platform
	if p == "" {
		p = "webchat"
	}
	ref := strconv.Itoa(r.seq)
	return bot.Event{Platform: p, ID: r.User + "-" + ref, User: r.User, Chat: r.User,
		Private: true, Kind: kind, MessageRef: ref}
}

// Run plays the whole dialog of consultation, from /start to the end.
func (r *Respondent) Run(ctx context.Context, consultation string) error {
	if r.rng == nil {
		r.rng = rand.New(rand.NewPCG(uint64(len(r.User)), hash(r.User)))
	}
	ev := r.event(bot.KindCommand)
	ev.Command, ev.Arg = "start", consultation
	if r.Player.Script.Kind == dialogs.KindReport {
		ev.Command = "report"
	}
	resp, err := r.deliver(ctx, ev)
	if err != nil {
		return err
	}
	r.apply(resp)
	for steps := 0; steps < 300; steps++ {
		if !r.ok {
			return r.lost("no message after /start")
		}
		act, err := r.Player.Act(r.last)
		if err != nil {
			return r.lost("%v", err)
		}
		if r.Player.Done() {
			return nil
		}
		var ev bot.Event
		switch act.Kind {
		case ActPress:
			ev = r.event(bot.KindButton)
			ev.Data = act.Data
		case ActText:
			ev = r.event(bot.KindText)
			ev.Text = act.Text
		default:
			return r.lost("no action")
		}
		resp, err := r.deliver(ctx, ev)
		if err != nil {
			return err
		}
		if len(resp.Messages) == 0 && resp.Notice == "" && resp.Erase == nil {
			// Silence means the session had already ended: the first
			// delivery completed it (or recorded the refusal of consent)
			// and its reply was lost with a dying connection.
			return r.ended(ctx, consultation)
		}
		r.apply(resp)
		if r.rng.Float64() < r.Chaos.DupRate {
			// The platform re-delivers the same update: nothing may change;
			// the bot may show the current prompt again.
			dup, err := r.deliver(ctx, ev)
			if err != nil {
				return err
			}
			r.apply(dup)
		}
		// Whether the press toggled is known from the question, not from
		// the reply's shape: a press retried after a Redis blip is answered
		// by the duplicate path with the whole prompt again.
		if act.Kind == ActPress && !act.Toggle && r.rng.Float64() < r.Chaos.DoubleTapRate {
			// A second, genuine press of a button already answered.
			again := r.event(bot.KindButton)
			again.Data = act.Data
			resp, err := r.deliver(ctx, again)
			if err != nil {
				return err
			}
			if len(resp.Messages) != 0 || resp.Notice == "" {
				return r.lost("double tap got %d messages, notice %q; want none and a notice", len(resp.Messages), resp.Notice)
			}
		}
	}
	return r.lost("the dialog did not end; last message %q", r.last.Text)
}

// ended checks, the way a person would by sending /start again, that a
// silently ended consultation was indeed counted.
func (r *Respondent) ended(ctx context.Context, consultation string) error {
	r.Player.done = true
	if r.Player.Decline || r.Player.Script.Kind != dialogs.KindConsultation {
		return nil
	}
	ev := r.event(bot.KindCommand)
	ev.Command, ev.Arg, ev.Locale = "start", consultation, r.Player.Lang
	resp, err := r.deliver(ctx, ev)
	if err != nil {
		return err
	}
	want := dialogs.UI(r.Player.Lang, "already_participated")
	if len(resp.Messages) != 1 || resp.Messages[0].Text != want {
		return r.lost("the dialog ended in silence and /start answered %+v, want %q", resp.Messages, want)
	}
	return nil
}

func hash(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
