package dialogs

import "time"

// Threshold is the script's suppression threshold: its own k, else def
// (BARAZA_K), never below 2.
func (s *Script) Threshold(def int) int {
	k := s.K
	if k == 0 {
		k = def
	}
	return max(k, 2)
}

// Text returns t in lang, falling back to the language's base ("fr" for
// "fr-CA") and then to the script's default language.
func (s *Script) Text(t Text, lang string) string {
	if v := t[lang]; v != "" {
		return v
	}
	if v := t[baseLang(lang)]; v != "" {
		return v
	}
	if len(s.Languages) > 0 {
		return t[s.Languages[0]]
	}
	return ""
}

// OptionIDs returns the ids of q's options in order (scale: "min".."max").
func (s *Script) OptionIDs(q *Question) []string {
	ids := make([]string, len(q.Options))
	for i, o := range q.Options {
		ids[i] = o.ID
	}
	return ids
}

// IsRelevant tells whether q is asked given the answers so far. A question
// without a relevant expression is always asked.
func (q *Question) IsRelevant(a Answers) bool {
	e := q.relevant
	if e == nil {
		if q.Relevant == "" {
			return true
		}
		// A script not built by the loader: parse on the spot.
		var err error
		if e, err = ParseExpr(q.Relevant); err != nil {
			return true
		}
	}
	return toBool(e.Eval(a))
}

// Open tells whether s takes new respondents at now: a report script is
// always open; a consultation is open between its opens and closes times
// (each optional). A facilitator's close is the caller's to apply.
func (s *Script) Open(now time.Time) bool {
	if s.Kind == KindReport {
		return true
	}
	if !s.Opens.IsZero() && now.Before(s.Opens) {
		return false
	}
	return s.Closes.IsZero() || now.Before(s.Closes)
}
