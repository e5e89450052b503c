package privacy

import (
	"errors"
	"math"
	"sync/atomic"
)

// pivotsSetup and pivotsSearch count the process's simplex pivots: those
// that find each program's first feasible basis, and those that optimise
// objectives from it. Read by benchmarks through Pivots.
var pivotsSetup, pivotsSearch atomic.Int64

// Pivots reports the simplex pivots the auditor has made in this process
// so far: setup (finding each program's first basis) and search
// (optimising each objective). For benchmarks: a deterministic measure of
// the auditor's work on a noisy machine.
func Pivots() (setup, search int64) { return pivotsSetup.Load(), pivotsSearch.Load() }

// errInfeasible: the constraints have no solution (cannot happen when the
// true counts satisfy them; reported as unsolved, never as safe).
var errInfeasible = errors.New("privacy: infeasible linear program")

const eps = 1e-9

// dropTol: an entry of the tableau smaller than this after a pivot is
// cancellation, and is dropped (the programs' coefficients are small
// integers).
const dropTol = 1e-11

// tableau is a sparse simplex tableau for min c·y, A y = b, y ≥ 0, kept
// between objectives: every objective (the min and max of each hidden
// cell) starts from the last one's optimum, so most cost a few pivots.
//
// It holds B⁻¹A for the current basis B, row by row, and val, the current
// value of every column. A column out of the basis need not be at its
// bound 0 (it is then "superbasic"): it may move down as well as up, and
// moving down it may reach 0 before any basic column reaches its bound,
// when it stays out of the basis (a bound flip, no pivot). That lets a
// program start at any feasible point with any basis, not only at a
// vertex: the auditor knows one, the true counts, and starts there with
// a basis found by elimination (see newTableau), so there is no phase I.
//
// The auditor's programs are very sparse, and stay so: two releases of
// the largest bundled consultation at 10,000 respondents give about 950
// rows by 1,650 columns with 9 to 16 non-zeros a row over a whole audit
// (a column has up to 300). Rows are kept as lists of non-zeros, and each
// column knows its rows, so a pivot costs its non-zeros, not the
// program's size: the dense tableau this replaces spent half an audit
// clearing and scanning zeros.
//
// The reduced costs are kept up to date by each pivot (a pass over the
// pivot row's non-zeros) rather than recomputed from every basic row.
// gonum's lp.Simplex solves each program from scratch with a
// factorisation per step, exact but far slower on the auditor's programs;
// TestAuditAgainstGonum checks the auditor's verdicts against it.
type tableau struct {
	m, n  int
	rows  []spRow   // B⁻¹A, by row
	cols  [][]int32 // each column's rows: all with a non-zero, and maybe others (see live)
	basis []int     // the basic column of each row
	val   []float64 // the current value of every column (≥ 0)
	ray   int       // after an unbounded solve: the column that can grow forever
	art   int       // during phase I: the first artificial column (0: none)
	setup bool      // pivots are counted as setup
	mark  []int32   // scratch, zero between uses: column -> position in a row + 1
	d     []float64 // scratch: reduced costs
	in    []bool    // scratch: in the basis
	list  []int32   // scratch: a column's rows
	glist []float64 // scratch: their entries
	colv  []float64 // scratch: a column's values, by live
	pv    []float64 // scratch, zero between uses: the pivot row by column
	hit   []int32   // scratch: column -> the last row update that met it
	stamp []int32   // scratch: row -> the last live call that met it
	now   int32
}

// spRow is a row's non-zeros, in no order.
type spRow struct {
	idx []int32
	val []float64
}

// at returns row i's entry in column j.
func (tb *tableau) at(i, j int) float64 {
	r := &tb.rows[i]
	for p, c := range r.idx {
		if int(c) == j {
			return r.val[p]
		}
	}
	return 0
}

// rayPoint returns the feasible point theta along the ray found by the
// last unbounded solve.
func (tb *tableau) rayPoint(theta float64) []float64 {
	x := tb.x()
	x[tb.ray] += theta
	rows, vs := tb.live(tb.ray)
	for p, i := range rows {
		bj := tb.basis[i]
		x[bj] = max(x[bj]-theta*vs[p], 0)
	}
	return x
}

// sparseRow is one constraint row for newTableau: Σ val·y[idx] = rhs,
// with slack its own slack column (coefficient 1 in this row only) or -1.
// An index may repeat (the values add).
type sparseRow struct {
	idx   []int
	val   []float64
	rhs   float64
	slack int
}

