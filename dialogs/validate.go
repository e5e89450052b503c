package dialogs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidationError is one problem found in a script. Line is the line of a
// YAML file or the row of an XLSForm sheet; 0 when unknown.
type ValidationError struct {
	File    string
	Sheet   string // XLSForm: the sheet of Line, as the workbook names it
	Line    int
	Field   string // where in the script, e.g. "questions[2].options[0].id"
	Msg     string
	Snippet string // the offending text, when there is one
	Hint    string // e.g. `did you mean "area"?`
}

// Error formats the problem as "file:line: msg: "snippet" (hint)", or
// "file:sheet:row: msg ..." for a workbook.
func (e ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		b.WriteByte(':')
		b.WriteString(e.Sheet)
	}
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Snippet != "" {
		b.WriteString(": ")
		b.WriteString(strconv.Quote(e.Snippet))
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteByte(')')
	}
	return b.String()
}

// ValidationErrors is every problem found in one script, in file order.
type ValidationErrors []ValidationError

// Error lists the problems one per line.
func (es ValidationErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Limits of the script format.
const (
	maxTextLength    = 4000 // max_length of a text question
	defaultMaxLength = 1000
	maxScalePoints   = 11  // e.g. 0..10
	maxOptions       = 100 // Telegram shows at most 100 buttons
	maxLangCode      = 20  // keeps button data short
)

// validID reports whether id is 1 to 40 of [a-z0-9-], plus "_" when
// underscore is set. Script ids use it without "_" (they are Telegram
// /start payloads and appear in URLs).
func validID(id string, underscore bool) bool {
	if len(id) < 1 || len(id) > 40 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || underscore && c == '_') {
			return false
		}
	}
	return true
}

// maxNameLength bounds question and option ids.
const maxNameLength = 100

// validName reports whether a question id is an XML name as XLSForm and
// ODK require: a letter (of any script) or "_" first, then letters,
// digits, "-", "_" and "."; at most 100 bytes. Names are case-sensitive
// (ODK's rule): "Age" and "age" are two questions.
func validName(id string) bool {
	if len(id) < 1 || len(id) > maxNameLength || !utf8.ValidString(id) {
		return false
	}
	for i, r := range id {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)):
		default:
			return false
		}
	}
	return true
}

