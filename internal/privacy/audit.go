package privacy

import (
	"fmt"
	"math"
	"slices"
)

// Rel is how a Constraint's weighted sum compares with zero.
type Rel int8

const (
	// Eq: the weighted sum is zero.
	Eq Rel = iota
	// Le: the weighted sum is at most zero (write a ≥ with negated weights).
	Le
)

// Term is one cell of a Constraint with its weight.
type Term struct {
	Cell int
	Coef float64
}

// Constraint is a linear fact a reader knows about the cells: Σ Coef·cell
// (Rel) 0, such as "the options of a single-choice question add up to its
// answered count".
type Constraint struct {
	Terms []Term
	Rel   Rel
}

// Group is a group of people whose answers to one single-choice question
// are the cells Options (one per option, or a difference of two releases'
// cells, hence Terms): the women of the west district and how they rated
// their safety, say.
type Group struct {
	Options [][]Term
	// Label names the group in findings ("safe_night by area=west").
	Label string
}

// Problem is everything a reader can know about a set of counts: which are
// published (Shown, with their Values), lower bounds the publication
// implies for hidden ones (Lower: 1 for a cell labelled as hidden for
// being small), and the linear facts that tie them (Constraints). Values
// hold the true counts of every cell: the auditor knows them, the reader
// only those shown.
type Problem struct {
	Values      []int64
	Shown       []bool
	Lower       []int64
	Constraints []Constraint
	Groups      []Group
	// Names are optional cell names for findings.
	Names []string
	// Folded are cells of wholly hidden two-way tables left out of the
	// program (see Folded).
	Folded []Folded
	// Hints are points a reader's tables may take, met by an earlier
	// audit of a like problem (the suppression loop's previous round):
	// each that the auditor finds feasible here (it checks every fact
	// it touches) shows, as its own feasible points do, that the cells it
	// moves can take those values, so their programs may be skipped. A
	// hint that is not feasible is ignored.
	Hints []Point
	// Tables, when set, names the table of each cell, the unit a
	// suppression loop mends at once: the audit then looks for the first
	// finding of each table only, and skips the programs of a cell whose
	// table is already found unsafe (a finding it would report names
	// only tables that have one). Nil: every finding is reported.
	Tables []int
}

// Folded is a cell of a wholly hidden two-way table of single answers
// whose rows and columns add up to the margins Row and Col (cells of the
// problem) for everyone (Total people). Such a table adds nothing to what
// a reader knows of other cells (any margins with equal totals have a
// table), so it stays out of the linear program; its own cell lies
// between the Fréchet bounds max(0, Row+Col-Total) and min(Row, Col) for
// every feasible value of the margins. The auditor checks it with the
// margins' true values for the lower bound (a reader may know less, never
// more) and the best min(Row, Col) met at feasible points for the upper.
//
// When the table is not of single answers given by everyone (Fréchet
// false: a multi-select or skippable question), the lower bound is taken
// as the cell's true value, so the check asks that the cell can be at
// least k more than it is.
type Folded struct {
	Cell, Row, Col, Total int
	Frechet               bool
}

// Add appends a cell and returns its index.
func (p *Problem) Add(name string, value int64, shown bool, lower int64) int {
	p.Values = append(p.Values, value)
	p.Shown = append(p.Shown, shown)
	p.Lower = append(p.Lower, lower)
	p.Names = append(p.Names, name)
	return len(p.Values) - 1
}

// Why a Finding failed the audit.
const (
	WhyPinned     = "pinned"     // a hidden small cell has one feasible value
	WhyNarrow     = "narrow"     // its feasible interval is narrower than k
	WhyDetermined = "determined" // a small group's answer follows from the numbers
	WhyUnsolved   = "unsolved"   // the LP failed: counted as unprotected
)

// Finding is one disclosure the auditor found.
type Finding struct {
	Cell int // the hidden cell (for WhyDetermined: the option that all chose, a Group's first term)
	// Lo and Hi bound the cell's value over every table a reader can
	// combine (Hi is math.MaxInt64 when unbounded).
	Lo, Hi int64
	Why    string
	// Group is the index in Problem.Groups for WhyDetermined, else -1.
	Group int
	// Cells are the problem's cells the finding is about (the hidden cells
	// whose value leaks), for the suppression loop to act on.
	Cells []int
}

func (f Finding) String(p *Problem) string {
	name := fmt.Sprint(f.Cell)
	if f.Cell < len(p.Names) && p.Names[f.Cell] != "" {
		name = p.Names[f.Cell]
	}
	if f.Why == WhyDetermined {
		return fmt.Sprintf("%s: %s (%s)", f.Why, p.Groups[f.Group].Label, name)
	}
	return fmt.Sprintf("%s: %s true %d in [%d, %d]", f.Why, name, p.Values[f.Cell], f.Lo, f.Hi)
}

