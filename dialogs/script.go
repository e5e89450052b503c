package dialogs

import (
	"strings"
	"time"
)

// Threshold is the script's suppression threshold: its own k, else def
// (BARAZA_K), never below 2.
func (s *Script) Threshold(def int) int {
	k := s.K
	if k == 0 {
		k = def
	}
	return max(k, 2)
}

// Text returns t in lang, falling back to the language's base ("fr" for
// "fr-CA") and then to the script's default language.
func (s *Script) Text(t Text, lang string) string {
	if v := t[lang]; v != "" {
		return v
	}
	if v := t[baseLang(lang)]; v != "" {
		return v
	}
	if len(s.Languages) > 0 {
		return t[s.Languages[0]]
	}
	return ""
}

// OptionIDs returns the ids of q's options in order (scale: "min".."max").
func (s *Script) OptionIDs(q *Question) []string {
	ids := make([]string, len(q.Options))
	for i, o := range q.Options {
		ids[i] = o.ID
	}
	return ids
}

// Index builds the question index by id (the loader calls it; a script
// built another way is indexed on first use by Question, or looked up
// linearly when never indexed). Call it again after changing Questions.
func (s *Script) Index() {
	s.index = make(map[string]int, len(s.Questions))
	for i := range s.Questions {
		if _, dup := s.index[s.Questions[i].ID]; !dup {
			s.index[s.Questions[i].ID] = i
		}
	}
}

// Question returns the question with id, or nil. With the index built by
// the loader it costs one map look-up, whatever the script's size.
func (s *Script) Question(id string) *Question {
	if i := s.pos(id); i >= 0 {
		return &s.Questions[i]
	}
	return nil
}

func (s *Script) pos(id string) int {
	if s.index != nil {
		if i, ok := s.index[id]; ok && i < len(s.Questions) && s.Questions[i].ID == id {
			return i
		}
		return -1
	}
	for i := range s.Questions {
		if s.Questions[i].ID == id {
			return i
		}
	}
	return -1
}

// question is the package's short name for Question.
func (s *Script) question(id string) *Question { return s.Question(id) }

// IsRelevant tells whether q is asked given the answers so far. A question
// without a relevant expression is always asked.
func (q *Question) IsRelevant(a Answers) bool {
	e := q.relevant
	if e == nil {
		if q.Relevant == "" {
			return true
		}
		// A script not built by the loader: parse on the spot.
		var err error
		if e, err = ParseExpr(q.Relevant); err != nil {
			return true
		}
	}
	return toBool(e.Eval(a))
}

// Asked tells whether the machine stops on q to ask something (calculate
// questions are computed, info and read-only ones shown and passed).
func (q *Question) Asked() bool {
	switch q.Type {
	case TypeInfo, TypeCalculate:
		return false
	}
	return !q.ReadOnly
}

// Open tells whether s takes new respondents at now: a report script is
// always open; a consultation is open between its opens and closes times
// (each optional). A facilitator's close is the caller's to apply.
func (s *Script) Open(now time.Time) bool {
	if s.Kind == KindReport {
		return true
	}
	if !s.Opens.IsZero() && now.Before(s.Opens) {
		return false
	}
	return s.Closes.IsZero() || now.Before(s.Closes)
}

// fill replaces each ${name} in text with the answer given to name (an
// option's label in lang), "" when unanswered.
func (s *Script) fill(text string, a Answers, lang string) string {
	return mapRefs(text, func(id string) string { return s.display(id, a, lang) })
}

// mapRefs replaces each ${name} in text with f(name); an unclosed "${"
// and what follows it stay as written. It is the one reader of ${}
// references: answers filled in, references listed, names rewritten.
func mapRefs(text string, f func(name string) string) string {
	if !strings.Contains(text, "${") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(text[:i])
		b.WriteString(f(text[i+2 : i+j]))
		text = text[i+j+1:]
	}
	b.WriteString(text)
	return b.String()
}

// display is an answer as a respondent reads it: option labels joined by
// ", ", or the text.
func (s *Script) display(id string, a Answers, lang string) string {
	ans, ok := a[id]
	if !ok || ans.Skipped {
		return ""
	}
	q := s.Question(id)
	if q == nil || len(ans.Options) == 0 {
		return ans.Text
	}
	labels := make([]string, 0, len(ans.Options))
	for _, o := range ans.Options {
		l := o
		for i := range q.Options {
			if q.Options[i].ID == o {
				l = s.Text(q.Options[i].Label, lang)
				break
			}
		}
		labels = append(labels, l)
	}
	return strings.Join(labels, ", ")
}

// allOptions is 0, 1, 2, ...: the options of a question without a
// filter, shared by every step (it was an allocation each).
var allOptions = func() (a [64]int) {
	for i := range a {
		a[i] = i
	}
	return a
}()

// visible returns the indices of q's options shown given the answers
// (choice_filter), all of them without a filter. The result is read-only:
// without a filter it is shared.
func (s *Script) visible(q *Question, a Answers, lang string) []int {
	f := q.choiceFilter
	if f == nil && q.ChoiceFilter != "" {
		f, _ = parseFilter(q.ChoiceFilter)
	}
	if n := len(q.Options); f == nil && n <= len(allOptions) {
		return allOptions[:n:n]
	}
	out := make([]int, 0, len(q.Options))
	en := &env{a: a, s: s, lang: lang}
	for i := range q.Options {
		if f != nil {
			en.props, en.optName = q.Options[i].Props, q.Options[i].ID
			if !toBool(evalIn(f, en)) {
				continue
			}
		}
		out = append(out, i)
	}
	return out
}
