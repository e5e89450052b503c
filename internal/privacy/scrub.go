package privacy

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Placeholders Scrub puts in place of what it removes.
const (
	PlaceholderPhone  = "[phone]"
	PlaceholderEmail  = "[email]"
	PlaceholderLink   = "[link]"
	PlaceholderHandle = "[handle]"
	PlaceholderNumber = "[number]"
)

var (
	// A URL with a scheme (http, https, tg, ...). Trailing punctuation is
	// given back (see trimURL).
	schemeURL = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]{1,15}://[^\s<>"]*`)
	// An e-mail address. Letters of any script on the left; the domain ends
	// with a letter TLD of two or more.
	email = regexp.MustCompile(`[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}`)
	// www.anything
	wwwURL = regexp.MustCompile(`(?i)\bwww\.[^\s<>"]+`)
	// A bare domain with a well-known generic TLD, with or without a path:
	// example.com, news.example.org/a?b.
	bareGeneric = regexp.MustCompile(`(?i)\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|info|biz|io|app|dev|xyz|online|site|gov|edu|africa|news|blog|shop|store|link|live|club|page|chat|social)\b(?:/[^\s<>"]*)?`)
	// A bare domain with any two-letter (country) TLD, which often collides
	// with words ("ok.so", "yes.it"): only with two or more dots
	// (nation.co.ke) or a path (t.me/name, bit.ly/x, wa.me/254...).
	bareCountry = regexp.MustCompile(`(?i)\b(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.){2,}[a-z]{2}\b(?:/[^\s<>"]*)?|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.[a-z]{2,3}/[^\s<>"]*)`)
	// An @handle (Telegram, Discord, X, Instagram) or a Discord mention
	// <@123>. The character before must not be a letter or digit (that
	// would be an e-mail address, handled earlier).
	handle = regexp.MustCompile(`(^|[^\p{L}\p{N}_.@])@!?[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?`)
)

