package adaptertest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/baraza/baraza/bot"
)

// WaitTimeout bounds every wait of the suite for an event to reach the
// Handler or a reply to reach an Inbox.
const WaitTimeout = 10 * time.Second

const (
	alice = "1001"
	bob   = "1002"
)

// Run runs the conformance suite, one subtest per property, each with a
// fresh adapter from setup.
func Run(t *testing.T, setup Setup) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *script, d Driver, caps Caps)
	}{
		{"Command", testCommand},
		{"Text", testText},
		{"Order", testOrder},
		{"Buttons", testButtons},
		{"Press", testPress},
		{"Users", testUsers},
		{"Redeliver", testRedeliver},
		{"Toggle", testToggle},
		{"Erase", testErase},
		{"Unicode", testUnicode},
		{"Long", testLong},
		{"HandlerError", testHandlerError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript()
			d := setup(t, s)
			var caps Caps
			if c, ok := d.(Capable); ok {
				caps = c.Caps()
			}
			tc.fn(t, s, d, caps)
		})
	}
}

func testCommand(t *testing.T, s *script, d Driver, _ Caps) {
	d.Command(t, alice, "start", "night-safety")
	ev := waitEvent(t, s, "the /start night-safety command", func(a attempt) bool {
		return a.ev.Kind == bot.KindCommand && a.ev.Command == "start"
	})
	if ev.Arg != "night-safety" {
		t.Errorf("/start night-safety: got Arg %q, want %q", ev.Arg, "night-safety")
	}
	checkIdentity(t, ev)
	waitLast(t, d, alice, "command start night-safety")

	d.Command(t, alice, "help", "")
	ev = waitEvent(t, s, "the /help command", func(a attempt) bool {
		return a.ev.Kind == bot.KindCommand && a.ev.Command == "help"
	})
	if ev.Arg != "" {
		t.Errorf("/help: got Arg %q, want empty", ev.Arg)
	}
	waitLast(t, d, alice, "command help")
}

func testText(t *testing.T, s *script, d Driver, _ Caps) {
	const text = "I live near the market"
	d.Text(t, alice, text)
	ev := waitEvent(t, s, "a plain text", func(a attempt) bool { return a.ev.Kind == bot.KindText })
	if ev.Text != text {
		t.Errorf("text event: got Text %q, want %q", ev.Text, text)
	}
	if ev.Command != "" || ev.Data != "" {
		t.Errorf("text event: got Command %q, Data %q, want both empty", ev.Command, ev.Data)
	}
	checkIdentity(t, ev)
	waitLast(t, d, alice, text)
}

func testOrder(t *testing.T, s *script, d Driver, _ Caps) {
	d.Text(t, alice, trigThree)
	want := []string{"one", "two", "three"}
	waitInbox(t, d, alice, fmt.Sprintf("the texts %q in order", want), func(in []bot.Message) bool {
		return slices.Equal(texts(in), want)
	})
}

func testButtons(t *testing.T, s *script, d Driver, _ Caps) {
	d.Text(t, alice, trigButtons)
	want := append(answerButtons(), navButtons()...)
	in := waitInbox(t, d, alice, "a message with buttons", func(in []bot.Message) bool {
		return len(in) > 0 && len(in[len(in)-1].Buttons) > 0
	})
	m := in[len(in)-1]
	if m.Text != "Where do you live?" {
		t.Errorf("buttons message: got text %q, want %q", m.Text, "Where do you live?")
	}
	if got, w := labels(m.Buttons), labels(want); !slices.Equal(got, w) {
		t.Errorf("button labels: got %q, want %q (answer buttons first, then Nav, in order)", got, w)
	}
	if got, w := datas(m.Buttons), datas(want); !slices.Equal(got, w) {
		t.Errorf("button data: got %q, want %q", got, w)
	}
	for i, b := range m.Buttons {
		if b.Selected {
			t.Errorf("button %d (%q): got Selected, want not selected", i, b.Label)
		}
	}
}

