package privacy

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// seeded is a fixed stream of random bytes: a statistical test on it gives
// the same verdict on every run (it cannot flake), while its thresholds
// are set at a p-value so small that a correct sampler would pass on
// practically any seed.
func seeded(seed byte) *Noise {
	var s [32]byte
	s[0] = seed
	return NewNoise(rand.NewChaCha8(s))
}

// laplacePMF is the two-sided geometric pmf of scale t, in floating point
// (the test's reference, not the sampler's arithmetic).
func laplacePMF(t float64) func(x int64) float64 {
	q := math.Exp(-1 / t)
	return func(x int64) float64 {
		return (1 - q) / (1 + q) * math.Pow(q, math.Abs(float64(x)))
	}
}

// chiSquare compares samples with pmf: bins for every x whose expected
// count is at least 20, the two tails lumped into one bin each. It returns
// the statistic and the degrees of freedom.
func chiSquare(samples []int64, pmf func(int64) float64) (stat float64, df int) {
	n := float64(len(samples))
	b := int64(0)
	for pmf(b+1)*n >= 20 {
		b++
	}
	counts := make(map[int64]int)
	for _, x := range samples {
		counts[min(max(x, -b-1), b+1)]++
	}
	var inner float64
	for x := -b; x <= b; x++ {
		inner += pmf(x)
	}
	tail := (1 - inner) / 2
	for x := -b - 1; x <= b+1; x++ {
		p := pmf(x)
		if x == -b-1 || x == b+1 {
			p = tail
		}
		if p*n < 1 { // scale so small that the tail is empty
			continue
		}
		d := float64(counts[x]) - p*n
		stat += d * d / (p * n)
		df++
	}
	return stat, df - 1
}

// chiSquareLimit is the chi-square quantile at upper tail p ≈ 1e-9
// (z = 6), by the Wilson–Hilferty approximation.
func chiSquareLimit(df int) float64 {
	d := float64(df)
	const z = 6.0
	v := 1 - 2/(9*d) + z*math.Sqrt(2/(9*d))
	return d * v * v * v
}

func draw(t *testing.T, z *Noise, scale Ratio, n int) []int64 {
	t.Helper()
	out := make([]int64, n)
	for i := range out {
		x, err := z.Laplace(scale)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = x
	}
	return out
}

func TestLaplaceDistribution(t *testing.T) {
	const n = 60_000
	for i, scale := range []Ratio{
		{1, 1},            // ε = 1
		{2, 1},            // ε = 0.5
		{1, 4},            // ε = 4: mostly zeros
		{10, 3},           // ε = 0.3
		{1000000, 250000}, // ε = 0.25, unreduced
		{7, 2},
	} {
		t.Run(scale.String(), func(t *testing.T) {
			s := draw(t, seeded(byte(i)), scale, n)
			tf := float64(scale.Num) / float64(scale.Den)
			stat, df := chiSquare(s, laplacePMF(tf))
			limit := chiSquareLimit(max(df, 1))
			t.Logf("chi-square %.1f with %d df (limit %.1f)", stat, df, limit)
			if stat > limit {
				t.Errorf("chi-square %.1f with %d df, limit %.1f: not discrete Laplace of scale %v", stat, df, limit, scale)
			}
			// The variance of the two-sided geometric is 2q/(1-q)^2.
			q := math.Exp(-1 / tf)
			want := 2 * q / ((1 - q) * (1 - q))
			var sum, sq float64
			for _, x := range s {
				sum += float64(x)
				sq += float64(x) * float64(x)
			}
			mean := sum / n
			if sd := math.Sqrt(want / n); math.Abs(mean) > 6*sd {
				t.Errorf("mean %.4f, want 0 ± %.4f", mean, 6*sd)
			}
			if v := sq/n - mean*mean; math.Abs(v-want) > 0.1*want {
				t.Errorf("variance %.3f, want %.3f", v, want)
			}
		})
	}
}

