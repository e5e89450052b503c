package privacy

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// history is a random problem of the shape a release history gives the
// auditor: an R×C table with its row and column margins and total,
// published n times (each time with more people), each cell shown or
// hidden (a small one hidden with lower bound 1, others sometimes hidden
// as complements), and every counter at least as large each time as the
// time before. Tables names each cell's line (the rows of the table, then
// the margins).
func history(rng *rand.Rand, n int) *Problem {
	R, C := 2+rng.IntN(3), 2+rng.IntN(3)
	p := &Problem{}
	var prev [][]int64
	var prevCells []int
	for rel := range n {
		v := make([][]int64, R)
		for i := range v {
			v[i] = make([]int64, C)
			for j := range v[i] {
				switch {
				case rel > 0:
					v[i][j] = prev[i][j] + int64(rng.IntN(3))*int64(rng.IntN(2))
				case rng.IntN(3) == 0:
					v[i][j] = int64(rng.IntN(5))
				default:
					v[i][j] = int64(rng.IntN(30))
				}
			}
		}
		var cells []int
		add := func(x int64, table int) int {
			small := x >= 1 && x < 5
			hidden := small || rng.IntN(4) == 0 || (x == 0 && rng.IntN(2) == 0)
			var lower int64
			if small {
				lower = 1
			}
			c := p.Add("", x, !hidden, lower)
			p.Tables = append(p.Tables, table)
			cells = append(cells, c)
			return c
		}
		grid := make([][]int, R)
		for i := range R {
			for j := range C {
				grid[i] = append(grid[i], add(v[i][j], i))
			}
		}
		var total int64
		rows := make([]int, R)
		for i := range R {
			var s int64
			for j := range C {
				s += v[i][j]
			}
			total += s
			rows[i] = add(s, R)
		}
		cols := make([]int, C)
		for j := range C {
			var s int64
			for i := range R {
				s += v[i][j]
			}
			cols[j] = add(s, R+1)
		}
		tot := add(total, R+2)
		line := func(cs []int, m int) {
			c := Constraint{Rel: Eq, Terms: []Term{{m, -1}}}
			for _, x := range cs {
				c.Terms = append(c.Terms, Term{x, 1})
			}
			p.Constraints = append(p.Constraints, c)
		}
		for i := range R {
			line(grid[i], rows[i])
		}
		for j := range C {
			var col []int
			for i := range R {
				col = append(col, grid[i][j])
			}
			line(col, cols[j])
		}
		line(rows, tot)
		if rel > 0 {
			for x := range cells {
				p.Constraints = append(p.Constraints, Constraint{Rel: Le, Terms: []Term{{prevCells[x], 1}, {cells[x], -1}}})
			}
		}
		prev, prevCells = v, cells
	}
	return p
}

// hideMore returns a copy of p with some shown cells hidden (not small:
// lower bound 0), as a suppression round does: every point feasible for
// p is feasible for it.
func hideMore(rng *rand.Rand, p *Problem) *Problem {
	q := *p
	q.Shown = slices.Clone(p.Shown)
	q.Lower = slices.Clone(p.Lower)
	q.Hints = nil
	for c := range q.Shown {
		if q.Shown[c] && rng.IntN(5) == 0 {
			q.Shown[c] = false
		}
	}
	return &q
}

// verdicts is every finding of rep by cell, with its interval.
func verdicts(rep Report) map[int]Finding {
	out := make(map[int]Finding)
	for _, f := range rep.Findings {
		out[f.Cell] = f
	}
	return out
}

