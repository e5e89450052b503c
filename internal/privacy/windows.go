package privacy

import "slices"

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
	tiles [][2]int // the windows [s, e) cells are asked of
	rel   [][]int  // per publication, its hidden cells
	subs  map[[2]int]*window
}

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
	ws := &windows{n: n, w: p.Window, rel: make([][]int, n), subs: make(map[[2]int]*window)}
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
func (ws *windows) tile(lo, hi int) [2]int {
	best, score := [2]int{lo, hi + 1}, -1
	for _, t := range ws.tiles {
		if t[0] <= lo && hi < t[1] {
			if s := min(lo-t[0], t[1]-1-hi); s >= score {
				best, score = t, s
			}
		}
	}
	return best
}

func (ws *windows) lps() int {
	n := 0
	for _, w := range ws.subs {
		n += w.a.lps
	}
	return n
}

// sub returns the program of window t, made on first use.
func (a *auditor) sub(t [2]int) *window {
	ws := a.win
	if w := ws.subs[t]; w != nil {
		return w
	}
	p := a.p
	s, e := t[0], t[1]
	in := func(c int) bool { r := p.Release[c]; return r >= s && r < e }
	w := &window{base: a.baseFor(s, e)}
	at := make([]float64, len(p.Values))
	for c, v := range p.Values {
		at[c] = float64(v)
	}
	for i, c := range w.base.Cells {
		at[c] = w.base.Vals[i]
	}
	q := &Problem{Values: p.Values, Lower: p.Lower, Shown: make([]bool, len(p.Shown))}
	for c, sh := range p.Shown {
		q.Shown[c] = sh || !in(c)
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
	w.a = newAuditorAt(q, at)
	for r := s; r < e; r++ {
		w.cells = append(w.cells, ws.rel[r]...)
	}
	for _, c := range w.cells {
		// What the whole history's feasible points showed already.
		w.a.seenLo[c] = min(w.a.seenLo[c], a.seenLo[c])
		w.a.seenHi[c] = max(w.a.seenHi[c], a.seenHi[c])
	}
	ws.subs[t] = w
	return w
}

// baseFor picks the point the cells outside [s, e) are held at: of the
// feasible points known (the true counts among them), the one where the
// publication after the window is highest and the one before it lowest
// (relative to the true counts), so that the window's cells have the
// most room.
func (a *auditor) baseFor(s, e int) Point {
	p := a.p
	var best Point
	bestScore := 0.0
	for _, h := range a.hints {
		var score float64
		for i, c := range h.Cells {
			switch p.Release[c] {
			case e:
				score += h.Vals[i] - float64(p.Values[c])
			case s - 1:
				score -= h.Vals[i] - float64(p.Values[c])
			}
		}
		if score > bestScore+1e-9 {
			best, bestScore = h, score
		}
	}
	return best
}

// windowed is optimizeExpr audited by windows: the optimum of the window
// program that holds ts's hidden cells, an inner bound. The points its
// program meets are learnt as points of the whole history.
func (a *auditor) windowed(ts []Term, maximize bool) (float64, bool, error) {
	p := a.p
	lo, hi := -1, -1
	var konst float64
	for _, t := range ts {
		if p.Shown[t.Cell] {
			konst += t.Coef * float64(p.Values[t.Cell])
			continue
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
	w := a.sub(a.win.tile(lo, hi))
	v, unb, err := w.a.optimizeExact(ts, maximize)
	a.absorb(w)
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
				open[ws.tile(r, r)] = true
				break
			}
		}
	}
	for _, t := range ws.tiles {
		if !open[t] {
			continue
		}
		w := a.sub(t)
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
	a.checkPoints(full)
}

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