// TestLaplaceTestCatchesWrongSamplers is the check of the check: the same
// chi-square test rejects samplers that are slightly wrong.
func TestLaplaceTestCatchesWrongSamplers(t *testing.T) {
	const n = 60_000
	wrong := map[string]func(z *Noise) (int64, error){
		// Scale off by one in the numerator (ε = 1 computed as 1/2).
		"scale 2 for 1": func(z *Noise) (int64, error) { return z.Laplace(Ratio{2, 1}) },
		// Off by one in the denominator: 10/4 instead of 10/3.
		"scale 10/4 for 10/3": func(z *Noise) (int64, error) { return z.Laplace(Ratio{10, 4}) },
		// Two-sided without rejecting -0: zero drawn twice as often.
		"double zero": func(z *Noise) (int64, error) {
			y, err := z.geometric(1, 1)
			if err != nil {
				return 0, err
			}
			if neg, _ := z.bernoulli(1, 2); neg {
				return -int64(y), nil
			}
			return int64(y), nil
		},
		// exp(-1) drawn as a fair coin in the geometric part.
		"coin for exp(-1)": func(z *Noise) (int64, error) {
			var v int64
			for {
				a, err := z.bernoulli(1, 2)
				if err != nil {
					return 0, err
				}
				if !a {
					break
				}
				v++
			}
			if neg, _ := z.bernoulli(1, 2); neg {
				if v == 0 {
					return 0, nil
				}
				return -v, nil
			}
			return v, nil
		},
	}
	want := map[string]float64{"scale 2 for 1": 1, "scale 10/4 for 10/3": 10.0 / 3, "double zero": 1, "coin for exp(-1)": 1}
	for name, f := range wrong {
		t.Run(name, func(t *testing.T) {
			z := seeded(99)
			s := make([]int64, n)
			for i := range s {
				x, err := f(z)
				if err != nil {
					t.Fatal(err)
				}
				s[i] = x
			}
			stat, df := chiSquare(s, laplacePMF(want[name]))
			limit := chiSquareLimit(df)
			t.Logf("chi-square %.1f with %d df (limit %.1f)", stat, df, limit)
			if stat <= limit {
				t.Errorf("chi-square %.1f with %d df passes the limit %.1f: the test cannot tell a wrong sampler", stat, df, limit)
			}
		})
	}
}

func TestBernoulliExp(t *testing.T) {
	const n = 100_000
	z := seeded(7)
	for _, g := range []Ratio{{0, 1}, {1, 3}, {1, 1}, {5, 2}, {7, 3}, {3, 1000}} {
		hits := 0
		for range n {
			ok, err := z.bernoulliExp(g.Num, g.Den)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				hits++
			}
		}
		p := math.Exp(-float64(g.Num) / float64(g.Den))
		sd := math.Sqrt(p * (1 - p) / n)
		if got := float64(hits) / n; math.Abs(got-p) > 6*sd+1e-12 {
			t.Errorf("Bernoulli(exp(-%v)): %.5f, want %.5f ± %.5f", g, got, p, 6*sd)
		}
	}
}

func TestUniformNoBias(t *testing.T) {
	z := seeded(3)
	const n, m = 60_000, 6
	var c [m]int
	for range n {
		u, err := z.uniform(m)
		if err != nil {
			t.Fatal(err)
		}
		c[u]++
	}
	stat := 0.0
	for _, x := range c {
		d := float64(x) - n/m
		stat += d * d / (n / m)
	}
	if limit := chiSquareLimit(m - 1); stat > limit {
		t.Errorf("uniform(6) counts %v: chi-square %.1f > %.1f", c, stat, limit)
	}
}

type failingReader struct{ left int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, errors.New("no entropy")
	}
	n := min(len(p), r.left)
	r.left -= n
	for i := range n {
		p[i] = 0xff
	}
	return n, nil
}

func TestLaplaceErrors(t *testing.T) {
	// A source that dries up is an error, never a panic or a zero.
	if _, err := NewNoise(&failingReader{left: 4}).Laplace(Ratio{1, 1}); err == nil {
		t.Error("no error from a failing source")
	}
	for _, s := range []Ratio{{0, 1}, {1, 0}, {1 << 41, 1}} {
		if _, err := NewNoise(nil).Laplace(s); err == nil {
			t.Errorf("scale %v accepted", s)
		}
	}
	// The product's source: crypto/rand.
	z := NewNoise(nil)
	for range 100 {
		if _, err := z.Laplace(Ratio{1, 1}); err != nil {
			t.Fatal(err)
		}
	}
	var _ io.Reader = rand.NewChaCha8([32]byte{})
}

