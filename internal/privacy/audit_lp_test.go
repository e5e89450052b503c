package privacy

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// someSmall returns up to n of p's small hidden cells (1..k-1 people),
// in random order.
func someSmall(rng *rand.Rand, p *Problem, k, n int) []int {
	var small []int
	for c := range p.Values {
		if !p.Shown[c] && p.Values[c] >= 1 && p.Values[c] < int64(k) {
			small = append(small, c)
		}
	}
	rng.Shuffle(len(small), func(i, j int) { small[i], small[j] = small[j], small[i] })
	return small[:min(len(small), n)]
}

// gonumVerdict is the finding the auditor must report for cell c (""
// for none), and the whole numbers of gonum's range of it (see
// gonumRange; hi is math.MaxInt64 when the range has no upper end).
func gonumVerdict(t *testing.T, p *Problem, c, k int) (why string, lo, hi int64) {
	flo, fhi := gonumRange(t, p, c)
	lo, hi = int64(math.Ceil(flo-1e-6)), int64(math.MaxInt64)
	if !math.IsInf(fhi, 1) {
		hi = int64(math.Floor(fhi + 1e-6))
	}
	switch {
	case lo == hi:
		why = WhyPinned
	case hi != math.MaxInt64 && hi-lo < int64(k):
		why = WhyNarrow
	}
	return why, lo, hi
}

// gonumRange is cell c's feasible range by gonum's simplex, from the
// problem as stated (every equality as two inequalities, every hidden cell
// a variable above its lower bound): an independent check of the
// auditor's own tableau, its reductions and its substitutions.
func gonumRange(t *testing.T, p *Problem, c int) (lo, hi float64) {
	var hidden []int
	col := make(map[int]int)
	for x := range p.Values {
		if !p.Shown[x] {
			col[x] = len(hidden)
			hidden = append(hidden, x)
		}
	}
	n := len(hidden)
	var G [][]float64
	var h []float64
	row := func(ts []Term, sign float64) {
		r := make([]float64, n)
		var rhs float64
		for _, tm := range ts {
			if p.Shown[tm.Cell] {
				rhs -= sign * tm.Coef * float64(p.Values[tm.Cell])
			} else {
				r[col[tm.Cell]] += sign * tm.Coef
			}
		}
		G, h = append(G, r), append(h, rhs)
	}
	for _, con := range p.Constraints {
		row(con.Terms, 1)
		if con.Rel == Eq {
			row(con.Terms, -1)
		}
	}
	for _, x := range hidden {
		row([]Term{{x, -1}}, 1)
		h[len(h)-1] -= float64(p.Lower[x])
	}
	gm := mat.NewDense(len(G), n, nil)
	for i, r := range G {
		gm.SetRow(i, r)
	}
	solve := func(sign float64) (float64, bool) {
		cost := make([]float64, n)
		cost[col[c]] = sign
		cNew, aNew, bNew := lp.Convert(cost, gm, h, nil, nil)
		opt, _, err := lp.Simplex(cNew, aNew, bNew, 1e-10, nil)
		if errors.Is(err, lp.ErrUnbounded) {
			return 0, true
		}
		if err != nil {
			t.Fatalf("gonum: %v", err)
		}
		return sign * opt, false
	}
	lo, _ = solve(1)
	hi, unb := solve(-1)
	if unb {
		hi = math.Inf(1)
	}
	return lo, hi
}

// TestAuditAgainstGonum: on random two-release tables, every verdict of the
// auditor on a hidden small cell (pinned, narrow, or protected) is the one
// gonum's simplex gives from the problem as stated, and the interval it
// reports lies inside gonum's. With Tables set, it names the same tables.
func TestAuditAgainstGonum(t *testing.T) {
	const k = 5
	checked := map[string]int{}
	seeds := 60
	if raceOn {
		seeds = 15
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		p := history(rng, 2)
		tables := p.Tables
		p.Tables = nil
		rep := Audit(k, p)
		found := make(map[int]string)
		for _, f := range rep.Findings {
			found[f.Cell] = f.Why
		}
		reported := make(map[int]Interval)
		for _, iv := range rep.Intervals {
			reported[iv.Cell] = iv
		}
		// Up to six small hidden cells per problem, in random order
		// (gonum solves each from scratch).
		for _, c := range someSmall(rng, p, k, 6) {
			want, ilo, ihi := gonumVerdict(t, p, c, k)
			checked[want]++
			if found[c] != want {
				t.Errorf("seed %d cell %d (true %d): auditor says %q, gonum's range [%d, %d] says %q", seed, c, p.Values[c], found[c], ilo, ihi, want)
			}
			if iv, ok := reported[c]; ok && (iv.Lo < ilo || iv.Hi > ihi) {
				t.Errorf("seed %d cell %d: reported [%d, %d] outside gonum's [%d, %d]", seed, c, iv.Lo, iv.Hi, ilo, ihi)
			}
		}
		// First finding per table: the same tables.
		named := func(r Report) map[int]bool {
			out := make(map[int]bool)
			for _, f := range r.Findings {
				for _, c := range f.Cells {
					out[tables[c]] = true
				}
			}
			return out
		}
		full := named(rep)
		p.Tables = tables
		first := named(Audit(k, p))
		if len(full) != len(first) {
			t.Errorf("seed %d: every finding names tables %v, first per table %v", seed, full, first)
		}
		for tb := range full {
			if !first[tb] {
				t.Errorf("seed %d: table %d unsafe but not found with Tables", seed, tb)
			}
		}
	}
	t.Logf("small hidden cells checked, by verdict: %v", checked)
	if checked[WhyPinned] == 0 || checked[WhyNarrow] == 0 || checked[""] == 0 {
		t.Errorf("the random tables do not cover every verdict: %v", checked)
	}
}
