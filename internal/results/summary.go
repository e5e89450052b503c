package results

import (
	"os"
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
	K int `json:"k"`
	// Release is the number of the release this summary shows (1, 2, …; 0
	// before the first release, when every count is null), ReleasedAt
	// when it was made, Mode how it was protected: "suppress" (counts of
	// 1..k-1 and what would give them away hidden) or "dp" (noise added,
	// EpsilonSpent the privacy budget used by every release so far).
	Release      int      `json:"release"`
	ReleasedAt   string   `json:"released_at,omitempty"`
	Mode         string   `json:"mode"`
	EpsilonSpent *float64 `json:"epsilon_spent,omitempty"`
	// Noise describes, in dp mode, the noise every count of this release
	// got (an addition to DESIGN.md's shape; absent otherwise).
	Noise *NoiseInfo `json:"noise,omitempty"`
	// Final is true for the release made on close.
	Final bool `json:"final,omitempty"`
	// Pending is the number of further completions after which the next
	// release can be made (absent once final).
	Pending *int64 `json:"pending,omitempty"`
	// NextReleaseAt is, in dp mode, when the next scheduled release is due
	// (its release calendar; absent when only the final release, on close,
	// remains). A DP summary has no Pending: it would follow the true
	// number of completions.
	NextReleaseAt   string      `json:"next_release_at,omitempty"`
	Started         *int64      `json:"started"`
	StartedReason   string      `json:"started_reason,omitempty"`
	Completed       *int64      `json:"completed"`
	CompletedReason string      `json:"completed_reason,omitempty"`
	Declined        *int64      `json:"declined"`
	DeclinedReason  string      `json:"declined_reason,omitempty"`
	Questions       []Question  `json:"questions"`
	Breakdowns      []Breakdown `json:"breakdowns"`
	// Weeks is an addition to DESIGN.md's shape: the weekly trend of a
	// report script (kind: report), oldest first; absent otherwise.
	Weeks []WeekCount `json:"weeks,omitempty"`
}

// Question is one counted question. Text and number questions have
// Answered only (Options absent).
type Question struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Text     string `json:"text"`
	Answered *int64 `json:"answered"`
	// AnsweredReason says why Answered is hidden (see Option.Reason).
	AnsweredReason string   `json:"answered_reason,omitempty"`
	Options        []Option `json:"options,omitempty"`
}

// Option is one option of a question with its marginal count.
type Option struct {
	ID         string `json:"id"`
	Label      string `json:"label"`
	Count      *int64 `json:"count"`
	Suppressed bool   `json:"suppressed"`
	// Reason says why a hidden count is hidden: ReasonSmall (it counts 1
	// to k-1 people), ReasonComplementary (it would give a small count
	// away), ReasonCoarsened (its whole table or the whole release is
	// withheld, so that the rest cannot be combined into a small count).
	Reason string `json:"reason,omitempty"`
}

// Why a count is hidden (Option.Reason).
const (
	ReasonSmall         = "small"
	ReasonComplementary = "complementary"
	ReasonCoarsened     = "coarsened"
)

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
	Reason     string `json:"reason,omitempty"`
}

// WeekCount is one ISO week of a report script's trend.
type WeekCount struct {
	Week       string     `json:"week"`
	Completed  *int64     `json:"completed"`
	Suppressed bool       `json:"suppressed"`
	Reason     string     `json:"reason,omitempty"`
	Cells      []WeekCell `json:"cells"`
}

// WeekCell is the count of one option of one question in a week.
type WeekCell struct {
	Question   string `json:"question"`
	Option     string `json:"option"`
	Count      *int64 `json:"count"`
	Suppressed bool   `json:"suppressed"`
	Reason     string `json:"reason,omitempty"`
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
	sum, _, _ := Audited(s, counters, k, status, lang, nil)
	return sum
}

