package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/baraza/baraza/bot"
)

// Canned texts the scripted handler reacts to. Any other text is echoed
// back unchanged.
const (
	trigThree   = "three please"
	trigButtons = "buttons please"
	trigMulti   = "multi please"
	trigLong    = "long please"
	trigFlaky   = "flaky please"
	trigNotice  = "notice please"

	replyRecovered = "recovered"
	replyErased    = "Erased. Goodbye."
	noticeText     = "Noted ✓"
)

// data60 is a 60-byte button Data (the bot.Button maximum) using the
// punctuation the router's own Data uses.
var data60 = func() string {
	s := "q:night-safety|opt:north-east_1.2|"
	for len(s) < 60 {
		s += "x"
	}
	return s
}()

// answerButtons and navButtons are what trigButtons sends: answer buttons
// first, then navigation, as the router does. Seven answers make Discord
// split them over action rows.
func answerButtons() []bot.Button {
	bs := []bot.Button{{Label: "North", Data: data60}}
	for i, l := range []string{"South", "East", "West", "Centre", "Elsewhere", "العربية"} {
		bs = append(bs, bot.Button{Label: l, Data: fmt.Sprintf("a:%d", i+1)})
	}
	return bs
}

func navButtons() []bot.Button {
	return []bot.Button{{Label: "Skip", Data: "nav:skip", Nav: true}, {Label: "Back", Data: "nav:back", Nav: true}}
}

// multiOptions are the toggles trigMulti sends, then a Done button.
var multiOptions = []struct{ label, data string }{
	{"Theft", "t:theft"}, {"Harassment", "t:harassment"}, {"Violence", "t:violence"},
}

// longText is a reply longer than any platform's message limit, words of
// mixed scripts so that bytes, runes and UTF-16 units all differ.
var longText = func() string {
	var b strings.Builder
	for i := 0; b.Len() < 5000 || len([]rune(b.String())) < 5000; i++ {
		if i > 0 {
			b.WriteString(" ")
		}
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "word%04d", i)
		case 1:
			fmt.Fprintf(&b, "كلمة%d", i)
		default:
			fmt.Fprintf(&b, "🙂%d", i)
		}
	}
	return b.String()
}()

// errFlaky is what the scripted handler returns on the first attempt of
// trigFlaky.
var errFlaky = errors.New("adaptertest: scripted failure (store away)")

// attempt is one call of Handle.
type attempt struct {
	ev  bot.Event
	err error
}

// script is the suite's bot.Handler: it records every call and answers
// canned Responses.
type script struct {
	mu       sync.Mutex
	calls    []attempt
	selected map[string]map[string]bool // event user -> toggled data
	firstRef map[string]string          // event user -> first MessageRef
	failed   map[string]bool            // event ids already failed once
	changed  chan struct{}              // closed and replaced on each call
}

func newScript() *script {
	return &script{
		selected: map[string]map[string]bool{},
		firstRef: map[string]string{},
		failed:   map[string]bool{},
		changed:  make(chan struct{}),
	}
}

// Handle implements bot.Handler.
func (s *script) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp, err := s.respond(ev)
	s.calls = append(s.calls, attempt{ev: ev, err: err})
	close(s.changed)
	s.changed = make(chan struct{})
	if err != nil {
		return bot.Response{}, err
	}
	return resp, nil
}

func (s *script) respond(ev bot.Event) (bot.Response, error) {
	if _, ok := s.firstRef[ev.User]; !ok && ev.MessageRef != "" {
		s.firstRef[ev.User] = ev.MessageRef
	}
	one := func(m bot.Message) bot.Response { return bot.Response{Messages: []bot.Message{m}} }
	switch ev.Kind {
	case bot.KindCommand:
		if ev.Command == "stop" {
			from := s.firstRef[ev.User]
			delete(s.firstRef, ev.User)
			delete(s.selected, ev.User)
			return bot.Response{
				Erase:    &bot.Erase{From: from, To: ev.MessageRef},
				Messages: []bot.Message{{Text: replyErased, Lang: "en"}},
			}, nil
		}
		return one(bot.Message{Text: strings.TrimSpace("command " + ev.Command + " " + ev.Arg), Lang: "en"}), nil
	case bot.KindText:
		switch ev.Text {
		case trigThree:
			return bot.Response{Messages: []bot.Message{{Text: "one"}, {Text: "two"}, {Text: "three"}}}, nil
		case trigButtons:
			return one(bot.Message{Text: "Where do you live?", Buttons: append(answerButtons(), navButtons()...)}), nil
		case trigMulti:
			return one(s.multi(ev.User, false)), nil
		case trigLong:
			return one(bot.Message{Text: longText}), nil
		case trigFlaky:
			if ev.ID == "" || !s.failed[ev.ID] {
				s.failed[ev.ID] = true
				return bot.Response{}, errFlaky
			}
			return one(bot.Message{Text: replyRecovered}), nil
		}
		return one(bot.Message{Text: ev.Text}), nil
	case bot.KindButton:
		if strings.HasPrefix(ev.Data, "t:") {
			sel := s.selected[ev.User]
			if sel == nil {
				sel = map[string]bool{}
				s.selected[ev.User] = sel
			}
			sel[ev.Data] = !sel[ev.Data]
			return one(s.multi(ev.User, true)), nil
		}
		return bot.Response{Notice: noticeText, Messages: []bot.Message{{Text: "pressed " + ev.Data}}}, nil
	}
	return bot.Response{}, fmt.Errorf("adaptertest: unexpected event kind %d", ev.Kind)
}

func (s *script) multi(user string, replace bool) bot.Message {
	m := bot.Message{Text: "What happened?", ReplaceButtons: replace}
	for _, o := range multiOptions {
		m.Buttons = append(m.Buttons, bot.Button{Label: o.label, Data: o.data, Selected: s.selected[user][o.data]})
	}
	m.Buttons = append(m.Buttons, bot.Button{Label: "Done", Data: "nav:done", Nav: true})
	return m
}

// snapshot returns a copy of the calls so far and a channel closed on the
// next call.
func (s *script) snapshot() ([]attempt, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]attempt(nil), s.calls...), s.changed
}
