package dialogs

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
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
	case "more":
		if st.Phase == PhaseConsent {
			return Result{State: st, Replies: moreReplies(s, st)}
		}
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
	case x == "v":
		return useDefault(s, st)
	case (x == "y" || x == "n") && st.Phase == PhaseConsent:
		return consent(s, st, x == "y")
	case x == "m" && st.Phase == PhaseConsent:
		return Result{State: st, Replies: moreReplies(s, st)}
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
		case strings.EqualFold(t, UI(st.Lang, "more")):
			return Result{State: st, Replies: moreReplies(s, st)}
		}
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	q := &s.Questions[st.Q]
	vis := s.visible(q, st.Answers, st.Lang)
	switch q.Type {
	case TypeChoice, TypeScale, TypeRepeatEnd, TypeAcknowledge:
		i, ok := matchOption(s, q, vis, st.Lang, t)
		if !ok {
			return refuse(s, st, RefusalInvalid, "invalid_choice")
		}
		return option(s, st, i)
	case TypeMulti, TypeRank:
		if strings.EqualFold(t, UI(st.Lang, "done")) {
			return done(s, st)
		}
		ids, ok := matchOptions(s, q, vis, st.Lang, t, q.Type == TypeRank)
		if !ok {
			return refuse(s, st, RefusalInvalid, "invalid_choice")
		}
		if q.Type == TypeRank && len(ids) != len(vis) {
			return refuse(s, st, RefusalInvalid, "rank_all", len(vis))
		}
		return check(s, st, Answer{Options: ids})
	case TypeDate:
		d, ok := parseDate(t)
		if !ok {
			return refuse(s, st, RefusalInvalid, "invalid_date")
		}
		return check(s, st, Answer{Text: d})
	case TypeTime:
		d, ok := parseTime(t)
		if !ok {
			return refuse(s, st, RefusalInvalid, "invalid_time")
		}
		return check(s, st, Answer{Text: d})
	case TypeNumber:
		canon, f, ok := parseNumber(t)
		if !ok {
			return refuse(s, st, RefusalInvalid, "invalid_number")
		}
		if q.Integer && f != math.Trunc(f) {
			return refuse(s, st, RefusalInvalid, "invalid_integer")
		}
		switch {
		case q.HasMin && q.HasMax && (f < float64(q.Min) || f > float64(q.Max)):
			return refuse(s, st, RefusalInvalid, "out_of_range", q.Min, q.Max)
		case q.HasMin && f < float64(q.Min):
			return refuse(s, st, RefusalInvalid, "at_least", q.Min)
		case q.HasMax && f > float64(q.Max):
			return refuse(s, st, RefusalInvalid, "at_most", q.Max)
		}
		return check(s, st, Answer{Text: canon})
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
		return check(s, st, Answer{Text: t})
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
// scale answer, a multi or rank toggle, an acknowledgement, or the answer
// to a repeat's "add another?".
func option(s *Script, st State, i int) Result {
	q := &s.Questions[st.Q]
	if i < 0 || i >= len(q.Options) || !slices.Contains(s.visible(q, st.Answers, st.Lang), i) {
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	switch q.Type {
	case TypeChoice, TypeScale:
		return check(s, st, Answer{Options: []string{q.Options[i].ID}})
	case TypeAcknowledge:
		return accept(s, st, Answer{Text: "OK"})
	case TypeRepeatEnd:
		return repeatAnswer(s, st, i == 0)
	case TypeMulti, TypeRank:
		next := st
		if q.Type == TypeMulti {
			next.Pending = toggle(q, st.Pending, q.Options[i].ID)
		} else {
			next.Pending = rankToggle(st.Pending, q.Options[i].ID)
			if len(next.Pending) == len(s.visible(q, st.Answers, st.Lang)) {
				return check(s, st, Answer{Options: next.Pending})
			}
		}
		r := questionReply(s, next)
		r.ReplaceButtons = true
		return Result{State: next, Replies: []Reply{r}}
	}
	return refuse(s, st, RefusalInvalid, "invalid_choice")
}

// rankToggle appends id to the order so far, or takes it (and what follows)
// out when pressed again.
func rankToggle(pending []string, id string) []string {
	for j, p := range pending {
		if p == id {
			return append([]string(nil), pending[:j]...)
		}
	}
	return append(append([]string(nil), pending...), id)
}

// check applies the question's constraint to an answer, then accepts it.
func check(s *Script, st State, ans Answer) Result {
	q := &s.Questions[st.Q]
	if q.constraint != nil && !ans.Skipped {
		en := &env{a: st.Answers, self: answerValue(ans), hasSelf: true, s: s, lang: st.Lang}
		if !toBool(evalIn(q.constraint, en)) {
			msg := s.fill(s.Text(q.ConstraintMessage, st.Lang), st.Answers, st.Lang)
			if msg == "" {
				msg = UI(st.Lang, "constraint")
			}
			return Result{State: st, Refusal: RefusalInvalid, Replies: append([]Reply{{Text: msg, Lang: st.Lang}}, prompt(s, st)...)}
		}
	}
	return accept(s, st, ans)
}

// answerValue is an answer as XPath's "." sees it.
func answerValue(ans Answer) string {
	if len(ans.Options) > 0 {
		return strings.Join(ans.Options, " ")
	}
	return ans.Text
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
	if st.Phase != PhaseQuestion {
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	q := &s.Questions[st.Q]
	if q.Type != TypeMulti && q.Type != TypeRank {
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	if len(st.Pending) == 0 {
		if q.Optional {
			return accept(s, st, Answer{Skipped: true})
		}
		return required(s, st, "select_at_least_one")
	}
	if q.Type == TypeRank {
		if n := len(s.visible(q, st.Answers, st.Lang)); len(st.Pending) != n {
			return refuse(s, st, RefusalInvalid, "rank_all", n)
		}
	}
	return check(s, st, Answer{Options: append([]string(nil), st.Pending...)})
}

// required refuses to pass a required question, with its required_message
// when it has one.
func required(s *Script, st State, key string) Result {
	q := &s.Questions[st.Q]
	if msg := s.Text(q.RequiredMessage, st.Lang); msg != "" {
		return Result{State: st, Refusal: RefusalNotOptional,
			Replies: append([]Reply{{Text: s.fill(msg, st.Answers, st.Lang), Lang: st.Lang}}, prompt(s, st)...)}
	}
	return refuse(s, st, RefusalNotOptional, key)
}

func skip(s *Script, st State) Result {
	if st.Phase != PhaseQuestion {
		return refuse(s, st, RefusalNotOptional, "not_optional")
	}
	if !s.Questions[st.Q].Optional {
		return required(s, st, "not_optional")
	}
	return accept(s, st, Answer{Skipped: true})
}

func back(s *Script, st State) Result {
	if st.Phase != PhaseQuestion || len(st.Path) == 0 {
		return refuse(s, st, RefusalInvalid, "no_back")
	}
	if p := st.Path[len(st.Path)-1]; p < 0 || p >= st.Q || !s.Questions[p].Asked() {
		return Start(s, st.Lang) // a path Valid did not look into, and wrong
	}
	next := st.clone()
	if q := &s.Questions[st.Q]; q.Type != TypeRepeatEnd {
		delete(next.Answers, q.ID)
	}
	next.Q = next.Path[len(next.Path)-1]
	next.Path = next.Path[:len(next.Path)-1]
	next.Pending = pendingFor(&s.Questions[next.Q], next.Answers)
	next.Seq++
	return Result{State: next, Replies: []Reply{questionReply(s, next)}}
}

// useDefault answers a typed question with its default.
func useDefault(s *Script, st State) Result {
	if st.Phase != PhaseQuestion || s.Questions[st.Q].Default == "" || !typedKind(s.Questions[st.Q].Type) {
		return refuse(s, st, RefusalInvalid, "invalid_choice")
	}
	return typed(s, st, s.Questions[st.Q].Default)
}

// typedKind tells whether answers to a question of type t are typed.
func typedKind(t string) bool {
	switch t {
	case TypeText, TypeNumber, TypeDate, TypeTime:
		return true
	}
	return false
}

// pendingFor restores a multi question's earlier answer as toggles.
func pendingFor(q *Question, a Answers) []string {
	if q.Type != TypeMulti || len(a[q.ID].Options) == 0 {
		if q.Type == TypeMulti && q.Default != "" {
			var out []string
			for _, o := range q.Options {
				if contains(strings.Fields(q.Default), o.ID) {
					out = append(out, o.ID)
				}
			}
			return out
		}
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

// advance shows the first relevant question from index from (info and
// read-only questions on the way are shown and passed, calculations made,
// repeats with a repeat_count started again), or completes the session.
func advance(s *Script, next *State, from int, res *Result) {
	for i := from; i < len(s.Questions); i++ {
		q := &s.Questions[i]
		if !q.IsRelevant(next.Answers) {
			if !q.Asked() {
				delete(next.Answers, q.ID)
			}
			continue
		}
		switch {
		case q.Type == TypeCalculate:
			next.Answers[q.ID] = Answer{Text: calculate(s, q, next)}
			continue
		case q.Type == TypeInfo:
			// A note that says nothing once filled (only an empty ${ref})
			// is not sent: platforms refuse an empty message.
			if text := s.fill(questionText(s, q, next.Lang), next.Answers, next.Lang); strings.TrimSpace(text) != "" {
				res.Replies = append(res.Replies, Reply{Text: text, Lang: next.Lang})
			}
			continue
		case q.ReadOnly:
			v := q.Default
			if q.calculation != nil {
				v = calculate(s, q, next)
			}
			delete(next.Answers, q.ID)
			text := s.fill(questionText(s, q, next.Lang), next.Answers, next.Lang)
			if v != "" {
				next.Answers[q.ID] = Answer{Text: v}
				text += "\n" + v
			}
			res.Replies = append(res.Replies, Reply{Text: text, Lang: next.Lang})
			continue
		case q.Type == TypeRepeatEnd && q.repeatCount != nil:
			if again := repeatAgain(s, q, next); again {
				i = q.repeat - 1 // the loop's i++ lands on the repeat's first question
			}
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
	res.Replies = append(res.Replies, Reply{Text: s.fill(outro, next.Answers, next.Lang), Lang: next.Lang})
	res.Effects = append(res.Effects, Effect{Kind: EffectCompleted, Answers: next.Answers})
	res.Ended = true
	*next = State{Script: s.ID, Version: s.Version, Lang: next.Lang, Phase: PhaseDone, Seq: next.Seq}
}

// calculate evaluates a calculate (or read-only) question's calculation.
// once() keeps a value already made.
func calculate(s *Script, q *Question, st *State) string {
	if q.calculation == nil {
		return st.Answers[q.ID].Text
	}
	if c, ok := q.calculation.(callExpr); ok && c.name == "once" {
		if v := st.Answers[q.ID].Text; v != "" {
			return v
		}
	}
	v := toString(evalIn(q.calculation, &env{a: st.Answers, s: s, lang: st.Lang}))
	if v == "NaN" {
		v = ""
	}
	if len(v) > MaxInput {
		v = v[:MaxInput]
	}
	return v
}

// instances is the number of finished instances of the repeat closed by q.
func instances(q *Question, a Answers) int {
	n, _ := strconv.Atoi(a[q.ID].Text)
	return n
}

// repeatAgain decides, on reaching the end of a repeat whose count is
// fixed by repeat_count, whether another instance starts (and starts it).
func repeatAgain(s *Script, q *Question, st *State) bool {
	done := instances(q, st.Answers) + 1
	want := toNumber(evalIn(q.repeatCount, &env{a: st.Answers, s: s, lang: st.Lang}))
	if math.IsNaN(want) || float64(done) >= want || done >= q.Cap {
		st.Answers[q.ID] = Answer{Text: strconv.Itoa(done)}
		return false
	}
	newInstance(s, q, st, done)
	return true
}

// newInstance clears the answers of the repeat closed by q and records
// done finished instances; /back cannot go into an earlier instance.
func newInstance(s *Script, q *Question, st *State, done int) {
	end := s.pos(q.ID)
	for k := q.repeat; k < end && k < len(s.Questions); k++ {
		delete(st.Answers, s.Questions[k].ID)
	}
	st.Answers[q.ID] = Answer{Text: strconv.Itoa(done)}
	p := make([]int, 0, len(st.Path))
	for _, i := range st.Path {
		if i < q.repeat {
			p = append(p, i)
		}
	}
	st.Path = p
}

// repeatAnswer handles "add another?": yes starts a new instance (within
// the cap), no goes on after the repeat.
func repeatAnswer(s *Script, st State, yes bool) Result {
	q := &s.Questions[st.Q]
	next := st.clone()
	done := instances(q, st.Answers) + 1
	var res Result
	if s.EraseAsYouGo {
		res.Effects = append(res.Effects, Effect{Kind: EffectErase})
	}
	next.Pending = nil
	if yes && done < q.Cap {
		newInstance(s, q, &next, done)
		advance(s, &next, q.repeat, &res)
	} else {
		next.Answers[q.ID] = Answer{Text: strconv.Itoa(done)}
		next.Path = append(next.Path, st.Q)
		advance(s, &next, st.Q+1, &res)
	}
	res.State = next
	return res
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
	if st.owned && st.Answers != nil {
		// The caller gave up st (Preview): change it in place, so a long
		// path costs no copy per step.
		return next
	}
	next.Answers = maps.Clone(st.Answers) // copies the table as it is: no rehashing
	if next.Answers == nil {
		next.Answers = Answers{}
	}
	next.Path = append(make([]int, 0, len(st.Path)+1), st.Path...)
	next.Pending = append([]string(nil), st.Pending...)
	return next
}

// Valid reports whether st is a state the machine can be in for s, as
// far as the next step depends on it: a known phase and language, an
// answerable question in range, a path that ends before it, and
// well-formed answers to the questions the current one refers to (its
// relevant, constraint, choice_filter, calculation and ${references}) and
// to itself. Its cost is O(dependencies) — one map look-up per answer it
// checks — whatever the script's size or the number of answers; the
// answers it does not look at are checked where they are used (results
// count only known options). validAll checks every answer.
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
	cur := &s.Questions[st.Q]
	if !cur.Asked() {
		return fmt.Errorf("%w: resting on %s question %q", ErrInvalidState, cur.Type, cur.ID)
	}
	if n := len(st.Path); n > 0 {
		if st.Path[0] < 0 || st.Path[n-1] >= st.Q || n > len(st.Answers)+1 {
			return fmt.Errorf("%w: path %v", ErrInvalidState, st.Path)
		}
		if _, ok := st.Answers[s.Questions[st.Path[n-1]].ID]; !ok {
			return fmt.Errorf("%w: path question %q has no answer", ErrInvalidState, s.Questions[st.Path[n-1]].ID)
		}
	}
	check := func(i int) error {
		q := &s.Questions[i]
		a, ok := st.Answers[q.ID]
		if !ok {
			return nil
		}
		if q.Asked() && q.Type != TypeRepeatEnd && i > st.Q {
			return fmt.Errorf("%w: answer to %q, not on the path", ErrInvalidState, q.ID)
		}
		return validAnswer(q, a)
	}
	for _, i := range s.deps(st.Q) {
		if err := check(i); err != nil {
			return err
		}
	}
	if err := check(st.Q); err != nil {
		return err
	}
	if len(st.Pending) > 0 {
		if cur.Type != TypeMulti && cur.Type != TypeRank {
			return fmt.Errorf("%w: pending options on %s question", ErrInvalidState, cur.Type)
		}
		if err := validAnswer(cur, Answer{Options: st.Pending}); err != nil {
			return err
		}
	}
	return nil
}

// validAll is Valid plus every answer and the whole path: O(answers).
func (st State) validAll(s *Script) error {
	if err := st.Valid(s); err != nil || st.Phase != PhaseQuestion {
		return err
	}
	for i, p := range st.Path {
		if p < 0 || p >= st.Q || i > 0 && p <= st.Path[i-1] {
			return fmt.Errorf("%w: path %v", ErrInvalidState, st.Path)
		}
		q := &s.Questions[p]
		if _, ok := st.Answers[q.ID]; !ok || !q.Asked() {
			return fmt.Errorf("%w: path question %q has no answer", ErrInvalidState, q.ID)
		}
	}
	for id, a := range st.Answers {
		i := s.pos(id)
		if i < 0 {
			return fmt.Errorf("%w: answer to unknown question %q", ErrInvalidState, id)
		}
		q := &s.Questions[i]
		if q.Asked() && q.Type != TypeRepeatEnd && i != st.Q {
			if _, found := slices.BinarySearch(st.Path, i); !found {
				return fmt.Errorf("%w: answer to %q, not on the path", ErrInvalidState, id)
			}
		}
		if err := validAnswer(q, a); err != nil {
			return err
		}
	}
	return nil
}

// deps returns the indices of the questions question i refers to.
func (s *Script) deps(i int) []int {
	q := &s.Questions[i]
	if q.depsDone {
		return q.depIdx
	}
	// A script not built by the loader: work them out on the spot.
	var out []int
	for _, id := range questionRefs(q) {
		if j := s.pos(id); j >= 0 {
			out = append(out, j)
		}
	}
	return out
}

// questionRefs lists every question id q's expressions and texts refer to.
func questionRefs(q *Question) []string {
	var ids []string
	addExpr := func(e Expr, src string) {
		if e == nil && src != "" {
			e, _ = ParseExpr(src)
		}
		if e != nil {
			for _, id := range Refs(e) {
				if !contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	addExpr(q.relevant, q.Relevant)
	addExpr(q.constraint, q.Constraint)
	addExpr(q.calculation, q.Calculation)
	if q.choiceFilter != nil {
		addExpr(q.choiceFilter, "")
	}
	for _, t := range []Text{q.Text, q.Hint, q.ConstraintMessage, q.RequiredMessage} {
		for _, v := range t {
			for _, id := range textRefs(v) {
				if !contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

func validAnswer(q *Question, a Answer) error {
	if a.Skipped {
		if len(a.Options) > 0 || a.Text != "" {
			return fmt.Errorf("%w: skipped answer to %q with content", ErrInvalidState, q.ID)
		}
		return nil
	}
	switch q.Type {
	case TypeChoice, TypeScale, TypeMulti, TypeRank:
		if len(a.Options) == 0 || (q.Type == TypeChoice || q.Type == TypeScale) && len(a.Options) != 1 || a.Text != "" {
			return fmt.Errorf("%w: answer to %q has %d options", ErrInvalidState, q.ID, len(a.Options))
		}
		last := -1
		for k, id := range a.Options {
			i := optionIndex(q, id)
			// Unknown (-1), out of order, or (rank) repeated.
			if i < 0 || q.Type != TypeRank && i <= last || q.Type == TypeRank && slices.Contains(a.Options[:k], id) {
				return fmt.Errorf("%w: option %q of %q", ErrInvalidState, id, q.ID)
			}
			last = i
		}
	default:
		if len(a.Options) > 0 {
			return fmt.Errorf("%w: options in answer to %s question %q", ErrInvalidState, q.Type, q.ID)
		}
		if len(a.Text) > MaxInput {
			return fmt.Errorf("%w: answer to %q too long", ErrInvalidState, q.ID)
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
