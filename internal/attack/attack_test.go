package attack

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
)

func load(t testing.TB, file string) *dialogs.Script {
	t.Helper()
	s, err := Script(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unaudited is what the code before releases published: Build's
// table-by-table suppression, read by a reader who cannot tell why a
// count is hidden (so who assumes only that it is at least 0).
func unaudited(s *dialogs.Script, c map[string]int64, k int) results.Summary {
	sum := results.Render(s, c, k, "open", "en", nil)
	return stripReasons(sum)
}

func stripReasons(sum results.Summary) results.Summary {
	sum.StartedReason, sum.CompletedReason, sum.DeclinedReason = "", "", ""
	for i := range sum.Questions {
		sum.Questions[i].AnsweredReason = ""
		for j := range sum.Questions[i].Options {
			sum.Questions[i].Options[j].Reason = ""
		}
	}
	for i := range sum.Breakdowns {
		for j := range sum.Breakdowns[i].Cells {
			sum.Breakdowns[i].Cells[j].Reason = ""
		}
	}
	return sum
}

// tally is what an attack recovered.
type tally struct {
	hidden     int // hidden cells of 1..k-1 people
	pinned     int // ... whose value the reader pins to one value
	narrow     int // ... whose feasible interval is narrower than k
	determined int // small groups whose answer to a question follows
}

func (t tally) String() string {
	return fmt.Sprintf("%d small hidden cells: %d pinned, %d narrower than k; %d small groups' answers determined",
		t.hidden, t.pinned, t.narrow, t.determined)
}

func count(rep privacy.Report) tally {
	t := tally{hidden: len(rep.Intervals)}
	for _, f := range rep.Findings {
		switch f.Why {
		case privacy.WhyPinned:
			t.pinned++
		case privacy.WhyNarrow, privacy.WhyUnsolved:
			t.narrow++
		case privacy.WhyDetermined:
			t.determined++
		}
	}
	return t
}

type scenario struct {
	file string
	n    int
	seed uint64
	// before: also attack the unaudited publication (its programs are
	// large when most of the big script's cells are hidden: minutes).
	before bool
}

var scenarios = []scenario{
	{"six.yaml", 52, 1, true},
	{"six.yaml", 52, 2, true},
	{"six.yaml", 52, 3, true},
	{"six.yaml", 120, 4, true},
	{"incident-report.yaml", 40, 7, true},
	{"community-safety.yaml", 52, 5, false},
	{"community-safety.yaml", 150, 6, false},
}

// TestLinkedTables attacks one publication: every table of the summary
// (the one every output is made from) together.
func TestLinkedTables(t *testing.T) {
	const k = 5
	var before, after tally
	for _, sc := range scenarios {
		t.Run(fmt.Sprintf("%s/%d/%d", sc.file, sc.n, sc.seed), func(t *testing.T) {
			s := load(t, sc.file)
			pop := Generate(rand.New(rand.NewPCG(sc.seed, 11)), s, sc.n, k)
			c := pop.Counters(-1)

			var b tally
			if sc.before {
				p, _ := results.Model(s, []results.Published{{Counters: c, Summary: unaudited(s, c, k)}})
				b = count(privacy.Audit(k, p))
				t.Logf("before: %v", b)
			}

			sum := results.Build(s, c, k, "open", "en")
			p, _ := results.Model(s, []results.Published{{Counters: c, Summary: sum}})
			rep := privacy.Audit(k, p)
			a := count(rep)
			t.Logf("after:  %v", a)
			for _, f := range rep.Findings {
				t.Errorf("published summary leaks: %s", f.String(p))
			}
			before.add(b)
			after.add(a)
		})
	}
	t.Logf("ALL before: %v", before)
	t.Logf("ALL after:  %v", after)
	if before.pinned+before.narrow+before.determined == 0 {
		t.Errorf("the attack found nothing on table-by-table suppression: it is too weak to test anything")
	}
}

func (t *tally) add(o tally) {
	t.hidden += o.hidden
	t.pinned += o.pinned
	t.narrow += o.narrow
	t.determined += o.determined
}

// TestDifferencing attacks two looks: before releases, a reader looked
// just before and just after one more person completed; with releases,
// consecutive releases are at least k completions apart and audited
// together.
func TestDifferencing(t *testing.T) {
	const k = 5
	for _, sc := range scenarios[:5] {
		t.Run(fmt.Sprintf("%s/%d/%d", sc.file, sc.n, sc.seed), func(t *testing.T) {
			s := load(t, sc.file)
			pop := Generate(rand.New(rand.NewPCG(sc.seed, 12)), s, sc.n, k)
			// Before: two looks one completion apart.
			n := sc.n - 1
			c0, c1 := pop.Counters(n), pop.Counters(n+1)
			p, _ := results.Model(s, []results.Published{
				{Counters: c0, Summary: unaudited(s, c0, k)},
				{Counters: c1, Summary: unaudited(s, c1, k)},
			})
			rep := privacy.Audit(k, p)
			var newcomer int
			for _, f := range rep.Findings {
				if f.Why == privacy.WhyDetermined && p.Groups[f.Group].Label[:9] == "newcomers" {
					newcomer++
				}
			}
			t.Logf("before: one look before and one after a completion determine %d answers of newcomer groups (%d findings in all)", newcomer, len(rep.Findings))

			// After: a release every k or more completions, each audited
			// with the one before (as internal/release does); the attack
			// takes every consecutive pair.
			var pubs []results.Published
			last := 0
			for m := k; m <= sc.n; m++ {
				if m-last < k {
					continue
				}
				c := pop.Counters(m)
				prev := pubs[max(len(pubs)-1, 0):]
				sum, _, _ := results.Audited(s, c, k, "open", "en", prev)
				pubs = append(pubs, results.Published{Counters: c, Summary: sum})
				last = m
			}
			var all tally
			for i := 1; i < len(pubs); i++ {
				p, _ := results.Model(s, pubs[i-1:i+1])
				rep := privacy.Audit(k, p)
				all.add(count(rep))
				for _, f := range rep.Findings {
					t.Errorf("releases %d and %d leak: %s", i, i+1, f.String(p))
				}
			}
			t.Logf("after: %d releases, each consecutive pair attacked: %v", len(pubs), all)
		})
	}
}

// BenchmarkAudited is the cost of making the largest bundled
// consultation's publication safe: build, audit every table, hide more,
// audit again (results.Audited), at several sizes.
func BenchmarkAudited(b *testing.B) {
	s := load(b, "community-safety.yaml")
	for _, n := range []int{52, 300, 1000} {
		pop := Generate(rand.New(rand.NewPCG(9, uint64(n))), s, n, 5)
		c := pop.Counters(-1)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				results.Audited(s, c, 5, "open", "en", nil)
			}
		})
	}
}

