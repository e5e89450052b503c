package results

import (
	"regexp"
	"slices"
	"strings"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
)

// Summary is the published, suppressed result of one consultation, the
// shape every output shares (DESIGN.md "Summary JSON"). A count is a
// number when shown and null when hidden.
type Summary struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
	// K is the threshold applied (never below privacy.MinK).
	K          int         `json:"k"`
	Started    *int64      `json:"started"`
	Completed  *int64      `json:"completed"`
	Declined   *int64      `json:"declined"`
	Questions  []Question  `json:"questions"`
	Breakdowns []Breakdown `json:"breakdowns"`
	// Weeks is an addition to DESIGN.md's shape: the weekly trend of a
	// report script (kind: report), oldest first; absent otherwise.
	Weeks []WeekCount `json:"weeks,omitempty"`
}

// Question is one counted question. Text and number questions have
// Answered only (Options absent).
type Question struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Text     string   `json:"text"`
	Answered *int64   `json:"answered"`
	Options  []Option `json:"options,omitempty"`
}

// Option is one option of a question with its marginal count.
type Option struct {
	ID         string `json:"id"`
	Label      string `json:"label"`
	Count      *int64 `json:"count"`
	Suppressed bool   `json:"suppressed"`
}

// Breakdown is question Question cross-tabulated by segment question By.
type Breakdown struct {
	Question string `json:"question"`
	By       string `json:"by"`
	Cells    []Cell `json:"cells"`
}

// Cell is one count of a Breakdown: respondents who answered Option to the
// question and ByOption to the segment question.
type Cell struct {
	ByOption   string `json:"by_option"`
	Option     string `json:"option"`
	Count      *int64 `json:"count"`
	Suppressed bool   `json:"suppressed"`
}

// WeekCount is one ISO week of a report script's trend.
type WeekCount struct {
	Week       string     `json:"week"`
	Completed  *int64     `json:"completed"`
	Suppressed bool       `json:"suppressed"`
	Cells      []WeekCell `json:"cells"`
}

// WeekCell is the count of one option of one question in a week.
type WeekCell struct {
	Question   string `json:"question"`
	Option     string `json:"option"`
	Count      *int64 `json:"count"`
	Suppressed bool   `json:"suppressed"`
}

// Build makes the Summary of script s from its counters (see the package
// doc for field names; missing fields are zero, negative ones are taken as
// zero), with threshold k (raised to privacy.MinK), status as given and
// texts in lang (falling back to the script's default language).
//
// Every question is listed in script order except info questions, which
// ask nothing and have nothing to count; every option is listed. Every
// number goes through privacy.Suppress:
//   - started, completed and declined as lone counts (privacy.Count);
//   - while completed is hidden (fewer than k completions), every count
//     derived from answers is hidden too, though the shape is complete;
//   - each question's answered count as a lone count, and its options as
//     a one-row table whose total (answered) is published;
//   - each breakdown as a table of the question's options (rows) by the
//     segment's options (columns) with row and column totals treated as
//     published; a row (column) whose marginal count is hidden is hidden
//     whole, so the breakdown cannot give the marginal back; the two
//     breakdowns of a pair of segment questions share one mask;
//   - a report's weeks as a column of weekly counts totalling completed,
//     and per option question a table of weeks by options, linked the
//     same way to the weekly counts and the marginals.
//
// The cost is proportional to the number of cells (options, option pairs,
// weeks), never to the number of responses.
func Build(s *dialogs.Script, counters map[string]int64, k int, status string, lang string) Summary {
	b := builder{s: s, c: counters, k: max(k, privacy.MinK), lang: lang}
	return b.build(status)
}

type builder struct {
	s    *dialogs.Script
	c    map[string]int64
	k    int
	lang string

	hideAll  bool               // completed is hidden
	marginal map[string]optMask // question id -> hidden options
	pairs    map[[2]string]privacy.Mask
}

type optMask map[string]bool

