package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
)

func seededNoise(seed byte) *privacy.Noise {
	var s [32]byte
	s[0] = seed
	return privacy.NewNoise(rand.NewChaCha8(s))
}

func mustEps(t testing.TB, s string) privacy.Epsilon {
	e, err := privacy.ParseEpsilon(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSensitivity(t *testing.T) {
	// Totals 2; answered: area, gender, safe, incidents, story, age = 6;
	// options: area 1, gender 1, safe 1, incidents 3 = 6; breakdowns:
	// area x gender 1 (one table), safe by area 1 and by gender 1,
	// incidents by area 3 and by gender 3 = 9.
	if got := Sensitivity(testScript()); got != 23 {
		t.Errorf("Sensitivity = %d, want 23", got)
	}
	// The sensitivity is a bound: no single completion adds more.
	s := testScript()
	for _, p := range testProfiles {
		fields := Increments(s, p.answers(), "")
		published := 1 // started
		for _, f := range fields {
			if !strings.HasPrefix(f, "b|") || f == canonicalField(s, f) {
				published++
			}
		}
		if int64(published) > Sensitivity(s) {
			t.Errorf("one completion changes %d published counters, more than the sensitivity %d", published, Sensitivity(s))
		}
	}
}

// canonicalField is the field a breakdown is read under (script order for
// a pair of segment questions).
func canonicalField(s *dialogs.Script, f string) string {
	parts := strings.Split(f, "|")
	if len(parts) != 5 {
		return f
	}
	return canonical(s, parts[1], parts[2], parts[3], parts[4])
}

func TestNoisyConsistent(t *testing.T) {
	s := testScript()
	c := testCounters(t, s, testProfiles, "")
	for seed := range byte(20) {
		n, err := Noisy(s, c, mustEps(t, "0.5"), seededNoise(seed))
		if err != nil {
			t.Fatal(err)
		}
		for f, v := range n {
			if v < 0 {
				t.Fatalf("seed %d: %s = %d", seed, f, v)
			}
		}
		completed := n[FieldCompleted]
		if n[FieldStarted] < completed {
			t.Errorf("seed %d: started %d < completed %d", seed, n[FieldStarted], completed)
		}
		for i := range s.Questions {
			q := &s.Questions[i]
			if !Listed(q) {
				continue
			}
			a, ok := n[AnsweredField(q.ID)]
			if !ok {
				t.Fatalf("no answered count for %s", q.ID)
			}
			if a > completed || (always(q) && a != completed) {
				t.Errorf("seed %d: %s answered %d, completed %d", seed, q.ID, a, completed)
			}
			var sum int64
			for _, o := range q.Options {
				v := n[OptionField(q.ID, o.ID)]
				sum += v
				if v > a {
					t.Errorf("seed %d: %s/%s = %d > answered %d", seed, q.ID, o.ID, v, a)
				}
			}
			if single(q) && sum != a {
				t.Errorf("seed %d: %s options sum to %d, answered %d", seed, q.ID, sum, a)
			}
		}
		// Every breakdown here is by a segment everyone answers: each row
		// adds up to the question's option count, and both views of the
		// area x gender table agree.
		for _, p := range dpPairs(s) {
			q, by := p[0], p[1]
			for _, o := range q.Options {
				var sum int64
				for _, bo := range by.Options {
					v := n[BreakdownField(q.ID, o.ID, by.ID, bo.ID)]
					sum += v
					if q.Segment && n[BreakdownField(by.ID, bo.ID, q.ID, o.ID)] != v {
						t.Errorf("seed %d: %s x %s differs from its transpose", seed, q.ID, by.ID)
					}
				}
				if sum != n[OptionField(q.ID, o.ID)] {
					t.Errorf("seed %d: row %s=%s of the breakdown by %s sums to %d, option count %d", seed, q.ID, o.ID, by.ID, sum, n[OptionField(q.ID, o.ID)])
				}
			}
		}
	}
}

// TestNoisyFieldsFromScript: which counters a DP release publishes
// depends on the script only, never on which counters exist.
func TestNoisyFieldsFromScript(t *testing.T) {
	s := testScript()
	full, err := Noisy(s, testCounters(t, s, testProfiles, ""), mustEps(t, "1"), seededNoise(1))
	if err != nil {
		t.Fatal(err)
	}
	empty, err := Noisy(s, map[string]int64{}, mustEps(t, "1"), seededNoise(1))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := slices.Sorted(maps.Keys(full)), slices.Sorted(maps.Keys(empty)); !slices.Equal(a, b) {
		t.Errorf("fields differ:\n%v\n%v", a, b)
	}
	if _, ok := full[FieldQuit]; ok {
		t.Error("quit is not published, yet noised")
	}
}

// TestNoisyOnceRenderedMany: noise is drawn by Noisy only; rendering the
// stored noisy counters again gives the same numbers every time.
func TestNoisyOnceRenderedMany(t *testing.T) {
	s := testScript()
	c := testCounters(t, s, testProfiles, "")
	n, err := Noisy(s, c, mustEps(t, "0.2"), privacy.NewNoise(nil))
	if err != nil {
		t.Fatal(err)
	}
	first, _ := json.Marshal(RenderNoisy(s, n, 5, "open", "en", mustEps(t, "0.2")))
	for range 5 {
		again, _ := json.Marshal(RenderNoisy(s, n, 5, "open", "en", mustEps(t, "0.2")))
		if string(again) != string(first) {
			t.Fatal("a second rendering differs")
		}
	}
	sum := RenderNoisy(s, n, 5, "open", "en", mustEps(t, "0.4"))
	if sum.Mode != ModeDP || sum.EpsilonSpent == nil || *sum.EpsilonSpent != 0.4 {
		t.Errorf("mode %q, ε spent %v", sum.Mode, sum.EpsilonSpent)
	}
	if sum.Completed == nil || *sum.Completed != n[FieldCompleted] || sum.Started == nil || sum.Declined == nil {
		t.Errorf("totals not shown: %v %v %v", sum.Completed, sum.Started, sum.Declined)
	}
	for _, q := range sum.Questions {
		if q.Answered == nil {
			t.Errorf("%s answered hidden in DP mode", q.ID)
		}
		for _, o := range q.Options {
			if o.Count == nil || o.Suppressed || o.Reason != "" || *o.Count != n[OptionField(q.ID, o.ID)] {
				t.Errorf("%s/%s: %+v, noisy %d", q.ID, o.ID, o, n[OptionField(q.ID, o.ID)])
			}
		}
	}
	for _, b := range sum.Breakdowns {
		for _, cell := range b.Cells {
			if cell.Count == nil || cell.Suppressed {
				t.Errorf("breakdown %s by %s: %+v hidden in DP mode", b.Question, b.By, cell)
			}
		}
	}
	if len(sum.Breakdowns) != len(Build(s, c, 5, "open", "en").Breakdowns) {
		t.Error("DP release has other breakdowns than the suppressed one")
	}
}

// TestNoisyScale: the noise on a count far from 0 (no clipping) is
// discrete Laplace of scale Sensitivity/ε: its variance is 2q/(1-q)² with
// q = exp(-ε/Δ). A sensitivity left out (scale 1/ε) or ε used as the
// scale would be far off.
func TestNoisyScale(t *testing.T) {
	s := testScript()
	c := map[string]int64{FieldStarted: 5000, FieldCompleted: 4000, FieldDeclined: 3000}
	z := seededNoise(5)
	eps := mustEps(t, "1")
	const n = 3000
	var sum, sq float64
	for range n {
		out, err := Noisy(s, c, eps, z)
		if err != nil {
			t.Fatal(err)
		}
		d := float64(out[FieldDeclined] - 3000)
		sum += d
		sq += d * d
	}
	mean := sum / n
	v := sq/n - mean*mean
	q := math.Exp(-1 / float64(Sensitivity(s)))
	want := 2 * q / ((1 - q) * (1 - q))
	if math.Abs(v-want) > 0.3*want {
		t.Errorf("noise variance %.0f, want %.0f (scale %d)", v, want, Sensitivity(s))
	}
}

// TestDPExports: the JSON and the XLSX read-me of a DP release say so: the
// mode, the ε spent, and the noise explained instead of suppression (no
// "hidden" anywhere, since nothing is).
func TestDPExports(t *testing.T) {
	s := testScript()
	n, err := Noisy(s, testCounters(t, s, testProfiles, ""), mustEps(t, "0.25"), seededNoise(2))
	if err != nil {
		t.Fatal(err)
	}
	sum := RenderNoisy(s, n, 5, "open", "en", mustEps(t, "0.5"))
	sum.Release = 2
	sum.ReleasedAt = "2026-12-04T19:00:00Z"
	sum.Noise = NoiseFor(s, mustEps(t, "0.25"))
	var js bytes.Buffer
	if err := WriteJSON(&js, sum); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back["mode"] != "dp" || back["epsilon_spent"] != 0.5 || back["release"] != 2.0 {
		t.Errorf("JSON mode %v, ε spent %v, release %v", back["mode"], back["epsilon_spent"], back["release"])
	}
	// The noise itself: Δ = 23, ε = 0.25 for this release, scale 92, sd
	// √(2q)/(1-q) with q = exp(-1/92).
	noise, _ := back["noise"].(map[string]any)
	if noise["mechanism"] != "discrete_laplace" || noise["epsilon"] != 0.25 || noise["sensitivity"] != 23.0 || noise["scale"] != 92.0 || noise["sd"] != 130.11 {
		t.Errorf("JSON noise %v", noise)
	}
	// CSV: DESIGN.md's eight columns, every count shown (none hidden in
	// DP mode), and beside the file the headers say the counts are noisy.
	var cs bytes.Buffer
	if err := WriteCSV(&cs, sum); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(cs.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := "question_id,option_id,by_question_id,by_option_id,count,suppressed,question,option"; strings.Join(rows[0], ",") != want {
		t.Errorf("CSV header %v", rows[0])
	}
	for _, r := range rows[1:] {
		if len(r) != 8 || r[4] == "" || r[5] != "false" {
			t.Fatalf("CSV row %v of a DP release", r)
		}
	}
	hs := map[string]string{}
	for _, h := range ExportHeaders(sum) {
		hs[h[0]] = h[1]
	}
	if hs["X-Baraza-Release"] != "2" || hs["X-Baraza-Released-At"] != "2026-12-04T19:00:00Z" ||
		hs["X-Baraza-Protection"] != "dp: every count has noise added; epsilon_spent=0.5; noise_sd=130.11" {
		t.Errorf("CSV headers %v", hs)
	}
	if len(rows) < 40 {
		t.Errorf("CSV of %d rows", len(rows))
	}
	var x bytes.Buffer
	if err := WriteXLSX(&x, sum, "en"); err != nil {
		t.Fatal(err)
	}
	dump := string(dumpWorkbook(t, x.Bytes(), time.Now().UTC()))
	for _, want := range []string{"s Release\nB5\tn 2", "differential privacy (random noise added to every count)", "Privacy budget ε spent so far\nB8\ts 0.5", "Every count in this file has random noise added",
		"ε spent by this release\nB9\ts 0.25", "Typical size of the noise on each count (standard deviation, in people)\nB10\ts 130.11", "Count (noise added)",
		"a breakdown's rows and columns add up to the counts of both questions"} {
		if !strings.Contains(dump, want) {
			t.Errorf("XLSX read-me lacks %q:\n%s", want, dump[:min(len(dump), 1500)])
		}
	}
	if strings.Contains(dump, "hidden") || strings.Contains(dump, "fewer than k") {
		t.Errorf("a DP workbook speaks of hidden counts:\n%s", dump)
	}
}

// BenchmarkNoisy is the cost of drawing one DP release's noise (every
// published counter of the test script) from crypto/rand, and of
// rendering it (what a page view costs).
func BenchmarkNoisy(b *testing.B) {
	s := testScript()
	c := testCounters(b, s, testProfiles, "")
	eps := mustEps(b, "0.2")
	b.Run("draw", func(b *testing.B) {
		for b.Loop() {
			if _, err := Noisy(s, c, eps, privacy.NewNoise(nil)); err != nil {
				b.Fatal(err)
			}
		}
	})
	n, _ := Noisy(s, c, eps, privacy.NewNoise(nil))
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			RenderNoisy(s, n, 5, "open", "en", eps)
		}
	})
}

