package privacy

import (
	"math"
	"testing"
)

func TestAudit(t *testing.T) {
	type cell struct {
		v     int64
		shown bool
		lower int64
	}
	sum := func(total int, cells ...int) Constraint {
		c := Constraint{Rel: Eq, Terms: []Term{{total, -1}}}
		for _, x := range cells {
			c.Terms = append(c.Terms, Term{x, 1})
		}
		return c
	}
	tests := []struct {
		name   string
		cells  []cell
		cons   []Constraint
		groups []Group
		want   map[int]string // cell -> Why (group findings under -1)
		lo, hi map[int]int64
	}{
		{
			name:  "two small cells of a shown total of 3 are narrow",
			cells: []cell{{3, true, 0}, {1, false, 1}, {2, false, 1}},
			cons:  []Constraint{sum(0, 1, 2)},
			want:  map[int]string{1: WhyNarrow, 2: WhyNarrow},
			lo:    map[int]int64{1: 1}, hi: map[int]int64{1: 2},
		},
		{
			name:  "one hidden cell beside shown ones is pinned",
			cells: []cell{{10, true, 0}, {1, false, 0}, {9, true, 0}},
			cons:  []Constraint{sum(0, 1, 2)},
			want:  map[int]string{1: WhyPinned},
			lo:    map[int]int64{1: 1}, hi: map[int]int64{1: 1},
		},
		{
			name:  "a small cell sharing its total with a large hidden one is wide",
			cells: []cell{{20, true, 0}, {1, false, 1}, {15, false, 0}, {4, true, 0}},
			cons:  []Constraint{sum(0, 1, 2, 3)},
			want:  map[int]string{},
		},
		{
			// y (small, at least 1) is at least x, last release's count
			// (hidden, possibly 0): y is in [1, 5], narrow. Writing y as
			// x plus an excess would lose y ≥ 1 and call it [0, 5].
			name:  "a counter below a small hidden one keeps its lower bound",
			cells: []cell{{0, false, 0}, {2, false, 1}, {5, true, 0}},
			cons:  []Constraint{{Rel: Le, Terms: []Term{{0, 1}, {1, -1}}}, {Rel: Le, Terms: []Term{{1, 1}, {2, -1}}}},
			want:  map[int]string{1: WhyNarrow},
			lo:    map[int]int64{1: 1}, hi: map[int]int64{1: 5},
		},
		{
			// x ≥ 1 (small), y ≥ x, nothing else: y is at least 1, not
			// its own 0, so a group that chose y or z (shown 0) all chose
			// y. With only the rise in its program, y must not be taken
			// for an unconstrained cell whose least value is its own.
			name:   "a rise alone still carries the lower bound",
			cells:  []cell{{1, false, 1}, {2, false, 0}, {0, true, 0}},
			cons:   []Constraint{{Rel: Le, Terms: []Term{{0, 1}, {1, -1}}}},
			groups: []Group{{Label: "g", Options: [][]Term{{{1, 1}}, {{2, 1}}}}},
			want:   map[int]string{-1: WhyDetermined},
		},
		{
			name:  "a cell in no sum is unbounded, hence wide",
			cells: []cell{{2, false, 1}},
			want:  map[int]string{},
		},
		{
			name:   "all of a small group answered the same: determined",
			cells:  []cell{{2, false, 1}, {0, true, 0}, {3, true, 0}},
			groups: []Group{{Label: "g", Options: [][]Term{{{0, 1}}, {{1, 1}}}}},
			cons:   []Constraint{{Rel: Le, Terms: []Term{{0, 1}, {1, 1}, {2, -1}}}},
			want:   map[int]string{0: WhyNarrow, -1: WhyDetermined},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problem{Constraints: tt.cons, Groups: tt.groups}
			for _, c := range tt.cells {
				p.Add("", c.v, c.shown, c.lower)
			}
			rep := Audit(5, p)
			got := make(map[int]string)
			for _, f := range rep.Findings {
				key := f.Cell
				if f.Group >= 0 {
					key = -1
				}
				got[key] = f.Why
				if lo, ok := tt.lo[f.Cell]; ok && f.Group < 0 && (f.Lo != lo || f.Hi != tt.hi[f.Cell]) {
					t.Errorf("cell %d: got [%d, %d], want [%d, %d]", f.Cell, f.Lo, f.Hi, lo, tt.hi[f.Cell])
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got findings %v, want %v", got, tt.want)
			}
			for c, why := range tt.want {
				if got[c] != why {
					t.Errorf("cell %d: got %q, want %q (all: %v)", c, got[c], why, got)
				}
			}
		})
	}
}

// TestTableau checks the simplex on a small program with a known optimum
// and on an unbounded one.
func TestTableau(t *testing.T) {
	// x + y + s = 4, x - y = 0: max x is 2.
	tb, err := newTableau([]sparseRow{{idx: []int{0, 1}, val: []float64{1, 1}, rhs: 4, slack: 2}, {idx: []int{0, 1}, val: []float64{1, -1}, slack: -1}}, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, unb := tb.solve([]float64{-1, 0, 0}); unb || math.Abs(v+2) > 1e-9 {
		t.Errorf("max x: got %v (unbounded %v), want 2", -v, unb)
	}
	if v, unb := tb.solve([]float64{1, 0, 0}); unb || math.Abs(v) > 1e-9 {
		t.Errorf("min x: got %v (unbounded %v), want 0", v, unb)
	}
	// x - y = 1: x unbounded above.
	tb, err = newTableau([]sparseRow{{idx: []int{0, 1}, val: []float64{1, -1}, rhs: 1, slack: -1}}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, unb := tb.solve([]float64{-1, 0}); !unb {
		t.Errorf("max x of x - y = 1: want unbounded")
	}
	// Infeasible: x = -1.
	if _, err := newTableau([]sparseRow{{idx: []int{0}, val: []float64{1}, rhs: -1, slack: -1}}, 1, nil); err == nil {
		t.Errorf("x = -1 with x ≥ 0: want an error")
	}
}
