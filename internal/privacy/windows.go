package privacy

import (
	"os"
	"slices"
)

// Audit by windows (Problem.Window): the whole history of a consultation's
// releases is one program whose cost grows faster than the history (the
// tableau fills in). Restricting a reader's feasible set can only narrow
// every cell's interval: its minimum and maximum over a subset are inner
// bounds, and the points where they are reached are feasible points of the
// whole history. So a program over a window of consecutive publications,
// every cell outside it held at a feasible point of the whole history (its
// base: a checked hint, else the true counts), never shows a cell
// protected that is not: a cell is protected when feasible points of the
// whole history spread it over k values or more, and the window's points,
// extended with the base outside it, are such points. A cell the windows
// cannot spread is a finding, perhaps one the whole program would not
// make; the suppression loop then hides more.
//
// Holding the older releases at the true counts instead pins a small cell
// that has not changed for a while (its earlier counts bound it from
// below, the later ones from above); the bases that work are points where
// the releases before the window are low and those after it high, which
// the witnesses carried from one release to the next (results.Audited)
// provide.

// windows are the window programs of one audit.
type windows struct {
	n, w  int      // publications, and how many a window holds
	wide  int      // escalate's: the width asked for now (0: w)
	max   int      // Problem.WindowMax
	tiles [][2]int // the windows [s, e) cells are asked of
	rel   [][]int  // per publication, its hidden cells
	subs  map[subKey]*window
	probs map[[2]int]*Problem // windowProblem's
	// perTile: the bases (index in auditor.hints, -1 the true counts) of
	// each tile's programs made so far.
	perTile map[[2]int][]int
	// at[(series, publication)] is the cell of a counter in a
	// publication (Problem.Series).
	at map[[2]int]int
}

// subKey names a window program: its tile and its base.
type subKey struct {
	t    [2]int
	base int
}

// maxBases bounds the programs (one per base) of one tile.
const maxBases = 32

// window is the program of the publications [s, e).
type window struct {
	a     *auditor // over a Problem where the cells outside are shown at base
	base  Point    // the base's cells off their true counts, in order
	cells []int    // the hidden cells inside
}

// maxWitnesses bounds the feasible points an audit keeps (auditor.hints).
const maxWitnesses = 1024

// windowsOn sets up the audit by windows when the problem asks for it and
// its history is longer than a window.
func (a *auditor) windowsOn() bool {
	p := a.p
	if p.Window <= 0 || len(p.Release) != len(p.Values) {
		return false
	}
	n := 0
	for _, r := range p.Release {
		n = max(n, r+1)
	}
	if n <= p.Window {
		return false
	}
	ws := &windows{n: n, w: p.Window, max: min(n, p.WindowMax), rel: make([][]int, n), subs: make(map[subKey]*window), perTile: make(map[[2]int][]int)}
	if len(p.Series) == len(p.Values) {
		ws.at = make(map[[2]int]int, len(p.Values))
		for c, sr := range p.Series {
			ws.at[[2]int{sr, p.Release[c]}] = c
		}
	}
	for c, r := range p.Release {
		if !p.Shown[c] {
			ws.rel[r] = append(ws.rel[r], c)
		}
	}
	step := max(1, p.Window/2)
	for s := 0; ; s += step {
		if s+p.Window >= n {
			ws.tiles = append(ws.tiles, [2]int{n - p.Window, n})
			break
		}
		ws.tiles = append(ws.tiles, [2]int{s, s + p.Window})
	}
	a.win = ws
	return true
}

// tile returns the window for cells of publications lo..hi: the tile that
// holds them nearest its middle, else (a span longer than a window) one
// of its own.
//
// dir says which way the program pushes the cells: up (1), down (-1) or
// both (0). A cell pushed up is bounded by the later publications, held
// at the base: the tile that holds it latest in the window (the last one
// reaches the newest publication, where nothing is held) leaves it the
// most room; one pushed down, the tile that holds it earliest.
func (ws *windows) tile(lo, hi, dir int) [2]int {
	best, score := [2]int{lo, hi + 1}, -1
	for _, t := range ws.tiles {
		if t[0] <= lo && hi < t[1] {
			s := min(lo-t[0], t[1]-1-hi)
			switch dir {
			case 1:
				s = lo - t[0]
			case -1:
				s = t[1] - 1 - hi
			}
			if s >= score {
				best, score = t, s
			}
		}
	}
	if w := ws.wide; w > best[1]-best[0] {
		// Escalated: as much more on either side.
		s := max(0, best[0]-(w-(best[1]-best[0]))/2)
		e := min(ws.n, s+w)
		best = [2]int{max(0, e-w), e}
	}
	return best
}

