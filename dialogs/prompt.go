package dialogs

import (
	"fmt"
	"strconv"
	"strings"
)

// prompt returns the message(s) that ask for st's current input.
func prompt(s *Script, st State) []Reply {
	switch st.Phase {
	case PhaseLanguage:
		return []Reply{langReply(s, st)}
	case PhaseConsent:
		return consentReplies(s, st)
	case PhaseQuestion:
		return []Reply{questionReply(s, st)}
	}
	return []Reply{say(st.Lang, "no_session")}
}

// langReply asks for a language, in every language of the script, with
// one button per language labelled with its own name.
func langReply(s *Script, st State) Reply {
	tok := token(s, st.Seq)
	var text []string
	r := Reply{Lang: st.Lang, Buttons: make([]Button, 0, len(s.Languages))}
	for _, l := range s.Languages {
		if t := UI(l, "choose_language"); !contains(text, t) {
			text = append(text, t)
		}
		r.Buttons = append(r.Buttons, Button{Label: LanguageName(l), Data: tok + ":l" + l})
	}
	r.Text = strings.Join(text, "\n")
	return r
}

// consentReplies ask for consent in few words: the title and the consent
// (at most 50 words in the bundled scripts) with accept first, decline
// second, and, when the script has an intro, a More button after them
// (navigation, like Back) behind which the intro waits.
func consentReplies(s *Script, st State) []Reply {
	r := consentAsk(s, st, s.Title, s.Consent)
	if s.Text(s.Intro, st.Lang) != "" {
		r.Buttons = append(r.Buttons, Button{Label: UI(st.Lang, "more"), Data: token(s, st.Seq) + ":m", Nav: true})
	}
	return []Reply{r}
}

// moreReplies answer More: the title, the intro and the consent, with
// accept and decline.
func moreReplies(s *Script, st State) []Reply {
	return []Reply{consentAsk(s, st, s.Title, s.Intro, s.Consent)}
}

// consentAsk is texts, one paragraph each, with accept and decline.
func consentAsk(s *Script, st State, texts ...Text) Reply {
	var parts []string
	for _, t := range texts {
		if v := s.Text(t, st.Lang); v != "" {
			parts = append(parts, v)
		}
	}
	tok := token(s, st.Seq)
	return Reply{
		Text: strings.Join(parts, "\n\n"),
		Lang: st.Lang,
		Buttons: []Button{
			{Label: UI(st.Lang, "accept"), Data: tok + ":y"},
			{Label: UI(st.Lang, "decline"), Data: tok + ":n"},
		},
	}
}

// questionText is a question's text with its hint on the next line.
func questionText(s *Script, q *Question, lang string) string {
	text := s.Text(q.Text, lang)
	if h := s.Text(q.Hint, lang); h != "" {
		text += "\n" + h
	}
	return text
}

// optionData is tok ":" i for each visible option i, all in one string
// (one allocation per reply instead of one per button).
func optionData(tok string, vis []int) []string {
	var stack [512]byte
	buf := stack[:0]
	var ends [64]int
	end := ends[:0]
	for _, i := range vis {
		buf = append(buf, tok...)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(i), 10)
		end = append(end, len(buf))
	}
	all := string(buf)
	out := make([]string, len(vis))
	from := 0
	for k, e := range end {
		out[k] = all[from:e]
		from = e
	}
	return out
}

// questionReply is the current question as the script words it (with its
// hint, ${references} filled with the answers), a hint line for typed
// answers, its answer buttons, then Done, the default, Skip, Back.
func questionReply(s *Script, st State) Reply {
	q := &s.Questions[st.Q]
	lang := st.Lang
	text := s.fill(questionText(s, q, lang), st.Answers, lang)
	vis := s.visible(q, st.Answers, lang)
	switch q.Type {
	case TypeNumber:
		text += "\n" + UI(lang, "type_number")
	case TypeText:
		text += "\n" + UI(lang, "type_text")
	case TypeDate:
		text += "\n" + UI(lang, "type_date")
	case TypeTime:
		text += "\n" + UI(lang, "type_time")
	case TypeMulti:
		text += "\n" + UI(lang, "choose_many")
	case TypeRank:
		text += "\n" + UI(lang, "rank")
		if len(st.Pending) > 0 {
			labels := make([]string, len(st.Pending))
			for i, id := range st.Pending {
				labels[i] = fmt.Sprintf("%d. %s", i+1, s.Text(q.Options[max(optionIndex(q, id), 0)].Label, lang))
			}
			text += "\n" + strings.Join(labels, "\n")
		}
	case TypeRepeatEnd:
		label := s.Text(q.Text, lang)
		text = UI(lang, "add_another", label)
		if label == "" {
			text = UI(lang, "add_another_plain")
		}
	}
	tok := token(s, st.Seq)
	r := Reply{Text: text, Lang: lang}
	if q.Type == TypeText {
		r.TextMax = q.MaxLength
		if r.TextMax <= 0 {
			r.TextMax = defaultMaxLength
		}
	}
	// Exactly as many buttons as the prompt has: room for four more was
	// up to 160 bytes a step of slack, and a whole slice for a typed
	// question that has none.
	done := q.Type == TypeMulti
	def := q.Default != "" && typedKind(q.Type)
	skip := q.Optional
	back := len(st.Path) > 0
	n := len(vis)
	for _, b := range [...]bool{done, def, skip, back} {
		if b {
			n++
		}
	}
	if n == 0 {
		return r
	}
	r.Buttons = make([]Button, 0, n)
	data := optionData(tok, vis)
	for k, i := range vis {
		o := q.Options[i]
		b := Button{Label: s.Text(o.Label, lang), Data: data[k]}
		if q.Type == TypeMulti || q.Type == TypeRank {
			b.Toggle = true
			b.Selected = contains(st.Pending, o.ID)
		}
		r.Buttons = append(r.Buttons, b)
	}
	if done {
		r.Buttons = append(r.Buttons, Button{Label: UI(lang, "done"), Data: tok + ":d", Nav: true})
	}
	if def {
		r.Buttons = append(r.Buttons, Button{Label: q.Default, Data: tok + ":v"})
	}
	if skip {
		r.Buttons = append(r.Buttons, Button{Label: UI(lang, "skip"), Data: tok + ":s", Nav: true})
	}
	if back {
		r.Buttons = append(r.Buttons, Button{Label: UI(lang, "back"), Data: tok + ":b", Nav: true})
	}
	return r
}

const tokenSpace = 36 * 36 * 36 * 36 * 36 // five base-36 characters

// token is the short button token of a prompt: FNV-1a of (script id,
// version, seq), five characters of [0-9a-z]. Buttons of an earlier prompt,
// or of another consultation, carry another token.
func token(s *Script, seq uint32) string {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s.ID); i++ {
		h = (h ^ uint64(s.ID[i])) * prime
	}
	h *= prime // a zero byte between the fields (FNV-1a of 0)
	v := uint32(s.Version)
	for i := 0; i < 4; i++ {
		h = (h ^ uint64(byte(v>>(8*i)))) * prime
	}
	h *= prime // a zero byte between the fields
	for i := 0; i < 4; i++ {
		h = (h ^ uint64(byte(seq>>(8*i)))) * prime
	}
	n := h % tokenSpace
	var buf [5]byte
	for i := len(buf) - 1; i >= 0; i-- {
		buf[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[n%36]
		n /= 36
	}
	return string(buf[:])
}