// BenchmarkAudit is one audit of a finished publication (every table of
// the largest bundled consultation).
func BenchmarkAudit(b *testing.B) {
	s := load(b, "community-safety.yaml")
	for _, n := range []int{300, 1000} {
		pop := Generate(rand.New(rand.NewPCG(9, uint64(n))), s, n, 5)
		c := pop.Counters(-1)
		sum := results.Build(s, c, 5, "open", "en")
		p, _ := results.Model(s, []results.Published{{Counters: c, Summary: sum}})
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			defer reportPivots(b)()
			for b.Loop() {
				privacy.Audit(5, p)
			}
		})
	}
}

// lastRelease is the benchmarks' state: n respondents of a generated
// population of s, the release made 5 completions before them (audited
// alone), and the counters of all n.
func lastRelease(s *dialogs.Script, n int) ([]results.Published, map[string]int64) {
	pop := Generate(rand.New(rand.NewPCG(9, uint64(n))), s, n, 5)
	c0 := pop.Counters(n - 5)
	sum0, _, _ := results.Audited(s, c0, 5, "open", "en", nil)
	return []results.Published{{Counters: c0, Summary: sum0}}, pop.Counters(-1)
}

// BenchmarkRelease is the cost of making one release of the largest
// bundled consultation safe together with the previous one, 5 completions
// earlier (results.Audited with prev: every round of "hide more"), by the
// number of respondents: the work is in the hidden cells, not in the
// responses.
func BenchmarkRelease(b *testing.B) {
	s := load(b, "community-safety.yaml")
	for _, n := range []int{100, 1000, 10000, 100000} {
		prev, c1 := lastRelease(s, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			defer reportPivots(b)()
			for b.Loop() {
				results.Audited(s, c1, 5, "open", "en", prev)
			}
		})
	}
}

// BenchmarkAuditPair is one audit of a finished release of the largest
// bundled consultation together with the previous one (every table of
// both, and their difference): the audit a release passes, as a reader
// attacks it.
func BenchmarkAuditPair(b *testing.B) {
	s := load(b, "community-safety.yaml")
	for _, n := range []int{100, 1000, 10000, 100000} {
		prev, c1 := lastRelease(s, n)
		sum1, _, _ := results.Audited(s, c1, 5, "open", "en", prev)
		p, _ := results.Model(s, append(prev, results.Published{Counters: c1, Summary: sum1}))
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			defer reportPivots(b)()
			for b.Loop() {
				if rep := privacy.Audit(5, p); !rep.OK() {
					b.Fatalf("the release fails its audit: %d findings", len(rep.Findings))
				}
			}
		})
	}
}

// reportPivots, deferred at a benchmark's start (defer reportPivots(b)()),
// reports the auditor's simplex pivots per operation, setup (each
// program's first basis) and search (its objectives): the work measured
// without the noise of a shared machine.
func reportPivots(b *testing.B) func() {
	setup0, search0 := privacy.Pivots()
	return func() {
		setup, search := privacy.Pivots()
		b.ReportMetric(float64(setup-setup0)/float64(b.N), "setup-pivots/op")
		b.ReportMetric(float64(search-search0)/float64(b.N), "search-pivots/op")
	}
}
