package dialogs

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// head is lines 1-6 of the test scripts; questions start on line 7.
const head = `id: t
version: 1
languages: [en, fr]
title: {en: T, fr: T}
consent: {en: C, fr: C}
questions:
`

const qa = `  - id: a
    type: choice
    text: {en: Aa, fr: Ab}
    options: [{id: x, label: {en: X, fr: X}}, {id: y, label: {en: Y, fr: Y}}]
` // lines 7-10

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		line     int
		msg      string // substring of Msg
		hint     string // substring of Hint, "" for none checked
		wantMore bool   // other errors may come too
	}{
		{"yaml syntax", "id: t\nversion: 1\nkind: a: b\n", 3, "invalid YAML", "", false},
		{"question mark in flow", head + strings.Replace(qa, "{en: Aa, fr: Ab}", "{en: Where?, fr: Où ?}", 1), 9, "did not find expected ','", "put texts in quotes", false},
		{"empty", "", 0, "empty script", "", false},
		{"script id", strings.Replace(head, "id: t", "id: Night_Safety", 1) + qa, 1, "invalid script id", "a-z", false},
		{"missing id", strings.Replace(head, "id: t\n", "", 1) + qa, 1, "missing id", "", false},
		{"unknown top key", head + qa + "outtro: {en: bye, fr: bye}\n", 11, "unknown key", `did you mean "outro"?`, false},
		{"duplicate key", head + qa + "version: 2\n", 11, "duplicate key", "first at line 2", false},
		{"unknown question key", head + qa + "    optinal: true\n", 11, "unknown key", `did you mean "optional"?`, false},
		{"duplicate question id", head + qa + strings.Replace(qa, "id: a", "id: a ", 1), 11, "duplicate question id", "first used at line 7", false},
		{"question id", head + strings.Replace(qa, "id: a", "id: Area!", 1), 7, "invalid question id", "", false},
		{"option id", head + strings.Replace(qa, "{id: x,", "{id: X Y,", 1), 10, "invalid option id", "", false},
		{"duplicate option id", head + strings.Replace(qa, "{id: y,", "{id: x,", 1), 10, "duplicate option id", "", false},
		{"unknown question in relevant", head + qa + `  - id: b
    type: text
    relevant: "${aa} = 'x'"
    text: {en: Ba, fr: Bb}
`, 13, `relevant refers to unknown question "aa"`, `did you mean "a"?`, false},
		{"unknown option in relevant", head + qa + `  - id: b
    type: text
    relevant: "selected(${a}, 'z')"
    text: {en: Ba, fr: Bb}
`, 13, `unknown option "z" of question "a"`, "", false},
		{"relevant to itself", head + `  - id: b
    type: text
    relevant: "${b} = 'x'"
    text: {en: Ba, fr: Bb}
` + qa, 9, `relevant of "b" refers to the question itself`, "its own answer", false},
		{"relevant syntax", head + qa + `  - id: b
    type: text
    relevant: "${a} = = 'x'"
    text: {en: Ba, fr: Bb}
`, 13, "invalid relevant: unexpected \"=\" at position 8", "", false},
		{"missing translation", head + strings.Replace(qa, "{en: Aa, fr: Ab}", "{en: Aa}", 1), 9, "missing fr translation of text", "", false},
		{"missing option translation", head + strings.Replace(qa, "{en: Y, fr: Y}", "{en: Y}", 1), 10, "missing fr translation of label", "", false},
		{"undeclared language", head + strings.Replace(qa, "{en: Aa, fr: Ab}", "{en: Aa, fr: Ab, de: Ac}", 1), 9, `language "de" is not in languages`, "", false},
		{"plain string is the default language", head + strings.Replace(qa, "{en: Aa, fr: Ab}", "Aa", 1), 9, "missing fr translation of text", "", false},
		{"empty options", head + `  - id: a
    type: multi
    text: {en: Aa, fr: Ab}
    options: []
`, 10, "a multi question needs at least one option", "", false},
		{"choice without options", head + `  - id: a
    type: choice
    text: {en: Aa, fr: Ab}
`, 7, "a choice question needs at least one option", "", false},
		{"k below 2", strings.Replace(head, "version: 1", "k: 1", 1) + qa, 2, "k must be 2 or more", "", false},
		{"scale min >= max", head + `  - id: s
    type: scale
    min: 5
    max: 5
    text: {en: Sa, fr: Sb}
`, 9, "scale min must be below max", "", false},
		{"scale too wide", head + `  - id: s
    type: scale
    min: 0
    max: 100
    text: {en: Sa, fr: Sb}
`, 10, "at most 11 points", "", false},
		{"unknown type", head + strings.Replace(qa, "type: choice", "type: choise", 1), 8, "unknown question type", `did you mean "choice"?`, false},
		{"missing type", head + strings.Replace(qa, "    type: choice\n", "", 1), 7, "question without type", "", false},
		{"segment on text", head + `  - id: s
    type: text
    segment: true
    text: {en: Sa, fr: Sb}
`, 9, "segment applies only to choice and scale", "", false},
		{"options on text", head + `  - id: s
    type: text
    text: {en: Sa, fr: Sb}
    options: [{id: x, label: {en: X, fr: X}}]
`, 10, "options applies only to choice and multi", "", false},
		{"unknown language code", strings.Replace(head, "[en, fr]", "[en, english]", 1) + qa, 3, "unknown language code", "BCP 47", true},
		{"duplicate language", strings.Replace(head, "[en, fr]", "[en, fr, en]", 1) + qa, 3, "duplicate language", "", false},
		{"max_length above 4000", head + `  - id: s
    type: text
    max_length: 5000
    text: {en: Sa, fr: Sb}
`, 9, "max_length must be between 1 and 4000", "", false},
		{"no questions", head + "  []\n", 7, "at least one question", "", false},
		{"not a bool", head + qa + "    segment: yes\n", 11, "must be true or false", "", false},
		{"not a number", head + `  - id: s
    type: scale
    max: five
    text: {en: Sa, fr: Sb}
`, 9, "must be a whole number", "", false},
		{"bad time", head + qa + "opens: next monday\n", 11, "must be an RFC 3339 time", "2026-03-01", false},
		{"closes before opens", head + qa + "opens: 2026-03-01T00:00:00Z\ncloses: 2026-02-01T00:00:00Z\n", 12, "closes must be after opens", "", false},
		{"unknown kind", strings.Replace(head, "version: 1", "kind: reprot", 1) + qa, 2, "unknown kind", `did you mean "report"?`, false},
		{"missing title", strings.Replace(head, "title: {en: T, fr: T}\n", "", 1) + qa, 1, "missing title", "", false},
		{"text not a map", head + strings.Replace(qa, "{en: Aa, fr: Ab}", "[A]", 1), 9, "must be a text or a map", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load("test.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("Load succeeded (%s), want error %q", s.ID, tc.msg)
			}
			var errs ValidationErrors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want ValidationErrors", err)
			}
			if !tc.wantMore && len(errs) != 1 {
				t.Errorf("got %d errors, want 1:\n%v", len(errs), err)
			}
			var found bool
			for _, e := range errs {
				if strings.Contains(e.Msg, tc.msg) {
					found = true
					if e.File != "test.yaml" {
						t.Errorf("File = %q, want test.yaml", e.File)
					}
					if e.Line != tc.line {
						t.Errorf("Line = %d, want %d (%v)", e.Line, tc.line, e)
					}
					if !strings.Contains(e.Hint, tc.hint) {
						t.Errorf("Hint = %q, want it to contain %q", e.Hint, tc.hint)
					}
				}
			}
			if !found {
				t.Errorf("got errors:\n%v\nwant one containing %q", err, tc.msg)
			}
		})
	}
}

