package dialogs

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The expression language: the XPath subset that XLSForm forms use in
// relevant, constraint, calculation and choice_filter columns
//
//	${q}  .  'text' "text"  numbers  ( )
//	or  and  =  !=  <  <=  >  >=  +  -  *  div  mod  unary -
//	functions: see funcs below (selected, count-selected, not, if,
//	concat, coalesce, once, string-length, regex, ...)
//
// parsed by a hand-written lexer and recursive-descent parser into a small
// AST. Evaluation follows XPath 1.0: a question that is unanswered or
// skipped is the empty string; a comparison with a number converts the
// other side to a number, and "" converts to NaN, so `${age} > 17` is false
// while age is unanswered (and `!=`, the negation of `=`, is true).
// "." is the answer being checked (constraint). A bare name is a column of
// the option being filtered (choice_filter only).

// ExprError is a syntax error in an expression. Pos is the 1-based byte
// position where the problem was found.
type ExprError struct {
	Pos int
	Msg string
}

// Error formats the error as "msg at position N".
func (e *ExprError) Error() string { return fmt.Sprintf("%s at position %d", e.Msg, e.Pos) }

// maxExprDepth bounds nesting (parentheses, not, unary minus, calls).
const maxExprDepth = 64

// maxExprLen bounds the source of one expression.
const maxExprLen = 8192

// ParseExpr parses an expression (relevant, constraint, calculation).
func ParseExpr(src string) (Expr, error) { return parseExpr(src, false) }

// parseFilter parses a choice_filter: bare names are option columns.
func parseFilter(src string) (Expr, error) { return parseExpr(src, true) }

func parseExpr(src string, names bool) (Expr, error) {
	if len(src) > maxExprLen {
		return nil, &ExprError{Pos: 1, Msg: fmt.Sprintf("expression longer than %d bytes", maxExprLen)}
	}
	p := &parser{lx: lexer{src: src}, names: names}
	p.next()
	if p.err != nil {
		return nil, p.err
	}
	if p.tok.kind == tEOF {
		return nil, &ExprError{Pos: 1, Msg: "empty expression"}
	}
	e := p.or()
	if p.err == nil && p.tok.kind != tEOF {
		p.fail("unexpected %s", p.tok)
	}
	if p.err != nil {
		return nil, p.err
	}
	return e, nil
}

// env is what an expression is evaluated against.
type env struct {
	a       Answers
	self    string // "."
	hasSelf bool
	props   map[string]string // the option being filtered
	optName string            // its id ("name" in a choice_filter)
	s       *Script           // for jr:choice-name
	lang    string
}

// node is an AST node.
type node interface {
	Eval(a Answers) Value
	ev(e *env) Value
}

// Refs lists the question ids an expression refers to (${id}), each once,
// in order of appearance.
func Refs(e Expr) []string {
	var out []string
	walk(e, func(x Expr) {
		if r, ok := x.(refExpr); ok && !contains(out, r.name) {
			out = append(out, r.name)
		}
	})
	return out
}

// optionRef is a comparison of a question with a literal option id:
// ${q} = 'v', ${q} != 'v', selected(${q}, 'v').
type optionRef struct{ question, option string }

func optionRefs(e Expr) []optionRef {
	var out []optionRef
	pair := func(a, b Expr) {
		r, ok1 := a.(refExpr)
		l, ok2 := b.(litExpr)
		if ok1 && ok2 && l.v.Kind == ValString {
			out = append(out, optionRef{r.name, l.v.Str})
		}
	}
	walk(e, func(x Expr) {
		switch x := x.(type) {
		case cmpExpr:
			if x.op == "=" || x.op == "!=" {
				pair(x.l, x.r)
				pair(x.r, x.l)
			}
		case callExpr:
			if x.name == "selected" && len(x.args) == 2 {
				pair(x.args[0], x.args[1])
			}
		}
	})
	return out
}

func walk(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch x := e.(type) {
	case cmpExpr:
		walk(x.l, f)
		walk(x.r, f)
	case logicExpr:
		walk(x.l, f)
		walk(x.r, f)
	case arithExpr:
		walk(x.l, f)
		walk(x.r, f)
	case negExpr:
		walk(x.x, f)
	case callExpr:
		for _, a := range x.args {
			walk(a, f)
		}
	}
}

