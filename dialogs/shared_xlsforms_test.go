package dialogs

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pyxformType names a question's kind as pyxform's reading of the form
// does, so the two can be compared.
func pyxformType(q *Question) string {
	switch q.Type {
	case TypeChoice:
		return "select_one"
	case TypeMulti:
		return "select_multiple"
	case TypeNumber:
		if q.Integer {
			return "integer"
		}
		return "decimal"
	case TypeScale:
		return "range"
	case TypeInfo:
		return "note"
	}
	return q.Type
}

// listing writes a script's questions as expected.txt does.
func listing(s *Script) []string {
	starts := map[string]string{} // first question id -> repeat name
	for i := range s.Questions {
		if q := &s.Questions[i]; q.Type == TypeRepeatEnd {
			starts[q.RepeatFrom] = q.ID
		}
	}
	var out []string
	for i := range s.Questions {
		q := &s.Questions[i]
		if r, ok := starts[q.ID]; ok {
			out = append(out, "begin repeat "+r)
		}
		if q.Type == TypeRepeatEnd {
			out = append(out, "end repeat "+q.ID)
			continue
		}
		line := q.ID + " " + pyxformType(q)
		if len(q.Options) > 0 && q.Type != TypeScale {
			line += ": " + strings.Join(s.OptionIDs(q), " ")
		}
		out = append(out, line)
	}
	return out
}

// TestSharedWorkbooks converts each real workbook of testdata/xlsforms
// (pyxform's own examples) and compares the result with expected.txt:
// the questions in pyxform's order with its choices, after a round trip
// through the YAML format, or exactly the rows refused for privacy.
func TestSharedWorkbooks(t *testing.T) {
	data, err := os.ReadFile("testdata/xlsforms/expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		verdict string
		lines   []string
	}
	wants := map[string]*want{}
	var cur *want
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasSuffix(line, ": accept") || strings.HasSuffix(line, ": refuse-privacy"):
			name, verdict, _ := strings.Cut(line, ": ")
			cur = &want{verdict: verdict}
			wants[name] = cur
		default:
			cur.lines = append(cur.lines, line)
		}
	}
	files, _ := filepath.Glob("testdata/xlsforms/*.xls*")
	if len(files) < 16 || len(files) != len(wants) {
		t.Fatalf("%d workbooks, %d expectations; want the same number, at least the 16 shared ones", len(files), len(wants))
	}
	refusal := regexp.MustCompile(`^type (.+) would identify or locate a respondent`)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			w := wants[name]
			if w == nil {
				t.Fatal("no expectation")
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c := ConvertXLSForm(name, raw, XLSFormOptions{})
			if w.verdict == "refuse-privacy" {
				var got []string
				for _, e := range c.Errors {
					m := refusal.FindStringSubmatch(e.Msg)
					if m == nil {
						t.Errorf("error not about privacy: %v", e)
						continue
					}
					got = append(got, e.Sheet+":"+itoaTest(e.Line)+" "+m[1])
				}
				if !reflect.DeepEqual(got, w.lines) {
					t.Errorf("refused rows\n got %q\nwant %q", got, w.lines)
				}
				// With --drop-identifying the rest converts.
				d := ConvertXLSForm(name, raw, XLSFormOptions{DropIdentifying: true})
				if len(d.Errors) != 0 || len(d.Dropped) != len(w.lines) {
					t.Errorf("drop-identifying: errors %v, %d dropped, want none and %d", d.Errors, len(d.Dropped), len(w.lines))
				}
				return
			}
			if len(c.Errors) > 0 {
				t.Fatalf("refused:\n%v", c.Errors)
			}
			y, err := MarshalYAML(c.Script)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Load(name+".yaml", y)
			if err != nil {
				t.Fatalf("converted YAML does not load: %v\n%s", err, y)
			}
			if got := listing(back); !reflect.DeepEqual(got, w.lines) {
				t.Errorf("questions\n got %q\nwant %q", got, w.lines)
			}
			if !reflect.DeepEqual(listing(c.Script), listing(back)) {
				t.Errorf("YAML round trip changed the dialog")
			}
			// The form runs to its end.
			if _, err := Preview(back, "", nil); err != nil {
				t.Errorf("preview: %v", err)
			}
		})
	}
}

func itoaTest(n int) string { return strconv.Itoa(n) }
