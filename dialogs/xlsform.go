package dialogs

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// LoadXLSForm loads the XLSForm subset Baraza understands from an .xlsx
// workbook: the survey sheet (type, name, label[::language], relevant,
// required; hint and other columns are ignored), the choices sheet
// (list_name, name, label[::language]) and the settings sheet (form_id,
// form_title, version, default_language, and Baraza's own optional kind,
// k, publish, intro, consent, outro). Types: select_one -> choice,
// select_multiple -> multi, integer and decimal -> number, text, note ->
// info, range -> scale; groups are flattened (their relevant joins their
// questions'). Types that collect identity or location (phonenumber,
// email, geopoint, image, ...) and repeats are refused. Errors are
// ValidationErrors whose Line is the sheet row.
func LoadXLSForm(file string, data []byte) (*Script, error) {
	x := &xlsLoader{file: file, ln: lines{}}
	s := x.load(data)
	for _, e := range validate(s, file, x.ln) {
		if !x.reported(e.Field) {
			e.Msg = sheetOf(e.Field) + ": " + e.Msg
			x.errs = append(x.errs, e)
		}
	}
	if len(x.errs) > 0 {
		sort.SliceStable(x.errs, func(i, j int) bool { return x.errs[i].Line < x.errs[j].Line })
		return nil, x.errs
	}
	s.File = file
	return s, nil
}

// sheetOf names the sheet a field of a built script came from.
func sheetOf(field string) string {
	switch {
	case strings.Contains(field, ".options["):
		return "choices"
	case strings.HasPrefix(field, "questions"):
		return "survey"
	}
	return "settings"
}

type xlsLoader struct {
	file string
	ln   lines
	errs ValidationErrors
}

func (x *xlsLoader) errf(sheet string, row int, field, snippet, format string, args ...any) {
	x.errs = append(x.errs, ValidationError{File: x.file, Line: row, Field: field, Snippet: snippet,
		Msg: sheet + ": " + fmt.Sprintf(format, args...)})
}

func (x *xlsLoader) reported(field string) bool {
	for _, e := range x.errs {
		if e.Field == "" || within(field, e.Field) || within(e.Field, field) {
			return true
		}
	}
	return false
}

// sheet is one worksheet read as header -> column index plus rows.
type sheet struct {
	name string
	cols map[string]int // lower-case header -> index
	head []string       // headers as written
	rows [][]string     // data rows; rows[i] is sheet row i+2
}