func TestValidationErrorFormat(t *testing.T) {
	e := ValidationError{File: "s.yaml", Line: 12, Msg: "unknown key", Snippet: "optinal", Hint: `did you mean "optional"?`}
	if got, want := e.Error(), `s.yaml:12: unknown key: "optinal" (did you mean "optional"?)`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	es := ValidationErrors{e, {File: "s.yaml", Msg: "empty script"}}
	if got, want := es.Error(), e.Error()+"\ns.yaml: empty script"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestLoadFillsDefaults(t *testing.T) {
	src := `id: night-safety
languages: [en, ar]
title: Safety at night
consent: {en: OK, ar: موافق}
intro: {en: Hello, ar: مرحبا}
safe_words: ["stop now"]
erase_as_you_go: true
opens: 2026-03-01T08:00:00Z
closes: 2026-04-01T08:00:00+03:00
publish: true
questions:
  - id: safe_at_night
    type: scale
    text: {en: "Safe?", ar: "آمن؟"}
    segment: true
  - id: story
    type: text
    optional: true
    text: {en: "Story?", ar: قصة}
  - id: age
    type: number
    min: 0
    text: {en: Age, ar: العمر}
`
	_, err := Load("n.yaml", []byte(src))
	if err == nil {
		t.Fatalf("title has no ar translation, want an error")
	}
	src = strings.Replace(src, "title: Safety at night", "title: {en: Safety at night, ar: الأمان ليلا}", 1)
	s, err := Load("n.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.Kind != KindConsultation || s.K != 0 || !s.Publish || !s.EraseAsYouGo || s.File != "n.yaml" {
		t.Errorf("got version %d kind %q k %d publish %v erase %v file %q, want 1 consultation 0 true true n.yaml",
			s.Version, s.Kind, s.K, s.Publish, s.EraseAsYouGo, s.File)
	}
	if want := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC); !s.Opens.Equal(want) {
		t.Errorf("opens = %v, want %v", s.Opens, want)
	}
	if want := time.Date(2026, 4, 1, 5, 0, 0, 0, time.UTC); !s.Closes.Equal(want) {
		t.Errorf("closes = %v, want %v", s.Closes, want)
	}
	if got := s.Title["en"]; got != "Safety at night" {
		t.Errorf("title[en] = %q", got)
	}
	q := s.Questions[0]
	if got, want := s.OptionIDs(&q), []string{"1", "2", "3", "4", "5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("scale options = %v, want %v", got, want)
	}
	if q.Options[2].Label["ar"] != "3" || q.Min != 1 || q.Max != 5 {
		t.Errorf("scale option label %v, bounds %d..%d, want 3 and 1..5", q.Options[2].Label, q.Min, q.Max)
	}
	if got := s.Questions[1].MaxLength; got != 1000 {
		t.Errorf("text max_length = %d, want 1000", got)
	}
	if a := s.Questions[2]; !a.HasMin || a.HasMax || a.Min != 0 {
		t.Errorf("number bounds HasMin %v HasMax %v Min %d, want true false 0", a.HasMin, a.HasMax, a.Min)
	}
	if got := s.Text(s.Intro, "ar-EG"); got != "مرحبا" {
		t.Errorf("Text(intro, ar-EG) = %q", got)
	}
	if got := s.Text(s.Intro, "sw"); got != "Hello" {
		t.Errorf("Text(intro, sw) = %q, want the default language", got)
	}
}

