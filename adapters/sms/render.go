package sms

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
)

// smsUI are the SMS adapter's own strings: what a phone without buttons
// needs instead of the chat wording.
var smsUI = map[string]map[string]string{
	"en": {
		"reply_number": "Reply with the number of your answer.",
		"reply_range":  "Reply %s to %s.",
		"reply_many":   "Reply with the numbers of all that apply, e.g. 1 3",
		"reply_typed":  "Reply with your answer.",
		"reply_amount": "Reply with a number.",
		"nav_skip":     "SKIP to skip",
		"nav_back":     "BACK to go back",
		"nav_more":     "MORE for details",
		"consent": "Your answers are anonymous: we keep no name and no phone number, only answers added to everyone else's. " +
			"Reply STOP at any time to end and delete your answers. SMS cannot be deleted from your phone: delete them yourself if you need to. Do you agree?",
		"no_session":           "Send JOIN to begin.",
		"invalid_choice":       "Please reply with the number of your answer.",
		"unknown_command":      "I don't know that word. Send HELP to see what you can do.",
		"select_one":           "Please reply with at least one number.",
		"unknown_consultation": "I don't know this consultation. Please check the keyword you were given.",
		"help": "Reply with the number of your answer. BACK: previous question. SKIP: skip an optional question. LANG: change language. " +
			"STOP: end now and delete your answers (SMS stay on your phone until you delete them). HELP: this message.",
	},
	"fr": {
		"reply_number": "Répondez par le numéro de votre réponse.",
		"reply_range":  "Répondez de %s à %s.",
		"reply_many":   "Répondez par les numéros de tout ce qui s'applique, ex. 1 3",
		"reply_typed":  "Répondez en écrivant votre réponse.",
		"reply_amount": "Répondez par un nombre.",
		"nav_skip":     "PASSER pour passer",
		"nav_back":     "RETOUR pour revenir",
		"nav_more":     "PLUS pour en savoir plus",
		"consent": "Vos réponses sont anonymes : nous ne gardons ni nom ni numéro de téléphone, seulement les réponses additionnées à celles des autres. " +
			"Envoyez ARRET à tout moment pour arrêter et effacer vos réponses. Les SMS ne peuvent pas être effacés de votre téléphone : effacez-les vous-même si besoin. Acceptez-vous ?",
		"no_session":           "Envoyez REJOINDRE pour commencer.",
		"invalid_choice":       "Veuillez répondre par le numéro de votre réponse.",
		"unknown_command":      "Je ne connais pas ce mot. Envoyez AIDE pour voir ce que vous pouvez faire.",
		"select_one":           "Veuillez répondre par au moins un numéro.",
		"unknown_consultation": "Je ne connais pas cette consultation. Vérifiez le mot-clé qui vous a été donné.",
		"help": "Répondez par le numéro de votre réponse. RETOUR : question précédente. PASSER : passer une question facultative. LANGUE : changer de langue. " +
			"ARRET : arrêter et effacer vos réponses (les SMS restent sur votre téléphone tant que vous ne les effacez pas). AIDE : ce message.",
	},
	"ar": {
		"reply_number": "أرسل رقم إجابتك.",
		"reply_range":  "أرسل رقمًا من %s إلى %s.",
		"reply_many":   "أرسل أرقام كل ما ينطبق، مثلًا 1 3",
		"reply_typed":  "أرسل إجابتك.",
		"reply_amount": "أرسل عددًا.",
		"nav_skip":     "تخطي للتخطي",
		"nav_back":     "رجوع للعودة",
		"nav_more":     "المزيد للتفاصيل",
		"consent": "إجاباتك مجهولة الهوية: لا نحتفظ باسمك ولا برقم هاتفك، بل بالإجابات فقط مجمّعة مع إجابات الآخرين. " +
			"أرسل توقف في أي وقت للإنهاء وحذف إجاباتك. لا يمكن حذف الرسائل من هاتفك: احذفها بنفسك. هل توافق؟",
		"no_session":           "أرسل انضم للبدء.",
		"invalid_choice":       "يرجى إرسال رقم إجابتك.",
		"unknown_command":      "لا أعرف هذه الكلمة. أرسل مساعدة لمعرفة ما يمكنك فعله.",
		"select_one":           "يرجى إرسال رقم واحد على الأقل.",
		"unknown_consultation": "لا أعرف هذه الاستشارة. تحقق من الكلمة التي أُعطيت لك.",
		"help": "أرسل رقم إجابتك. رجوع: السؤال السابق. تخطي: تخطي سؤال اختياري. لغة: تغيير اللغة. " +
			"توقف: الإنهاء الآن وحذف إجاباتك (تبقى الرسائل على هاتفك حتى تحذفها). مساعدة: هذه الرسالة.",
	},
}

