package sms

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/baraza/baraza/bot"
)

// keywords maps a whole message (upper-cased, accents folded, a leading
// "/" dropped) to a router command, in every bundled language: a person
// may type STOP in English while answering in French.
var keywords = map[string]struct{ command, lang string }{
	"STOP": {"stop", ""}, "ARRET": {"stop", "fr"}, "ARRETER": {"stop", "fr"}, "STOPPER": {"stop", "fr"},
	"توقف": {"stop", "ar"}, "إيقاف": {"stop", "ar"}, "ايقاف": {"stop", "ar"}, "قف": {"stop", "ar"},
	"HELP": {"help", ""}, "AIDE": {"help", "fr"}, "مساعدة": {"help", "ar"},
	"BACK": {"back", ""}, "RETOUR": {"back", "fr"}, "رجوع": {"back", "ar"},
	"SKIP": {"skip", ""}, "PASSER": {"skip", "fr"}, "تخطي": {"skip", "ar"},
	"LANG": {"lang", ""}, "LANGUAGE": {"lang", ""}, "LANGUE": {"lang", "fr"}, "لغة": {"lang", "ar"},
}

// joinWords open a consultation: "JOIN", "JOIN SAFETY", "JOIN SAFETY K7P2Q".
var joinWords = map[string]string{
	"JOIN": "", "START": "", "REJOINDRE": "fr", "PARTICIPER": "fr", "COMMENCER": "fr",
	"انضم": "ar", "ابدأ": "ar", "ابدا": "ar", "مشاركة": "ar",
}

// Parsed is what an inbound text means.
type Parsed struct {
	Kind    bot.EventKind
	Command string // KindCommand
	Text    string // KindText
	// Keyword is the word after JOIN ("SAFETY"), upper-cased; Code the
	// invite code after it, if any.
	Keyword, Code string
	// Lang is the language the keyword was written in, "" if none.
	Lang string
}

// ParseText reads an SMS body: a keyword alone (STOP, ARRET, توقف, HELP,
// BACK, SKIP, LANG in each language), JOIN with an optional consultation
// keyword and invite code, or anything else as a typed answer.
func ParseText(body string) Parsed {
	t := strings.TrimSpace(strings.ToValidUTF8(body, "\uFFFD"))
	words := strings.Fields(t)
	if len(words) == 0 || len(words) > 3 || len(t) > 100 {
		return Parsed{Kind: bot.KindText, Text: body}
	}
	first := normWord(words[0])
	if k, ok := keywords[first]; ok && len(words) == 1 {
		return Parsed{Kind: bot.KindCommand, Command: k.command, Lang: k.lang}
	}
	if lang, ok := joinWords[first]; ok {
		p := Parsed{Kind: bot.KindCommand, Command: "start", Lang: lang}
		switch rest := words[1:]; len(rest) {
		case 1:
			if isCode(rest[0]) {
				p.Code = strings.ToUpper(rest[0])
			} else {
				p.Keyword = normWord(rest[0])
			}
		case 2:
			if !isCode(rest[1]) {
				return Parsed{Kind: bot.KindText, Text: body}
			}
			p.Keyword, p.Code = normWord(rest[0]), strings.ToUpper(rest[1])
		}
		if p.Keyword != "" && !validKeyword(p.Keyword) {
			return Parsed{Kind: bot.KindText, Text: body}
		}
		return p
	}
	return Parsed{Kind: bot.KindText, Text: body}
}

// normWord upper-cases a keyword, drops a leading "/" and folds Latin
// accents (ARRÊT, arrêt and ARRET are one keyword).
func normWord(w string) string {
	w = strings.TrimPrefix(w, "/")
	w = strings.TrimRight(w, ".!")
	var b strings.Builder
	for _, r := range strings.ToUpper(w) {
		switch r {
		case 'Ê', 'É', 'È', 'Ë':
			r = 'E'
		case 'À', 'Â':
			r = 'A'
		case 'Î', 'Ï':
			r = 'I'
		case 'Ô':
			r = 'O'
		case 'Û', 'Ù':
			r = 'U'
		case 'Ç':
			r = 'C'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isCode reports whether w looks like an invite code: 4 to 16 letters,
// digits or dashes with at least one digit (so a keyword word is never
// taken for a code).
func isCode(w string) bool {
	if n := utf8.RuneCountInString(w); n < 4 || n > 16 {
		return false
	}
	digit := false
	for _, r := range w {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-':
		default:
			return false
		}
	}
	return digit
}

// validKeyword is a consultation keyword or id as typed.
func validKeyword(w string) bool {
	if w == "" || len(w) > 40 {
		return false
	}
	for _, r := range w {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