// evalIn evaluates e in env; an Expr not built here falls back to Eval.
func evalIn(e Expr, en *env) Value {
	if n, ok := e.(node); ok {
		return n.ev(en)
	}
	return e.Eval(en.a)
}

// AST.

type litExpr struct{ v Value }

func (e litExpr) Eval(a Answers) Value { return e.ev(&env{a: a}) }
func (e litExpr) ev(*env) Value        { return e.v }

type refExpr struct{ name string }

func (e refExpr) Eval(a Answers) Value { return e.ev(&env{a: a}) }
func (e refExpr) ev(en *env) Value     { return Value{Kind: ValString, Str: answerString(en.a, e.name)} }

// answerString is an answer as XPath sees it: the text, the option id, or
// the option ids separated by spaces; "" when unanswered or skipped.
func answerString(a Answers, name string) string {
	ans, ok := a[name]
	if !ok || ans.Skipped {
		return ""
	}
	switch len(ans.Options) {
	case 0:
		return ans.Text
	case 1:
		return ans.Options[0]
	}
	return strings.Join(ans.Options, " ")
}

type selfExpr struct{}

func (e selfExpr) Eval(a Answers) Value { return e.ev(&env{a: a}) }
func (e selfExpr) ev(en *env) Value     { return Value{Kind: ValString, Str: en.self} }

type propExpr struct{ name string }

func (e propExpr) Eval(a Answers) Value { return e.ev(&env{a: a}) }
func (e propExpr) ev(en *env) Value {
	if v, ok := en.props[e.name]; ok || e.name != "name" {
		return Value{Kind: ValString, Str: v}
	}
	return Value{Kind: ValString, Str: en.optName}
}

type cmpExpr struct {
	op   string
	l, r Expr
}

func (e cmpExpr) Eval(a Answers) Value { return e.ev(&env{a: a}) }
func (e cmpExpr) ev(en *env) Value {
	l, r := evalIn(e.l, en), evalIn(e.r, en)
	var b bool
	switch e.op {
	case "=":
		b = equal(l, r)
	case "!=":
		b = !equal(l, r)
	default:
		x, y := toNumber(l), toNumber(r)
		switch e.op {
		case "<":
			b = x < y
		case "<=":
			b = x <= y
		case ">":
			b = x > y
		case ">=":
			b = x >= y
		}
	}
	return Value{Kind: ValBool, Bool: b}
}

// equal is XPath 1.0 "=" on single values: booleans first, then numbers,
// then strings. NaN equals nothing.
func equal(l, r Value) bool {
	switch {
	case l.Kind == ValBool || r.Kind == ValBool:
		return toBool(l) == toBool(r)
	case l.Kind == ValNumber || r.Kind == ValNumber:
		return toNumber(l) == toNumber(r)
	}
	return l.Str == r.Str
}

type logicExpr struct {
	and  bool
	l, r Expr
}

func (e logicExpr) Eval(a Answers) Value { return e.ev(&env{a: a}) }
func (e logicExpr) ev(en *env) Value {
	l := toBool(evalIn(e.l, en))
	if e.and && !l || !e.and && l {
		return Value{Kind: ValBool, Bool: l}
	}
	return Value{Kind: ValBool, Bool: toBool(evalIn(e.r, en))}
}

type arithExpr struct {
	op   string // + - * div mod
	l, r Expr
}

func (e arithExpr) Eval(a Answers) Value { return e.ev(&env{a: a}) }
func (e arithExpr) ev(en *env) Value {
	x, y := toNumber(evalIn(e.l, en)), toNumber(evalIn(e.r, en))
	var v float64
	switch e.op {
	case "+":
		v = x + y
	case "-":
		v = x - y
	case "*":
		v = x * y
	case "div":
		v = x / y
	case "mod":
		v = math.Mod(x, y)
	}
	return Value{Kind: ValNumber, Num: v}
}

type negExpr struct{ x Expr }

func (e negExpr) Eval(a Answers) Value { return e.ev(&env{a: a}) }
func (e negExpr) ev(en *env) Value {
	return Value{Kind: ValNumber, Num: -toNumber(evalIn(e.x, en))}
}