// newTableau makes the program of the rows over n columns (the slacks
// among them), at a feasible point with a basis.
//
// When start (the value of every column but the slacks, which the rows
// give) is a feasible point, the program starts there: each row in turn
// picks a basic column by elimination (a column away from its bound, so
// fewer steps are degenerate, then the one in fewest rows, so the
// tableau fills least), and a row with none left is redundant and goes.
// That is one pivot per row (a row's own slack costs nothing to pivot
// on), and no search. Otherwise
// (start nil or not feasible) phase I finds a point: an artificial column
// per row that has no slack to start with, minimised away.
func newTableau(rows []sparseRow, n int, start []float64) (*tableau, error) {
	if start != nil {
		if tb := crash(rows, n, start); tb != nil {
			return tb, nil
		}
	}
	return phaseOne(rows, n)
}

// build makes the tableau of rows over w columns, each row multiplied by
// its sign (nil: 1), with no basis yet.
func build(rows []sparseRow, w int, sign []float64) *tableau {
	m := len(rows)
	tb := &tableau{m: m, n: w, rows: make([]spRow, m), cols: make([][]int32, w), basis: make([]int, m),
		mark: make([]int32, w)}
	for i, r := range rows {
		s := 1.0
		if sign != nil {
			s = sign[i]
		}
		row := spRow{idx: make([]int32, 0, len(r.idx)+1), val: make([]float64, 0, len(r.idx)+1)}
		add := func(j int, v float64) {
			if p := tb.mark[j]; p > 0 {
				row.val[p-1] += v
				return
			}
			row.idx = append(row.idx, int32(j))
			row.val = append(row.val, v)
			tb.mark[j] = int32(len(row.idx))
		}
		for x, j := range r.idx {
			add(j, s*r.val[x])
		}
		if r.slack >= 0 {
			add(r.slack, s)
		}
		tb.rows[i] = row
		tb.compact(i)
		tb.basis[i] = -1
	}
	return tb
}

// compact clears mark for row i's columns (a row just built), drops its
// entries below dropTol and lists row i in its other columns' lists.
func (tb *tableau) compact(i int) {
	r := &tb.rows[i]
	k := 0
	for p, j := range r.idx {
		tb.mark[j] = 0
		if v := r.val[p]; math.Abs(v) >= dropTol {
			r.idx[k], r.val[k] = j, v
			k++
			tb.cols[j] = append(tb.cols[j], int32(i))
		}
	}
	r.idx, r.val = r.idx[:k], r.val[:k]
}

// crash returns the program of the rows at start with a basis found by
// elimination, or nil when start is not feasible.
func crash(rows []sparseRow, n int, start []float64) *tableau {
	val := make([]float64, n)
	copy(val, start)
	for _, r := range rows {
		if r.slack < 0 {
			continue
		}
		s := r.rhs
		for x, j := range r.idx {
			s -= r.val[x] * val[j]
		}
		val[r.slack] = s
	}
	for j, v := range val {
		if v < -1e-9 {
			return nil
		}
		val[j] = max(v, 0)
	}
	for _, r := range rows {
		s := -r.rhs
		for x, j := range r.idx {
			s += r.val[x] * val[j]
		}
		if r.slack >= 0 {
			s += val[r.slack]
		}
		if math.Abs(s) > 1e-6*max(1, math.Abs(r.rhs)) {
			return nil
		}
	}
	tb := build(rows, n, nil)
	tb.val = val
	tb.setup = true
	for i := 0; i < tb.m; i++ {
		r := &tb.rows[i]
		var big float64
		for _, v := range r.val {
			big = max(big, math.Abs(v))
		}
		if big <= 1e-9 {
			// Redundant: the rows before it imply it (start satisfies
			// it, so it is not a contradiction).
			tb.dropRow(i)
			i--
			continue
		}
		// The best basic column: away from its bound (fewer degenerate
		// steps later), then in fewer rows (less fill), then a larger
		// entry; each column's rows counted once.
		best, bv, bn := -1, 0.0, -1
		for p, j := range r.idx {
			v := r.val[p]
			if math.Abs(v) < 0.1*big {
				continue
			}
			if best < 0 {
				best, bv, bn = int(j), v, -1
				continue
			}
			if pj, pb := tb.val[j] > 1e-9, tb.val[best] > 1e-9; pj != pb {
				if pj {
					best, bv, bn = int(j), v, -1
				}
				continue
			}
			if bn < 0 {
				l, _ := tb.live(best)
				bn = len(l)
			}
			l, _ := tb.live(int(j))
			if nj := len(l); nj < bn || (nj == bn && math.Abs(v) > math.Abs(bv)) {
				best, bv, bn = int(j), v, nj
			}
		}
		tb.pivot(i, best)
	}
	tb.setup = false
	return tb
}