// Point is a set of values of the cells of a Problem: Vals[i] of
// Cells[i], every other cell at its true value (Problem.Values).
type Point struct {
	Cells []int
	Vals  []float64
}

// Interval is one hidden cell's feasible range.
type Interval struct {
	Cell   int
	Lo, Hi int64 // Hi math.MaxInt64: unbounded
}

// Report is an audit's result.
type Report struct {
	Findings []Finding
	// Intervals of every hidden cell of 1..k-1 people the audit checked.
	Intervals []Interval
	// LPs counts the linear programs solved (the rest were settled by
	// feasible points found on the way).
	LPs int
	// Points are feasible points the programs met (at most maxReport
	// optima and maxReport points of single-column moves), for
	// Problem.Hints of a later audit.
	Points []Point
	// HintsUsed counts the Problem.Hints found feasible.
	HintsUsed int
}

// maxReport bounds Report.Points.
const maxReport = 256

// OK reports whether the audit found nothing.
func (r Report) OK() bool { return len(r.Findings) == 0 }

// Audit is the disclosure test of everything published together: for
// every hidden cell whose true value is 1..k-1 it computes, by linear
// programming over the reader's knowledge (shown cells, Constraints,
// non-negativity, Lower), the smallest and largest value the cell can
// take. Such a cell is protected only when that interval is not a single
// value and is at least k wide (its integer bounds differ by k or more).
// For each Group of 1..k-1 people it also checks that no option is provably
// chosen by all of them (attribute disclosure). The LP is the continuous
// relaxation of the integer problem, rounded inward, as τ-ARGUS and
// sdcTable audit.
//
// Cost: one or two small LPs per small hidden cell at most, per connected
// group of hidden cells; a cell whose interval is already known to be wide
// from feasible points met on the way costs nothing.
func Audit(k int, p *Problem) Report {
	k = max(k, MinK)
	a := newAuditor(p)
	var rep Report
	rep.HintsUsed = a.hint()
	a.spread(k)
	folded := make(map[int]bool, len(p.Folded))
	for fi, f := range p.Folded {
		folded[f.Cell] = true
		v := p.Values[f.Cell]
		if v < 1 || v >= int64(k) || a.flagged(f.Row) {
			continue
		}
		wide := func() bool { return a.foldHi[fi]-a.foldLo[fi] >= int64(k) }
		// Push its margins up, together and apart, and its lower bound
		// down, so its bounds are what they can be.
		var hidden []Term
		for _, m := range []int{f.Row, f.Col} {
			if !p.Shown[m] {
				hidden = append(hidden, Term{m, 1})
			}
		}
		tries := [][]Term{hidden}
		for _, t := range hidden {
			tries = append(tries, []Term{t})
		}
		for _, ts := range tries {
			if len(ts) == 0 || wide() {
				continue
			}
			a.optimizeExpr(ts, true)
		}
		if f.Frechet && !wide() && len(hidden) > 0 {
			// Fréchet's lower bound: row + col - total, minimised.
			a.optimizeExpr(append(slices.Clone(hidden), Term{f.Total, -1}), false)
		}
		lo, hi := a.foldLo[fi], a.foldHi[fi]
		if p.Shown[f.Row] || p.Shown[f.Col] || a.comp[f.Row] != a.comp[f.Col] {
			// Independent: each margin at its own maximum.
			up := func(c int) int64 {
				if p.Shown[c] {
					return p.Values[c]
				}
				return roundDown(a.seenHi[c])
			}
			hi = max(hi, min(up(f.Row), up(f.Col)))
		}
		rep.Intervals = append(rep.Intervals, Interval{f.Cell, lo, hi})
		why := ""
		switch {
		case lo == hi:
			why = WhyPinned
		case hi-lo < int64(k):
			why = WhyNarrow
		}
		if why != "" {
			rep.Findings = append(rep.Findings, Finding{Cell: f.Cell, Lo: lo, Hi: hi, Why: why, Group: -1, Cells: []int{f.Row}})
			a.flag(f.Row)
		}
	}
	for c := range p.Values {
		if folded[c] {
			continue
		}
		if p.Shown[c] || p.Values[c] < 1 || p.Values[c] >= int64(k) || a.flagged(c) {
			continue
		}
		lo, hi, err := a.interval(c, k)
		if err != nil {
			rep.Findings = append(rep.Findings, Finding{Cell: c, Why: WhyUnsolved, Group: -1, Cells: []int{c}})
			a.flag(c)
			continue
		}
		rep.Intervals = append(rep.Intervals, Interval{c, lo, hi})
		why := ""
		switch {
		case lo == hi:
			why = WhyPinned
		case hi != math.MaxInt64 && hi-lo < int64(k):
			why = WhyNarrow
		}
		if why != "" {
			rep.Findings = append(rep.Findings, Finding{Cell: c, Lo: lo, Hi: hi, Why: why, Group: -1, Cells: []int{c}})
			a.flag(c)
		}
	}
	for gi, g := range p.Groups {
		if p.Tables != nil && a.groupFlagged(g) {
			continue
		}
		if f, ok := a.group(k, gi, g); ok {
			rep.Findings = append(rep.Findings, f)
			for _, c := range f.Cells {
				a.flag(c)
			}
		}
	}
	rep.LPs = a.lps
	rep.Points = append(a.met, a.probed...)
	return rep
}