func TestParseEpsilon(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" for an error
	}{
		{"1.0", "1"},
		{"1", "1"},
		{"0.25", "0.25"},
		{"0.1", "0.1"},
		{"00.500", "0.5"},
		{"2.000001", "2.000001"},
		{"100", "100"},
		{"100.0", "100"},
		{"100.000001", ""},
		{"1000", ""},
		{"0", ""},
		{"0.0", ""},
		{"0.0000001", ""},
		{"-1", ""},
		{"+1", ""},
		{"1e-1", ""},
		{".5", ""},
		{"1.", ""},
		{"", ""},
		{" 1", ""},
		{"1,5", ""},
		{"NaN", ""},
		{"١", ""}, // Arabic-Indic one: a script's number is ASCII
		{"99999999999999999999999", ""},
	} {
		e, err := ParseEpsilon(c.in)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("ParseEpsilon(%q) = %v, want an error", c.in, e)
		case c.want != "" && err != nil:
			t.Errorf("ParseEpsilon(%q): %v", c.in, err)
		case c.want != "" && e.String() != c.want:
			t.Errorf("ParseEpsilon(%q) = %v, want %v", c.in, e, c.want)
		case err != nil && !strings.Contains(err.Error(), "epsilon"):
			t.Errorf("ParseEpsilon(%q) error %q does not say what is wrong", c.in, err)
		}
	}
}

func FuzzParseEpsilon(f *testing.F) {
	for _, s := range []string{"1.0", "0.25", "100", "0", "1e3", "-0.5", "0.000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEpsilon(s)
		if err != nil {
			return
		}
		if e.Micro() <= 0 || e.Cmp(MaxEpsilon) > 0 {
			t.Fatalf("ParseEpsilon(%q) = %v out of range", s, e)
		}
		back, err := ParseEpsilon(e.String())
		if err != nil || back != e {
			t.Fatalf("ParseEpsilon(%q) = %v does not round-trip: %v, %v", s, e, back, err)
		}
		sc := e.Scale(1)
		if sc.Num == 0 || sc.Den == 0 || sc.Num > maxRatioPart || sc.Den > maxRatioPart {
			t.Fatalf("scale %v of %v out of the sampler's range", sc, e)
		}
	})
}

func TestEpsilonArithmetic(t *testing.T) {
	tenth, _ := ParseEpsilon("0.1")
	var sum Epsilon
	for range 10 {
		sum = sum.Add(tenth)
	}
	if one, _ := ParseEpsilon("1"); sum != one {
		t.Errorf("ten times 0.1 = %v, want exactly 1", sum)
	}
	for _, c := range []struct {
		eps  string
		sens int64
		want Ratio
	}{
		{"1", 1, Ratio{1, 1}},
		{"0.5", 1, Ratio{2, 1}},
		{"0.25", 3, Ratio{12, 1}},
		{"0.3", 1, Ratio{10, 3}},
		{"4", 2, Ratio{1, 2}},
	} {
		e, _ := ParseEpsilon(c.eps)
		if got := e.Scale(c.sens); got != c.want {
			t.Errorf("ε %v, Δ %d: scale %v, want %v", c.eps, c.sens, got, c.want)
		}
	}
	b, err := json.Marshal(struct{ E Epsilon }{tenth})
	if err != nil || string(b) != `{"E":"0.1"}` {
		t.Errorf("JSON %s, %v", b, err)
	}
	var back struct{ E Epsilon }
	if err := json.Unmarshal(b, &back); err != nil || back.E != tenth {
		t.Errorf("JSON back %v, %v", back.E, err)
	}
	if err := json.Unmarshal([]byte(`{"E":"-1"}`), &back); err == nil {
		t.Error("JSON accepted ε = -1")
	}
}

