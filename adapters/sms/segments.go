package sms

import (
	"strings"
	"unicode/utf16"
)

// Encoding is how a message travels over the air.
type Encoding int

const (
	// GSM7 is the GSM 03.38 default alphabet: 160 characters in one SMS,
	// 153 per part of a longer one; the extension characters ^ { } \ [ ] ~ |
	// € and form feed take two.
	GSM7 Encoding = iota
	// UCS2 is UTF-16: 70 units in one SMS, 67 per part. Needed for Arabic
	// and anything else outside GSM-7.
	UCS2
)

func (e Encoding) String() string {
	if e == UCS2 {
		return "UCS-2"
	}
	return "GSM-7"
}

// Kannel's X-Kannel-Coding values.
func (e Encoding) coding() string {
	if e == UCS2 {
		return "2"
	}
	return "0"
}

// Segments is what one message costs.
type Segments struct {
	Encoding Encoding
	// Units are GSM-7 septets (extension characters count 2) or UTF-16
	// code units.
	Units int
	// Parts is the number of SMS billed: 1 up to 160 septets / 70 units,
	// else one per 153 septets / 67 units (a two-septet extension
	// character is never split across parts).
	Parts int
}

const (
	gsmSingle, gsmPart = 160, 153
	ucsSingle, ucsPart = 70, 67
)

// gsmBasic is the GSM 03.38 default alphabet (without the escape code).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension is the default extension table: each costs an escape septet
// plus its own.
const gsmExtension = "\f^{}\\[~]|€"

// septets returns how many septets r takes in GSM-7, 0 if it has none.
func septets(r rune) int {
	switch {
	case strings.ContainsRune(gsmBasic, r):
		return 1
	case strings.ContainsRune(gsmExtension, r):
		return 2
	}
	return 0
}

// IsGSM7 reports whether every character of s is in the GSM-7 alphabet.
func IsGSM7(s string) bool {
	for _, r := range s {
		if septets(r) == 0 {
			return false
		}
	}
	return true
}

// Count returns the cost of s sent as is: GSM-7 when every character is in
// its alphabet, else UCS-2.
func Count(s string) Segments {
	if IsGSM7(s) {
		units, parts, inPart := 0, 1, 0
		for _, r := range s {
			n := septets(r)
			units += n
			if inPart+n > gsmPart {
				parts++
				inPart = 0
			}
			inPart += n
		}
		if units <= gsmSingle {
			parts = 1
		}
		return Segments{Encoding: GSM7, Units: units, Parts: parts}
	}
	units := len(utf16.Encode([]rune(s)))
	parts := 1
	if units > ucsSingle {
		parts = (units + ucsPart - 1) / ucsPart
	}
	return Segments{Encoding: UCS2, Units: units, Parts: parts}
}

// fold maps characters outside GSM-7 that French (and other Latin-script
// languages) use to the nearest GSM-7 ones. One accent must not make a
// whole message UCS-2, which more than doubles its cost.
var fold = map[rune]string{
	'â': "a", 'á': "a", 'ã': "a", 'À': "A", 'Â': "A", 'Á': "A", 'Ã': "A",
	'ê': "e", 'ë': "e", 'È': "E", 'Ê': "E", 'Ë': "E",
	'î': "i", 'ï': "i", 'í': "i", 'Î': "I", 'Ï': "I", 'Í': "I",
	'ô': "o", 'ó': "o", 'õ': "o", 'Ô': "O", 'Ó': "O", 'Õ': "O",
	'û': "u", 'ú': "u", 'Û': "U", 'Ù': "U", 'Ú': "U",
	'ç': "c", 'ÿ': "y", 'Ÿ': "Y", 'œ': "oe", 'Œ': "OE",
	'’': "'", '‘': "'", 'ʼ': "'", '“': "\"", '”': "\"", '«': "\"", '»': "\"",
	'…': "...", '–': "-", '—': "-", '‑': "-", '•': "-",
	'\u00a0': " ", '\u202f': " ", '\u2009': " ", '\t': " ",
}

// Prepare returns the text to send and its cost: s folded to GSM-7 when
// folding is enough to make it fit that alphabet (French), else s
// unchanged in UCS-2 (Arabic).
func Prepare(s string) (string, Segments) {
	if IsGSM7(s) {
		return s, Count(s)
	}
	var b strings.Builder
	for _, r := range s {
		if f, ok := fold[r]; ok {
			b.WriteString(f)
			continue
		}
		if septets(r) == 0 {
			return s, Count(s)
		}
		b.WriteRune(r)
	}
	out := b.String()
	return out, Count(out)
}
