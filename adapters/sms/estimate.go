package sms

import (
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
)

// Estimate is what one message of a script costs by SMS in one language,
// as Render and Prepare will send it.
type Estimate struct {
	// Step is "language", "consent", "more" (the consent after MORE, with
	// the intro), a question id, or "outro".
	Step     string
	Lang     string
	Segments Segments
	// Text is the SMS as sent (after Render and Prepare).
	Text string
}

// Estimates renders every message a respondent of s can receive (the
// language choice, the consent, each question as asked after the first
// one, with its BACK hint, and the outro) in each language, for `baraza
// validate` to show script authors what each question costs.
func Estimates(s *dialogs.Script) []Estimate {
	var out []Estimate
	add := func(step, lang string, rs []dialogs.Reply, back bool) {
		var msgs []bot.Message
		for _, r := range rs {
			m := bot.Message{Text: r.Text, Lang: r.Lang}
			for _, b := range r.Buttons {
				m.Buttons = append(m.Buttons, bot.Button{Label: b.Label, Data: b.Data, Toggle: b.Toggle, Nav: b.Nav, Selected: b.Selected})
			}
			if back && !hasNav(m, "b") {
				m.Buttons = append(m.Buttons, bot.Button{Label: dialogs.UI(lang, "back"), Data: "x:b", Nav: true})
			}
			msgs = append(msgs, m)
		}
		for _, m := range msgs {
			text, seg := Prepare(Render(m))
			out = append(out, Estimate{Step: step, Lang: lang, Segments: seg, Text: text})
		}
	}
	if len(s.Languages) > 1 {
		add("language", s.Languages[0], dialogs.Start(s, s.Languages[0]).Replies, false)
	}
	for _, lang := range s.Languages {
		st := dialogs.State{Script: s.ID, Version: s.Version, Lang: lang, Phase: dialogs.PhaseConsent, Seq: 1}
		add("consent", lang, dialogs.Resume(s, st).Replies, false)
		if more := dialogs.Step(s, st, dialogs.Input{Kind: dialogs.InputCommand, Command: "more"}); more.Refusal == "" {
			add("more", lang, more.Replies, false)
		}
		for i, q := range s.Questions {
			if q.Type == dialogs.TypeInfo {
				continue
			}
			st := dialogs.State{Script: s.ID, Version: s.Version, Lang: lang, Phase: dialogs.PhaseQuestion, Q: i, Seq: 1}
			add(q.ID, lang, dialogs.Resume(s, st).Replies, i > 0)
		}
		if t := s.Text(s.Outro, lang); t != "" {
			add("outro", lang, []dialogs.Reply{{Text: t, Lang: lang}}, false)
		}
	}
	return out
}

func hasNav(m bot.Message, x string) bool {
	for _, b := range m.Buttons {
		if b.Nav && suffix(b.Data) == x {
			return true
		}
	}
	return false
}
