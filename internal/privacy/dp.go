package privacy

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// This file is the differential-privacy mode's arithmetic: an exact
// discrete Laplace (two-sided geometric) sampler, ε as an exact decimal,
// the post-processing that makes noisy counts publishable, and the ε
// budget of a consultation.
//
// The sampler never touches floating point. A sampler that computes
// exp(-x) or a logarithm in float64 leaks through the gaps and the
// uneven spacing of floats: some outputs are impossible for one input
// and possible for a neighbour (Mironov 2012, "On significance of the
// least significant bits for differential privacy"). Here every
// probability is a ratio of integers and every draw is a uniform integer
// read from a cryptographic source, following Canonne, Kamath and Steinke
// 2020 ("The discrete Gaussian for differential privacy", algorithms 1
// and 2), so the output distribution is exactly the two-sided geometric
// one, P(x) ∝ exp(-|x|/t).

// Ratio is a positive rational number Num/Den, such as a noise scale.
type Ratio struct {
	Num, Den uint64
}

func (r Ratio) String() string { return fmt.Sprintf("%d/%d", r.Num, r.Den) }

// maxRatioPart bounds Num and Den so that the sampler's products cannot
// overflow (a scale of 2^40 is far beyond any useful noise).
const maxRatioPart = 1 << 40

