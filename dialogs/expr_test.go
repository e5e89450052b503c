package dialogs

import (
	"reflect"
	"strings"
	"testing"
)

func TestExprEval(t *testing.T) {
	a := Answers{
		"area":      {Options: []string{"north"}},
		"incidents": {Options: []string{"theft", "harassment"}},
		"safe":      {Options: []string{"2"}},
		"age":       {Text: "17"},
		"height":    {Text: "1.75"},
		"story":     {Text: "it's fine"},
		"skipped":   {Skipped: true},
	}
	tests := []struct {
		src  string
		want bool
	}{
		{"${area} = 'north'", true},
		{`${area} = "north"`, true},
		{"${area} = 'south'", false},
		{"${area} != 'south'", true},
		{"'north' = ${area}", true},
		{"selected(${incidents}, 'theft')", true},
		{"selected(${incidents}, 'harassment')", true},
		{"selected(${incidents}, 'violence')", false},
		{"selected(${incidents}, 'the')", false},
		{"selected(${area}, 'north')", true},
		{"count-selected(${incidents}) = 2", true},
		{"count-selected(${incidents}) > 1", true},
		{"count-selected(${missing}) = 0", true},
		{"count-selected(${skipped}) > 0", false},
		{"${safe} <= 2", true},
		{"${safe} < 2", false},
		{"${safe} >= 2.0", true},
		{"${safe} = 2", true},
		{"${safe} > -1", true},
		{"${age} < 18", true},
		{"${age} >= 18", false},
		{"${height} > 1.7", true},
		{"${height} = 1.75", true},
		// Unanswered and skipped are "": compared with numbers, NaN.
		{"${missing} = ''", true},
		{"${skipped} = ''", true},
		{"${missing} > 3", false},
		{"${missing} < 3", false},
		{"${missing} = 0", false},
		{"${skipped} >= 0", false},
		{"${missing} != 3", true}, // XPath: != is the negation of =
		{"${story} > 1", false},   // text that is not a number: NaN
		{"${area} = 'north' and ${age} < 18", true},
		{"${area} = 'south' and ${age} < 18", false},
		{"${area} = 'south' or ${age} < 18", true},
		{"${area} = 'south' or ${age} > 18", false},
		{"not(${area} = 'south')", true},
		{"not(selected(${incidents}, 'theft'))", false},
		{"(${area} = 'south' or ${area} = 'north') and not(${age} >= 18)", true},
		{"${area} = 'south' or ${area} = 'north' and ${age} >= 18", false}, // and binds tighter
		{"1 < 2 = 1", true},                                                // (1 < 2) = 1 -> true = true
		{"'a' = 'a'", true},
		{"3", true},
		{"0", false},
		{"''", false},
		{"'x'", true},
		{"  ${area}='north'  ", true},
	}
	for _, tc := range tests {
		e, err := ParseExpr(tc.src)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tc.src, err)
			continue
		}
		if got := toBool(e.Eval(a)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.src, got, tc.want)
		}
	}
}

func TestExprErrors(t *testing.T) {
	tests := []struct {
		src string
		pos int
		msg string
	}{
		{"", 1, "empty expression"},
		{"   ", 1, "empty expression"},
		{"${a} = ", 8, "unexpected end of expression"},
		{"${a} = = 'x'", 8, `unexpected "="`},
		{"${a} == 'x'", 7, `unexpected "="`},
		{"${a} = 'x", 8, "unterminated string"},
		{"${a = 'x'", 1, "unterminated reference"},
		{"${a b} = 'x'", 1, `invalid question name "a b"`},
		{"${a", 1, "unterminated reference"},
		{"${}", 1, "empty reference"},
		{"$a", 1, `"$" must start a reference`},
		{"a = 'x'", 1, `unexpected name "a"`},
		{"foo(${a})", 1, `unknown function "foo"`},
		{"selected(${a})", 14, `expected "," and a second argument to selected`},
		{"not ${a}", 5, `expected "(" after not`},
		{"(${a} = 'x'", 12, `expected ")"`},
		{"${a} = 'x')", 11, `unexpected ")"`},
		{"${a} ! 'x'", 6, `"!" must be followed by "="`},
		{"${a} = 1.2.3", 8, `invalid number "1.2.3"`},
		{"and ${a}", 1, `"and" needs something on its left`},
		{"${a} = 'x' #", 12, "unexpected character"},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), 65, "nested too deeply"},
		{strings.Repeat("not(", 70) + "1" + strings.Repeat(")", 70), 257, "nested too deeply"},
	}
	for _, tc := range tests {
		_, err := ParseExpr(tc.src)
		ee, ok := err.(*ExprError)
		if !ok {
			t.Errorf("ParseExpr(%q) error = %v, want an *ExprError", tc.src, err)
			continue
		}
		if ee.Pos != tc.pos || !strings.Contains(ee.Msg, tc.msg) {
			t.Errorf("ParseExpr(%q): got %q at %d, want %q at %d", tc.src, ee.Msg, ee.Pos, tc.msg, tc.pos)
		}
		if !strings.Contains(err.Error(), "at position") {
			t.Errorf("error %q does not give the position", err)
		}
	}
}

func TestRefs(t *testing.T) {
	e, err := ParseExpr("selected(${b}, 'x') and (${a} = 'y' or count-selected(${b}) > ${c}) and not(${a} != 'z')")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Refs(e), []string{"b", "a", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Refs = %v, want %v", got, want)
	}
	got := optionRefs(e)
	want := []optionRef{{"b", "x"}, {"a", "y"}, {"a", "z"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("optionRefs = %v, want %v", got, want)
	}
}

func TestIsRelevant(t *testing.T) {
	q := Question{ID: "q", Relevant: "${a} = 'x'"} // not from the loader: parsed on the spot
	if q.IsRelevant(Answers{}) {
		t.Error("relevant with a unanswered, want not")
	}
	if !q.IsRelevant(Answers{"a": {Options: []string{"x"}}}) {
		t.Error("not relevant with a = x, want relevant")
	}
	if !(&Question{}).IsRelevant(nil) {
		t.Error("a question without relevant is not relevant")
	}
}
