package privacy

import (
	"regexp"
	"strings"
	"testing"

	"github.com/baraza/baraza/dialogs"
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

// Words that, in a sentence of a consent text, promise that something is
// taken out of comments, and the words for what could be promised.
var (
	removalWords = regexp.MustCompile(`(?i)\b(remov\w*|scrub\w*|strip\w*|delet\w*|retir\w*|supprim\w*|sans)\b|حذف|نحذف|يحذف|تحذف|إزالة|نزيل`)
	kindWords    = regexp.MustCompile(`(?i)\b(names?|phones?|numbers?|e-?mails?|links?|handles?|noms?|numéros?|téléphones?|courriels?|liens?|pseudos?)\b|اسم|أسماء|الأسماء|رقم|أرقام|الأرقام|بريد|رابط|روابط|الروابط|معرّف`)
	sentenceEnd  = regexp.MustCompile(`[.!?؟]\s+`)
)

// TestConsentPromiseIsTheCode: the consent of every bundled script with a
// free-text question says what Scrub removes in exactly Promise's words,
// and no other sentence of any consent promises a removal — so a promise
// added to a script without the code fails here.
func TestConsentPromiseIsTheCode(t *testing.T) {
	scripts, err := dialogs.LoadFS(dialogs.Bundled())
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scripts {
		hasText := false
		for _, q := range sc.Questions {
			hasText = hasText || q.Type == dialogs.TypeText
		}
		for _, lang := range sc.Languages {
			consent := strings.Join(strings.Fields(sc.Text(sc.Consent, lang)), " ")
			promise := Promise(lang)
			if hasText && !strings.Contains(consent, promise) {
				t.Errorf("%s (%s): the consent does not say what is removed from comments; want the sentence %q in:\n%s", sc.ID, lang, promise, consent)
			}
			rest := strings.ReplaceAll(consent, promise, " ")
			for _, s := range sentenceEnd.Split(rest, -1) {
				if removalWords.MatchString(s) && kindWords.MatchString(s) {
					t.Errorf("%s (%s): %q promises a removal that Promise does not make (Scrub removes only %v)", sc.ID, lang, s, ids())
				}
			}
		}
	}
}

func ids() []string {
	var out []string
	for _, r := range Removes {
		out = append(out, r.ID)
	}
	return out
}