type callExpr struct {
	name string
	args []Expr
	re   *regexp.Regexp // regex() with a literal pattern
}

func (e callExpr) Eval(a Answers) Value { return e.ev(&env{a: a}) }

func str(v string) Value   { return Value{Kind: ValString, Str: v} }
func num(v float64) Value  { return Value{Kind: ValNumber, Num: v} }
func boolean(v bool) Value { return Value{Kind: ValBool, Bool: v} }
func (e callExpr) arg(en *env, i int) Value {
	if i >= len(e.args) {
		return str("")
	}
	return evalIn(e.args[i], en)
}
func (e callExpr) s(en *env, i int) string  { return toString(e.arg(en, i)) }
func (e callExpr) n(en *env, i int) float64 { return toNumber(e.arg(en, i)) }

func (e callExpr) ev(en *env) Value {
	switch e.name {
	case "not":
		return boolean(!toBool(e.arg(en, 0)))
	case "true":
		return boolean(true)
	case "false":
		return boolean(false)
	case "boolean":
		return boolean(toBool(e.arg(en, 0)))
	case "selected":
		want := strings.TrimSpace(e.s(en, 1))
		for _, f := range strings.Fields(e.s(en, 0)) {
			if f == want {
				return boolean(true)
			}
		}
		return boolean(false)
	case "count-selected":
		return num(float64(len(strings.Fields(e.s(en, 0)))))
	case "selected-at":
		f := strings.Fields(e.s(en, 0))
		i := e.n(en, 1)
		if i >= 0 && i < float64(len(f)) {
			return str(f[int(i)])
		}
		return str("")
	case "jr:choice-name":
		return str(choiceName(en, e.s(en, 0), e.args[1]))
	case "if":
		if toBool(e.arg(en, 0)) {
			return e.arg(en, 1)
		}
		return e.arg(en, 2)
	case "concat":
		var b strings.Builder
		for i := range e.args {
			b.WriteString(e.s(en, i))
			if b.Len() > MaxInput*4 {
				break
			}
		}
		return str(b.String())
	case "join":
		parts := make([]string, 0, len(e.args)-1)
		for i := 1; i < len(e.args); i++ {
			parts = append(parts, e.s(en, i))
		}
		return str(strings.Join(parts, e.s(en, 0)))
	case "coalesce":
		for i := range e.args {
			if v := e.arg(en, i); toString(v) != "" {
				return v
			}
		}
		return str("")
	case "once", "string":
		if len(e.args) == 0 {
			return str(en.self)
		}
		return str(e.s(en, 0))
	case "string-length":
		if len(e.args) == 0 {
			return num(float64(utf8.RuneCountInString(en.self)))
		}
		return num(float64(utf8.RuneCountInString(e.s(en, 0))))
	case "normalize-space":
		return str(strings.Join(strings.Fields(e.s(en, 0)), " "))
	case "contains":
		return boolean(strings.Contains(e.s(en, 0), e.s(en, 1)))
	case "starts-with":
		return boolean(strings.HasPrefix(e.s(en, 0), e.s(en, 1)))
	case "ends-with":
		return boolean(strings.HasSuffix(e.s(en, 0), e.s(en, 1)))
	case "substring-before":
		b, _, _ := strings.Cut(e.s(en, 0), e.s(en, 1))
		return str(b)
	case "substring-after":
		_, a, _ := strings.Cut(e.s(en, 0), e.s(en, 1))
		return str(a)
	case "substr":
		r := []rune(e.s(en, 0))
		from := clampIndex(e.n(en, 1), len(r))
		to := len(r)
		if len(e.args) > 2 {
			to = clampIndex(e.n(en, 2), len(r))
		}
		if from >= to {
			return str("")
		}
		return str(string(r[from:to]))
	case "regex":
		if e.re == nil {
			return boolean(false)
		}
		return boolean(e.re.MatchString(e.s(en, 0)))
	case "number":
		return num(e.n(en, 0))
	case "int":
		return num(math.Trunc(e.n(en, 0)))
	case "round":
		x := e.n(en, 0)
		places := 0.0
		if len(e.args) > 1 {
			places = math.Trunc(e.n(en, 1))
		}
		if places < -15 || places > 15 {
			return num(x)
		}
		p := math.Pow(10, places)
		return num(math.Floor(x*p+0.5) / p)
	case "floor":
		return num(math.Floor(e.n(en, 0)))
	case "ceiling":
		return num(math.Ceil(e.n(en, 0)))
	case "abs":
		return num(math.Abs(e.n(en, 0)))
	case "pow":
		return num(math.Pow(e.n(en, 0), e.n(en, 1)))
	case "min", "max":
		best := math.NaN()
		for i := range e.args {
			x := e.n(en, i)
			if math.IsNaN(x) {
				return num(math.NaN())
			}
			if math.IsNaN(best) || e.name == "min" && x < best || e.name == "max" && x > best {
				best = x
			}
		}
		return num(best)
	case "date", "format-date", "format-date-time", "decimal-date-time":
		return str(e.s(en, 0))
	case "today", "now", "uuid", "position":
		// The chat records no clock reading and no identifier of its own:
		// these are empty (the loader warns).
		return str("")
	}
	return str("")
}

