package results

import (
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
)

// Published is one publication as the auditor sees it: the Summary a
// reader gets and the true counters it was made from.
type Published struct {
	Counters map[string]int64
	Summary  Summary
}

// Model is the reader's knowledge of a series of publications of script s
// (oldest first) as a privacy.Problem: one cell per published counter
// field per publication, shown or hidden as the Summary shows it, a hidden
// cell labelled small (or, when the summary gives no reason, any hidden
// cell when assumeSmall) at least 1, and every linear fact the script's
// structure gives a reader:
//
//   - completed ≤ started; a question's answered count ≤ completed (equal
//     when it is asked of everyone and not optional);
//   - a choice or scale question's options add up to its answered count; a
//     multi-select option is at most the answered count, and the options
//     add up to at least it;
//   - each breakdown's rows and columns add up to (or, for multi-select
//     and skippable questions, are bounded by) the marginal counts; a pair
//     of segment questions is one table;
//   - a report's weeks add up to at most completed, and its weekly option
//     counts to at most the marginals;
//   - between consecutive publications every counter can only grow.
//
// Groups are every segment option's people as a group for every
// single-choice question broken down by it, and, between consecutive
// publications, the newcomers (the difference) as a group, in whole and
// per segment option.
//
// The returned cells map each publication's counter field to its cell.
func Model(s *dialogs.Script, pubs []Published) (*privacy.Problem, []map[string]int) {
	p := &privacy.Problem{}
	cells := make([]map[string]int, len(pubs))
	folded := make([]map[string]bool, len(pubs))
	for r, pub := range pubs {
		cells[r], folded[r] = modelOne(p, s, pub, r)
	}
	for r := 1; r < len(pubs); r++ {
		prev, cur := cells[r-1], cells[r]
		for f, c := range cur {
			if folded[r][f] || folded[r-1][f] {
				continue
			}
			if pc, ok := prev[f]; ok {
				p.Constraints = append(p.Constraints, le([]privacy.Term{{Cell: pc, Coef: 1}}, []privacy.Term{{Cell: c, Coef: 1}}))
			}
		}
		diff := func(f string) []privacy.Term {
			c, ok1 := cur[f]
			pc, ok2 := prev[f]
			if !ok1 || !ok2 || folded[r][f] || folded[r-1][f] {
				return nil
			}
			return []privacy.Term{{Cell: c, Coef: 1}, {Cell: pc, Coef: -1}}
		}
		for i := range s.Questions {
			q := &s.Questions[i]
			if !single(q) {
				continue
			}
			g := privacy.Group{Label: "newcomers of release " + relNum(r) + ": " + q.ID}
			for _, o := range q.Options {
				g.Options = append(g.Options, diff(OptionField(q.ID, o.ID)))
			}
			addGroup(p, g)
			for j := range s.Questions {
				by := &s.Questions[j]
				if i == j || !by.Segment || !hasOptions(by) {
					continue
				}
				for _, bo := range by.Options {
					g := privacy.Group{Label: "newcomers of release " + relNum(r) + " with " + by.ID + "=" + bo.ID + ": " + q.ID}
					for _, o := range q.Options {
						g.Options = append(g.Options, diff(canonical(s, q.ID, o.ID, by.ID, bo.ID)))
					}
					addGroup(p, g)
				}
			}
		}
	}
	// A fact the true counts break (counters written by an older version,
	// or by hand in a test) is not one a reader can use: keep only the
	// facts that hold.
	kept := p.Constraints[:0]
	for _, c := range p.Constraints {
		var sum float64
		for _, t := range c.Terms {
			sum += t.Coef * float64(p.Values[t.Cell])
		}
		if sum <= 1e-9 && (c.Rel == privacy.Le || sum >= -1e-9) {
			kept = append(kept, c)
		}
	}
	p.Constraints = kept
	return p, cells
}

// addGroup adds g unless one of its options is unknown to the model (a
// folded or missing cell).
func addGroup(p *privacy.Problem, g privacy.Group) {
	for _, o := range g.Options {
		if len(o) == 0 {
			return
		}
	}
	p.Groups = append(p.Groups, g)
}

