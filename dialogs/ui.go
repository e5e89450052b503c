package dialogs

import "fmt"

// UI returns a bundled interface string in lang (en, fr or ar; a regional
// code such as "fr-CA" uses its base; anything else falls back to English).
// args fill the key's %d/%s verbs:
//
//	out_of_range (min, max int), at_least (min int), at_most (max int),
//	too_long (max runes int), group_invite (link string).
//
// "language_name" is lang's own name. An unknown key returns the key.
func UI(lang, key string, args ...any) string {
	if key == "language_name" {
		return LanguageName(lang)
	}
	s, ok := uiStrings[baseLang(lang)][key]
	if !ok {
		if s, ok = uiStrings["en"][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// nb is the no-break space French puts before ":" "!" "?".
const nb = "\u00a0"

var uiStrings = map[string]map[string]string{
	"en": {
		"accept":     "I agree",
		"decline":    "No, thank you",
		"more":       "More information",
		"done":       "Done",
		"skip":       "Skip",
		"back":       "Back",
		"continue":   "Continue",
		"thanks":     "Thank you for taking part.",
		"declined":   "No problem. Nothing has been recorded. Goodbye.",
		"stopped":    "Stopped. Your answers have been deleted.",
		"closed":     "This consultation is not open right now.",
		"no_back":    "This is the first question: there is nothing to go back to.",
		"no_session": "Send /start to begin.",
		"help": "How this works:\n" +
			"/start – begin, or see the current question again\n" +
			"/report – report an incident, at any time\n" +
			"/lang – change the language\n" +
			"/back – go back to the previous question\n" +
			"/skip – skip a question that is optional\n" +
			"/stop – stop at once: your answers and this conversation are erased\n" +
			"/results – see the published results of a consultation\n" +
			"/help – show this message\n" +
			"Your answers are anonymous.",
		"choose_language":        "Choose your language",
		"one_language":           "This consultation is available in one language only.",
		"type_number":            "(type a number)",
		"type_text":              "(type your answer)",
		"choose_many":            "(choose one or more, then press Done)",
		"empty_text":             "Please type your answer.",
		"invalid_choice":         "Please choose one of the buttons, or type the number of your answer.",
		"invalid_number":         "Please type a number, for example 12 or 3.5.",
		"out_of_range":           "Please type a number between %d and %d.",
		"at_least":               "Please type a number of at least %d.",
		"at_most":                "Please type a number of at most %d.",
		"too_long":               "Your answer is too long: please keep it under %d characters.",
		"message_too_long":       "That message is too long. Please send a shorter one.",
		"not_optional":           "This question needs an answer before we go on.",
		"select_at_least_one":    "Please choose at least one option, then press Done.",
		"invalid_text":           "Sorry, this message contains characters I cannot accept. Please type it again as plain text.",
		"unknown_command":        "I don't know that command. Send /help to see what you can do.",
		"already_answered":       "Already answered.",
		"unknown_consultation":   "I don't know this consultation. Please check the link you were given.",
		"already_participated":   "You have already taken part. Thank you!",
		"results_not_published":  "The results of this consultation are not public.",
		"results_not_enough":     "Not enough people have answered yet: results are shown from %d responses.",
		"results_dp_first_at":    "No results yet: they are published on a fixed schedule, the first on %s.",
		"results_dp_first_close": "No results yet: they will be published when the consultation closes.",
		"results_hidden":         "hidden to protect respondents",
		"results_noisy":          "≈ %s (noise added)",
		"results_why_hidden":     "Hidden numbers count 1 to %d people, or would let such a small number be worked out from the others.",
		"results_why_noise":      "Random noise is added to every number (differential privacy), so that no one’s answers can be worked out.",
		"results_completed":      "%s people have answered.",
		"group_invite":           "Please talk to me in a private chat: %s",
		"type_date":              "(type a date, e.g. 2026-03-01 or 1/3/2026)",
		"type_time":              "(type a time, e.g. 14:30)",
		"rank":                   "(press the options in order of preference, the first first)",
		"rank_all":               "Please put all %d options in order.",
		"invalid_date":           "Please type a date, for example 2026-03-01 or 1/3/2026.",
		"invalid_time":           "Please type a time, for example 14:30.",
		"invalid_integer":        "Please type a whole number, for example 12.",
		"constraint":             "This answer is not accepted here. Please check it and try again.",
		"add_another":            "Add another “%s”?",
		"add_another_plain":      "Add another?",
		"yes_another":            "Yes, add another",
		"no_more":                "No, go on",
		"other":                  "Other",
		"specify_other":          "Specify other.",
		"ok":                     "OK",
		"consent_default":        "Your answers are anonymous: only the answers are kept, never who gave them. You can stop at any time with /stop, which also erases this conversation. Do you agree to take part?",
	},
	"fr": {
		"accept":     "J'accepte",
		"decline":    "Non merci",
		"more":       "En savoir plus",
		"done":       "Terminé",
		"skip":       "Passer",
		"back":       "Retour",
		"continue":   "Continuer",
		"thanks":     "Merci de votre participation.",
		"declined":   "Pas de problème. Rien n'a été enregistré. Au revoir.",
		"stopped":    "Arrêté. Vos réponses ont été effacées.",
		"closed":     "Cette consultation n'est pas ouverte en ce moment.",
		"no_back":    "C'est la première question" + nb + ": il n'y a rien avant.",
		"no_session": "Envoyez /start pour commencer.",
		"help": "Mode d'emploi" + nb + ":\n" +
			"/start – commencer, ou revoir la question en cours\n" +
			"/report – signaler un incident, à tout moment\n" +
			"/lang – changer de langue\n" +
			"/back – revenir à la question précédente\n" +
			"/skip – passer une question facultative\n" +
			"/stop – tout arrêter immédiatement" + nb + ": vos réponses et cette conversation sont effacées\n" +
			"/results – voir les résultats publiés d’une consultation\n" +
			"/help – afficher ce message\n" +
			"Vos réponses sont anonymes.",
		"choose_language":        "Choisissez votre langue",
		"one_language":           "Cette consultation n'existe qu'en une seule langue.",
		"type_number":            "(tapez un nombre)",
		"type_text":              "(tapez votre réponse)",
		"choose_many":            "(choisissez une ou plusieurs réponses, puis appuyez sur Terminé)",
		"empty_text":             "Veuillez taper votre réponse.",
		"invalid_choice":         "Veuillez choisir l'un des boutons, ou taper le numéro de votre réponse.",
		"invalid_number":         "Veuillez taper un nombre, par exemple 12 ou 3,5.",
		"out_of_range":           "Veuillez taper un nombre entre %d et %d.",
		"at_least":               "Veuillez taper un nombre supérieur ou égal à %d.",
		"at_most":                "Veuillez taper un nombre inférieur ou égal à %d.",
		"too_long":               "Votre réponse est trop longue" + nb + ": %d caractères au maximum, s'il vous plaît.",
		"message_too_long":       "Ce message est trop long. Veuillez en envoyer un plus court.",
		"not_optional":           "Cette question demande une réponse avant de continuer.",
		"select_at_least_one":    "Veuillez choisir au moins une réponse, puis appuyer sur Terminé.",
		"invalid_text":           "Désolé, ce message contient des caractères que je ne peux pas accepter. Veuillez le retaper en texte simple.",
		"unknown_command":        "Je ne connais pas cette commande. Envoyez /help pour voir ce que vous pouvez faire.",
		"already_answered":       "Déjà répondu.",
		"unknown_consultation":   "Je ne connais pas cette consultation. Veuillez vérifier le lien que vous avez reçu.",
		"already_participated":   "Vous avez déjà participé. Merci" + nb + "!",
		"results_not_published":  "Les résultats de cette consultation ne sont pas publics.",
		"results_not_enough":     "Pas encore assez de réponses" + nb + ": les résultats s’affichent à partir de %d réponses.",
		"results_dp_first_at":    "Pas encore de résultats" + nb + ": ils sont publiés selon un calendrier fixe, la première fois le %s.",
		"results_dp_first_close": "Pas encore de résultats" + nb + ": ils seront publiés à la clôture de la consultation.",
		"results_hidden":         "masqué pour protéger les répondants",
		"results_noisy":          "≈ %s (bruit ajouté)",
		"results_why_hidden":     "Un nombre masqué compte de 1 à %d personnes, ou permettrait de retrouver un si petit nombre à partir des autres.",
		"results_why_noise":      "Un bruit aléatoire est ajouté à chaque nombre (confidentialité différentielle), pour que personne ne puisse retrouver les réponses de quelqu’un.",
		"results_completed":      "%s personnes ont répondu.",
		"group_invite":           "Merci de me parler en conversation privée" + nb + ": %s",
		"type_date":              "(tapez une date, par ex. 2026-03-01 ou 1/3/2026)",
		"type_time":              "(tapez une heure, par ex. 14:30)",
		"rank":                   "(appuyez sur les réponses par ordre de préférence, la première d'abord)",
		"rank_all":               "Veuillez classer les %d réponses.",
		"invalid_date":           "Veuillez taper une date, par exemple 2026-03-01 ou 1/3/2026.",
		"invalid_time":           "Veuillez taper une heure, par exemple 14:30.",
		"invalid_integer":        "Veuillez taper un nombre entier, par exemple 12.",
		"constraint":             "Cette réponse n'est pas acceptée ici. Veuillez la vérifier et réessayer.",
		"add_another":            "Ajouter un autre «" + nb + "%s" + nb + "»" + nb + "?",
		"add_another_plain":      "En ajouter un autre" + nb + "?",
		"yes_another":            "Oui, en ajouter",
		"no_more":                "Non, continuer",
		"other":                  "Autre",
		"specify_other":          "Précisez" + nb + ":",
		"ok":                     "OK",
		"consent_default":        "Vos réponses sont anonymes" + nb + ": seules les réponses sont gardées, jamais l'identité de qui les a données. Vous pouvez arrêter à tout moment avec /stop, qui efface aussi cette conversation. Acceptez-vous de participer" + nb + "?",
	},
	"ar": {
		"accept":     "أوافق",
		"decline":    "لا، شكرًا",
		"more":       "مزيد من المعلومات",
		"done":       "تم",
		"skip":       "تخطٍّ",
		"back":       "رجوع",
		"continue":   "متابعة",
		"thanks":     "شكرًا لمشاركتك.",
		"declined":   "لا بأس. لم يُسجَّل أي شيء. مع السلامة.",
		"stopped":    "تم الإيقاف. حُذفت إجاباتك.",
		"closed":     "هذه الاستشارة غير مفتوحة حاليًا.",
		"no_back":    "هذا هو السؤال الأول: لا يوجد سؤال سابق للرجوع إليه.",
		"no_session": "أرسل /start للبدء.",
		"help": "طريقة الاستخدام:\n" +
			"/start – للبدء، أو لعرض السؤال الحالي مجددًا\n" +
			"/report – للإبلاغ عن حادثة في أي وقت\n" +
			"/lang – لتغيير اللغة\n" +
			"/back – للرجوع إلى السؤال السابق\n" +
			"/skip – لتخطي سؤال اختياري\n" +
			"/stop – للإيقاف فورًا: تُحذف إجاباتك وهذه المحادثة\n" +
			"/results – لعرض النتائج المنشورة لاستشارة\n" +
			"/help – لعرض هذه الرسالة\n" +
			"إجاباتك مجهولة الهوية.",
		"choose_language":        "اختر لغتك",
		"one_language":           "هذه الاستشارة متاحة بلغة واحدة فقط.",
		"type_number":            "(اكتب رقمًا)",
		"type_text":              "(اكتب إجابتك)",
		"choose_many":            "(اختر إجابة أو أكثر، ثم اضغط «تم»)",
		"empty_text":             "يرجى كتابة إجابتك.",
		"invalid_choice":         "يرجى اختيار أحد الأزرار، أو كتابة رقم إجابتك.",
		"invalid_number":         "يرجى كتابة رقم، مثل 12 أو 3.5.",
		"out_of_range":           "يرجى كتابة رقم بين %d و%d.",
		"at_least":               "يرجى كتابة رقم لا يقل عن %d.",
		"at_most":                "يرجى كتابة رقم لا يزيد على %d.",
		"too_long":               "إجابتك طويلة جدًا: يرجى ألا تتجاوز %d حرفًا.",
		"message_too_long":       "هذه الرسالة طويلة جدًا. يرجى إرسال رسالة أقصر.",
		"not_optional":           "هذا السؤال يحتاج إلى إجابة قبل المتابعة.",
		"select_at_least_one":    "يرجى اختيار إجابة واحدة على الأقل، ثم الضغط على «تم».",
		"invalid_text":           "عذرًا، تحتوي هذه الرسالة على رموز لا يمكنني قبولها. يرجى كتابتها مجددًا كنص عادي.",
		"unknown_command":        "لا أعرف هذا الأمر. أرسل /help لمعرفة ما يمكنك فعله.",
		"already_answered":       "تمت الإجابة بالفعل.",
		"unknown_consultation":   "لا أعرف هذه الاستشارة. يرجى التحقق من الرابط الذي وصلك.",
		"already_participated":   "لقد شاركت من قبل. شكرًا لك!",
		"results_not_published":  "نتائج هذه الاستشارة غير منشورة.",
		"results_not_enough":     "لم يُجب عدد كافٍ من الأشخاص بعد: تُعرض النتائج ابتداءً من %d إجابات.",
		"results_dp_first_at":    "لا نتائج بعد: تُنشر وفق جدول ثابت، أول مرة في %s.",
		"results_dp_first_close": "لا نتائج بعد: ستُنشر عند إغلاق الاستشارة.",
		"results_hidden":         "مخفي لحماية المشاركين",
		"results_noisy":          "≈ %s (مع ضجيج مضاف)",
		"results_why_hidden":     "الأعداد المخفية تعدّ من 1 إلى %d أشخاص، أو قد تسمح باستنتاج عدد صغير كهذا من الأعداد الأخرى.",
		"results_why_noise":      "يُضاف ضجيج عشوائي إلى كل عدد (الخصوصية التفاضلية) حتى لا يمكن استنتاج إجابات أي شخص.",
		"results_completed":      "أجاب %s شخصًا.",
		"group_invite":           "يرجى التحدث معي في محادثة خاصة: %s",
		"type_date":              "(اكتب تاريخًا، مثل 2026-03-01 أو 1/3/2026)",
		"type_time":              "(اكتب وقتًا، مثل 14:30)",
		"rank":                   "(اضغط على الخيارات حسب الأفضلية، الأول أولًا)",
		"rank_all":               "يرجى ترتيب الخيارات الـ%d كلها.",
		"invalid_date":           "يرجى كتابة تاريخ، مثل 2026-03-01 أو 1/3/2026.",
		"invalid_time":           "يرجى كتابة وقت، مثل 14:30.",
		"invalid_integer":        "يرجى كتابة عدد صحيح، مثل 12.",
		"constraint":             "هذه الإجابة غير مقبولة هنا. يرجى التحقق منها والمحاولة مجددًا.",
		"add_another":            "إضافة «%s» آخر؟",
		"add_another_plain":      "إضافة واحد آخر؟",
		"yes_another":            "نعم، أضف",
		"no_more":                "لا، تابع",
		"other":                  "أخرى",
		"specify_other":          "حدّد الإجابة الأخرى:",
		"ok":                     "حسنًا",
		"consent_default":        "إجاباتك مجهولة الهوية: نحتفظ بالإجابات فقط، ولا نحتفظ أبدًا بهوية من قدّمها. يمكنك التوقف في أي وقت بإرسال /stop، وهذا يمسح أيضًا هذه المحادثة. هل توافق على المشاركة؟",
	},
}
