package privacy_test

// An external test: dialogs imports privacy (a script's ε), so a test that
// loads the bundled scripts cannot be inside package privacy.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
)

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
			promise := privacy.Promise(lang)
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
	for _, r := range privacy.Removes {
		out = append(out, r.ID)
	}
	return out
}