// Audited builds the Summary as Build does and then audits it, together
// with the earlier publications prev (oldest first), with privacy.Audit
// over Model: while the auditor finds a disclosure it hides more (first
// cells around the leaking one, then the leaking cell's whole table, then
// everything) and audits again, so what it returns has passed the audit.
// Forced lists the counter fields hidden beyond Build's own rules, with
// their reasons: Render with the same Forced gives the same Summary in
// any language. The report is the last audit's (OK).
func Audited(s *dialogs.Script, counters map[string]int64, k int, status, lang string, prev []Published) (Summary, map[string]string, privacy.Report) {
	k = max(k, privacy.MinK)
	forced := make(map[string]string)
	level := make(map[string]int) // table -> escalations
	// A breakdown more than half of whose cells would be hidden says little
	// and costs much to protect: it is withheld whole from the start.
	first := Render(s, counters, k, status, lang, forced)
	for _, b := range first.Breakdowns {
		hidden := 0
		for _, c := range b.Cells {
			if c.Count == nil {
				hidden++
			}
		}
		if 2*hidden > len(b.Cells) {
			coarsen(s, "b:"+canonicalPair(s, b.Question, b.By), counters, forced, first)
		}
	}
	// Feasible points of the last round's program (its cells: last): the
	// next round hides more, so most are still feasible there and settle
	// most cells without a program (the auditor checks each).
	var hints []privacy.Point
	var last []map[string]int
	for round := 0; ; round++ {
		sum := Render(s, counters, k, status, lang, forced)
		pubs := append(slices.Clone(prev), Published{Counters: counters, Summary: sum})
		p, cells := Model(s, pubs)
		p.Hints = carry(hints, last, cells)
		// The loop below mends one table per finding and round: the
		// audit need only find the first finding of each table.
		p.Tables = make([]int, len(p.Values))
		ids := make(map[string]int)
		for _, cs := range cells {
			for f, c := range cs {
				t := tableOf(f)
				id, ok := ids[t]
				if !ok {
					id = len(ids)
					ids[t] = id
				}
				p.Tables[c] = id
			}
		}
		rep := privacy.Audit(k, p)
		if rep.OK() {
			return sum, forced, rep
		}
		hints = append(p.Hints, rep.Points...)
		hints = hints[max(0, len(hints)-maxHints):]
		last = cells
		// A finding about an earlier publication's cell is mended by
		// hiding the same field now (its earlier value is then bounded by
		// nothing shown).
		if debugAudit {
			for i, f := range rep.Findings {
				if i < 6 {
					println("round", round, f.String(p))
				}
			}
		}
		field := make(map[int]string)
		for _, cs := range cells {
			for f, c := range cs {
				field[c] = f
			}
		}
		if round >= 5 && round < 8 {
			// Nothing local helped: withhold every table, keep the totals.
			for f := range cells[len(cells)-1] {
				if tableOf(f) != "t" {
					forced[f] = ReasonCoarsened
				}
			}
			round = 7
			continue
		}
		if round >= 8 {
			// Still not: withhold every count.
			for f := range cells[len(cells)-1] {
				forced[f] = ReasonCoarsened
			}
			if round >= 9 {
				return sum, forced, rep
			}
			continue
		}
		acted := make(map[string]bool)
		for _, f := range rep.Findings {
			cs := f.Cells
			if len(cs) == 0 && f.Why == privacy.WhyDetermined && f.Group >= 0 {
				// Every cell of the group is shown (two releases'
				// differences read a newcomer's answer off shown counts):
				// act on the tables they are shown in.
				for _, ts := range p.Groups[f.Group].Options {
					for _, t := range ts {
						cs = append(cs, t.Cell)
					}
				}
			}
			for _, c := range cs {
				fld, ok := field[c]
				if !ok {
					continue
				}
				t := tableOf(fld)
				if acted[t] {
					continue
				}
				acted[t] = true
				level[t]++
				switch {
				case f.Why == privacy.WhyDetermined || level[t] > 2:
					coarsen(s, t, counters, forced, sum)
				case !isHidden(sum, s, fld):
					forced[fld] = ReasonComplementary
				default:
					complement(s, fld, sum, forced)
				}
			}
		}
		if len(acted) == 0 {
			// Findings only about earlier publications' cells cannot be
			// mended by hiding more now; withhold this one's counts.
			round = max(round, 7)
		}
	}
}