// dropRow removes row i, whose entries are all (near) zero, and whose
// basic column, if any, is nonbasic from now on; the last row takes its
// place. Lists that name row i for a column it has no entry in are still
// right (see live); lists that name the last row for a column it no
// longer has an entry in name a row past the end, and are skipped.
func (tb *tableau) dropRow(i int) {
	last := tb.m - 1
	if i != last {
		for _, j := range tb.rows[last].idx {
			l := tb.cols[j]
			for p, x := range l {
				if int(x) == last {
					l[p] = int32(i)
					break
				}
			}
		}
		tb.rows[i] = tb.rows[last]
		tb.basis[i] = tb.basis[last]
	}
	tb.rows = tb.rows[:last]
	tb.basis = tb.basis[:last]
	tb.m--
}

// live returns column j's rows with a non-zero in it, each once, after
// compacting its list to them. A column's list gains a row when a pivot
// fills the row's entry, and is left alone when one cancels it, so it may
// name a row twice, a row whose entry is now 0, or a row since dropped:
// finding and removing a row from a long list at each cancellation cost
// a quarter of an audit.
func (tb *tableau) live(j int) ([]int32, []float64) {
	if len(tb.stamp) < tb.m {
		tb.stamp = make([]int32, len(tb.rows)+1)
	}
	tb.now++
	l := tb.cols[j]
	vs := tb.colv[:0]
	k := 0
	for _, i := range l {
		if int(i) >= tb.m || tb.stamp[i] == tb.now {
			continue
		}
		v := tb.at(int(i), j)
		if v == 0 {
			continue
		}
		tb.stamp[i] = tb.now
		l[k] = i
		vs = append(vs, v)
		k++
	}
	tb.cols[j] = l[:k]
	tb.colv = vs
	return l[:k], vs
}

// phaseOne makes the program of the rows by phase I. A right-hand side
// may be negative (the row is negated). A row with a slack and rhs ≥ 0
// starts with its slack basic; every other row gets an artificial column,
// and only those exist.
func phaseOne(rows []sparseRow, n int) (*tableau, error) {
	m := len(rows)
	sign := make([]float64, m)
	arts := 0
	for i, r := range rows {
		sign[i] = 1
		if r.rhs < 0 {
			sign[i] = -1
		}
		if r.slack < 0 || r.rhs < 0 {
			arts++
		}
	}
	w := n + arts // artificial columns n..w-1
	tb := build(rows, w, sign)
	tb.val = make([]float64, w)
	c := make([]float64, w)
	next := n
	for i, r := range rows {
		if r.slack >= 0 && sign[i] > 0 {
			tb.basis[i] = r.slack
		} else {
			row := &tb.rows[i]
			row.idx = append(row.idx, int32(next))
			row.val = append(row.val, 1)
			tb.cols[next] = append(tb.cols[next], int32(i))
			tb.basis[i] = next
			c[next] = 1
			next++
		}
		tb.val[tb.basis[i]] = sign[i] * r.rhs
	}
	tb.art = n
	tb.setup = true
	obj, unb := tb.solve(c)
	if unb || obj > 1e-6 {
		return nil, errInfeasible
	}
	// Drive artificials out of the basis; a row where none can leave is
	// redundant and goes.
	for i := 0; i < tb.m; i++ {
		if tb.basis[i] < n {
			continue
		}
		piv := -1
		r := &tb.rows[i]
		for p, j := range r.idx {
			if int(j) < n && math.Abs(r.val[p]) > 1e-7 && (piv < 0 || int(j) < piv) {
				piv = int(j)
			}
		}
		// The artificial is at 0: the pivot moves no value.
		tb.val[tb.basis[i]] = 0
		if piv < 0 {
			tb.dropRow(i)
			i--
			continue
		}
		tb.pivot(i, piv)
	}
	// Drop the artificial columns.
	for j := n; j < w; j++ {
		tb.clearCol(j)
	}
	tb.art = 0
	tb.setup = false
	tb.cols, tb.val, tb.mark = tb.cols[:n], tb.val[:n], tb.mark[:n]
	tb.n = n
	return tb, nil
}

