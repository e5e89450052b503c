package results

import (
	"math"
	"slices"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
)

// The differential-privacy mode (publish: {mode: dp, epsilon: …}).
//
// A DP release publishes every count of the summary with discrete Laplace
// noise instead of hiding small ones. Noise is drawn once, when the
// release is made (Noisy), and the noisy counters are what the release
// keeps: every later view renders them (RenderNoisy) and draws nothing,
// so a reader who reloads a page a thousand times sees the same numbers
// and cannot average the noise away.
//
// The unit protected is one response: Sensitivity is how much one
// response can change all the published counters together (L1), and
// every counter gets noise of scale Sensitivity/ε, which gives the whole
// release ε-differential privacy. The set of counters is taken from the
// script, never from the data, so which counters exist says nothing
// either. A report's weekly trend is not published in DP mode (which
// weeks exist would tell when someone answered).

// dpTable is a group of published counter fields with the most one
// response adds to them together.
type dpTable struct {
	fields  []string
	contrib int64
}

// dpTables lists every counter a DP release publishes, grouped, in a
// fixed order (the order noise is drawn in).
func dpTables(s *dialogs.Script) []dpTable {
	// A response either declines, or starts and possibly completes: at
	// most 2 in the respondent totals.
	out := []dpTable{{fields: []string{FieldStarted, FieldCompleted, FieldDeclined}, contrib: 2}}
	width := func(q *dialogs.Question) int64 {
		if q.Type == dialogs.TypeMulti {
			return int64(len(q.Options))
		}
		return 1
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		if !Listed(q) {
			continue
		}
		out = append(out, dpTable{fields: []string{AnsweredField(q.ID)}, contrib: 1})
		if !hasOptions(q) {
			continue
		}
		t := dpTable{contrib: width(q)}
		for _, o := range q.Options {
			t.fields = append(t.fields, OptionField(q.ID, o.ID))
		}
		out = append(out, t)
	}
	for _, p := range dpPairs(s) {
		q, by := p[0], p[1]
		t := dpTable{contrib: width(q) * width(by)}
		for _, o := range q.Options {
			for _, bo := range by.Options {
				t.fields = append(t.fields, BreakdownField(q.ID, o.ID, by.ID, bo.ID))
			}
		}
		out = append(out, t)
	}
	return out
}

// dpPairs lists the breakdown tables as Render reads them: question by
// segment, a pair of segment questions once, in script order.
func dpPairs(s *dialogs.Script) [][2]*dialogs.Question {
	var out [][2]*dialogs.Question
	for i := range s.Questions {
		q := &s.Questions[i]
		if !hasOptions(q) {
			continue
		}
		for j := range s.Questions {
			by := &s.Questions[j]
			if i == j || !by.Segment || !hasOptions(by) || (q.Segment && j < i) {
				continue
			}
			out = append(out, [2]*dialogs.Question{q, by})
		}
	}
	return out
}

// Sensitivity is the most one response changes the counters a DP release
// of s publishes, summed over all of them (the L1 sensitivity): 2 for the
// respondent totals, 1 for each answered count, 1 for a choice or scale
// question's options (a multi-select: its number of options) and, for
// each breakdown, the product of the two questions' widths.
func Sensitivity(s *dialogs.Script) int64 {
	var d int64
	for _, t := range dpTables(s) {
		d += t.contrib
	}
	return d
}

// Noisy draws the noise of one DP release of s spending eps: every
// counter the release publishes gets discrete Laplace noise of scale
// Sensitivity(s)/eps from z (Raw), then the noisy values alone are made
// consistent (PostProcess). The map it returns is what the release stores
// and every view renders (RenderNoisy).
func Noisy(s *dialogs.Script, counters map[string]int64, eps privacy.Epsilon, z *privacy.Noise) (map[string]int64, error) {
	raw, err := Raw(s, counters, eps, z)
	if err != nil {
		return nil, err
	}
	return PostProcess(s, raw), nil
}

// Raw is the noise step of a DP release, the only step that reads the
// true counters: every counter the release publishes (dpTables, from the
// script only) plus discrete Laplace noise of scale Sensitivity(s)/eps,
// drawn from z in a fixed order. Nothing is clipped: a noisy count may be
// negative here.
func Raw(s *dialogs.Script, counters map[string]int64, eps privacy.Epsilon, z *privacy.Noise) (map[string]int64, error) {
	scale := eps.Scale(Sensitivity(s))
	n := make(map[string]int64)
	for _, t := range dpTables(s) {
		for _, f := range t.fields {
			x, err := z.Laplace(scale)
			if err != nil {
				return nil, err
			}
			n[f] = max(counters[f], 0) + x
		}
	}
	return n, nil
}

