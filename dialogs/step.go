package dialogs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Refusal codes of Result.Refusal.
const (
	RefusalInvalid     = "invalid"      // not an answer to the current prompt
	RefusalStale       = "stale"        // a button of an earlier prompt, or forged
	RefusalUnknown     = "unknown"      // unknown command, or no session
	RefusalTooLong     = "too_long"     // longer than the question or 4096 bytes allows
	RefusalNotOptional = "not_optional" // skip (or an empty Done) on a required question
)

// ErrInvalidState is wrapped by State.Valid's errors.
var ErrInvalidState = errors.New("dialogs: invalid state")

// MaxInput is the largest input, in bytes, the machine looks at.
const MaxInput = 4096

// Start begins a session: the language choice when the script has several
// languages, else the intro and consent. localeHint (a platform locale such
// as "fr" or "ar-EG") picks the language of messages shown before a choice.
func Start(s *Script, localeHint string) Result {
	st := State{Script: s.ID, Version: s.Version, Lang: pickLang(s, localeHint), Phase: PhaseConsent, Seq: 1}
	if len(s.Languages) > 1 {
		st.Phase = PhaseLanguage
	}
	return Result{State: st, Replies: prompt(s, st)}
}

// Resume re-sends the current prompt without changing the state (/start
// during a session never starts over). A state that no longer fits the
// script (it changed since) starts afresh.
func Resume(s *Script, st State) Result {
	if st.Valid(s) != nil {
		return Start(s, st.Lang)
	}
	if st.Phase == PhaseDone {
		return Result{State: st, Replies: []Reply{say(st.Lang, "no_session")}, Ended: true}
	}
	return Result{State: st, Replies: prompt(s, st)}
}

// Step applies one input to a session. It is a pure function: st is not
// modified, and the returned state is always valid for s. A refused input
// (Result.Refusal != "") returns st unchanged with replies saying why.
func Step(s *Script, st State, in Input) Result {
	// Leaving must always work, whatever the state.
	if in.Kind == InputCommand && strings.EqualFold(strings.TrimSpace(in.Command), "stop") ||
		in.Kind == InputText && isSafeWord(s, in.Text) {
		return stop(s, st)
	}
	if st.Valid(s) != nil {
		return Start(s, st.Lang)
	}
	if st.Phase == PhaseDone {
		return Result{State: st, Replies: []Reply{say(st.Lang, "no_session")}, Refusal: RefusalUnknown, Ended: true}
	}
	if len(in.Text) > MaxInput || len(in.Data) > MaxInput || len(in.Arg) > MaxInput || len(in.Command) > MaxInput {
		return refuse(s, st, RefusalTooLong, "message_too_long")
	}
	switch in.Kind {
	case InputCommand:
		return command(s, st, strings.ToLower(strings.TrimSpace(in.Command)))
	case InputButton:
		return button(s, st, in.Data)
	case InputText:
		return typed(s, st, in.Text)
	}
	return refuse(s, st, RefusalUnknown, "unknown_command")
}

func isSafeWord(s *Script, text string) bool {
	if len(text) > MaxInput {
		return false
	}
	t := strings.TrimSpace(text)
	for _, w := range s.SafeWords {
		if w = strings.TrimSpace(w); w != "" && strings.EqualFold(t, w) {
			return true
		}
	}
	return false
}

func stop(s *Script, st State) Result {
	lang := st.Lang
	if !contains(s.Languages, lang) {
		lang = pickLang(s, lang)
	}
	return Result{
		State:   State{Script: s.ID, Version: s.Version, Lang: lang, Phase: PhaseDone, Seq: st.Seq},
		Replies: []Reply{say(lang, "stopped")},
		Effects: []Effect{{Kind: EffectStopped}},
		Ended:   true,
	}
}

func command(s *Script, st State, cmd string) Result {
	switch cmd {
	case "start":
		return Resume(s, st)
	case "help":
		return Result{State: st, Replies: append([]Reply{say(st.Lang, "help")}, prompt(s, st)...)}
	case "back":
		return back(s, st)
	case "skip":
		return skip(s, st)
	case "lang":
		if len(s.Languages) < 2 {
			return Result{State: st, Replies: append([]Reply{say(st.Lang, "one_language")}, prompt(s, st)...)}
		}
		return Result{State: st, Replies: []Reply{langReply(s, st)}}
	}
	return refuse(s, st, RefusalUnknown, "unknown_command")
}