// root returns the lower bound of the cell at the end of c's chain of
// substitutions (see component): the least value c can take.
func (a *auditor) root(c int) int64 {
	for a.base[c] >= 0 {
		c = a.base[c]
	}
	return a.p.Lower[c]
}

// chainHas reports whether y is on c's chain of substitutions (c itself
// included): substituting y on c would then make a cycle.
func (a *auditor) chainHas(c, y int) bool {
	for ; c >= 0; c = a.base[c] {
		if c == y {
			return true
		}
	}
	return false
}

// flag notes that cell c's table has a finding (with Problem.Tables).
func (a *auditor) flag(c int) {
	if a.p.Tables != nil {
		a.flaggedTable[a.p.Tables[c]] = true
	}
}

// flagged reports whether cell c's table has a finding already, so that
// with Problem.Tables its own check can be skipped.
func (a *auditor) flagged(c int) bool {
	return a.p.Tables != nil && a.flaggedTable[a.p.Tables[c]]
}

// groupFlagged reports whether every table of g's hidden cells has a
// finding already (a group of only shown cells is never skipped).
func (a *auditor) groupFlagged(g Group) bool {
	any := false
	for _, ts := range g.Options {
		for _, t := range ts {
			if a.p.Shown[t.Cell] {
				continue
			}
			if !a.flagged(t.Cell) {
				return false
			}
			any = true
		}
	}
	return any
}

// auditor holds the reader's LP split into connected components of hidden
// cells.
type auditor struct {
	p    *Problem
	comp []int // cell -> component (-1: shown)
	col  []int // cell -> its column in its component's program
	// base[c] is the cell c is written on (c = base + its column), or -1.
	base []int
	// per component: its hidden cells, and its constraints
	cells [][]int
	cons  [][]int
	lp    []*compLP
	// seen[c] is the range of values cell c took at feasible points found.
	seenLo, seenHi []float64
	lps            int
	// For folded cells (by index in Problem.Folded): the largest
	// min(row, col) and smallest Fréchet lower bound met at a feasible
	// point; folds lists the folded cells whose margins or total a cell is.
	foldHi, foldLo []int64
	foldR, foldC   [][2]int64 // (row, col) at the point with the largest row, column
	folds          map[int][]int
	unbounded      map[int]bool
	flaggedTable   map[int]bool
	// hints are the Problem.Hints found feasible, their cells in
	// increasing order; met holds the optima found (see Report.Points).
	hints  []Point
	met    []Point
	probed []Point
}

func newAuditor(p *Problem) *auditor {
	n := len(p.Values)
	a := &auditor{p: p, comp: make([]int, n), col: make([]int, n), base: make([]int, n), seenLo: make([]float64, n), seenHi: make([]float64, n),
		folds: make(map[int][]int), unbounded: make(map[int]bool), flaggedTable: make(map[int]bool)}
	a.foldHi = make([]int64, len(p.Folded))
	a.foldLo = make([]int64, len(p.Folded))
	a.foldR = make([][2]int64, len(p.Folded))
	a.foldC = make([][2]int64, len(p.Folded))
	for fi, f := range p.Folded {
		r, c, t := p.Values[f.Row], p.Values[f.Col], p.Values[f.Total]
		a.foldR[fi] = [2]int64{r, c}
		a.foldC[fi] = [2]int64{r, c}
		a.foldHi[fi] = min(r, c)
		a.foldLo[fi] = p.Values[f.Cell]
		if f.Frechet {
			a.foldLo[fi] = max(0, r+c-t)
		}
		for _, m := range []int{f.Row, f.Col, f.Total} {
			if !p.Shown[m] {
				a.folds[m] = append(a.folds[m], fi)
			}
		}
	}
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
		a.base[i] = -1
		a.seenLo[i] = float64(p.Values[i])
		a.seenHi[i] = float64(p.Values[i])
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, c := range p.Constraints {
		first := -1
		for _, t := range c.Terms {
			if p.Shown[t.Cell] || t.Coef == 0 {
				continue
			}
			if first < 0 {
				first = t.Cell
				continue
			}
			parent[find(t.Cell)] = find(first)
		}
	}
	root := make(map[int]int)
	for c := range n {
		if p.Shown[c] {
			a.comp[c] = -1
			continue
		}
		r := find(c)
		id, ok := root[r]
		if !ok {
			id = len(a.cells)
			root[r] = id
			a.cells = append(a.cells, nil)
			a.cons = append(a.cons, nil)
		}
		a.comp[c] = id
		a.col[c] = len(a.cells[id])
		a.cells[id] = append(a.cells[id], c)
	}
	for ci, c := range p.Constraints {
		for _, t := range c.Terms {
			if !p.Shown[t.Cell] && t.Coef != 0 {
				id := a.comp[t.Cell]
				a.cons[id] = append(a.cons[id], ci)
				break
			}
		}
	}
	a.lp = make([]*compLP, len(a.cells))
	return a
}