func relNum(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// single reports whether each respondent counts in at most one option.
func single(q *dialogs.Question) bool {
	return q.Type == dialogs.TypeChoice || q.Type == dialogs.TypeScale
}

// always reports whether every completion answers q.
func always(q *dialogs.Question) bool { return !q.Optional && q.Relevant == "" }

// canonical is the field a breakdown cell is counted under; a pair of
// segment questions is one table, kept under the script-order field.
func canonical(s *dialogs.Script, q, o, by, bo string) string {
	qi, bi := -1, -1
	for i := range s.Questions {
		switch s.Questions[i].ID {
		case q:
			qi = i
		case by:
			bi = i
		}
	}
	if qi >= 0 && bi >= 0 && s.Questions[qi].Segment && bi < qi {
		return BreakdownField(by, bo, q, o)
	}
	return BreakdownField(q, o, by, bo)
}

func le(lhs, rhs []privacy.Term) privacy.Constraint {
	c := privacy.Constraint{Rel: privacy.Le}
	c.Terms = append(c.Terms, lhs...)
	for _, t := range rhs {
		c.Terms = append(c.Terms, privacy.Term{Cell: t.Cell, Coef: -t.Coef})
	}
	return c
}

func eq(lhs, rhs []privacy.Term) privacy.Constraint {
	c := le(lhs, rhs)
	c.Rel = privacy.Eq
	return c
}

func one(c int) []privacy.Term { return []privacy.Term{{Cell: c, Coef: 1}} }

func sumOf(cs []int) []privacy.Term {
	ts := make([]privacy.Term, len(cs))
	for i, c := range cs {
		ts[i] = privacy.Term{Cell: c, Coef: 1}
	}
	return ts
}

func modelOne(p *privacy.Problem, s *dialogs.Script, pub Published, r int) (map[string]int, map[string]bool) {
	cells := make(map[string]int)
	folded := make(map[string]bool)
	sum := pub.Summary
	prefix := "r" + relNum(r) + " "
	add := func(field string, count *int64, reason string) int {
		if c, ok := cells[field]; ok {
			return c
		}
		var lower int64
		if count == nil && reason == ReasonSmall {
			lower = 1
		}
		c := p.Add(prefix+field, max(pub.Counters[field], 0), count != nil, lower)
		cells[field] = c
		return c
	}
	started := add(FieldStarted, sum.Started, sum.StartedReason)
	completed := add(FieldCompleted, sum.Completed, sum.CompletedReason)
	add(FieldDeclined, sum.Declined, sum.DeclinedReason)
	p.Constraints = append(p.Constraints, le(one(completed), one(started)))
	byID := make(map[string]*dialogs.Question)
	for i := range s.Questions {
		byID[s.Questions[i].ID] = &s.Questions[i]
	}
	opt := make(map[string]map[string]int) // question -> option -> cell
	for _, q := range sum.Questions {
		sq := byID[q.ID]
		if sq == nil {
			continue
		}
		a := add(AnsweredField(q.ID), q.Answered, q.AnsweredReason)
		if always(sq) && hasOptions(sq) {
			p.Constraints = append(p.Constraints, eq(one(a), one(completed)))
		} else {
			p.Constraints = append(p.Constraints, le(one(a), one(completed)))
		}
		if len(q.Options) == 0 {
			continue
		}
		opt[q.ID] = make(map[string]int)
		var os []int
		for _, o := range q.Options {
			c := add(OptionField(q.ID, o.ID), o.Count, o.Reason)
			opt[q.ID][o.ID] = c
			os = append(os, c)
		}
		if single(sq) {
			p.Constraints = append(p.Constraints, eq(sumOf(os), one(a)))
		} else {
			for _, c := range os {
				p.Constraints = append(p.Constraints, le(one(c), one(a)))
			}
			p.Constraints = append(p.Constraints, le(one(a), sumOf(os)))
		}
	}
	for _, b := range sum.Breakdowns {
		q, by := byID[b.Question], byID[b.By]
		if q == nil || by == nil || opt[q.ID] == nil || opt[by.ID] == nil {
			continue
		}
		grid := make(map[[2]string]int)
		whole := true // wholly hidden
		for _, c := range b.Cells {
			f := canonical(s, q.ID, c.Option, by.ID, c.ByOption)
			grid[[2]string{c.Option, c.ByOption}] = add(f, c.Count, c.Reason)
			whole = whole && c.Count == nil
		}
		if whole {
			// Fréchet's bounds max(0, row+col-completed) .. min(row, col)
			// are exact for single answers (a transportation polytope;
			// skipped answers only loosen it). For a multi-select
			// question they ignore that each respondent of a segment
			// picked at least one option, which can raise a cell's
			// minimum: a known approximation (docs/privacy.md).
			exact := true
			for _, c := range b.Cells {
				f := canonical(s, q.ID, c.Option, by.ID, c.ByOption)
				if !folded[f] {
					folded[f] = true
					p.Folded = append(p.Folded, privacy.Folded{Cell: cells[f], Row: opt[q.ID][c.Option], Col: opt[by.ID][c.ByOption], Total: completed, Frechet: exact})
				}
			}
			continue
		}
		// Columns: each segment option's people by their answer to q.
		for _, bo := range by.Options {
			var col []int
			for _, o := range q.Options {
				col = append(col, grid[[2]string{o.ID, bo.ID}])
			}
			lines(p, col, opt[by.ID][bo.ID], q)
			if single(q) {
				g := privacy.Group{Label: prefix + q.ID + " by " + by.ID + "=" + bo.ID}
				for _, c := range col {
					g.Options = append(g.Options, one(c))
				}
				p.Groups = append(p.Groups, g)
			}
		}
		// Rows: each option's people by their segment.
		for _, o := range q.Options {
			var row []int
			for _, bo := range by.Options {
				row = append(row, grid[[2]string{o.ID, bo.ID}])
			}
			lines(p, row, opt[q.ID][o.ID], by)
		}
	}
	if len(sum.Weeks) > 0 {
		var weeks []int
		for _, w := range sum.Weeks {
			wc := add(WeekField(w.Week), w.Completed, w.Reason)
			weeks = append(weeks, wc)
			perQ := make(map[string][]int)
			for _, c := range w.Cells {
				perQ[c.Question] = append(perQ[c.Question], add(WeekOptionField(w.Week, c.Question, c.Option), c.Count, c.Reason))
			}
			for qid, cs := range perQ {
				if q := byID[qid]; q != nil && single(q) {
					p.Constraints = append(p.Constraints, le(sumOf(cs), one(wc)))
				}
				for _, c := range cs {
					p.Constraints = append(p.Constraints, le(one(c), one(wc)))
				}
			}
		}
		p.Constraints = append(p.Constraints, le(sumOf(weeks), one(completed)))
		for qid, os := range opt {
			for oid, oc := range os {
				var cs []int
				for _, w := range sum.Weeks {
					if c, ok := cells[WeekOptionField(w.Week, qid, oid)]; ok {
						cs = append(cs, c)
					}
				}
				if len(cs) > 0 {
					p.Constraints = append(p.Constraints, le(sumOf(cs), one(oc)))
				}
			}
		}
	}
	return cells, folded
}

// lines adds what a reader knows of the cells of one line of a breakdown
// (the people of marginal cell m, split by question q): for a
// single-choice q they add up to m (at most m when q may go unanswered);
// for a multi-select q each is at most m and, when q is always answered,
// they add up to at least m.
func lines(p *privacy.Problem, line []int, m int, q *dialogs.Question) {
	switch {
	case single(q) && always(q):
		p.Constraints = append(p.Constraints, eq(sumOf(line), one(m)))
	case single(q):
		p.Constraints = append(p.Constraints, le(sumOf(line), one(m)))
	default:
		for _, c := range line {
			p.Constraints = append(p.Constraints, le(one(c), one(m)))
		}
		if always(q) {
			p.Constraints = append(p.Constraints, le(one(m), sumOf(line)))
		}
	}
}