// button handles a press: Data is "<token>:<x>".
func button(s *Script, st State, data string) Result {
	tok, x, ok := strings.Cut(data, ":")
	if !ok || tok != token(s, st.Seq) {
		return Result{State: st, Replies: []Reply{say(st.Lang, "already_answered")}, Refusal: RefusalStale}
	}
	switch {
	case x == "b":
		return back(s, st)
	case x == "s":
		return skip(s, st)
	case x == "d":
		return done(s, st)
	case (x == "y" || x == "n") && st.Phase == PhaseConsent:
		return consent(s, st, x == "y")
	case strings.HasPrefix(x, "l"):
		return chooseLang(s, st, x[1:])
	}
	i, err := strconv.Atoi(x)
	if err != nil || strconv.Itoa(i) != x || st.Phase != PhaseQuestion {
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	return option(s, st, i)
}

// typed handles a typed message: an answer, or a button's label or number
// on platforms without buttons.
func typed(s *Script, st State, text string) Result {
	if !plainText(text) {
		return refuse(s, st, RefusalInvalid, "invalid_text")
	}
	t := strings.TrimSpace(text)
	switch st.Phase {
	case PhaseLanguage:
		for i, l := range s.Languages {
			if strings.EqualFold(t, l) || strings.EqualFold(t, LanguageName(l)) || normalizeDigits(t) == strconv.Itoa(i+1) {
				return chooseLang(s, st, l)
			}
		}
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	case PhaseConsent:
		switch n := normalizeDigits(t); {
		case n == "1" || strings.EqualFold(t, UI(st.Lang, "accept")):
			return consent(s, st, true)
		case n == "2" || strings.EqualFold(t, UI(st.Lang, "decline")):
			return consent(s, st, false)
		}
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	q := &s.Questions[st.Q]
	switch q.Type {
	case TypeChoice, TypeScale:
		i, ok := matchOption(s, q, st.Lang, t)
		if !ok {
			return refuse(s, st, RefusalInvalid, "invalid_choice")
		}
		return option(s, st, i)
	case TypeMulti:
		if strings.EqualFold(t, UI(st.Lang, "done")) {
			return done(s, st)
		}
		ids, ok := matchOptions(s, q, st.Lang, t)
		if !ok {
			return refuse(s, st, RefusalInvalid, "invalid_choice")
		}
		return accept(s, st, Answer{Options: ids})
	case TypeNumber:
		canon, f, ok := parseNumber(t)
		if !ok {
			return refuse(s, st, RefusalInvalid, "invalid_number")
		}
		switch {
		case q.HasMin && q.HasMax && (f < float64(q.Min) || f > float64(q.Max)):
			return refuse(s, st, RefusalInvalid, "out_of_range", q.Min, q.Max)
		case q.HasMin && f < float64(q.Min):
			return refuse(s, st, RefusalInvalid, "at_least", q.Min)
		case q.HasMax && f > float64(q.Max):
			return refuse(s, st, RefusalInvalid, "at_most", q.Max)
		}
		return accept(s, st, Answer{Text: canon})
	case TypeText:
		if t == "" {
			return refuse(s, st, RefusalInvalid, "empty_text")
		}
		limit := q.MaxLength
		if limit <= 0 {
			limit = defaultMaxLength
		}
		if utf8.RuneCountInString(t) > limit {
			return refuse(s, st, RefusalTooLong, "too_long", limit)
		}
		return accept(s, st, Answer{Text: t})
	}
	return refuse(s, st, RefusalInvalid, "invalid_choice")
}

// plainText refuses invalid UTF-8 and control characters other than
// newline and tab.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return false
		}
	}
	return true
}

