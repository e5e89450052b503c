package results

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/dialogs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func opt(id, en, fr, ar string) dialogs.Option {
	return dialogs.Option{ID: id, Label: dialogs.Text{"en": en, "fr": fr, "ar": ar}}
}

// testScript is a small consultation with every question type: two
// segments, a scale, a multi whose third label is a formula injection, a
// text, a number and an info question.
func testScript() *dialogs.Script {
	return &dialogs.Script{
		ID:        "night-safety",
		Version:   1,
		Kind:      dialogs.KindConsultation,
		Languages: []string{"en", "fr", "ar"},
		Title:     dialogs.Text{"en": "Safety at night", "fr": "La sécurité la nuit", "ar": "الأمان ليلاً"},
		K:         5,
		Questions: []dialogs.Question{
			{ID: "welcome", Type: dialogs.TypeInfo, Text: dialogs.Text{"en": "Welcome"}},
			{ID: "area", Type: dialogs.TypeChoice, Segment: true,
				Text:    dialogs.Text{"en": "Where do you live?", "fr": "Où habitez-vous ?", "ar": "أين تسكن؟"},
				Options: []dialogs.Option{opt("north", "North", "Nord", "الشمال"), opt("south", "South", "Sud", "الجنوب"), opt("east", "East", "Est", "الشرق")}},
			{ID: "gender", Type: dialogs.TypeChoice, Segment: true,
				Text:    dialogs.Text{"en": "You are", "fr": "Vous êtes", "ar": "أنت"},
				Options: []dialogs.Option{opt("f", "A woman", "Une femme", "امرأة"), opt("m", "A man", "Un homme", "رجل")}},
			{ID: "safe", Type: dialogs.TypeScale, Min: 1, Max: 3,
				Text:    dialogs.Text{"en": "How safe do you feel?", "fr": "Vous sentez-vous en sécurité ?", "ar": "ما مدى شعورك بالأمان؟"},
				Options: []dialogs.Option{opt("1", "1", "1", "1"), opt("2", "2", "2", "2"), opt("3", "3", "3", "3")}},
			{ID: "incidents", Type: dialogs.TypeMulti, Optional: true,
				Text: dialogs.Text{"en": "What happened?", "fr": "Que s'est-il passé ?", "ar": "ماذا حدث؟"},
				Options: []dialogs.Option{opt("theft", "Theft", "Vol", "سرقة"), opt("harassment", "Harassment", "Harcèlement", "تحرش"),
					opt("other", `=HYPERLINK("http://evil.example","click")`, `=HYPERLINK("http://evil.example","click")`, `=HYPERLINK("http://evil.example","click")`)}},
			{ID: "story", Type: dialogs.TypeText, Optional: true, Text: dialogs.Text{"en": "Tell us more", "fr": "Racontez-nous", "ar": "أخبرنا المزيد"}},
			{ID: "age", Type: dialogs.TypeNumber, Optional: true, Text: dialogs.Text{"en": "Your age", "fr": "Votre âge", "ar": "عمرك"}},
		},
	}
}

type profile struct {
	n                  int
	area, gender, safe string
	incidents          []string // nil: skipped
	story, age         string
}

// testProfiles are the respondents behind the fixed counters, chosen so
// that area "south" (3) is hidden and "east" (13) hidden beside it, safe
// "2" (3) hidden with "1" (9), and incidents "other" (2, the formula
// label) with "harassment" (10).
var testProfiles = []profile{
	{8, "north", "f", "3", []string{"theft"}, "", ""},
	{10, "north", "m", "3", nil, "it was fine", ""},
	{4, "north", "f", "1", []string{"theft", "harassment"}, "", ""},
	{3, "north", "m", "2", []string{"harassment"}, "", "40"},
	{6, "east", "f", "3", []string{"theft"}, "", ""},
	{2, "east", "m", "1", []string{"theft", "other"}, "", ""},
	{5, "east", "m", "3", nil, "", ""},
	{3, "south", "f", "1", []string{"harassment"}, "", ""},
}

func (p profile) answers() dialogs.Answers {
	a := dialogs.Answers{
		"area":   {Options: []string{p.area}},
		"gender": {Options: []string{p.gender}},
		"safe":   {Options: []string{p.safe}},
	}
	if p.incidents == nil {
		a["incidents"] = dialogs.Answer{Skipped: true}
	} else {
		a["incidents"] = dialogs.Answer{Options: p.incidents}
	}
	if p.story != "" {
		a["story"] = dialogs.Answer{Text: p.story}
	}
	if p.age != "" {
		a["age"] = dialogs.Answer{Text: p.age}
	}
	return a
}

