package discord_test

import (
	"strings"
	"testing"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

// TestModalForLongTextAnswer: a respondent plays community-safety through
// the fake, the adapter and the real router on real Redis. At the long
// free-text question the DM offers, besides typing, a button that opens a
// modal: a paragraph text input whose max length is the question's. The
// press never reaches the router; the modal's submit (INTERACTION_CREATE
// type 5) is handled as the typed answer, and a re-delivery of the same
// submit changes nothing. The dialog is played to the end and the
// counters equal the simulated answers exactly.
func TestModalForLongTextAnswer(t *testing.T) {
	const consultation = "community-safety"
	env, script, f, h, a := solo(t, consultation)
	u := f.NewUser("880000000000000071", "wambui_k", "Wambui")
	p := simulate.NewPlayer(script, 5)
	ch := u.DMChannel()

	// answered waits until event id was handled and its answer is in the DM.
	answered := func(id string, isPress bool, msgs0, edits0 int) {
		t.Helper()
		await(t, f, "the router's answer", func() bool { _, ok := h.nth(id, 1); return ok })
		resp, _ := h.nth(id, 1)
		nm, ne := 0, 0
		for _, m := range resp.Messages {
			if m.ReplaceButtons && isPress {
				ne++
			} else {
				nm++
			}
		}
		await(t, f, "the answer in the DM", func() bool { m, e := dmState(f, ch); return m >= msgs0+nm && e >= edits0+ne })
	}
	modalButton := func() (msgID, data string, ok bool) {
		ms := f.BotMessages(ch)
		if len(ms) == 0 {
			return "", "", false
		}
		m := ms[len(ms)-1]
		for _, b := range m.Buttons() {
			if strings.HasPrefix(b.CustomID, "baraza-modal:") {
				return m.ID, b.CustomID, true
			}
		}
		return "", "", false
	}
	act := func(a simulate.Action, msgID string) {
		t.Helper()
		m0, e0 := dmState(f, ch)
		switch a.Kind {
		case simulate.ActPress:
			id, err := u.Press(msgID, a.Data)
			if err != nil {
				t.Fatal(err)
			}
			answered(id, true, m0, e0)
		case simulate.ActText:
			answered(u.DM(a.Text), false, m0, e0)
		}
	}

	m0, e0 := dmState(f, ch)
	answered(u.DM("/start "+consultation), false, m0, e0)
	usedModal := false
	for steps := 0; !p.Done(); steps++ {
		if steps > 200 {
			t.Fatal("no end after 200 steps")
		}
		last, msgID, _ := lastDM(f, u)
		next, err := p.Act(last)
		if err != nil {
			t.Fatal(err)
		}
		bmsg, data, offered := modalButton()
		if usedModal || !offered || next.Kind != simulate.ActText {
			act(next, msgID)
			continue
		}
		usedModal = true
		var q *dialogs.Question
		for i := range script.Questions {
			qq := &script.Questions[i]
			for _, lang := range script.Languages {
				if qq.Type == dialogs.TypeText && strings.Contains(last.Text, script.Text(qq.Text, lang)) {
					q = qq
				}
			}
		}
		if q == nil {
			t.Fatalf("a modal offered for a message that asks no text question: %q", last.Text)
		}
		opener, err := u.Press(bmsg, data)
		if err != nil {
			t.Fatal(err)
		}
		await(t, f, "the modal", func() bool { _, ok := f.ModalOf(opener); return ok })
		md, _ := f.ModalOf(opener)
		if len(md.Inputs) != 1 || md.Inputs[0].Style != 2 || md.Inputs[0].MaxLength != min(q.MaxLength, 4000) || !md.Inputs[0].Required {
			t.Errorf("modal %+v; want one required paragraph input of at most %d characters", md, q.MaxLength)
		}
		m0, e0 := dmState(f, ch)
		submit, err := u.ModalSubmitFrom(opener, next.Text)
		if err != nil {
			t.Fatal(err)
		}
		answered(submit, false, m0, e0)
		if _, ok := h.nth(opener, 1); ok {
			t.Error("the press that opens the modal reached the router")
		}
		// The same submit again (a gateway re-delivery): the router shows
		// the current question again and stores nothing.
		m1, e1 := dmState(f, ch)
		f.Redeliver(submit)
		await(t, f, "the re-delivered submit", func() bool { _, ok := h.nth(submit, 2); return ok })
		resp, _ := h.nth(submit, 2)
		await(t, f, "its answer in the DM", func() bool { m, e := dmState(f, ch); return m >= m1+len(resp.Messages) && e >= e1 })
	}
	if !usedModal {
		t.Fatal("no modal was offered for a text question")
	}
	if a.Stats().ModalsOpened.Load() != 1 {
		t.Errorf("modals opened %d, want 1", a.Stats().ModalsOpened.Load())
	}
	testenv.AssertCounters(t, env.Counters(t, consultation), simulate.Expected([]*simulate.Player{p}, ""))
	for _, r := range f.Rejects() {
		if r.Code == 40060 {
			continue // the re-delivered submit's ack: the first one took it
		}
		t.Errorf("fake refused %s %s: code %d %s", r.Method, r.Path, r.Code, r.Reason)
	}
}
