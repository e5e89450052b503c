package privacy

import (
	"errors"
	"math"
)

// errInfeasible: the constraints have no solution (cannot happen when the
// true counts satisfy them; reported as unsolved, never as safe).
var errInfeasible = errors.New("privacy: infeasible linear program")

const eps = 1e-9

// tableau is a dense simplex tableau for min c·y, A y = b, y ≥ 0, kept
// between objectives: once phase I has found a feasible basis, every
// further objective (the min and max of each hidden cell) starts from the
// last optimal basis, so most cost a few pivots. gonum's lp.Simplex solves
// each program from scratch with a factorisation per step, which is
// exact but about a hundred times slower on the auditor's programs; the
// two are checked against each other in the tests.
type tableau struct {
	m, n  int         // rows, columns (without the right-hand side)
	t     [][]float64 // m rows of n+1 (last: right-hand side)
	basis []int
	nz    []int // scratch: non-zero columns of the pivot row
	ray   int   // after an unbounded solve: the column that can grow forever
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

// newTableau runs phase I. A is m×n, b ≥ 0 is not required (rows are
// negated as needed).
//
// slack[i] is the column of row i's own slack (coefficient 1 in that row
// only), or -1: a row with a slack and b ≥ 0 starts with its slack basic
// and needs no artificial column.
func newTableau(A [][]float64, b []float64, n int, slack []int) (*tableau, error) {
	m := len(A)
	w := n + m // artificial columns n..n+m-1 (unused ones stay zero)
	t := make([][]float64, m)
	basis := make([]int, m)
	c := make([]float64, w)
	for i := range m {
		row := make([]float64, w+1)
		sign := 1.0
		if b[i] < 0 {
			sign = -1
		}
		for j, v := range A[i] {
			row[j] = sign * v
		}
		row[w] = sign * b[i]
		if slack[i] >= 0 && sign > 0 {
			basis[i] = slack[i]
		} else {
			row[n+i] = 1
			basis[i] = n + i
			c[n+i] = 1
		}
		t[i] = row
	}
	tb := &tableau{m: m, n: w, t: t, basis: basis}
	val, unb := tb.solve(c)
	if unb || val > 1e-6 {
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
}

// solve minimises c·y from the current basis and leaves the optimal basis
// in place. It reports the optimum, or unbounded.
func (tb *tableau) solve(c []float64) (float64, bool) {
	d := make([]float64, tb.n)
	inBasis := make([]bool, tb.n)
	for _, j := range tb.basis {
		inBasis[j] = true
	}
	for iter := 0; ; iter++ {
		// Reduced costs d_j = c_j - Σ c_B(i) t[i][j].
		copy(d, c)
		for i, bj := range tb.basis {
			if cb := c[bj]; cb != 0 {
				for j, v := range tb.t[i][:tb.n] {
					d[j] -= cb * v
				}
			}
		}
		enter := -1
		bland := iter > 20*(tb.m+10)
		for j := range tb.n {
			if inBasis[j] || d[j] >= -eps*10 {
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
		inBasis[tb.basis[leave]] = false
		inBasis[enter] = true
		tb.pivot(leave, enter)
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
