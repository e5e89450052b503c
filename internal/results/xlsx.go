package results

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// xlsxWords are the words of the XLSX export, by language.
var xlsxWords = map[string]map[string]string{
	"en": {
		"readme":            "Read me",
		"release":           "Release",
		"released_at":       "Released on",
		"mode":              "Protection",
		"mode_suppress":     "suppression of small counts (k = %d), checked by an auditor",
		"mode_dp":           "differential privacy (random noise added to every count)",
		"eps_spent":         "Privacy budget ε spent so far",
		"dp1":               "Every count in this file has random noise added (discrete Laplace noise, drawn once for this release), so that no one's answers can be worked out from the numbers, even by comparing releases. Counts are close to the true ones, not equal to them: a small group may show a few people more or fewer than it has, and a total may differ from the sum of the true counts.",
		"dp2":               "The noise is made consistent afterwards (no negative counts, options add up to their total, a breakdown's rows and columns add up to the counts of both questions); that uses the noisy numbers only and costs no privacy.",
		"eps_release":       "ε spent by this release",
		"noise_sd":          "Typical size of the noise on each count (standard deviation, in people)",
		"count_noisy":       "Count (noise added)",
		"hidden_list":       "Hidden cells and why",
		"question":          "Question",
		"by_option":         "By option",
		"reason":            "Why",
		"why_small":         "small: it counts 1 to k-1 people",
		"why_complementary": "complementary: hidden so that a small count cannot be worked out from it",
		"why_coarsened":     "coarsened: its whole table (or release) is withheld",
		"none_hidden":       "No cell is hidden.",
		"weeks":             "Weeks",
		"hidden":            "hidden to protect respondents",
		"title":             "Consultation",
		"id":                "Id",
		"status":            "Status",
		"k":                 "Threshold k",
		"started":           "Started",
		"completed":         "Completed",
		"declined":          "Declined",
		"generated":         "Generated on",
		"what":              "This file holds the aggregated, anonymous results of a Baraza consultation. It holds no answers of any single person, and no free-text comments.",
		"how1":              "Every count of fewer than k people (here k = %d) is hidden, so that no small group can be singled out. Zero is shown.",
		"how2":              "Complementary suppression hides a few more counts, so that a hidden count cannot be worked out by subtracting the shown counts from a total.",
		"how3":              "A cell marked \"hidden to protect respondents\" therefore holds fewer than k people, or was hidden to protect one that does; the list below says which. Until k people have completed, every count is hidden.",
		"answered":          "Answered",
		"option":            "Option",
		"label":             "Label",
		"count":             "Count",
		"by":                "By",
		"week":              "Week",
	},
	"fr": {
		"readme":            "Lisez-moi",
		"release":           "Publication",
		"released_at":       "Publiée le",
		"mode":              "Protection",
		"mode_suppress":     "masquage des petits effectifs (k = %d), vérifié par un auditeur",
		"mode_dp":           "confidentialité différentielle (bruit aléatoire ajouté à chaque effectif)",
		"eps_spent":         "Budget de confidentialité ε dépensé",
		"dp1":               "Chaque effectif de ce fichier contient un bruit aléatoire (bruit de Laplace discret, tiré une fois pour cette publication), pour que personne ne puisse retrouver les réponses de quelqu'un, même en comparant les publications. Les effectifs sont proches des vrais, sans leur être égaux : un petit groupe peut afficher quelques personnes de plus ou de moins qu'il n'en compte.",
		"dp2":               "Le bruit est rendu cohérent ensuite (aucun effectif négatif, les options s'additionnent à leur total, les lignes et les colonnes d'un tableau croisé aux effectifs des deux questions) ; cela n'utilise que les nombres bruités et ne coûte aucune confidentialité.",
		"eps_release":       "ε dépensé par cette publication",
		"noise_sd":          "Taille typique du bruit sur chaque effectif (écart type, en personnes)",
		"count_noisy":       "Effectif (bruit ajouté)",
		"hidden_list":       "Cellules masquées et pourquoi",
		"question":          "Question",
		"by_option":         "Option de ventilation",
		"reason":            "Pourquoi",
		"why_small":         "petit effectif : de 1 à k-1 personnes",
		"why_complementary": "complémentaire : masquée pour qu'un petit effectif ne puisse pas en être déduit",
		"why_coarsened":     "regroupée : tout son tableau (ou la publication) est retenu",
		"none_hidden":       "Aucune cellule n'est masquée.",
		"weeks":             "Semaines",
		"hidden":            "masqué pour protéger les répondants",
		"title":             "Consultation",
		"id":                "Identifiant",
		"status":            "Statut",
		"k":                 "Seuil k",
		"started":           "Ont commencé",
		"completed":         "Ont terminé",
		"declined":          "Ont refusé",
		"generated":         "Généré le",
		"what":              "Ce fichier contient les résultats agrégés et anonymes d'une consultation Baraza. Il ne contient les réponses d'aucune personne en particulier, ni les commentaires libres.",
		"how1":              "Tout effectif de moins de k personnes (ici k = %d) est masqué, pour qu'aucun petit groupe ne puisse être isolé. Zéro est affiché.",
		"how2":              "La suppression complémentaire masque quelques effectifs de plus, pour qu'un effectif masqué ne puisse pas être retrouvé en soustrayant d'un total les effectifs affichés.",
		"how3":              "Une cellule « masqué pour protéger les répondants » compte donc moins de k personnes, ou a été masquée pour en protéger une qui en compte moins ; la liste ci-dessous dit laquelle. Tant que k personnes n'ont pas terminé, tous les effectifs sont masqués.",
		"answered":          "Ont répondu",
		"option":            "Option",
		"label":             "Libellé",
		"count":             "Effectif",
		"by":                "Par",
		"week":              "Semaine",
	},
	"ar": {
		"readme":            "اقرأني",
		"release":           "الإصدار",
		"released_at":       "تاريخ الإصدار",
		"mode":              "الحماية",
		"mode_suppress":     "إخفاء الأعداد الصغيرة (k = %d)، يتحقق منه مدقق",
		"mode_dp":           "الخصوصية التفاضلية (ضجيج عشوائي مضاف إلى كل عدد)",
		"eps_spent":         "ميزانية الخصوصية ε المستهلكة",
		"dp1":               "أُضيف ضجيج عشوائي إلى كل عدد في هذا الملف (ضجيج لابلاس منفصل، سُحب مرة واحدة لهذا الإصدار)، حتى لا يمكن استنتاج إجابات أي شخص من الأعداد، ولو بمقارنة الإصدارات. الأعداد قريبة من الحقيقية لا مساوية لها: قد تظهر مجموعة صغيرة بأشخاص أكثر أو أقل مما فيها.",
		"dp2":               "يُجعل الضجيج متسقًا بعد ذلك (لا أعداد سالبة، والخيارات تساوي مجموعها، وصفوف الجدول المتقاطع وأعمدته تساوي أعداد السؤالين)؛ ولا يستخدم ذلك إلا الأعداد المشوشة فلا يكلف شيئًا من الخصوصية.",
		"eps_release":       "ε المستهلكة في هذا الإصدار",
		"noise_sd":          "الحجم المعتاد للضجيج في كل عدد (الانحراف المعياري، بالأشخاص)",
		"count_noisy":       "العدد (مع ضجيج مضاف)",
		"hidden_list":       "الخلايا المخفية وسبب إخفائها",
		"question":          "السؤال",
		"by_option":         "خيار التقسيم",
		"reason":            "السبب",
		"why_small":         "صغير: يعدّ من 1 إلى k-1 أشخاص",
		"why_complementary": "تكميلي: أُخفي حتى لا يمكن استنتاج عدد صغير منه",
		"why_coarsened":     "مدمج: جدوله كله (أو الإصدار) محجوب",
		"none_hidden":       "لا توجد خلية مخفية.",
		"weeks":             "الأسابيع",
		"hidden":            "مخفي لحماية المشاركين",
		"title":             "الاستشارة",
		"id":                "المعرّف",
		"status":            "الحالة",
		"k":                 "العتبة k",
		"started":           "بدأوا",
		"completed":         "أكملوا",
		"declined":          "رفضوا",
		"generated":         "تاريخ الإنشاء",
		"what":              "يحتوي هذا الملف على النتائج المجمّعة والمجهولة لاستشارة بارازا. لا يحتوي على إجابات أي شخص بعينه، ولا على التعليقات النصية.",
		"how1":              "كل عدد يقل عن k أشخاص (هنا k = %d) مخفي، حتى لا يمكن تمييز أي مجموعة صغيرة. يظهر الصفر.",
		"how2":              "يُخفي الإخفاء التكميلي بعض الأعداد الأخرى، حتى لا يمكن استنتاج عدد مخفي بطرح الأعداد الظاهرة من المجموع.",
		"how3":              "لذلك فإن الخلية المكتوب فيها «مخفي لحماية المشاركين» تضم أقل من k أشخاص، أو أُخفيت لحماية خلية كذلك؛ والقائمة أدناه تبيّن أيهما. وإلى أن يُكمل k أشخاص الاستشارة، تبقى كل الأعداد مخفية.",
		"answered":          "أجابوا",
		"option":            "الخيار",
		"label":             "التسمية",
		"count":             "العدد",
		"by":                "حسب",
		"week":              "الأسبوع",
	},
}