func testPress(t *testing.T, s *script, d Driver, _ Caps) {
	d.Text(t, alice, trigButtons)
	txt := waitEvent(t, s, "the text asking for buttons", func(a attempt) bool { return a.ev.Kind == bot.KindText })
	waitInbox(t, d, alice, "a message with buttons", func(in []bot.Message) bool {
		return len(in) > 0 && len(in[len(in)-1].Buttons) > 0
	})
	if len(data60) != 60 {
		t.Fatalf("suite bug: data60 has %d bytes", len(data60))
	}
	d.Press(t, alice, data60)
	ev := waitEvent(t, s, "the button press", func(a attempt) bool { return a.ev.Kind == bot.KindButton })
	if ev.Data != data60 {
		t.Errorf("press: got Data %q, want %q (exactly as sent)", ev.Data, data60)
	}
	if ev.User != txt.User {
		t.Errorf("press: Event.User differs from the same user's text event")
	}
	checkIdentity(t, ev)
	waitLast(t, d, alice, "pressed "+data60)
	waitFor(t, fmt.Sprintf("notice %q shown to the presser", noticeText), func() bool {
		return slices.Contains(d.Notices(t, alice), noticeText)
	})
	if n := d.Notices(t, bob); len(n) > 0 {
		t.Errorf("another user's notices: got %q, want none", n)
	}

	// A press on a message's other button still comes back exactly.
	d.Press(t, alice, "a:6")
	waitEvent(t, s, "the press of a:6", func(a attempt) bool { return a.ev.Kind == bot.KindButton && a.ev.Data == "a:6" })
	waitLast(t, d, alice, "pressed a:6")
}

func testUsers(t *testing.T, s *script, d Driver, _ Caps) {
	d.Text(t, alice, "alice one")
	d.Text(t, bob, "bob one")
	d.Text(t, alice, "alice two")
	d.Command(t, bob, "help", "")
	byText := map[string]bot.Event{}
	for _, txt := range []string{"alice one", "bob one", "alice two"} {
		byText[txt] = waitEvent(t, s, "text "+txt, func(a attempt) bool { return a.ev.Kind == bot.KindText && a.ev.Text == txt })
	}
	help := waitEvent(t, s, "bob's /help", func(a attempt) bool { return a.ev.Kind == bot.KindCommand && a.ev.Command == "help" })
	if byText["alice one"].User != byText["alice two"].User {
		t.Errorf("one user's two texts: Event.User differs, want stable")
	}
	if byText["bob one"].User != help.User {
		t.Errorf("one user's text and command: Event.User differs, want stable")
	}
	if byText["alice one"].User == byText["bob one"].User {
		t.Errorf("two users: got the same Event.User, want different")
	}
	waitInbox(t, d, alice, "alice's replies", func(in []bot.Message) bool {
		return slices.Equal(texts(in), []string{"alice one", "alice two"})
	})
	waitInbox(t, d, bob, "bob's replies", func(in []bot.Message) bool {
		return slices.Equal(texts(in), []string{"bob one", "command help"})
	})
}

func testRedeliver(t *testing.T, s *script, d Driver, _ Caps) {
	const text = "deliver me twice"
	d.Text(t, alice, text)
	isText := func(a attempt) bool { return a.ev.Kind == bot.KindText && a.ev.Text == text }
	first := waitEvent(t, s, "the text", isText)
	waitLast(t, d, alice, text)
	d.Redeliver(t, alice)
	second := waitNth(t, s, "the re-delivered text", 2, isText)
	if first.ID == "" {
		t.Errorf("text event: got empty ID, want the platform's delivery id")
	}
	if second.ID != first.ID {
		t.Errorf("re-delivery: got ID %q, want %q (the first delivery's)", second.ID, first.ID)
	}
	if second.User != first.User {
		t.Errorf("re-delivery: Event.User differs from the first delivery")
	}

	d.Text(t, alice, trigButtons)
	waitInbox(t, d, alice, "a message with buttons", func(in []bot.Message) bool {
		return len(in) > 0 && len(in[len(in)-1].Buttons) > 0
	})
	d.Press(t, alice, "a:2")
	isPress := func(a attempt) bool { return a.ev.Kind == bot.KindButton && a.ev.Data == "a:2" }
	p1 := waitEvent(t, s, "the press", isPress)
	waitLast(t, d, alice, "pressed a:2")
	d.Redeliver(t, alice)
	p2 := waitNth(t, s, "the re-delivered press", 2, isPress)
	if p1.ID == "" || p2.ID != p1.ID {
		t.Errorf("press re-delivery: got IDs %q then %q, want the same non-empty id", p1.ID, p2.ID)
	}
	if p2.ID == first.ID {
		t.Errorf("a press and a text got the same event ID %q, want distinct", p1.ID)
	}
}

