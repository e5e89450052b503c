// Package simulate plays respondents: a Player reads what a person would
// see (the last message's text and buttons), answers at random from a
// seed, and remembers what it gave, so tests and the load command can
// compute the exact counters the bot must end with.
package simulate

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/results"
)

// ActionKind is what a simulated respondent does next.
type ActionKind int

// Actions.
const (
	ActNone ActionKind = iota
	ActPress
	ActText
)

// Action is one move of a simulated respondent.
type Action struct {
	Kind ActionKind
	Data string // ActPress
	Text string // ActText
	// Toggle marks a press that flips an option of a multiple-choice
	// question: pressing it again is a new answer, not a double tap.
	Toggle bool
}

// Player is a simulated respondent that answers a script through whatever
// adapter a test drives, reading only what a person would see: the last
// message's text and buttons. It draws its answers at random (seeded) and
// remembers what it gave, so a test can compute the exact counters the
// bot must end with.
type Player struct {
	Script *dialogs.Script
	Lang   string
	// Decline makes the player refuse consent.
	Decline bool

	rng     *rand.Rand
	given   dialogs.Answers
	toggled map[string]bool // multi options pressed for the current question
	wantSet []string        // multi options to press for the current question
	current string          // question being answered (multi)
	done    bool
	planted []string
}

// Planted returns the phone numbers and e-mail addresses the player wrote
// into free-text answers; none may be found in Redis or in the logs.
func (p *Player) Planted() []string { return p.planted }

// NewPlayer returns a player with its own random stream.
func NewPlayer(s *dialogs.Script, seed uint64) *Player {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	lang := s.Languages[rng.IntN(len(s.Languages))]
	return &Player{Script: s, Lang: lang, rng: rng, given: dialogs.Answers{}}
}

// Done reports whether the player saw the end of the dialog.
func (p *Player) Done() bool { return p.done }

// Increments are the counter fields this player's completion must add.
func (p *Player) Increments(week string) []string {
	if p.Decline {
		return []string{"declined"}
	}
	return append(results.Increments(p.Script, p.given, week), "started")
}

// Act decides the next move from the last message the player received.
func (p *Player) Act(last bot.Message) (Action, error) {
	if p.done {
		return Action{}, nil
	}
	if len(last.Buttons) > 0 {
		if a, ok := p.special(last); ok {
			return a, nil
		}
	}
	q := p.question(last.Text)
	if q == nil {
		if strings.Contains(last.Text, p.Script.Text(p.Script.Outro, p.Lang)) || (p.Decline && len(last.Buttons) == 0) {
			p.done = true
			return Action{}, nil
		}
		return Action{}, fmt.Errorf("player: cannot tell what %q asks", clip(last.Text))
	}
	switch q.Type {
	case dialogs.TypeChoice, dialogs.TypeScale:
		o := q.Options[p.rng.IntN(len(q.Options))]
		label := p.Script.Text(o.Label, p.Lang)
		for _, b := range last.Buttons {
			if b.Label == label && !b.Nav {
				p.given[q.ID] = dialogs.Answer{Options: []string{o.ID}}
				return Action{Kind: ActPress, Data: b.Data}, nil
			}
		}
		return Action{}, fmt.Errorf("player: no button labelled %q for %s", label, q.ID)
	case dialogs.TypeMulti:
		return p.multi(q, last)
	case dialogs.TypeNumber:
		n := q.Min
		if q.HasMax && q.Max > q.Min {
			n += p.rng.IntN(q.Max - q.Min + 1)
		} else {
			n += p.rng.IntN(10)
		}
		p.given[q.ID] = dialogs.Answer{Text: strconv.Itoa(n)}
		return Action{Kind: ActText, Text: strconv.Itoa(n)}, nil
	case dialogs.TypeText:
		if q.Optional && p.rng.IntN(3) == 0 {
			if b, ok := buttonFor(last, "s"); ok {
				p.given[q.ID] = dialogs.Answer{Skipped: true}
				return Action{Kind: ActPress, Data: b.Data}, nil
			}
		}
		// Plant a phone number and an e-mail address: the scrubber must
		// remove them before anything is stored.
		n := p.rng.IntN(1000)
		phone, mail := fmt.Sprintf("+254 7%03d 345 678", n), fmt.Sprintf("amina%d@example.org", n)
		text := fmt.Sprintf("near the night market %d, call me on %s or write to %s", n, phone, mail)
		p.planted = append(p.planted, phone, mail)
		p.given[q.ID] = dialogs.Answer{Text: text}
		return Action{Kind: ActText, Text: text}, nil
	}
	return Action{}, fmt.Errorf("player: question %s of type %s takes no answer", q.ID, q.Type)
}

