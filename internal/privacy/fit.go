package privacy

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// FitTable makes a noisy two-way table consistent with both of its
// margins, by post-processing only. It returns the table x of
// non-negative integers whose row i adds up to rows[i] and column j to
// cols[j] that is closest to noisy in squared distance,
//
//	minimise Σ (x_ij - noisy_ij)² over the cells not marked free,
//
// exactly: the optimum over integer tables, not a rounded real solution.
// Free cells (free[i][j] true; free may be nil) cost nothing, whatever
// their value: they stand for people outside the published table (those
// not asked a question, or who skipped it), whose number the margins fix
// but whose cells are never shown.
//
// The problem is a transportation problem with a separable convex cost,
// so an integer table is optimal among integer tables exactly when no
// cycle of +1/-1 changes (a row up in one column, down in another, …)
// lowers the cost (Ahuja, Magnanti and Orlin, Network Flows, ch. 14: a
// flow of convex separable cost is optimal iff its residual network, with
// unit marginal costs, has no negative cycle). FitTable starts from a
// greedy table with the right margins and cancels negative cycles
// (Bellman-Ford) until none is left, pushing around each cycle as many
// units as keep lowering the cost. Every step uses integers only.
//
// It reads nothing but its arguments: given noisy counts, it is
// post-processing and costs no privacy. It fails only when the margins
// cannot hold together (a negative margin, or rows and columns with
// different sums) or the shapes disagree.
func FitTable(noisy [][]int64, free [][]bool, rows, cols []int64) ([][]int64, error) {
	m, n := len(rows), len(cols)
	if len(noisy) != m {
		return nil, fmt.Errorf("privacy: fit table: %d rows of cells, %d row totals", len(noisy), m)
	}
	var sr, sc int64
	for i, r := range rows {
		if r < 0 {
			return nil, fmt.Errorf("privacy: fit table: row total %d is %d", i, r)
		}
		if len(noisy[i]) != n {
			return nil, fmt.Errorf("privacy: fit table: row %d has %d cells, %d columns", i, len(noisy[i]), n)
		}
		sr += r
	}
	for j, c := range cols {
		if c < 0 {
			return nil, fmt.Errorf("privacy: fit table: column total %d is %d", j, c)
		}
		sc += c
	}
	if sr != sc {
		return nil, fmt.Errorf("privacy: fit table: rows add up to %d, columns to %d", sr, sc)
	}
	if free != nil && len(free) != m {
		return nil, errors.New("privacy: fit table: free mask of another shape")
	}
	w := make([][]int64, m) // 1: the cell's distance counts; 0: free
	for i := range w {
		w[i] = make([]int64, n)
		for j := range w[i] {
			w[i][j] = 1
			if free != nil && j < len(free[i]) && free[i][j] {
				w[i][j] = 0
			}
		}
	}
	x := greedyStart(noisy, w, rows, cols)
	t := &transport{x: x, noisy: noisy, w: w, m: m, n: n}
	for range maxCancels {
		cyc := t.negativeCycle()
		if cyc == nil {
			return x, nil
		}
		t.push(cyc)
	}
	// Not reached in practice (each cancellation lowers an integer cost
	// by at least one, and pushes as far as it helps); the table still has
	// the right margins and no negative cell.
	return x, nil
}

// maxCancels bounds the cycle cancellations of one FitTable.
const maxCancels = 1 << 16

// greedyStart fills a table with the given margins: first each weighted
// cell, largest noisy value first, with as much of its (clipped) noisy
// value as its row and column still allow, then what is left in the
// north-west corner order.
func greedyStart(noisy [][]int64, w [][]int64, rows, cols []int64) [][]int64 {
	m, n := len(rows), len(cols)
	rl, cl := append([]int64(nil), rows...), append([]int64(nil), cols...)
	x := make([][]int64, m)
	type cell struct {
		i, j int
		v    int64
	}
	var cells []cell
	for i := range x {
		x[i] = make([]int64, n)
		for j := range n {
			if w[i][j] != 0 && noisy[i][j] > 0 {
				cells = append(cells, cell{i, j, noisy[i][j]})
			}
		}
	}
	slices.SortStableFunc(cells, func(a, b cell) int { return cmp.Compare(b.v, a.v) })
	for _, c := range cells {
		v := min(c.v, rl[c.i], cl[c.j])
		x[c.i][c.j] += v
		rl[c.i] -= v
		cl[c.j] -= v
	}
	i, j := 0, 0
	for i < m && j < n {
		v := min(rl[i], cl[j])
		x[i][j] += v
		rl[i] -= v
		cl[j] -= v
		if rl[i] == 0 {
			i++
		} else {
			j++
		}
	}
	return x
}