// choiceName is jr:choice-name(value, '${q}'): the label of option value
// of question q in the respondent's language.
func choiceName(en *env, value string, ref Expr) string {
	lit, ok := ref.(litExpr)
	if !ok || en.s == nil {
		return value
	}
	name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lit.v.Str), "${"), "}")
	q := en.s.Question(name)
	if q == nil {
		return value
	}
	for _, o := range q.Options {
		if o.ID == value {
			return en.s.Text(o.Label, en.lang)
		}
	}
	return value
}

func clampIndex(f float64, n int) int {
	switch {
	case math.IsNaN(f) || f < 0:
		return 0
	case f > float64(n):
		return n
	}
	return int(f)
}

// funcs are the known functions and their number of arguments (max -1:
// any number).
var funcs = map[string][2]int{
	"not": {1, 1}, "true": {0, 0}, "false": {0, 0}, "boolean": {1, 1},
	"selected": {2, 2}, "count-selected": {1, 1}, "selected-at": {2, 2}, "jr:choice-name": {2, 2},
	"if": {3, 3}, "concat": {1, -1}, "join": {2, -1}, "coalesce": {2, -1}, "once": {1, 1},
	"string": {0, 1}, "string-length": {0, 1}, "normalize-space": {1, 1}, "contains": {2, 2},
	"starts-with": {2, 2}, "ends-with": {2, 2}, "substring-before": {2, 2}, "substring-after": {2, 2},
	"substr": {2, 3}, "regex": {2, 2}, "number": {1, 1}, "int": {1, 1}, "round": {1, 2},
	"floor": {1, 1}, "ceiling": {1, 1}, "abs": {1, 1}, "pow": {2, 2}, "min": {1, -1}, "max": {1, -1},
	"date": {1, 1}, "format-date": {2, 2}, "format-date-time": {2, 2}, "decimal-date-time": {1, 1},
	"today": {0, 0}, "now": {0, 0}, "uuid": {0, 1}, "position": {0, 1},
}

// clockFuncs evaluate to "" here (the loader warns about them).
var clockFuncs = []string{"today", "now", "uuid", "position"}

// usesClock lists the functions of e that evaluate to "".
func usesClock(e Expr) []string {
	var out []string
	walk(e, func(x Expr) {
		if c, ok := x.(callExpr); ok && contains(clockFuncs, c.name) && !contains(out, c.name) {
			out = append(out, c.name)
		}
	})
	return out
}

// Conversions (XPath 1.0 boolean(), number(), string()).

func toBool(v Value) bool {
	switch v.Kind {
	case ValBool:
		return v.Bool
	case ValNumber:
		return v.Num != 0 && !math.IsNaN(v.Num)
	}
	return v.Str != ""
}

func toNumber(v Value) float64 {
	switch v.Kind {
	case ValNumber:
		return v.Num
	case ValBool:
		if v.Bool {
			return 1
		}
		return 0
	}
	return xpathNumber(v.Str)
}