// PostProcess makes the raw noisy counts of a DP release (Raw) publishable
// using nothing but them: it takes no true counter, so whatever it does
// costs no privacy. From the top down:
//
//   - every count is clipped at 0 (after the noise, never before);
//   - started is at least completed, a question's answered count at most
//     completed (exactly completed when everyone is asked it);
//   - a choice or scale question's options add up to its answered count
//     (privacy.FitToTotal), a multi-select option is at most it;
//   - a breakdown of two single-answer questions (choice or scale) agrees
//     with both one-way tables: row i adds up to the question's option i,
//     column j to the segment's option j, when everyone answers both; when
//     one of them may be skipped or not asked, the people who did not
//     answer it are an extra, unpublished row or column, so the rows and
//     columns are at most the one-way counts and the table still adds up
//     with them (privacy.FitTable, the nearest non-negative integer table
//     in squared distance, exactly);
//   - a breakdown of a multi-select question by a single-answer one (or
//     the other way round): each line of the multi-select option (the
//     people who chose it) adds up to that option's count, less at most
//     the people who did not answer the single-answer question, and each
//     cell is at most the single-answer option's count (fitCapped, the
//     nearest such integers); the sums across the multi-select options
//     count choices, not people, and no published number constrains them;
//   - a breakdown of two multi-select questions: each cell is at most both
//     of its one-way counts.
//
// A pair of segment questions is one table, fitted once and written under
// both fields, so both views agree.
func PostProcess(s *dialogs.Script, n map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(n))
	completed := privacy.Clip(n[FieldCompleted])
	out[FieldCompleted] = completed
	out[FieldStarted] = max(privacy.Clip(n[FieldStarted]), completed)
	out[FieldDeclined] = privacy.Clip(n[FieldDeclined])
	for i := range s.Questions {
		q := &s.Questions[i]
		if !Listed(q) {
			continue
		}
		a := min(privacy.Clip(n[AnsweredField(q.ID)]), completed)
		if always(q) {
			a = completed
		}
		out[AnsweredField(q.ID)] = a
		if !hasOptions(q) {
			continue
		}
		row := make([]int64, len(q.Options))
		for j, o := range q.Options {
			row[j] = n[OptionField(q.ID, o.ID)]
		}
		if single(q) {
			row = privacy.FitToTotal(row, a)
		} else {
			row = privacy.CapAt(row, a)
		}
		for j, o := range q.Options {
			out[OptionField(q.ID, o.ID)] = row[j]
		}
	}
	for _, p := range dpPairs(s) {
		q, by := p[0], p[1]
		put := func(i, j int, v int64) {
			o, bo := q.Options[i].ID, by.Options[j].ID
			out[BreakdownField(q.ID, o, by.ID, bo)] = v
			if q.Segment {
				out[BreakdownField(by.ID, bo, q.ID, o)] = v
			}
		}
		if single(q) && single(by) {
			if x, ok := fitBoth(q, by, n, out); ok {
				for i := range q.Options {
					for j := range by.Options {
						put(i, j, x[i][j])
					}
				}
				continue
			}
		}
		cell := func(i, j int) int64 {
			return n[BreakdownField(q.ID, q.Options[i].ID, by.ID, by.Options[j].ID)]
		}
		// lines fits the breakdown line by line: line r is the people who
		// chose option r of the multi-select question, split by their one
		// answer to the single-choice one; at maps (line, position) to
		// (q's option, by's option).
		lines := func(multi, one *dialogs.Question, at func(r, c int) (int, int)) {
			caps := optionCounts(one, out)
			slack := completed - out[AnsweredField(one.ID)]
			for r, o := range multi.Options {
				line := make([]int64, len(one.Options))
				for c := range line {
					line[c] = cell(at(r, c))
				}
				for c, v := range fitCapped(line, out[OptionField(multi.ID, o.ID)], caps, slack, completed) {
					i, j := at(r, c)
					put(i, j, v)
				}
			}
		}
		switch {
		case single(by):
			lines(q, by, func(r, c int) (int, int) { return r, c })
		case single(q):
			lines(by, q, func(r, c int) (int, int) { return c, r })
		default:
			for i, o := range q.Options {
				for j, bo := range by.Options {
					put(i, j, min(privacy.Clip(cell(i, j)), out[OptionField(q.ID, o.ID)], out[OptionField(by.ID, bo.ID)]))
				}
			}
		}
	}
	return out
}

// optionCounts are q's option counts in out, in option order.
func optionCounts(q *dialogs.Question, out map[string]int64) []int64 {
	c := make([]int64, len(q.Options))
	for i, o := range q.Options {
		c[i] = out[OptionField(q.ID, o.ID)]
	}
	return c
}