type transport struct {
	x, noisy, w [][]int64
	m, n        int
}

// arc is one unit step on cell (i, j): up (+1, from row i to column j)
// or down (-1, from column j to row i).
type arc struct {
	i, j int
	up   bool
}

// cost is the marginal cost of one more step on a at step t (0: the
// first unit), with the table as it is.
func (t *transport) cost(a arc, step int64) int64 {
	x, c, w := t.x[a.i][a.j], t.noisy[a.i][a.j], t.w[a.i][a.j]
	if a.up {
		x += step
		return w * (2*(x-c) + 1) // (x+1-c)² - (x-c)²
	}
	x -= step
	return w * (2*(c-x) + 1) // (x-1-c)² - (x-c)²
}

// negativeCycle finds a cycle of unit steps of negative total cost, or
// nil. Nodes 0..m-1 are rows, m..m+n-1 columns; every node starts at
// distance 0 (a virtual source), so any negative cycle is found.
func (t *transport) negativeCycle() []arc {
	v := t.m + t.n
	dist := make([]int64, v)
	pred := make([]arc, v)
	has := make([]bool, v)
	last := -1
	for range v {
		last = -1
		for i := range t.m {
			for j := range t.n {
				// Up: row i -> column j.
				if d := dist[i] + t.cost(arc{i, j, true}, 0); d < dist[t.m+j] {
					dist[t.m+j], pred[t.m+j], has[t.m+j], last = d, arc{i, j, true}, true, t.m+j
				}
				// Down: column j -> row i, only when the cell has a unit.
				if t.x[i][j] > 0 {
					if d := dist[t.m+j] + t.cost(arc{i, j, false}, 0); d < dist[i] {
						dist[i], pred[i], has[i], last = d, arc{i, j, false}, true, i
					}
				}
			}
		}
		if last < 0 {
			return nil
		}
	}
	// A relaxation in the v-th round: walk back v steps to land on the
	// cycle, then collect it.
	node := last
	for range v {
		if !has[node] {
			return nil
		}
		node = from(pred[node], t.m)
	}
	var cyc []arc
	for at := node; ; {
		a := pred[at]
		cyc = append(cyc, a)
		at = from(a, t.m)
		if at == node {
			break
		}
		if len(cyc) > v {
			return nil // not a cycle (cannot happen with has[] set along it)
		}
	}
	if !has[node] {
		return nil
	}
	return cyc
}

// from is the node an arc leaves.
func from(a arc, m int) int {
	if a.up {
		return a.i
	}
	return m + a.j
}

// push sends units around cyc while each further unit lowers the cost,
// at least one (the cycle is negative) and at most what its down steps
// hold.
func (t *transport) push(cyc []arc) {
	limit := int64(-1)
	for _, a := range cyc {
		if !a.up && (limit < 0 || t.x[a.i][a.j] < limit) {
			limit = t.x[a.i][a.j]
		}
	}
	// The cost of the s-th unit (from 0) is linear in s: c0 + 2·L·s, L
	// the number of weighted steps. Push every unit of negative cost.
	var c0, l int64
	for _, a := range cyc {
		c0 += t.cost(a, 0)
		l += t.w[a.i][a.j]
	}
	units := limit
	if l > 0 {
		units = min(units, (-c0+2*l-1)/(2*l)) // ceil(-c0 / 2L)
	}
	units = max(units, 1)
	for _, a := range cyc {
		if a.up {
			t.x[a.i][a.j] += units
		} else {
			t.x[a.i][a.j] -= units
		}
	}
}