// xpathNumber parses XPath's Number production: optional minus, digits,
// optional fraction; anything else is NaN.
func xpathNumber(s string) float64 {
	s = strings.TrimSpace(s)
	t := strings.TrimPrefix(s, "-")
	digits, dots := 0, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return math.NaN()
		}
	}
	if digits == 0 || dots > 1 {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

func toString(v Value) string {
	switch v.Kind {
	case ValBool:
		if v.Bool {
			return "true"
		}
		return "false"
	case ValNumber:
		switch {
		case math.IsNaN(v.Num):
			return "NaN"
		case math.IsInf(v.Num, 1):
			return "Infinity"
		case math.IsInf(v.Num, -1):
			return "-Infinity"
		}
		return strconv.FormatFloat(v.Num, 'f', -1, 64)
	}
	return v.Str
}

// Lexer.

type tokKind uint8

const (
	tEOF tokKind = iota
	tNum
	tStr
	tRef
	tName
	tLParen
	tRParen
	tComma
	tOp
	tMinus
	tPlus
	tStar
	tDot
)

type lexToken struct {
	kind tokKind
	text string
	pos  int // 1-based
}

func (t lexToken) String() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tStr:
		return "string " + strconv.Quote(t.text)
	case tRef:
		return "${" + t.text + "}"
	}
	return strconv.Quote(t.text)
}

type lexer struct {
	src string
	i   int
}

// isNameByte accepts ASCII name characters and every byte of a non-ASCII
// UTF-8 sequence (XML names may hold letters of any script).
func isNameByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c >= 0x80:
		return true
	case c >= '0' && c <= '9', c == '-', c == '.', c == ':':
		return !first
	}
	return false
}

func (lx *lexer) next() (lexToken, *ExprError) {
	for lx.i < len(lx.src) && strings.IndexByte(" \t\r\n", lx.src[lx.i]) >= 0 {
		lx.i++
	}
	start := lx.i
	pos := start + 1
	if lx.i >= len(lx.src) {
		return lexToken{kind: tEOF, pos: pos}, nil
	}
	c := lx.src[lx.i]
	switch {
	case c == '(':
		lx.i++
		return lexToken{tLParen, "(", pos}, nil
	case c == ')':
		lx.i++
		return lexToken{tRParen, ")", pos}, nil
	case c == ',':
		lx.i++
		return lexToken{tComma, ",", pos}, nil
	case c == '-':
		lx.i++
		return lexToken{tMinus, "-", pos}, nil
	case c == '+':
		lx.i++
		return lexToken{tPlus, "+", pos}, nil
	case c == '*':
		lx.i++
		return lexToken{tStar, "*", pos}, nil
	case c == '=':
		lx.i++
		return lexToken{tOp, "=", pos}, nil
	case c == '!' || c == '<' || c == '>':
		lx.i++
		if lx.i < len(lx.src) && lx.src[lx.i] == '=' {
			lx.i++
			return lexToken{tOp, lx.src[start:lx.i], pos}, nil
		}
		if c == '!' {
			return lexToken{}, &ExprError{pos, `"!" must be followed by "=" (use not(...) to negate)`}
		}
		return lexToken{tOp, string(c), pos}, nil
	case c == '\'' || c == '"':
		end := strings.IndexByte(lx.src[lx.i+1:], c)
		if end < 0 {
			return lexToken{}, &ExprError{pos, "unterminated string"}
		}
		lx.i += end + 2
		return lexToken{tStr, lx.src[start+1 : lx.i-1], pos}, nil
	case c == '$':
		if lx.i+1 >= len(lx.src) || lx.src[lx.i+1] != '{' {
			return lexToken{}, &ExprError{pos, `"$" must start a reference like ${question}`}
		}
		end := strings.IndexByte(lx.src[lx.i:], '}')
		if end < 0 {
			return lexToken{}, &ExprError{pos, `unterminated reference, missing "}"`}
		}
		name := lx.src[lx.i+2 : lx.i+end]
		lx.i += end + 1
		if name == "" {
			return lexToken{}, &ExprError{pos, "empty reference ${}"}
		}
		for j := 0; j < len(name); j++ {
			if !isNameByte(name[j], j == 0) {
				return lexToken{}, &ExprError{pos, fmt.Sprintf("invalid question name %q in reference", name)}
			}
		}
		return lexToken{tRef, name, pos}, nil
	case c == '.' && (lx.i+1 >= len(lx.src) || lx.src[lx.i+1] < '0' || lx.src[lx.i+1] > '9'):
		lx.i++
		if lx.i < len(lx.src) && lx.src[lx.i] == '.' {
			return lexToken{}, &ExprError{pos, `".." (a parent path) is not supported; refer to questions as ${name}`}
		}
		return lexToken{tDot, ".", pos}, nil
	case c >= '0' && c <= '9' || c == '.':
		for lx.i < len(lx.src) && (lx.src[lx.i] >= '0' && lx.src[lx.i] <= '9' || lx.src[lx.i] == '.') {
			lx.i++
		}
		text := lx.src[start:lx.i]
		if math.IsNaN(xpathNumber(text)) {
			return lexToken{}, &ExprError{pos, fmt.Sprintf("invalid number %q", text)}
		}
		return lexToken{tNum, text, pos}, nil
	case isNameByte(c, true):
		for lx.i < len(lx.src) && isNameByte(lx.src[lx.i], false) {
			lx.i++
		}
		return lexToken{tName, lx.src[start:lx.i], pos}, nil
	}
	r, _ := utf8.DecodeRuneInString(lx.src[start:])
	return lexToken{}, &ExprError{pos, fmt.Sprintf("unexpected character %q", string(r))}
}