// Scrub removes what could identify a person from free text before it is
// stored: URLs and bare domains ("[link]"), e-mail addresses ("[email]"),
// @handles ("[handle]"), phone numbers in international and local forms
// ("[phone]") and long digit runs ("[number]").
//
// Digit rules (any script's decimal digits, so Arabic-Indic numbers are
// caught too): digits joined by short runs of spaces, dashes, dots or
// brackets form one group sequence, "+254 712 345 678" or
// "(020) 123 4567". Such a sequence is removed when it has a run of 6 or
// more digits, or 6 or more digits in total, except:
//   - two groups of exactly 6 digits in total, not starting with "+", "("
//     or 0 ("in 2024 10 people", "100 000"): kept;
//   - a date d.m.yyyy, d-m-yyyy, yyyy-m-d with a plausible day and month:
//     kept.
//
// It becomes "[phone]" when it starts with "+", "(" or a zero and has 7 or
// more digits, otherwise "[number]". Short numbers ("3 times", "in 2024",
// "at 10pm", "10 000 shillings") are left alone.
//
// Scrub never fails, always returns valid UTF-8 (invalid bytes become
// U+FFFD) and is idempotent: Scrub(Scrub(x)) == Scrub(x).
func Scrub(text string) string {
	s := strings.ToValidUTF8(text, "\uFFFD")
	// One pass can make a match for another: "1234567www.x" becomes
	// "[number]www.x", where "www." now starts at a word boundary. Repeat
	// until nothing changes; each pass that changes the text replaces
	// letters or digits by a placeholder, so this ends after a few passes.
	for range maxPasses {
		next := scrubPass(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

// maxPasses bounds the passes of Scrub; real text settles in one or two.
const maxPasses = 8

func scrubPass(s string) string {
	// The regular expressions are slow on Unicode text; skip those that
	// cannot match.
	if strings.Contains(s, "://") {
		s = schemeURL.ReplaceAllStringFunc(s, replaceURL)
	}
	at := strings.Contains(s, "@")
	if at {
		s = email.ReplaceAllString(s, PlaceholderEmail)
	}
	if strings.Contains(s, ".") {
		s = wwwURL.ReplaceAllStringFunc(s, replaceURL)
		s = bareGeneric.ReplaceAllStringFunc(s, replaceURL)
		s = bareCountry.ReplaceAllStringFunc(s, replaceURL)
	}
	if at {
		s = handle.ReplaceAllString(s, "${1}"+PlaceholderHandle)
	}
	return scrubDigits(s)
}

// trailing is punctuation that ends a sentence rather than a URL.
const trailing = `.,;:!?)]}'"»›…،؛؟`

// replaceURL replaces a matched URL by [link], giving back trailing
// punctuation so "see example.com." keeps its full stop.
func replaceURL(m string) string {
	end := len(m)
	for end > 0 {
		r, size := utf8.DecodeLastRuneInString(m[:end])
		if !strings.ContainsRune(trailing, r) {
			break
		}
		end -= size
	}
	return PlaceholderLink + m[end:]
}

// isSep reports whether r may separate digit groups of one number.
func isSep(r rune) bool {
	switch r {
	case ' ', '\u00a0', '\u202f', '\u2009', '-', '\u2010', '\u2011', '\u2012', '\u2013', '.', '(', ')':
		return true
	}
	return false
}

// maxSep is the longest run of separators inside one number: ") " in
// "(020) 123", " - " in "0712 - 345".
const maxSep = 3

// scrubDigits replaces phone numbers and long digit sequences.
func scrubDigits(s string) string {
	var b strings.Builder
	rs := []rune(s)
	last := 0 // rs[last:] not yet written
	for i := 0; i < len(rs); {
		if !unicode.IsDigit(rs[i]) {
			i++
			continue
		}
		// Start of a sequence: include a "+" or "(" prefix ("+(", "(+").
		start := i
		for start > last && start > i-2 && (rs[start-1] == '+' || rs[start-1] == '(') {
			start--
		}
		var groups []int // digits per group
		var seps []string
		j := i
		for {
			n := 0
			for j < len(rs) && unicode.IsDigit(rs[j]) {
				j++
				n++
			}
			groups = append(groups, n)
			// Look for separators followed by a digit.
			k := j
			for k < len(rs) && k-j < maxSep && isSep(rs[k]) {
				k++
			}
			if k > j && k < len(rs) && unicode.IsDigit(rs[k]) {
				seps = append(seps, string(rs[j:k]))
				j = k
				continue
			}
			break
		}
		if repl, ok := digitVerdict(rs[start:j], rs[i], groups, seps); ok {
			b.WriteString(string(rs[last:start]))
			b.WriteString(repl)
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(string(rs[last:]))
	return b.String()
}

// digitVerdict decides whether one digit sequence is removed, and by what.
// seq is the sequence with its prefix, first its first digit.
func digitVerdict(seq []rune, first rune, groups []int, seps []string) (string, bool) {
	total, longest := 0, 0
	for _, g := range groups {
		total += g
		longest = max(longest, g)
	}
	prefixed := seq[0] == '+' || seq[0] == '('
	zero := unicode.IsDigit(first) && digitValue(first) == 0
	if total < 6 {
		return "", false
	}
	if longest < 6 {
		if len(groups) == 2 && total == 6 && !prefixed && !zero {
			return "", false
		}
		if isDate(seq, groups, seps) {
			return "", false
		}
	}
	if (prefixed || zero) && total >= 7 {
		return PlaceholderPhone, true
	}
	return PlaceholderNumber, true
}

// isDate reports whether a three-group sequence with one repeated "." or
// "-" separator reads as a date: d.m.yyyy or yyyy-m-d with a day 1..31, a
// month 1..12 and a year 1900..2099.
func isDate(seq []rune, groups []int, seps []string) bool {
	if len(groups) != 3 || seps[0] != seps[1] || (seps[0] != "." && seps[0] != "-") {
		return false
	}
	if seq[0] == '+' || seq[0] == '(' {
		return false
	}
	vals := make([]int, 0, 3)
	n := 0
	for _, r := range seq {
		if unicode.IsDigit(r) {
			n = n*10 + digitValue(r)
			continue
		}
		vals = append(vals, n)
		n = 0
	}
	vals = append(vals, n)
	if len(vals) != 3 {
		return false
	}
	day := func(v int) bool { return v >= 1 && v <= 31 }
	month := func(v int) bool { return v >= 1 && v <= 12 }
	year := func(v int) bool { return v >= 1900 && v <= 2099 }
	switch {
	case groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4:
		return (day(vals[0]) && month(vals[1]) || month(vals[0]) && day(vals[1])) && year(vals[2])
	case groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2:
		return year(vals[0]) && month(vals[1]) && day(vals[2])
	}
	return false
}

// digitValue returns the value 0..9 of a decimal digit of any script.
func digitValue(r rune) int {
	// Unicode decimal digits come in contiguous runs of whole sets of ten,
	// each starting with a zero (mathematical digits: five sets in a row).
	z := r
	for z > 0 && unicode.IsDigit(z-1) {
		z--
	}
	return int(r-z) % 10
}
