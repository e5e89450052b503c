package dialogs

import (
	"fmt"
	"strings"
	"testing"
)

// bigScript is a generated form of n questions: a choice, a number only
// asked when the choice before it is "a", an optional text, in turn.
func bigScript(tb testing.TB, n int) *Script {
	tb.Helper()
	var b strings.Builder
	b.WriteString("id: big\nlanguages: [en]\ntitle: Big\nconsent: ok?\nquestions:\n")
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "  - {id: q%d, type: choice, text: Q%d, options: [{id: a, label: A}, {id: b, label: B}]}\n", i, i)
		case 1:
			fmt.Fprintf(&b, "  - {id: q%d, type: number, text: N%d, relevant: \"${q%d} = 'a'\"}\n", i, i, i-1)
		default:
			fmt.Fprintf(&b, "  - {id: q%d, type: text, text: T%d, optional: true}\n", i, i)
		}
	}
	s, err := Load("big.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkPreview5000 runs the whole path of a 5 000-question form.
func BenchmarkPreview5000(b *testing.B) {
	s := bigScript(b, 5000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Preview(s, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStep measures one answer at question at of a 5 000-question form
// (the state then holds the answers before it).
func benchStep(b *testing.B, at int) {
	s := bigScript(b, 5000)
	res := Step(s, Start(s, "").State, Input{Kind: InputButton, Data: token(s, 1) + ":y"})
	st := res.State
	for st.Q < at || s.Questions[st.Q].Type != TypeChoice {
		st = Step(s, st, Input{Kind: InputButton, Data: token(s, st.Seq) + ":s"}).State
		if s.Questions[st.Q].Type == TypeChoice {
			st = Step(s, st, Input{Kind: InputButton, Data: token(s, st.Seq) + ":1"}).State
		}
	}
	in := Input{Kind: InputText, Text: "B"}
	if s.Questions[st.Q].Type != TypeChoice {
		b.Fatalf("question %d is %s", st.Q, s.Questions[st.Q].Type)
	}
	b.ResetTimer()
	for b.Loop() {
		if r := Step(s, st, in); r.Refusal != "" {
			b.Fatal(r.Replies[0].Text)
		}
	}
}

// BenchmarkStep5000 is one answer on a 5 000-question form: its cost does
// not depend on the form's size (Valid looks at the current question's
// dependencies; the step copies the answers given so far, which keeps
// Step pure).
func BenchmarkStep5000(b *testing.B) { benchStep(b, 0) }
