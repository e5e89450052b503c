package privacy

// DefaultK is the suppression threshold when a consultation sets none.
const DefaultK = 5

// MinK is the smallest threshold Suppress applies: a k below 2 is raised
// to 2, so a count of one person is never shown.
const MinK = 2

// Table is a table of counts about to be published, and what is published
// around it.
type Table struct {
	// Cells are the counts, one slice per row. Rows must all have the same
	// length; a ragged table is hidden whole.
	Cells [][]int64
	// RowTotals are the totals published beside the rows (or otherwise
	// known to readers), nil when no row totals are published. A total
	// need not be the sum of its row: in a multi-select question one
	// respondent counts in several cells, while the total counts
	// respondents. A missing entry stands for the row's sum.
	RowTotals []int64
	// ColTotals: the same for columns.
	ColTotals []int64
	// Hidden marks cells that must be hidden whatever their value (nil for
	// none), because a linked table hides something they add up to: when
	// a question's marginal count for an option is hidden, that option's
	// whole row of every breakdown is hidden, so the breakdown's row sum
	// cannot give the marginal count back.
	Hidden [][]bool
}

// Mask has the shape of Table.Cells; true means the cell is hidden.
type Mask [][]bool

// Suppress is THE suppression function: every count Baraza publishes is
// shown or hidden by it. It returns which cells of t must be hidden when
// publishing with threshold k.
//
// Rules, applied until nothing changes:
//
//  1. k below MinK is taken as MinK.
//  2. Primary: a cell in 1..k-1 is hidden. Zero is shown (it is not a
//     person), and so is every count of k or more unless a rule below
//     hides it. Cells marked in t.Hidden are hidden.
//  3. Small totals: when row totals are published, a row whose total is
//     in 1..k-1 is hidden whole, zeros included, so "all of the few in this
//     group answered X" cannot be read from the zeros around one hidden
//     cell. Columns likewise when column totals are published.
//  4. Complementary: when row totals are published, a row (of two or more
//     cells) with exactly one hidden cell gets one more hidden: the
//     smallest shown cell, non-zero cells before zeros, preferring one
//     whose column also has exactly one hidden cell, then the first.
//     Columns likewise when column totals are published and the table has
//     two or more rows.
//  5. Cycles: when both row and column totals are published, every hidden
//     cell must lie on a cycle of hidden cells (alternating between its
//     row and column). A hidden cell that does not ("a bridge" between two
//     groups of hidden cells, which rules 3-4 alone allow) can be solved
//     by adding and subtracting totals; one more cell that closes a cycle
//     through it is hidden, chosen as in rule 4.
//
// Guarantee. With the published totals and the shown cells, no hidden
// cell's value is determined by the linear equations "cells add up to
// their row (column) total": each can move by some amount with other
// hidden cells compensating. In particular no hidden cell can be
// recovered by subtracting the shown cells of its row or column from the
// total (every line with a hidden cell has at least two). This treats a
// row total as the sum of its cells, the worst case; for multi-select
// rows, where it is not, an attacker knows less. What it does not give:
// a hidden cell can still be bounded (two hidden cells in a row of total
// 7 are each at most 7), and an attacker who knows some respondents'
// answers from elsewhere knows more. Tables linked by shared totals are
// protected by marking cells in t.Hidden (see Table).
//
// A cell of a single-cell row (or of a single-row column) equals its
// total: publish that total through the same mask, as Count does.
//
// Cost depends on the table's shape only (polynomial in rows and
// columns: about 25 µs for a 10x10 table), never on the counts.
func Suppress(k int, t Table) Mask {
	k = max(k, MinK)
	rows := len(t.Cells)
	m := make(Mask, rows)
	if rows == 0 {
		return m
	}
	cols := len(t.Cells[0])
	ragged := false
	for i, r := range t.Cells {
		m[i] = make([]bool, len(r))
		if len(r) != cols {
			ragged = true
		}
	}
	if ragged {
		for _, r := range m {
			for j := range r {
				r[j] = true
			}
		}
		return m
	}
	s := &suppressor{k: int64(k), t: t, m: m, rows: rows, cols: cols}
	s.primary()
	s.smallTotals()
	s.complement()
	return m
}

