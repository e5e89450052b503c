package sms

import (
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	a, alef := strings.Repeat, "ا"
	tests := []struct {
		name string
		text string
		want Segments
	}{
		{"empty", "", Segments{GSM7, 0, 1}},
		{"160 GSM-7 fit one SMS", a("a", 160), Segments{GSM7, 160, 1}},
		{"161 take two parts", a("a", 161), Segments{GSM7, 161, 2}},
		{"306 fill two parts of 153", a("a", 306), Segments{GSM7, 306, 2}},
		{"307 need a third", a("a", 307), Segments{GSM7, 307, 3}},
		{"extension characters count two", a("€", 80), Segments{GSM7, 160, 1}},
		{"one more extension character passes 160", "a" + a("€", 80), Segments{GSM7, 161, 2}},
		{"an escape pair is never split", a("a", 152) + "€" + a("b", 10), Segments{GSM7, 164, 2}},
		{"escape pair at a part's end", a("a", 151) + "€" + a("b", 153), Segments{GSM7, 306, 2}},
		{"GSM-7 accents stay GSM-7", "é è ù ì ò à Ç Ñ ü", Segments{GSM7, 17, 1}},
		{"70 UCS-2 fit one SMS", a(alef, 70), Segments{UCS2, 70, 1}},
		{"71 UCS-2 take two", a(alef, 71), Segments{UCS2, 71, 2}},
		{"134 UCS-2 fill two parts of 67", a(alef, 134), Segments{UCS2, 134, 2}},
		{"135 UCS-2 need a third", a(alef, 135), Segments{UCS2, 135, 3}},
		{"one Arabic letter makes it all UCS-2", a("a", 69) + alef, Segments{UCS2, 70, 1}},
		{"an emoji is two UTF-16 units", "😀", Segments{UCS2, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Count(tt.text); got != tt.want {
				t.Errorf("Count: got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPrepare(t *testing.T) {
	tests := []struct {
		name, text, want string
		enc              Encoding
	}{
		{"GSM-7 unchanged", "Bonjour à tous, ça va ? {ok}", "Bonjour à tous, ca va ? {ok}", GSM7},
		{"French folded to GSM-7", "Êtes-vous d’accord ? « Oui » – sûr…", "Etes-vous d'accord ? \" Oui \" - sur...", GSM7},
		{"no-break spaces folded", "Oui\u00a0: non\u202f?", "Oui : non ?", GSM7},
		{"Arabic kept, UCS-2", "هل توافق؟ 1. نعم", "هل توافق؟ 1. نعم", UCS2},
		{"Arabic with French accents kept as is", "ê توقف", "ê توقف", UCS2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, seg := Prepare(tt.text)
			if got != tt.want || seg.Encoding != tt.enc {
				t.Errorf("Prepare(%q): got %q %v, want %q %v", tt.text, got, seg.Encoding, tt.want, tt.enc)
			}
			if seg != Count(got) {
				t.Errorf("Prepare's cost %+v differs from Count of its text %+v", seg, Count(got))
			}
		})
	}
}