// escalate asks for windows twice as large as now, up to WindowMax: false
// when they are that large already.
func (a *auditor) escalate() bool {
	ws := a.win
	if ws == nil {
		return false
	}
	cur := max(ws.w, ws.wide)
	if cur >= ws.max {
		return false
	}
	ws.wide = min(2*cur, ws.max)
	return true
}

// deescalate goes back to windows of Window publications.
func (a *auditor) deescalate() {
	if a.win != nil {
		a.win.wide = 0
	}
}

func (ws *windows) lps() int {
	n := 0
	for _, w := range ws.subs {
		n += w.a.lps
	}
	return n
}

// sub returns the program of window t held at base (an index in a.hints,
// -1 for the true counts), made on first use.
func (a *auditor) sub(t [2]int, bi int) *window {
	ws := a.win
	if w := ws.subs[subKey{t, bi}]; w != nil {
		return w
	}
	p := a.p
	s, e := t[0], t[1]
	w := &window{}
	if bi >= 0 {
		w.base = a.hints[bi]
	}
	ws.perTile[t] = append(ws.perTile[t], bi)
	at := make([]float64, len(p.Values))
	for c, v := range p.Values {
		at[c] = float64(v)
	}
	for i, c := range w.base.Cells {
		at[c] = w.base.Vals[i]
	}
	q := a.windowProblem(t)
	w.a = newAuditorAt(q, at)
	for r := s; r < e; r++ {
		w.cells = append(w.cells, ws.rel[r]...)
	}
	for _, c := range w.cells {
		// What the whole history's feasible points showed already.
		w.a.seenLo[c] = min(w.a.seenLo[c], a.seenLo[c])
		w.a.seenHi[c] = max(w.a.seenHi[c], a.seenHi[c])
	}
	ws.subs[subKey{t, bi}] = w
	return w
}

// baseFor picks the point the cells outside window t are held at, for a
// program that optimizes ts (nil: every cell of the window): of the
// feasible points known (the true counts among them), the one where the
// counters of ts are highest in the publication after the window (for
// the cells pushed up) and lowest in the one before it (for those pushed
// down), relative to the true counts, so the cells have the most room;
// ties, and ts nil, by the whole publications. Each tile has at most
// maxBases programs: past that, the best base among its programs.
func (a *auditor) baseFor(t [2]int, ts []Term, maximize bool) int {
	p := a.p
	ws := a.win
	s, e := t[0], t[1]
	diff := func(h Point, c int) float64 {
		if i, ok := slices.BinarySearch(h.Cells, c); ok {
			return h.Vals[i] - float64(p.Values[c])
		}
		return 0
	}
	score := func(bi int) (float64, float64) {
		if bi < 0 {
			return 0, 0
		}
		h := a.hints[bi]
		var own, all float64
		if ws.at != nil {
			for _, tm := range ts {
				if p.Shown[tm.Cell] {
					continue
				}
				up := (tm.Coef > 0) == maximize
				sr := p.Series[tm.Cell]
				if c, ok := ws.at[[2]int{sr, e}]; ok && up {
					own += diff(h, c)
				}
				if c, ok := ws.at[[2]int{sr, s - 1}]; ok && !up {
					own -= diff(h, c)
				}
			}
		}
		for i, c := range h.Cells {
			switch p.Release[c] {
			case e:
				all += h.Vals[i] - float64(p.Values[c])
			case s - 1:
				all -= h.Vals[i] - float64(p.Values[c])
			}
		}
		return own, all
	}
	better := func(o1, a1, o2, a2 float64) bool {
		return o1 > o2+1e-9 || (o1 > o2-1e-9 && a1 > a2+1e-9)
	}
	cands := ws.perTile[t]
	if len(cands) < maxBases {
		cands = make([]int, 0, len(a.hints)+1)
		cands = append(cands, -1)
		for i := range a.hints {
			cands = append(cands, i)
		}
	}
	best := cands[0]
	bo, ba := score(best)
	for _, bi := range cands[1:] {
		if o, al := score(bi); better(o, al, bo, ba) {
			best, bo, ba = bi, o, al
		}
	}
	return best
}