// Count is a lone count through Suppress: (n, true) when it may be shown,
// (0, false) when it is hidden, that is when n is in 1..k-1.
func Count(k int, n int64) (int64, bool) {
	if Suppress(k, Table{Cells: [][]int64{{n}}})[0][0] {
		return 0, false
	}
	return n, true
}

type suppressor struct {
	k          int64
	t          Table
	m          Mask
	rows, cols int
}

func (s *suppressor) primary() {
	for i, r := range s.t.Cells {
		for j, v := range r {
			if v >= 1 && v < s.k {
				s.m[i][j] = true
			}
			if i < len(s.t.Hidden) && j < len(s.t.Hidden[i]) && s.t.Hidden[i][j] {
				s.m[i][j] = true
			}
		}
	}
}

func (s *suppressor) rowTotal(i int) int64 {
	if i < len(s.t.RowTotals) {
		return s.t.RowTotals[i]
	}
	var sum int64
	for _, v := range s.t.Cells[i] {
		sum += v
	}
	return sum
}

func (s *suppressor) colTotal(j int) int64 {
	if j < len(s.t.ColTotals) {
		return s.t.ColTotals[j]
	}
	var sum int64
	for i := range s.t.Cells {
		sum += s.t.Cells[i][j]
	}
	return sum
}

func (s *suppressor) smallTotals() {
	if s.t.RowTotals != nil {
		for i := range s.rows {
			if tot := s.rowTotal(i); tot >= 1 && tot < s.k {
				for j := range s.cols {
					s.m[i][j] = true
				}
			}
		}
	}
	if s.t.ColTotals != nil {
		for j := range s.cols {
			if tot := s.colTotal(j); tot >= 1 && tot < s.k {
				for i := range s.rows {
					s.m[i][j] = true
				}
			}
		}
	}
}

func (s *suppressor) hiddenInRow(i int) int {
	n := 0
	for _, h := range s.m[i] {
		if h {
			n++
		}
	}
	return n
}

func (s *suppressor) hiddenInCol(j int) int {
	n := 0
	for i := range s.rows {
		if s.m[i][j] {
			n++
		}
	}
	return n
}

func (s *suppressor) rowRule() bool { return s.t.RowTotals != nil && s.cols > 1 }
func (s *suppressor) colRule() bool { return s.t.ColTotals != nil && s.rows > 1 }

// better reports whether cell a is a better complementary choice than b
// (b.i < 0: no choice yet).
func (s *suppressor) better(a, b cell) bool {
	if b.i < 0 {
		return true
	}
	va, vb := s.t.Cells[a.i][a.j], s.t.Cells[b.i][b.j]
	if (va == 0) != (vb == 0) {
		return vb == 0
	}
	if va != vb {
		return va < vb
	}
	return s.fixesOther(a) && !s.fixesOther(b)
}

// fixesOther reports whether hiding c also mends a line with exactly one
// hidden cell.
func (s *suppressor) fixesOther(c cell) bool {
	return (s.rowRule() && s.hiddenInRow(c.i) == 1) || (s.colRule() && s.hiddenInCol(c.j) == 1)
}

type cell struct{ i, j int }

func (s *suppressor) complement() {
	for {
		if s.lines() {
			continue
		}
		if s.rowRule() && s.colRule() && s.cycles() {
			continue
		}
		return
	}
}

// lines applies rule 4 once over every row and column; it reports whether
// it hid anything.
func (s *suppressor) lines() bool {
	changed := false
	if s.rowRule() {
		for i := range s.rows {
			if s.hiddenInRow(i) != 1 {
				continue
			}
			best := cell{-1, -1}
			for j := range s.cols {
				if c := (cell{i, j}); !s.m[i][j] && s.better(c, best) {
					best = c
				}
			}
			s.m[best.i][best.j] = true
			changed = true
		}
	}
	if s.colRule() {
		for j := range s.cols {
			if s.hiddenInCol(j) != 1 {
				continue
			}
			best := cell{-1, -1}
			for i := range s.rows {
				if c := (cell{i, j}); !s.m[i][j] && s.better(c, best) {
					best = c
				}
			}
			s.m[best.i][best.j] = true
			changed = true
		}
	}
	return changed
}

