package results

import (
	"bytes"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
)

func TestWeek(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), "2026-W48"},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "2026-W53"}, // ISO year differs
		{time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC), "2025-W01"},
		// 23:30 on Sunday in Nairobi is 20:30 UTC the same Sunday.
		{time.Date(2026, 11, 29, 23, 30, 0, 0, time.FixedZone("EAT", 3*3600)), "2026-W48"},
		// 01:00 Monday in Nairobi is still Sunday in UTC.
		{time.Date(2026, 11, 30, 1, 0, 0, 0, time.FixedZone("EAT", 3*3600)), "2026-W48"},
	}
	for _, tt := range tests {
		if got := Week(tt.t); got != tt.want {
			t.Errorf("Week(%v): got %s, want %s", tt.t, got, tt.want)
		}
	}
}

func TestIncrements(t *testing.T) {
	s := testScript()
	report := testScript()
	report.Kind = dialogs.KindReport
	tests := []struct {
		name   string
		s      *dialogs.Script
		a      dialogs.Answers
		week   string
		want   []string
		absent []string
	}{
		{
			name: "nothing answered",
			s:    s, a: dialogs.Answers{}, week: "2026-W48",
			want: []string{"completed"},
		},
		{
			name: "choice with a segment",
			s:    s,
			a:    dialogs.Answers{"area": {Options: []string{"north"}}, "safe": {Options: []string{"3"}}},
			want: []string{"completed", "a|area", "o|area|north", "a|safe", "o|safe|3", "b|safe|3|area|north"},
		},
		{
			name: "two segments cross both ways",
			s:    s,
			a:    dialogs.Answers{"area": {Options: []string{"east"}}, "gender": {Options: []string{"f"}}},
			want: []string{"completed", "a|area", "o|area|east", "a|gender", "o|gender|f",
				"b|area|east|gender|f", "b|gender|f|area|east"},
		},
		{
			name: "multi counts each option, in option order, once",
			s:    s,
			a: dialogs.Answers{"gender": {Options: []string{"m"}},
				"incidents": {Options: []string{"other", "theft", "theft"}}},
			want: []string{"completed", "a|gender", "o|gender|m", "a|incidents", "o|incidents|theft", "o|incidents|other",
				"b|incidents|theft|gender|m", "b|incidents|other|gender|m"},
		},
		{
			name: "skipped, blank, unknown and info count nothing",
			s:    s,
			a: dialogs.Answers{"incidents": {Skipped: true}, "story": {Text: "  \n"}, "age": {Skipped: true},
				"safe": {Options: []string{"9"}}, "welcome": {Text: "x"}, "nosuch": {Options: []string{"a"}}},
			want:   []string{"completed"},
			absent: []string{"a|incidents", "a|story", "a|age", "a|safe", "o|safe|9", "a|welcome", "a|nosuch"},
		},
		{
			name: "text and number count answered only",
			s:    s,
			a:    dialogs.Answers{"story": {Text: "call 0712 345 678"}, "age": {Text: "31"}, "area": {Options: []string{"south"}}},
			want: []string{"completed", "a|area", "o|area|south", "a|story", "a|age"},
		},
		{
			name: "choice keeps its first valid option",
			s:    s,
			a:    dialogs.Answers{"area": {Options: []string{"west", "south", "north"}}},
			want: []string{"completed", "a|area", "o|area|south"},
		},
		{
			name: "report counts weeks",
			s:    report,
			a:    dialogs.Answers{"area": {Options: []string{"north"}}, "incidents": {Options: []string{"theft"}}, "story": {Text: "x"}},
			week: "2026-W48",
			want: []string{"completed", "w|2026-W48", "a|area", "o|area|north", "w|2026-W48|area|north",
				"a|incidents", "o|incidents|theft", "w|2026-W48|incidents|theft", "a|story",
				"b|incidents|theft|area|north"},
		},
		{
			name: "report without a week counts no weeks",
			s:    report,
			a:    dialogs.Answers{"area": {Options: []string{"north"}}},
			want: []string{"completed", "a|area", "o|area|north"},
		},
		{
			name: "consultation ignores the week",
			s:    s,
			a:    dialogs.Answers{"area": {Options: []string{"north"}}},
			week: "2026-W48",
			want: []string{"completed", "a|area", "o|area|north"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Increments(tt.s, tt.a, tt.week)
			if !slices.Equal(sorted(got), sorted(tt.want)) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			for _, f := range tt.absent {
				if slices.Contains(got, f) {
					t.Errorf("got %q among the fields, want it absent", f)
				}
			}
			if again := Increments(tt.s, tt.a, tt.week); !slices.Equal(got, again) {
				t.Errorf("order not deterministic: %q then %q", got, again)
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestTextAnswers(t *testing.T) {
	s := testScript()
	got := TextAnswers(s, dialogs.Answers{
		"story": {Text: "  Call me on +254 712 345 678 or @jane  "},
		"age":   {Text: "31"},
		"area":  {Options: []string{"north"}},
	})
	want := map[string]string{"story": "Call me on [phone] or [handle]"}
	if len(got) != len(want) || got["story"] != want["story"] {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, a := range []dialogs.Answers{{"story": {Text: " "}}, {"story": {Skipped: true}}, {}} {
		if got := TextAnswers(s, a); len(got) != 0 {
			t.Errorf("TextAnswers(%v): got %q, want none", a, got)
		}
	}
}

func TestBuildTooFewCompleted(t *testing.T) {
	s := testScript()
	c := testCounters(t, s, []profile{{4, "north", "f", "3", []string{"theft"}, "x", "30"}}, "")
	c[FieldStarted] = 30
	sum := Build(s, c, 5, "open", "en")
	if sum.Completed != nil {
		t.Errorf("completed: got %d, want hidden", *sum.Completed)
	}
	if sum.Started == nil || *sum.Started != 30 {
		t.Errorf("started: got %s, want 30", show(sum.Started))
	}
	if got, want := len(sum.Questions), 6; got != want {
		t.Errorf("got %d questions, want the full shape (%d)", got, want)
	}
	for _, q := range sum.Questions {
		if q.Answered != nil {
			t.Errorf("%s answered: got %d, want hidden", q.ID, *q.Answered)
		}
		for _, o := range q.Options {
			if o.Count != nil || !o.Suppressed {
				t.Errorf("%s/%s: got %s, want hidden (zeros too)", q.ID, o.ID, show(o.Count))
			}
		}
	}
	if len(sum.Breakdowns) != 6 {
		t.Errorf("got %d breakdowns, want 6", len(sum.Breakdowns))
	}
	for _, b := range sum.Breakdowns {
		for _, c := range b.Cells {
			if c.Count != nil {
				t.Errorf("%s by %s: cell shown while completed is hidden", b.Question, b.By)
			}
		}
	}
}

func TestBuildK(t *testing.T) {
	s := testScript()
	c := testCounters(t, s, testProfiles, "")
	if got := Build(s, c, 0, "closed", "en"); got.K != privacy.MinK || got.Status != "closed" {
		t.Errorf("got k %d status %q, want %d closed", got.K, got.Status, privacy.MinK)
	}
	// Language falls back to the default, labels follow lang.
	fr := Build(s, c, 5, "open", "fr")
	if fr.Title != "La sécurité la nuit" || fr.Questions[0].Options[0].Label != "Nord" {
		t.Errorf("fr: got title %q label %q", fr.Title, fr.Questions[0].Options[0].Label)
	}
	sw := Build(s, c, 5, "open", "sw")
	if sw.Title != "Safety at night" {
		t.Errorf("unknown language: got title %q, want the default language's", sw.Title)
	}
	// Negative and junk counters cannot break Build.
	c["o|area|north"] = -7
	c["w|junk"] = 5
	c["b|x|y"] = 3
	// Counters that contradict each other make the auditor's program
	// infeasible: it then hides rather than guess.
	if got := Build(s, c, 5, "open", "en"); got.Questions[0].Options[0].Count != nil && *got.Questions[0].Options[0].Count != 0 {
		t.Errorf("negative counter: got %s, want 0 or hidden", show(got.Questions[0].Options[0].Count))
	}
}

// randomScript makes a script of random option questions, some segments.
func randomScript(rng *rand.Rand, report bool) *dialogs.Script {
	s := &dialogs.Script{ID: "r", Languages: []string{"en"}, Kind: dialogs.KindConsultation}
	if report {
		s.Kind = dialogs.KindReport
	}
	types := []string{dialogs.TypeChoice, dialogs.TypeMulti, dialogs.TypeScale, dialogs.TypeText, dialogs.TypeInfo}
	for i := range 2 + rng.IntN(4) {
		q := dialogs.Question{ID: string(rune('a' + i)), Type: types[rng.IntN(len(types))], Optional: rng.IntN(2) == 0}
		if hasOptions(&q) {
			for j := range 1 + rng.IntN(4) {
				q.Options = append(q.Options, dialogs.Option{ID: string(rune('p' + j))})
			}
			q.Segment = rng.IntN(2) == 0
		}
		s.Questions = append(s.Questions, q)
	}
	return s
}

func randomAnswers(rng *rand.Rand, s *dialogs.Script) dialogs.Answers {
	a := dialogs.Answers{}
	for _, q := range s.Questions {
		if q.Optional && rng.IntN(3) == 0 {
			a[q.ID] = dialogs.Answer{Skipped: true}
			continue
		}
		switch q.Type {
		case dialogs.TypeText:
			a[q.ID] = dialogs.Answer{Text: "t"}
		case dialogs.TypeChoice, dialogs.TypeScale:
			// Skewed, so small cells are common.
			a[q.ID] = dialogs.Answer{Options: []string{q.Options[min(rng.IntN(len(q.Options)), rng.IntN(len(q.Options)))].ID}}
		case dialogs.TypeMulti:
			var ids []string
			for _, o := range q.Options {
				if rng.IntN(3) == 0 {
					ids = append(ids, o.ID)
				}
			}
			if len(ids) == 0 {
				ids = []string{q.Options[0].ID}
			}
			a[q.ID] = dialogs.Answer{Options: ids}
		}
	}
	return a
}

// TestBuildProperties builds summaries of random scripts and respondents
// and checks the published numbers against the counters and the
// suppression guarantees across linked tables.
func TestBuildProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := range 400 {
		s := randomScript(rng, n%4 == 0)
		k := 2 + rng.IntN(6)
		c := map[string]int64{}
		weeks := []string{"2026-W01", "2026-W02", "2026-W03"}
		for range rng.IntN(60) {
			for _, f := range Increments(s, randomAnswers(rng, s), weeks[rng.IntN(3)]) {
				c[f]++
			}
		}
		sum := Build(s, c, k, "open", "en")
		if msg := checkSummary(s, c, k, sum); msg != "" {
			t.Fatalf("case %d (k %d, script %+v, counters %v): %s", n, k, s.Questions, c, msg)
		}
	}
}

func checkSummary(s *dialogs.Script, c map[string]int64, k int, sum Summary) string {
	kk := int64(k)
	small := func(p *int64) bool { return p != nil && *p >= 1 && *p < kk }
	if small(sum.Started) || small(sum.Completed) || small(sum.Declined) {
		return "a respondent count in 1..k-1 is shown"
	}
	hideAll := sum.Completed == nil
	marg := map[string]map[string]bool{}
	for _, q := range sum.Questions {
		if small(q.Answered) || (hideAll && q.Answered != nil) {
			return "answered of " + q.ID + " shown"
		}
		if q.Answered != nil && *q.Answered != c["a|"+q.ID] {
			return "answered of " + q.ID + " differs from its counter"
		}
		hidden := 0
		marg[q.ID] = map[string]bool{}
		for _, o := range q.Options {
			if small(o.Count) || (hideAll && o.Count != nil) || (o.Count == nil) != o.Suppressed {
				return "option " + q.ID + "/" + o.ID + " wrongly shown"
			}
			if o.Count != nil && *o.Count != c["o|"+q.ID+"|"+o.ID] {
				return "option " + q.ID + "/" + o.ID + " differs from its counter"
			}
			if o.Suppressed {
				hidden++
			}
			marg[q.ID][o.ID] = o.Suppressed
		}
		if hidden == 1 && len(q.Options) > 1 {
			return "question " + q.ID + " has exactly one hidden option"
		}
		if q.Answered == nil && hidden != len(q.Options) {
			return "question " + q.ID + " has hidden answered but shown options"
		}
	}
	masks := map[[2]string]map[[2]string]bool{}
	for _, b := range sum.Breakdowns {
		rows, cols := map[string]int{}, map[string]int{}
		for _, cell := range b.Cells {
			if small(cell.Count) || (hideAll && cell.Count != nil) || (cell.Count == nil) != cell.Suppressed {
				return "breakdown cell wrongly shown"
			}
			if cell.Count != nil && *cell.Count != c["b|"+b.Question+"|"+cell.Option+"|"+b.By+"|"+cell.ByOption] {
				return "breakdown cell differs from its counter"
			}
			if (marg[b.Question][cell.Option] || marg[b.By][cell.ByOption]) && !cell.Suppressed {
				return "breakdown cell shown though its marginal is hidden"
			}
			if cell.Suppressed {
				rows[cell.Option]++
				cols[cell.ByOption]++
			}
			masks[[2]string{b.Question, b.By}] = setKey(masks[[2]string{b.Question, b.By}], [2]string{cell.Option, cell.ByOption}, cell.Suppressed)
		}
		nq, nb := len(marg[b.Question]), len(marg[b.By])
		for o, h := range rows {
			if h == 1 && nb > 1 {
				return "breakdown " + b.Question + " by " + b.By + " row " + o + " has one hidden cell"
			}
		}
		for o, h := range cols {
			if h == 1 && nq > 1 {
				return "breakdown " + b.Question + " by " + b.By + " column " + o + " has one hidden cell"
			}
		}
	}
	for key, m := range masks {
		other, ok := masks[[2]string{key[1], key[0]}]
		if !ok {
			continue
		}
		for cell, h := range m {
			if other[[2]string{cell[1], cell[0]}] != h {
				return "the two views of " + key[0] + " x " + key[1] + " hide different cells"
			}
		}
	}
	if s.Kind == dialogs.KindReport {
		hidden := 0
		for _, w := range sum.Weeks {
			if small(w.Completed) || (hideAll && w.Completed != nil) {
				return "week " + w.Week + " count shown"
			}
			if w.Suppressed {
				hidden++
			}
			for _, cell := range w.Cells {
				if small(cell.Count) || (w.Suppressed && cell.Count != nil) || (marg[cell.Question][cell.Option] && cell.Count != nil) {
					return "week cell wrongly shown"
				}
			}
		}
		if hidden == 1 && len(sum.Weeks) > 1 {
			return "exactly one week hidden"
		}
	} else if sum.Weeks != nil {
		return "a consultation has weeks"
	}
	return ""
}

func setKey(m map[[2]string]bool, k [2]string, v bool) map[[2]string]bool {
	if m == nil {
		m = map[[2]string]bool{}
	}
	m[k] = v
	return m
}

func TestNeutralise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+254", "'+254"}, {"-3", "'-3"}, {"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"}, {"\rx", "'\rx"}, {"＝1", "'＝1"}, {"north", "north"}, {"", ""}, {"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := Neutralise(tt.in); got != tt.want {
			t.Errorf("Neutralise(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// BenchmarkBuild shows Build's cost does not grow with responses: the same
// script and cells at 10^3 and 10^6 completions.
func BenchmarkBuild(b *testing.B) {
	s := benchScript()
	rng := rand.New(rand.NewPCG(1, 1))
	base := map[string]int64{}
	const sample = 1000
	for range sample {
		for _, f := range Increments(s, randomAnswers(rng, s), "") {
			base[f]++
		}
	}
	base[FieldStarted] = sample + 50
	for _, n := range []int64{1_000, 1_000_000} {
		c := make(map[string]int64, len(base))
		for f, v := range base {
			c[f] = v * n / sample
		}
		b.Run("responses="+itoa(n), func(b *testing.B) {
			for b.Loop() {
				Build(s, c, 5, "open", "en")
			}
			b.ReportMetric(float64(len(c)), "counters")
		})
	}
}

func itoa(n int64) string { return show(&n) }

// benchScript is a realistic consultation: 3 segments, 10 questions.
func benchScript() *dialogs.Script {
	s := &dialogs.Script{ID: "bench", Languages: []string{"en"}, Kind: dialogs.KindConsultation}
	add := func(id, typ string, seg bool, n int) {
		q := dialogs.Question{ID: id, Type: typ, Segment: seg, Text: dialogs.Text{"en": id}}
		for j := range n {
			id := string(rune('a' + j))
			q.Options = append(q.Options, dialogs.Option{ID: id, Label: dialogs.Text{"en": id}})
		}
		s.Questions = append(s.Questions, q)
	}
	add("area", dialogs.TypeChoice, true, 6)
	add("gender", dialogs.TypeChoice, true, 3)
	add("age", dialogs.TypeChoice, true, 5)
	for i := range 4 {
		add("scale"+string(rune('0'+i)), dialogs.TypeScale, false, 5)
	}
	add("incidents", dialogs.TypeMulti, false, 6)
	add("reported", dialogs.TypeChoice, false, 2)
	add("story", dialogs.TypeText, false, 0)
	return s
}

// Malformed scripts (no options, no languages, no questions) must not
// break Build or the exports.
func TestBuildMalformed(t *testing.T) {
	scripts := []*dialogs.Script{
		{ID: "empty"},
		{ID: "no-options", Kind: dialogs.KindReport, Questions: []dialogs.Question{
			{ID: "a", Type: dialogs.TypeChoice, Segment: true},
			{ID: "b", Type: dialogs.TypeMulti, Segment: true},
			{ID: "c", Type: "unknown"},
		}},
	}
	for _, s := range scripts {
		c := map[string]int64{"completed": 9, "a|a": 9, "w|2026-W01": 9}
		sum := Build(s, c, 5, "open", "en")
		var buf bytes.Buffer
		if err := WriteJSON(&buf, sum); err != nil {
			t.Errorf("%s: json: %v", s.ID, err)
		}
		if err := WriteCSV(&buf, sum); err != nil {
			t.Errorf("%s: csv: %v", s.ID, err)
		}
		if err := WriteXLSX(&buf, sum, "fr"); err != nil {
			t.Errorf("%s: xlsx: %v", s.ID, err)
		}
	}
}

// BenchmarkExport writes the summary of BenchmarkBuild's script at 10^6
// completions in each export format (CSV, JSON, XLSX): the cost depends on
// the number of cells, not of responses.
func BenchmarkExport(b *testing.B) {
	s := benchScript()
	rng := rand.New(rand.NewPCG(1, 1))
	c := map[string]int64{}
	for range 1000 {
		for _, f := range Increments(s, randomAnswers(rng, s), "") {
			c[f] += 1000
		}
	}
	c[FieldStarted] = 1_050_000
	sum := Build(s, c, 5, "open", "en")
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"csv", func(w io.Writer) error { return WriteCSV(w, sum) }},
		{"json", func(w io.Writer) error { return WriteJSON(w, sum) }},
		{"xlsx", func(w io.Writer) error { return WriteXLSX(w, sum, "en") }},
	} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := f.write(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