// variantScripts are testScript and a version in which a single-answer
// question may be skipped (safe optional) and a segment is asked of some
// only (gender relevant), so that breakdowns have people outside them.
func variantScripts() []*dialogs.Script {
	a := testScript()
	b := testScript()
	for i := range b.Questions {
		switch b.Questions[i].ID {
		case "safe":
			b.Questions[i].Optional = true
		case "gender":
			b.Questions[i].Relevant = "${area} != 'south'"
		}
	}
	// A multi-select segment: breakdowns by it, and of it by the others.
	c := testScript()
	for i := range c.Questions {
		if c.Questions[i].ID == "incidents" {
			c.Questions[i].Segment = true
		}
	}
	out := []*dialogs.Script{a, b, c}
	// And the bundled scripts.
	for _, f := range []string{"community-safety.yaml", "incident-report.yaml"} {
		data, err := fs.ReadFile(dialogs.Bundled(), f)
		if err != nil {
			panic(err)
		}
		s, err := dialogs.Load(f, data)
		if err != nil {
			panic(err)
		}
		out = append(out, s)
	}
	return out
}

// checkPostProcessed fails unless out (PostProcess of some noisy counts)
// is consistent: nothing negative, totals in order, options adding up to
// answered, and every breakdown of two single-answer questions adding up
// along both rows and columns to the one-way counts (equal when everyone
// answers both questions, at most them otherwise, with the people outside
// the table no more than those who did not answer).
func checkPostProcessed(t *testing.T, s *dialogs.Script, out map[string]int64) {
	t.Helper()
	for f, v := range out {
		if v < 0 {
			t.Fatalf("%s = %d", f, v)
		}
	}
	completed := out[FieldCompleted]
	if out[FieldStarted] < completed {
		t.Fatalf("started %d < completed %d", out[FieldStarted], completed)
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		if !Listed(q) || !hasOptions(q) {
			continue
		}
		a := out[AnsweredField(q.ID)]
		var sum int64
		for _, o := range q.Options {
			sum += out[OptionField(q.ID, o.ID)]
		}
		if single(q) && sum != a || a > completed || always(q) && a != completed {
			t.Fatalf("%s: options sum %d, answered %d, completed %d", q.ID, sum, a, completed)
		}
	}
	for _, p := range dpPairs(s) {
		q, by := p[0], p[1]
		rows := make([]int64, len(q.Options))
		cols := make([]int64, len(by.Options))
		for i, o := range q.Options {
			for j, bo := range by.Options {
				v := out[BreakdownField(q.ID, o.ID, by.ID, bo.ID)]
				if q.Segment && out[BreakdownField(by.ID, bo.ID, q.ID, o.ID)] != v {
					t.Fatalf("%s x %s differs from its transpose", q.ID, by.ID)
				}
				rows[i] += v
				cols[j] += v
			}
		}
		// A line of a multi-select option: the people who chose it, split
		// by their one answer to the other question.
		line := func(name string, sum int64, m *dialogs.Question, o dialogs.Option, other *dialogs.Question) {
			total := out[OptionField(m.ID, o.ID)]
			outside := completed - out[AnsweredField(other.ID)]
			if sum > total || sum < total-outside || always(other) && sum != total {
				t.Fatalf("%s x %s: %s %s adds up to %d, option count %d (%d outside)", q.ID, by.ID, name, o.ID, sum, total, outside)
			}
		}
		for _, o := range q.Options {
			for _, bo := range by.Options {
				v := out[BreakdownField(q.ID, o.ID, by.ID, bo.ID)]
				if v > out[OptionField(q.ID, o.ID)] || v > out[OptionField(by.ID, bo.ID)] {
					t.Fatalf("%s x %s: cell %s,%s = %d above a one-way count", q.ID, by.ID, o.ID, bo.ID, v)
				}
			}
		}
		switch {
		case !single(q) && single(by):
			for i, o := range q.Options {
				line("row", rows[i], q, o, by)
			}
		case single(q) && !single(by):
			for j, bo := range by.Options {
				line("column", cols[j], by, bo, q)
			}
		}
		if !single(q) || !single(by) {
			continue
		}
		check := func(name string, got []int64, qq *dialogs.Question, other *dialogs.Question) {
			outside := completed - out[AnsweredField(other.ID)]
			for i, o := range qq.Options {
				want := out[OptionField(qq.ID, o.ID)]
				if always(other) && got[i] != want || got[i] > want || got[i] < want-outside {
					t.Fatalf("%s x %s: %s %s adds up to %d, one-way count %d (%d outside)", q.ID, by.ID, name, o.ID, got[i], want, outside)
				}
			}
		}
		check("row", rows, q, by)
		check("column", cols, by, q)
	}
}