func xlsxWord(lang, key string) string {
	if w, ok := xlsxWords[lang][key]; ok {
		return w
	}
	return xlsxWords["en"][key]
}

// WriteXLSX writes s as an Excel workbook, its fixed words in lang (en, fr
// or ar; others fall back to English; Arabic sheets read right to left):
// a "Read me" sheet (what the file is, k, how suppression works, the day
// it was generated, never the time), then one sheet per question with its
// answered count, each option's id, label and count, and the question's
// breakdowns as tables of options by segment options, and for reports a
// sheet of weekly counts. A hidden count reads "hidden". Every text cell
// is neutralised like WriteCSV's, so a label such as "=HYPERLINK(...)"
// stays text in every spreadsheet program.
func WriteXLSX(w io.Writer, s Summary, lang string) error {
	x := &xlsx{f: excelize.NewFile(), lang: lang, used: map[string]bool{}}
	defer x.f.Close()
	if err := x.write(s); err != nil {
		return fmt.Errorf("results: write xlsx: %w", err)
	}
	if err := x.f.Write(w); err != nil {
		return fmt.Errorf("results: write xlsx: %w", err)
	}
	return nil
}

type xlsx struct {
	f    *excelize.File
	lang string
	used map[string]bool // sheet names taken, lower-cased (Excel ignores case)
	err  error

	sheet string
	row   int
}

