package dialogs

import (
	"strconv"
	"strings"
	"time"
)

// normalizeDigits maps Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹)
// digits to ASCII.
func normalizeDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		}
		return r
	}, s)
}

// matchOption finds the option typed as its label (case-insensitive) or as
// its number among the visible options (vis, indices into q.Options).
// Labels win, so "3" on a 0..10 scale is the option labelled 3.
func matchOption(s *Script, q *Question, vis []int, lang, typed string) (int, bool) {
	t := normalizeDigits(strings.TrimSpace(typed))
	if t == "" {
		return 0, false
	}
	for _, i := range vis {
		if strings.EqualFold(normalizeDigits(s.Text(q.Options[i].Label, lang)), t) {
			return i, true
		}
	}
	// Typed without accents ("garcon" for "garçon"): a basic phone's
	// keyboard, or an SMS that showed the label in GSM-7, has none.
	ft := foldAccents(t)
	for _, i := range vis {
		if strings.EqualFold(foldAccents(normalizeDigits(s.Text(q.Options[i].Label, lang))), ft) {
			return i, true
		}
	}
	if n, err := strconv.Atoi(t); err == nil && n >= 1 && n <= len(vis) {
		return vis[n-1], true
	}
	return 0, false
}

// matchOptions reads a typed multi (or rank) answer: labels or numbers
// separated by commas (or semicolons), or numbers separated by spaces. The
// ids come back each once, in option order, or in the order typed when
// ordered (rank).
func matchOptions(s *Script, q *Question, vis []int, lang, typed string, ordered bool) ([]string, bool) {
	parts := strings.FieldsFunc(typed, func(r rune) bool { return r == ',' || r == '،' || r == ';' || r == '\n' })
	if len(parts) == 1 {
		if f := strings.Fields(normalizeDigits(parts[0])); len(f) > 1 && allNumbers(f) {
			parts = f
		}
	}
	chosen := make([]bool, len(q.Options))
	var order []string
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		i, ok := matchOption(s, q, vis, lang, p)
		if !ok || ordered && chosen[i] {
			return nil, false
		}
		chosen[i] = true
		order = append(order, q.Options[i].ID)
	}
	if len(order) == 0 {
		return nil, false
	}
	if ordered {
		return order, true
	}
	var ids []string
	for i, c := range chosen {
		if c {
			ids = append(ids, q.Options[i].ID)
		}
	}
	return ids, true
}

// parseDate reads a typed date: 2026-03-01, 1/3/2026, 01-03-2026 or
// 1.3.2026 (day first, as most of the world writes it). It returns
// YYYY-MM-DD.
func parseDate(t string) (string, bool) {
	t = normalizeDigits(strings.TrimSpace(t))
	if len(t) > 20 {
		return "", false
	}
	var layouts = []string{"2006-01-02", "2006-1-2", "2/1/2006", "2-1-2006", "2.1.2006", "02/01/2006", "02-01-2006", "02.01.2006"}
	for _, l := range layouts {
		if d, err := time.Parse(l, t); err == nil {
			return d.Format("2006-01-02"), true
		}
	}
	return "", false
}

// parseTime reads a typed time of day: 14:30, 9:05, 14h30, 2:30 pm. It
// returns HH:MM.
func parseTime(t string) (string, bool) {
	t = strings.ToLower(normalizeDigits(strings.TrimSpace(t)))
	if len(t) > 20 {
		return "", false
	}
	t = strings.ReplaceAll(t, "h", ":")
	t = strings.TrimSuffix(t, ":")
	for _, l := range []string{"15:04", "15:04:05", "3:04pm", "3:04 pm", "3pm", "3 pm", "15"} {
		if d, err := time.Parse(l, t); err == nil {
			return d.Format("15:04"), true
		}
	}
	return "", false
}

func allNumbers(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.Atoi(f); err != nil {
			return false
		}
	}
	return true
}

// parseNumber reads a typed number: "12", "-3", "3.5", "3,5", with
// Arabic-Indic digits and the Arabic decimal separator. A comma followed
// by exactly three digits ("1,000") is ambiguous and refused. It returns
// the canonical form ("3.5").
func parseNumber(t string) (string, float64, bool) {
	t = normalizeDigits(strings.TrimSpace(t))
	t = strings.NewReplacer("٫", ".", "−", "-").Replace(t)
	if len(t) == 0 || len(t) > 30 {
		return "", 0, false
	}
	if strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		i := strings.IndexByte(t, ',')
		if len(t)-i-1 == 3 {
			return "", 0, false
		}
		t = t[:i] + "." + t[i+1:]
	}
	body := strings.TrimLeft(t, "+-")
	if len(t)-len(body) > 1 {
		return "", 0, false
	}
	intPart, frac, hasDot := strings.Cut(body, ".")
	if intPart == "" || !digits(intPart) || hasDot && (frac == "" || !digits(frac)) {
		return "", 0, false
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return "", 0, false
	}
	if f == 0 {
		f = 0 // no "-0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64), f, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// accents maps Latin letters with diacritics, and typographic quotes, to
// what a keyboard without them types.
var accents = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "á", "a", "ã", "a", "À", "A", "Â", "A", "Ä", "A", "Á", "A",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "É", "E", "È", "E", "Ê", "E", "Ë", "E",
	"î", "i", "ï", "i", "í", "i", "Î", "I", "Ï", "I",
	"ô", "o", "ö", "o", "ó", "o", "Ô", "O", "Ö", "O",
	"ù", "u", "û", "u", "ü", "u", "ú", "u", "Ù", "U", "Û", "U", "Ü", "U",
	"ç", "c", "Ç", "C", "ñ", "n", "Ñ", "N", "ÿ", "y", "œ", "oe", "Œ", "OE", "æ", "ae", "Æ", "AE",
	"’", "'", "‘", "'", "\u00a0", " ", "\u202f", " ",
)

// foldAccents drops Latin diacritics: "Périphérie" and "Peripherie" match.
func foldAccents(s string) string { return accents.Replace(s) }
