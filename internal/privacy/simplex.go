package privacy

import (
	"errors"
	"math"
	"sync"
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

// tableau is a dense simplex tableau for min c·y, A y = b, y ≥ 0, kept
// between objectives: once phase I has found a feasible basis, every
// further objective (the min and max of each hidden cell) starts from the
// last optimal basis, so most cost a few pivots. The reduced costs are
// kept up to date by each pivot (a pass over the pivot row's non-zeros)
// rather than recomputed from every basic row: that recomputation was 80 %
// of an audit. gonum's lp.Simplex solves each program from scratch with a
// factorisation per step, which is exact but far slower on the auditor's
// programs; TestAuditAgainstGonum checks the auditor's verdicts against it.
type tableau struct {
	m, n  int         // rows, columns (without the right-hand side)
	t     [][]float64 // m rows of n+1 (last: right-hand side)
	basis []int
	nz    []int // scratch: non-zero columns of the pivot row
	ray   int   // after an unbounded solve: the column that can grow forever
	art   int   // during phase I: the first artificial column (0: none)
	back  []float64
}

// buffers recycles tableaux' storage: an audit of two releases builds
// programs of tens of megabytes, and the suppression loop audits several
// times in a row; fresh memory each time costs more in page faults than
// the pivots.
var buffers sync.Pool

func getBuffer(n int) []float64 {
	if b, ok := buffers.Get().(*[]float64); ok && cap(*b) >= n {
		buf := (*b)[:n]
		clear(buf)
		return buf
	} else if ok {
		buffers.Put(b)
	}
	return make([]float64, n)
}

// free gives the tableau's storage back; the tableau is not used after.
func (tb *tableau) free() {
	if tb.back != nil {
		b := tb.back
		buffers.Put(&b)
		tb.back, tb.t = nil, nil
	}
}

// rayPoint returns the feasible point theta along the ray found by the
// last unbounded solve.
func (tb *tableau) rayPoint(theta float64) []float64 {
	x := tb.x()
	x[tb.ray] += theta
	for i, bj := range tb.basis {
		x[bj] -= theta * tb.t[i][tb.ray]
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

// newTableau runs phase I on the rows over n columns (the slacks among
// them); a right-hand side may be negative (the row is negated).
//
// A row with a slack and rhs ≥ 0 starts with its slack basic; every other
// row gets an artificial column, and only those exist. The tableau is one
// allocation.
func newTableau(rows []sparseRow, n int) (*tableau, error) {
	m := len(rows)
	arts := 0
	for _, r := range rows {
		if r.slack < 0 || r.rhs < 0 {
			arts++
		}
	}
	w := n + arts // artificial columns n..w-1
	back := getBuffer(m * (w + 1))
	t := make([][]float64, m)
	basis := make([]int, m)
	c := make([]float64, w)
	next := n
	for i, r := range rows {
		row := back[i*(w+1) : (i+1)*(w+1) : (i+1)*(w+1)]
		sign := 1.0
		if r.rhs < 0 {
			sign = -1
		}
		for x, j := range r.idx {
			row[j] += sign * r.val[x]
		}
		if r.slack >= 0 {
			row[r.slack] = sign
		}
		row[w] = sign * r.rhs
		if r.slack >= 0 && sign > 0 {
			basis[i] = r.slack
		} else {
			row[next] = 1
			basis[i] = next
			c[next] = 1
			next++
		}
		t[i] = row
	}
	tb := &tableau{m: m, n: w, t: t, basis: basis, art: n, back: back}
	val, unb := tb.solve(c)
	if unb || val > 1e-6 {
		tb.free()
		return nil, errInfeasible
	}
	// Drive artificials out of the basis; a row where none can leave is
	// redundant and goes.
	for i := 0; i < tb.m; i++ {
		if tb.basis[i] < n {
			continue
		}
		piv := -1
		for j := range n {
			if math.Abs(tb.t[i][j]) > 1e-7 {
				piv = j
				break
			}
		}
		if piv < 0 {
			tb.t = append(tb.t[:i], tb.t[i+1:]...)
			tb.basis = append(tb.basis[:i], tb.basis[i+1:]...)
			tb.m--
			i--
			continue
		}
		tb.pivot(i, piv)
	}
	tb.art = 0
	// Drop the artificial columns.
	for i := range tb.t {
		row := tb.t[i]
		rhs := row[w]
		row = row[:n+1]
		row[n] = rhs
		tb.t[i] = row
	}
	tb.n = n
	return tb, nil
}

func (tb *tableau) pivot(r, c int) {
	pr := tb.t[r]
	f := pr[c]
	nz := tb.nz[:0]
	for j, v := range pr {
		if v != 0 {
			pr[j] = v / f
			nz = append(nz, j)
		}
	}
	tb.nz = nz
	for i, row := range tb.t {
		if i == r {
			continue
		}
		if g := row[c]; g != 0 {
			for _, j := range nz {
				row[j] -= g * pr[j]
			}
			row[c] = 0
		}
	}
	tb.basis[r] = c
	if tb.art > 0 {
		pivotsSetup.Add(1)
	} else {
		pivotsSearch.Add(1)
	}
}

// solve minimises c·y from the current basis and leaves the optimal basis
// in place. It reports the optimum, or unbounded.
func (tb *tableau) solve(c []float64) (float64, bool) {
	d := make([]float64, tb.n)
	inBasis := make([]bool, tb.n)
	for _, j := range tb.basis {
		inBasis[j] = true
	}
	// Reduced costs d_j = c_j - Σ c_B(i) t[i][j], computed once and then
	// updated by each pivot (a pass over the pivot row's non-zeros), and
	// computed afresh before optimality is declared, so rounding drift
	// cannot end the search early.
	reduced := func() {
		copy(d, c)
		for i, bj := range tb.basis {
			if cb := c[bj]; cb != 0 {
				for j, v := range tb.t[i][:tb.n] {
					d[j] -= cb * v
				}
			}
		}
	}
	reduced()
	fresh := true
	for iter := 0; ; iter++ {
		enter := -1
		bland := iter > 20*(tb.m+10)
		for j := range tb.n {
			if inBasis[j] || d[j] >= -eps*10 || (tb.art > 0 && j >= tb.art) {
				continue
			}
			if bland {
				enter = j
				break
			}
			if enter < 0 || d[j] < d[enter] {
				enter = j
			}
		}
		if enter < 0 && !fresh {
			reduced()
			fresh = true
			continue
		}
		if enter < 0 {
			var val float64
			for i, bj := range tb.basis {
				val += c[bj] * tb.t[i][tb.n]
			}
			return val, false
		}
		leave := -1
		var best float64
		for i := range tb.m {
			a := tb.t[i][enter]
			if a <= 1e-9 {
				continue
			}
			ratio := tb.t[i][tb.n] / a
			if leave < 0 || ratio < best-1e-12 || (math.Abs(ratio-best) <= 1e-12 && tb.basis[i] < tb.basis[leave]) {
				leave, best = i, ratio
			}
		}
		if leave < 0 {
			tb.ray = enter
			return math.Inf(-1), true
		}
		out := tb.basis[leave]
		inBasis[out] = false
		inBasis[enter] = true
		tb.pivot(leave, enter)
		if tb.art > 0 && out >= tb.art {
			// An artificial column that left the basis never comes back:
			// clear it, so the inverse it would carry does not fill the
			// tableau.
			for _, row := range tb.t {
				row[out] = 0
			}
		}
		de := d[enter]
		pr := tb.t[leave]
		for _, j := range tb.nz {
			if j < tb.n {
				d[j] -= de * pr[j]
			}
		}
		d[enter] = 0
		fresh = false
	}
}

// x returns the current basic solution.
func (tb *tableau) x() []float64 {
	x := make([]float64, tb.n)
	for i, bj := range tb.basis {
		x[bj] = max(tb.t[i][tb.n], 0)
	}
	return x
}
