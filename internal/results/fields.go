// Package results turns completed answers into counter increments and
// counters into the published, suppressed Summary and its exports (JSON,
// CSV, XLSX).
//
// Counters live in one Redis hash per consultation; the store increments
// the fields it is given, blindly. Field names:
//
//	started, completed, declined, quit     respondents (consent given, finished, refused, stopped)
//	a|<q>                                  answered count of question q
//	o|<q>|<opt>                            marginal count of option opt of q
//	b|<q>|<opt>|<byq>|<byopt>              breakdown: q answered opt and segment byq answered byopt
//	w|<week>                               report scripts: completions in ISO week (2026-W48)
//	w|<week>|<q>|<opt>                     report scripts: option counts per week
//
// Question and option ids are [a-z0-9_-] (the validator's rule), so "|"
// never occurs inside a part. Nothing in a field or value identifies a
// respondent: a completion adds one to each of its fields and is gone.
package results

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
)

// Respondent counter fields.
const (
	FieldStarted   = "started"
	FieldCompleted = "completed"
	FieldDeclined  = "declined"
	FieldQuit      = "quit"
)

// AnsweredField is the field counting answers to question q.
func AnsweredField(q string) string { return "a|" + q }

// OptionField is the field counting option opt of question q.
func OptionField(q, opt string) string { return "o|" + q + "|" + opt }

// BreakdownField is the field counting respondents who answered opt to q
// and byOpt to the segment question by.
func BreakdownField(q, opt, by, byOpt string) string {
	return "b|" + q + "|" + opt + "|" + by + "|" + byOpt
}

// WeekField is the field counting report completions in week.
func WeekField(week string) string { return "w|" + week }

// WeekOptionField is the field counting option opt of q in week.
func WeekOptionField(week, q, opt string) string { return "w|" + week + "|" + q + "|" + opt }

// Week returns the ISO 8601 week of t in UTC, as "2026-W48".
func Week(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// answeredOnly reports whether q counts "answered" alone: typed answers
// (text, number, date, time), an acknowledgement, and a rank (an order of
// every option, whose counts per position would need a table of their own).
func answeredOnly(q *dialogs.Question) bool {
	switch q.Type {
	case dialogs.TypeText, dialogs.TypeNumber, dialogs.TypeDate, dialogs.TypeTime,
		dialogs.TypeAcknowledge, dialogs.TypeRank:
		return true
	}
	return false
}

// Listed reports whether q appears in results: not info, calculate or a
// repeat's end (nothing a respondent answered).
func Listed(q *dialogs.Question) bool {
	switch q.Type {
	case dialogs.TypeInfo, dialogs.TypeCalculate, dialogs.TypeRepeatEnd:
		return false
	}
	return true
}

// hasOptions reports whether answers to q are option ids.
func hasOptions(q *dialogs.Question) bool {
	switch q.Type {
	case dialogs.TypeChoice, dialogs.TypeScale, dialogs.TypeMulti:
		return true
	}
	return false
}

// chosen returns the valid options of an answer to q, in the question's
// option order, without repeats; ok is false when the answer counts as
// not given. A choice or scale answer keeps only its first valid option
// (a well-formed one has exactly one). An answer with no known option
// (the step machine never gives one) counts as not given.
func chosen(q *dialogs.Question, ans dialogs.Answer) (opts []string, ok bool) {
	if ans.Skipped {
		return nil, false
	}
	if q.Type == dialogs.TypeMulti {
		for _, o := range q.Options {
			if slices.Contains(ans.Options, o.ID) {
				opts = append(opts, o.ID)
			}
		}
		return opts, len(opts) > 0
	}
	for _, id := range ans.Options {
		for _, o := range q.Options {
			if o.ID == id {
				return []string{id}, true
			}
		}
	}
	return nil, false
}

// Increments returns the counter fields to add one to for one completion
// of s with answers a: "completed", a| for every answered question, o| for
// every chosen option, b| for every chosen option of every answered
// option question (choice, scale, multi) crossed with every chosen option
// of every other answered segment question, and for report scripts w|week
// and w|week|q|opt for option questions (none when week is empty).
// Text, number, date, time, acknowledge and rank questions count a| only,
// when the answer is not blank. Skipped and missing answers, info,
// calculate and repeat-end questions and unknown option ids count nothing. The order is deterministic.
func Increments(s *dialogs.Script, a dialogs.Answers, week string) []string {
	fields := []string{FieldCompleted}
	weekly := s.Kind == dialogs.KindReport && week != ""
	if weekly {
		fields = append(fields, WeekField(week))
	}
	picked := make(map[string][]string)
	for i := range s.Questions {
		q := &s.Questions[i]
		ans, ok := a[q.ID]
		if !ok || ans.Skipped {
			continue
		}
		switch {
		case answeredOnly(q):
			if strings.TrimSpace(ans.Text) != "" || len(ans.Options) > 0 {
				fields = append(fields, AnsweredField(q.ID))
			}
		case hasOptions(q):
			opts, ok := chosen(q, ans)
			if !ok {
				continue
			}
			fields = append(fields, AnsweredField(q.ID))
			for _, o := range opts {
				fields = append(fields, OptionField(q.ID, o))
				if weekly {
					fields = append(fields, WeekOptionField(week, q.ID, o))
				}
			}
			picked[q.ID] = opts
		}
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		opts := picked[q.ID]
		if len(opts) == 0 {
			continue
		}
		for j := range s.Questions {
			by := &s.Questions[j]
			byOpts := picked[by.ID]
			if i == j || !by.Segment || len(byOpts) == 0 {
				continue
			}
			for _, o := range opts {
				for _, bo := range byOpts {
					fields = append(fields, BreakdownField(q.ID, o, by.ID, bo))
				}
			}
		}
	}
	return fields
}

// TextAnswers returns question id -> scrubbed text for the non-blank
// answers to text questions. They are stored apart from the counters, so a
// text cannot be joined with its author's choices.
func TextAnswers(s *dialogs.Script, a dialogs.Answers) map[string]string {
	out := make(map[string]string)
	for i := range s.Questions {
		q := &s.Questions[i]
		if q.Type != dialogs.TypeText {
			continue
		}
		ans, ok := a[q.ID]
		if !ok || ans.Skipped || strings.TrimSpace(ans.Text) == "" {
			continue
		}
		out[q.ID] = privacy.Scrub(strings.TrimSpace(ans.Text))
	}
	return out
}
