package privacy

import (
	"math/rand/v2"
	"testing"
)

// distance is FitTable's objective: squared distance over weighted cells.
func distance(x, noisy [][]int64, free [][]bool) int64 {
	var d int64
	for i := range x {
		for j := range x[i] {
			if free != nil && free[i][j] {
				continue
			}
			e := x[i][j] - noisy[i][j]
			d += e * e
		}
	}
	return d
}

// checkMargins fails unless x is non-negative with the given margins.
func checkMargins(t *testing.T, x [][]int64, rows, cols []int64) {
	t.Helper()
	cs := make([]int64, len(cols))
	for i, r := range x {
		var s int64
		for j, v := range r {
			if v < 0 {
				t.Fatalf("cell %d,%d = %d < 0: %v", i, j, v, x)
			}
			s += v
			cs[j] += v
		}
		if s != rows[i] {
			t.Fatalf("row %d sums to %d, want %d: %v", i, s, rows[i], x)
		}
	}
	for j := range cols {
		if cs[j] != cols[j] {
			t.Fatalf("column %d sums to %d, want %d: %v", j, cs[j], cols[j], x)
		}
	}
}

// randomMargins draws rows and columns with one sum.
func randomMargins(r *rand.Rand, m, n int, total int64) ([]int64, []int64) {
	split := func(k int) []int64 {
		out := make([]int64, k)
		for range total {
			out[r.IntN(k)]++
		}
		return out
	}
	return split(m), split(n)
}

// bestByEnumeration is the least distance over every non-negative integer
// table with the margins (small tables only).
func bestByEnumeration(noisy [][]int64, free [][]bool, rows, cols []int64) int64 {
	m, n := len(rows), len(cols)
	x := make([][]int64, m)
	for i := range x {
		x[i] = make([]int64, n)
	}
	best := int64(-1)
	cl := append([]int64(nil), cols...)
	var rec func(i, j int, rowLeft int64)
	rec = func(i, j int, rowLeft int64) {
		if i == m {
			for _, c := range cl {
				if c != 0 {
					return
				}
			}
			if d := distance(x, noisy, free); best < 0 || d < best {
				best = d
			}
			return
		}
		if j == n-1 {
			if rowLeft > cl[j] {
				return
			}
			x[i][j] = rowLeft
			cl[j] -= rowLeft
			next := int64(0)
			if i+1 < m {
				next = rows[i+1]
			}
			rec(i+1, 0, next)
			cl[j] += rowLeft
			return
		}
		for v := int64(0); v <= min(rowLeft, cl[j]); v++ {
			x[i][j] = v
			cl[j] -= v
			rec(i, j+1, rowLeft-v)
			cl[j] += v
		}
	}
	rec(0, 0, rows[0])
	return best
}

// TestFitTableOptimal: on random small noisy tables (negative cells
// included, some free cells), FitTable's table has the margins, no
// negative cell, and the least squared distance of all integer tables
// with those margins (enumerated).
func TestFitTableOptimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 400 {
		m, n := 2+r.IntN(2), 2+r.IntN(2)
		total := int64(r.IntN(9))
		rows, cols := randomMargins(r, m, n, total)
		noisy := make([][]int64, m)
		var free [][]bool
		if trial%3 == 0 {
			free = make([][]bool, m)
		}
		for i := range noisy {
			noisy[i] = make([]int64, n)
			for j := range noisy[i] {
				noisy[i][j] = int64(r.IntN(13)) - 4
			}
			if free != nil {
				free[i] = make([]bool, n)
				free[i][n-1] = i == m-1 || r.IntN(3) == 0
			}
		}
		x, err := FitTable(noisy, free, rows, cols)
		if err != nil {
			t.Fatal(err)
		}
		checkMargins(t, x, rows, cols)
		if got, want := distance(x, noisy, free), bestByEnumeration(noisy, free, rows, cols); got != want {
			t.Fatalf("trial %d: noisy %v free %v rows %v cols %v: distance %d, best %d (%v)", trial, noisy, free, rows, cols, got, want, x)
		}
	}
}

// TestFitTableProperties: random noisy tables of every size a script
// gives (up to 12 x 12, totals up to 20,000, noise of scale up to 100):
// rows and columns add up to their margins, no cell is negative, and a
// table that already has the margins is returned unchanged.
func TestFitTableProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		m, n := 1+r.IntN(12), 1+r.IntN(12)
		total := int64(r.IntN(20000))
		rows, cols := randomMargins(r, m, n, total)
		noisy := make([][]int64, m)
		for i := range noisy {
			noisy[i] = make([]int64, n)
			for j := range noisy[i] {
				noisy[i][j] = rows[i]*cols[j]/max(total, 1) + int64(r.NormFloat64()*100)
			}
		}
		x, err := FitTable(noisy, nil, rows, cols)
		if err != nil {
			t.Fatal(err)
		}
		checkMargins(t, x, rows, cols)
		again, err := FitTable(x, nil, rows, cols)
		if err != nil {
			t.Fatal(err)
		}
		if distance(again, x, nil) != 0 {
			t.Fatalf("trial %d: a consistent table was changed", trial)
		}
	}
}

func TestFitTableErrors(t *testing.T) {
	for _, c := range []struct {
		name       string
		noisy      [][]int64
		rows, cols []int64
	}{
		{"sums differ", [][]int64{{1, 2}}, []int64{3}, []int64{1, 1}},
		{"negative row", [][]int64{{1}, {1}}, []int64{-1, 2}, []int64{1}},
		{"negative column", [][]int64{{1, 1}}, []int64{0}, []int64{1, -1}},
		{"shape", [][]int64{{1, 1}}, []int64{2}, []int64{2}},
		{"rows", [][]int64{{1}}, []int64{1, 0}, []int64{1}},
	} {
		if _, err := FitTable(c.noisy, nil, c.rows, c.cols); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// FuzzFitTable: whatever the noisy cells, the result has the margins and
// no negative cell.
func FuzzFitTable(f *testing.F) {
	f.Add([]byte{3, 2, 9, 1, 200, 7, 0, 44}, uint16(17))
	f.Add([]byte{1, 1}, uint16(0))
	f.Fuzz(func(t *testing.T, b []byte, total uint16) {
		if len(b) < 2 {
			return
		}
		m, n := 1+int(b[0])%6, 1+int(b[1])%6
		r := rand.New(rand.NewPCG(uint64(len(b)), uint64(total)))
		rows, cols := randomMargins(r, m, n, int64(total%2000))
		noisy := make([][]int64, m)
		for i := range noisy {
			noisy[i] = make([]int64, n)
			for j := range noisy[i] {
				if k := 2 + i*n + j; k < len(b) {
					noisy[i][j] = int64(int8(b[k])) * 7
				}
			}
		}
		x, err := FitTable(noisy, nil, rows, cols)
		if err != nil {
			t.Fatal(err)
		}
		checkMargins(t, x, rows, cols)
	})
}

// BenchmarkFitTable: a 10 x 10 breakdown of 10,000 respondents with noise
// of scale 100 (a DP release's largest tables).
func BenchmarkFitTable(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	rows, cols := randomMargins(r, 10, 10, 10000)
	noisy := make([][]int64, 10)
	for i := range noisy {
		noisy[i] = make([]int64, 10)
		for j := range noisy[i] {
			noisy[i][j] = rows[i]*cols[j]/10000 + int64(r.NormFloat64()*100)
		}
	}
	for b.Loop() {
		if _, err := FitTable(noisy, nil, rows, cols); err != nil {
			b.Fatal(err)
		}
	}
}