// cycles applies rule 5 to the first bridge it finds; it reports whether
// it hid anything. Vertices are rows 0..rows-1 and columns rows..rows+cols-1;
// hidden cells are the edges.
func (s *suppressor) cycles() bool {
	b, ok := s.bridge()
	if !ok {
		return false
	}
	// Split the graph without the bridge: side[v] is 1 on the bridge's row
	// side, 2 on its column side, 0 elsewhere.
	side := make([]uint8, s.rows+s.cols)
	s.mark(side, b.i, 1, b)
	s.mark(side, s.rows+b.j, 2, b)
	best := cell{-1, -1}
	for i := range s.rows {
		for j := range s.cols {
			ri, cj := side[i], side[s.rows+j]
			if s.m[i][j] || ri == 0 || cj == 0 || ri == cj {
				continue
			}
			if c := (cell{i, j}); s.better(c, best) {
				best = c
			}
		}
	}
	if best.i < 0 {
		// Cannot happen once rule 4 holds (the bridge's row and column each
		// have another hidden cell, and the cell joining those two is shown);
		// hide everything rather than publish a solvable cell.
		for _, r := range s.m {
			for j := range r {
				r[j] = true
			}
		}
		return false
	}
	s.m[best.i][best.j] = true
	return true
}

// mark labels with label every vertex reachable from v along hidden cells
// other than skip.
func (s *suppressor) mark(side []uint8, v int, label uint8, skip cell) {
	stack := []int{v}
	side[v] = label
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range s.neighbours(v) {
			e := s.edge(v, w)
			if e == skip || side[w] != 0 {
				continue
			}
			side[w] = label
			stack = append(stack, w)
		}
	}
}

func (s *suppressor) edge(v, w int) cell {
	if v < s.rows {
		return cell{v, w - s.rows}
	}
	return cell{w, v - s.rows}
}

func (s *suppressor) neighbours(v int) []int {
	var out []int
	if v < s.rows {
		for j := range s.cols {
			if s.m[v][j] {
				out = append(out, s.rows+j)
			}
		}
		return out
	}
	j := v - s.rows
	for i := range s.rows {
		if s.m[i][j] {
			out = append(out, i)
		}
	}
	return out
}

// bridge finds a hidden cell that lies on no cycle of hidden cells
// (Tarjan's bridge-finding, iterative so a large table cannot overflow the
// stack).
func (s *suppressor) bridge() (cell, bool) {
	n := s.rows + s.cols
	disc := make([]int, n) // 0: unvisited; else discovery time + 1
	low := make([]int, n)
	adj := make([][]int, n)
	for v := range n {
		adj[v] = s.neighbours(v)
	}
	type frame struct{ v, parent, next int }
	time := 0
	for root := range n {
		if disc[root] != 0 {
			continue
		}
		time++
		disc[root], low[root] = time, time
		stack := []frame{{root, -1, 0}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(adj[f.v]) {
				w := adj[f.v][f.next]
				f.next++
				if w == f.parent {
					// A simple graph: one edge per row-column pair.
					continue
				}
				if disc[w] != 0 {
					low[f.v] = min(low[f.v], disc[w])
					continue
				}
				time++
				disc[w], low[w] = time, time
				stack = append(stack, frame{w, f.v, 0})
				continue
			}
			v, parent := f.v, f.parent
			stack = stack[:len(stack)-1]
			if parent >= 0 {
				low[parent] = min(low[parent], low[v])
				if low[v] > disc[parent] {
					return s.edge(parent, v), true
				}
			}
		}
	}
	return cell{}, false
}