// reduced returns r in lowest terms.
func (r Ratio) reduced() Ratio {
	g := gcd(r.Num, r.Den)
	if g == 0 {
		return r
	}
	return Ratio{r.Num / g, r.Den / g}
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Noise draws exact discrete-Laplace noise. It is not safe for concurrent
// use; make one per release.
type Noise struct {
	r   io.Reader
	buf [8]byte
}

// NewNoise returns a Noise reading its randomness from r, or from
// crypto/rand when r is nil (the product always passes nil; tests pass a
// seeded stream so that a statistical test gives the same verdict on
// every run).
func NewNoise(r io.Reader) *Noise {
	if r == nil {
		r = rand.Reader
	}
	return &Noise{r: bufio.NewReaderSize(r, 512)}
}

// uniform returns an integer uniform in [0, n), n ≥ 1, by rejection: no
// modulo bias.
func (z *Noise) uniform(n uint64) (uint64, error) {
	if n <= 1 {
		return 0, nil
	}
	mask := uint64(1)<<bits.Len64(n-1) - 1
	for {
		if _, err := io.ReadFull(z.r, z.buf[:]); err != nil {
			return 0, fmt.Errorf("privacy: reading randomness: %w", err)
		}
		if v := binary.LittleEndian.Uint64(z.buf[:]) & mask; v < n {
			return v, nil
		}
	}
}

// bernoulli returns true with probability num/den (0 ≤ num ≤ den).
func (z *Noise) bernoulli(num, den uint64) (bool, error) {
	u, err := z.uniform(den)
	return u < num, err
}

// bernoulliExp returns true with probability exp(-num/den), for any
// num ≥ 0, den ≥ 1 (CKS 2020, algorithm 1). For γ = num/den in [0, 1]:
// draw A_k ~ Bernoulli(γ/k) for k = 1, 2, ... until one is false; the
// index K of that false draw is odd with probability
// Σ_j (-γ)^j / j! = exp(-γ). For γ > 1, exp(-γ) = exp(-1)^⌊γ⌋ ·
// exp(-(γ-⌊γ⌋)): that many independent exp(-1) draws, all true, then the
// remainder.
func (z *Noise) bernoulliExp(num, den uint64) (bool, error) {
	for num > den {
		ok, err := z.bernoulliExpUnit(1, 1)
		if err != nil || !ok {
			return false, err
		}
		num -= den
	}
	return z.bernoulliExpUnit(num, den)
}

// bernoulliExpUnit is bernoulliExp for num ≤ den.
func (z *Noise) bernoulliExpUnit(num, den uint64) (bool, error) {
	k := uint64(1)
	for {
		// Bernoulli(γ/k) as Bernoulli(γ) and Bernoulli(1/k): den·k
		// never has to be formed, so it cannot overflow.
		a, err := z.bernoulli(num, den)
		if err != nil {
			return false, err
		}
		if a {
			u, err := z.uniform(k)
			if err != nil {
				return false, err
			}
			a = u == 0
		}
		if !a {
			return k%2 == 1, nil
		}
		k++
	}
}

// geometric returns Y ≥ 0 with P(Y = y) ∝ exp(-y·s/t) (the one-sided
// half of CKS 2020, algorithm 2): X = U + t·V with U uniform in [0, t)
// kept with probability exp(-U/t) and V counting exp(-1) successes is
// geometric with P(X = x) ∝ exp(-x/t); Y = ⌊X/s⌋.
func (z *Noise) geometric(t, s uint64) (uint64, error) {
	for {
		u, err := z.uniform(t)
		if err != nil {
			return 0, err
		}
		keep, err := z.bernoulliExp(u, t)
		if err != nil {
			return 0, err
		}
		if !keep {
			continue
		}
		var v uint64
		for {
			a, err := z.bernoulliExpUnit(1, 1)
			if err != nil {
				return 0, err
			}
			if !a {
				break
			}
			v++
		}
		hi, x := bits.Mul64(t, v)
		x, carry := bits.Add64(x, u, 0)
		if hi != 0 || carry != 0 {
			continue // beyond 2^64: probability below exp(-2^64/t), never in practice
		}
		return x / s, nil
	}
}

// Laplace returns one draw of the discrete Laplace distribution of the
// given scale t = Num/Den: P(x) = (1-q)/(1+q) · q^|x| with q = exp(-1/t),
// for every integer x. Added to a count whose sensitivity is Δ (one
// person changes it by at most Δ), scale Δ/ε gives ε-differential
// privacy for that count.
func (z *Noise) Laplace(scale Ratio) (int64, error) {
	scale = scale.reduced()
	if scale.Num == 0 || scale.Den == 0 || scale.Num > maxRatioPart || scale.Den > maxRatioPart {
		return 0, fmt.Errorf("privacy: noise scale %v out of range", scale)
	}
	for {
		y, err := z.geometric(scale.Num, scale.Den)
		if err != nil {
			return 0, err
		}
		neg, err := z.bernoulli(1, 2)
		if err != nil {
			return 0, err
		}
		if y > 1<<62 {
			continue // cannot be an int64 count; as unlikely as above
		}
		if !neg {
			return int64(y), nil
		}
		if y == 0 {
			continue // -0 would count zero twice
		}
		return -int64(y), nil
	}
}

// Epsilon is a privacy-loss parameter ε, held exactly as a decimal with up
// to six decimal places (in millionths), so that budgets add up exactly:
// ten releases of 0.1 spend exactly 1.
type Epsilon struct {
	micro int64
}

const (
	epsilonPlaces = 6
	epsilonUnit   = 1_000_000
	// MaxEpsilon bounds what a script may ask for. ε beyond 10 per release
	// protects almost nothing; 100 leaves room for a consultation's total.
	maxEpsilonMicro = 100 * epsilonUnit
)

// MaxEpsilon is the largest ε ParseEpsilon accepts.
var MaxEpsilon = Epsilon{maxEpsilonMicro}

// ParseEpsilon reads ε from a script's decimal: digits, optionally a point
// and up to six more digits ("1", "1.0", "0.25"). It refuses signs,
// exponents, zero and anything above MaxEpsilon, with a message a script
// author can act on.
func ParseEpsilon(s string) (Epsilon, error) {
	bad := func(why string) (Epsilon, error) {
		return Epsilon{}, fmt.Errorf("epsilon %q: %s", s, why)
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (dot && (frac == "" || !allDigits(frac))) {
		return bad("write a decimal number such as 1.0 or 0.25")
	}
	if len(frac) > epsilonPlaces {
		return bad(fmt.Sprintf("at most %d decimal places", epsilonPlaces))
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 3 {
		return bad("must be at most " + MaxEpsilon.String())
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f, _ := strconv.ParseInt(frac+strings.Repeat("0", epsilonPlaces-len(frac)), 10, 64)
	e := Epsilon{w*epsilonUnit + f}
	switch {
	case e.micro <= 0:
		return bad("must be more than 0")
	case e.micro > maxEpsilonMicro:
		return bad("must be at most " + MaxEpsilon.String())
	}
	return e, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String is the shortest decimal for e: "1", "0.25".
func (e Epsilon) String() string {
	s := strconv.FormatInt(e.micro/epsilonUnit, 10)
	if f := e.micro % epsilonUnit; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%06d", f), "0")
	}
	return s
}

// MarshalText and UnmarshalText carry e as its decimal in JSON and YAML.
func (e Epsilon) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

func (e *Epsilon) UnmarshalText(b []byte) error {
	v, err := ParseEpsilon(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// IsZero reports whether e is the zero value (no ε: not a DP release).
func (e Epsilon) IsZero() bool { return e.micro == 0 }

// Cmp compares e with o: -1, 0 or +1.
func (e Epsilon) Cmp(o Epsilon) int {
	switch {
	case e.micro < o.micro:
		return -1
	case e.micro > o.micro:
		return 1
	}
	return 0
}

// Add returns e + o, exactly.
func (e Epsilon) Add(o Epsilon) Epsilon { return Epsilon{e.micro + o.micro} }

// Sub returns e - o, exactly (negative when o is larger).
func (e Epsilon) Sub(o Epsilon) Epsilon { return Epsilon{e.micro - o.micro} }

// Micro is e in millionths, for storage.
func (e Epsilon) Micro() int64 { return e.micro }

// EpsilonFromMicro is the inverse of Micro. It refuses what ParseEpsilon
// would refuse, zero excepted (a stored zero means "none").
func EpsilonFromMicro(m int64) (Epsilon, error) {
	if m < 0 || m > maxEpsilonMicro {
		return Epsilon{}, fmt.Errorf("privacy: epsilon of %d millionths out of range", m)
	}
	return Epsilon{m}, nil
}

// Scale is the noise scale Δ/ε that gives a count of sensitivity Δ
// (one person changes it by at most Δ ≥ 1) ε-differential privacy with
// discrete Laplace noise. It panics on a zero ε or Δ below 1: both are
// programming errors, as a parsed ε is never zero.
func (e Epsilon) Scale(sensitivity int64) Ratio {
	if e.micro <= 0 || sensitivity < 1 {
		panic(fmt.Sprintf("privacy: Scale(%d) of epsilon %v", sensitivity, e))
	}
	return Ratio{uint64(sensitivity) * epsilonUnit, uint64(e.micro)}.reduced()
}

// Clip is the only correction a lone noisy count gets: a negative value
// becomes 0. It is applied to the noisy value, never to the count before
// noise (clipping first would shift every small count upwards and leak
// which counts were small).
func Clip(noisy int64) int64 { return max(noisy, 0) }

// FitToTotal makes noisy cells that must add up to a total publishable:
// it returns non-negative integers summing exactly to max(total, 0), as
// close as it can to the noisy cells in squared distance. That is the
// Euclidean projection of the noisy cells onto {x ≥ 0, Σx = total} (cells
// far below the others become 0; the rest move by one common shift τ),
// then rounding that keeps the sum: every cell is rounded down and the
// units missing from the total go to the cells with the largest
// fractional parts (ties to the earlier cell). It uses only the noisy
// values, so it is post-processing and costs no privacy. All arithmetic
// is on integers. With no cells it returns an empty slice whatever the
// total.
func FitToTotal(noisy []int64, total int64) []int64 {
	out := make([]int64, len(noisy))
	total = max(total, 0)
	if len(noisy) == 0 || total == 0 {
		return out
	}
	// Sort descending; find the largest ρ with c_(ρ)·ρ > S_ρ - total,
	// where S_ρ is the sum of the ρ largest: those cells stay positive.
	order := make([]int, len(noisy))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case noisy[a] > noisy[b]:
			return -1
		case noisy[a] < noisy[b]:
			return 1
		}
		return 0
	})
	var sum, shift int64
	rho := int64(0)
	for i, c := range order {
		sum += noisy[c]
		r := int64(i + 1)
		if noisy[c]*r > sum-total {
			rho, shift = r, sum-total
		}
	}
	// x_i = (c_i·ρ - shift)/ρ for the ρ largest, 0 for the rest.
	type part struct {
		cell int
		rem  int64
	}
	parts := make([]part, 0, rho)
	left := total
	for _, c := range order[:rho] {
		n := noisy[c]*rho - shift
		out[c] = n / rho
		left -= out[c]
		parts = append(parts, part{c, n % rho})
	}
	slices.SortStableFunc(parts, func(a, b part) int {
		switch {
		case a.rem > b.rem:
			return -1
		case a.rem < b.rem:
			return 1
		}
		return a.cell - b.cell
	})
	for i := int64(0); i < left; i++ {
		out[parts[i].cell]++
	}
	return out
}

// NoisyTable is a table of noisy counts with the noisy totals published
// beside it: Total is the grand total, RowTotals[i] the total of row i.
type NoisyTable struct {
	Total     int64
	RowTotals []int64
	Cells     [][]int64
}

// Consistent returns t made publishable from the top down: the grand
// total clipped at 0, the row totals fitted to it, and each row's cells
// fitted to its row total (FitToTotal). Every number it returns is a
// non-negative integer, each row adds up to its total and the totals to
// the grand total, so a reader sees no contradiction. Post-processing
// only. A row of Cells without a RowTotals entry (or with more cells than
// others) is fitted to its own clipped sum.
func (t NoisyTable) Consistent() NoisyTable {
	out := NoisyTable{Total: Clip(t.Total)}
	out.RowTotals = FitToTotal(t.RowTotals, out.Total)
	out.Cells = make([][]int64, len(t.Cells))
	for i, row := range t.Cells {
		var total int64
		if i < len(out.RowTotals) {
			total = out.RowTotals[i]
		} else {
			for _, v := range row {
				total += Clip(v)
			}
		}
		out.Cells[i] = FitToTotal(row, total)
	}
	return out
}

// CapAt is the post-processing for cells that do not add up to a total
// but cannot exceed it (options of a multi-select question, each at most
// the number who answered): each is clipped to [0, total].
func CapAt(noisy []int64, total int64) []int64 {
	out := make([]int64, len(noisy))
	for i, v := range noisy {
		out[i] = min(Clip(v), max(total, 0))
	}
	return out
}

// Charge is the ε one release spent.
type Charge struct {
	Release int64   `json:"release"`
	Epsilon Epsilon `json:"epsilon"`
}

// Ledger is a consultation's ε account: the total it may spend over all
// its releases and what each release spent. Under sequential composition
// the privacy loss of all releases together is at most the sum of their
// ε, so that sum must stay within the budget.
type Ledger struct {
	Budget  Epsilon  `json:"budget"`
	Charges []Charge `json:"charges,omitempty"`
}

// ErrOverBudget is what a refused release's error matches (errors.Is).
var ErrOverBudget = errors.New("privacy budget exhausted")

// OverBudgetError says why a release was refused.
type OverBudgetError struct {
	Release             int64
	Need, Spent, Budget Epsilon
}

func (e *OverBudgetError) Error() string {
	return fmt.Sprintf("release %d refused: it would spend ε = %v, but %v of this consultation's budget of ε = %v is already spent (%v left); the last release stays published",
		e.Release, e.Need, e.Spent, e.Budget, e.Budget.Sub(e.Spent))
}

func (e *OverBudgetError) Is(target error) bool { return target == ErrOverBudget }

// Spent is the sum of every charge.
func (l *Ledger) Spent() Epsilon {
	var s Epsilon
	for _, c := range l.Charges {
		s = s.Add(c.Epsilon)
	}
	return s
}

// Left is what remains of the budget (never negative).
func (l *Ledger) Left() Epsilon {
	left := l.Budget.Sub(l.Spent())
	if left.micro < 0 {
		return Epsilon{}
	}
	return left
}

// Charge records that release spends eps. It refuses, changing nothing, a
// charge that would take the total over the budget (an *OverBudgetError,
// matching ErrOverBudget), a zero ε, and a release number not above the
// last one charged (a release is charged once, and in order).
func (l *Ledger) Charge(release int64, eps Epsilon) error {
	if eps.micro <= 0 {
		return fmt.Errorf("privacy: release %d charged ε = %v", release, eps)
	}
	if n := len(l.Charges); n > 0 && release <= l.Charges[n-1].Release {
		return fmt.Errorf("privacy: release %d charged after release %d", release, l.Charges[n-1].Release)
	}
	spent := l.Spent()
	if spent.Add(eps).Cmp(l.Budget) > 0 {
		return &OverBudgetError{Release: release, Need: eps, Spent: spent, Budget: l.Budget}
	}
	l.Charges = append(l.Charges, Charge{Release: release, Epsilon: eps})
	return nil
}