// testCounters are the fixed counters of the golden files.
func testCounters(t testing.TB, s *dialogs.Script, profiles []profile, week string) map[string]int64 {
	c := map[string]int64{FieldStarted: 47, FieldDeclined: 3, FieldQuit: 2}
	for _, p := range profiles {
		for range p.n {
			for _, f := range Increments(s, p.answers(), week) {
				c[f]++
			}
		}
	}
	return c
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestGoldenExports(t *testing.T) {
	s := testScript()
	c := testCounters(t, s, testProfiles, "")
	sum := Build(s, c, 5, "open", "en")

	var js, cs bytes.Buffer
	if err := WriteJSON(&js, sum); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.json", js.Bytes())
	if err := WriteCSV(&cs, sum); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.csv", cs.Bytes())
	for _, lang := range []string{"en", "ar"} {
		var xs bytes.Buffer
		if err := WriteXLSX(&xs, Build(s, c, 5, "open", lang), lang); err != nil {
			t.Fatal(err)
		}
		golden(t, "summary_"+lang+".xlsx.txt", dumpXLSX(t, xs.Bytes()))
	}
}

func TestGoldenReport(t *testing.T) {
	s := testScript()
	s.ID, s.Kind = "incidents", dialogs.KindReport
	c := map[string]int64{FieldStarted: 60}
	for i, p := range testProfiles {
		week := []string{"2026-W47", "2026-W48", "2026-W49"}[i%3]
		for range p.n {
			for _, f := range Increments(s, p.answers(), week) {
				c[f]++
			}
		}
	}
	sum := Build(s, c, 5, "open", "fr")
	var js, cs bytes.Buffer
	if err := WriteJSON(&js, sum); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", js.Bytes())
	if err := WriteCSV(&cs, sum); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.csv", cs.Bytes())
	var xs bytes.Buffer
	if err := WriteXLSX(&xs, sum, "fr"); err != nil {
		t.Fatal(err)
	}
	golden(t, "report_fr.xlsx.txt", dumpXLSX(t, xs.Bytes()))

	if len(sum.Weeks) != 3 {
		t.Fatalf("got %d weeks, want 3", len(sum.Weeks))
	}
	var total int64
	for _, w := range sum.Weeks {
		if w.Completed != nil {
			total += *w.Completed
		}
	}
	if hidden := slices.IndexFunc(sum.Weeks, func(w WeekCount) bool { return w.Suppressed }); hidden < 0 && total != *sum.Completed {
		t.Errorf("weekly completions add up to %d, want %d", total, *sum.Completed)
	}
}

// TestGoldenContents checks, beside the golden files, the cells the brief
// singles out, so a wrong -update cannot hide them.
func TestGoldenContents(t *testing.T) {
	s := testScript()
	sum := Build(s, testCounters(t, s, testProfiles, ""), 5, "open", "en")
	byID := map[string]Question{}
	for _, q := range sum.Questions {
		byID[q.ID] = q
	}
	if _, ok := byID["welcome"]; ok {
		t.Error("info question listed")
	}
	if got, want := len(sum.Questions), 6; got != want {
		t.Errorf("got %d questions, want %d", got, want)
	}
	check := func(q, o string, want *int64) {
		t.Helper()
		for _, op := range byID[q].Options {
			if op.ID != o {
				continue
			}
			if (op.Count == nil) != (want == nil) || op.Count != nil && *op.Count != *want || op.Suppressed != (want == nil) {
				t.Errorf("%s/%s: got %v (suppressed %v), want %v", q, o, show(op.Count), op.Suppressed, show(want))
			}
			return
		}
		t.Errorf("%s/%s: not listed", q, o)
	}
	n := func(v int64) *int64 { return &v }
	check("area", "north", n(25))
	check("area", "south", nil) // 3: primary
	check("area", "east", nil)  // 13: complementary
	check("gender", "f", n(21))
	check("safe", "2", nil) // 3: primary
	check("safe", "1", nil) // 9: complementary
	check("safe", "3", n(29))
	check("incidents", "theft", n(20))
	check("incidents", "other", nil)
	check("incidents", "harassment", nil)
	if got := show(sum.Completed); got != "41" {
		t.Errorf("completed: got %s, want 41", got)
	}
	if got := show(sum.Declined); got != "null" {
		t.Errorf("declined (3): got %s, want null", got)
	}
	if got := show(byID["age"].Answered); got != "null" {
		t.Errorf("age answered (3): got %s, want null", got)
	}
	if got := show(byID["story"].Answered); got != "10" {
		t.Errorf("story answered: got %s, want 10", got)
	}
	if byID["story"].Options != nil {
		t.Error("text question has options")
	}

	var cs bytes.Buffer
	if err := WriteCSV(&cs, sum); err != nil {
		t.Fatal(err)
	}
	// DESIGN.md's eight columns, in its order, and no others.
	if !bytes.HasPrefix(cs.Bytes(), []byte("\ufeffquestion_id,option_id,by_question_id,by_option_id,count,suppressed,question,option\r\n")) {
		t.Errorf("csv header: got %q", cs.String()[:100])
	}
	if !strings.Contains(cs.String(), `incidents,other,,,,true,What happened?,"'=HYPERLINK(""http://evil.example"",""click"")"`+"\r\n") {
		t.Error("csv: the formula label is not neutralised, or the hidden row is not empty/true")
	}
	var xs bytes.Buffer
	if err := WriteXLSX(&xs, sum, "en"); err != nil {
		t.Fatal(err)
	}
	if dump := string(dumpXLSX(t, xs.Bytes())); !strings.Contains(dump, `s '=HYPERLINK(`) || strings.Contains(dump, "\ts =HYPERLINK") {
		t.Error("xlsx: the formula label is not neutralised")
	}
}

func show(p *int64) string {
	if p == nil {
		return "null"
	}
	return strconv.FormatInt(*p, 10)
}

// dumpXLSX reads a workbook back and lists every sheet (with its reading
// direction) and every non-empty cell with its type. The generation day is
// replaced by a placeholder after checking it is today's (UTC) date.
func dumpXLSX(t *testing.T, data []byte) []byte {
	t.Helper()
	return dumpWorkbook(t, data, time.Now().UTC())
}
