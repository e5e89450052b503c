package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
)

// consultView is what the consultation and public pages show. It is built
// only from a results.Summary, whose counts have all been through
// privacy.Suppress; shares and means are computed here from shown counts
// only and are left out whenever a number they need is hidden.
type consultView struct {
	ID, Title, Kind, KindID, Status, StatusID, Dates string
	K                                                int
	// Enough is false while completed < k: then nothing but "not enough
	// responses yet" is shown.
	Enough                       bool
	Started, Completed           string
	StartedShown, CompletedShown bool
	RateText                     string
	// DP: the counts have noise added (a DP release); EpsilonSpent is the
	// ε every release so far spent together.
	DP           bool
	EpsilonSpent string
	// FirstRelease is, for a DP consultation before its first release,
	// when that release is due on its calendar ("" when on close).
	FirstRelease  string
	Questions     []questionView
	Trends        []tableView
	CommentsShown bool
	Comments      []commentsView

	// Dashboard only.
	Facilitate, CanOpen, CanClose, Live bool
	// ViewLink is a signed, expiring link to the live view for a
	// projector that is not signed in.
	ViewLink string
	Invite   *inviteView
	// Access says who may answer; Abuse the stuffing counters; Invites
	// the invitation codes (invite-only consultations). Facilitators only.
	Access  string
	Abuse   *abuseView
	Invites *invitesView
	Costs   *costView
}

type questionView struct {
	ID, Text      string
	Answered      string
	AnsweredShown bool
	HasChart      bool
	Chart         chart
	Multi         bool
	// Top is the summary's line for the question: its most chosen shown
	// option, or "" when no count is shown.
	Top        string
	Mean       string
	Breakdowns []breakdownView
}

// breakdownView is one breakdown table (the page shows breakdowns as
// tables, collapsed under the question's chart).
type breakdownView struct {
	tableView
}

// tableView is a two-way table of suppressed counts.
type tableView struct {
	ID, By, Caption string
	Cols            []string
	Rows            []tableRow
}

type tableRow struct {
	Label string
	Cells []bar
}

type commentsView struct {
	Question string
	Texts    []string
}

type costView struct {
	Costs  []Cost
	Paused bool
}

type inviteView struct {
	Links []inviteLink
}

type inviteLink struct{ Name, URL string }