// Parser: or > and > equality > relational > additive > multiplicative >
// unary > primary.

type parser struct {
	lx    lexer
	tok   lexToken
	err   *ExprError
	depth int
	names bool // bare names are option columns (choice_filter)
}

func (p *parser) next() {
	if p.err != nil {
		return
	}
	t, err := p.lx.next()
	if err != nil {
		p.err = err
		p.tok = lexToken{kind: tEOF, pos: err.Pos}
		return
	}
	p.tok = t
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = &ExprError{Pos: p.tok.pos, Msg: fmt.Sprintf(format, args...)}
	}
}

var failed = litExpr{}

func (p *parser) isWord(w string) bool { return p.err == nil && p.tok.kind == tName && p.tok.text == w }

func (p *parser) or() Expr {
	l := p.and()
	for p.isWord("or") {
		p.next()
		l = logicExpr{and: false, l: l, r: p.and()}
	}
	return l
}

func (p *parser) and() Expr {
	l := p.equality()
	for p.isWord("and") {
		p.next()
		l = logicExpr{and: true, l: l, r: p.equality()}
	}
	return l
}

func (p *parser) equality() Expr {
	l := p.relational()
	for p.err == nil && p.tok.kind == tOp && (p.tok.text == "=" || p.tok.text == "!=") {
		op := p.tok.text
		p.next()
		l = cmpExpr{op: op, l: l, r: p.relational()}
	}
	return l
}

func (p *parser) relational() Expr {
	l := p.additive()
	for p.err == nil && p.tok.kind == tOp && p.tok.text != "=" && p.tok.text != "!=" {
		op := p.tok.text
		p.next()
		l = cmpExpr{op: op, l: l, r: p.additive()}
	}
	return l
}

func (p *parser) additive() Expr {
	l := p.multiplicative()
	for p.err == nil && (p.tok.kind == tPlus || p.tok.kind == tMinus) {
		op := p.tok.text
		p.next()
		l = arithExpr{op: op, l: l, r: p.multiplicative()}
	}
	return l
}

func (p *parser) multiplicative() Expr {
	l := p.unary()
	for p.err == nil && (p.tok.kind == tStar || p.isWord("div") || p.isWord("mod")) {
		op := p.tok.text
		p.next()
		l = arithExpr{op: op, l: l, r: p.unary()}
	}
	return l
}

func (p *parser) unary() Expr {
	if p.tok.kind != tMinus {
		return p.primary()
	}
	if !p.enter() {
		return failed
	}
	defer p.leave()
	p.next()
	return negExpr{p.unary()}
}

func (p *parser) enter() bool {
	p.depth++
	if p.depth > maxExprDepth {
		p.fail("expression nested too deeply")
		return false
	}
	return true
}

func (p *parser) leave() { p.depth-- }