// carry renames the cells of points of a program whose cells were from
// (by publication and counter field) to those of to. A cell that to
// lacks is left out (at its true value the point may not be feasible:
// the auditor checks).
func carry(pts []privacy.Point, from, to []map[string]int) []privacy.Point {
	if len(pts) == 0 {
		return nil
	}
	n := 0
	for _, cs := range from {
		n += len(cs)
	}
	rename := make([]int, n)
	for i := range rename {
		rename[i] = -1
	}
	for r, cs := range from {
		if r >= len(to) {
			break
		}
		for f, c := range cs {
			if nc, ok := to[r][f]; ok && c < n {
				rename[c] = nc
			}
		}
	}
	out := make([]privacy.Point, 0, len(pts))
	for _, pt := range pts {
		var q privacy.Point
		q.Cells = make([]int, 0, len(pt.Cells))
		q.Vals = make([]float64, 0, len(pt.Vals))
		for i, c := range pt.Cells {
			if c >= 0 && c < n && rename[c] >= 0 {
				q.Cells = append(q.Cells, rename[c])
				q.Vals = append(q.Vals, pt.Vals[i])
			}
		}
		out = append(out, q)
	}
	return out
}

// maxHints bounds the points Audited carries from round to round.
const maxHints = 512

var debugAudit = os.Getenv("BARAZA_AUDIT_DEBUG") != ""

// isHidden reports whether field is hidden in sum.
func isHidden(sum Summary, s *dialogs.Script, field string) bool {
	parts := strings.Split(field, "|")
	switch parts[0] {
	case "a":
		for _, q := range sum.Questions {
			if q.ID == parts[1] {
				return q.Answered == nil
			}
		}
	case "o":
		for _, q := range sum.Questions {
			if q.ID == parts[1] {
				for _, o := range q.Options {
					if o.ID == parts[2] {
						return o.Count == nil
					}
				}
			}
		}
	case "b":
		for _, b := range sum.Breakdowns {
			if b.Question == parts[1] && b.By == parts[3] {
				for _, c := range b.Cells {
					if c.Option == parts[2] && c.ByOption == parts[4] {
						return c.Count == nil
					}
				}
			}
		}
	case FieldCompleted:
		return sum.Completed == nil
	case FieldStarted:
		return sum.Started == nil
	case FieldDeclined:
		return sum.Declined == nil
	}
	return true
}

// Render builds the Summary with the fields in forced hidden (for the
// reasons given) besides Build's own rules, without auditing.
func Render(s *dialogs.Script, counters map[string]int64, k int, status, lang string, forced map[string]string) Summary {
	b := builder{s: s, c: counters, k: max(k, privacy.MinK), lang: lang, forced: forced}
	sum := b.build(status)
	sum.Mode = ModeSuppress
	return sum
}

// Modes of a release.
const (
	ModeSuppress = "suppress"
	ModeDP       = "dp"
)

// tableOf names the table a counter field is published in: "q:<id>" for
// a question's answered and option counts, "b:<q>:<by>" for a breakdown,
// "w" for weeks, "t" for the respondent totals.
func tableOf(field string) string {
	parts := strings.Split(field, "|")
	switch parts[0] {
	case "a", "o":
		return "q:" + parts[1]
	case "b":
		return "b:" + parts[1] + ":" + parts[3]
	case "w":
		return "w"
	}
	return "t"
}

// coarsen withholds table t whole.
func coarsen(s *dialogs.Script, t string, counters map[string]int64, forced map[string]string, sum Summary) {
	parts := strings.Split(t, ":")
	switch parts[0] {
	case "q":
		forced[AnsweredField(parts[1])] = ReasonCoarsened
		for _, q := range sum.Questions {
			if q.ID == parts[1] {
				for _, o := range q.Options {
					forced[OptionField(q.ID, o.ID)] = ReasonCoarsened
				}
			}
		}
	case "b":
		for _, b := range sum.Breakdowns {
			if canonicalPair(s, b.Question, b.By) != parts[1]+":"+parts[2] {
				continue
			}
			for _, c := range b.Cells {
				forced[canonical(s, b.Question, c.Option, b.By, c.ByOption)] = ReasonCoarsened
			}
		}
	case "w":
		for f := range counters {
			if strings.HasPrefix(f, "w|") {
				forced[f] = ReasonCoarsened
			}
		}
	default:
		forced[FieldCompleted] = ReasonCoarsened
		forced[FieldStarted] = ReasonCoarsened
		forced[FieldDeclined] = ReasonCoarsened
	}
}

