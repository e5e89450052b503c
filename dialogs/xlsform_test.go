package dialogs

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xuri/excelize/v2"
)

// workbook builds an .xlsx with the given sheets (first row: headers).
func workbook(t testing.TB, sheets []string, rows map[string][][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range rows[name] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			vals := make([]any, len(row))
			for j, v := range row {
				vals[j] = v
			}
			if err := f.SetSheetRow(name, cell, &vals); err != nil {
				t.Fatal(err)
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var surveyHead = []string{"type", "name", "label::English (en)", "label::Français (fr)", "relevant", "required", "hint"}

func goodForm() map[string][][]string {
	return map[string][][]string{
		"survey": {
			surveyHead,
			{"note", "welcome", "Welcome", "Bienvenue", "", "", "ignored"},
			{"select_one area", "area", "Where?", "Où ?", "", "yes", ""},
			{"select_multiple incidents", "incidents", "What happened?", "Que s'est-il passé ?", "", "yes", ""},
			{"", "", "", "", "", "", ""},
			{"begin group", "details", "", "", "selected(${incidents}, 'theft')", "", ""},
			{"integer", "age", "Age?", "Âge ?", "", "true", ""},
			{"range", "feel", "Feeling?", "Ressenti ?", "${age} > 17", "yes", ""},
			{"end group", "", "", "", "", "", ""},
			{"text", "story", "Story?", "Histoire ?", "", "no", ""},
			{"start", "start", "", "", "", "", ""},
		},
		"choices": {
			{"list name", "name", "label::English (en)", "label::Français (fr)"},
			{"area", "north", "North", "Nord"},
			{"area", "south", "South", "Sud"},
			{"incidents", "theft", "Theft", "Vol"},
			{"incidents", "none", "None", "Aucun"},
		},
		"settings": {
			{"form_id", "form_title", "version", "default_language"},
			{"market-safety", "Market safety", "3", "English (en)"},
		},
	}
}

func TestLoadXLSForm(t *testing.T) {
	rows := goodForm()
	rows["survey"][7][5] = "yes"
	rows["survey"][7] = append(rows["survey"][7][:6], "", "start=0 end=4")
	rows["survey"][0] = append(append([]string(nil), surveyHead...), "parameters")
	data := workbook(t, []string{"survey", "choices", "settings"}, rows)
	s, err := LoadXLSForm("market.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "market-safety" || s.Version != 3 || s.Kind != KindConsultation || s.File != "market.xlsx" {
		t.Errorf("got id %q version %d kind %q file %q", s.ID, s.Version, s.Kind, s.File)
	}
	if !reflect.DeepEqual(s.Languages, []string{"en", "fr"}) {
		t.Errorf("languages %v, want [en fr]", s.Languages)
	}
	if s.Title["en"] != "Market safety" || s.Consent["fr"] == "" || s.Consent["en"] == "" {
		t.Errorf("title %v consent %v", s.Title, s.Consent)
	}
	type qsum struct {
		ID, Type, Relevant string
		Optional           bool
		Options            string
	}
	var got []qsum
	for i := range s.Questions {
		q := &s.Questions[i]
		got = append(got, qsum{q.ID, q.Type, q.Relevant, q.Optional, strings.Join(s.OptionIDs(q), ",")})
	}
	want := []qsum{
		{"welcome", TypeInfo, "", false, ""},
		{"area", TypeChoice, "", false, "north,south"},
		{"incidents", TypeMulti, "", false, "theft,none"},
		{"age", TypeNumber, "selected(${incidents}, 'theft')", false, ""},
		{"feel", TypeScale, "(selected(${incidents}, 'theft')) and (${age} > 17)", false, "0,1,2,3,4"},
		{"story", TypeText, "", true, ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("questions\n got %+v\nwant %+v", got, want)
	}
	if l := s.Questions[1].Options[1].Label; l["fr"] != "Sud" || l["en"] != "South" {
		t.Errorf("label %v", l)
	}
	if s.Questions[1].Line != 3 || s.Questions[5].Line != 10 {
		t.Errorf("lines %d %d, want survey rows 3 and 10", s.Questions[1].Line, s.Questions[5].Line)
	}
	// The form runs.
	out, err := Preview(s, "fr", map[string]string{"incidents": "theft", "age": "30"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Bienvenue", "Âge ?", "Ressenti ?", "Histoire ?"} {
		if !strings.Contains(out, w) {
			t.Errorf("preview lacks %q:\n%s", w, out)
		}
	}
}

func TestLoadXLSFormErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(map[string][][]string) []string // returns sheet names to write
		line  int
		msg   string
		multi bool
	}{
		{"geopoint", func(r map[string][][]string) []string {
			r["survey"][3] = []string{"geopoint", "where", "Where?", "Où ?", "", "", ""}
			return nil
		}, 4, "type geopoint would identify or locate a respondent (it records a location)", true},
		{"phone", func(r map[string][][]string) []string {
			r["survey"][9] = []string{"phonenumber", "phone", "Phone?", "Tél ?", "", "", ""}
			return nil
		}, 10, "type phonenumber would identify or locate a respondent (it records a phone number)", false},
		{"image", func(r map[string][][]string) []string {
			r["survey"][9] = []string{"image", "photo", "Photo?", "Photo ?", "", "", ""}
			return nil
		}, 10, "type image would identify or locate a respondent (it records a photo)", false},
		{"repeat without end", func(r map[string][][]string) []string {
			r["survey"][5] = []string{"begin repeat", "people", "", "", "", "", ""}
			return nil
		}, 6, "begin repeat without end repeat", true},
		{"unknown type", func(r map[string][][]string) []string {
			r["survey"][9] = []string{"dat", "day", "Day?", "Jour ?", "", "", ""}
			return nil
		}, 10, `unknown question type (did you mean "date"?)`, false},
		{"unknown list", func(r map[string][][]string) []string {
			r["survey"][2][0] = "select_one areas"
			return nil
		}, 3, `no list named "areas" in the choices sheet (did you mean "area"?)`, false},
		{"bad option name", func(r map[string][][]string) []string {
			r["choices"][4] = []string{"incidents", "No One", "None", "Aucun"}
			return nil
		}, 5, "invalid option id", false},
		{"bad relevant", func(r map[string][][]string) []string {
			r["survey"][9][4] = "${nobody} = 'x'"
			return nil
		}, 10, `relevant refers to unknown question "nobody"`, false},
		{"missing survey", func(r map[string][][]string) []string {
			return []string{"choices", "settings"}
		}, 0, "no sheet named survey", false},
		{"bad default language", func(r map[string][][]string) []string {
			r["settings"][1][3] = "Klingon"
			return nil
		}, 2, "cannot tell the default language", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := goodForm()
			sheets := tc.edit(rows)
			if sheets == nil {
				sheets = []string{"survey", "choices", "settings"}
			}
			_, err := LoadXLSForm("f.xlsx", workbook(t, sheets, rows))
			var errs ValidationErrors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v (%T), want ValidationErrors", err, err)
			}
			if !tc.multi && len(errs) != 1 {
				t.Errorf("got %d errors, want 1:\n%v", len(errs), err)
			}
			for _, e := range errs {
				if strings.Contains(e.Msg+" "+e.Hint, tc.msg) {
					if e.Line != tc.line || e.File != "f.xlsx" {
						t.Errorf("got %s:%d, want f.xlsx:%d", e.File, e.Line, tc.line)
					}
					return
				}
			}
			t.Errorf("errors:\n%v\nwant one containing %q", err, tc.msg)
		})
	}
	if _, err := LoadXLSForm("junk.xlsx", []byte("not a zip")); err == nil || !strings.Contains(err.Error(), "cannot read the workbook") {
		t.Errorf("junk: got %v, want cannot read the workbook", err)
	}
}

func TestLoadFSReadsXLSForm(t *testing.T) {
	fsys := fstest.MapFS{"m.xlsx": {Data: workbook(t, []string{"survey", "choices", "settings"}, goodForm())}}
	ss, err := LoadFS(fsys)
	if err != nil || len(ss) != 1 || ss[0].ID != "market-safety" {
		t.Fatalf("got %d scripts, %v; want market-safety", len(ss), err)
	}
}
