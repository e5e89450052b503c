package results

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteJSON writes s as indented JSON, the shape of DESIGN.md.
func WriteJSON(w io.Writer, s Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("results: write json: %w", err)
	}
	return nil
}

// csvHeader is the header row of WriteCSV: DESIGN.md's eight columns, in
// its order, and nothing else (the contract readers parse by position).
var csvHeader = []string{"question_id", "option_id", "by_question_id", "by_option_id", "count", "suppressed", "question", "option"}

// ExportHeaders are what a CSV download says beside its rows, as HTTP
// response headers (the API and the dashboard) and on standard error
// (baraza export): the release it is, when it was made, its protection —
// "suppression" with k, or "dp" with the ε spent so far and the standard
// deviation of the noise on each count, so that a reader of a DP export
// knows every count has noise added. DESIGN.md fixes the CSV's columns,
// so this travels outside them; the JSON and XLSX exports carry the same
// in their bodies.
func ExportHeaders(s Summary) [][2]string {
	out := [][2]string{{"X-Baraza-Release", strconv.Itoa(s.Release)}}
	if s.ReleasedAt != "" {
		out = append(out, [2]string{"X-Baraza-Released-At", s.ReleasedAt})
	}
	switch {
	case s.Release == 0:
		out = append(out, [2]string{"X-Baraza-Protection", "unreleased: no count is shown before the first release"})
	case s.Mode == ModeDP:
		v := "dp: every count has noise added"
		if s.EpsilonSpent != nil {
			v += "; epsilon_spent=" + strconv.FormatFloat(*s.EpsilonSpent, 'f', -1, 64)
		}
		if s.Noise != nil {
			v += "; noise_sd=" + strconv.FormatFloat(s.Noise.SD, 'f', -1, 64)
		}
		out = append(out, [2]string{"X-Baraza-Protection", v})
	default:
		out = append(out, [2]string{"X-Baraza-Protection", "suppression: k=" + strconv.Itoa(s.K) + "; a hidden count has suppressed=true and an empty count"})
	}
	return out
}

// WeekColumn is the by_question_id of a report's weekly rows in CSV.
// Parentheses never occur in question ids.
const WeekColumn = "(week)"

// WriteCSV writes s as tidy CSV (RFC 4180, CRLF line ends), UTF-8 with a
// byte-order mark so spreadsheet programs read Arabic and French right,
// with the columns of DESIGN.md and one row per count:
//
//   - a marginal count: question_id, option_id, empty by_ columns;
//   - a breakdown count: all four id columns;
//   - additions to DESIGN.md, totals, which leave option_id empty or name
//     a respondent count: a question's answered count (option_id empty),
//     started/completed/declined (question_id empty, option_id the
//     count's name), and for reports the weekly completions
//     (question_id empty, option_id "completed", by_question_id
//     WeekColumn, by_option_id the week) and weekly option counts
//     (by_question_id WeekColumn).
//
// A hidden count has an empty count and suppressed "true"; in DP mode no
// count is hidden and every count has noise added (ExportHeaders says so
// beside the file). Any cell that a spreadsheet could read as a formula
// (starting with = + - @, tab or CR) gets a leading apostrophe.
func WriteCSV(w io.Writer, s Summary) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("results: write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	rows := [][]string{csvHeader}
	add := func(q, opt, by, byOpt string, n *int64, question, option string) {
		count, suppressed := "", "true"
		if n != nil {
			count, suppressed = strconv.FormatInt(*n, 10), "false"
		}
		row := []string{q, opt, by, byOpt, count, suppressed, question, option}
		for i := range row {
			row[i] = Neutralise(row[i])
		}
		rows = append(rows, row)
	}
	add("", FieldStarted, "", "", s.Started, "", "")
	add("", FieldCompleted, "", "", s.Completed, "", "")
	add("", FieldDeclined, "", "", s.Declined, "", "")
	questions := make(map[string]*Question, len(s.Questions))
	for i := range s.Questions {
		q := &s.Questions[i]
		questions[q.ID] = q
		add(q.ID, "", "", "", q.Answered, q.Text, "")
		for _, o := range q.Options {
			add(q.ID, o.ID, "", "", o.Count, q.Text, o.Label)
		}
	}
	for _, b := range s.Breakdowns {
		qtext, labels := questionText(questions[b.Question])
		for _, c := range b.Cells {
			add(b.Question, c.Option, b.By, c.ByOption, c.Count, qtext, labels[c.Option])
		}
	}
	for _, w := range s.Weeks {
		add("", FieldCompleted, WeekColumn, w.Week, w.Completed, "", "")
		for _, c := range w.Cells {
			qtext, labels := questionText(questions[c.Question])
			add(c.Question, c.Option, WeekColumn, w.Week, c.Count, qtext, labels[c.Option])
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("results: write csv: %w", err)
	}
	return nil
}

// questionText returns q's text and option labels by id (empty for nil).
func questionText(q *Question) (string, map[string]string) {
	labels := make(map[string]string)
	if q == nil {
		return "", labels
	}
	for _, o := range q.Options {
		labels[o.ID] = o.Label
	}
	return q.Text, labels
}

// Neutralise returns v with a leading apostrophe when a spreadsheet could
// take it for a formula: it starts with = + - @, a tab or a carriage
// return (OWASP "CSV injection"), or their full-width forms.
func Neutralise(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(v, p) {
			return "'" + v
		}
	}
	return v
}