func testToggle(t *testing.T, s *script, d Driver, caps Caps) {
	d.Text(t, alice, trigMulti)
	in := waitInbox(t, d, alice, "the multi-select message", func(in []bot.Message) bool {
		return len(in) > 0 && len(in[len(in)-1].Buttons) == len(multiOptions)+1
	})
	n := len(in)
	wantLabels := []string{"Theft", "Harassment", "Violence", "Done"}
	steps := []struct {
		press string
		want  []bool // Selected of Theft, Harassment, Violence, Done
	}{
		{"t:harassment", []bool{false, true, false, false}},
		{"t:theft", []bool{true, true, false, false}},
		{"t:harassment", []bool{true, false, false, false}},
	}
	for i, st := range steps {
		d.Press(t, alice, st.press)
		wantLen := n
		if !caps.Edit {
			wantLen = n + i + 1
		}
		what := fmt.Sprintf("after pressing %s: last message with Selected %v and %d messages in all (Caps.Edit=%v)", st.press, st.want, wantLen, caps.Edit)
		in := waitInbox(t, d, alice, what, func(in []bot.Message) bool {
			if len(in) != wantLen {
				return false
			}
			return slices.Equal(selected(in[len(in)-1].Buttons), st.want)
		})
		last := in[len(in)-1]
		if got := labels(last.Buttons); !slices.Equal(got, wantLabels) {
			t.Errorf("after pressing %s: got labels %q, want %q (the selection marker reported as Selected, not in the label)", st.press, got, wantLabels)
		}
		if last.Text != "What happened?" {
			t.Errorf("after pressing %s: got text %q, want %q", st.press, last.Text, "What happened?")
		}
	}
}

func testErase(t *testing.T, s *script, d Driver, caps Caps) {
	d.Text(t, alice, "something private")
	waitLast(t, d, alice, "something private")
	d.Text(t, alice, trigButtons)
	waitInbox(t, d, alice, "a message with buttons", func(in []bot.Message) bool {
		return len(in) > 0 && len(in[len(in)-1].Buttons) > 0
	})
	d.Text(t, bob, "bob stays")
	waitLast(t, d, bob, "bob stays")

	d.Command(t, alice, "stop", "")
	waitInbox(t, d, alice, fmt.Sprintf("only %q after the erase", replyErased), func(in []bot.Message) bool {
		return slices.Equal(texts(in), []string{replyErased})
	})
	waitLast(t, d, bob, "bob stays")
	um, ok := d.(UserMessager)
	if caps.EraseUserMessages && ok {
		waitFor(t, "the user's own messages, /stop included, erased", func() bool {
			return len(um.UserMessages(t, alice)) == 0
		})
		if got := um.UserMessages(t, bob); !slices.Contains(got, "bob stays") {
			t.Errorf("another user's messages after an erase: got %q, want %q kept", got, "bob stays")
		}
	}
}

func testUnicode(t *testing.T, s *script, d Driver, _ Caps) {
	texts := []string{
		"أشعر بعدم الأمان في الليل قرب السوق",
		"👋🏽 👩‍👩‍👧 🇰🇪 ✓ — «ça va» 你好",
		"مرحبا 👋 hello עברית",
	}
	for _, text := range texts {
		d.Text(t, alice, text)
		ev := waitEvent(t, s, "text "+text, func(a attempt) bool { return a.ev.Kind == bot.KindText && a.ev.Text == text })
		if ev.Text != text {
			t.Errorf("got Text % x, want % x", ev.Text, text)
		}
		waitLast(t, d, alice, text)
	}
}

func testLong(t *testing.T, s *script, d Driver, _ Caps) {
	d.Text(t, alice, trigLong)
	want := stripSpace(longText)
	var got string
	var n int
	in := waitInbox(t, d, alice, fmt.Sprintf("the %d-rune reply complete", len([]rune(longText))), func(in []bot.Message) bool {
		got, n = stripSpace(strings.Join(texts(in), "")), len(in)
		return got == want
	})
	for i, m := range in {
		if strings.TrimSpace(m.Text) == "" {
			t.Errorf("long reply part %d of %d: empty", i+1, n)
		}
	}
}

