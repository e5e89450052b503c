package results

import (
	"math"
	"slices"

	"github.com/baraza/baraza/internal/privacy"
)

// Witnesses are feasible points of the program of a history of
// publications (every earlier release and the last one): alternative
// tables the published numbers allow, each as the counters it moves off
// their true values. They carry no identity and say nothing the stored
// counters do not; they are kept with the releases so that the next
// release's audit starts from them (History.Witnesses). Nothing trusts
// them: every point is checked against every fact it touches before use.
type Witnesses struct {
	// Pubs is how many publications the points are of.
	Pubs int `json:"n"`
	// Fields names the counter fields the points move.
	Fields []string `json:"f"`
	// Points: per point, triples (publication, index in Fields, value).
	Points [][]float64 `json:"p"`
}

// Bounds on the witnesses kept: how many points, and how many moved
// cells in all (a point of a long history moves cells of every release).
const (
	maxWitnessPoints = 256
	maxWitnessCells  = 400000
)

// points returns w's points as points of problem p, whose publications'
// cells are cells: a point of the earlier publications, extended to the
// new last one by moving each of its counters as the point moved it in
// the one before (x_new = x_prev + (true_new - true_prev)) where the new
// publication hides it. The auditor checks each.
func (w *Witnesses) points(p *privacy.Problem, cells []map[string]int) []privacy.Point {
	if w == nil || len(cells) == 0 {
		return nil
	}
	last := len(cells) - 1
	var out []privacy.Point
	for _, raw := range w.Points {
		if len(raw)%3 != 0 {
			continue
		}
		var q privacy.Point
		ok := true
		for i := 0; i < len(raw); i += 3 {
			r, f, v := int(raw[i]), int(raw[i+1]), raw[i+2]
			if r < 0 || r >= len(cells) || f < 0 || f >= len(w.Fields) || math.IsNaN(v) {
				ok = false
				break
			}
			c, found := cells[r][w.Fields[f]]
			if !found {
				continue
			}
			q.Cells = append(q.Cells, c)
			q.Vals = append(q.Vals, v)
			if r == last-1 && w.Pubs == last {
				if nc, ok := cells[last][w.Fields[f]]; ok && !p.Shown[nc] {
					q.Cells = append(q.Cells, nc)
					q.Vals = append(q.Vals, float64(p.Values[nc])+v-float64(p.Values[c]))
				}
			}
		}
		if ok && len(q.Cells) > 0 {
			out = append(out, q)
		}
	}
	return out
}

// witnessesOf keeps the feasible points of the last audit (rep) of a
// history whose cells are cells, named by publication and field: for
// every small hidden cell, the points at which it is lowest and highest
// first, within the bounds.
func witnessesOf(rep privacy.Report, cells []map[string]int) *Witnesses {
	pts := append(slices.Clone(rep.Witnesses), rep.Points...)
	n := 0
	for _, cs := range cells {
		n += len(cs)
	}
	type name struct {
		r int
		f string
	}
	names := make([]name, n)
	for r, cs := range cells {
		for f, c := range cs {
			if c < n {
				names[c] = name{r, f}
			}
		}
	}
	// Rank: a point that is some cell's lowest or highest value met.
	type ext struct {
		pt int
		v  float64
	}
	lo := make(map[int]ext) // cell -> its lowest value met, and where
	hi := make(map[int]ext)
	for pi, pt := range pts {
		for i, c := range pt.Cells {
			if c >= n {
				continue
			}
			v := pt.Vals[i]
			if e, ok := lo[c]; !ok || v < e.v {
				lo[c] = ext{pi, v}
			}
			if e, ok := hi[c]; !ok || v > e.v {
				hi[c] = ext{pi, v}
			}
		}
	}
	score := make([]int, len(pts))
	for _, e := range lo {
		score[e.pt]++
	}
	for _, e := range hi {
		score[e.pt]++
	}
	order := make([]int, len(pts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return score[b] - score[a] })
	w := &Witnesses{Pubs: len(cells)}
	field := make(map[string]int)
	total := 0
	for _, pi := range order {
		pt := pts[pi]
		if len(w.Points) >= maxWitnessPoints || total+len(pt.Cells) > maxWitnessCells {
			continue
		}
		var raw []float64
		for i, c := range pt.Cells {
			if c >= n {
				continue
			}
			nm := names[c]
			fi, ok := field[nm.f]
			if !ok {
				fi = len(w.Fields)
				field[nm.f] = fi
				w.Fields = append(w.Fields, nm.f)
			}
			raw = append(raw, float64(nm.r), float64(fi), pt.Vals[i])
		}
		if len(raw) == 0 {
			continue
		}
		total += len(pt.Cells)
		w.Points = append(w.Points, raw)
	}
	return w
}