func canonicalPair(s *dialogs.Script, q, by string) string {
	f := strings.Split(canonical(s, q, "x", by, "y"), "|")
	return f[1] + ":" + f[3]
}

// complement hides, beside the leaking hidden field, the smallest shown
// non-zero count of its row and of its column (of its question's options
// for a marginal), so that more unknowns share each sum.
func complement(s *dialogs.Script, field string, sum Summary, forced map[string]string) {
	parts := strings.Split(field, "|")
	pick := func(cands []string, counts []*int64) {
		best, bv := "", int64(0)
		for i, c := range cands {
			if counts[i] == nil || *counts[i] == 0 || c == field || forced[c] != "" {
				continue
			}
			if best == "" || *counts[i] < bv {
				best, bv = c, *counts[i]
			}
		}
		if best != "" {
			forced[best] = ReasonComplementary
		}
	}
	switch parts[0] {
	case "a", "o":
		for _, q := range sum.Questions {
			if q.ID != parts[1] {
				continue
			}
			var fs []string
			var cs []*int64
			for _, o := range q.Options {
				fs, cs = append(fs, OptionField(q.ID, o.ID)), append(cs, o.Count)
			}
			pick(fs, cs)
			if parts[0] == "a" || len(fs) == 0 {
				forced[AnsweredField(q.ID)] = ReasonComplementary
			}
		}
	case "b":
		q, o, by, bo := parts[1], parts[2], parts[3], parts[4]
		for _, b := range sum.Breakdowns {
			if b.Question != q || b.By != by {
				continue
			}
			var rf, cf []string
			var rc, cc []*int64
			for _, c := range b.Cells {
				f := canonical(s, b.Question, c.Option, b.By, c.ByOption)
				if c.Option == o {
					rf, rc = append(rf, f), append(rc, c.Count)
				}
				if c.ByOption == bo {
					cf, cc = append(cf, f), append(cc, c.Count)
				}
			}
			pick(rf, rc)
			pick(cf, cc)
		}
	default:
		forced[field] = ReasonComplementary
	}
}

type builder struct {
	s      *dialogs.Script
	c      map[string]int64
	k      int
	lang   string
	forced map[string]string // field -> reason, hidden besides the rules
	noisy  bool              // a DP release's noisy counters: nothing is hidden

	hideAll  bool               // completed is hidden
	marginal map[string]optMask // question id -> hidden options
	pairs    map[[2]string]privacy.Mask
}

type optMask map[string]bool

func (b *builder) get(field string) int64 { return max(b.c[field], 0) }

// count is a lone count of field; hidden also when hide.
func (b *builder) count(field string, hide bool) (*int64, string) {
	n := b.get(field)
	if b.noisy {
		return &n, ""
	}
	hide = hide || b.forced[field] != ""
	m := privacy.Suppress(b.k, privacy.Table{Cells: [][]int64{{n}}, Hidden: [][]bool{{hide}}})
	if m[0][0] {
		return nil, b.reason(field, n, true)
	}
	return &n, ""
}

// reason says why field (value v) is hidden, "" when shown.
func (b *builder) reason(field string, v int64, hidden bool) string {
	// A withheld table's cells are all "coarsened", small or not: saying
	// which of them are small would tell a reader they are at least 1.
	switch {
	case !hidden:
		return ""
	case b.forced[field] == ReasonCoarsened:
		return ReasonCoarsened
	case b.hideAll && field != FieldCompleted:
		return ReasonCoarsened
	case v >= 1 && v < int64(b.k):
		return ReasonSmall
	case b.forced[field] != "":
		return b.forced[field]
	}
	return ReasonComplementary
}

