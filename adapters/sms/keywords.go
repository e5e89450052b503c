package sms

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/invite"
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
	"MORE": {"more", ""}, "PLUS": {"more", "fr"}, "المزيد": {"more", "ar"},
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
	if len(words) == 0 || len(words) > 4 || len(t) > 100 {
		return Parsed{Kind: bot.KindText, Text: body}
	}
	first := normWord(words[0])
	if k, ok := keywords[first]; ok && len(words) == 1 {
		return Parsed{Kind: bot.KindCommand, Command: k.command, Lang: k.lang}
	}
	if lang, ok := joinWords[first]; ok {
		p := Parsed{Kind: bot.KindCommand, Command: "start", Lang: lang}
		rest := words[1:]
		// The invite code last: one word, or a printed code typed with a
		// space for its dash ("K7QM4 XPD9R").
		if n := len(rest); n >= 2 && len(rest[n-2]) == invite.Length/2 && len(rest[n-1]) == invite.Length/2 &&
			isInvite(rest[n-2]+rest[n-1]) {
			p.Code, rest = strings.ToUpper(rest[n-2]+"-"+rest[n-1]), rest[:n-2]
		} else if n >= 1 && (n == 2 || isCode(rest[n-1])) {
			if !isCode(rest[n-1]) {
				return Parsed{Kind: bot.KindText, Text: body}
			}
			p.Code, rest = strings.ToUpper(rest[n-1]), rest[:n-1]
		}
		switch len(rest) {
		case 0:
		case 1:
			p.Keyword = normWord(rest[0])
		default:
			return Parsed{Kind: bot.KindText, Text: body}
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

// isCode reports whether w looks like an invite code: one in Baraza's
// alphabet (ten characters, a dash or none), or 4 to 16 letters, digits or
// dashes with at least one digit (so a keyword word is never taken for a
// code).
func isCode(w string) bool {
	if isInvite(w) {
		return true
	}
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

// isInvite reports whether w is an invite code of Baraza's own form
// (internal/invite), which may be all letters.
func isInvite(w string) bool {
	_, ok := invite.Normalize(w)
	return ok && !strings.ContainsAny(w, " _")
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