func (b *builder) get(field string) int64 { return max(b.c[field], 0) }

// count is a lone count; hidden also when hide.
func (b *builder) count(n int64, hide bool) *int64 {
	m := privacy.Suppress(b.k, privacy.Table{Cells: [][]int64{{n}}, Hidden: [][]bool{{hide}}})
	if m[0][0] {
		return nil
	}
	return &n
}

// text picks lang, else the default language, else any (the smallest
// language code, so the choice is stable).
func (b *builder) text(t dialogs.Text) string {
	if v, ok := t[b.lang]; ok {
		return v
	}
	if len(b.s.Languages) > 0 {
		if v, ok := t[b.s.Languages[0]]; ok {
			return v
		}
	}
	keys := make([]string, 0, len(t))
	for l := range t {
		keys = append(keys, l)
	}
	if len(keys) == 0 {
		return ""
	}
	slices.Sort(keys)
	return t[keys[0]]
}

func (b *builder) build(status string) Summary {
	s := b.s
	sum := Summary{
		ID:         s.ID,
		Title:      b.text(s.Title),
		Status:     status,
		K:          b.k,
		Started:    b.count(b.get(FieldStarted), false),
		Declined:   b.count(b.get(FieldDeclined), false),
		Questions:  []Question{},
		Breakdowns: []Breakdown{},
	}
	sum.Completed = b.count(b.get(FieldCompleted), false)
	b.hideAll = sum.Completed == nil
	b.marginal = make(map[string]optMask)
	b.pairs = make(map[[2]string]privacy.Mask)
	for i := range s.Questions {
		if q := &s.Questions[i]; Listed(q) {
			sum.Questions = append(sum.Questions, b.question(q))
		}
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		if !hasOptions(q) {
			continue
		}
		for j := range s.Questions {
			by := &s.Questions[j]
			if i != j && by.Segment && hasOptions(by) {
				sum.Breakdowns = append(sum.Breakdowns, b.breakdown(i, j))
			}
		}
	}
	if s.Kind == dialogs.KindReport {
		sum.Weeks = b.weeks()
	}
	return sum
}

// all returns a rows x cols mask, every cell set to v.
func all(rows, cols int, v bool) [][]bool {
	m := make([][]bool, rows)
	for i := range m {
		m[i] = make([]bool, cols)
		for j := range m[i] {
			m[i][j] = v
		}
	}
	return m
}

func (b *builder) question(q *dialogs.Question) Question {
	answered := b.get(AnsweredField(q.ID))
	out := Question{ID: q.ID, Type: q.Type, Text: b.text(q.Text), Answered: b.count(answered, b.hideAll)}
	if !hasOptions(q) {
		return out
	}
	row := make([]int64, len(q.Options))
	for j, o := range q.Options {
		row[j] = b.get(OptionField(q.ID, o.ID))
	}
	m := privacy.Suppress(b.k, privacy.Table{
		Cells:     [][]int64{row},
		RowTotals: []int64{answered},
		Hidden:    all(1, len(row), b.hideAll || out.Answered == nil),
	})
	hidden := make(optMask)
	out.Options = make([]Option, len(q.Options))
	for j, o := range q.Options {
		opt := Option{ID: o.ID, Label: b.text(o.Label), Suppressed: m[0][j]}
		if !m[0][j] {
			opt.Count = &row[j]
		}
		hidden[o.ID] = m[0][j]
		out.Options[j] = opt
	}
	b.marginal[q.ID] = hidden
	return out
}