func (p *parser) expect(k tokKind, what string) {
	if p.err != nil {
		return
	}
	if p.tok.kind != k {
		p.fail("expected %s, found %s", what, p.tok)
		return
	}
	p.next()
}

func (p *parser) primary() Expr {
	if p.err != nil {
		return failed
	}
	t := p.tok
	switch t.kind {
	case tNum:
		p.next()
		return litExpr{Value{Kind: ValNumber, Num: xpathNumber(t.text)}}
	case tStr:
		p.next()
		return litExpr{Value{Kind: ValString, Str: t.text}}
	case tRef:
		p.next()
		return refExpr{t.text}
	case tDot:
		p.next()
		return selfExpr{}
	case tLParen:
		if !p.enter() {
			return failed
		}
		defer p.leave()
		p.next()
		e := p.or()
		p.expect(tRParen, `")"`)
		return e
	case tName:
		return p.call()
	case tEOF:
		p.fail("unexpected end of expression")
	default:
		p.fail("unexpected %s", t)
	}
	return failed
}

func knownFuncs() string {
	return "selected, count-selected, not, if, concat, coalesce, once, string-length, regex, contains, round, int, …"
}

func (p *parser) call() Expr {
	t := p.tok
	switch t.text {
	case "and", "or", "div", "mod":
		p.fail("%q needs something on its left", t.text)
		return failed
	}
	p.next()
	if p.tok.kind != tLParen {
		if p.names && p.err == nil {
			return propExpr{t.text}
		}
		if _, known := funcs[t.text]; known && p.err == nil {
			p.fail("expected %s, found %s", `"(" after `+t.text, p.tok)
			return failed
		}
		if p.err == nil {
			p.err = &ExprError{Pos: t.pos, Msg: fmt.Sprintf("unexpected name %q (a question is written ${%s}, a text 'like this')", t.text, t.text)}
		}
		return failed
	}
	arity, known := funcs[t.text]
	if !known {
		p.err = &ExprError{Pos: t.pos, Msg: fmt.Sprintf("unknown function %q (known: %s)", t.text, knownFuncs())}
		return failed
	}
	lparen := p.tok
	p.tok = t // report nesting at the function's name
	if !p.enter() {
		return failed
	}
	defer p.leave()
	p.tok = lparen
	p.next()
	c := callExpr{name: t.text}
	if p.tok.kind != tRParen {
		c.args = append(c.args, p.or())
		for p.err == nil && p.tok.kind == tComma {
			p.next()
			c.args = append(c.args, p.or())
			if len(c.args) > 64 {
				p.fail("too many arguments to %s", t.text)
			}
		}
	}
	if p.err == nil && (len(c.args) < arity[0] || arity[1] >= 0 && len(c.args) > arity[1]) {
		if t.text == "selected" && len(c.args) == 1 {
			p.fail(`expected "," and a second argument to selected`)
		} else {
			p.fail("%s takes %s, got %d", t.text, arityText(arity), len(c.args))
		}
	}
	if p.err == nil && t.text == "regex" {
		lit, ok := c.args[1].(litExpr)
		if !ok || lit.v.Kind != ValString {
			p.err = &ExprError{Pos: t.pos, Msg: "regex needs a quoted pattern as its second argument"}
			return failed
		}
		re, err := regexp.Compile(lit.v.Str)
		if err != nil {
			p.err = &ExprError{Pos: t.pos, Msg: fmt.Sprintf("invalid regex pattern: %v", err)}
			return failed
		}
		c.re = re
	}
	if p.err == nil && t.text == "jr:choice-name" {
		if lit, ok := c.args[1].(litExpr); !ok || lit.v.Kind != ValString {
			p.err = &ExprError{Pos: t.pos, Msg: "jr:choice-name needs a quoted '${question}' as its second argument"}
			return failed
		}
	}
	p.expect(tRParen, `")"`)
	return c
}

func arityText(a [2]int) string {
	switch {
	case a[1] < 0:
		return fmt.Sprintf("at least %d arguments", a[0])
	case a[0] == a[1] && a[0] == 1:
		return "one argument"
	case a[0] == a[1]:
		return fmt.Sprintf("%d arguments", a[0])
	}
	return fmt.Sprintf("%d to %d arguments", a[0], a[1])
}
