package facilitate

import (
	"fmt"
	"strings"
)

// text returns the facilitator-facing string key in lang (en, fr, ar;
// anything else is English), filled with args.
func text(lang, key string, args ...any) string {
	s, ok := facilitatorStrings[baseLang(lang)][key]
	if !ok {
		if s, ok = facilitatorStrings["en"][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func baseLang(l string) string {
	l = strings.ToLower(l)
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	switch l {
	case "fr", "ar":
		return l
	}
	return "en"
}

// nbsp is the no-break space French puts before ":" "!" "?".
const nbsp = "\u00a0"

var facilitatorStrings = map[string]map[string]string{
	"en": {
		"usage":              "Usage: /%s ID (send /consultations for the list of ids)",
		"unknown":            "There is no consultation %q. Send /consultations for the list.",
		"none":               "No consultation is loaded.",
		"list_header":        "Consultations:",
		"list_line":          "• %s – %s\n  %s · started %s · completed %s",
		"hidden":             "hidden to protect respondents",
		"noisy":              "≈ %s (noise added)",
		"unreleased":         "not released yet",
		"status_open":        "open",
		"status_closed":      "closed",
		"status_scheduled":   "scheduled",
		"report_kind":        "report (always open)",
		"opened":             "%s is now open.",
		"closed":             "%s is now closed. People in the middle of it can still finish.",
		"report_always":      "%s is a report form: it is always open and cannot be opened or closed.",
		"schedule_opens":     "Its schedule opens it at %s (UTC), after your change.",
		"schedule_closes":    "Its schedule closes it at %s (UTC), after your change.",
		"stats":              "%s – %s\nStatus: %s\nStarted: %s\nCompleted: %s\nCompletion rate: %s",
		"rate_hidden":        "not shown (needs both counts)",
		"release_line":       "Release %d (numbers change only with a release); next update after %d more responses.",
		"release_none":       "No release yet; the first after %d more responses.",
		"release_final":      "Final release %d.",
		"release_soon":       "Release %d (numbers change only with a release); the next update is due shortly.",
		"release_at":         "Release %d (numbers change only with a release); next update on %s (a fixed schedule, whatever the number of responses).",
		"release_on_close":   "Release %d (numbers change only with a release); the next and last update comes when the consultation closes.",
		"release_none_at":    "No release yet; the first on %s (a fixed schedule).",
		"release_none_close": "No release yet; the first when the consultation closes.",
		"live_next_at":       "Next update on %s.",
		"live_on_close":      "Next update when the consultation closes.",
		"live_waiting_dp":    "Waiting for the first release, on a fixed schedule. Nothing is shown before, to protect the people taking part.",
		"invite_header":      "Invite people to %s:",
		"invite_telegram":    "Telegram: %s",
		"invite_discord":     "Discord: %s",
		"invite_web":         "Web chat (any browser, no account): %s",
		"invite_other":       "%s: %s",
		"invite_qr":          "The QR code opens %s.",
		"invite_none":        "No invitation link is configured on this server.",
		"live_waiting":       "Waiting for at least %d responses. Nothing is shown before, to protect the people taking part.",
		"live_responses":     "%d responses",
		"live_answered":      "%d answers",
		"live_hidden":        "hidden",
		"live_noisy":         "≈ %d",
		"live_about_dp":      "Anonymous results, updated with each release: at least %[1]d more responses apart. Random noise is added to every count (≈), so that no one can be recognised.",
		"live_reconnecting":  "Connection lost, reconnecting…",
		"live_expired":       "This view has ended. Ask the facilitator for a new link.",
		"live_closed":        "This consultation is closed.",
		"live_about":         "Anonymous results, updated with each release: at least %[1]d more responses apart. Counts that could reveal someone are hidden.",
		"live_noscript":      "This page needs JavaScript to update.",
		"live_denied":        "This view link is not valid or has expired. Ask the facilitator for a new one.",
		"live_next":          "Next update after %d more responses.",
		"live_soon":          "Next update shortly.",
		"live_release":       "Release %d",
	},
	"fr": {
		"usage":              "Utilisation" + nbsp + ": /%s ID (envoyez /consultations pour la liste des identifiants)",
		"unknown":            "Il n’y a pas de consultation %q. Envoyez /consultations pour la liste.",
		"none":               "Aucune consultation n’est chargée.",
		"list_header":        "Consultations" + nbsp + ":",
		"list_line":          "• %s – %s\n  %s · commencées" + nbsp + ": %s · terminées" + nbsp + ": %s",
		"hidden":             "masqué pour protéger les répondants",
		"noisy":              "≈ %s (bruit ajouté)",
		"unreleased":         "pas encore diffusé",
		"status_open":        "ouverte",
		"status_closed":      "fermée",
		"status_scheduled":   "programmée",
		"report_kind":        "signalement (toujours ouvert)",
		"opened":             "%s est maintenant ouverte.",
		"closed":             "%s est maintenant fermée. Les personnes en cours peuvent encore terminer.",
		"report_always":      "%s est un formulaire de signalement" + nbsp + ": il est toujours ouvert et ne peut être ni ouvert ni fermé.",
		"schedule_opens":     "Son calendrier l’ouvre le %s (UTC), après votre changement.",
		"schedule_closes":    "Son calendrier la ferme le %s (UTC), après votre changement.",
		"stats":              "%s – %s\nStatut" + nbsp + ": %s\nCommencées" + nbsp + ": %s\nTerminées" + nbsp + ": %s\nTaux d’achèvement" + nbsp + ": %s",
		"rate_hidden":        "non affiché (il faut les deux nombres)",
		"release_line":       "Diffusion %d (les nombres ne changent qu’à chaque diffusion)" + nbsp + "; prochaine mise à jour après %d réponses de plus.",
		"release_none":       "Pas encore de diffusion" + nbsp + "; la première après %d réponses de plus.",
		"release_final":      "Diffusion finale %d.",
		"release_soon":       "Diffusion %d (les nombres ne changent qu’à chaque diffusion)" + nbsp + "; la prochaine mise à jour est imminente.",
		"release_at":         "Diffusion %d (les nombres ne changent qu’à chaque diffusion)" + nbsp + "; prochaine mise à jour le %s (calendrier fixe, quel que soit le nombre de réponses).",
		"release_on_close":   "Diffusion %d (les nombres ne changent qu’à chaque diffusion)" + nbsp + "; la prochaine et dernière mise à jour aura lieu à la clôture.",
		"release_none_at":    "Pas encore de diffusion" + nbsp + "; la première le %s (calendrier fixe).",
		"release_none_close": "Pas encore de diffusion" + nbsp + "; la première à la clôture.",
		"live_next_at":       "Prochaine mise à jour le %s.",
		"live_on_close":      "Prochaine mise à jour à la clôture.",
		"live_waiting_dp":    "En attente de la première diffusion, selon un calendrier fixe. Rien n’est affiché avant, pour protéger les participants.",
		"invite_header":      "Inviter des personnes à %s" + nbsp + ":",
		"invite_telegram":    "Telegram" + nbsp + ": %s",
		"invite_discord":     "Discord" + nbsp + ": %s",
		"invite_web":         "Chat web (tout navigateur, sans compte)" + nbsp + ": %s",
		"invite_other":       "%s" + nbsp + ": %s",
		"invite_qr":          "Le code QR ouvre %s.",
		"invite_none":        "Aucun lien d’invitation n’est configuré sur ce serveur.",
		"live_waiting":       "En attente d’au moins %d réponses. Rien n’est affiché avant, pour protéger les participants.",
		"live_responses":     "%d réponses",
		"live_answered":      "%d réponses à cette question",
		"live_hidden":        "masqué",
		"live_noisy":         "≈ %d",
		"live_about_dp":      "Résultats anonymes, mis à jour à chaque diffusion" + nbsp + ": au moins %[1]d réponses d’écart. Un bruit aléatoire est ajouté à chaque nombre (≈), pour que personne ne puisse être reconnu.",
		"live_reconnecting":  "Connexion perdue, reconnexion…",
		"live_expired":       "Cet affichage est terminé. Demandez un nouveau lien à l’animateur.",
		"live_closed":        "Cette consultation est fermée.",
		"live_about":         "Résultats anonymes, mis à jour à chaque diffusion" + nbsp + ": au moins %[1]d réponses d’écart. Les nombres qui pourraient révéler quelqu’un sont masqués.",
		"live_noscript":      "Cette page a besoin de JavaScript pour se mettre à jour.",
		"live_denied":        "Ce lien d’affichage n’est pas valide ou a expiré. Demandez-en un nouveau à l’animateur.",
		"live_next":          "Prochaine mise à jour après %d réponses de plus.",
		"live_soon":          "Prochaine mise à jour sous peu.",
		"live_release":       "Diffusion %d",
	},
	"ar": {
		"usage":              "الاستخدام: ‎/%s ID‎ (أرسل ‎/consultations‎ للحصول على قائمة المعرّفات)",
		"unknown":            "لا توجد استشارة %q. أرسل ‎/consultations‎ للحصول على القائمة.",
		"none":               "لا توجد أي استشارة محمّلة.",
		"list_header":        "الاستشارات:",
		"list_line":          "• %s – %s\n  %s · بدأت: %s · اكتملت: %s",
		"hidden":             "مخفي لحماية المشاركين",
		"noisy":              "≈ %s (مع ضجيج مضاف)",
		"unreleased":         "لم يُنشر بعد",
		"status_open":        "مفتوحة",
		"status_closed":      "مغلقة",
		"status_scheduled":   "مجدولة",
		"report_kind":        "بلاغ (مفتوح دائمًا)",
		"opened":             "%s مفتوحة الآن.",
		"closed":             "%s مغلقة الآن. يمكن لمن بدأ الإجابة أن يُكمل.",
		"report_always":      "%s نموذج بلاغ: مفتوح دائمًا ولا يمكن فتحه أو إغلاقه.",
		"schedule_opens":     "جدولها الزمني يفتحها في %s (UTC) بعد تغييرك.",
		"schedule_closes":    "جدولها الزمني يغلقها في %s (UTC) بعد تغييرك.",
		"stats":              "%s – %s\nالحالة: %s\nبدأت: %s\nاكتملت: %s\nنسبة الإكمال: %s",
		"rate_hidden":        "غير معروضة (تتطلب العددين)",
		"release_line":       "النشر رقم %d (لا تتغير الأرقام إلا مع كل نشر)؛ التحديث التالي بعد %d ردود إضافية.",
		"release_none":       "لا يوجد نشر بعد؛ الأول بعد %d ردود إضافية.",
		"release_final":      "النشر النهائي رقم %d.",
		"release_soon":       "النشر رقم %d (لا تتغير الأرقام إلا مع كل نشر)؛ التحديث التالي قريب.",
		"release_at":         "النشر رقم %d (لا تتغير الأرقام إلا مع كل نشر)؛ التحديث التالي في %s (جدول ثابت أيًّا كان عدد الردود).",
		"release_on_close":   "النشر رقم %d (لا تتغير الأرقام إلا مع كل نشر)؛ التحديث التالي والأخير عند إغلاق الاستشارة.",
		"release_none_at":    "لا يوجد نشر بعد؛ الأول في %s (جدول ثابت).",
		"release_none_close": "لا يوجد نشر بعد؛ الأول عند إغلاق الاستشارة.",
		"live_next_at":       "التحديث التالي في %s.",
		"live_on_close":      "التحديث التالي عند إغلاق الاستشارة.",
		"live_waiting_dp":    "في انتظار النشر الأول، وفق جدول ثابت. لا يُعرض شيء قبل ذلك حمايةً للمشاركين.",
		"invite_header":      "دعوة الناس إلى %s:",
		"invite_telegram":    "تيليغرام: %s",
		"invite_discord":     "ديسكورد: %s",
		"invite_web":         "الدردشة على الويب (أي متصفح، دون حساب): %s",
		"invite_other":       "%s: %s",
		"invite_qr":          "رمز QR يفتح %s.",
		"invite_none":        "لم يُضبط أي رابط دعوة على هذا الخادم.",
		"live_waiting":       "في انتظار %d إجابات على الأقل. لا يُعرض شيء قبل ذلك حمايةً للمشاركين.",
		"live_responses":     "%d إجابة",
		"live_answered":      "%d إجابة على هذا السؤال",
		"live_hidden":        "مخفي",
		"live_noisy":         "≈ %d",
		"live_about_dp":      "نتائج مجهولة الهوية، تُحدَّث مع كل نشر: بفارق %[1]d إجابات على الأقل. يُضاف ضجيج عشوائي إلى كل عدد (≈) حتى لا يمكن التعرف على أحد.",
		"live_reconnecting":  "انقطع الاتصال، جارٍ إعادة الاتصال…",
		"live_expired":       "انتهى هذا العرض. اطلب رابطًا جديدًا من الميسّر.",
		"live_closed":        "هذه الاستشارة مغلقة.",
		"live_about":         "نتائج مجهولة الهوية، تُحدَّث مع كل نشر: بفارق %[1]d إجابات على الأقل. الأعداد التي قد تكشف أحدًا مخفية.",
		"live_noscript":      "تحتاج هذه الصفحة إلى JavaScript لتتحدّث.",
		"live_denied":        "رابط العرض هذا غير صالح أو انتهت صلاحيته. اطلب رابطًا جديدًا من الميسّر.",
		"live_next":          "التحديث التالي بعد %d ردود إضافية.",
		"live_soon":          "التحديث التالي قريبًا.",
		"live_release":       "النشر رقم %d",
	},
}