// spread finds feasible points cheaply before any per-cell program: per
// component, a few programs that push every unsettled small cell up (and
// then down) at once with random weights. Each optimum is a point every
// cell's range must contain, so most cells are settled wide by these
// alone.
func (a *auditor) spread(k int) {
	p := a.p
	rng := uint64(0x9e3779b97f4a7c15)
	next := func() float64 {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return 0.5 + float64(rng%1000)/1000
	}
	for id, cells := range a.cells {
		open := false
		for _, c := range cells {
			if p.Values[c] >= 1 && p.Values[c] < int64(k) && a.seenHi[c]-a.seenLo[c] < float64(k)-1e-6 {
				open = true
				break
			}
		}
		if !open {
			// Every small cell is known wide already (Problem.Hints):
			// the program is built only if a later question needs it.
			continue
		}
		if m, err := a.component(id); err != nil || m.unconstrained {
			continue
		}
		a.probe(id, k)
		for round := range spreadRounds(len(a.hints)) {
			var ts []Term
			for _, c := range cells {
				if p.Values[c] >= 1 && p.Values[c] < int64(k) && a.seenHi[c]-a.seenLo[c] < float64(k)-1e-6 &&
					(round == 0 || a.seenLo[c] > float64(a.root(c))+1e-6) {
					// Pushing down a cell already seen at its least value
					// (its chain's lower bound) can show nothing new.
					ts = append(ts, Term{c, next()})
				}
			}
			if len(ts) < 4 {
				break
			}
			if _, _, err := a.optimize(ts, round%2 == 0); err != nil {
				break
			}
			_ = id
		}
	}
}

// probe looks for feasible points around the true counts without a
// program: for each small cell of component id not yet known to be wide,
// it moves one column at a time (the cell's own, or, when that is basic,
// each column of its row) up and down from the current point as far as
// the constraints allow. Each point reached is feasible, so a cell whose
// value moves by k or more there is settled as wide. A move costs the
// column's non-zeros (only the cells written on the columns that move are
// looked at); a program costs pivots.
func (a *auditor) probe(id, k int) {
	p := a.p
	tb := a.lp[id].tb
	cells := a.cells[id]
	// deps[j]: the cells whose value column j is part of (the cell of
	// column j and those written on it).
	deps := make([][]int32, len(cells))
	for _, c := range cells {
		for x := c; x >= 0; x = a.base[x] {
			deps[a.col[x]] = append(deps[a.col[x]], int32(c))
		}
	}
	delta := make([]float64, tb.n)
	seen := make([]bool, len(cells))
	var moved []int
	limit := float64(100 * len(p.Values))
	wide := func(c int) bool { return a.seenHi[c]-a.seenLo[c] >= float64(k)-1e-6 }
	try := func(j int, dir float64) {
		theta, rows, vs := tb.reach(j, dir, limit)
		if theta == 0 {
			return
		}
		moved = append(moved[:0], j)
		delta[j] = dir * theta
		// The point reached, as the cells that move (see Report.Points):
		// every other cell is at its true count while the program has
		// not left its start.
		keep := len(a.lp[id].points) == 0 && len(a.probed) < maxReport
		var pt Point
		for q, i := range rows {
			bj := tb.basis[i]
			delta[bj] = -dir * theta * vs[q]
			moved = append(moved, bj)
		}
		for _, mj := range moved {
			if mj >= len(cells) {
				continue // a slack
			}
			for _, d := range deps[mj] {
				if seen[a.col[d]] {
					continue
				}
				seen[a.col[d]] = true
				v := float64(p.Lower[a.rootCell(int(d))])
				for x := int(d); x >= 0; x = a.base[x] {
					cj := a.col[x]
					v += max(tb.val[cj]+delta[cj], 0)
				}
				a.seenLo[d] = min(a.seenLo[d], v)
				a.seenHi[d] = max(a.seenHi[d], v)
				if keep {
					pt.Cells = append(pt.Cells, int(d))
					pt.Vals = append(pt.Vals, v)
				}
			}
		}
		if keep && len(pt.Cells) > 0 {
			a.probed = append(a.probed, pt)
		}
		for _, mj := range moved {
			delta[mj] = 0
			if mj < len(cells) {
				for _, d := range deps[mj] {
					seen[a.col[d]] = false
				}
			}
		}
	}
	for _, c := range cells {
		if v := p.Values[c]; v < 1 || v >= int64(k) || wide(c) {
			continue
		}
		j := a.col[c]
		r := tb.basicRow(j)
		if r < 0 {
			try(j, 1)
			if !wide(c) {
				try(j, -1)
			}
			continue
		}
		// Every other column with an entry in c's row is nonbasic.
		for _, jj := range tb.rows[r].idx {
			if wide(c) {
				break
			}
			if int(jj) != j {
				try(int(jj), 1)
				try(int(jj), -1)
			}
		}
	}
}