func (x *xlsx) word(key string) string { return xlsxWord(x.lang, key) }

// newSheet starts a sheet named after name, made valid and unique.
func (x *xlsx) newSheet(name string) {
	if x.err != nil {
		return
	}
	name = sheetName(name, x.used)
	if len(x.used) == 0 {
		x.err = x.f.SetSheetName("Sheet1", name)
	} else {
		_, x.err = x.f.NewSheet(name)
	}
	x.used[strings.ToLower(name)] = true
	x.sheet, x.row = name, 0
	if x.err == nil && x.lang == "ar" {
		rtl := true
		x.err = x.f.SetSheetView(name, 0, &excelize.ViewOptions{RightToLeft: &rtl})
	}
	if x.err == nil {
		x.err = x.f.SetColWidth(name, "A", "A", 24)
	}
	if x.err == nil {
		x.err = x.f.SetColWidth(name, "B", "B", 40)
	}
}

// line writes one row of values: string (neutralised), *int64 (a number
// or the "hidden" word), int, or nil (an empty cell).
func (x *xlsx) line(values ...any) {
	x.row++
	for i, v := range values {
		if x.err != nil {
			return
		}
		cell, err := excelize.CoordinatesToCellName(i+1, x.row)
		if err != nil {
			x.err = err
			return
		}
		switch v := v.(type) {
		case nil:
			continue
		case string:
			if v != "" {
				x.err = x.f.SetCellStr(x.sheet, cell, Neutralise(v))
			}
		case *int64:
			if v == nil {
				x.err = x.f.SetCellStr(x.sheet, cell, x.word("hidden"))
			} else {
				x.err = x.f.SetCellInt(x.sheet, cell, *v)
			}
		case int:
			x.err = x.f.SetCellInt(x.sheet, cell, int64(v))
		default:
			x.err = fmt.Errorf("cell %s: unexpected %T", cell, v)
		}
	}
}

