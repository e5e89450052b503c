package dialogs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Preview returns the dialog as the respondent would see it in lang ("" is
// the default language), as a text transcript. answers gives the answer to
// pick per question id (an option id; comma-separated option ids for
// multi; the typed text for text and number; "" skips an optional
// question); a question without one takes its first option (number: its
// minimum or 0; optional text: skipped).
func Preview(s *Script, lang string, answers map[string]string) (string, error) {
	if lang == "" {
		lang = s.Languages[0]
	}
	if !contains(s.Languages, lang) {
		return "", fmt.Errorf("preview: language %q is not one of %s", lang, strings.Join(s.Languages, ", "))
	}
	var unknown []string
	for id := range answers {
		if s.question(id) == nil {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return "", fmt.Errorf("preview: no question %s in %s", strings.Join(unknown, ", "), s.ID)
	}
	var b strings.Builder
	res := Start(s, lang)
	writeReplies(&b, res.Replies)
	for steps := 0; !res.Ended; steps++ {
		if steps > 4*len(s.Questions)+8 {
			return "", fmt.Errorf("preview: %s does not end", s.ID)
		}
		st := res.State
		ins, err := previewInputs(s, st, lang, answers)
		if err != nil {
			return "", err
		}
		for _, in := range ins {
			writeInput(&b, res.Replies, in)
			st.owned = true // st is never used again: no copy of the answers per step
			res = Step(s, st, in)
			if res.Refusal != "" {
				return "", fmt.Errorf("preview: %s refused: %s", describe(s, st), res.Replies[0].Text)
			}
			writeReplies(&b, res.Replies)
			st = res.State
		}
	}
	return b.String(), nil
}

func describe(s *Script, st State) string {
	if st.Phase == PhaseQuestion {
		return "answer to " + s.Questions[st.Q].ID
	}
	return string(st.Phase)
}

// previewInputs are the inputs that answer st's prompt.
func previewInputs(s *Script, st State, lang string, answers map[string]string) ([]Input, error) {
	tok := token(s, st.Seq)
	press := func(x string) Input { return Input{Kind: InputButton, Data: tok + ":" + x} }
	switch st.Phase {
	case PhaseLanguage:
		return []Input{press("l" + lang)}, nil
	case PhaseConsent:
		return []Input{press("y")}, nil
	case PhaseQuestion:
	default:
		return nil, fmt.Errorf("preview: unexpected phase %q", st.Phase)
	}
	q := &s.Questions[st.Q]
	v, given := answers[q.ID]
	if given && v == "" && q.Optional {
		return []Input{press("s")}, nil
	}
	vis := s.visible(q, st.Answers, lang)
	switch q.Type {
	case TypeChoice, TypeScale, TypeMulti, TypeRank:
		if len(vis) == 0 {
			if q.Optional {
				return []Input{press("s")}, nil
			}
			return nil, fmt.Errorf("preview: question %s shows no option", q.ID)
		}
		idx := vis[:1]
		if q.Type == TypeRank {
			idx = vis
		}
		if given {
			idx = nil
			for _, id := range strings.Split(v, ",") {
				i := -1
				for _, j := range vis { // the visible option of that id
					if q.Options[j].ID == strings.TrimSpace(id) {
						i = j
						break
					}
				}
				if i < 0 {
					return nil, fmt.Errorf("preview: question %s has no option %q (among those it shows)", q.ID, id)
				}
				idx = append(idx, i)
			}
		}
		var ins []Input
		for _, i := range idx {
			ins = append(ins, press(fmt.Sprint(i)))
		}
		if q.Type == TypeMulti {
			ins = append(ins, press("d"))
		} else if len(ins) != 1 && q.Type != TypeRank {
			return nil, fmt.Errorf("preview: question %s takes one option, got %q", q.ID, v)
		}
		return ins, nil
	case TypeAcknowledge:
		return []Input{press("0")}, nil
	case TypeRepeatEnd:
		// "add another?": yes while fewer instances than asked (a number
		// given for the repeat's name), else no.
		want, _ := strconv.Atoi(v)
		if instances(q, st.Answers)+1 < want {
			return []Input{press("0")}, nil
		}
		return []Input{press("1")}, nil
	}
	if !given {
		if q.Optional && q.Type == TypeText {
			return []Input{press("s")}, nil
		}
		// Try likely answers until one passes the question's checks.
		for _, c := range previewCandidates(q) {
			if r := Step(s, st, Input{Kind: InputText, Text: c}); r.Refusal == "" {
				return []Input{{Kind: InputText, Text: c}}, nil
			}
		}
		if q.Optional {
			return []Input{press("s")}, nil
		}
		return nil, fmt.Errorf("preview: no likely answer to %s passes its checks; give one with answers", q.ID)
	}
	return []Input{{Kind: InputText, Text: v}}, nil
}

// previewCandidates are answers Preview tries for a typed question.
func previewCandidates(q *Question) []string {
	switch q.Type {
	case TypeNumber:
		var c []string
		if q.HasMin {
			c = append(c, fmt.Sprint(q.Min))
		}
		if q.HasMax && q.Max < 0 {
			c = append(c, fmt.Sprint(q.Max))
		}
		return append(c, "0", "1", "5", "10", "18", "30", "50", "100", "1000")
	case TypeDate:
		return []string{"2026-01-01", "2000-01-01"}
	case TypeTime:
		return []string{"12:00", "08:00"}
	}
	return []string{"…", "yes", "1", "a"}
}

// writeReplies renders bot messages: text, then answer buttons on one line
// and navigation buttons on the next.
func writeReplies(b *strings.Builder, rs []Reply) {
	for _, r := range rs {
		for i, line := range strings.Split(r.Text, "\n") {
			switch {
			case i == 0:
				b.WriteString("bot: ")
			case line != "":
				b.WriteString("     ")
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
		var answer, nav []string
		for _, bt := range r.Buttons {
			l := "[" + bt.Label + "]"
			if bt.Selected {
				l = "[✓ " + bt.Label + "]"
			}
			if bt.Nav {
				nav = append(nav, l)
			} else {
				answer = append(answer, l)
			}
		}
		if r.ReplaceButtons {
			b.WriteString("     (buttons updated)\n")
		}
		if len(answer) > 0 {
			b.WriteString("     " + strings.Join(answer, " ") + "\n")
		}
		if len(nav) > 0 {
			b.WriteString("     " + strings.Join(nav, " ") + "\n")
		}
	}
}

// writeInput renders what the respondent did; a press shows the label of
// the button in the last replies whose data matches.
func writeInput(b *strings.Builder, last []Reply, in Input) {
	switch in.Kind {
	case InputText:
		t := in.Text
		if n := utf8.RuneCountInString(t); n > 100 {
			t = string([]rune(t)[:20]) + fmt.Sprintf("… (%d characters)", n)
		}
		if !plainText(t) {
			t = strconv.Quote(t)
		}
		b.WriteString("you: " + strings.ReplaceAll(t, "\n", "\n     ") + "\n")
	case InputCommand:
		b.WriteString("you: /" + in.Command + "\n")
	case InputButton:
		label := in.Data
		for _, r := range last {
			for _, bt := range r.Buttons {
				if bt.Data == in.Data {
					label = bt.Label
				}
			}
		}
		b.WriteString("you: [" + label + "]\n")
	}
}
