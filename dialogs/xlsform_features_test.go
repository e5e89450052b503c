package dialogs

import (
	"fmt"
	"strings"
	"testing"
)

// form builds a one-sheet-per-map workbook: survey (and choices, settings
// when given), as a facilitator would write it.
func form(t *testing.T, survey [][]string, choices [][]string, settings [][]string) []byte {
	t.Helper()
	sheets := []string{"survey"}
	rows := map[string][][]string{"survey": survey}
	if choices != nil {
		sheets, rows["choices"] = append(sheets, "choices"), choices
	}
	if settings != nil {
		sheets, rows["settings"] = append(sheets, "settings"), settings
	}
	return workbook(t, sheets, rows)
}

func convert(t *testing.T, file string, data []byte) *Conversion {
	t.Helper()
	return ConvertXLSForm(file, data, XLSFormOptions{})
}

func mustScript(t *testing.T, c *Conversion) *Script {
	t.Helper()
	if len(c.Errors) > 0 {
		t.Fatalf("refused:\n%v", c.Errors)
	}
	return c.Script
}

// run answers a script's questions in order with the given inputs (typed
// text, or "#n" to press the n-th button of the last reply) and returns
// the transcript of replies.
func run(t *testing.T, s *Script, lang string, inputs ...string) (string, Result) {
	t.Helper()
	r := Start(s, lang)
	var b strings.Builder
	writeReplies(&b, r.Replies)
	st := r.State
	if st.Phase == PhaseLanguage {
		r = Step(s, st, Input{Kind: InputButton, Data: token(s, st.Seq) + ":l" + lang})
		st = r.State
	}
	r = Step(s, st, Input{Kind: InputButton, Data: token(s, st.Seq) + ":y"})
	writeReplies(&b, r.Replies)
	for _, in := range inputs {
		st = r.State
		var i Input
		if strings.HasPrefix(in, "#") {
			var bt []Button
			for _, rep := range r.Replies {
				bt = append(bt, rep.Buttons...)
			}
			n := int(in[1] - '0')
			if n >= len(bt) {
				t.Fatalf("no button %d in %v", n, bt)
			}
			i = Input{Kind: InputButton, Data: bt[n].Data}
		} else {
			i = Input{Kind: InputText, Text: in}
		}
		r = Step(s, st, i)
		writeReplies(&b, r.Replies)
		if err := r.State.validAll(s); err != nil {
			t.Fatalf("after %q: %v", in, err)
		}
	}
	return b.String(), r
}