func TestLoadFS(t *testing.T) {
	good := head + qa
	fsys := fstest.MapFS{
		"a.yaml":     {Data: []byte(good)},
		"b.yml":      {Data: []byte(strings.Replace(good, "id: t", "id: t", 1))},
		"c.yaml":     {Data: []byte(head + "  []\n")},
		"readme.txt": {Data: []byte("not a script")},
		"d.yaml":     {Data: []byte(strings.Replace(good, "id: t\n", "id: u\n", 1))},
	}
	ss, err := LoadFS(fsys)
	if len(ss) != 2 || ss[0].ID != "t" || ss[1].ID != "u" {
		t.Errorf("got %d scripts, want t and u", len(ss))
	}
	if err == nil {
		t.Fatal("want an error for b.yml (duplicate id) and c.yaml (no questions)")
	}
	for _, want := range []string{"b.yml", "already used by a.yaml", "c.yaml:7: a script needs at least one question"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "readme") {
		t.Errorf("error mentions readme.txt: %v", err)
	}
}

func TestBundled(t *testing.T) {
	ss, err := LoadFS(Bundled())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, s := range ss {
		kinds[s.ID] = s.Kind
		if !reflect.DeepEqual(s.Languages, []string{"en", "fr", "ar"}) {
			t.Errorf("%s languages %v, want en fr ar", s.ID, s.Languages)
		}
		if s.K != 5 {
			t.Errorf("%s k = %d, want 5", s.ID, s.K)
		}
		if len(s.SafeWords) == 0 {
			t.Errorf("%s has no safe words", s.ID)
		}
	}
	want := map[string]string{"community-safety": KindConsultation, "incident-report": KindReport}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("bundled %v, want %v", kinds, want)
	}
	cs := bundledScript(t, "community-safety")
	var segments []string
	for _, q := range cs.Questions {
		if q.Segment {
			segments = append(segments, q.ID)
			if optionIndex(&q, "no_answer") < 0 {
				t.Errorf("segment question %s has no prefer-not-to-say option", q.ID)
			}
		}
	}
	if want := []string{"area", "gender", "age", "group"}; !reflect.DeepEqual(segments, want) {
		t.Errorf("segments %v, want %v", segments, want)
	}
	if !cs.Publish {
		t.Error("community-safety is not published")
	}
	for _, l := range cs.Languages {
		if c := cs.Text(cs.Consent, l); !strings.Contains(c, "/stop") {
			t.Errorf("consent in %s does not mention /stop: %q", l, c)
		}
	}
}