// rootCell returns the cell at the end of c's chain of substitutions.
func (a *auditor) rootCell(c int) int {
	for a.base[c] >= 0 {
		c = a.base[c]
	}
	return c
}

// interval returns the integer bounds of cell c (hi math.MaxInt64 when
// unbounded). It stops early once feasible points show the interval is at
// least k wide.
func (a *auditor) interval(c, k int) (lo, hi int64, err error) {
	wide := func() bool { return a.seenHi[c]-a.seenLo[c] >= float64(k)-1e-6 }
	if wide() {
		return roundUp(a.seenLo[c]), roundDown(a.seenHi[c]), nil
	}
	hiF, unbounded, err := a.optimize([]Term{{c, 1}}, true)
	if err != nil {
		return 0, 0, err
	}
	if unbounded {
		return roundUp(a.seenLo[c]), math.MaxInt64, nil
	}
	if wide() {
		return roundUp(a.seenLo[c]), roundDown(max(hiF, a.seenHi[c])), nil
	}
	loF, _, err := a.optimize([]Term{{c, 1}}, false)
	if err != nil {
		return 0, 0, err
	}
	return roundUp(loF), roundDown(hiF), nil
}

const lpTol = 1e-7

func roundUp(x float64) int64   { return int64(math.Ceil(x - 1e-6)) }
func roundDown(x float64) int64 { return int64(math.Floor(x + 1e-6)) }

// group checks attribute disclosure for Group g: when its true size (the
// sum of its option terms) is 1..k-1 and all of it chose option o, is
// "nobody in g chose another option, and somebody chose o" provable?
func (a *auditor) group(k, gi int, g Group) (Finding, bool) {
	val := func(ts []Term) float64 {
		var s float64
		for _, t := range ts {
			s += t.Coef * float64(a.p.Values[t.Cell])
		}
		return s
	}
	var size float64
	all := -1
	for o, ts := range g.Options {
		v := val(ts)
		size += v
		if v > 0.5 {
			if all >= 0 {
				all = -2
			} else if all == -1 {
				all = o
			}
		}
	}
	if size < 0.5 || size > float64(k)-0.5 || all < 0 {
		return Finding{}, false
	}
	var others []Term
	for o, ts := range g.Options {
		if o != all {
			others = append(others, ts...)
		}
	}
	// A feasible point where others chose something, or where nobody
	// chose the option, settles it without a program.
	if a.atPoints(others, true) > 0.5 || a.atPoints(g.Options[all], false) < 0.5 {
		return Finding{}, false
	}
	// Others' maximum: if a shown part makes it positive, nothing is known.
	mx, unb, err := a.optimizeExpr(others, true)
	if err != nil {
		return a.groupFinding(gi, g, all, WhyUnsolved), true
	}
	if unb || mx > 0.5 {
		return Finding{}, false
	}
	mn, _, err := a.optimizeExpr(g.Options[all], false)
	if err != nil {
		return a.groupFinding(gi, g, all, WhyUnsolved), true
	}
	if mn < 0.5 {
		return Finding{}, false
	}
	return a.groupFinding(gi, g, all, WhyDetermined), true
}

func (a *auditor) groupFinding(gi int, g Group, o int, why string) Finding {
	f := Finding{Why: why, Group: gi, Cell: -1}
	for _, ts := range g.Options {
		for _, t := range ts {
			if !a.p.Shown[t.Cell] {
				f.Cells = append(f.Cells, t.Cell)
			}
		}
	}
	if len(g.Options[o]) > 0 {
		f.Cell = g.Options[o][0].Cell
	}
	return f
}

// atPoints returns the best value of a linear expression over the feasible
// points met so far (the true counts among them): a value the expression
// can take, so a maximum is at least it and a minimum at most it. It
// solves nothing.
func (a *auditor) atPoints(ts []Term, maximize bool) float64 {
	var total float64
	byComp := make(map[int][]Term)
	for _, t := range ts {
		if a.p.Shown[t.Cell] {
			total += t.Coef * float64(a.p.Values[t.Cell])
			continue
		}
		byComp[a.comp[t.Cell]] = append(byComp[a.comp[t.Cell]], t)
	}
	for id, cts := range byComp {
		// Components are independent: the best of the sum is the sum of
		// each component's best.
		var best float64
		for _, t := range cts {
			best += t.Coef * float64(a.p.Values[t.Cell])
		}
		if m := a.lp[id]; m != nil {
			for _, pt := range m.points {
				var v float64
				for _, t := range cts {
					v += t.Coef * pt[a.col[t.Cell]]
				}
				if (maximize && v > best) || (!maximize && v < best) {
					best = v
				}
			}
		}
		total += best
	}
	for _, h := range a.hints {
		// A hint is a whole feasible point: the expression's value there
		// is one it can take.
		var at float64
		for _, t := range ts {
			x := float64(a.p.Values[t.Cell])
			if i, ok := slices.BinarySearch(h.Cells, t.Cell); ok {
				x = h.Vals[i]
			}
			at += t.Coef * x
		}
		if (maximize && at > total) || (!maximize && at < total) {
			total = at
		}
	}
	return total
}

