package dialogs

import "strings"

// endonyms are languages' names in themselves, for the language buttons.
var endonyms = map[string]string{
	"am": "አማርኛ",
	"ar": "العربية",
	"bm": "Bamanankan",
	"bn": "বাংলা",
	"de": "Deutsch",
	"en": "English",
	"es": "Español",
	"fa": "فارسی",
	"ff": "Fulfulde",
	"fr": "Français",
	"ha": "Hausa",
	"hi": "हिन्दी",
	"id": "Bahasa Indonesia",
	"ig": "Igbo",
	"it": "Italiano",
	"ku": "Kurdî",
	"lg": "Luganda",
	"ln": "Lingála",
	"mg": "Malagasy",
	"ne": "नेपाली",
	"om": "Afaan Oromoo",
	"ps": "پښتو",
	"pt": "Português",
	"ru": "Русский",
	"rw": "Kinyarwanda",
	"sn": "chiShona",
	"so": "Soomaali",
	"sw": "Kiswahili",
	"ta": "தமிழ்",
	"ti": "ትግርኛ",
	"tr": "Türkçe",
	"uk": "Українська",
	"ur": "اردو",
	"wo": "Wolof",
	"xh": "isiXhosa",
	"yo": "Yorùbá",
	"zh": "中文",
	"zu": "isiZulu",
}

// LanguageName returns a language's name in that language ("fr" ->
// "Français"), or the code itself when the table does not know it.
func LanguageName(code string) string {
	if n, ok := endonyms[code]; ok {
		return n
	}
	if n, ok := endonyms[baseLang(code)]; ok {
		return n
	}
	return code
}

// baseLang is the primary subtag of a BCP 47 code, lower-case ("ar-EG" -> "ar").
func baseLang(code string) string {
	if i := strings.IndexAny(code, "-_"); i >= 0 {
		code = code[:i]
	}
	return strings.ToLower(code)
}

// pickLang returns the script language that best matches a platform's
// locale hint, or the default language.
func pickLang(s *Script, hint string) string {
	if len(s.Languages) == 0 {
		return ""
	}
	for _, l := range s.Languages {
		if strings.EqualFold(l, hint) {
			return l
		}
	}
	b := baseLang(hint)
	for _, l := range s.Languages {
		if baseLang(l) == b {
			return l
		}
	}
	return s.Languages[0]
}