// TestPostProcessProperties: random noisy counts (negative ones included,
// no true counter anywhere: PostProcess takes none) for both scripts come
// out consistent along rows and columns.
func TestPostProcessProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range variantScripts() {
		for trial := range 300 {
			raw := make(map[string]int64)
			spread := int64(1 + r.IntN(300))
			for _, tb := range dpTables(s) {
				for _, f := range tb.fields {
					raw[f] = r.Int64N(spread) - spread/4
				}
			}
			out := PostProcess(s, raw)
			if trial == 0 {
				if a, b := slices.Sorted(maps.Keys(out)), slices.Sorted(maps.Keys(raw)); len(a) < len(b) {
					t.Fatalf("PostProcess dropped fields: %d of %d", len(a), len(b))
				}
			}
			checkPostProcessed(t, s, out)
		}
	}
}

// TestPostProcessReadsOnlyNoise: the true counters enter a DP release
// through Raw alone. PostProcess's signature takes no counters, and Noisy
// (what a release stores) is exactly PostProcess of Raw for the same
// noise, so everything after the noise is a function of the noisy counts.
func TestPostProcessReadsOnlyNoise(t *testing.T) {
	for _, s := range variantScripts() {
		c := testCounters(t, s, testProfiles, "")
		for seed := range byte(10) {
			got, err := Noisy(s, c, mustEps(t, "0.3"), seededNoise(seed))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := Raw(s, c, mustEps(t, "0.3"), seededNoise(seed))
			if err != nil {
				t.Fatal(err)
			}
			if want := PostProcess(s, raw); !maps.Equal(got, want) {
				t.Fatalf("seed %d: Noisy is not PostProcess(Raw)", seed)
			}
			checkPostProcessed(t, s, got)
		}
	}
}