// optimizeExpr optimizes a linear expression that may mix shown cells
// (constants) and hidden cells of several components.
func (a *auditor) optimizeExpr(ts []Term, maximize bool) (float64, bool, error) {
	var konst float64
	byComp := make(map[int][]Term)
	var order []int
	for _, t := range ts {
		if a.p.Shown[t.Cell] {
			konst += t.Coef * float64(a.p.Values[t.Cell])
			continue
		}
		id := a.comp[t.Cell]
		if _, ok := byComp[id]; !ok {
			order = append(order, id)
		}
		byComp[id] = append(byComp[id], t)
	}
	total := konst
	for _, id := range order {
		v, unb, err := a.optimize(byComp[id], maximize)
		if err != nil || unb {
			return 0, unb, err
		}
		total += v
	}
	return total, false, nil
}

// optimize optimizes Σ terms (hidden cells of one component) and returns
// the optimum in cell units; unbounded reports an unbounded maximum.
func (a *auditor) optimize(ts []Term, maximize bool) (float64, bool, error) {
	id := a.comp[ts[0].Cell]
	m, err := a.component(id)
	if err != nil {
		return 0, false, err
	}
	var shift float64
	for _, t := range ts {
		shift += t.Coef * float64(a.p.Lower[t.Cell])
	}
	if m.unconstrained {
		// No constraint ties these cells: only their lower bounds hold.
		if maximize {
			return 0, true, nil
		}
		return shift, false, nil
	}
	c := m.obj
	clear(c)
	for _, t := range ts {
		w := t.Coef
		if maximize {
			w = -w
		}
		for cell := t.Cell; cell >= 0; cell = a.base[cell] {
			c[a.col[cell]] += w
		}
	}
	a.lps++
	_, unbounded := m.tb.solve(c)
	var x []float64
	if unbounded {
		// Still a lesson: every point along the ray is feasible.
		x = m.tb.rayPoint(float64(100 * len(a.p.Values)))
	} else {
		x = m.tb.x()
	}
	pt := a.cellValues(id, x)
	a.learn(id, pt, true)
	if len(a.met) < maxReport {
		// Only the cells away from their true counts: a point of a long
		// history's program moves a few of its many cells.
		var q Point
		for j, c := range a.cells[id] {
			if math.Abs(pt[j]-float64(a.p.Values[c])) > 1e-9 {
				q.Cells = append(q.Cells, c)
				q.Vals = append(q.Vals, pt[j])
			}
		}
		a.met = append(a.met, q)
	}
	if unbounded {
		return 0, true, nil
	}
	var opt float64
	for _, t := range ts {
		opt += t.Coef * pt[a.col[t.Cell]]
	}
	return opt, false, nil
}

// learn records pt, a feasible point of component id's program (cell
// values by column): every cell's range contains its value there, and
// the folded cells' bounds may widen. keep: remember the point for
// atPoints (while there is room).
func (a *auditor) learn(id int, pt []float64, keep bool) {
	m := a.lp[id]
	for j, cell := range a.cells[id] {
		v := pt[j]
		a.seenLo[cell] = min(a.seenLo[cell], v)
		a.seenHi[cell] = max(a.seenHi[cell], v)
	}
	if keep && len(m.points) < maxPoints {
		m.points = append(m.points, pt)
	}
	if len(a.folds) > 0 {
		// Cells of other components may take any of their feasible
		// points alongside this one: for the upper bound the one that
		// maximised them; for the lower, their true values.
		at := func(c int, up bool) int64 {
			if !a.p.Shown[c] && a.comp[c] == id {
				return roundDown(pt[a.col[c]])
			}
			if up && !a.p.Shown[c] {
				return roundDown(a.seenHi[c])
			}
			return a.p.Values[c]
		}
		for _, cell := range a.cells[id] {
			for _, fi := range a.folds[cell] {
				f := a.p.Folded[fi]
				a.foldAt(fi, at(f.Row, true), at(f.Col, true), at(f.Row, false)+at(f.Col, false)-at(f.Total, false))
			}
		}
	}
}