func TestClip(t *testing.T) {
	for in, want := range map[int64]int64{-3: 0, -1: 0, 0: 0, 1: 1, 7: 7} {
		if got := Clip(in); got != want {
			t.Errorf("Clip(%d) = %d", in, got)
		}
	}
}

func sum(xs []int64) (s int64) {
	for _, x := range xs {
		s += x
	}
	return s
}

func TestFitToTotal(t *testing.T) {
	for _, c := range []struct {
		name  string
		noisy []int64
		total int64
		want  []int64
	}{
		{"already consistent", []int64{3, 4, 5}, 12, []int64{3, 4, 5}},
		{"sum too high, shift shared", []int64{10, 10, 10}, 27, []int64{9, 9, 9}},
		{"sum too low, shift shared", []int64{10, 10, 10}, 33, []int64{11, 11, 11}},
		{"remainder to the largest fraction, ties to the first", []int64{10, 10, 10}, 28, []int64{10, 9, 9}},
		{"negative noisy cell ends at 0, tie to the first", []int64{20, -3, 5}, 24, []int64{20, 0, 4}},
		{"negative cells stay 0", []int64{-2, -2, 8}, 10, []int64{0, 0, 10}},
		{"all negative, positive total", []int64{-5, -1, -3}, 4, []int64{0, 3, 1}},
		{"zero total", []int64{5, 6}, 0, []int64{0, 0}},
		{"negative total is clipped first", []int64{5, 6}, -2, []int64{0, 0}},
		{"one cell takes the total", []int64{-4}, 9, []int64{9}},
		{"no cells", nil, 9, []int64{}},
		{"large cell far ahead", []int64{100, 1, 1, 1}, 50, []int64{50, 0, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := FitToTotal(c.noisy, c.total)
			if !equal(got, c.want) {
				t.Errorf("FitToTotal(%v, %d) = %v, want %v", c.noisy, c.total, got, c.want)
			}
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFitToTotalOptimal checks the least-squares claim on small cases
// against every non-negative integer vector with the right sum.
func TestFitToTotalOptimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		n := 1 + r.IntN(4)
		noisy := make([]int64, n)
		for i := range noisy {
			noisy[i] = r.Int64N(15) - 4
		}
		total := r.Int64N(13)
		got := FitToTotal(noisy, total)
		if sum(got) != total {
			t.Fatalf("FitToTotal(%v, %d) = %v: sum %d", noisy, total, got, sum(got))
		}
		dist := func(x []int64) (d int64) {
			for i := range x {
				d += (x[i] - noisy[i]) * (x[i] - noisy[i])
			}
			return d
		}
		best := int64(math.MaxInt64)
		var walk func(i int, left int64, x []int64)
		walk = func(i int, left int64, x []int64) {
			if i == n-1 {
				x[i] = left
				best = min(best, dist(x))
				return
			}
			for v := int64(0); v <= left; v++ {
				x[i] = v
				walk(i+1, left-v, x)
			}
		}
		walk(0, total, make([]int64, n))
		if d := dist(got); d != best {
			t.Errorf("FitToTotal(%v, %d) = %v at squared distance %d, best is %d", noisy, total, got, d, best)
		}
	}
}

func FuzzFitToTotal(f *testing.F) {
	f.Add([]byte{3, 250, 7}, int64(5))
	f.Add([]byte{}, int64(3))
	f.Fuzz(func(t *testing.T, raw []byte, total int64) {
		total %= 1 << 20
		noisy := make([]int64, len(raw))
		for i, b := range raw {
			noisy[i] = int64(int8(b))
		}
		got := FitToTotal(noisy, total)
		if len(got) != len(noisy) {
			t.Fatalf("%d cells for %d", len(got), len(noisy))
		}
		for _, v := range got {
			if v < 0 {
				t.Fatalf("negative cell in %v", got)
			}
		}
		if len(noisy) > 0 && sum(got) != max(total, 0) {
			t.Fatalf("FitToTotal(%v, %d) sums to %d", noisy, total, sum(got))
		}
	})
}

func TestNoisyTableConsistent(t *testing.T) {
	in := NoisyTable{
		Total:     40,
		RowTotals: []int64{25, 18, -2},
		Cells: [][]int64{
			{10, 12, 1},
			{9, -1, 6},
			{2, -3, 0},
		},
	}
	got := in.Consistent()
	if got.Total != 40 || sum(got.RowTotals) != 40 {
		t.Fatalf("totals %d, %v", got.Total, got.RowTotals)
	}
	for i, row := range got.Cells {
		if sum(row) != got.RowTotals[i] {
			t.Errorf("row %d = %v sums to %d, total %d", i, row, sum(row), got.RowTotals[i])
		}
		for _, v := range row {
			if v < 0 {
				t.Errorf("negative cell in row %d: %v", i, row)
			}
		}
	}
	want := NoisyTable{Total: 40, RowTotals: []int64{24, 16, 0}, Cells: [][]int64{{11, 12, 1}, {10, 0, 6}, {0, 0, 0}}}
	for i := range want.Cells {
		if !equal(got.Cells[i], want.Cells[i]) {
			t.Errorf("row %d = %v, want %v", i, got.Cells[i], want.Cells[i])
		}
	}
	if !equal(got.RowTotals, want.RowTotals) {
		t.Errorf("row totals %v, want %v", got.RowTotals, want.RowTotals)
	}
	// A negative grand total is clipped: everything is 0.
	z := NoisyTable{Total: -3, RowTotals: []int64{1, 2}, Cells: [][]int64{{1}, {2}}}.Consistent()
	if z.Total != 0 || sum(z.RowTotals) != 0 || sum(z.Cells[0])+sum(z.Cells[1]) != 0 {
		t.Errorf("negative total: %+v", z)
	}
}

func TestCapAt(t *testing.T) {
	if got := CapAt([]int64{-2, 3, 12, 10}, 10); !equal(got, []int64{0, 3, 10, 10}) {
		t.Errorf("CapAt = %v", got)
	}
}

func TestLedger(t *testing.T) {
	e := func(s string) Epsilon {
		v, err := ParseEpsilon(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	l := Ledger{Budget: e("1.0")}
	for i, s := range []string{"0.25", "0.25", "0.5"} {
		if err := l.Charge(int64(i+1), e(s)); err != nil {
			t.Fatalf("charge %d: %v", i+1, err)
		}
	}
	if l.Spent() != e("1") || !l.Left().IsZero() {
		t.Fatalf("spent %v, left %v", l.Spent(), l.Left())
	}
	err := l.Charge(4, e("0.1"))
	var ob *OverBudgetError
	if !errors.Is(err, ErrOverBudget) || !errors.As(err, &ob) {
		t.Fatalf("over budget: %v", err)
	}
	for _, want := range []string{"release 4", "0.1", "budget of ε = 1", "0 left", "last release stays published"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if len(l.Charges) != 3 {
		t.Errorf("refused charge recorded: %v", l.Charges)
	}

	l = Ledger{Budget: e("1")}
	if err := l.Charge(1, e("0.6")); err != nil {
		t.Fatal(err)
	}
	if err := l.Charge(2, e("0.5")); !errors.Is(err, ErrOverBudget) {
		t.Errorf("0.6 + 0.5 > 1 accepted: %v", err)
	}
	if err := l.Charge(1, e("0.1")); err == nil || errors.Is(err, ErrOverBudget) {
		t.Errorf("release 1 charged twice: %v", err)
	}
	if err := l.Charge(3, Epsilon{}); err == nil {
		t.Error("zero ε charged")
	}
	if err := l.Charge(3, e("0.4")); err != nil || l.Left() != (Epsilon{}) {
		t.Errorf("exactly the rest refused: %v, left %v", err, l.Left())
	}
	b, _ := json.Marshal(l)
	if string(b) != `{"budget":"1","charges":[{"release":1,"epsilon":"0.6"},{"release":3,"epsilon":"0.4"}]}` {
		t.Errorf("ledger JSON %s", b)
	}
}

func BenchmarkLaplace(b *testing.B) {
	for _, scale := range []Ratio{{1, 1}, {10, 1}} {
		b.Run(scale.String(), func(b *testing.B) {
			z := NewNoise(nil)
			for b.Loop() {
				if _, err := z.Laplace(scale); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
