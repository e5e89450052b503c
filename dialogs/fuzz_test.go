package dialogs

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzLoad(f *testing.F) {
	// Seeds of several kilobytes: run with a short -fuzzminimizetime (e.g.
	// 100x), or the engine spends its time minimizing new inputs.
	for _, fsys := range []fs.FS{Bundled(), os.DirFS("testdata")} {
		names, _ := fs.Glob(fsys, "*.yaml")
		for _, n := range names {
			data, _ := fs.ReadFile(fsys, n)
			f.Add(data)
		}
	}
	f.Add([]byte(head + qa))
	f.Add([]byte(strings.Replace(head, "questions:", "publish: {mode: dp, epsilon: 1.0, releases: 4}\nquestions:", 1) + qa))
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load("fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(ValidationErrors); !ok {
				t.Fatalf("error %T, want ValidationErrors", err)
			}
			return
		}
		// A script that loads must run.
		r := Start(s, "")
		if err := r.State.validAll(s); err != nil {
			t.Fatalf("start state invalid: %v", err)
		}
		if _, err := Preview(s, "", nil); err != nil && !strings.Contains(err.Error(), "refused") {
			t.Fatalf("preview: %v", err)
		}
	})
}

func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		"${a} = 'x'", "selected(${b}, 'y') and not(${a} != \"z\")", "count-selected(${b}) >= 2 or ${n} < -3.5",
		"((${a}))", "${a} <= 1 = ${b}", "not(", "'", "${", "-", "- - 1",
		"if(${n} > 2, concat('x', ${n} * 2 div 3), coalesce(${s}, 'y'))", "regex(${a}, '^[a-z]+$') and string-length(.) < 5",
		"once(round(${n} mod 3, 1)) + int(-1.5)", "jr:choice-name(${a}, '${a}')", "substr('abc', 1, 2) = 'b'",
	} {
		f.Add(s)
	}
	answers := Answers{"a": {Options: []string{"x"}}, "b": {Options: []string{"y", "z"}}, "n": {Text: "4"}, "s": {Skipped: true}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseExpr(src)
		if err != nil {
			ee, ok := err.(*ExprError)
			if !ok || ee.Pos < 1 || ee.Pos > len(src)+1 {
				t.Fatalf("error %v (%T), want an *ExprError with a position in 1..%d", err, err, len(src)+1)
			}
			return
		}
		e.Eval(answers)
		e.Eval(nil)
		for _, id := range Refs(e) {
			if !strings.Contains(src, "${"+id+"}") {
				t.Fatalf("Refs gave %q, not in %q", id, src)
			}
		}
	})
}

// FuzzStep plays random inputs, decoded from the fuzz bytes, against the
// bundled community-safety script.
func FuzzStep(f *testing.F) {
	s := bundledScript(f, "community-safety")
	f.Add([]byte{0, 0, 1, 0, 2, 3, 0, 0, 0, 1, 0, 2})
	f.Add([]byte("\x00\x00\x00\x00\x05\x01\x06\x02\x07\x03\x04\x00"))
	f.Add([]byte("hello world, this is a fuzz seed with many bytes 0123456789"))
	texts := []string{"1", "2", "9", "٣", "3,5", "-1", "English", "Done", "I agree", "No, thank you",
		"North district", "1, 3", "", " ", "x\x00y", "\xff", "baraza stop", strings.Repeat("a", 1001),
		strings.Repeat("b", MaxInput+1), "Theft or robbery", "Terminé", "تم"}
	commands := []string{"back", "skip", "help", "lang", "start", "report", "", "BACK", "stop"}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Start(s, "fr")
		var shown []Button
		for i := 0; i+1 < len(data); i += 2 {
			op, arg := data[i], int(data[i+1])
			var cur []Button
			for _, rep := range r.Replies {
				cur = append(cur, rep.Buttons...)
			}
			if len(cur) == 0 {
				cur = shown // the last keyboard stays on screen
			}
			var in Input
			switch op % 8 {
			case 0, 1, 2, 3:
				if len(cur) == 0 {
					continue
				}
				in = Input{Kind: InputButton, Data: cur[arg%len(cur)].Data}
			case 4:
				in = Input{Kind: InputText, Text: texts[arg%len(texts)]}
			case 5:
				if op < 128 && arg < 250 { // rarely stop, to go deep
					in = Input{Kind: InputCommand, Command: commands[arg%(len(commands)-1)]}
				} else {
					in = Input{Kind: InputCommand, Command: commands[arg%len(commands)]}
				}
			case 6:
				end := min(len(data), i+2+arg%16)
				in = Input{Kind: InputText, Text: string(data[i+2 : end])}
			case 7:
				in = Input{Kind: InputButton, Data: token(s, uint32(arg)) + ":" + string(rune('0'+arg%12))}
			}
			if len(cur) > 0 {
				shown = cur
			}
			before, _ := json.Marshal(r.State)
			next := Step(s, r.State, in)
			if after, _ := json.Marshal(r.State); string(after) != string(before) {
				t.Fatalf("Step modified its input state")
			}
			if err := next.State.validAll(s); err != nil {
				t.Fatalf("after %+v: %v", in, err)
			}
			for _, rep := range next.Replies {
				for _, b := range rep.Buttons {
					if len(b.Data) > 60 {
						t.Fatalf("button data %q longer than 60 bytes", b.Data)
					}
				}
			}
			if len(next.Replies) == 0 {
				t.Fatalf("after %+v: no reply", in)
			}
			if next.Refusal != "" {
				if after, _ := json.Marshal(next.State); string(after) != string(before) {
					t.Fatalf("refusal %s changed the state: %s -> %s", next.Refusal, before, after)
				}
			}
			r = next
			if r.Ended {
				r = Start(s, "")
				shown = nil
			}
		}
	})
}