// breakdown builds question qi by segment question bi.
func (b *builder) breakdown(qi, bi int) Breakdown {
	q, by := &b.s.Questions[qi], &b.s.Questions[bi]
	out := Breakdown{Question: q.ID, By: by.ID, Cells: []Cell{}}
	// A pair of segment questions is one table seen both ways: count and
	// mask it once, in script order, so the two views cannot be combined.
	transposed := by.Segment && q.Segment && bi < qi
	rq, cq := q, by
	if transposed {
		rq, cq = by, q
	}
	cells := make([][]int64, len(rq.Options))
	for i, o := range rq.Options {
		cells[i] = make([]int64, len(cq.Options))
		for j, bo := range cq.Options {
			cells[i][j] = b.get(BreakdownField(rq.ID, o.ID, cq.ID, bo.ID))
		}
	}
	key := [2]string{rq.ID, cq.ID}
	m, ok := b.pairs[key]
	if !ok {
		rows, cols := sums(cells, len(cq.Options))
		hidden := all(len(rq.Options), len(cq.Options), b.hideAll)
		for i, o := range rq.Options {
			for j, bo := range cq.Options {
				if b.marginal[rq.ID][o.ID] || b.marginal[cq.ID][bo.ID] {
					hidden[i][j] = true
				}
			}
		}
		m = privacy.Suppress(b.k, privacy.Table{Cells: cells, RowTotals: rows, ColTotals: cols, Hidden: hidden})
		b.pairs[key] = m
	}
	// Cells in DESIGN.md's order: by segment option, then option.
	for j, bo := range by.Options {
		for i, o := range q.Options {
			r, c := i, j
			if transposed {
				r, c = j, i
			}
			cell := Cell{ByOption: bo.ID, Option: o.ID, Suppressed: m[r][c]}
			if !m[r][c] {
				v := cells[r][c]
				cell.Count = &v
			}
			out.Cells = append(out.Cells, cell)
		}
	}
	return out
}

func sums(cells [][]int64, cols int) (rowSums, colSums []int64) {
	rowSums = make([]int64, len(cells))
	colSums = make([]int64, cols)
	for i, r := range cells {
		for j, v := range r {
			rowSums[i] += v
			colSums[j] += v
		}
	}
	return rowSums, colSums
}

var weekPattern = regexp.MustCompile(`^[0-9]{4}-W[0-9]{2}$`)

// weeks builds a report's trend. The weeks are found among the counter
// fields (one pass over the hash, which holds cells, not responses).
func (b *builder) weeks() []WeekCount {
	var names []string
	for f := range b.c {
		if w, ok := strings.CutPrefix(f, "w|"); ok && weekPattern.MatchString(w) {
			names = append(names, w)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	totals := make([][]int64, len(names))
	for i, w := range names {
		totals[i] = []int64{b.get(WeekField(w))}
	}
	tm := privacy.Suppress(b.k, privacy.Table{
		Cells:     totals,
		ColTotals: []int64{b.get(FieldCompleted)},
		Hidden:    all(len(names), 1, b.hideAll),
	})
	out := make([]WeekCount, len(names))
	for i, w := range names {
		out[i] = WeekCount{Week: w, Suppressed: tm[i][0], Cells: []WeekCell{}}
		if !tm[i][0] {
			out[i].Completed = &totals[i][0]
		}
	}
	for qi := range b.s.Questions {
		q := &b.s.Questions[qi]
		if !hasOptions(q) {
			continue
		}
		cells := make([][]int64, len(names))
		hidden := make([][]bool, len(names))
		for i, w := range names {
			cells[i] = make([]int64, len(q.Options))
			hidden[i] = make([]bool, len(q.Options))
			for j, o := range q.Options {
				cells[i][j] = b.get(WeekOptionField(w, q.ID, o.ID))
				hidden[i][j] = tm[i][0] || b.marginal[q.ID][o.ID]
			}
		}
		rows, cols := sums(cells, len(q.Options))
		m := privacy.Suppress(b.k, privacy.Table{Cells: cells, RowTotals: rows, ColTotals: cols, Hidden: hidden})
		for i := range names {
			for j, o := range q.Options {
				c := WeekCell{Question: q.ID, Option: o.ID, Suppressed: m[i][j]}
				if !m[i][j] {
					c.Count = &cells[i][j]
				}
				out[i].Cells = append(out[i].Cells, c)
			}
		}
	}
	return out
}