// TestAuditHints: on random histories of 2 to 7 publications, the
// audit of a problem with more hidden (the next round of a suppression
// loop) given the previous round's points as Problem.Hints finds what
// the audit without hints finds, and what gonum's simplex says of its
// small cells; hints that are not feasible (a hidden cell moved off its
// facts, a shown cell moved, a cell under its lower bound) are refused,
// and counted neither as used nor as evidence.
func TestAuditHints(t *testing.T) {
	const k = 5
	seeds := 40
	if raceOn {
		seeds = 3
	}
	used, refused, checked := 0, 0, 0
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		p := history(rng, 2+rng.IntN(4))
		p.Tables = nil
		first := Audit(k, p)
		next := hideMore(rng, p)
		want := verdicts(Audit(k, next))
		// Hints that must be refused: each small hidden cell of next
		// alone moved by k (it is in a line of its table, so its facts
		// break), a shown cell moved, a cell under its lower bound.
		var bad []Point
		for c := range next.Values {
			v := float64(next.Values[c])
			switch {
			case !next.Shown[c] && next.Values[c] >= 1 && next.Values[c] < k:
				bad = append(bad, Point{Cells: []int{c}, Vals: []float64{v + k}})
			case next.Shown[c]:
				bad = append(bad, Point{Cells: []int{c}, Vals: []float64{v + 1}})
			case next.Lower[c] == 1:
				bad = append(bad, Point{Cells: []int{c}, Vals: []float64{0}})
			}
		}
		cases := []struct {
			name  string
			hints []Point
			// good: how many of them are feasible.
			good int
		}{
			{"previous round's points", first.Points, len(first.Points)},
			{"infeasible", bad, 0},
			{"both", append(slices.Clone(first.Points), bad...), len(first.Points)},
		}
		for _, tc := range cases {
			next.Hints = tc.hints
			rep := Audit(k, next)
			if rep.HintsUsed != tc.good {
				t.Errorf("seed %d %s: %d of %d hints used, want %d", seed, tc.name, rep.HintsUsed, len(tc.hints), tc.good)
			}
			used += rep.HintsUsed
			refused += len(tc.hints) - rep.HintsUsed
			got := verdicts(rep)
			for c, w := range want {
				g, ok := got[c]
				if !ok || g.Why != w.Why || g.Lo != w.Lo || g.Hi != w.Hi {
					t.Errorf("seed %d %s: cell %d: without hints %s, with: %+v", seed, tc.name, c, w.String(next), g)
				}
			}
			for c, g := range got {
				if _, ok := want[c]; !ok {
					t.Errorf("seed %d %s: cell %d: %s with hints only", seed, tc.name, c, g.String(next))
				}
			}
		}
		// The other way round: points of the program with more hidden
		// move cells p shows; those must be refused.
		next.Hints = nil
		moreHidden := Audit(k, next).Points
		p.Hints = moreHidden
		back := Audit(k, p)
		p.Hints = nil
		wantBack := verdicts(first)
		gotBack := verdicts(back)
		if len(gotBack) != len(wantBack) {
			t.Errorf("seed %d: points of a program with more hidden turn %d findings into %d", seed, len(wantBack), len(gotBack))
		}
		for c, w := range wantBack {
			if g, ok := gotBack[c]; !ok || g.Why != w.Why || g.Lo != w.Lo || g.Hi != w.Hi {
				t.Errorf("seed %d: points of a program with more hidden: cell %d: without %s, with %+v", seed, c, w.String(p), g)
			}
		}
		// And the verdicts are gonum's, for a few small cells.
		next.Hints = first.Points
		rep := verdicts(Audit(k, next))
		for _, c := range someSmall(rng, next, k, 2) {
			w, lo, hi := gonumVerdict(t, next, c, k)
			checked++
			if rep[c].Why != w {
				t.Errorf("seed %d cell %d (true %d): auditor with hints says %q, gonum's range [%d, %d] says %q", seed, c, next.Values[c], rep[c].Why, lo, hi, w)
			}
		}
	}
	t.Logf("hints used %d, refused %d; cells checked against gonum %d", used, refused, checked)
	if used == 0 || refused == 0 {
		t.Errorf("the random histories do not exercise hints: used %d, refused %d", used, refused)
	}
}