// clearCol removes column j's entries from every row.
func (tb *tableau) clearCol(j int) {
	for _, i := range tb.cols[j] {
		if int(i) >= tb.m {
			continue
		}
		r := &tb.rows[i]
		for p, c := range r.idx {
			if int(c) == j {
				last := len(r.idx) - 1
				r.idx[p], r.val[p] = r.idx[last], r.val[last]
				r.idx, r.val = r.idx[:last], r.val[:last]
				break
			}
		}
	}
	tb.cols[j] = tb.cols[j][:0]
}

// pivot makes column c basic in row r.
func (tb *tableau) pivot(r, c int) { tb.pivotCol(r, c, nil, nil) }

// pivotCol is pivot given column c's rows and entries as live returns
// them (nil: found here), so that each row's entry need not be looked
// for again.
func (tb *tableau) pivotCol(r, c int, rows []int32, vals []float64) {
	pr := &tb.rows[r]
	f := tb.at(r, c)
	if len(tb.pv) < tb.n {
		tb.pv = make([]float64, tb.n)
		tb.hit = make([]int32, tb.n)
	}
	for p, j := range pr.idx {
		if int(j) == c {
			pr.val[p] = 1
		} else {
			pr.val[p] /= f
		}
		tb.pv[j] = pr.val[p]
	}
	if rows == nil {
		tb.list = append(tb.list[:0], tb.cols[c]...)
		tb.glist = tb.glist[:0]
	} else {
		tb.list = append(tb.list[:0], rows...)
		tb.glist = append(tb.glist[:0], vals...)
	}
	for q, i := range tb.list {
		if int(i) == r || int(i) >= tb.m {
			continue
		}
		var g float64
		if q < len(tb.glist) {
			g = tb.glist[q]
		}
		tb.axpy(int(i), c, pr, g)
	}
	for _, j := range pr.idx {
		tb.pv[j] = 0
	}
	tb.cols[c] = append(tb.cols[c][:0], int32(r))
	tb.basis[r] = c
	if tb.setup {
		pivotsSetup.Add(1)
	} else {
		pivotsSearch.Add(1)
	}
}

// axpy subtracts from row i the pivot row pr (scattered in pv, its entry
// in column c 1) times row i's entry in column c, so that this entry
// becomes 0, keeping the column lists. A row listed twice in column c's
// list, or no longer holding column c, has nothing to do.
func (tb *tableau) axpy(i, c int, pr *spRow, g float64) {
	ri := &tb.rows[i]
	if g == 0 {
		// Not given: look for it.
		for p, j := range ri.idx {
			if int(j) == c {
				g = ri.val[p]
				break
			}
		}
	}
	if g == 0 {
		return
	}
	tb.now++
	now := tb.now
	// One pass over row i: update the entries the pivot row shares,
	// drop the cancelled ones and column c's; then the pivot row's other
	// entries fill in.
	k := 0
	for p, j := range ri.idx {
		v := ri.val[p]
		if w := tb.pv[j]; w != 0 {
			tb.hit[j] = now
			v -= g * w
			if int(j) == c || math.Abs(v) < dropTol {
				// Column j's list keeps row i (see live).
				continue
			}
		}
		ri.idx[k], ri.val[k] = j, v
		k++
	}
	ri.idx, ri.val = ri.idx[:k], ri.val[:k]
	for q, j := range pr.idx {
		if tb.hit[j] == now {
			continue
		}
		ri.idx = append(ri.idx, j)
		ri.val = append(ri.val, -g*pr.val[q])
		tb.cols[j] = append(tb.cols[j], int32(i))
	}
}