func testHandlerError(t *testing.T, s *script, d Driver, caps Caps) {
	d.Text(t, alice, trigFlaky)
	isFlaky := func(a attempt) bool { return a.ev.Kind == bot.KindText && a.ev.Text == trigFlaky }
	waitAttempt(t, s, "the failing attempt", func(a attempt) bool { return isFlaky(a) && a.err != nil })
	if caps.RedeliverOnError {
		d.Redeliver(t, alice)
	}
	waitLast(t, d, alice, replyRecovered)
	calls, _ := s.snapshot()
	var ids []string
	for _, a := range calls {
		if isFlaky(a) {
			ids = append(ids, a.ev.ID)
		}
	}
	if len(ids) < 2 {
		t.Fatalf("handler error: got %d attempts, want at least 2", len(ids))
	}
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Errorf("handler error: retried with ID %q, want the first attempt's %q", id, ids[0])
		}
	}
	d.Text(t, alice, "still alive")
	waitLast(t, d, alice, "still alive")
	if got := texts(d.Inbox(t, alice)); slices.Contains(got, trigFlaky) || countOf(got, replyRecovered) != 1 {
		t.Errorf("after a handler error: got inbox %q, want %q once", got, replyRecovered)
	}
}

// checkIdentity checks the fields every event carries.
func checkIdentity(t *testing.T, ev bot.Event) {
	t.Helper()
	if ev.Platform == "" {
		t.Errorf("event: got empty Platform, want the adapter's Name()")
	}
	if ev.ID == "" {
		t.Errorf("event: got empty ID, want the platform's delivery id")
	}
	if ev.User == "" {
		t.Errorf("event: got empty User")
	}
	if ev.Chat == "" {
		t.Errorf("event: got empty Chat")
	}
	if !ev.Private {
		t.Errorf("event from a private chat: got Private false, want true")
	}
}

// waitFor polls cond until it holds or WaitTimeout passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", WaitTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitInbox polls u's Inbox until ok holds and returns it.
func waitInbox(t testing.TB, d Driver, u, what string, ok func([]bot.Message) bool) []bot.Message {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		in := d.Inbox(t, u)
		if ok(in) {
			return in
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s in user %s's inbox; got %d messages: %s", WaitTimeout, what, u, len(in), describe(in))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitLast waits until the newest message of u's Inbox has the given text.
func waitLast(t testing.TB, d Driver, u, text string) {
	t.Helper()
	waitInbox(t, d, u, fmt.Sprintf("a last message %q", text), func(in []bot.Message) bool {
		return len(in) > 0 && in[len(in)-1].Text == text
	})
}

// waitAttempt waits for a Handle call matching ok.
func waitAttempt(t testing.TB, s *script, what string, ok func(attempt) bool) attempt {
	t.Helper()
	return waitNthAttempt(t, s, what, 1, ok)
}

// waitEvent waits for a successful Handle call matching ok.
func waitEvent(t testing.TB, s *script, what string, ok func(attempt) bool) bot.Event {
	t.Helper()
	return waitNth(t, s, what, 1, ok)
}

// waitNth waits for the n-th successful Handle call matching ok.
func waitNth(t testing.TB, s *script, what string, n int, ok func(attempt) bool) bot.Event {
	t.Helper()
	return waitNthAttempt(t, s, what, n, func(a attempt) bool { return a.err == nil && ok(a) }).ev
}

func waitNthAttempt(t testing.TB, s *script, what string, n int, ok func(attempt) bool) attempt {
	t.Helper()
	timeout := time.After(WaitTimeout)
	for {
		calls, changed := s.snapshot()
		seen := 0
		for _, a := range calls {
			if ok(a) {
				seen++
				if seen == n {
					return a
				}
			}
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("waited %v for %s to reach the handler (%d of %d seen; %d calls in all)", WaitTimeout, what, seen, n, len(calls))
		}
	}
}

func texts(in []bot.Message) []string {
	out := make([]string, len(in))
	for i, m := range in {
		out[i] = m.Text
	}
	return out
}

func labels(bs []bot.Button) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Label
	}
	return out
}

func datas(bs []bot.Button) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Data
	}
	return out
}

func selected(bs []bot.Button) []bool {
	out := make([]bool, len(bs))
	for i, b := range bs {
		out[i] = b.Selected
	}
	return out
}

func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// describe shortens an inbox for a failure message.
func describe(in []bot.Message) string {
	var b strings.Builder
	for i, m := range in {
		txt := []rune(m.Text)
		if len(txt) > 60 {
			txt = append(txt[:60], '…')
		}
		fmt.Fprintf(&b, "\n  %d: %q", i, string(txt))
		for _, bt := range m.Buttons {
			fmt.Fprintf(&b, " [%s %q sel=%v]", bt.Label, bt.Data, bt.Selected)
		}
	}
	return b.String()
}