func (b *builder) isForced(field string) bool { return b.forced[field] != "" }

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
		Questions:  []Question{},
		Breakdowns: []Breakdown{},
	}
	sum.Started, sum.StartedReason = b.count(FieldStarted, false)
	sum.Declined, sum.DeclinedReason = b.count(FieldDeclined, false)
	sum.Completed, sum.CompletedReason = b.count(FieldCompleted, false)
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
	if s.Kind == dialogs.KindReport && !b.noisy {
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
	out := Question{ID: q.ID, Type: q.Type, Text: b.text(q.Text)}
	out.Answered, out.AnsweredReason = b.count(AnsweredField(q.ID), b.hideAll)
	if !hasOptions(q) {
		return out
	}
	row := make([]int64, len(q.Options))
	for j, o := range q.Options {
		row[j] = b.get(OptionField(q.ID, o.ID))
	}
	hide := all(1, len(row), b.hideAll || out.Answered == nil)
	for j, o := range q.Options {
		hide[0][j] = hide[0][j] || b.isForced(OptionField(q.ID, o.ID))
	}
	m := privacy.Suppress(b.k, privacy.Table{
		Cells:     [][]int64{row},
		RowTotals: []int64{answered},
		Hidden:    hide,
	})
	if b.noisy {
		m = all(1, len(row), false)
	}
	hidden := make(optMask)
	out.Options = make([]Option, len(q.Options))
	for j, o := range q.Options {
		opt := Option{ID: o.ID, Label: b.text(o.Label), Suppressed: m[0][j], Reason: b.reason(OptionField(q.ID, o.ID), row[j], m[0][j])}
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
				if b.marginal[rq.ID][o.ID] || b.marginal[cq.ID][bo.ID] || b.isForced(BreakdownField(rq.ID, o.ID, cq.ID, bo.ID)) {
					hidden[i][j] = true
				}
			}
		}
		m = privacy.Suppress(b.k, privacy.Table{Cells: cells, RowTotals: rows, ColTotals: cols, Hidden: hidden})
		if b.noisy {
			m = all(len(rq.Options), len(cq.Options), false)
		}
		b.pairs[key] = m
	}
	// Cells in DESIGN.md's order: by segment option, then option.
	for j, bo := range by.Options {
		for i, o := range q.Options {
			r, c := i, j
			if transposed {
				r, c = j, i
			}
			cell := Cell{ByOption: bo.ID, Option: o.ID, Suppressed: m[r][c],
				Reason: b.reason(BreakdownField(rq.ID, rq.Options[r].ID, cq.ID, cq.Options[c].ID), cells[r][c], m[r][c])}
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
	weekHide := all(len(names), 1, b.hideAll)
	for i, w := range names {
		weekHide[i][0] = weekHide[i][0] || b.isForced(WeekField(w))
	}
	tm := privacy.Suppress(b.k, privacy.Table{
		Cells:     totals,
		ColTotals: []int64{b.get(FieldCompleted)},
		Hidden:    weekHide,
	})
	out := make([]WeekCount, len(names))
	for i, w := range names {
		out[i] = WeekCount{Week: w, Suppressed: tm[i][0], Reason: b.reason(WeekField(w), totals[i][0], tm[i][0]), Cells: []WeekCell{}}
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
				hidden[i][j] = tm[i][0] || b.marginal[q.ID][o.ID] || b.isForced(WeekOptionField(w, q.ID, o.ID))
			}
		}
		rows, cols := sums(cells, len(q.Options))
		m := privacy.Suppress(b.k, privacy.Table{Cells: cells, RowTotals: rows, ColTotals: cols, Hidden: hidden})
		for i := range names {
			for j, o := range q.Options {
				c := WeekCell{Question: q.ID, Option: o.ID, Suppressed: m[i][j], Reason: b.reason(WeekOptionField(names[i], q.ID, o.ID), cells[i][j], m[i][j])}
				if !m[i][j] {
					c.Count = &cells[i][j]
				}
				out[i].Cells = append(out[i].Cells, c)
			}
		}
	}
	return out
}
