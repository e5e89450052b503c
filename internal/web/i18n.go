package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Languages of the dashboard, in switcher order.
var uiLangs = []string{"en", "fr", "ar"}

// langNames are each language's own name, for the switcher.
var langNames = map[string]string{"en": "English", "fr": "Français", "ar": "العربية"}

// pageLang is the language of a page: ?lang= when it is one of ours, else
// the lang cookie the switcher set, else the first supported language of
// Accept-Language, else English.
func pageLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); known(l) {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && known(c.Value) {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if known(base) {
			return base
		}
	}
	return "en"
}

func known(l string) bool { _, ok := langNames[l]; return ok }

// dir is the writing direction of lang.
func dir(lang string) string {
	if lang == "ar" {
		return "rtl"
	}
	return "ltr"
}

// tr returns the UI string key in lang, falling back to English, then to
// the key itself; args fill its verbs.
func tr(lang, key string, args ...any) string {
	s, ok := uiText[lang][key]
	if !ok {
		s, ok = accessUI[lang][key] // i18n_access.go
	}
	if !ok {
		if s, ok = uiText["en"][key]; !ok {
			if s, ok = accessUI["en"][key]; !ok {
				return key
			}
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// num formats a count for lang (digit grouping; Western digits everywhere,
// which officials in the region read and spreadsheets accept).
func num(lang string, n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	switch lang {
	case "fr":
		sep = "\u202f" // narrow no-break space
	case "ar":
		sep = "٬"
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// pct formats a share (0..1) as a whole percentage for lang.
func pct(lang string, f float64) string {
	p := strconv.FormatFloat(f*100, 'f', 0, 64)
	switch lang {
	case "fr":
		return p + "\u00a0%"
	case "ar":
		return p + "٪"
	}
	return p + "%"
}

// dec formats a mean with one decimal for lang.
func dec(lang string, f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	switch lang {
	case "fr":
		return strings.Replace(s, ".", ",", 1)
	case "ar":
		return strings.Replace(s, ".", "٫", 1)
	}
	return s
}

var uiText = map[string]map[string]string{
	"en": {
		"app":                   "Baraza results",
		"skip":                  "Skip to content",
		"language":              "Language",
		"signin_title":          "Sign in",
		"signin_intro":          "Sign in with the access token you were given. It identifies your role; it is not a password you chose.",
		"token":                 "Access token",
		"signin":                "Sign in",
		"signout":               "Sign out",
		"signin_failed":         "That token is not valid (unknown, revoked or mistyped). Check it and try again.",
		"too_many":              "Too many sign-in attempts",
		"too_many_body":         "Too many attempts from this network in a short time. Please wait a minute and try again.",
		"expired":               "Your session has ended. Please sign in again.",
		"signed_in_as":          "Signed in as %s (%s)",
		"role_official":         "official",
		"role_facilitator":      "facilitator",
		"role_admin":            "admin",
		"consultations":         "Consultations",
		"list_caption":          "Consultations you can read, with suppressed progress counts",
		"title":                 "Title",
		"kind":                  "Kind",
		"kind_consultation":     "consultation",
		"kind_report":           "incident reports",
		"status":                "Status",
		"status_open":           "open",
		"status_closed":         "closed",
		"status_scheduled":      "scheduled",
		"started":               "Started",
		"completed":             "Completed",
		"dates":                 "Dates",
		"opens":                 "opens %s",
		"closes":                "closes %s",
		"always":                "no schedule",
		"none":                  "There are no consultations you can read.",
		"broken_scripts":        "Scripts that could not be loaded",
		"broken_intro":          "These files are in the scripts folder but are not running. Fix them (baraza validate FILE shows the same problems) and reload.",
		"status_broken":         "broken",
		"hidden_label":          "hidden to protect respondents",
		"noisy":                 "≈ %s (noise added)",
		"noisy_short":           "≈ %s",
		"why_hidden":            "“Hidden to protect respondents” marks a number that is not published: it counts between 1 and %d people, or the other numbers would let such a small count be worked out from it, or its whole table is withheld for that reason. Percentages and means use shown numbers only.",
		"why_noise":             "Every number here has random noise added (differential privacy; ε = %s spent so far), so that no one’s answers can be worked out from them, even by comparing updates. “≈ 12 (noise added)” is close to the true count, not equal to it: a small group may show a few people more or fewer than it has.",
		"public_note_dp":        "These results are published for transparency. Random noise is added to every number to protect the people who answered.",
		"hidden":                "hidden",
		"not_enough":            "Not enough responses yet.",
		"not_enough_body":       "Results appear once at least %d people have completed this consultation, so that no one can be recognised from them.",
		"not_released_dp_at":    "Results are published on a fixed schedule, whatever the number of responses, with random noise added so that no one can be recognised from them. The first release is due on %s.",
		"not_released_dp_close": "Results will be published when the consultation closes, with random noise added so that no one can be recognised from them.",
		"all_reports":           "All reports",
		"summary":               "Summary",
		"contents":              "Contents",
		"breakdowns":            "Breakdowns (%d tables)",
		"most_chosen":           "most chosen: %s, %s",
		"response_rate":         "Response rate",
		"rate_text":             "%s of %s people who started completed it (%s).",
		"rate_hidden":           "The response rate is hidden because one of its numbers is hidden.",
		"questions":             "Questions",
		"answered":              "Answered by %s",
		"answered_hidden":       "Number of answers hidden",
		"option":                "Answer",
		"count":                 "Count",
		"share":                 "Share",
		"mean":                  "Mean: %s (scale %d to %d, %s answers)",
		"mean_hidden":           "Mean not shown: it needs at least %d answers and no hidden count.",
		"multi_note":            "Several answers were allowed, so shares add up to more than 100%.",
		"by":                    "Broken down by: %s",
		"breakdown_caption":     "%s by %s: counts, and share within each group",
		"chart_desc":            "Horizontal bar chart.",
		"comments":              "Comments",
		"comments_note":         "Free-text answers, with phone numbers, e-mail addresses, links and long numbers removed, in random order.",
		"no_comments":           "No comments.",
		"trend":                 "Reports per week",
		"trend_caption":         "Reports per ISO week by %s",
		"week":                  "Week",
		"download":              "Download results",
		"download_note":         "Each download is recorded in the release log with your token's name.",
		"facilitate":            "Run this consultation",
		"open":                  "Open",
		"close":                 "Close",
		"live":                  "Live room view",
		"view_link":             "Link for a projector without sign-in (valid 4 hours):",
		"invite":                "Invite",
		"costs":                 "Messaging costs",
		"costs_channel":         "Channel",
		"costs_messages":        "Messages sent",
		"costs_segments":        "Segments (billed parts)",
		"costs_cap":             "Segment cap",
		"costs_reports":         "Delivered / failed",
		"costs_none":            "none",
		"costs_paused":          "SMS sending is paused: this consultation reached its segment cap, and respondents get no SMS until the cap is raised (BARAZA_SMS_SEGMENT_CAP) and Baraza restarted.",
		"qr_png":                "QR code (PNG)",
		"qr_svg":                "QR code (SVG, for posters)",
		"admin":                 "Administration",
		"tokens":                "Access tokens",
		"revoke":                "Revoke",
		"tokens_caption":        "Access tokens (only their hashes are stored)",
		"name":                  "Name",
		"role":                  "Role",
		"scope":                 "Consultations",
		"all":                   "all",
		"created":               "Created",
		"releases":              "Release log",
		"releases_caption":      "Every read and download of results, newest first",
		"when":                  "When",
		"format":                "Format",
		"no_releases":           "Nothing has been released yet.",
		"public_title":          "Published results",
		"public_note":           "These results are published for transparency. Small counts are hidden to protect the people who answered.",
		"not_found":             "Not found",
		"not_found_body":        "There is no such page, or you may not see it.",
		"forbidden":             "Not allowed",
		"forbidden_body":        "This form has expired or did not come from this site. Go back, reload the page and try again.",
		"unavailable":           "Temporarily unavailable",
		"unavailable_body":      "The results store is not answering. Please try again in a moment.",
		"back_list":             "All consultations",
		"print":                 "Print-friendly: use your browser's Print command.",
	},
	"fr": {
		"app":                   "Résultats Baraza",
		"skip":                  "Aller au contenu",
		"language":              "Langue",
		"signin_title":          "Connexion",
		"signin_intro":          "Connectez-vous avec le jeton d’accès qui vous a été remis. Il indique votre rôle ; ce n’est pas un mot de passe choisi par vous.",
		"token":                 "Jeton d’accès",
		"signin":                "Se connecter",
		"signout":               "Se déconnecter",
		"signin_failed":         "Ce jeton n’est pas valide (inconnu, révoqué ou mal saisi). Vérifiez-le et réessayez.",
		"too_many":              "Trop de tentatives de connexion",
		"too_many_body":         "Trop de tentatives depuis ce réseau en peu de temps. Attendez une minute puis réessayez.",
		"expired":               "Votre session est terminée. Veuillez vous reconnecter.",
		"signed_in_as":          "Connecté·e : %s (%s)",
		"role_official":         "responsable",
		"role_facilitator":      "animateur·rice",
		"role_admin":            "administrateur·rice",
		"consultations":         "Consultations",
		"list_caption":          "Consultations que vous pouvez lire, avec des effectifs masqués si petits",
		"title":                 "Titre",
		"kind":                  "Type",
		"kind_consultation":     "consultation",
		"kind_report":           "signalements",
		"status":                "État",
		"status_open":           "ouverte",
		"status_closed":         "fermée",
		"status_scheduled":      "programmée",
		"started":               "Commencées",
		"completed":             "Terminées",
		"dates":                 "Dates",
		"opens":                 "ouvre le %s",
		"closes":                "ferme le %s",
		"always":                "sans calendrier",
		"none":                  "Aucune consultation ne vous est accessible.",
		"broken_scripts":        "Scripts qui n'ont pas pu être chargés",
		"broken_intro":          "Ces fichiers sont dans le dossier des scripts mais ne tournent pas. Corrigez-les (baraza validate FICHIER montre les mêmes problèmes) puis rechargez.",
		"status_broken":         "en erreur",
		"hidden_label":          "masqué pour protéger les répondants",
		"noisy":                 "≈ %s (bruit ajouté)",
		"noisy_short":           "≈ %s",
		"why_hidden":            "« Masqué pour protéger les répondants » signale un nombre qui n’est pas publié : il compte entre 1 et %d personnes, ou les autres nombres permettraient d’en déduire un si petit effectif, ou tout son tableau est retenu pour cette raison. Pourcentages et moyennes n’utilisent que les nombres affichés.",
		"why_noise":             "Chaque nombre ici contient un bruit aléatoire (confidentialité différentielle ; ε = %s dépensé jusqu’ici), pour que personne ne puisse retrouver les réponses de quelqu’un, même en comparant les mises à jour. « ≈ 12 (bruit ajouté) » est proche de l’effectif réel, sans lui être égal : un petit groupe peut afficher quelques personnes de plus ou de moins qu’il n’en compte.",
		"public_note_dp":        "Ces résultats sont publiés par transparence. Un bruit aléatoire est ajouté à chaque nombre pour protéger les personnes qui ont répondu.",
		"hidden":                "masqué",
		"not_enough":            "Pas encore assez de réponses.",
		"not_enough_body":       "Les résultats apparaissent quand au moins %d personnes ont terminé cette consultation, afin que personne ne puisse être reconnu.",
		"not_released_dp_at":    "Les résultats sont publiés selon un calendrier fixe, quel que soit le nombre de réponses, avec un bruit aléatoire ajouté pour que personne ne puisse être reconnu. La première diffusion est prévue le %s.",
		"not_released_dp_close": "Les résultats seront publiés à la clôture de la consultation, avec un bruit aléatoire ajouté pour que personne ne puisse être reconnu.",
		"all_reports":           "Tous les signalements",
		"summary":               "En bref",
		"contents":              "Sommaire",
		"breakdowns":            "Détail par groupe (%d tableaux)",
		"most_chosen":           "réponse la plus choisie : %s, %s",
		"response_rate":         "Taux de réponse",
		"rate_text":             "%s des %s personnes qui ont commencé ont terminé (%s).",
		"rate_hidden":           "Le taux de réponse est masqué car l’un de ses nombres l’est.",
		"questions":             "Questions",
		"answered":              "Réponses : %s",
		"answered_hidden":       "Nombre de réponses masqué",
		"option":                "Réponse",
		"count":                 "Effectif",
		"share":                 "Part",
		"mean":                  "Moyenne : %s (échelle de %d à %d, %s réponses)",
		"mean_hidden":           "Moyenne non affichée : il faut au moins %d réponses et aucun effectif masqué.",
		"multi_note":            "Plusieurs réponses étaient possibles : le total des parts dépasse 100 %.",
		"by":                    "Selon : %s",
		"breakdown_caption":     "%s selon %s : effectifs et part dans chaque groupe",
		"chart_desc":            "Diagramme en barres horizontales.",
		"comments":              "Commentaires",
		"comments_note":         "Réponses libres, sans numéros de téléphone, adresses e-mail, liens ni longs nombres, dans un ordre aléatoire.",
		"no_comments":           "Aucun commentaire.",
		"trend":                 "Signalements par semaine",
		"trend_caption":         "Signalements par semaine ISO selon %s",
		"week":                  "Semaine",
		"download":              "Télécharger les résultats",
		"download_note":         "Chaque téléchargement est inscrit au journal des diffusions avec le nom de votre jeton.",
		"facilitate":            "Animer cette consultation",
		"open":                  "Ouvrir",
		"close":                 "Fermer",
		"live":                  "Vue en direct pour la salle",
		"view_link":             "Lien pour un projecteur, sans connexion (valable 4 heures) :",
		"invite":                "Inviter",
		"costs":                 "Coûts des messages",
		"costs_channel":         "Canal",
		"costs_messages":        "Messages envoyés",
		"costs_segments":        "Segments (parties facturées)",
		"costs_cap":             "Plafond de segments",
		"costs_reports":         "Remis / échoués",
		"costs_none":            "aucun",
		"costs_paused":          "L'envoi de SMS est suspendu : cette consultation a atteint son plafond de segments, et les participants ne reçoivent plus de SMS tant que le plafond n'est pas relevé (BARAZA_SMS_SEGMENT_CAP) et Baraza redémarré.",
		"qr_png":                "Code QR (PNG)",
		"qr_svg":                "Code QR (SVG, pour affiches)",
		"admin":                 "Administration",
		"tokens":                "Jetons d’accès",
		"revoke":                "Révoquer",
		"tokens_caption":        "Jetons d’accès (seule leur empreinte est conservée)",
		"name":                  "Nom",
		"role":                  "Rôle",
		"scope":                 "Consultations",
		"all":                   "toutes",
		"created":               "Créé",
		"releases":              "Journal des diffusions",
		"releases_caption":      "Chaque lecture et téléchargement de résultats, du plus récent au plus ancien",
		"when":                  "Quand",
		"format":                "Format",
		"no_releases":           "Rien n’a encore été diffusé.",
		"public_title":          "Résultats publiés",
		"public_note":           "Ces résultats sont publiés par transparence. Les petits effectifs sont masqués pour protéger les personnes qui ont répondu.",
		"not_found":             "Introuvable",
		"not_found_body":        "Cette page n’existe pas, ou vous ne pouvez pas la voir.",
		"forbidden":             "Non autorisé",
		"forbidden_body":        "Ce formulaire a expiré ou ne vient pas de ce site. Revenez en arrière, rechargez la page et réessayez.",
		"unavailable":           "Momentanément indisponible",
		"unavailable_body":      "La base des résultats ne répond pas. Réessayez dans un instant.",
		"back_list":             "Toutes les consultations",
		"print":                 "Imprimable : utilisez la commande Imprimer du navigateur.",
	},
	"ar": {
		"app":                   "نتائج بارازا",
		"skip":                  "انتقل إلى المحتوى",
		"language":              "اللغة",
		"signin_title":          "تسجيل الدخول",
		"signin_intro":          "سجّل الدخول برمز الوصول الذي أُعطي لك. يحدد الرمز دورك، وليس كلمة مرور اخترتها.",
		"token":                 "رمز الوصول",
		"signin":                "دخول",
		"signout":               "خروج",
		"signin_failed":         "هذا الرمز غير صالح (غير معروف أو ملغى أو مكتوب خطأ). تحقق منه وحاول مرة أخرى.",
		"too_many":              "محاولات دخول كثيرة",
		"too_many_body":         "محاولات كثيرة من هذه الشبكة في وقت قصير. يرجى الانتظار دقيقة ثم المحاولة مرة أخرى.",
		"expired":               "انتهت جلستك. يرجى تسجيل الدخول مرة أخرى.",
		"signed_in_as":          "مسجّل الدخول باسم %s (%s)",
		"role_official":         "مسؤول",
		"role_facilitator":      "ميسّر",
		"role_admin":            "مدير",
		"consultations":         "المشاورات",
		"list_caption":          "المشاورات التي يمكنك قراءتها، مع إخفاء الأعداد الصغيرة",
		"title":                 "العنوان",
		"kind":                  "النوع",
		"kind_consultation":     "مشاورة",
		"kind_report":           "بلاغات",
		"status":                "الحالة",
		"status_open":           "مفتوحة",
		"status_closed":         "مغلقة",
		"status_scheduled":      "مجدولة",
		"started":               "بدأ",
		"completed":             "أكمل",
		"dates":                 "التواريخ",
		"opens":                 "تفتح في %s",
		"closes":                "تغلق في %s",
		"always":                "بلا جدول",
		"none":                  "لا توجد مشاورات يمكنك قراءتها.",
		"broken_scripts":        "نصوص لم يمكن تحميلها",
		"broken_intro":          "هذه الملفات في مجلد النصوص لكنها لا تعمل. أصلحها (يعرض الأمر baraza validate FILE المشكلات نفسها) ثم أعد التحميل.",
		"status_broken":         "معطّل",
		"hidden_label":          "مخفي لحماية المشاركين",
		"noisy":                 "≈ %s (مع ضجيج مضاف)",
		"noisy_short":           "≈ %s",
		"why_hidden":            "«مخفي لحماية المشاركين» يعني أن العدد غير منشور: فهو يعدّ بين 1 و%d أشخاص، أو يمكن استنتاج عدد صغير كهذا منه بالأعداد الأخرى، أو أن جدوله كله محجوب لهذا السبب. النسب والمتوسطات محسوبة من الأعداد الظاهرة فقط.",
		"why_noise":             "أُضيف ضجيج عشوائي إلى كل عدد هنا (الخصوصية التفاضلية؛ ε = %s مُستهلكة حتى الآن) حتى لا يمكن استنتاج إجابات أي شخص منها، ولو بمقارنة التحديثات. «≈ 12 (مع ضجيج مضاف)» قريب من العدد الحقيقي لا مساوٍ له: قد تظهر مجموعة صغيرة بأشخاص أكثر أو أقل مما فيها.",
		"public_note_dp":        "تُنشر هذه النتائج من أجل الشفافية. يُضاف ضجيج عشوائي إلى كل عدد لحماية من أجابوا.",
		"hidden":                "مخفي",
		"not_enough":            "لا توجد ردود كافية بعد.",
		"not_enough_body":       "تظهر النتائج عندما يكمل %d أشخاص على الأقل هذه المشاورة، حتى لا يمكن التعرف على أحد منها.",
		"not_released_dp_at":    "تُنشر النتائج وفق جدول ثابت أيًّا كان عدد الردود، مع ضجيج عشوائي مضاف حتى لا يمكن التعرف على أحد منها. النشر الأول مقرر في %s.",
		"not_released_dp_close": "ستُنشر النتائج عند إغلاق المشاورة، مع ضجيج عشوائي مضاف حتى لا يمكن التعرف على أحد منها.",
		"all_reports":           "كل البلاغات",
		"summary":               "ملخص",
		"contents":              "المحتويات",
		"breakdowns":            "التفصيل حسب الفئات (%d جداول)",
		"most_chosen":           "الإجابة الأكثر اختيارًا: %s، %s",
		"response_rate":         "معدل الاستجابة",
		"rate_text":             "أكمل %s من أصل %s شخصًا بدأوا (%s).",
		"rate_hidden":           "معدل الاستجابة مخفي لأن أحد أعداده مخفي.",
		"questions":             "الأسئلة",
		"answered":              "عدد الإجابات: %s",
		"answered_hidden":       "عدد الإجابات مخفي",
		"option":                "الإجابة",
		"count":                 "العدد",
		"share":                 "النسبة",
		"mean":                  "المتوسط: %s (المقياس من %d إلى %d، %s إجابة)",
		"mean_hidden":           "المتوسط غير معروض: يحتاج إلى %d إجابات على الأقل ودون أي عدد مخفي.",
		"multi_note":            "كان مسموحًا بأكثر من إجابة، لذا يتجاوز مجموع النسب 100٪.",
		"by":                    "حسب %s",
		"breakdown_caption":     "%s حسب %s: الأعداد والنسبة داخل كل مجموعة",
		"chart_desc":            "مخطط أشرطة أفقية.",
		"comments":              "التعليقات",
		"comments_note":         "إجابات نصية حرة، بعد حذف أرقام الهواتف والبريد الإلكتروني والروابط والأرقام الطويلة، بترتيب عشوائي.",
		"no_comments":           "لا توجد تعليقات.",
		"trend":                 "البلاغات في الأسبوع",
		"trend_caption":         "البلاغات في كل أسبوع (ISO) حسب %s",
		"week":                  "الأسبوع",
		"download":              "تنزيل النتائج",
		"download_note":         "يُسجَّل كل تنزيل في سجل النشر باسم رمزك.",
		"facilitate":            "إدارة هذه المشاورة",
		"open":                  "فتح",
		"close":                 "إغلاق",
		"live":                  "العرض المباشر للقاعة",
		"view_link":             "رابط لجهاز العرض دون تسجيل الدخول (صالح لمدة 4 ساعات):",
		"invite":                "دعوة",
		"costs":                 "تكاليف الرسائل",
		"costs_channel":         "القناة",
		"costs_messages":        "الرسائل المرسلة",
		"costs_segments":        "المقاطع (الأجزاء المحتسبة)",
		"costs_cap":             "الحد الأقصى للمقاطع",
		"costs_reports":         "سُلِّمت / فشلت",
		"costs_none":            "لا يوجد",
		"costs_paused":          "تم إيقاف إرسال الرسائل القصيرة مؤقتًا: بلغت هذه الاستشارة الحد الأقصى للمقاطع، ولن يتلقى المشاركون رسائل حتى يُرفع الحد (BARAZA_SMS_SEGMENT_CAP) ويُعاد تشغيل Baraza.",
		"qr_png":                "رمز QR (PNG)",
		"qr_svg":                "رمز QR (SVG للملصقات)",
		"admin":                 "الإدارة",
		"tokens":                "رموز الوصول",
		"revoke":                "إلغاء",
		"tokens_caption":        "رموز الوصول (تُحفظ بصمتها فقط)",
		"name":                  "الاسم",
		"role":                  "الدور",
		"scope":                 "المشاورات",
		"all":                   "الكل",
		"created":               "أُنشئ",
		"releases":              "سجل النشر",
		"releases_caption":      "كل قراءة وتنزيل للنتائج، الأحدث أولًا",
		"when":                  "متى",
		"format":                "الصيغة",
		"no_releases":           "لم يُنشر شيء بعد.",
		"public_title":          "النتائج المنشورة",
		"public_note":           "تُنشر هذه النتائج من أجل الشفافية. الأعداد الصغيرة مخفية لحماية من أجابوا.",
		"not_found":             "غير موجود",
		"not_found_body":        "هذه الصفحة غير موجودة، أو لا يمكنك رؤيتها.",
		"forbidden":             "غير مسموح",
		"forbidden_body":        "انتهت صلاحية هذا النموذج أو لم يأتِ من هذا الموقع. ارجع وأعد تحميل الصفحة وحاول مرة أخرى.",
		"unavailable":           "غير متاح مؤقتًا",
		"unavailable_body":      "مخزن النتائج لا يستجيب. يرجى المحاولة بعد لحظة.",
		"back_list":             "كل المشاورات",
		"print":                 "صالحة للطباعة: استخدم أمر الطباعة في المتصفح.",
	},
}