// solve minimises c·y from the current point and basis and leaves the
// optimal ones in place. It reports the optimum, or unbounded (then ray
// is a column that grows forever along a feasible direction).
//
// A column out of the basis enters when moving it improves the objective:
// up from anywhere, down only from above 0. The step is the longest that
// keeps every basic column at or above 0 and the entering one too (moving
// down): if the entering column is the first to reach 0, it stays out (a
// bound flip); else the basic column that reaches 0 first leaves.
func (tb *tableau) solve(c []float64) (float64, bool) {
	if cap(tb.d) < tb.n {
		tb.d = make([]float64, tb.n)
		tb.in = make([]bool, tb.n)
	}
	d, inBasis := tb.d[:tb.n], tb.in[:tb.n]
	clear(inBasis)
	for _, j := range tb.basis {
		inBasis[j] = true
	}
	val := tb.val
	// Reduced costs d_j = c_j - Σ c_B(i) t[i][j], computed once and then
	// updated by each pivot (a pass over the pivot row's non-zeros), and
	// computed afresh before optimality is declared, so rounding drift
	// cannot end the search early.
	reduced := func() {
		copy(d, c)
		for i, bj := range tb.basis {
			if cb := c[bj]; cb != 0 {
				r := &tb.rows[i]
				for p, j := range r.idx {
					d[j] -= cb * r.val[p]
				}
			}
		}
		for _, bj := range tb.basis {
			d[bj] = 0
		}
	}
	reduced()
	fresh := true
	cols := tb.n
	if tb.art > 0 {
		cols = tb.art // an artificial never enters
	}
	for iter := 0; ; iter++ {
		enter, dir := -1, 0.0
		var score float64
		bland := iter > 20*(tb.m+10)
		for j, dj := range d[:cols] {
			var s, dr float64
			switch {
			case inBasis[j]:
				continue
			case dj < -eps*10:
				s, dr = -dj, 1
			case dj > eps*10 && val[j] > eps:
				s, dr = dj, -1
			default:
				continue
			}
			if bland {
				enter, dir = j, dr
				break
			}
			// Steepest edge, roughly: the reduced cost over the length
			// of the column's edge, its rows counted as entries of 1.
			s = s * s / float64(1+len(tb.cols[j]))
			if s > score {
				enter, dir, score = j, dr, s
			}
		}
		if enter < 0 && !fresh {
			reduced()
			fresh = true
			continue
		}
		if enter < 0 {
			var obj float64
			for j, cj := range c {
				if cj != 0 {
					obj += cj * val[j]
				}
			}
			return obj, false
		}
		// Ratio test. Moving down, the entering column's own bound is a
		// limit; a basic column that ties with it does not leave.
		leave := -1
		best := math.Inf(1)
		if dir < 0 {
			best = val[enter]
		}
		var bestA float64
		col, vs := tb.live(enter)
		for p, i := range col {
			a := dir * vs[p]
			if a <= eps {
				continue
			}
			ratio := max(val[tb.basis[i]], 0) / a
			switch {
			case ratio < best-1e-12:
			case ratio > best+1e-12 || (leave < 0 && dir < 0):
				continue
			case bland:
				if tb.basis[i] > tb.basis[leave] {
					continue
				}
			case a <= bestA:
				continue
			}
			leave, best, bestA = int(i), ratio, a
		}
		if leave < 0 && dir > 0 {
			tb.ray = enter
			return math.Inf(-1), true
		}
		if best > 0 {
			for p, i := range col {
				bj := tb.basis[i]
				val[bj] = max(val[bj]-dir*best*vs[p], 0)
			}
			val[enter] += dir * best
		}
		if leave < 0 {
			// Bound flip: the entering column reached 0 first.
			val[enter] = 0
			continue
		}
		out := tb.basis[leave]
		val[out] = 0
		inBasis[out] = false
		inBasis[enter] = true
		tb.pivotCol(leave, enter, col, vs)
		if tb.art > 0 && out >= tb.art {
			// An artificial column that left the basis never comes back:
			// clear it, so the inverse it would carry does not fill the
			// tableau.
			tb.clearCol(out)
		}
		de := d[enter]
		pr := &tb.rows[leave]
		for p, j := range pr.idx {
			d[j] -= de * pr.val[p]
		}
		d[enter] = 0
		fresh = false
	}
}

// x returns the current point.
func (tb *tableau) x() []float64 {
	x := make([]float64, tb.n)
	for j, v := range tb.val {
		x[j] = max(v, 0)
	}
	return x
}

// basicRow returns the row column j is basic in, or -1.
func (tb *tableau) basicRow(j int) int {
	if l, _ := tb.live(j); len(l) == 1 && tb.basis[l[0]] == j {
		return int(l[0])
	}
	return -1
}

// reach returns how far nonbasic column j can move from the current
// point in direction dir (+1 up, -1 down), every column following and
// staying at or above 0, at most limit, without a pivot; and the rows
// that follow with their entries (a basic column moves by -dir·θ·entry).
// The tableau does not move.
func (tb *tableau) reach(j int, dir, limit float64) (float64, []int32, []float64) {
	theta := limit
	if dir < 0 {
		theta = min(theta, tb.val[j])
	}
	col, vs := tb.live(j)
	for p := range col {
		if a := dir * vs[p]; a > eps {
			theta = min(theta, max(tb.val[tb.basis[col[p]]], 0)/a)
		}
	}
	if theta <= eps {
		return 0, nil, nil
	}
	return theta, col, vs
}