func ui(lang, key string, args ...any) string {
	l := lang
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	m, ok := smsUI[l]
	if !ok {
		m = smsUI["en"]
	}
	s, ok := m[key]
	if !ok {
		s = smsUI["en"][key]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// coreUI are the core's chat strings that say "button", "press" or
// "/command"; an SMS says the same with keywords and numbers.
var coreUI = []struct{ core, sms string }{
	{"help", "help"},
	{"no_session", "no_session"},
	{"invalid_choice", "invalid_choice"},
	{"unknown_command", "unknown_command"},
	{"select_at_least_one", "select_one"},
	{"unknown_consultation", "unknown_consultation"},
}

// hints are the core's hint lines under a question; the SMS list says it
// its own way.
var hints = []string{"type_number", "type_text", "choose_many"}

// commandWords replace chat commands in any text, the script's included.
var commandWords = strings.NewReplacer(
	"/start", "JOIN", "/stop", "STOP", "/help", "HELP", "/back", "BACK",
	"/skip", "SKIP", "/lang", "LANG", "/report", "JOIN", "/results", "HELP")

// Render turns one bot message into the text of one SMS: buttons become a
// numbered list ("1. North district") or a range ("Reply 1 to 5."), Skip
// and Back become keywords, the consent is the SMS consent (which says
// that an SMS stays on the phone), and chat commands become keywords.
func Render(m bot.Message) string {
	lang := m.Lang
	if lang == "" {
		lang = "en"
	}
	text := m.Text
	for _, c := range coreUI {
		if s := dialogs.UI(lang, c.core); strings.Contains(text, s) {
			text = strings.Replace(text, s, ui(lang, c.sms), 1)
		}
	}
	hint := ""
	for _, h := range hints {
		if t, ok := strings.CutSuffix(text, "\n"+dialogs.UI(lang, h)); ok {
			text, hint = t, h
		}
	}

	var answers, nav []bot.Button
	consent, multi := false, false
	for _, b := range m.Buttons {
		switch suffix(b.Data) {
		case "y", "n":
			consent = true
		}
		if b.Toggle {
			multi = true
		}
		if b.Nav {
			nav = append(nav, b)
		} else {
			answers = append(answers, b)
		}
	}
	if consent {
		// Keep what comes before the consent (the last paragraph: the
		// title, the intro after MORE); the chat consent promises an
		// erased conversation, which SMS cannot keep.
		head := ""
		if i := strings.LastIndex(text, "\n\n"); i >= 0 {
			head = text[:i] + "\n\n"
		}
		text = head + ui(lang, "consent")
	}

	var b strings.Builder
	b.WriteString(commandWords.Replace(strings.TrimSpace(text)))
	lo, hi, isRange := numberRange(answers)
	switch {
	case hint == "type_text":
		b.WriteString("\n" + ui(lang, "reply_typed"))
	case hint == "type_number":
		b.WriteString("\n" + ui(lang, "reply_amount"))
	case len(answers) == 0:
	case isRange && !multi:
		b.WriteString("\n" + ui(lang, "reply_range", lo, hi))
	default:
		for i, a := range answers {
			fmt.Fprintf(&b, "\n%d. %s", i+1, a.Label)
		}
		if multi {
			b.WriteString("\n" + ui(lang, "reply_many"))
		} else {
			b.WriteString("\n" + ui(lang, "reply_number"))
		}
	}
	var keys []string
	for _, n := range nav {
		switch suffix(n.Data) {
		case "s":
			keys = append(keys, ui(lang, "nav_skip"))
		case "b":
			keys = append(keys, ui(lang, "nav_back"))
		case "m":
			keys = append(keys, ui(lang, "nav_more"))
		}
	}
	if len(keys) > 0 {
		b.WriteString("\n" + strings.Join(keys, ", "))
	}
	return b.String()
}

// numberRange reports whether the answer labels are consecutive whole
// numbers (a scale), and its ends.
func numberRange(bs []bot.Button) (lo, hi string, ok bool) {
	if len(bs) < 2 {
		return "", "", false
	}
	first, err := strconv.Atoi(bs[0].Label)
	if err != nil {
		return "", "", false
	}
	for i, b := range bs {
		if n, err := strconv.Atoi(b.Label); err != nil || n != first+i {
			return "", "", false
		}
	}
	return bs[0].Label, bs[len(bs)-1].Label, true
}

// suffix is what follows the token in a button's Data ("<token>:<x>").
func suffix(data string) string {
	_, x, _ := strings.Cut(data, ":")
	return x
}
