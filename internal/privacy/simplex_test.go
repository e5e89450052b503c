package privacy

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// feasible checks that tb's point satisfies the rows (A val = b) and val ≥ 0.
func feasible(t *testing.T, tb *tableau, rows []sparseRow) {
	t.Helper()
	for j, v := range tb.val {
		if v < -1e-9 {
			t.Errorf("column %d at %g, below its bound 0", j, v)
		}
	}
	for i, r := range rows {
		s := -r.rhs
		for x, j := range r.idx {
			s += r.val[x] * tb.val[j]
		}
		if r.slack >= 0 {
			s += tb.val[r.slack]
		}
		if math.Abs(s) > 1e-7 {
			t.Errorf("row %d off by %g at the point reached", i, s)
		}
	}
}

// TestTableauStartsAtPoint: given a feasible point, newTableau starts
// there (no artificial column, no phase I: one setup pivot per row), and
// the point is the one given.
func TestTableauStartsAtPoint(t *testing.T) {
	// x + y = 4, x - z = 1, x + w + s = 6 (s slack).
	rows := []sparseRow{
		{idx: []int{0, 1}, val: []float64{1, 1}, rhs: 4, slack: -1},
		{idx: []int{0, 2}, val: []float64{1, -1}, rhs: 1, slack: -1},
		{idx: []int{0, 3}, val: []float64{1, 1}, rhs: 6, slack: 4},
	}
	setup0, search0 := Pivots()
	tb, err := newTableau(rows, 5, []float64{3, 1, 2, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	setup, search := Pivots()
	if tb.n != 5 || tb.art != 0 {
		t.Errorf("tableau of %d columns (art %d), want 5 and none", tb.n, tb.art)
	}
	if want := []float64{3, 1, 2, 1, 2}; !near(tb.val, want) {
		t.Errorf("starts at %v, want %v (the slack from its row)", tb.val, want)
	}
	if setup-setup0 != 3 || search != search0 {
		t.Errorf("%d setup and %d search pivots, want 3 and 0", setup-setup0, search-search0)
	}
	feasible(t, tb, rows)
	// max x: x ≤ 4 (y ≥ 0), x ≤ 6 (w, s ≥ 0): 4.
	if v, unb := tb.solve([]float64{-1, 0, 0, 0, 0}); unb || math.Abs(v+4) > 1e-9 {
		t.Errorf("max x: %v (unbounded %v), want 4", -v, unb)
	}
	feasible(t, tb, rows)
	// min x from there (warm): x ≥ 1 (z ≥ 0).
	if v, unb := tb.solve([]float64{1, 0, 0, 0, 0}); unb || math.Abs(v-1) > 1e-9 {
		t.Errorf("min x: %v (unbounded %v), want 1", v, unb)
	}
	feasible(t, tb, rows)
}

func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

// TestTableauBoundFlip: a column out of the basis above its bound moves
// down to 0 without a pivot when nothing basic stops it first.
func TestTableauBoundFlip(t *testing.T) {
	// x + y + s = 10, x + y + u = 12, start x = 3, y = 3: s and u (4
	// and 6, each in one row) are basic, x and y (in two rows) are out
	// of the basis at 3.
	rows := []sparseRow{
		{idx: []int{0, 1}, val: []float64{1, 1}, rhs: 10, slack: 2},
		{idx: []int{0, 1}, val: []float64{1, 1}, rhs: 12, slack: 3},
	}
	tb, err := newTableau(rows, 4, []float64{3, 3, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if tb.basis[0] != 2 || tb.basis[1] != 3 {
		t.Fatalf("basis %v, want the slacks", tb.basis)
	}
	_, search0 := Pivots()
	if v, unb := tb.solve([]float64{1, 0, 0, 0}); unb || math.Abs(v) > 1e-9 {
		t.Errorf("min x: %v (unbounded %v), want 0", v, unb)
	}
	if _, search := Pivots(); search != search0 {
		t.Errorf("min x took %d pivots, want a bound flip (none)", search-search0)
	}
	if tb.val[0] != 0 || math.Abs(tb.val[2]-7) > 1e-9 || math.Abs(tb.val[3]-9) > 1e-9 {
		t.Errorf("at %v, want x 0, s 7, u 9", tb.val)
	}
	feasible(t, tb, rows)
	// max x + y: up to 10, the first slack leaves.
	if v, unb := tb.solve([]float64{-1, -1, 0, 0}); unb || math.Abs(v+10) > 1e-9 {
		t.Errorf("max x+y: %v (unbounded %v), want 10", -v, unb)
	}
	feasible(t, tb, rows)
}

// TestTableauDegenerate: a start where basic columns sit at their bound
// (the true counts of empty cells) still reaches the optimum, through
// steps of length 0.
func TestTableauDegenerate(t *testing.T) {
	// a + b = 2, c + d = 0, a + c - e = 0, b + d - f = 2 (a row and a
	// column table with zeros): start a=0, b=2, c=d=0, e=0, f=0.
	rows := []sparseRow{
		{idx: []int{0, 1}, val: []float64{1, 1}, rhs: 2, slack: -1},
		{idx: []int{2, 3}, val: []float64{1, 1}, rhs: 0, slack: -1},
		{idx: []int{0, 2, 4}, val: []float64{1, 1, -1}, rhs: 0, slack: -1},
		{idx: []int{1, 3, 5}, val: []float64{1, 1, -1}, rhs: 2, slack: -1},
	}
	tb, err := newTableau(rows, 6, []float64{0, 2, 0, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	// max a: a = 2 (b = 0, e = 2, f = -2? no: b + d - f = 2 with b = 0
	// needs f = -2 < 0): a stays 0.
	if v, unb := tb.solve([]float64{-1, 0, 0, 0, 0, 0}); unb || math.Abs(v) > 1e-9 {
		t.Errorf("max a: %v (unbounded %v), want 0", -v, unb)
	}
	// max e: e = a + c, a = 0 at most: 0. max f: unbounded? b + d - f = 2,
	// b ≤ 2, d = 0: f = b - 2 ≤ 0: 0.
	for _, j := range []int{4, 5} {
		c := make([]float64, 6)
		c[j] = -1
		if v, unb := tb.solve(c); unb || math.Abs(v) > 1e-9 {
			t.Errorf("max column %d: %v (unbounded %v), want 0", j, -v, unb)
		}
	}
	feasible(t, tb, rows)
}

// TestTableauUnbounded: from a start point, an objective with no bound is
// reported unbounded, and the ray point is feasible and larger.
func TestTableauUnbounded(t *testing.T) {
	// x - y = 1: start x = 3, y = 2.
	rows := []sparseRow{{idx: []int{0, 1}, val: []float64{1, -1}, rhs: 1, slack: -1}}
	tb, err := newTableau(rows, 2, []float64{3, 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, unb := tb.solve([]float64{-1, 0}); !unb {
		t.Fatalf("max x of x - y = 1: want unbounded")
	}
	x := tb.rayPoint(100)
	if x[0] < 100 || math.Abs(x[0]-x[1]-1) > 1e-9 || x[1] < 0 {
		t.Errorf("ray point %v: want x - y = 1, x ≥ 100, y ≥ 0", x)
	}
	// min x from there: 1.
	if v, unb := tb.solve([]float64{1, 0}); unb || math.Abs(v-1) > 1e-9 {
		t.Errorf("min x: %v (unbounded %v), want 1", v, unb)
	}
}

// TestTableauBadStart: a start that breaks a row or a bound is not used;
// phase I finds a point instead, and the optimum is the same.
func TestTableauBadStart(t *testing.T) {
	rows := []sparseRow{
		{idx: []int{0, 1}, val: []float64{1, 1}, rhs: 4, slack: -1},
		{idx: []int{0}, val: []float64{1}, rhs: 3, slack: 2},
	}
	for _, start := range [][]float64{{1, 1, 0}, {5, -1, 0}, {4, 0, 0}} {
		tb, err := newTableau(rows, 3, start)
		if err != nil {
			t.Fatal(err)
		}
		// max x: 3 (x ≤ 3 by the second row).
		if v, unb := tb.solve([]float64{-1, 0, 0}); unb || math.Abs(v+3) > 1e-9 {
			t.Errorf("start %v: max x %v (unbounded %v), want 3", start, -v, unb)
		}
		feasible(t, tb, rows)
	}
}

// TestAuditSmallLowerBound: a hidden cell labelled small is at least 1,
// which a reader uses; the program started at the true counts keeps that
// bound (its column is the cell less 1).
func TestAuditSmallLowerBound(t *testing.T) {
	// a + b = 5 shown, a = 1 and b = 4 both hidden as small (≥ 1): a is
	// in [1, 4], narrower than 5. With no lower bound it would be [0, 5].
	p := &Problem{}
	tot := p.Add("total", 5, true, 0)
	a := p.Add("a", 1, false, 1)
	b := p.Add("b", 4, false, 1)
	p.Constraints = []Constraint{{Rel: Eq, Terms: []Term{{a, 1}, {b, 1}, {tot, -1}}}}
	rep := Audit(5, p)
	got := map[int]Interval{}
	for _, iv := range rep.Intervals {
		got[iv.Cell] = iv
	}
	if iv := got[a]; iv.Lo != 1 || iv.Hi != 4 {
		t.Errorf("a in [%d, %d], want [1, 4]", iv.Lo, iv.Hi)
	}
	if len(rep.Findings) != 2 || rep.Findings[0].Why != WhyNarrow {
		t.Errorf("findings %v, want both cells narrow", rep.Findings)
	}
	lo, hi := gonumRange(t, p, a)
	if lo != 1 || hi != 4 {
		t.Errorf("gonum: a in [%g, %g], want [1, 4]", lo, hi)
	}
}

// TestTableauRandom: on random sparse programs with a known feasible
// point (equalities and inequalities over small integer coefficients, as
// the auditor's), a sequence of random objectives solved warm from the
// point gives gonum's optimum each time, and the point stays feasible.
func TestTableauRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 3))
	solved, unbounded := 0, 0
	runs := 200
	if raceOn {
		runs = 40
	}
	for run := range runs {
		cells := 4 + rng.IntN(12)
		m := 2 + rng.IntN(cells-3) // fewer rows than columns, as gonum asks
		point := make([]float64, cells)
		for j := range point {
			if rng.IntN(3) > 0 {
				point[j] = float64(rng.IntN(6))
			}
		}
		var rows []sparseRow
		n := cells
		for range m {
			var r sparseRow
			for _, j := range rng.Perm(cells)[:2+rng.IntN(3)] {
				v := float64(1 - 2*rng.IntN(2))
				r.idx = append(r.idx, j)
				r.val = append(r.val, v)
				r.rhs += v * point[j]
			}
			r.slack = -1
			if rng.IntN(3) == 0 {
				r.slack = n
				n++
				r.rhs += float64(rng.IntN(3))
			}
			rows = append(rows, r)
		}
		// Every cell in some row (gonum refuses an empty column).
		used := make([]bool, cells)
		for _, r := range rows {
			for _, j := range r.idx {
				used[j] = true
			}
		}
		for j, u := range used {
			if !u {
				r := &rows[rng.IntN(len(rows))]
				r.idx = append(r.idx, j)
				r.val = append(r.val, 1)
				r.rhs += point[j]
			}
		}
		// The same program in standard form for gonum.
		A := mat.NewDense(len(rows), n, nil)
		b := make([]float64, len(rows))
		for i, r := range rows {
			for x, j := range r.idx {
				A.Set(i, j, A.At(i, j)+r.val[x])
			}
			if r.slack >= 0 {
				A.Set(i, r.slack, 1)
			}
			b[i] = r.rhs
		}
		start := make([]float64, n)
		copy(start, point)
		tb, err := newTableau(rows, n, start)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if tb.art != 0 || tb.n != n {
			t.Fatalf("run %d: started by phase I", run)
		}
		for obj := range 6 {
			c := make([]float64, n)
			for range 1 + rng.IntN(3) {
				c[rng.IntN(cells)] = float64(rng.IntN(5) - 2)
			}
			got, unb := tb.solve(c)
			feasible(t, tb, rows)
			want, werr := gonumStandard(c, A, b)
			switch {
			case errors.Is(werr, lp.ErrSingular) || errors.Is(werr, lp.ErrLinSolve):
				continue // redundant rows: gonum wants full rank
			case errors.Is(werr, lp.ErrUnbounded):
				unbounded++
				if !unb {
					t.Errorf("run %d objective %d: got %g, gonum says unbounded", run, obj, got)
				}
			case werr != nil:
				t.Fatalf("run %d: gonum: %v", run, werr)
			default:
				solved++
				if unb || math.Abs(got-want) > 1e-6 {
					t.Errorf("run %d objective %d: got %g (unbounded %v), gonum %g", run, obj, got, unb, want)
				}
			}
		}
	}
	t.Logf("%d optima and %d unbounded programs checked against gonum", solved, unbounded)
	if solved < runs || unbounded == 0 {
		t.Errorf("too few programs checked: %d optima, %d unbounded", solved, unbounded)
	}
}

// gonumStandard solves min c·y, A y = b, y ≥ 0 with gonum from scratch
// (rows negated so that b ≥ 0).
func gonumStandard(c []float64, A *mat.Dense, b []float64) (float64, error) {
	r, n := A.Dims()
	A2 := mat.NewDense(r, n, nil)
	b2 := make([]float64, r)
	for i := range r {
		s := 1.0
		if b[i] < 0 {
			s = -1
		}
		for j := range n {
			A2.Set(i, j, s*A.At(i, j))
		}
		b2[i] = s * b[i]
	}
	opt, _, err := lp.Simplex(c, A2, b2, 1e-10, nil)
	return opt, err
}
