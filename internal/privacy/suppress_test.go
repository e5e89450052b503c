package privacy

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestCount(t *testing.T) {
	tests := []struct {
		k      int
		n      int64
		want   int64
		wantOK bool
	}{
		{5, 0, 0, true},
		{5, 1, 0, false},
		{5, 4, 0, false},
		{5, 5, 5, true},
		{5, 1000000, 1000000, true},
		{0, 1, 0, false}, // k below 2 is 2
		{1, 1, 0, false},
		{1, 2, 2, true},
		{2, 2, 2, true},
		{11, 10, 0, false},
	}
	for _, tt := range tests {
		got, ok := Count(tt.k, tt.n)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Count(%d, %d): got (%d, %v), want (%d, %v)", tt.k, tt.n, got, ok, tt.want, tt.wantOK)
		}
	}
}

func maskString(m Mask) string {
	s := ""
	for _, r := range m {
		for _, h := range r {
			if h {
				s += "x"
			} else {
				s += "."
			}
		}
		s += "/"
	}
	return s
}

func TestSuppressExamples(t *testing.T) {
	tests := []struct {
		name string
		k    int
		t    Table
		want string
	}{
		{
			// The research note's worked example: women 4, men 31, total 35.
			name: "women and men",
			k:    5,
			t:    Table{Cells: [][]int64{{4, 31}}, RowTotals: []int64{35}},
			want: "xx/",
		},
		{
			name: "no totals, no complement",
			k:    5,
			t:    Table{Cells: [][]int64{{4, 31}}},
			want: "x./",
		},
		{
			name: "smallest non-zero complement",
			k:    5,
			t:    Table{Cells: [][]int64{{40, 3, 10, 0}}, RowTotals: []int64{53}},
			want: ".xx./",
		},
		{
			name: "zero only when nothing else",
			k:    5,
			t:    Table{Cells: [][]int64{{3, 0}}, RowTotals: []int64{50}},
			want: "xx/",
		},
		{
			name: "zeros shown",
			k:    5,
			t:    Table{Cells: [][]int64{{0, 20, 30}}, RowTotals: []int64{50}},
			want: ".../",
		},
		{
			name: "small row total hides zeros",
			k:    5,
			t:    Table{Cells: [][]int64{{3, 0, 0}}, RowTotals: []int64{3}},
			want: "xxx/",
		},
		{
			name: "multi-select total below k",
			k:    5,
			t:    Table{Cells: [][]int64{{3, 3, 0}}, RowTotals: []int64{3}},
			want: "xxx/",
		},
		{
			name: "two by two",
			k:    5,
			t: Table{
				Cells:     [][]int64{{2, 10}, {20, 30}},
				RowTotals: []int64{12, 50}, ColTotals: []int64{22, 40},
			},
			want: "xx/xx/",
		},
		{
			name: "forced row from a linked table",
			k:    5,
			t: Table{
				Cells:     [][]int64{{10, 12}, {20, 30}, {40, 50}},
				RowTotals: []int64{22, 50, 90}, ColTotals: []int64{70, 92},
				Hidden: [][]bool{{true, true}, nil, nil},
			},
			want: "xx/xx/../",
		},
		{
			name: "k below 2 is 2",
			k:    0,
			t:    Table{Cells: [][]int64{{1, 5, 6}}, RowTotals: []int64{12}},
			want: "xx./",
		},
		{
			name: "ragged hidden whole",
			k:    5,
			t:    Table{Cells: [][]int64{{10, 10}, {10}}},
			want: "xx/x/",
		},
		{
			name: "empty",
			k:    5,
			t:    Table{},
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maskString(Suppress(tt.k, tt.t)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// A bridge: two 2x2 blocks of hidden cells joined by one hidden cell. Rules
// 1-4 alone leave every line with 0 or 2+ hidden cells, yet the joining
// cell is solvable from the totals; rule 5 must hide one more.
func TestSuppressBridge(t *testing.T) {
	// Rows 0-1 x cols 0-1 and rows 2-3 x cols 2-3 are small; cell (1,2)
	// is forced hidden by a linked table.
	tab := Table{
		Cells: [][]int64{
			{1, 1, 50, 50},
			{1, 1, 50, 50},
			{50, 50, 1, 1},
			{50, 50, 1, 1},
		},
		Hidden: [][]bool{nil, {false, false, true, false}},
	}
	tab.RowTotals, tab.ColTotals = sums(tab.Cells)
	m := Suppress(5, tab)
	if msg := determinedCell(tab, m); msg != "" {
		t.Errorf("mask %s: %s", maskString(m), msg)
	}
	if got := hiddenCount(m); got != 10 {
		t.Errorf("mask %s: got %d hidden, want 10 (8 primary, 1 forced, 1 closing a cycle)", maskString(m), got)
	}
}

func sums(c [][]int64) (rows, cols []int64) {
	rows = make([]int64, len(c))
	if len(c) > 0 {
		cols = make([]int64, len(c[0]))
	}
	for i, r := range c {
		for j, v := range r {
			rows[i] += v
			cols[j] += v
		}
	}
	return rows, cols
}

func hiddenCount(m Mask) int {
	n := 0
	for _, r := range m {
		for _, h := range r {
			if h {
				n++
			}
		}
	}
	return n
}

// determinedCell checks, with exact linear algebra independent of
// Suppress's graph method, that no hidden cell is determined by the
// published totals and shown cells: unknowns are the hidden cells, one
// equation per published row or column total; a cell is determined iff its
// unit vector lies in the row space of the equations.
func determinedCell(t Table, m Mask) string {
	var hidden [][2]int
	index := map[[2]int]int{}
	for i, r := range m {
		for j, h := range r {
			if h {
				index[[2]int{i, j}] = len(hidden)
				hidden = append(hidden, [2]int{i, j})
			}
		}
	}
	n := len(hidden)
	if n == 0 {
		return ""
	}
	var eqs [][]*big.Rat
	addEq := func(cells [][2]int) {
		row := make([]*big.Rat, n)
		for x := range row {
			row[x] = new(big.Rat)
		}
		any := false
		for _, c := range cells {
			if x, ok := index[c]; ok {
				row[x].SetInt64(1)
				any = true
			}
		}
		if any {
			eqs = append(eqs, row)
		}
	}
	rows := len(t.Cells)
	cols := len(t.Cells[0])
	if t.RowTotals != nil && cols > 1 {
		for i := range rows {
			var line [][2]int
			for j := range cols {
				line = append(line, [2]int{i, j})
			}
			addEq(line)
		}
	}
	if t.ColTotals != nil && rows > 1 {
		for j := range cols {
			var line [][2]int
			for i := range rows {
				line = append(line, [2]int{i, j})
			}
			addEq(line)
		}
	}
	// Row-reduce to reduced echelon form.
	pivots := []int{}
	r := 0
	for c := 0; c < n && r < len(eqs); c++ {
		p := -1
		for i := r; i < len(eqs); i++ {
			if eqs[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		eqs[r], eqs[p] = eqs[p], eqs[r]
		inv := new(big.Rat).Inv(eqs[r][c])
		for x := range n {
			eqs[r][x].Mul(eqs[r][x], inv)
		}
		for i := range eqs {
			if i == r || eqs[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(eqs[i][c])
			for x := range n {
				eqs[i][x].Sub(eqs[i][x], new(big.Rat).Mul(f, eqs[r][x]))
			}
		}
		pivots = append(pivots, c)
		r++
	}
	// A unit vector is in the row space iff some reduced row is exactly it.
	for i := range r {
		nonzero := 0
		for x := range n {
			if eqs[i][x].Sign() != 0 {
				nonzero++
			}
		}
		if nonzero == 1 {
			c := hidden[pivots[i]]
			return fmt.Sprintf("hidden cell (%d,%d) is determined by the totals", c[0], c[1])
		}
	}
	return ""
}

// TestSuppressProperties checks the guarantee on thousands of random
// tables of every shape, with and without published totals.
func TestSuppressProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 5000 {
		k := rng.IntN(12) // includes 0 and 1, raised to 2
		rows, cols := 1+rng.IntN(6), 1+rng.IntN(6)
		tab := Table{Cells: make([][]int64, rows)}
		for i := range rows {
			tab.Cells[i] = make([]int64, cols)
			for j := range cols {
				switch rng.IntN(4) {
				case 0:
					tab.Cells[i][j] = 0
				case 1:
					tab.Cells[i][j] = int64(rng.IntN(max(k, 2)))
				default:
					tab.Cells[i][j] = int64(rng.IntN(60))
				}
			}
		}
		rt, ct := sums(tab.Cells)
		mode := rng.IntN(4)
		if mode&1 != 0 {
			tab.RowTotals = rt
		}
		if mode&2 != 0 {
			tab.ColTotals = ct
		}
		if rng.IntN(5) == 0 {
			// A linked table forces a whole row or column, and a cell.
			tab.Hidden = make([][]bool, rows)
			for i := range rows {
				tab.Hidden[i] = make([]bool, cols)
			}
			if rng.IntN(2) == 0 {
				r := rng.IntN(rows)
				for j := range cols {
					tab.Hidden[r][j] = true
				}
			} else {
				c := rng.IntN(cols)
				for i := range rows {
					tab.Hidden[i][c] = true
				}
			}
			tab.Hidden[rng.IntN(rows)][rng.IntN(cols)] = true
		}
		m := Suppress(k, tab)
		if msg := checkMask(k, tab, m); msg != "" {
			t.Fatalf("table %d, k %d, cells %v, row totals %v, col totals %v, forced %v:\ngot mask %s: %s",
				n, k, tab.Cells, tab.RowTotals, tab.ColTotals, tab.Hidden, maskString(m), msg)
		}
	}
}

func checkMask(k int, tab Table, m Mask) string {
	kk := int64(max(k, 2))
	rows, cols := len(tab.Cells), len(tab.Cells[0])
	if len(m) != rows {
		return "mask has the wrong shape"
	}
	rowHidden := make([]int, rows)
	colHidden := make([]int, cols)
	for i := range rows {
		if len(m[i]) != cols {
			return "mask has the wrong shape"
		}
		for j := range cols {
			v := tab.Cells[i][j]
			forced := i < len(tab.Hidden) && j < len(tab.Hidden[i]) && tab.Hidden[i][j]
			if v >= 1 && v < kk && !m[i][j] {
				return fmt.Sprintf("cell (%d,%d) = %d below k is shown", i, j, v)
			}
			if forced && !m[i][j] {
				return fmt.Sprintf("forced cell (%d,%d) is shown", i, j)
			}
			if m[i][j] {
				rowHidden[i]++
				colHidden[j]++
			}
		}
	}
	for i, n := range rowHidden {
		if tab.RowTotals != nil && cols > 1 && n == 1 {
			return fmt.Sprintf("row %d has exactly one hidden cell", i)
		}
		if tab.RowTotals != nil && tab.RowTotals[i] >= 1 && tab.RowTotals[i] < kk && n != cols {
			return fmt.Sprintf("row %d with a total below k is not hidden whole", i)
		}
	}
	for j, n := range colHidden {
		if tab.ColTotals != nil && rows > 1 && n == 1 {
			return fmt.Sprintf("column %d has exactly one hidden cell", j)
		}
		if tab.ColTotals != nil && tab.ColTotals[j] >= 1 && tab.ColTotals[j] < kk && n != rows {
			return fmt.Sprintf("column %d with a total below k is not hidden whole", j)
		}
	}
	// Every hidden cell that no rule hides for itself shares a line with
	// another hidden cell (so shown cells stay shown unless a line needs
	// them), and a table with nothing to hide hides nothing.
	anyReason := false
	for i := range rows {
		for j := range cols {
			v := tab.Cells[i][j]
			forced := i < len(tab.Hidden) && j < len(tab.Hidden[i]) && tab.Hidden[i][j]
			smallRow := tab.RowTotals != nil && tab.RowTotals[i] >= 1 && tab.RowTotals[i] < kk
			smallCol := tab.ColTotals != nil && tab.ColTotals[j] >= 1 && tab.ColTotals[j] < kk
			own := (v >= 1 && v < kk) || forced || smallRow || smallCol
			anyReason = anyReason || own
			if m[i][j] && !own && rowHidden[i] < 2 && colHidden[j] < 2 {
				return fmt.Sprintf("cell (%d,%d) = %d is hidden for no reason", i, j, v)
			}
			if m[i][j] && !own && tab.RowTotals == nil && tab.ColTotals == nil {
				return fmt.Sprintf("cell (%d,%d) = %d is hidden though no totals are published", i, j, v)
			}
		}
	}
	if !anyReason && hiddenCount(m) > 0 {
		return "a table with nothing to hide has hidden cells"
	}
	return determinedCell(tab, m)
}

// The property checker must itself fail on bad masks.
func TestCheckMaskCatches(t *testing.T) {
	tab := Table{Cells: [][]int64{{4, 31}}, RowTotals: []int64{35}}
	for _, m := range []Mask{{{false, false}}, {{true, false}}, {{false, true}}} {
		if checkMask(5, tab, m) == "" {
			t.Errorf("mask %s: got no complaint, want one", maskString(m))
		}
	}
	// The 2x2 determined-cell case: a bridge.
	bridge := Table{Cells: [][]int64{{1, 1, 50, 50}, {1, 1, 50, 50}, {50, 50, 1, 1}, {50, 50, 1, 1}}}
	bridge.RowTotals, bridge.ColTotals = sums(bridge.Cells)
	m := Mask{
		{true, true, false, false},
		{true, true, true, false},
		{false, false, true, true},
		{false, false, true, true},
	}
	if msg := determinedCell(bridge, m); msg == "" {
		t.Errorf("bridge mask %s: got no complaint, want one", maskString(m))
	}
}

func BenchmarkSuppress(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	tab := Table{Cells: make([][]int64, 10)}
	for i := range tab.Cells {
		tab.Cells[i] = make([]int64, 10)
		for j := range tab.Cells[i] {
			tab.Cells[i][j] = int64(rng.IntN(30))
		}
	}
	tab.RowTotals, tab.ColTotals = sums(tab.Cells)
	for b.Loop() {
		Suppress(5, tab)
	}
}