// windowed is optimizeExpr audited by windows: the optimum of the window
// program that holds ts's hidden cells, an inner bound. The points its
// program meets are learnt as points of the whole history.
func (a *auditor) windowed(ts []Term, maximize bool) (float64, bool, error) {
	return a.windowedAt(ts, maximize, false)
}

// windowedAt is windowed; keep: the point found is kept among the bases
// even past maxWitnesses (a lift's, see below).
func (a *auditor) windowedAt(ts []Term, maximize, keep bool) (float64, bool, error) {
	p := a.p
	lo, hi := -1, -1
	var konst float64
	ups, downs := 0, 0
	for _, t := range ts {
		if p.Shown[t.Cell] {
			konst += t.Coef * float64(p.Values[t.Cell])
			continue
		}
		if (t.Coef > 0) == maximize {
			ups++
		} else {
			downs++
		}
		r := p.Release[t.Cell]
		if lo < 0 || r < lo {
			lo = r
		}
		hi = max(hi, r)
	}
	if lo < 0 {
		return konst, false, nil
	}
	dir := 0
	switch {
	case downs == 0:
		dir = 1
	case ups == 0:
		dir = -1
	}
	t := a.win.tile(lo, hi, dir)
	if next := t[1]; dir != 0 && a.win.at != nil {
		// Lift: cells pushed up are bounded by the same counters in the
		// publication after the window, held at the base; push those up
		// first (in their own window, lifted in turn), so that a base
		// where they are high is known. Likewise down, before it.
		if dir < 0 {
			next = t[0] - 1
		}
		if next >= 0 && next < a.win.n {
			var lift []Term
			for _, tm := range ts {
				if p.Shown[tm.Cell] {
					continue
				}
				c, ok := a.win.at[[2]int{p.Series[tm.Cell], next}]
				if ok && !p.Shown[c] && !slices.ContainsFunc(lift, func(x Term) bool { return x.Cell == c }) {
					lift = append(lift, Term{c, tm.Coef})
				}
			}
			if len(lift) > 0 {
				a.windowedAt(lift, maximize, true)
			}
		}
	}
	w := a.sub(t, a.baseFor(t, ts, maximize))
	v, unb, err := w.a.optimizeExact(ts, maximize)
	a.keep = keep
	a.absorb(w)
	a.keep = false
	return v, unb, err
}

// spreadWindows is spread audited by windows: each window that is the
// home of a small cell not yet known wide spreads its cells.
func (a *auditor) spreadWindows(k int) {
	p := a.p
	ws := a.win
	open := make(map[[2]int]bool)
	for r, cells := range ws.rel {
		for _, c := range cells {
			if p.Values[c] >= 1 && p.Values[c] < int64(k) && a.seenHi[c]-a.seenLo[c] < float64(k)-1e-6 {
				open[ws.tile(r, r, 0)] = true
				break
			}
		}
	}
	// Newest first: the points where the newer windows' cells are high
	// are the bases older windows need.
	for i := len(ws.tiles) - 1; i >= 0; i-- {
		t := ws.tiles[i]
		if !open[t] {
			continue
		}
		w := a.sub(t, a.baseFor(t, nil, true))
		w.a.spread(k)
		a.absorb(w)
	}
}

// absorb learns what window w's programs met since the last call: the
// range each of its cells took (values at feasible points of the whole
// history) and its points, extended with w's base.
func (a *auditor) absorb(w *window) {
	for _, c := range w.cells {
		a.seenLo[c] = min(a.seenLo[c], w.a.seenLo[c])
		a.seenHi[c] = max(a.seenHi[c], w.a.seenHi[c])
	}
	pts := append(w.a.met, w.a.probed...)
	w.a.met, w.a.probed = w.a.met[:0], w.a.probed[:0]
	if len(pts) == 0 {
		return
	}
	full := make([]Point, 0, len(pts))
	for _, q := range pts {
		full = append(full, extend(w.base, q, a.p.Values))
	}
	if used := a.checkPoints(full); used < len(full) && debugWindows {
		println("window points refused", len(full)-used, "of", len(full))
	}
}