func TestXLSFormFeatures(t *testing.T) {
	head := []string{"type", "name", "label"}
	t.Run("settings optional, form id from the file name, names keep their case", func(t *testing.T) {
		s := mustScript(t, convert(t, "Market Survey 2026.xlsx", form(t, [][]string{head,
			{"text", "Where", "Where do you sell?"}, {"integer", "where", "How many stalls?"}}, nil, nil)))
		if s.ID != "market-survey-2026" || s.Questions[0].ID != "Where" || s.Questions[1].ID != "where" {
			t.Errorf("id %q, questions %q %q", s.ID, s.Questions[0].ID, s.Questions[1].ID)
		}
	})
	t.Run("sheet and column names case-insensitive, list names as written", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", workbook(t, []string{"Survey", "CHOICES"}, map[string][][]string{
			"Survey":  {{"Type", "Name", "Label"}, {"select_one Yes_No", "ok", "OK?"}},
			"CHOICES": {{"List Name", "Name", "Label"}, {"Yes_No", "Y", "Yes"}, {"Yes_No", "N", "No"}},
		})))
		if ids := s.OptionIDs(&s.Questions[0]); strings.Join(ids, ",") != "Y,N" {
			t.Errorf("options %v", ids)
		}
	})
	t.Run("label:Lang, label::Lang (code) and a plain label as the default", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t, [][]string{{"type", "name", "label", "label::Français (fr)", "label:Arabic"},
			{"text", "q", "Question?", "Question ?", "سؤال؟"}}, nil, nil)))
		if strings.Join(s.Languages, ",") != "en,fr,ar" || s.Questions[0].Text["fr"] != "Question ?" || s.Questions[0].Text["ar"] != "سؤال؟" {
			t.Errorf("languages %v text %v", s.Languages, s.Questions[0].Text)
		}
	})
	t.Run("version any string", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t, [][]string{head, {"text", "q", "Q?"}}, nil,
			[][]string{{"form_id", "version"}, {"f", "2026120401"}})))
		if s.Version < 1 {
			t.Errorf("version %d", s.Version)
		}
	})
	t.Run("integer refuses decimals, decimal takes them", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t, [][]string{head, {"integer", "n", "How many?"}, {"decimal", "d", "How much?"}}, nil, nil)))
		out, r := run(t, s, "en", "2.5", "2", "2.5")
		if !strings.Contains(out, "whole number") || !r.Ended || r.Effects[len(r.Effects)-1].Answers["d"].Text != "2.5" {
			t.Errorf("transcript:\n%s", out)
		}
	})
	t.Run("date and time", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t, [][]string{head, {"date", "day", "When?"}, {"time", "hour", "What time?"}}, nil, nil)))
		_, r := run(t, s, "en", "31/12/2025", "7h05")
		a := r.Effects[len(r.Effects)-1].Answers
		if a["day"].Text != "2025-12-31" || a["hour"].Text != "07:05" {
			t.Errorf("answers %v", a)
		}
	})
	t.Run("or_other, hint, ${name} in labels, markdown and HTML stripped", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t,
			[][]string{{"type", "name", "label", "hint", "relevant"},
				{"select_one where or_other", "where", "Where *exactly*?", "<b>One</b> place", ""},
				{"text", "why", "Why ${where}?", "", ""},
				{"note", "bye", "You said **${where_other}** — see [site](https://example.org)", "", ""}},
			[][]string{{"list_name", "name", "label"}, {"where", "market", "Market"}}, nil)))
		// As pyxform does, Other is followed by "Specify other." (where_other).
		out, _ := run(t, s, "en", "#1", "the bus stop", "dark")
		for _, w := range []string{"Where exactly?\n     One place", "[Other]", "Specify other.", "Why Other?", "You said the bus stop — see site (https://example.org)"} {
			if !strings.Contains(out, w) {
				t.Errorf("transcript lacks %q:\n%s", w, out)
			}
		}
	})
	t.Run("constraint with its message, required with its message", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t,
			[][]string{{"type", "name", "label", "constraint", "constraint_message", "required", "required_message"},
				{"integer", "age", "Age?", ". >= 18 and . < 120", "Adults only, ${age}", "yes", "We need your age."}}, nil, nil)))
		out, r := run(t, s, "en", "12", "/skip", "30")
		if !strings.Contains(out, "Adults only") || !r.Ended {
			t.Errorf("transcript:\n%s", out)
		}
		st := Step(s, Start(s, "").State, Input{Kind: InputButton, Data: token(s, 1) + ":y"}).State
		if r := Step(s, st, Input{Kind: InputCommand, Command: "skip"}); r.Replies[0].Text != "We need your age." {
			t.Errorf("skip a required question: %q", r.Replies[0].Text)
		}
	})
	t.Run("choice_filter cascades", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t,
			[][]string{{"type", "name", "label", "choice_filter"},
				{"select_one region", "region", "Region?", ""}, {"select_one town", "town", "Town?", "region=${region}"}},
			[][]string{{"list_name", "name", "label", "region"}, {"region", "n", "North", ""}, {"region", "s", "South", ""},
				{"town", "a", "Alpha", "n"}, {"town", "b", "Beta", "s"}, {"town", "c", "Gamma", "s"}}, nil)))
		out, r := run(t, s, "en", "#1", "#1")
		if !strings.Contains(out, "[Beta] [Gamma]") || strings.Contains(out, "[Alpha]") || r.Effects[len(r.Effects)-1].Answers["town"].Options[0] != "c" {
			t.Errorf("transcript:\n%s", out)
		}
	})
	t.Run("calculate with the common functions", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t,
			[][]string{{"type", "name", "label", "calculation"},
				{"integer", "n", "How many?", ""},
				{"calculate", "c", "", "if(${n} > 2, concat('many:', ${n} * 2), coalesce('', 'few'))"},
				{"note", "say", "${c} / ${n}", ""}}, nil, nil)))
		out, _ := run(t, s, "en", "3")
		if !strings.Contains(out, "many:6 / 3") {
			t.Errorf("transcript:\n%s", out)
		}
	})
	t.Run("repeat asks add another, up to its cap", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t,
			[][]string{head, {"begin repeat", "child", "Child"}, {"integer", "age", "Age of the child?"}, {"end repeat", "", ""},
				{"text", "done", "Anything else?"}}, nil, nil)))
		out, r := run(t, s, "en", "3", "#0", "5", "#1", "no")
		if strings.Count(out, "Age of the child?") != 2 || !strings.Contains(out, "Add another “Child”?") || !r.Ended {
			t.Errorf("transcript:\n%s", out)
		}
		if a := r.Effects[len(r.Effects)-1].Answers; a["child"].Text != "2" || a["age"].Text != "5" {
			t.Errorf("answers %v", a)
		}
	})
	t.Run("rank and acknowledge", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t,
			[][]string{head, {"acknowledge", "read", "I have read the rules"}, {"rank prio", "prio", "Most urgent first"}},
			[][]string{{"list_name", "name", "label"}, {"prio", "light", "Lighting"}, {"prio", "police", "Patrols"}}, nil)))
		_, r := run(t, s, "en", "#0", "#1", "#0")
		a := r.Effects[len(r.Effects)-1].Answers
		if a["read"].Text != "OK" || strings.Join(a["prio"].Options, ",") != "police,light" {
			t.Errorf("answers %v", a)
		}
	})
	t.Run("identifying rows refused one per row, or dropped", func(t *testing.T) {
		data := form(t, [][]string{head, {"geopoint", "where", "Where are you?"}, {"text", "q", "Q?"},
			{"audio", "voice", "Say it"}, {"email", "mail", "Mail?"}}, nil, nil)
		c := convert(t, "f.xlsx", data)
		var got []string
		for _, e := range c.Errors {
			got = append(got, e.Error())
		}
		want := []string{
			`f.xlsx:survey:2: type geopoint would identify or locate a respondent (it records a location); remove the row, or convert with --drop-identifying: "where"`,
			`f.xlsx:survey:4: type audio would identify or locate a respondent (it records the respondent's voice); remove the row, or convert with --drop-identifying: "voice"`,
			`f.xlsx:survey:5: type email would identify or locate a respondent (it records an e-mail address); remove the row, or convert with --drop-identifying: "mail"`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		d := ConvertXLSForm("f.xlsx", data, XLSFormOptions{DropIdentifying: true})
		if len(d.Errors) != 0 || len(d.Dropped) != 3 || len(d.Script.Questions) != 1 {
			t.Errorf("drop: %v, %d dropped", d.Errors, len(d.Dropped))
		}
	})
	t.Run("start, end, today and questions asking for a name are warned about", func(t *testing.T) {
		c := convert(t, "f.xlsx", form(t, [][]string{head, {"start", "start", ""}, {"today", "today", ""},
			{"text", "nom", "Votre nom ?"}, {"text", "tel", "رقم هاتفك؟"}, {"text", "q", "Why?"}}, nil, nil))
		mustScript(t, c)
		var w []string
		for _, e := range c.Warnings {
			w = append(w, e.Error())
		}
		all := strings.Join(w, "\n")
		for _, want := range []string{"survey:2: type start is ignored", "survey:3: type today is ignored", "survey:4: this text question seems to ask for a name", "survey:5: this text question"} {
			if !strings.Contains(all, want) {
				t.Errorf("warnings lack %q:\n%s", want, all)
			}
		}
		if strings.Contains(all, "survey:6") {
			t.Errorf("warned about an innocent question:\n%s", all)
		}
	})
	t.Run("every error at once, sorted by sheet and row", func(t *testing.T) {
		c := convert(t, "f.xlsx", form(t, [][]string{head, {"select_one nope", "a", "A?"}, {"bogus", "b", "B?"},
			{"text", "1bad", "C?"}, {"end group", "", ""}, {"begin group", "", "Unnamed"}, {"text", "d", "D?"}, {"end group", "", ""}},
			[][]string{{"list_name", "name", "label"}, {"x", "has space", "X"}}, [][]string{{"default_language"}, {"Klingon"}}))
		var got []string
		for _, e := range c.Errors {
			got = append(got, e.Sheet+":"+strings.TrimSpace(strings.Split(e.Error(), ":")[2]))
		}
		if want := "settings:2 survey:2 survey:3 survey:4 survey:5 survey:6"; strings.Join(got, " ") != want {
			t.Errorf("errors at %q, want %q:\n%v", strings.Join(got, " "), want, c.Errors)
		}
	})
	t.Run("csv and markdown forms", func(t *testing.T) {
		csv := "survey,type,name,label\n,text,q,Why?\nchoices,list_name,name,label\n"
		s := mustScript(t, convert(t, "f.csv", []byte(csv)))
		md := "| survey | type | name | label |\n| | --- | --- | --- |\n| | integer | n | How many? |\n"
		m := mustScript(t, convert(t, "f.md", []byte(md)))
		if s.Questions[0].ID != "q" || m.Questions[0].Type != TypeNumber {
			t.Errorf("csv %+v md %+v", s.Questions, m.Questions)
		}
	})
	t.Run("a workbook of one sheet, whatever its name, is the survey", func(t *testing.T) {
		c := convert(t, "quick.xlsx", workbook(t, []string{"Sheet1"}, map[string][][]string{"Sheet1": {head, {"text", "q", "Why?"}}}))
		if s := mustScript(t, c); s.Questions[0].ID != "q" || !strings.Contains(fmt.Sprint(c.Warnings), "Sheet1: the only sheet is read as the survey sheet") {
			t.Errorf("questions %+v warnings %v", s.Questions, c.Warnings)
		}
	})
	t.Run("rows after more than 60 empty rows and columns after more than 20 empty headers are not read, with a warning", func(t *testing.T) {
		rows := [][]string{append(append(append([]string{}, head...), make([]string, 21)...), "stray"), {"text", "a", "A?"}}
		for i := 0; i < 60; i++ {
			rows = append(rows, nil)
		}
		rows = append(rows, []string{"text", "b", "B?"}) // after exactly 60: read
		for i := 0; i < 61; i++ {
			rows = append(rows, nil)
		}
		rows = append(rows, []string{"party like it's row 125"})
		c := convert(t, "f.xlsx", form(t, rows, nil, nil))
		s := mustScript(t, c)
		if len(s.Questions) != 2 || s.Questions[1].ID != "b" {
			t.Errorf("questions %+v", s.Questions)
		}
		w := fmt.Sprint(c.Warnings)
		if !strings.Contains(w, "f.xlsx:survey:125: this row and those after it are not read") || !strings.Contains(w, `f.xlsx:survey:1: this column and those after it are not read`) {
			t.Errorf("warnings %v", c.Warnings)
		}
	})
	t.Run("select_one_external takes its list from external_choices", func(t *testing.T) {
		data := workbook(t, []string{"survey", "external_choices"}, map[string][][]string{
			"survey":           {head, {"select_one_external Towns", "town", "Town?"}},
			"external_choices": {{"list_name", "name", "label"}, {"Towns", "a", "Alpha"}, {"Towns", "b", "Beta"}},
		})
		s := mustScript(t, convert(t, "f.xlsx", data))
		if q := s.Questions[0]; q.Type != TypeChoice || strings.Join(s.OptionIDs(&q), ",") != "a,b" {
			t.Errorf("question %+v", q)
		}
		bad := workbook(t, []string{"survey"}, map[string][][]string{"survey": {head, {"select_one_external towns", "town", "Town?"}}})
		if c := convert(t, "f.xlsx", bad); !strings.Contains(fmt.Sprint(c.Errors), `f.xlsx:survey:2: no list named "towns" in the external_choices sheet`) {
			t.Errorf("errors %v", c.Errors)
		}
	})
	t.Run("begin loop over a list asks its rows once per choice", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t,
			[][]string{{"type", "name", "label::English (en)", "label::Français (fr)", "relevant"},
				{"begin loop over kinds", "per_kind", "", "", ""},
				{"integer", "n", "How many %(label)s?", "Combien de %(label)s ?", ""},
				{"text", "why", "Why %(name)s?", "Pourquoi ?", "${n} > 0"},
				{"note", "thanks", "Thanks", "Merci", ""},
				{"end loop", "", "", "", ""}},
			[][]string{{"list_name", "name", "label::English (en)", "label::Français (fr)"},
				{"kinds", "lamp", "lamps", "lampes"}, {"kinds", "none", "none", "aucun"}, {"kinds", "cam", "cameras", "caméras"}}, nil)))
		var ids []string
		for _, q := range s.Questions {
			ids = append(ids, q.ID)
		}
		if strings.Join(ids, ",") != "n_lamp,why_lamp,thanks_lamp,n_cam,why_cam,thanks_cam" {
			t.Fatalf("ids %v", ids)
		}
		// A label that does not name the choice is preceded by it.
		if s.Questions[3].Text["fr"] != "Combien de caméras ?" || s.Questions[1].Text["en"] != "Why lamp?" || s.Questions[4].Relevant != "${n_cam} > 0" ||
			s.Questions[2].Text["en"] != "lamps — Thanks" || s.Questions[5].Text["fr"] != "caméras — Merci" {
			t.Errorf("questions %+v", s.Questions)
		}
		out, _ := run(t, s, "en", "0", "2", "broken")
		if strings.Contains(out, "Why lamp?") || !strings.Contains(out, "Why cam?") {
			t.Errorf("transcript:\n%s", out)
		}
	})
	t.Run("relevant may read a later question, which is empty then, with a warning", func(t *testing.T) {
		c := convert(t, "f.xlsx", form(t, [][]string{{"type", "name", "label", "relevant"},
			{"note", "early", "Shown only if b is answered", "${b} != ''"}, {"text", "b", "B?", ""}, {"text", "c", "C?", "${c} = 'x'"}}, nil, nil))
		if !strings.Contains(fmt.Sprint(c.Errors), `f.xlsx:survey:4: relevant of "c" refers to the question itself`) {
			t.Errorf("errors %v", c.Errors)
		}
		c = convert(t, "f.xlsx", form(t, [][]string{{"type", "name", "label", "relevant"},
			{"note", "early", "Shown only if b is answered", "${b} != ''"}, {"text", "b", "B?", ""}}, nil, nil))
		s := mustScript(t, c)
		if !strings.Contains(fmt.Sprint(c.Warnings), `f.xlsx:survey:2: relevant of "early" reads "b", which is asked later`) {
			t.Errorf("warnings %v", c.Warnings)
		}
		if out, r := run(t, s, "en", "hello"); strings.Contains(out, "Shown only") || !r.Ended {
			t.Errorf("transcript:\n%s", out)
		}
	})
	t.Run("KoboToolbox's begin_kobomatrix asks its columns once per row of kobo--matrix_list", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t,
			[][]string{{"type", "name", "label", "kobo--matrix_list", "relevant"},
				{"begin_kobomatrix", "M1", "Assets", "assets", ""},
				{"select_one yn", "Q1", "Do you have?", "", ""},
				{"integer", "Q2", "How many?", "", "${Q1} != 'no'"},
				{"end_kobomatrix", "", "", "", ""}},
			[][]string{{"list_name", "name", "label"}, {"assets", "car", "Car"}, {"assets", "bike", "Bike"}, {"yn", "yes", "Yes"}, {"yn", "no", "No"}}, nil)))
		var ids []string
		for _, q := range s.Questions {
			ids = append(ids, q.ID)
		}
		if strings.Join(ids, ",") != "M1_car_Q1,M1_car_Q2,M1_bike_Q1,M1_bike_Q2" || s.Questions[3].Relevant != "${M1_bike_Q1} != 'no'" || s.Questions[2].Text["en"] != "Bike — Do you have?" {
			t.Errorf("questions %+v", s.Questions)
		}
	})
	t.Run("text hidden by HTML is not shown, unless it is all there is", func(t *testing.T) {
		s := mustScript(t, convert(t, "f.xlsx", form(t, [][]string{head,
			{"text", "a", `Cost<span style="display:none">r1-cost</span>?`}, {"text", "b", `<span style="display: none">only this</span>`}}, nil, nil)))
		if s.Questions[0].Text["en"] != "Cost?" || s.Questions[1].Text["en"] != "only this" {
			t.Errorf("texts %q %q", s.Questions[0].Text, s.Questions[1].Text)
		}
	})
	t.Run("nested loops that would make a huge form are refused once", func(t *testing.T) {
		rows := []string{"| survey | type | name | label |", "| | begin loop over l | l1 | |", "| | begin loop over l | l2 | |",
			"| | begin loop over l | l3 | |", "| | integer | n | ${n} %(label)s |", "| | end loop | | |", "| | end loop | | |", "| | end loop | | |",
			"| choices | list_name | name | label |"}
		for i := 0; i < 300; i++ {
			rows = append(rows, fmt.Sprintf("| | l | c%d | C%d |", i, i))
		}
		c := convert(t, "f.md", []byte(strings.Join(rows, "\n")))
		if len(c.Errors) != 1 || !strings.Contains(c.Errors[0].Msg, "the loop makes more than 20000 rows") {
			t.Errorf("errors %v", c.Errors)
		}
	})
	t.Run("a labelled-less question with a calculation is computed; trigger and randomize are warned about", func(t *testing.T) {
		c := convert(t, "f.xlsx", form(t,
			[][]string{{"type", "name", "label", "calculation", "trigger", "read_only", "parameters"},
				{"integer", "temp", "Temperature?", "", "", "", ""},
				{"dateTime", "temp_ts", "", "now()", "${temp}", "", ""},
				{"text", "temp_f", "In Fahrenheit", "32 + 1.8 * ${temp}", "${temp}", "true", ""},
				{"select_one yn", "top", "Favourite?", "", "", "", "randomize=true"}},
			[][]string{{"list_name", "name", "label"}, {"yn", "y", "Yes"}, {"yn", "n", "No"}}, nil))
		s := mustScript(t, c)
		if s.Questions[1].Type != TypeCalculate {
			t.Errorf("temp_ts is %s", s.Questions[1].Type)
		}
		w := fmt.Sprint(c.Warnings)
		for _, want := range []string{"f.xlsx:survey:3: trigger is not supported", "f.xlsx:survey:4: trigger is not supported", "f.xlsx:survey:5: randomize is not supported"} {
			if !strings.Contains(w, want) {
				t.Errorf("warnings lack %q: %v", want, c.Warnings)
			}
		}
		if out, _ := run(t, s, "en", "20"); !strings.Contains(out, "In Fahrenheit\n     68") {
			t.Errorf("transcript:\n%s", out)
		}
	})
	t.Run("an entities sheet is warned about, not used", func(t *testing.T) {
		data := workbook(t, []string{"survey", "entities"}, map[string][][]string{
			"survey": {head, {"text", "q", "Why?"}}, "entities": {{"list_name", "label"}, {"households", "${q}"}}})
		c := convert(t, "f.xlsx", data)
		if mustScript(t, c); !strings.Contains(fmt.Sprint(c.Warnings), "f.xlsx:entities: the entities sheet is not used") {
			t.Errorf("warnings %v", c.Warnings)
		}
	})
	t.Run("a constraint calling today() is not checked, with a warning, instead of refusing every date", func(t *testing.T) {
		c := convert(t, "f.xlsx", form(t, [][]string{{"type", "name", "label", "constraint", "calculation"},
			{"date", "d", "When did it happen?", ". <= today()", ""}, {"calculate", "c", "", "", "now()"}, {"note", "n", "${c}", "", ""}}, nil, nil))
		s := mustScript(t, c)
		w := fmt.Sprint(c.Warnings)
		for _, want := range []string{`f.xlsx:survey:2: the constraint of "d" is not checked`, `f.xlsx:survey:3: the calculation of "c" reads now() as empty`} {
			if !strings.Contains(w, want) {
				t.Errorf("warnings lack %q: %v", want, c.Warnings)
			}
		}
		out, r := run(t, s, "en", "2020-01-01")
		if !r.Ended {
			t.Errorf("the date was refused")
		}
		// The note showing the empty calculation is not sent empty.
		if strings.Contains(out, "bot: \n") || strings.HasSuffix(out, "bot: ") {
			t.Errorf("an empty message was sent:\n%q", out)
		}
	})
}