func sortedLinks(m map[string]string) []inviteLink {
	out := make([]inviteLink, 0, len(m))
	for k, v := range m {
		out = append(out, inviteLink{Name: k, URL: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// view builds the page model of consultation id; texts says whether the
// free-text comments may be shown (never on the public page), and then
// only those of questions that pass textsShown.
func (s *server) view(r *http.Request, id string, texts bool) (consultView, error) {
	lang := pageLang(r)
	sum, err := s.Consult.Summary(r.Context(), id, lang)
	if err != nil {
		return consultView{}, err
	}
	sc := s.Consult.Catalog.Get(id)
	v := buildView(sum, sc, lang)
	if v.Enough && texts {
		for _, q := range sum.Questions {
			if !textsShown(q, sum.K) {
				continue
			}
			list, err := s.Store.Texts(r.Context(), sum.ID, q.ID)
			if err != nil {
				return consultView{}, err
			}
			for i := range list {
				list[i] = privacy.Scrub(list[i]) // scrubbed at rest; again with today's rules
			}
			// The store returns them in random order, without time.
			v.Comments = append(v.Comments, commentsView{Question: q.Text, Texts: list})
		}
		v.CommentsShown = len(v.Comments) > 0
	}
	return v, nil
}

// buildView turns a suppressed summary into the page model. sc may be nil
// (a script removed since); it gives the schedule only.
func buildView(sum results.Summary, sc *dialogs.Script, lang string) consultView {
	v := consultView{ID: sum.ID, Title: sum.Title, Status: tr(lang, "status_"+sum.Status), StatusID: sum.Status, K: sum.K}
	v.Dates = tr(lang, "always")
	if sc != nil {
		v.KindID = sc.Kind
		v.Kind = tr(lang, "kind_"+sc.Kind)
		v.Dates = dates(lang, sc.Opens, sc.Closes)
	}
	dp := sum.Mode == results.ModeDP
	v.DP = dp
	if dp && sum.EpsilonSpent != nil {
		v.EpsilonSpent = strconv.FormatFloat(*sum.EpsilonSpent, 'f', -1, 64)
	}
	v.Started, v.StartedShown = shownMode(lang, dp, sum.Started)
	v.Completed, v.CompletedShown = shownMode(lang, dp, sum.Completed)
	// A DP release shows its noisy counts whatever they are: the release
	// itself was made only once k people had completed.
	v.Enough = sum.Completed != nil && (dp || *sum.Completed >= int64(sum.K))
	if !v.Enough {
		if t, err := time.Parse(time.RFC3339, sum.NextReleaseAt); err == nil && dp {
			v.FirstRelease = t.UTC().Format("2006-01-02 15:04 UTC")
		}
		return v
	}
	if sum.Started != nil && sum.Completed != nil && *sum.Started > 0 {
		v.RateText = tr(lang, "rate_text", num(lang, *sum.Completed), num(lang, *sum.Started),
			pct(lang, float64(*sum.Completed)/float64(*sum.Started)))
	} else {
		v.RateText = tr(lang, "rate_hidden")
	}
	texts := make(map[string]string)
	labels := make(map[string]map[string]string)
	types := make(map[string]string)
	for _, q := range sum.Questions {
		texts[q.ID] = q.Text
		types[q.ID] = q.Type
		labels[q.ID] = make(map[string]string)
		for _, o := range q.Options {
			labels[q.ID][o.ID] = o.Label
		}
	}
	rtl := dir(lang) == "rtl"
	for _, q := range sum.Questions {
		qv := questionView{ID: q.ID, Text: q.Text}
		if q.Answered != nil {
			n, _ := shownMode(lang, dp, q.Answered)
			qv.Answered, qv.AnsweredShown = tr(lang, "answered", n), true
		} else {
			qv.Answered = tr(lang, "answered_hidden")
		}
		if len(q.Options) > 0 {
			qv.HasChart = true
			qv.Multi = q.Type == dialogs.TypeMulti
			bars := make([]bar, len(q.Options))
			for i, o := range q.Options {
				bars[i] = countBar(lang, dp, o.Label, o.Count)
				if o.Count != nil && q.Answered != nil && *q.Answered > 0 {
					bars[i].Share = pct(lang, float64(*o.Count)/float64(*q.Answered))
				}
			}
			scale(bars)
			qv.Top = top(lang, bars)
			qv.Chart = chart{ID: "c-" + q.ID, Title: q.Text, Desc: describe(lang, bars), Bars: bars, RTL: rtl}
			if q.Type == dialogs.TypeScale {
				qv.Mean = mean(lang, sum.K, q)
			}
			for _, b := range sum.Breakdowns {
				if b.Question == q.ID {
					qv.Breakdowns = append(qv.Breakdowns, breakdown(lang, dp, rtl, q, b, texts[b.By], labelsOf(sum, b.By), types[q.ID]))
				}
			}
		}
		v.Questions = append(v.Questions, qv)
	}
	v.Trends = trends(lang, sum)
	return v
}

// top names the most chosen of the shown bars, with its count and share;
// a tie names every option that has the top count.
func top(lang string, bars []bar) string {
	var best int64
	for _, b := range bars {
		if b.Shown && b.N > best {
			best = b.N
		}
	}
	if best == 0 {
		return ""
	}
	var names []string
	value := ""
	for _, b := range bars {
		if b.Shown && b.N == best {
			names = append(names, b.Label)
			value = b.valueText()
		}
	}
	return tr(lang, "most_chosen", strings.Join(names, " / "), value)
}

// countBar is one bar for a published count: nil is hidden ("hidden to
// protect respondents", whatever the reason: never "fewer than k", which
// would be false for a cell hidden to protect another), and in a DP
// release (dp) a count is "≈ N (noise added)".
func countBar(lang string, dp bool, label string, n *int64) bar {
	if n == nil {
		return bar{Label: label, Value: tr(lang, "hidden_label"), Short: tr(lang, "hidden")}
	}
	if dp {
		return bar{Label: label, Value: tr(lang, "noisy", num(lang, *n)), Short: tr(lang, "noisy_short", num(lang, *n)), N: *n, Shown: true, Noisy: true}
	}
	return bar{Label: label, Value: num(lang, *n), N: *n, Shown: true}
}

func describe(lang string, bars []bar) string {
	parts := make([]string, 0, len(bars))
	for _, b := range bars {
		v := b.Value
		if b.Share != "" {
			v += " (" + b.Share + ")"
		}
		parts = append(parts, b.Label+": "+v)
	}
	return tr(lang, "chart_desc") + " " + strings.Join(parts, "; ") + "."
}

// mean of a scale question: only when at least k answers are shown and no
// option count is hidden, so it is computed from shown numbers alone and
// cannot reveal a hidden one.
func mean(lang string, k int, q results.Question) string {
	var n, sum int64
	lo, hi := 0, 0
	for i, o := range q.Options {
		v, err := strconv.Atoi(o.ID)
		if err != nil || o.Count == nil {
			return tr(lang, "mean_hidden", k)
		}
		if i == 0 {
			lo = v
		}
		hi = v
		n += *o.Count
		sum += int64(v) * *o.Count
	}
	if n < int64(k) || q.Answered == nil {
		return tr(lang, "mean_hidden", k)
	}
	return tr(lang, "mean", dec(lang, float64(sum)/float64(n)), lo, hi, num(lang, n))
}

type optLabel struct{ ID, Label string }

func labelsOf(sum results.Summary, q string) []optLabel {
	for _, x := range sum.Questions {
		if x.ID == q {
			out := make([]optLabel, len(x.Options))
			for i, o := range x.Options {
				out[i] = optLabel{o.ID, o.Label}
			}
			return out
		}
	}
	return nil
}

// breakdown builds the table of q by a segment
// question. A group's shares are shown only for single-answer questions
// and only when every cell of the group is shown (the base is their sum).
func breakdown(lang string, dp bool, rtl bool, q results.Question, b results.Breakdown, byText string, byOpts []optLabel, qType string) breakdownView {
	idx := make(map[[2]string]results.Cell, len(b.Cells))
	for _, c := range b.Cells {
		idx[[2]string{c.Option, c.ByOption}] = c
	}
	bv := breakdownView{tableView: tableView{
		ID:      "b-" + q.ID + "-" + b.By,
		By:      tr(lang, "by", byText),
		Caption: tr(lang, "breakdown_caption", q.Text, byText),
	}}
	groups := make([][]bar, len(byOpts))
	for j, bo := range byOpts {
		bv.Cols = append(bv.Cols, bo.Label)
		bars := make([]bar, len(q.Options))
		var base int64
		complete := qType != dialogs.TypeMulti
		for i, o := range q.Options {
			c := idx[[2]string{o.ID, bo.ID}]
			bars[i] = countBar(lang, dp, o.Label, c.Count)
			if c.Count == nil {
				complete = false
			} else {
				base += *c.Count
			}
		}
		if complete && base > 0 {
			for i := range bars {
				bars[i].Share = pct(lang, float64(bars[i].N)/float64(base))
			}
		}
		scale(bars)
		groups[j] = bars
	}
	for i, o := range q.Options {
		row := tableRow{Label: o.Label}
		for j := range byOpts {
			row.Cells = append(row.Cells, groups[j][i])
		}
		bv.Rows = append(bv.Rows, row)
	}
	return bv
}

// trends are a report script's weekly tables: rows are ISO weeks, columns
// all reports and then the options of one question.
func trends(lang string, sum results.Summary) []tableView {
	if len(sum.Weeks) == 0 {
		return nil
	}
	dp := sum.Mode == results.ModeDP
	var out []tableView
	for _, q := range sum.Questions {
		if len(q.Options) == 0 {
			continue
		}
		tv := tableView{ID: "t-" + q.ID, By: q.Text, Caption: tr(lang, "trend_caption", q.Text)}
		tv.Cols = append(tv.Cols, tr(lang, "all_reports"))
		for _, o := range q.Options {
			tv.Cols = append(tv.Cols, o.Label)
		}
		for _, w := range sum.Weeks {
			row := tableRow{Label: w.Week, Cells: []bar{countBar(lang, dp, w.Week, w.Completed)}}
			cells := make(map[string]*int64)
			for _, c := range w.Cells {
				if c.Question == q.ID {
					cells[c.Option] = c.Count
				}
			}
			for _, o := range q.Options {
				row.Cells = append(row.Cells, countBar(lang, dp, o.Label, cells[o.ID]))
			}
			tv.Rows = append(tv.Rows, row)
		}
		out = append(out, tv)
	}
	return out
}

// textsShown reports whether the comments of question q may be shown: a
// text question whose answered count is shown and at least k. The
// consultation having k completions is not enough: the length of the list
// would give a hidden answered count away, and a question asked only of a
// small group would show one person's words.
func textsShown(q results.Question, k int) bool {
	return q.Type == dialogs.TypeText && q.Answered != nil && *q.Answered >= int64(k)
}
