package privacy

import (
	"strings"
	"testing"
)

// TestRemovesAreRemoved: each kind Promise names is removed by Scrub, and
// names — which the promise says are not removed — are indeed kept.
func TestRemovesAreRemoved(t *testing.T) {
	for _, r := range Removes {
		got := Scrub(r.Example)
		if strings.Contains(got, r.Needle) || !strings.Contains(got, r.Placeholder) {
			t.Errorf("%s: Scrub(%q) = %q, want %q replaced by %s", r.ID, r.Example, got, r.Needle, r.Placeholder)
		}
		for _, lang := range []string{"en", "fr", "ar"} {
			if r.Words[lang] == "" || !strings.Contains(Promise(lang), r.Words[lang]) {
				t.Errorf("%s: Promise(%s) does not name it", r.ID, lang)
			}
		}
	}
	if got := Scrub("my name is Amina Otieno"); !strings.Contains(got, "Amina Otieno") {
		t.Errorf("Scrub removes names now (%q): say so in Removes and Promise", got)
	}
}
