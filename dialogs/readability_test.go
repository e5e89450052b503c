package dialogs

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
)

var (
	reSentence = regexp.MustCompile(`[.!?]+(\s|$)|\n`)
	reVowels   = regexp.MustCompile(`[aeiouy]+`)
)

// syllables estimates the syllables of an English word: groups of vowels,
// less a silent final "e" ("take"), at least one.
func syllables(w string) int {
	w = strings.ToLower(w)
	n := len(reVowels.FindAllString(w, -1))
	if strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "le") && n > 1 {
		n--
	}
	if strings.HasSuffix(w, "es") || strings.HasSuffix(w, "ed") {
		if n > 1 && !strings.HasSuffix(w, "ted") && !strings.HasSuffix(w, "ded") && !strings.HasSuffix(w, "ses") && !strings.HasSuffix(w, "ces") {
			n--
		}
	}
	return max(n, 1)
}

// fleschEase is the Flesch reading ease of text: 206.835 − 1.015 ×
// words per sentence − 84.6 × syllables per word. 60 and above is plain
// English, read easily by 13- to 15-year-olds.
func fleschEase(text string) (score float64, words int) {
	sentences := 0
	syl := 0
	for _, s := range reSentence.Split(text, -1) {
		ws := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '-' })
		n := 0
		for _, w := range ws {
			if strings.IndexFunc(w, unicode.IsLetter) < 0 {
				continue
			}
			n++
			syl += syllables(w)
		}
		if n > 0 {
			sentences++
			words += n
		}
	}
	if words == 0 {
		return 100, 0
	}
	return 206.835 - 1.015*float64(words)/float64(sentences) - 84.6*float64(syl)/float64(words), words
}

// TestReadability: the bundled scripts' English is plain — a Flesch
// reading ease of at least 60 over everything a respondent reads (intro,
// consent, questions, options, outro) — and each consent is at most 50
// words, in every language.
func TestReadability(t *testing.T) {
	scripts, err := LoadFS(Bundled())
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scripts {
		parts := []string{sc.Text(sc.Intro, "en"), sc.Text(sc.Consent, "en"), sc.Text(sc.Outro, "en")}
		for _, q := range sc.Questions {
			parts = append(parts, sc.Text(q.Text, "en"))
			for _, o := range q.Options {
				parts = append(parts, sc.Text(o.Label, "en")+".")
			}
		}
		score, words := fleschEase(strings.Join(parts, "\n"))
		t.Logf("%s: Flesch reading ease %.1f over %d words", sc.ID, score, words)
		if score < 60 {
			t.Errorf("%s: English Flesch reading ease %.1f, want at least 60", sc.ID, score)
		}
		for _, lang := range sc.Languages {
			n := 0
			for _, w := range strings.Fields(sc.Text(sc.Consent, lang)) {
				if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
					n++ // a word, not a lone ":" or "?"
				}
			}
			if n > 50 {
				t.Errorf("%s (%s): consent is %d words, want at most 50", sc.ID, lang, n)
			}
		}
	}
}

func TestSyllables(t *testing.T) {
	for w, want := range map[string]int{"the": 1, "take": 1, "anonymous": 4, "people": 2, "answered": 2, "consultation": 4, "a": 1, "city": 2} {
		if got := syllables(w); got != want {
			t.Errorf("syllables(%q): got %d, want %d", w, got, want)
		}
	}
}