// special handles the language and consent prompts, recognised by their
// buttons' data ("<token>:l<code>", "<token>:y" / "<token>:n").
func (p *Player) special(last bot.Message) (Action, bool) {
	for _, b := range last.Buttons {
		if _, x, ok := strings.Cut(b.Data, ":"); ok && strings.HasPrefix(x, "l") && x[1:] == p.Lang {
			return Action{Kind: ActPress, Data: b.Data}, true
		}
	}
	want := "y"
	if p.Decline {
		want = "n"
	}
	if b, ok := buttonFor(last, "y"); ok {
		if want == "n" {
			b, _ = buttonFor(last, "n")
		}
		return Action{Kind: ActPress, Data: b.Data}, true
	}
	return Action{}, false
}

func (p *Player) multi(q *dialogs.Question, last bot.Message) (Action, error) {
	if p.current != q.ID {
		p.current = q.ID
		p.toggled = map[string]bool{}
		p.wantSet = nil
		for _, o := range q.Options {
			if p.rng.IntN(3) == 0 {
				p.wantSet = append(p.wantSet, o.ID)
			}
		}
		if len(p.wantSet) == 0 {
			p.wantSet = []string{q.Options[p.rng.IntN(len(q.Options))].ID}
		}
	}
	for _, id := range p.wantSet {
		if p.toggled[id] {
			continue
		}
		label := ""
		for _, o := range q.Options {
			if o.ID == id {
				label = p.Script.Text(o.Label, p.Lang)
			}
		}
		for _, b := range last.Buttons {
			if strings.TrimSpace(strings.TrimPrefix(b.Label, "✓")) == label && !b.Nav {
				p.toggled[id] = true
				return Action{Kind: ActPress, Data: b.Data, Toggle: true}, nil
			}
		}
		return Action{}, fmt.Errorf("player: no toggle labelled %q for %s", label, q.ID)
	}
	b, ok := buttonFor(last, "d")
	if !ok {
		return Action{}, fmt.Errorf("player: no Done button for %s", q.ID)
	}
	var chosen []string
	for _, o := range q.Options { // option order, as the machine stores it
		if p.toggled[o.ID] {
			chosen = append(chosen, o.ID)
		}
	}
	p.given[q.ID] = dialogs.Answer{Options: chosen}
	p.current = ""
	return Action{Kind: ActPress, Data: b.Data}, nil
}

// question finds the question whose text opens the message.
func (p *Player) question(text string) *dialogs.Question {
	var best *dialogs.Question
	for i := range p.Script.Questions {
		q := &p.Script.Questions[i]
		qt := p.Script.Text(q.Text, p.Lang)
		if qt != "" && strings.HasPrefix(text, qt) && (best == nil || len(qt) > len(p.Script.Text(best.Text, p.Lang))) {
			best = q
		}
	}
	return best
}

// buttonFor finds the button whose data ends in ":"+x.
func buttonFor(m bot.Message, x string) (bot.Button, bool) {
	for _, b := range m.Buttons {
		if _, got, ok := strings.Cut(b.Data, ":"); ok && got == x {
			return b, true
		}
	}
	return bot.Button{}, false
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Expected is the counters the players' completions and refusals must
// have added, all together: each field of each player's Increments counts
// one. week is the ISO week the completions were counted in ("" for
// scripts without weekly counters).
func Expected(players []*Player, week string) map[string]int64 {
	want := map[string]int64{}
	for _, p := range players {
		p.Tally(want, week)
	}
	return want
}

// Tally adds the player's counter increments (Increments) to want.
func (p *Player) Tally(want map[string]int64, week string) {
	for _, f := range p.Increments(week) {
		want[f]++
	}
}