func (sh *sheet) get(row []string, col string) string {
	i, ok := sh.cols[col]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

func (x *xlsLoader) sheet(f *excelize.File, name string, required bool) *sheet {
	for _, n := range f.GetSheetList() {
		if !strings.EqualFold(n, name) {
			continue
		}
		rows, err := f.GetRows(n)
		if err != nil {
			x.errf(name, 0, "", "", "cannot read sheet: %v", err)
			return nil
		}
		sh := &sheet{name: name, cols: map[string]int{}}
		if len(rows) > 0 {
			sh.head = rows[0]
			for i, h := range rows[0] {
				h = strings.ToLower(strings.TrimSpace(h))
				if h == "list name" {
					h = "list_name"
				}
				if _, dup := sh.cols[h]; !dup && h != "" {
					sh.cols[h] = i
				}
			}
			sh.rows = rows[1:]
		}
		return sh
	}
	if required {
		x.errf(name, 0, "", "", "missing %s sheet", name)
	}
	return nil
}

var langColumn = regexp.MustCompile(`\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)\)\s*$`)

// englishNames maps language names as XLSForm columns often give them.
var englishNames = map[string]string{
	"english": "en", "french": "fr", "arabic": "ar", "swahili": "sw", "spanish": "es",
	"portuguese": "pt", "somali": "so", "amharic": "am", "hausa": "ha",
}

// langOf reads the language of "label::English (en)", "label::en" or
// "label::English".
func langOf(suffix string) (string, bool) {
	suffix = strings.TrimSpace(suffix)
	if m := langColumn.FindStringSubmatch(suffix); m != nil {
		return m[1], true
	}
	if validLang(suffix) {
		return suffix, true
	}
	if c, ok := englishNames[strings.ToLower(suffix)]; ok {
		return c, true
	}
	for code, name := range endonyms {
		if strings.EqualFold(name, suffix) {
			return code, true
		}
	}
	return "", false
}

// textColumns finds the columns of a localised field: "label" (default
// language) and "label::<language>".
func (x *xlsLoader) textColumns(sh *sheet, field, def string) map[string]int {
	out := map[string]int{}
	for i, h := range sh.head {
		h = strings.TrimSpace(h)
		name, suffix, hasLang := strings.Cut(h, "::")
		if !strings.EqualFold(strings.TrimSpace(name), field) {
			continue
		}
		lang := def
		if hasLang {
			l, ok := langOf(suffix)
			if !ok {
				x.errf(sh.name, 1, "", h, "cannot tell the language of column")
				continue
			}
			lang = l
		}
		if _, dup := out[lang]; !dup {
			out[lang] = i
		}
	}
	return out
}

func textFrom(row []string, cols map[string]int) Text {
	t := Text{}
	for l, i := range cols {
		if i < len(row) && strings.TrimSpace(row[i]) != "" {
			t[l] = strings.TrimSpace(row[i])
		}
	}
	if len(t) == 0 {
		return nil
	}
	return t
}

// refused lists types that collect identity, location or media, or that
// repeat: a respondent's anonymity comes first.
var refused = map[string]string{
	"phonenumber": "collects a phone number", "deviceid": "collects a device id",
	"imei": "collects a device id", "email": "collects an e-mail address",
	"username": "collects a user name", "audit": "records the respondent's actions",
	"geopoint": "collects a location", "geotrace": "collects a location", "geoshape": "collects a location",
	"start-geopoint": "collects a location", "image": "collects media", "audio": "collects media",
	"video": "collects media", "file": "collects a file", "background-audio": "records audio",
	"begin repeat": "repeats are not supported (a roster would identify people)",
	"begin_repeat": "repeats are not supported (a roster would identify people)",
	"subscriberid": "collects a subscriber id", "simserial": "collects a SIM number",
}

func (x *xlsLoader) load(data []byte) *Script {
	s := &Script{Version: 1, Kind: KindConsultation}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		x.errf("workbook", 0, "", "", "cannot read the workbook: %v", err)
		return s
	}
	defer f.Close()
	survey := x.sheet(f, "survey", true)
	choices := x.sheet(f, "choices", false)
	settings := x.sheet(f, "settings", false)
	if survey == nil {
		return s
	}

	// Settings first: the default language names the plain label column.
	def := ""
	var setRow []string
	if settings != nil && len(settings.rows) > 0 {
		setRow = settings.rows[0]
		s.ID = settings.get(setRow, "form_id")
		if v := settings.get(setRow, "version"); v != "" {
			if s.Version, err = strconv.Atoi(v); err != nil || s.Version > 1<<30 {
				x.errf("settings", 2, "version", v, "version must be a whole number")
			}
		}
		if v := settings.get(setRow, "default_language"); v != "" {
			l, ok := langOf(v)
			if !ok {
				x.errf("settings", 2, "languages", v, "cannot tell the default language")
			}
			def = l
		}
		if v := settings.get(setRow, "kind"); v != "" {
			s.Kind = v
		}
		if v := settings.get(setRow, "k"); v != "" {
			if s.K, err = strconv.Atoi(v); err != nil {
				x.errf("settings", 2, "k", v, "k must be a whole number")
			}
		}
		s.Publish = yes(settings.get(setRow, "publish"))
		for _, k := range []string{"id", "version", "kind", "k", "languages", "title", "intro", "consent", "outro"} {
			x.ln[k] = 2
		}
	}
	labelCols := x.textColumns(survey, "label", def)
	// Languages: the default first, then label columns in sheet order.
	if def != "" {
		s.Languages = append(s.Languages, def)
	}
	langsInOrder := make([]string, 0, len(labelCols))
	for l := range labelCols {
		langsInOrder = append(langsInOrder, l)
	}
	sort.Slice(langsInOrder, func(i, j int) bool { return labelCols[langsInOrder[i]] < labelCols[langsInOrder[j]] })
	for _, l := range langsInOrder {
		if l == "" {
			continue
		}
		if !contains(s.Languages, l) {
			s.Languages = append(s.Languages, l)
		}
	}
	if len(s.Languages) == 0 {
		s.Languages = []string{"en"}
	}
	def = s.Languages[0]
	if c, ok := labelCols[""]; ok { // plain "label" with no default_language
		delete(labelCols, "")
		labelCols[def] = c
	}
	if setRow != nil {
		s.Title = textFrom(setRow, x.textColumns(settings, "form_title", def))
		s.Intro = textFrom(setRow, x.textColumns(settings, "intro", def))
		s.Consent = textFrom(setRow, x.textColumns(settings, "consent", def))
		s.Outro = textFrom(setRow, x.textColumns(settings, "outro", def))
	}
	// XLSForm titles are rarely translated: the default language's title
	// (or the form id) stands for the others.
	if s.Title == nil {
		s.Title = Text{def: s.ID}
	}
	for _, l := range s.Languages {
		if s.Title[l] == "" {
			s.Title[l] = s.Title[def]
		}
	}
	if s.Consent == nil {
		s.Consent = Text{}
		for _, l := range s.Languages {
			s.Consent[l] = UI(l, "consent_default")
		}
	}

	lists := x.choices(choices, def)
	var groups []string // relevant of each open group
	for i, row := range survey.rows {
		r := i + 2
		typ := strings.Join(strings.Fields(strings.ToLower(survey.get(row, "type"))), " ")
		if typ == "" {
			continue
		}
		name := survey.get(row, "name")
		rel := survey.get(row, "relevant")
		if why, bad := refused[strings.SplitN(typ, " ", 2)[0]]; bad {
			x.errf("survey", r, "", typ, "type %s: %s", typ, why)
			continue
		}
		if why, bad := refused[typ]; bad {
			x.errf("survey", r, "", typ, "%s", why)
			continue
		}
		switch typ {
		case "begin group", "begin_group":
			groups = append(groups, rel)
			continue
		case "end group", "end_group":
			if len(groups) == 0 {
				x.errf("survey", r, "", typ, "end group without begin group")
			} else {
				groups = groups[:len(groups)-1]
			}
			continue
		case "start", "end", "today":
			continue // metadata Baraza does not record
		}
		q := Question{ID: name, Line: r, Text: textFrom(row, labelCols), Relevant: joinRelevant(groups, rel)}
		q.Optional = !yes(survey.get(row, "required"))
		f := fmt.Sprintf("questions[%d]", len(s.Questions))
		x.ln[f] = r
		kind, list, _ := strings.Cut(typ, " ")
		switch kind {
		case "select_one", "select_multiple":
			q.Type = TypeChoice
			if kind == "select_multiple" {
				q.Type = TypeMulti
			}
			l, ok := lists[list]
			if !ok {
				x.errf("survey", r, f, list, "no choices list")
			}
			for j, o := range l {
				q.Options = append(q.Options, o.opt)
				x.ln[fmt.Sprintf("%s.options[%d]", f, j)] = o.row
			}
		case "integer", "decimal":
			q.Type = TypeNumber
		case "text":
			q.Type = TypeText
			q.MaxLength = defaultMaxLength
		case "note":
			q.Type = TypeInfo
			q.Optional = false
		case "range":
			q.Type = TypeScale
			q.Min, q.Max = 1, 5
			x.rangeParams(survey.get(row, "parameters"), &q, r, f)
		default:
			x.errf("survey", r, f+".type", typ, "unsupported question type")
			continue
		}
		s.Questions = append(s.Questions, q)
	}
	if len(groups) > 0 {
		x.errf("survey", len(survey.rows)+1, "", "", "begin group without end group")
	}
	return s
}