func (x *xlsx) write(s Summary) error {
	day := time.Now().UTC().Format(time.DateOnly)
	x.newSheet(x.word("readme"))
	x.line(x.word("title"), s.Title)
	x.line(x.word("id"), s.ID)
	x.line(x.word("status"), s.Status)
	x.line(x.word("k"), s.K)
	x.line(x.word("release"), s.Release)
	if s.ReleasedAt != "" {
		x.line(x.word("released_at"), s.ReleasedAt)
	}
	dp := s.Mode == ModeDP
	if dp {
		x.line(x.word("mode"), x.word("mode_dp"))
		if s.EpsilonSpent != nil {
			x.line(x.word("eps_spent"), strconv.FormatFloat(*s.EpsilonSpent, 'f', -1, 64))
		}
		if s.Noise != nil {
			x.line(x.word("eps_release"), strconv.FormatFloat(s.Noise.Epsilon, 'f', -1, 64))
			x.line(x.word("noise_sd"), strconv.FormatFloat(s.Noise.SD, 'f', -1, 64))
		}
	} else {
		x.line(x.word("mode"), fmt.Sprintf(x.word("mode_suppress"), s.K))
	}
	x.line(x.word("started"), s.Started)
	x.line(x.word("completed"), s.Completed)
	x.line(x.word("declined"), s.Declined)
	x.line(x.word("generated"), day)
	x.line()
	x.line(x.word("what"))
	if dp {
		x.line(x.word("dp1"))
		x.line(x.word("dp2"))
	} else {
		x.line(fmt.Sprintf(x.word("how1"), s.K))
		x.line(x.word("how2"))
		x.line(x.word("how3"))
		x.hiddenList(s)
	}

	questions := make(map[string]*Question, len(s.Questions))
	for i := range s.Questions {
		questions[s.Questions[i].ID] = &s.Questions[i]
	}
	for _, q := range s.Questions {
		x.newSheet(q.ID)
		x.line(q.Text)
		x.line(x.word("answered"), q.Answered)
		if len(q.Options) == 0 {
			continue
		}
		x.line()
		count := x.word("count")
		if dp {
			count = x.word("count_noisy")
		}
		x.line(x.word("option"), x.word("label"), count)
		for _, o := range q.Options {
			x.line(o.ID, o.Label, o.Count)
		}
		for _, b := range s.Breakdowns {
			if b.Question == q.ID {
				x.breakdown(q, questions[b.By], b)
			}
		}
	}
	if len(s.Weeks) > 0 {
		x.weeks(s, questions)
	}
	if x.err != nil {
		return x.err
	}
	// Document properties carry the day only, like the Read me sheet.
	return x.f.SetDocProps(&excelize.DocProperties{
		Creator: "Baraza", Title: s.Title,
		Created: day + "T00:00:00Z", Modified: day + "T00:00:00Z",
	})
}

