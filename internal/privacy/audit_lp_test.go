package privacy

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// twoReleases is a random problem of the shape the auditor meets: an R×C
// table with its row and column margins and total, published twice (the
// second time with more people), each cell shown or hidden (a small one
// hidden with lower bound 1, others sometimes hidden as complements), and
// every counter at least as large the second time. Tables names each
// cell's line (the rows of the table, then the margins).
func twoReleases(rng *rand.Rand) *Problem {
	R, C := 2+rng.IntN(3), 2+rng.IntN(3)
	p := &Problem{}
	var prev [][]int64
	var prevCells []int
	for rel := range 2 {
		v := make([][]int64, R)
		for i := range v {
			v[i] = make([]int64, C)
			for j := range v[i] {
				switch {
				case rel == 1:
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
		if rel == 1 {
			for x := range cells {
				p.Constraints = append(p.Constraints, Constraint{Rel: Le, Terms: []Term{{prevCells[x], 1}, {cells[x], -1}}})
			}
		}
		prev, prevCells = v, cells
	}
	return p
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
		p := twoReleases(rng)
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
		var small []int
		for c := range p.Values {
			if !p.Shown[c] && p.Values[c] >= 1 && p.Values[c] < k {
				small = append(small, c)
			}
		}
		rng.Shuffle(len(small), func(i, j int) { small[i], small[j] = small[j], small[i] })
		for _, c := range small[:min(len(small), 6)] {
			lo, hi := gonumRange(t, p, c)
			ilo, ihi := int64(math.Ceil(lo-1e-6)), int64(math.MaxInt64)
			if !math.IsInf(hi, 1) {
				ihi = int64(math.Floor(hi + 1e-6))
			}
			want := ""
			switch {
			case ilo == ihi:
				want = WhyPinned
			case ihi != math.MaxInt64 && ihi-ilo < k:
				want = WhyNarrow
			}
			checked[want]++
			if found[c] != want {
				t.Errorf("seed %d cell %d (true %d): auditor says %q, gonum's range [%g, %g] says %q", seed, c, p.Values[c], found[c], lo, hi, want)
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