// foldAt learns from a feasible point where folded cell fi's margins are
// r and c (for its upper bound) and where its row and column less its
// total is excess (for its Fréchet lower bound).
func (a *auditor) foldAt(fi int, r, c, excess int64) {
	a.foldHi[fi] = max(a.foldHi[fi], min(r, c))
	if a.p.Folded[fi].Frechet {
		a.foldLo[fi] = min(a.foldLo[fi], max(0, excess))
	}
	// The polytope is convex: the midpoint of the point with the largest
	// row and the one with the largest column is feasible too.
	if r > a.foldR[fi][0] {
		a.foldR[fi] = [2]int64{r, c}
	}
	if c > a.foldC[fi][1] {
		a.foldC[fi] = [2]int64{r, c}
	}
	pr, pc := a.foldR[fi], a.foldC[fi]
	a.foldHi[fi] = max(a.foldHi[fi], min((pr[0]+pc[0])/2, (pr[1]+pc[1])/2))
}

// cellValues turns a point of component id's program into cell values
// (by column): a cell's column holds its value less its lower bound, or,
// for a cell substituted on another (see component), its excess over it.
func (a *auditor) cellValues(id int, x []float64) []float64 {
	cells := a.cells[id]
	pt := make([]float64, len(cells))
	done := make([]bool, len(cells))
	var val func(j int) float64
	val = func(j int) float64 {
		if done[j] {
			return pt[j]
		}
		c := cells[j]
		v := x[j]
		if b := a.base[c]; b >= 0 {
			v += val(a.col[b])
		} else {
			v += float64(a.p.Lower[c])
		}
		pt[j], done[j] = v, true
		return v
	}
	for j := range cells {
		val(j)
	}
	return pt
}

// compLP is one component's LP in standard form: A y = b, y ≥ 0, where y
// are the hidden cells less their lower bounds, then one slack per
// inequality.
type compLP struct {
	tb            *tableau
	cols          int
	obj           []float64 // scratch: the objective
	unconstrained bool
	// points are feasible points met by earlier programs (cell values by
	// column), kept so that a later question ("can this sum be positive?")
	// is often answered by one of them without a program.
	points [][]float64
}

// maxPoints bounds the feasible points kept per component.
const maxPoints = 64

func (a *auditor) component(id int) (*compLP, error) {
	if m := a.lp[id]; m != nil {
		return m, nil
	}
	p := a.p
	m := &compLP{}
	n := len(a.cells[id])
	// "x ≤ y" between two hidden cells (a counter of consecutive releases)
	// is a row and a slack; written y = x + s instead, with s ≥ 0 in y's
	// column, it is neither, which makes the two-release program less
	// than half as tall. That holds when y's lower bound is implied (not
	// above x's) and y is not substituted yet.
	subst := make(map[int]bool)
	for _, ci := range a.cons[id] {
		con := p.Constraints[ci]
		if con.Rel != Le || len(con.Terms) != 2 {
			continue
		}
		x, y := con.Terms[0], con.Terms[1]
		if x.Coef < 0 {
			x, y = y, x
		}
		if x.Coef != 1 || y.Coef != -1 || x.Cell == y.Cell || p.Shown[x.Cell] || p.Shown[y.Cell] ||
			a.base[y.Cell] >= 0 || p.Lower[y.Cell] > a.root(x.Cell) {
			continue
		}
		if a.chainHas(x.Cell, y.Cell) {
			continue
		}
		a.base[y.Cell] = x.Cell
		subst[ci] = true
	}
	if len(subst) == len(a.cons[id]) {
		// Nothing but substitutions: keep them as rows, so the program
		// is not mistaken for an unconstrained one (whose minimum is each
		// cell's own lower bound, not its chain's).
		for _, c := range a.cells[id] {
			a.base[c] = -1
		}
		clear(subst)
	}
	// Equalities first; an inequality has its own slack column after the
	// cells.
	var eqs, les []sparseRow
	for _, ci := range a.cons[id] {
		if subst[ci] {
			continue
		}
		con := p.Constraints[ci]
		var r sparseRow
		for _, t := range con.Terms {
			v := t.Coef
			if p.Shown[t.Cell] {
				r.rhs -= v * float64(p.Values[t.Cell])
				continue
			}
			cell := t.Cell
			for ; a.base[cell] >= 0; cell = a.base[cell] {
				r.idx = append(r.idx, a.col[cell])
				r.val = append(r.val, v)
			}
			r.idx = append(r.idx, a.col[cell])
			r.val = append(r.val, v)
			r.rhs -= v * float64(p.Lower[cell])
		}
		if con.Rel == Le {
			les = append(les, r)
		} else {
			r.slack = -1
			eqs = append(eqs, r)
		}
	}
	if len(eqs)+len(les) == 0 {
		m.unconstrained = true
		a.lp[id] = m
		return m, nil
	}
	m.cols = n + len(les)
	m.obj = make([]float64, m.cols)
	for li := range les {
		les[li].slack = n + li
	}
	// The true counts are a feasible point: the program starts there
	// (see newTableau). A cell's column holds its value less its lower
	// bound, or its excess over the cell it is written on; the slacks'
	// values the rows give.
	start := make([]float64, m.cols)
	for j, c := range a.cells[id] {
		if b := a.base[c]; b >= 0 {
			start[j] = float64(p.Values[c] - p.Values[b])
		} else {
			start[j] = float64(p.Values[c] - p.Lower[c])
		}
	}
	tb, err := newTableau(append(eqs, les...), m.cols, start)
	if err != nil {
		return nil, err
	}
	m.tb = tb
	a.lp[id] = m
	return m, nil
}

