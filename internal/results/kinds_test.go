package results

import (
	"slices"
	"testing"

	"github.com/baraza/baraza/dialogs"
)

// The kinds XLSForm brings: date, time, acknowledge and rank count
// "answered" only; calculate and a repeat's end are not listed and count
// nothing (they are computed, not answered).
func TestIncrementsOfXLSFormKinds(t *testing.T) {
	data := []byte(`id: kinds
questions:
  - {id: day, type: date, text: "Day?"}
  - {id: hour, type: time, text: "Hour?"}
  - {id: ok, type: acknowledge, text: Read this}
  - {id: order, type: rank, text: "Order?", options: [{id: a, label: A}, {id: b, label: B}]}
  - {id: twice, type: calculate, calculation: "2 * 2"}
  - {id: who, type: choice, text: "Who?", options: [{id: x, label: X}]}
  - {id: people, type: repeat_end, text: person, repeat: who}
`)
	s, err := dialogs.Load("kinds.yaml", append([]byte("title: Kinds\nconsent: ok?\n"), data...))
	if err != nil {
		t.Fatal(err)
	}
	a := dialogs.Answers{
		"day": {Text: "2026-03-01"}, "hour": {Text: "14:30"}, "ok": {Text: "OK"},
		"order": {Options: []string{"b", "a"}}, "twice": {Text: "4"},
		"who": {Options: []string{"x"}}, "people": {Text: "2"},
	}
	got := Increments(s, a, "")
	want := []string{FieldCompleted, AnsweredField("day"), AnsweredField("hour"), AnsweredField("ok"),
		AnsweredField("order"), AnsweredField("who"), OptionField("who", "x")}
	if !slices.Equal(got, want) {
		t.Errorf("Increments\n got %q\nwant %q", got, want)
	}
	var listed []string
	for i := range s.Questions {
		if Listed(&s.Questions[i]) {
			listed = append(listed, s.Questions[i].ID)
		}
	}
	if w := []string{"day", "hour", "ok", "order", "who"}; !slices.Equal(listed, w) {
		t.Errorf("listed %q, want %q", listed, w)
	}
}
