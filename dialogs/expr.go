package dialogs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The relevant-condition language: the XLSForm subset
//
//	${q} = 'v'   !=  <  <=  >  >=
//	selected(${q}, 'v')   count-selected(${q})   not(...)
//	and   or   ( )   numbers   'strings' "strings"
//
// parsed by a hand-written lexer and recursive-descent parser into a small
// AST. Evaluation follows XPath 1.0: a question that is unanswered or
// skipped is the empty string; a comparison with a number converts the
// other side to a number, and "" converts to NaN, so `${age} > 17` is false
// while age is unanswered (and `!=`, the negation of `=`, is true).

// ExprError is a syntax error in an expression. Pos is the 1-based byte
// position where the problem was found.
type ExprError struct {
	Pos int
	Msg string
}

// Error formats the error as "msg at position N".
func (e *ExprError) Error() string { return fmt.Sprintf("%s at position %d", e.Msg, e.Pos) }

// maxExprDepth bounds nesting (parentheses, not, unary minus).
const maxExprDepth = 64

// ParseExpr parses a relevant expression.
func ParseExpr(src string) (Expr, error) {
	p := &parser{lx: lexer{src: src}}
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
		case selectedExpr:
			pair(x.set, x.val)
		}
	})
	return out
}

func walk(e Expr, f func(Expr)) {
	f(e)
	switch x := e.(type) {
	case cmpExpr:
		walk(x.l, f)
		walk(x.r, f)
	case logicExpr:
		walk(x.l, f)
		walk(x.r, f)
	case notExpr:
		walk(x.x, f)
	case selectedExpr:
		walk(x.set, f)
		walk(x.val, f)
	case countExpr:
		walk(x.x, f)
	case negExpr:
		walk(x.x, f)
	}
}

// AST.

type litExpr struct{ v Value }

func (e litExpr) Eval(Answers) Value { return e.v }

type refExpr struct{ name string }

func (e refExpr) Eval(a Answers) Value {
	ans, ok := a[e.name]
	if !ok || ans.Skipped {
		return Value{Kind: ValString}
	}
	switch len(ans.Options) {
	case 0:
		return Value{Kind: ValString, Str: ans.Text}
	case 1:
		return Value{Kind: ValString, Str: ans.Options[0]}
	}
	// Multi answers are space-separated, as in XLSForm.
	return Value{Kind: ValString, Str: strings.Join(ans.Options, " ")}
}

type cmpExpr struct {
	op   string
	l, r Expr
}

func (e cmpExpr) Eval(a Answers) Value {
	l, r := e.l.Eval(a), e.r.Eval(a)
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

func (e logicExpr) Eval(a Answers) Value {
	l := toBool(e.l.Eval(a))
	if e.and && !l || !e.and && l {
		return Value{Kind: ValBool, Bool: l}
	}
	return Value{Kind: ValBool, Bool: toBool(e.r.Eval(a))}
}

type notExpr struct{ x Expr }

func (e notExpr) Eval(a Answers) Value {
	return Value{Kind: ValBool, Bool: !toBool(e.x.Eval(a))}
}

type negExpr struct{ x Expr }

func (e negExpr) Eval(a Answers) Value {
	return Value{Kind: ValNumber, Num: -toNumber(e.x.Eval(a))}
}

type selectedExpr struct{ set, val Expr }

func (e selectedExpr) Eval(a Answers) Value {
	want := strings.TrimSpace(toString(e.val.Eval(a)))
	for _, f := range strings.Fields(toString(e.set.Eval(a))) {
		if f == want {
			return Value{Kind: ValBool, Bool: true}
		}
	}
	return Value{Kind: ValBool}
}

type countExpr struct{ x Expr }

func (e countExpr) Eval(a Answers) Value {
	return Value{Kind: ValNumber, Num: float64(len(strings.Fields(toString(e.x.Eval(a)))))}
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
		if math.IsNaN(v.Num) {
			return "NaN"
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

func isNameByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
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
			if !isNameByte(name[j], false) {
				return lexToken{}, &ExprError{pos, fmt.Sprintf("invalid question name %q in reference", name)}
			}
		}
		return lexToken{tRef, name, pos}, nil
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
	r := []rune(lx.src[start:min(len(lx.src), start+4)])
	return lexToken{}, &ExprError{pos, fmt.Sprintf("unexpected character %q", string(r[:1]))}
}

// Parser: or > and > equality > relational > unary > primary.

type parser struct {
	lx    lexer
	tok   lexToken
	err   *ExprError
	depth int
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

func (p *parser) or() Expr {
	l := p.and()
	for p.err == nil && p.tok.kind == tName && p.tok.text == "or" {
		p.next()
		l = logicExpr{and: false, l: l, r: p.and()}
	}
	return l
}

func (p *parser) and() Expr {
	l := p.equality()
	for p.err == nil && p.tok.kind == tName && p.tok.text == "and" {
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
	l := p.unary()
	for p.err == nil && p.tok.kind == tOp && p.tok.text != "=" && p.tok.text != "!=" {
		op := p.tok.text
		p.next()
		l = cmpExpr{op: op, l: l, r: p.unary()}
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

func (p *parser) call() Expr {
	t := p.tok
	switch t.text {
	case "not", "selected", "count-selected":
	case "and", "or":
		p.fail("%q needs something on its left", t.text)
		return failed
	default:
		p.next()
		if p.tok.kind == tLParen {
			p.err = &ExprError{Pos: t.pos, Msg: fmt.Sprintf("unknown function %q (known: selected, count-selected, not)", t.text)}
		} else {
			p.err = &ExprError{Pos: t.pos, Msg: fmt.Sprintf("unexpected name %q (a question is written ${%s}, a text 'like this')", t.text, t.text)}
		}
		return failed
	}
	if !p.enter() {
		return failed
	}
	defer p.leave()
	p.next()
	p.expect(tLParen, `"(" after `+t.text)
	first := p.or()
	var e Expr
	switch t.text {
	case "not":
		e = notExpr{first}
	case "count-selected":
		e = countExpr{first}
	case "selected":
		p.expect(tComma, `"," and a second argument to selected`)
		e = selectedExpr{set: first, val: p.or()}
	}
	p.expect(tRParen, `")"`)
	return e
}