// fitCapped fits one line of a breakdown with a multi-select question:
// the people who chose one option of it (total), split by their one
// answer to a single-answer question whose option counts are caps. Each
// cell is at most its cap; the line adds up to total, less at most slack
// (those of them who did not answer the single-answer question; 0 when
// everyone is asked it). It is privacy.FitTable on the line plus one
// unpublished line of everyone else (completed - total) and one
// unpublished column of the slack, whose margins are caps and slack:
// Σ caps + slack = completed. Should the noisy margins not hold together
// it falls back to clipping each cell to its cap and the total.
func fitCapped(line []int64, total int64, caps []int64, slack, completed int64) []int64 {
	k := len(line)
	noisy := [][]int64{append(slices.Clone(line), 0), make([]int64, k+1)}
	free := [][]bool{make([]bool, k+1), make([]bool, k+1)}
	free[0][k] = true
	for j := range free[1] {
		free[1][j] = true
	}
	cols := append(slices.Clone(caps), slack)
	x, err := privacy.FitTable(noisy, free, []int64{total, completed - total}, cols)
	if err != nil {
		out := make([]int64, k)
		for j, v := range line {
			out[j] = min(privacy.Clip(v), total, caps[j])
		}
		return out
	}
	return x[0][:k]
}

// fitBoth fits the breakdown of single-answer q by single-answer by to
// both one-way tables already in out (privacy.FitTable): the table is
// extended by a row of the completions that did not answer q and a
// column of those that did not answer by (free cells, never published),
// so its margins are q's options and completed - answered(q), by's
// options and completed - answered(by), both adding up to completed.
func fitBoth(q, by *dialogs.Question, n, out map[string]int64) ([][]int64, bool) {
	m, k := len(q.Options), len(by.Options)
	completed := out[FieldCompleted]
	rows := make([]int64, m+1)
	for i, o := range q.Options {
		rows[i] = out[OptionField(q.ID, o.ID)]
	}
	rows[m] = completed - out[AnsweredField(q.ID)]
	cols := make([]int64, k+1)
	for j, bo := range by.Options {
		cols[j] = out[OptionField(by.ID, bo.ID)]
	}
	cols[k] = completed - out[AnsweredField(by.ID)]
	noisy := make([][]int64, m+1)
	free := make([][]bool, m+1)
	for i := range noisy {
		noisy[i] = make([]int64, k+1)
		free[i] = make([]bool, k+1)
		for j := range noisy[i] {
			if i == m || j == k {
				free[i][j] = true
				continue
			}
			noisy[i][j] = n[BreakdownField(q.ID, q.Options[i].ID, by.ID, by.Options[j].ID)]
		}
	}
	x, err := privacy.FitTable(noisy, free, rows, cols)
	if err != nil {
		return nil, false
	}
	return x, true
}

// RenderNoisy renders a DP release's stored noisy counters (from Noisy):
// every count shown, Mode "dp", EpsilonSpent the ε every release so far
// has spent together. It draws no noise.
func RenderNoisy(s *dialogs.Script, noisy map[string]int64, k int, status, lang string, spent privacy.Epsilon) Summary {
	b := builder{s: s, c: noisy, k: max(k, privacy.MinK), lang: lang, noisy: true}
	sum := b.build(status)
	sum.Mode = ModeDP
	e := float64(spent.Micro()) / 1e6
	sum.EpsilonSpent = &e
	return sum
}

// NoiseInfo is what a reader of a DP release needs to judge its numbers:
// the mechanism, what this release spent, and how large the noise is.
// All of it follows from the script and ε, never from the data, so
// publishing it costs nothing.
type NoiseInfo struct {
	// Mechanism is "discrete_laplace" (two-sided geometric).
	Mechanism string `json:"mechanism"`
	// Epsilon is what this release spent of the budget.
	Epsilon float64 `json:"epsilon"`
	// Sensitivity is how much one response changes all published counts
	// together (L1); Scale is Sensitivity/Epsilon, the noise's scale.
	Sensitivity int64   `json:"sensitivity"`
	Scale       float64 `json:"scale"`
	// SD is the standard deviation of the noise added to each count,
	// before post-processing (clipping at 0 and making tables add up move
	// counts by a little more or less).
	SD float64 `json:"sd"`
}

// MechanismDiscreteLaplace is NoiseInfo.Mechanism.
const MechanismDiscreteLaplace = "discrete_laplace"

// NoiseFor describes the noise of a DP release of s that spent eps.
func NoiseFor(s *dialogs.Script, eps privacy.Epsilon) *NoiseInfo {
	d := Sensitivity(s)
	e := float64(eps.Micro()) / 1e6
	if e <= 0 {
		return nil
	}
	scale := float64(d) / e
	// Discrete Laplace of scale b: P(x) ∝ q^|x|, q = exp(-1/b); variance
	// 2q/(1-q)².
	q := math.Exp(-1 / scale)
	sd := math.Sqrt(2*q) / (1 - q)
	round := func(v float64) float64 { return math.Round(v*100) / 100 }
	return &NoiseInfo{Mechanism: MechanismDiscreteLaplace, Epsilon: e, Sensitivity: d, Scale: round(scale), SD: round(sd)}
}