var debugWindows = os.Getenv("BARAZA_AUDIT_DEBUG") != ""

// extend returns point q of a window's program (its cells off the base)
// as a point of the whole history: base, with q's cells at q's values,
// the cells at their true counts left out.
func extend(base, q Point, truth []int64) Point {
	var out Point
	idx := make([]int, len(q.Cells))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int { return q.Cells[x] - q.Cells[y] })
	i, j := 0, 0
	add := func(c int, v float64) {
		if v != float64(truth[c]) {
			out.Cells = append(out.Cells, c)
			out.Vals = append(out.Vals, v)
		}
	}
	for i < len(base.Cells) || j < len(idx) {
		switch {
		case j == len(idx) || (i < len(base.Cells) && base.Cells[i] < q.Cells[idx[j]]):
			add(base.Cells[i], base.Vals[i])
			i++
		case i == len(base.Cells) || q.Cells[idx[j]] < base.Cells[i]:
			add(q.Cells[idx[j]], q.Vals[idx[j]])
			j++
		default:
			add(q.Cells[idx[j]], q.Vals[idx[j]])
			i++
			j++
		}
	}
	return out
}

// maxRepairs bounds the hints repairHints tries.
const maxRepairs = 200

// repairHints tries again the first Problem.Hints found not feasible,
// keeping each one's cells before the newest window and solving that
// window anew (phase one from the hint's values there): a point of the
// history before the newest release (a witness carried from the last
// release) that moves a counter its newest release now shows often fails
// only there, and what it shows of the older releases is kept. Each point
// so made is checked as a hint is; it returns how many were feasible.
func (a *auditor) repairHints() int {
	p := a.p
	if len(p.Hints) == 0 {
		return 0
	}
	ok := make([]bool, len(p.Hints))
	for _, i := range a.accepted {
		ok[i] = true
	}
	t := a.win.tiles[len(a.win.tiles)-1]
	q := a.windowProblem(t)
	var fixed []Point
	for i, h := range p.Hints {
		if ok[i] || len(h.Cells) != len(h.Vals) {
			continue
		}
		if len(fixed) == maxRepairs {
			break
		}
		at := make([]float64, len(p.Values))
		for c, v := range p.Values {
			at[c] = float64(v)
		}
		valid := true
		for j, c := range h.Cells {
			if c < 0 || c >= len(at) {
				valid = false
				break
			}
			at[c] = h.Vals[j]
		}
		if !valid {
			continue
		}
		r := newAuditorAt(q, at)
		feasible := true
		for id, cells := range r.cells {
			m, err := r.component(id)
			if err != nil {
				feasible = false
				break
			}
			if m.unconstrained {
				for _, c := range cells {
					at[c] = max(at[c], float64(p.Lower[c]))
				}
				continue
			}
			for j, v := range r.cellValues(id, m.tb.x()) {
				at[cells[j]] = v
			}
		}
		if !feasible {
			continue
		}
		var pt Point
		for c, v := range at {
			if v != float64(p.Values[c]) {
				pt.Cells = append(pt.Cells, c)
				pt.Vals = append(pt.Vals, v)
			}
		}
		fixed = append(fixed, pt)
	}
	if len(fixed) == 0 {
		return 0
	}
	return a.checkPoints(fixed)
}

// windowProblem is the problem of window t's programs: the cells outside
// it shown (at a base's values, the auditor's start), the facts that name
// a cell inside.
func (a *auditor) windowProblem(t [2]int) *Problem {
	if q := a.win.probs[t]; q != nil {
		return q
	}
	p := a.p
	q := &Problem{Values: p.Values, Lower: p.Lower, Shown: make([]bool, len(p.Shown))}
	for c, sh := range p.Shown {
		r := p.Release[c]
		q.Shown[c] = sh || r < t[0] || r >= t[1]
	}
	for _, con := range p.Constraints {
		for _, tm := range con.Terms {
			if !q.Shown[tm.Cell] {
				// A fact of only held cells holds at the base.
				q.Constraints = append(q.Constraints, con)
				break
			}
		}
	}
	if a.win.probs == nil {
		a.win.probs = make(map[[2]int]*Problem)
	}
	a.win.probs[t] = q
	return q
}