// hiddenList writes, on the Read me sheet, every hidden cell with the
// reason it is hidden (Summary's reasons: small, complementary,
// coarsened), so a reader can tell a small count from one hidden to
// protect it.
func (x *xlsx) hiddenList(s Summary) {
	x.line()
	x.line(x.word("hidden_list"))
	x.line(x.word("question"), x.word("option"), x.word("by"), x.word("by_option"), x.word("reason"))
	n := 0
	why := func(r string) string {
		switch r {
		case ReasonSmall, ReasonComplementary, ReasonCoarsened:
			return x.word("why_" + r)
		}
		return r
	}
	for _, t := range []struct{ field, reason string }{
		{x.word("started"), s.StartedReason}, {x.word("completed"), s.CompletedReason}, {x.word("declined"), s.DeclinedReason},
	} {
		if t.reason != "" {
			x.line(t.field, nil, nil, nil, why(t.reason))
			n++
		}
	}
	for _, q := range s.Questions {
		if q.AnsweredReason != "" {
			x.line(q.ID, x.word("answered"), nil, nil, why(q.AnsweredReason))
			n++
		}
		for _, o := range q.Options {
			if o.Count == nil {
				x.line(q.ID, o.ID, nil, nil, why(o.Reason))
				n++
			}
		}
	}
	for _, b := range s.Breakdowns {
		for _, c := range b.Cells {
			if c.Count == nil {
				x.line(b.Question, c.Option, b.By, c.ByOption, why(c.Reason))
				n++
			}
		}
	}
	for _, w := range s.Weeks {
		if w.Completed == nil {
			x.line(x.word("week")+" "+w.Week, nil, nil, nil, why(w.Reason))
			n++
		}
		for _, c := range w.Cells {
			if c.Count == nil {
				x.line(x.word("week")+" "+w.Week+": "+c.Question, c.Option, nil, nil, why(c.Reason))
				n++
			}
		}
	}
	if n == 0 {
		x.line(x.word("none_hidden"))
	}
}

// breakdown writes b as a table: q's options down, by's options across.
func (x *xlsx) breakdown(q Question, by *Question, b Breakdown) {
	if by == nil {
		return
	}
	counts := make(map[[2]string]*int64, len(b.Cells))
	for _, c := range b.Cells {
		counts[[2]string{c.Option, c.ByOption}] = c.Count
	}
	x.line()
	x.line(x.word("by"), by.Text)
	head := []any{x.word("option"), x.word("label")}
	for _, bo := range by.Options {
		head = append(head, bo.Label)
	}
	x.line(head...)
	for _, o := range q.Options {
		row := []any{o.ID, o.Label}
		for _, bo := range by.Options {
			row = append(row, counts[[2]string{o.ID, bo.ID}])
		}
		x.line(row...)
	}
}

// weeks writes the weekly trend: one row per week, completions then every
// option count.
func (x *xlsx) weeks(s Summary, questions map[string]*Question) {
	x.newSheet(x.word("weeks"))
	head := []any{x.word("week"), x.word("completed")}
	for _, c := range s.Weeks[0].Cells {
		label := c.Option
		if q := questions[c.Question]; q != nil {
			for _, o := range q.Options {
				if o.ID == c.Option {
					label = o.Label
				}
			}
		}
		head = append(head, c.Question+": "+label)
	}
	x.line(head...)
	for _, w := range s.Weeks {
		row := []any{w.Week, w.Completed}
		for _, c := range w.Cells {
			row = append(row, c.Count)
		}
		x.line(row...)
	}
}

// sheetName makes name a valid Excel sheet name (at most 31 characters,
// none of : \ / ? * [ ], not starting or ending with an apostrophe),
// unique among used (case-insensitive).
func sheetName(name string, used map[string]bool) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, "'")
	if name == "" {
		name = "sheet"
	}
	base := truncate(name, 31)
	name = base
	for n := 2; used[strings.ToLower(name)]; n++ {
		suffix := fmt.Sprintf("~%d", n)
		name = truncate(base, 31-utf8.RuneCountInString(suffix)) + suffix
	}
	return name
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