func chooseLang(s *Script, st State, code string) Result {
	if !contains(s.Languages, code) {
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	next := st
	next.Lang = code
	next.Seq++
	if st.Phase == PhaseLanguage {
		next.Phase = PhaseConsent
	}
	return Result{State: next, Replies: prompt(s, next)}
}

func consent(s *Script, st State, yes bool) Result {
	if !yes {
		return Result{
			State:   State{Script: s.ID, Version: s.Version, Lang: st.Lang, Phase: PhaseDone, Seq: st.Seq},
			Replies: []Reply{say(st.Lang, "declined")},
			Effects: []Effect{{Kind: EffectDeclined}},
			Ended:   true,
		}
	}
	next := st
	next.Phase = PhaseQuestion
	next.Answers = Answers{}
	res := Result{Effects: []Effect{{Kind: EffectStarted}}}
	advance(s, &next, 0, &res)
	res.State = next
	return res
}

// option answers the current question with its i-th option: a choice or
// scale answer, or a multi toggle.
func option(s *Script, st State, i int) Result {
	q := &s.Questions[st.Q]
	if i < 0 || i >= len(q.Options) {
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	switch q.Type {
	case TypeChoice, TypeScale:
		return accept(s, st, Answer{Options: []string{q.Options[i].ID}})
	case TypeMulti:
		next := st
		next.Pending = toggle(q, st.Pending, q.Options[i].ID)
		r := questionReply(s, next)
		r.ReplaceButtons = true
		return Result{State: next, Replies: []Reply{r}}
	}
	return refuse(s, st, RefusalInvalid, "invalid_choice")
}

// toggle returns a new pending list with id switched, in option order.
func toggle(q *Question, pending []string, id string) []string {
	on := !contains(pending, id)
	var out []string
	for _, o := range q.Options {
		if o.ID == id && on || o.ID != id && contains(pending, o.ID) {
			out = append(out, o.ID)
		}
	}
	return out
}

func done(s *Script, st State) Result {
	if st.Phase != PhaseQuestion || s.Questions[st.Q].Type != TypeMulti {
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	if len(st.Pending) == 0 {
		if s.Questions[st.Q].Optional {
			return accept(s, st, Answer{Skipped: true})
		}
		return refuse(s, st, RefusalNotOptional, "select_at_least_one")
	}
	return accept(s, st, Answer{Options: append([]string(nil), st.Pending...)})
}

func skip(s *Script, st State) Result {
	if st.Phase != PhaseQuestion || !s.Questions[st.Q].Optional {
		return refuse(s, st, RefusalNotOptional, "not_optional")
	}
	return accept(s, st, Answer{Skipped: true})
}

func back(s *Script, st State) Result {
	if st.Phase != PhaseQuestion || len(st.Path) == 0 {
		return refuse(s, st, RefusalInvalid, "no_back")
	}
	next := st.clone()
	delete(next.Answers, s.Questions[st.Q].ID)
	next.Q = next.Path[len(next.Path)-1]
	next.Path = next.Path[:len(next.Path)-1]
	next.Pending = pendingFor(&s.Questions[next.Q], next.Answers)
	next.Seq++
	return Result{State: next, Replies: []Reply{questionReply(s, next)}}
}

// pendingFor restores a multi question's earlier answer as toggles.
func pendingFor(q *Question, a Answers) []string {
	if q.Type != TypeMulti || len(a[q.ID].Options) == 0 {
		return nil
	}
	return append([]string(nil), a[q.ID].Options...)
}

// accept records the answer to the current question and moves on.
func accept(s *Script, st State, ans Answer) Result {
	next := st.clone()
	next.Answers[s.Questions[st.Q].ID] = ans
	next.Path = append(next.Path, st.Q)
	next.Pending = nil
	var res Result
	if s.EraseAsYouGo {
		res.Effects = append(res.Effects, Effect{Kind: EffectErase})
	}
	advance(s, &next, st.Q+1, &res)
	res.State = next
	return res
}

// advance shows the first relevant question from index from (info
// questions on the way are shown and passed), or completes the session.
func advance(s *Script, next *State, from int, res *Result) {
	for i := from; i < len(s.Questions); i++ {
		q := &s.Questions[i]
		if !q.IsRelevant(next.Answers) {
			continue
		}
		if q.Type == TypeInfo {
			res.Replies = append(res.Replies, Reply{Text: s.Text(q.Text, next.Lang), Lang: next.Lang})
			continue
		}
		next.Q = i
		next.Seq++
		next.Pending = pendingFor(q, next.Answers)
		res.Replies = append(res.Replies, questionReply(s, *next))
		return
	}
	outro := s.Text(s.Outro, next.Lang)
	if outro == "" {
		outro = UI(next.Lang, "thanks")
	}
	res.Replies = append(res.Replies, Reply{Text: outro, Lang: next.Lang})
	res.Effects = append(res.Effects, Effect{Kind: EffectCompleted, Answers: next.Answers})
	res.Ended = true
	*next = State{Script: s.ID, Version: s.Version, Lang: next.Lang, Phase: PhaseDone, Seq: next.Seq}
}

// refuse keeps st and explains, then re-asks the current prompt.
func refuse(s *Script, st State, code, key string, args ...any) Result {
	return Result{State: st, Refusal: code, Replies: append([]Reply{say(st.Lang, key, args...)}, prompt(s, st)...)}
}

func say(lang, key string, args ...any) Reply {
	return Reply{Text: UI(lang, key, args...), Lang: lang}
}

// clone copies the parts of st that a step may modify.
func (st State) clone() State {
	next := st
	next.Answers = make(Answers, len(st.Answers)+1)
	for k, v := range st.Answers {
		next.Answers[k] = v
	}
	next.Path = append(make([]int, 0, len(st.Path)+1), st.Path...)
	next.Pending = append([]string(nil), st.Pending...)
	return next
}

// Valid reports whether st is a state the machine can be in for s: a known
// phase, an answerable question in range, answers only to questions on
// the path, option ids that exist.
func (st State) Valid(s *Script) error {
	if s == nil {
		return fmt.Errorf("%w: no script", ErrInvalidState)
	}
	if st.Script != s.ID {
		return fmt.Errorf("%w: script %q, want %q", ErrInvalidState, st.Script, s.ID)
	}
	if !contains(s.Languages, st.Lang) {
		return fmt.Errorf("%w: language %q not in the script", ErrInvalidState, st.Lang)
	}
	switch st.Phase {
	case PhaseLanguage, PhaseConsent, PhaseDone:
		if st.Q != 0 || len(st.Answers) != 0 || len(st.Path) != 0 || len(st.Pending) != 0 {
			return fmt.Errorf("%w: progress in phase %q", ErrInvalidState, st.Phase)
		}
		return nil
	case PhaseQuestion:
	default:
		return fmt.Errorf("%w: unknown phase %q", ErrInvalidState, st.Phase)
	}
	if st.Q < 0 || st.Q >= len(s.Questions) {
		return fmt.Errorf("%w: question %d out of range", ErrInvalidState, st.Q)
	}
	if s.Questions[st.Q].Type == TypeInfo {
		return fmt.Errorf("%w: resting on info question %q", ErrInvalidState, s.Questions[st.Q].ID)
	}
	onPath := map[string]bool{s.Questions[st.Q].ID: true}
	for i, p := range st.Path {
		if p < 0 || p >= st.Q || i > 0 && p <= st.Path[i-1] {
			return fmt.Errorf("%w: path %v", ErrInvalidState, st.Path)
		}
		q := &s.Questions[p]
		if _, ok := st.Answers[q.ID]; !ok || q.Type == TypeInfo {
			return fmt.Errorf("%w: path question %q has no answer", ErrInvalidState, q.ID)
		}
		onPath[q.ID] = true
	}
	for id, a := range st.Answers {
		if !onPath[id] {
			return fmt.Errorf("%w: answer to %q, not on the path", ErrInvalidState, id)
		}
		if err := validAnswer(s.question(id), a); err != nil {
			return err
		}
	}
	if len(st.Pending) > 0 {
		q := &s.Questions[st.Q]
		if q.Type != TypeMulti {
			return fmt.Errorf("%w: pending options on %s question", ErrInvalidState, q.Type)
		}
		if err := validAnswer(q, Answer{Options: st.Pending}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Script) question(id string) *Question {
	for i := range s.Questions {
		if s.Questions[i].ID == id {
			return &s.Questions[i]
		}
	}
	return nil
}

func validAnswer(q *Question, a Answer) error {
	if a.Skipped {
		if len(a.Options) > 0 || a.Text != "" {
			return fmt.Errorf("%w: skipped answer to %q with content", ErrInvalidState, q.ID)
		}
		return nil
	}
	switch q.Type {
	case TypeChoice, TypeScale, TypeMulti:
		if len(a.Options) == 0 || q.Type != TypeMulti && len(a.Options) != 1 || a.Text != "" {
			return fmt.Errorf("%w: answer to %q has %d options", ErrInvalidState, q.ID, len(a.Options))
		}
		last := -1
		for _, id := range a.Options {
			i := optionIndex(q, id)
			if i <= last { // unknown (-1), repeated or out of order
				return fmt.Errorf("%w: option %q of %q", ErrInvalidState, id, q.ID)
			}
			last = i
		}
	default:
		if len(a.Options) > 0 {
			return fmt.Errorf("%w: options in answer to %s question %q", ErrInvalidState, q.Type, q.ID)
		}
	}
	return nil
}

func optionIndex(q *Question, id string) int {
	for i, o := range q.Options {
		if o.ID == id {
			return i
		}
	}
	return -1
}
