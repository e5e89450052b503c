package privacy

import "strings"

// Removal is one kind of thing Scrub takes out of free text, with an
// example it must remove and the words a consent text uses for it.
type Removal struct {
	ID          string
	Example     string // Scrub must replace Needle in it by Placeholder
	Needle      string
	Placeholder string
	Words       map[string]string // language -> how the promise names it
}

// Removes lists what Scrub removes, in the order Promise names them.
// Names are not in it: Scrub does not find names, so no text may say it
// removes them (promise_test.go checks the bundled scripts' consents).
var Removes = []Removal{
	{ID: "phone", Example: "call me on +254 712 345 678", Needle: "712 345 678", Placeholder: PlaceholderPhone,
		Words: map[string]string{"en": "phone numbers", "fr": "numéros de téléphone", "ar": "أرقام الهواتف"}},
	{ID: "email", Example: "write to amina@example.org", Needle: "amina@example.org", Placeholder: PlaceholderEmail,
		Words: map[string]string{"en": "e-mails", "fr": "e-mails", "ar": "البريد الإلكتروني"}},
	{ID: "link", Example: "see example.com/me", Needle: "example.com", Placeholder: PlaceholderLink,
		Words: map[string]string{"en": "links", "fr": "liens", "ar": "الروابط"}},
	{ID: "handle", Example: "I am @amina_k there", Needle: "@amina_k", Placeholder: PlaceholderHandle,
		Words: map[string]string{"en": "@handles", "fr": "pseudos @", "ar": "المعرّفات @"}},
	{ID: "number", Example: "my ID is 12345678", Needle: "12345678", Placeholder: PlaceholderNumber,
		Words: map[string]string{"en": "long numbers", "fr": "longs numéros", "ar": "الأرقام الطويلة"}},
}

// promiseFrames put the list of Removes into a sentence, and say that
// names are not removed, so people do not write them.
var promiseFrames = map[string][3]string{
	"en": {"We remove ", " from comments, but not names: please do not write names.", " and "},
	"fr": {"Nous retirons des commentaires les ", ", mais pas les noms : n'écrivez pas de noms.", " et "},
	"ar": {"نحذف من التعليقات ", "، لكن لا نحذف الأسماء: لا تكتب أسماء.", " و"},
}

// Promise is the sentence a consent text uses to say what is removed from
// comments, in lang (en, fr, ar), built from Removes so it cannot promise
// more than Scrub does. An unknown language gets "".
func Promise(lang string) string {
	f, ok := promiseFrames[lang]
	if !ok {
		return ""
	}
	words := make([]string, len(Removes))
	for i, r := range Removes {
		words[i] = r.Words[lang]
	}
	list := words[0]
	switch lang {
	case "ar":
		list = strings.Join(words, f[2])
	default:
		if len(words) > 1 {
			list = strings.Join(words[:len(words)-1], ", ") + f[2] + words[len(words)-1]
		}
	}
	return f[0] + list + f[1]
}