func (x *xlsLoader) rangeParams(p string, q *Question, r int, f string) {
	for _, kv := range strings.Fields(strings.NewReplacer(";", " ", ",", " ").Replace(p)) {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			x.errf("survey", r, f+".min", kv, "range parameters must be whole numbers")
			return
		}
		switch strings.TrimSpace(k) {
		case "start":
			q.Min = n
		case "end":
			q.Max = n
		case "step":
			if n != 1 {
				x.errf("survey", r, f+".min", kv, "only range step=1 is supported")
			}
		default:
			x.errf("survey", r, f+".min", kv, "unknown range parameter")
		}
	}
}

type xlsOption struct {
	opt Option
	row int
}

func (x *xlsLoader) choices(sh *sheet, def string) map[string][]xlsOption {
	lists := map[string][]xlsOption{}
	if sh == nil {
		return lists
	}
	cols := x.textColumns(sh, "label", def)
	for i, row := range sh.rows {
		list, name := sh.get(row, "list_name"), sh.get(row, "name")
		if list == "" && name == "" {
			continue
		}
		lists[list] = append(lists[list], xlsOption{Option{ID: name, Label: textFrom(row, cols)}, i + 2})
	}
	return lists
}

// joinRelevant combines the relevant of the enclosing groups with a
// question's own.
func joinRelevant(groups []string, own string) string {
	var parts []string
	for _, g := range groups {
		if g != "" {
			parts = append(parts, g)
		}
	}
	if own != "" {
		parts = append(parts, own)
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return "(" + strings.Join(parts, ") and (") + ")"
}

// yes reads XLSForm's boolean cells: yes, true, true().
func yes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "true()", "1":
		return true
	}
	return false
}