// hint checks each of Problem.Hints against the problem and learns from
// the feasible ones as from a feasible point of its own: every cell's
// range holds its value there. A hint is feasible when every cell it
// moves is hidden and at or above its lower bound, and every fact that
// names one of them holds (within rounding); facts it does not touch hold
// at the true counts, which the auditor checks once. It returns how many
// were feasible.
func (a *auditor) hint() int {
	p := a.p
	if len(p.Hints) == 0 {
		return 0
	}
	const tol = 1e-6
	sum := func(c Constraint, v func(int) float64) float64 {
		var s float64
		for _, t := range c.Terms {
			s += t.Coef * v(t.Cell)
		}
		return s
	}
	holds := func(c Constraint, v func(int) float64) bool {
		s := sum(c, v)
		return s <= tol && (c.Rel == Le || s >= -tol)
	}
	truth := func(c int) float64 { return float64(p.Values[c]) }
	for _, c := range p.Constraints {
		if !holds(c, truth) {
			return 0
		}
	}
	facts := make([][]int, len(p.Values))
	for ci, c := range p.Constraints {
		for _, t := range c.Terms {
			if l := facts[t.Cell]; len(l) == 0 || l[len(l)-1] != ci {
				facts[t.Cell] = append(facts[t.Cell], ci)
			}
		}
	}
	folded := make(map[int]bool, len(p.Folded))
	for _, f := range p.Folded {
		// A folded cell is out of the program: whatever its margins,
		// its table can be filled in (see Folded), so a hint's value for
		// it is left out, and its bounds are learnt from its margins.
		folded[f.Cell] = true
	}
	// Scratch by cell and by fact, stamped per hint instead of cleared.
	val := make([]float64, len(p.Values))
	moved := make([]int32, len(p.Values))
	seen := make([]int32, len(p.Constraints))
	seenFold := make([]int32, len(p.Folded))
	var cells []int
	for hi, h := range p.Hints {
		stamp := int32(hi + 1)
		if len(h.Cells) != len(h.Vals) {
			continue
		}
		cells = cells[:0]
		ok := true
		for i, c := range h.Cells {
			x := h.Vals[i]
			if c < 0 || c >= len(p.Values) || math.IsNaN(x) || math.IsInf(x, 0) {
				ok = false
				break
			}
			if x == float64(p.Values[c]) || folded[c] {
				continue
			}
			if p.Shown[c] || x < float64(p.Lower[c])-tol || moved[c] == stamp {
				// Shown, under its bound, or named twice.
				ok = false
				break
			}
			val[c], moved[c] = x, stamp
			cells = append(cells, c)
		}
		if !ok {
			continue
		}
		v := func(c int) float64 {
			if moved[c] == stamp {
				return val[c]
			}
			return float64(p.Values[c])
		}
		for _, c := range cells {
			for _, ci := range facts[c] {
				if seen[ci] == stamp {
					continue
				}
				seen[ci] = stamp
				if !holds(p.Constraints[ci], v) {
					ok = false
					break
				}
			}
			if !ok {
				break
			}
		}
		if !ok {
			continue
		}
		for _, c := range cells {
			a.seenLo[c] = min(a.seenLo[c], val[c])
			a.seenHi[c] = max(a.seenHi[c], val[c])
		}
		// The folded cells whose margins it moves: the hint is one point,
		// so its margins and total go together.
		for _, c := range cells {
			for _, fi := range a.folds[c] {
				if seenFold[fi] == stamp {
					continue
				}
				seenFold[fi] = stamp
				f := p.Folded[fi]
				r, col := roundDown(v(f.Row)), roundDown(v(f.Col))
				a.foldAt(fi, r, col, roundUp(v(f.Row)+v(f.Col)-v(f.Total)))
			}
		}
		// Kept as the cells it moves, in order (see atPoints).
		q := Point{Cells: slices.Clone(cells)}
		slices.Sort(q.Cells)
		for _, c := range q.Cells {
			q.Vals = append(q.Vals, val[c])
		}
		a.hints = append(a.hints, q)
	}
	return len(a.hints)
}

// spreadRounds is how many random-weight programs spread solves per
// component: none when feasible hints were given (a suppression loop's
// later round), where they settle most cells already and the program's
// optimum, many pivots away in a program of a long history, costs more
// than the few cells' own programs it would save (BenchmarkMakeHistory,
// earlier=15: a round with hints 3.8 s without it, 10.9 s with it).
func spreadRounds(hints int) int {
	if hints > 0 {
		return 0
	}
	return 2
}