// validOptionID reports whether an option id (a choice name) can be
// stored: 1 to 100 bytes of printable text without spaces (a multi answer
// is space-separated) and without "|" (the results' field separator).
func validOptionID(id string) bool {
	if len(id) < 1 || len(id) > maxNameLength || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r == '|' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// validLang reports whether code looks like BCP 47: 2 or 3 letters, then
// subtags of 1 to 8 letters or digits ("en", "pt-BR", "zh-Hant-TW").
func validLang(code string) bool {
	if len(code) > maxLangCode {
		return false
	}
	for i, sub := range strings.Split(code, "-") {
		if i == 0 && (len(sub) < 2 || len(sub) > 3) || len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for j := 0; j < len(sub); j++ {
			c := sub[j] | 0x20 // lower-case letters; digits unchanged
			if !(c >= 'a' && c <= 'z' || i > 0 && sub[j] >= '0' && sub[j] <= '9') {
				return false
			}
		}
	}
	return true
}

// lines maps a field path ("questions[2].text.fr") to the line it was read
// from, so checks on the built Script can still name a line.
type lines map[string]int

func (ln lines) at(field string) int {
	for field != "" {
		if n, ok := ln[field]; ok {
			return n
		}
		// Fall back to the enclosing field: "a[1].b.c" -> "a[1].b" -> "a[1]" -> "a".
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return ln[""] // the script itself
}

// validator collects the semantic problems of a built script. Both the
// YAML and the XLSForm loaders end with it.
type validator struct {
	file string
	ln   lines
	errs ValidationErrors
}

func (v *validator) add(field, snippet, hint, format string, args ...any) {
	v.errs = append(v.errs, ValidationError{
		File: v.file, Line: v.ln.at(field), Field: field,
		Msg: fmt.Sprintf(format, args...), Snippet: snippet, Hint: hint,
	})
}

// validate checks s, fills the derived fields (scale options, parsed
// relevant expressions) and returns the problems found.
func validate(s *Script, file string, ln lines) ValidationErrors {
	v := &validator{file: file, ln: ln}
	s.Index()
	if !validID(s.ID, false) {
		v.add("id", s.ID, "use 1 to 40 of a-z, 0-9 and -", "invalid script id")
	}
	if s.Version < 1 {
		v.add("version", strconv.Itoa(s.Version), "", "version must be 1 or more")
	}
	switch s.Kind {
	case KindConsultation, KindReport:
	default:
		v.add("kind", s.Kind, suggest(s.Kind, []string{KindConsultation, KindReport}), "unknown kind, want consultation or report")
	}
	switch s.Access {
	case "", AccessOpen, AccessInvite, AccessPlatform:
	default:
		v.add("access", s.Access, suggest(s.Access, []string{AccessOpen, AccessInvite, AccessPlatform}), "unknown access, want open, invite or platform")
	}
	if s.K != 0 && s.K < 2 {
		v.add("k", strconv.Itoa(s.K), "k protects small groups and is never below 2", "k must be 2 or more")
	}
	v.languages(s)
	langsOK := !v.hasField("languages")
	if !s.Opens.IsZero() && !s.Closes.IsZero() && !s.Opens.Before(s.Closes) {
		v.add("closes", "", "", "closes must be after opens")
	}
	for i, w := range s.SafeWords {
		if strings.TrimSpace(w) == "" {
			v.add(fmt.Sprintf("safe_words[%d]", i), "", "", "empty safe word")
		}
	}
	if langsOK {
		v.text("title", s.Title, s.Languages, true)
		v.text("intro", s.Intro, s.Languages, false)
		v.text("consent", s.Consent, s.Languages, true)
		v.text("outro", s.Outro, s.Languages, false)
	}
	if len(s.Questions) == 0 {
		v.add("questions", "", "", "a script needs at least one question")
	}
	seen := make(map[string]int, len(s.Questions))
	for i := range s.Questions {
		q := &s.Questions[i]
		f := fmt.Sprintf("questions[%d]", i)
		if !validName(q.ID) {
			v.add(f+".id", q.ID, "a letter or _ first, then letters, digits, -, _ or .; at most 100", "invalid question id")
		} else if j, dup := seen[q.ID]; dup {
			v.add(f+".id", q.ID, fmt.Sprintf("first used at line %d", s.Questions[j].Line), "duplicate question id")
		} else {
			seen[q.ID] = i
		}
		v.question(s, i, f, langsOK)
	}
	// Expressions last: they refer to ids checked above.
	for i := range s.Questions {
		v.relevant(s, i, seen)
		v.expressions(s, i, seen)
	}
	s.Index()
	for i := range s.Questions {
		q := &s.Questions[i]
		q.depIdx, q.depsDone = nil, false
		q.depIdx, q.depsDone = s.deps(i), true
	}
	return v.errs
}

func (v *validator) hasField(prefix string) bool {
	for _, e := range v.errs {
		if strings.HasPrefix(e.Field, prefix) {
			return true
		}
	}
	return false
}

func (v *validator) languages(s *Script) {
	if len(s.Languages) == 0 {
		v.add("languages", "", "e.g. languages: [en, fr]", "a script needs at least one language")
		return
	}
	seen := map[string]bool{}
	for i, l := range s.Languages {
		f := fmt.Sprintf("languages[%d]", i)
		switch {
		case !validLang(l):
			v.add(f, l, "use a BCP 47 code such as en, fr, ar or pt-BR", "unknown language code")
		case seen[l]:
			v.add(f, l, "", "duplicate language")
		}
		seen[l] = true
	}
}

// text checks that t has a non-empty translation for every language and
// none for an undeclared one.
func (v *validator) text(field string, t Text, langs []string, required bool) {
	if len(t) == 0 {
		if required {
			v.add(field, "", "", "missing %s", fieldName(field))
		}
		return
	}
	for _, l := range langs {
		if strings.TrimSpace(t[l]) == "" {
			v.add(field, "", "", "missing %s translation of %s", l, fieldName(field))
		}
	}
	for _, l := range sortedKeys(t) {
		if !contains(langs, l) {
			v.add(field+"."+l, l, suggest(l, langs), "language %q is not in languages", l)
		}
	}
}

// fieldName is the last element of a field path, for messages.
func fieldName(field string) string {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		return field[i+1:]
	}
	return field
}

var questionTypes = []string{TypeChoice, TypeMulti, TypeScale, TypeNumber, TypeText, TypeInfo,
	TypeDate, TypeTime, TypeCalculate, TypeAcknowledge, TypeRank, TypeRepeatEnd}

// maxRepeat bounds a repeat's instances when the script sets no cap.
const maxRepeat = 20

func (v *validator) question(s *Script, i int, f string, langsOK bool) {
	q := &s.Questions[i]
	if !contains(questionTypes, q.Type) {
		v.add(f+".type", q.Type, suggest(q.Type, questionTypes), "unknown question type, want one of %s", strings.Join(questionTypes, ", "))
		return
	}
	if langsOK {
		// A calculation has no text; a repeat's label is optional.
		v.text(f+".text", q.Text, s.Languages, q.Type != TypeCalculate && q.Type != TypeRepeatEnd)
		v.text(f+".hint", q.Hint, s.Languages, false)
		v.text(f+".constraint_message", q.ConstraintMessage, s.Languages, false)
		v.text(f+".required_message", q.RequiredMessage, s.Languages, false)
	}
	if q.Segment && q.Type != TypeChoice && q.Type != TypeScale {
		v.add(f+".segment", q.ID, "", "segment applies only to choice and scale questions")
	}
	switch q.Type {
	case TypeAcknowledge:
		q.Options = fixedOptions(s.Languages, "ok")
	case TypeRepeatEnd:
		q.Options = fixedOptions(s.Languages, "yes_another", "no_more")
		if q.Cap <= 0 {
			q.Cap = maxRepeat
		}
		if q.Cap > 1000 {
			v.add(f+".cap", strconv.Itoa(q.Cap), "", "a repeat's cap is at most 1000")
		}
		if j := s.pos(q.RepeatFrom); j < 0 || j >= i {
			v.add(f+".repeat", q.RepeatFrom, "", "a repeat must start (repeat: first question's id) before its end")
			q.repeat = i
		} else {
			q.repeat = j
		}
	case TypeChoice, TypeMulti, TypeRank:
		if len(q.Options) == 0 {
			v.add(f+".options", q.ID, "", "a %s question needs at least one option", q.Type)
		}
		if len(q.Options) > maxOptions {
			v.add(f+".options", q.ID, "", "too many options (at most %d)", maxOptions)
		}
		ids := map[string]bool{}
		for j, o := range q.Options {
			of := fmt.Sprintf("%s.options[%d]", f, j)
			switch {
			case !validOptionID(o.ID):
				v.add(of+".id", o.ID, "1 to 100 characters, no spaces and no |", "invalid option id")
			case ids[o.ID] && q.ChoiceFilter == "":
				// With a choice_filter a name may repeat (pyxform's
				// allow_choice_duplicates: "king" county in two states).
				v.add(of+".id", o.ID, "", "duplicate option id")
			}
			ids[o.ID] = true
			if langsOK {
				v.text(of+".label", o.Label, s.Languages, true)
			}
		}
	case TypeScale:
		step := max(q.Step, 1)
		switch {
		case q.Min >= q.Max:
			v.add(f+".min", fmt.Sprintf("%d..%d", q.Min, q.Max), "", "scale min must be below max")
		case (q.Max-q.Min)/step+1 > maxScalePoints:
			v.add(f+".max", fmt.Sprintf("%d..%d", q.Min, q.Max), "", "a scale has at most %d points", maxScalePoints)
		case (q.Max-q.Min)%step != 0:
			v.add(f+".step", strconv.Itoa(step), "", "a scale's step must divide max - min")
		default:
			q.Options = scaleOptions(q.Min, q.Max, step, s.Languages)
		}
	case TypeNumber:
		if q.HasMin && q.HasMax && q.Min > q.Max {
			v.add(f+".min", fmt.Sprintf("%d..%d", q.Min, q.Max), "", "number min must not be above max")
		}
	case TypeText:
		if q.MaxLength < 1 || q.MaxLength > maxTextLength {
			v.add(f+".max_length", strconv.Itoa(q.MaxLength), "", "max_length must be between 1 and %d", maxTextLength)
		}
	}
}

// scaleOptions returns the options "min".."max", labelled with the numbers
// in every language.
func scaleOptions(lo, hi, step int, langs []string) []Option {
	opts := make([]Option, 0, (hi-lo)/step+1)
	for n := lo; n <= hi; n += step {
		id := strconv.Itoa(n)
		label := make(Text, len(langs))
		for _, l := range langs {
			label[l] = id
		}
		opts = append(opts, Option{ID: id, Label: label})
	}
	return opts
}

// fixedOptions are the buttons of acknowledge and repeat questions, with
// bundled labels.
func fixedOptions(langs []string, keys ...string) []Option {
	opts := make([]Option, 0, len(keys))
	for _, k := range keys {
		label := make(Text, len(langs))
		for _, l := range langs {
			label[l] = UI(l, k)
		}
		opts = append(opts, Option{ID: k, Label: label})
	}
	return opts
}

// expressions parses and checks a question's constraint, calculation,
// choice_filter and repeat_count, and the ${references} of its texts.
func (v *validator) expressions(s *Script, i int, seen map[string]int) {
	q := &s.Questions[i]
	f := fmt.Sprintf("questions[%d]", i)
	refsOK := func(field, src string, e Expr) bool {
		for _, id := range Refs(e) {
			if _, known := seen[id]; !known {
				v.add(field, src, suggest(id, keys(seen)), "%s refers to unknown question %q", fieldName(field), id)
				return false
			}
		}
		return true
	}
	parse := func(key, src string, filter bool) Expr {
		if strings.TrimSpace(src) == "" {
			return nil
		}
		var e Expr
		var err error
		if filter {
			e, err = parseFilter(src)
		} else {
			e, err = ParseExpr(src)
		}
		if err != nil {
			v.add(f+"."+key, src, "", "invalid %s: %v", key, err)
			return nil
		}
		if !refsOK(f+"."+key, src, e) {
			return nil
		}
		return e
	}
	q.constraint = parse("constraint", q.Constraint, false)
	if q.constraint != nil && len(usesClock(q.constraint)) > 0 {
		// today() and now() read as "" (a dialog does not read the
		// clock), so ". <= today()" would refuse every answer: such a
		// constraint is not checked (the XLSForm loader says so).
		q.constraint = nil
	}
	q.calculation = parse("calculation", q.Calculation, false)
	q.choiceFilter = parse("choice_filter", q.ChoiceFilter, true)
	q.repeatCount = parse("repeat_count", q.RepeatCount, false)
	if q.choiceFilter != nil && q.Type != TypeChoice && q.Type != TypeMulti && q.Type != TypeRank {
		v.add(f+".choice_filter", q.ChoiceFilter, "", "choice_filter applies only to questions with options")
	}
	// ${references} in the texts a respondent reads.
	texts := map[string]Text{"text": q.Text, "hint": q.Hint, "constraint_message": q.ConstraintMessage, "required_message": q.RequiredMessage}
	for _, key := range []string{"text", "hint", "constraint_message", "required_message"} {
		for _, l := range sortedKeys(texts[key]) {
			for _, id := range textRefs(texts[key][l]) {
				if _, known := seen[id]; !known {
					v.add(f+"."+key, texts[key][l], suggest(id, keys(seen)), "%s refers to unknown question %q", key, id)
				}
			}
		}
	}
}

// textRefs lists the ${names} of a text.
func textRefs(t string) []string {
	var out []string
	mapRefs(t, func(name string) string {
		if !contains(out, name) {
			out = append(out, name)
		}
		return ""
	})
	return out
}

func (v *validator) relevant(s *Script, i int, seen map[string]int) {
	q := &s.Questions[i]
	q.relevant = nil
	if strings.TrimSpace(q.Relevant) == "" {
		return
	}
	f := fmt.Sprintf("questions[%d].relevant", i)
	e, err := ParseExpr(q.Relevant)
	if err != nil {
		v.add(f, q.Relevant, "", "invalid relevant: %v", err)
		return
	}
	ok := true
	for _, id := range Refs(e) {
		j, known := seen[id]
		switch {
		case !known:
			v.add(f, q.Relevant, suggest(id, keys(seen)), "relevant refers to unknown question %q", id)
			ok = false
		case j == i:
			v.add(f, q.Relevant, "whether a question is asked cannot depend on its own answer", "relevant of %q refers to the question itself", q.ID)
			ok = false
		}
		// A later question is allowed, as in ODK: it has no answer yet
		// when this one is reached, so it reads as empty (the XLSForm
		// loader warns about it).
	}
	for _, c := range optionRefs(e) {
		j, known := seen[c.question]
		if !known {
			continue
		}
		rq := &s.Questions[j]
		if rq.Type != TypeChoice && rq.Type != TypeMulti && rq.Type != TypeScale && rq.Type != TypeRank || rq.ChoiceFilter != "" {
			continue
		}
		ids := make([]string, len(rq.Options))
		for k, o := range rq.Options {
			ids[k] = o.ID
		}
		if !contains(ids, c.option) {
			v.add(f, q.Relevant, suggest(c.option, ids), "relevant refers to unknown option %q of question %q", c.option, c.question)
			ok = false
		}
	}
	if ok {
		q.relevant = e
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sortedKeys returns t's languages in order, so errors come out in a
// stable order.
func sortedKeys(t Text) []string {
	out := make([]string, 0, len(t))
	for k := range t {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest returns `did you mean "x"?` for the candidate closest to word,
// or "" when none is close.
func suggest(word string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), c)
		if d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(word) <= 3 {
		limit = 1
	}
	if best == "" || bestD == 0 && word == best || bestD > limit {
		return ""
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