// BenchmarkStep replays a whole community-safety dialog (26 steps) per
// iteration and reports the cost of one step.
func BenchmarkStep(b *testing.B) {
	s := bundledScript(b, "community-safety")
	labels := []string{"English", "I agree",
		"North district", "A woman or girl", "18 to 24",
		"An ethnic, religious or language minority", "2", "1",
		"Theft or robbery", "Sexual harassment or assault", "Done",
		"On public transport or at a stop", "No",
		"Fear of revenge", "Shame or fear of being blamed", "Done",
		"2", "1", "3", "Badly: threats, violence or a bribe asked",
		"Street lighting", "Protection and support for women and girls", "Done"}
	var ins []Input
	r := Start(s, "")
	for _, l := range labels {
		in := press(b, r, l)
		ins = append(ins, in)
		r = mustStep(b, s, r, in)
	}
	ins = append(ins, Input{Kind: InputText, Text: "The road to the market has no light."})
	if r = mustStep(b, s, r, ins[len(ins)-1]); !r.Ended {
		b.Fatal("dialog did not end")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		st := Start(s, "").State
		for _, in := range ins {
			st = Step(s, st, in).State
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ins)), "ns/step")
}

// FuzzLoadXLSForm feeds arbitrary bytes (seeded with a valid workbook and
// truncations of it) to the XLSForm loader: an .xlsx is a zip of XML, an
// outside input like any other. It must never panic, and a form that loads
// must start.
func FuzzLoadXLSForm(f *testing.F) {
	good := workbook(f, []string{"survey", "choices", "settings"}, goodForm())
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadXLSForm("fuzz.xlsx", data)
		if err != nil {
			return
		}
		if r := Start(s, ""); r.State.validAll(s) != nil {
			t.Fatalf("start state invalid for a loaded form")
		}
	})
}

// FuzzXLSForm: the workbook reader and the converter never panic, and
// every problem is a ValidationError; a form that converts runs.
func FuzzXLSForm(f *testing.F) {
	files, _ := filepath.Glob("testdata/xlsforms/*.xls*")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 64<<10 {
			f.Add(filepath.Ext(name), data)
		}
	}
	f.Add(".csv", []byte("survey,type,name,label\n,text,q,Why?\n,select_one l,s,S?\nchoices,list_name,name,label\n,l,a,A\n"))
	f.Add(".md", []byte("| survey | type | name | label |\n| | integer | n | N? |\n"))
	f.Add(".md", []byte("| survey | type | name | label | relevant |\n| | begin loop over l | lp | | |\n| | integer | n | %(label)s? | |\n"+
		"| | begin loop over l | in | | |\n| | text | t | ${n} %(name)s | ${n} > 1 |\n| | end loop | | | |\n| | end loop | | | |\n"+
		"| choices | list_name | name | label |\n| | l | a | A |\n| | l | b | B |\n"))
	f.Fuzz(func(t *testing.T, ext string, data []byte) {
		c := ConvertXLSForm("fuzz"+ext, data, XLSFormOptions{DropIdentifying: len(data)%2 == 0})
		if len(c.Errors) > 0 {
			if c.Script != nil {
				t.Fatal("a script despite errors")
			}
			return
		}
		if _, err := Preview(c.Script, "", nil); err != nil && !strings.Contains(err.Error(), "preview:") {
			t.Fatalf("preview: %v", err)
		}
	})
}
