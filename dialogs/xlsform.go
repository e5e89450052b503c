package dialogs

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"html"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/baraza/baraza/internal/privacy"
)

// XLSForm: the workbook format of KoboToolbox and ODK (xlsform.org), read
// the way pyxform reads it. Sheet and column names are case-insensitive
// ("Survey", "List Name", "Label::English (en)"); question names, choice
// names and list names are kept as written (ODK is case-sensitive). See
// docs/xlsform.md for what is supported, what is refused and why.

// XLSFormOptions changes how a workbook is converted.
type XLSFormOptions struct {
	// DropIdentifying leaves out the questions that would identify or
	// locate a respondent (they are listed in Conversion.Dropped) instead
	// of refusing the form.
	DropIdentifying bool
}

// Conversion is the outcome of reading an XLSForm.
type Conversion struct {
	Script   *Script          // nil when Errors is not empty
	Errors   ValidationErrors // every problem, sorted by sheet and row
	Warnings ValidationErrors // what was ignored or guessed, sorted
	Dropped  ValidationErrors // with DropIdentifying: the rows left out
}

// LoadXLSForm loads an XLSForm workbook (.xlsx, .xlsm, .xls, .csv, .md).
// On failure the error is a ValidationErrors naming sheet and row of every
// problem; warnings are dropped (ConvertXLSForm gives them).
func LoadXLSForm(file string, data []byte) (*Script, error) {
	c := ConvertXLSForm(file, data, XLSFormOptions{})
	if len(c.Errors) > 0 {
		return nil, c.Errors
	}
	return c.Script, nil
}

// ConvertXLSForm reads an XLSForm and reports every problem at once.
func ConvertXLSForm(file string, data []byte, opt XLSFormOptions) *Conversion {
	x := &xlsLoader{file: file, opt: opt, ln: lines{}, sheetOf: map[string]string{}}
	s := x.load(data)
	if s != nil {
		// Every problem at once: the built script's too, except those of
		// fields already reported.
		for _, e := range validate(s, file, x.ln) {
			if !x.reported(e.Field) {
				e.Sheet = x.sheetFor(e.Field)
				x.errs = append(x.errs, e)
			}
		}
	}
	if s != nil && len(x.errs) == 0 {
		x.laterRefs(s)
		x.clockRefs(s)
	}
	c := &Conversion{Errors: sortProblems(x.errs), Warnings: sortProblems(x.warns), Dropped: sortProblems(x.dropped)}
	if len(c.Errors) == 0 {
		s.File = file
		c.Script = s
	}
	return c
}

// sortProblems orders problems by sheet (settings, survey, choices, then
// others), row and message, each once.
func sortProblems(es ValidationErrors) ValidationErrors {
	rank := func(sheet string) int {
		switch strings.ToLower(sheet) {
		case "":
			return 0
		case "settings":
			return 1
		case "survey":
			return 2
		case "choices":
			return 3
		}
		return 4
	}
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if rank(a.Sheet) != rank(b.Sheet) {
			return rank(a.Sheet) < rank(b.Sheet)
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Error() < b.Error()
	})
	out := es[:0]
	for i, e := range es {
		if i > 0 && e.Error() == es[i-1].Error() {
			continue
		}
		out = append(out, e)
	}
	return out
}

type xlsLoader struct {
	file     string
	opt      XLSFormOptions
	ln       lines
	sheetOf  map[string]string // field -> sheet name as written
	errs     ValidationErrors
	warns    ValidationErrors
	dropped  ValidationErrors
	langs    []string // languages in order, the default first
	def      string   // the default language
	sheets   map[string]*table
	suffix   map[string]string   // column language suffix -> code ("" when unknown)
	gone     map[string]string   // names of rows left out (ignored metadata, dropped) -> why
	external map[string]*xlsList // the lists of the external_choices sheet
}

func (x *xlsLoader) errf(sheet string, row int, field, snippet, format string, args ...any) {
	x.errs = append(x.errs, ValidationError{File: x.file, Sheet: sheet, Line: row, Field: field, Snippet: snippet,
		Msg: fmt.Sprintf(format, args...)})
}

func (x *xlsLoader) warnf(sheet string, row int, snippet, format string, args ...any) {
	x.warns = append(x.warns, ValidationError{File: x.file, Sheet: sheet, Line: row, Snippet: snippet,
		Msg: fmt.Sprintf(format, args...)})
}

func (x *xlsLoader) reported(field string) bool {
	for _, e := range x.errs {
		if e.Field != "" && (within(field, e.Field) || within(e.Field, field)) {
			return true
		}
	}
	return false
}

// sheetFor names the sheet a field of the built script came from.
func (x *xlsLoader) sheetFor(field string) string {
	for f := field; f != ""; {
		if s, ok := x.sheetOf[f]; ok {
			return s
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	if strings.HasPrefix(field, "questions") {
		return x.name("survey")
	}
	return x.name("settings")
}

// name is a sheet's name as the workbook writes it.
func (x *xlsLoader) name(key string) string {
	if t := x.sheets[key]; t != nil {
		return t.name
	}
	return key
}

// column is one column of a sheet: its key after pyxform's aliases
// ("label", "relevant", "constraint_message") and its language suffix.
type column struct {
	key, lang, header string
	idx               int
}

// table is a sheet read as columns and rows.
type table struct {
	name string
	cols []column
	rows [][]string // rows[i] is sheet row i+2
}

func (t *table) has(key string) bool {
	for _, c := range t.cols {
		if c.key == key {
			return true
		}
	}
	return false
}

// get returns the trimmed cell of the first column with key and no
// language (or any language when there is no plain one).
func (t *table) get(row []string, key string) string {
	for _, c := range t.cols {
		if c.key == key && c.lang == "" && c.idx < len(row) {
			return strings.TrimSpace(row[c.idx])
		}
	}
	for _, c := range t.cols {
		if c.key == key && c.idx < len(row) {
			return strings.TrimSpace(row[c.idx])
		}
	}
	return ""
}

// Column aliases, after pyxform's aliases.py.
var surveyAliases = map[string]string{
	"caption": "label", "relevance": "relevant", "readonly": "read_only", "constraining_message": "constraint_message",
	"jr:constraintmsg": "constraint_message", "calculate": "calculation", "command": "type", "tag": "name",
	"value": "name", "count": "repeat_count", "jr:count": "repeat_count", "requiredmsg": "required_message",
	"jr:requiredmsg": "required_message",
}

var choicesAliases = map[string]string{"caption": "label", "list name": "list_name", "value": "name"}

var settingsAliases = map[string]string{"set_form_title": "form_title", "set_form_id": "form_id", "id_string": "form_id"}

// translatable columns carry a language suffix.
var translatable = map[string]bool{"label": true, "hint": true, "constraint_message": true, "required_message": true,
	"guidance_hint": true, "image": true, "big-image": true, "audio": true, "video": true,
	"form_title": true, "intro": true, "consent": true, "outro": true}

// parseHeader splits "label::English (en)", "label:English",
// "bind:relevant", "bind::jr:constraintMsg" into a key and a language.
func parseHeader(h string, aliases map[string]string) (key, lang string) {
	h = strings.Join(strings.Fields(h), " ")
	var tokens []string
	if strings.Contains(h, "::") {
		tokens = strings.Split(h, "::")
	} else {
		tokens = strings.Split(h, ":")
		// "jr:count" and "bind:jr:constraintMsg" keep their "jr:".
		for i := 0; i+1 < len(tokens); i++ {
			if strings.EqualFold(strings.TrimSpace(tokens[i]), "jr") {
				tokens = append(tokens[:i], append([]string{"jr:" + tokens[i+1]}, tokens[i+2:]...)...)
				break
			}
		}
	}
	for i := range tokens {
		tokens[i] = strings.TrimSpace(tokens[i])
	}
	switch strings.ToLower(tokens[0]) {
	case "bind", "control", "body", "media", "instance":
		if len(tokens) > 1 {
			tokens = tokens[1:]
		}
	}
	key = strings.ToLower(tokens[0])
	if a, ok := aliases[key]; ok {
		key = a
	} else if a, ok := aliases[strings.ReplaceAll(key, "_", " ")]; ok {
		key = a
	}
	key = strings.ReplaceAll(key, " ", "_")
	if a, ok := aliases[key]; ok {
		key = a
	}
	if len(tokens) > 1 && translatable[key] {
		lang = strings.Join(tokens[1:], ":")
	} else if len(tokens) > 1 {
		key = strings.ToLower(strings.Join(tokens, ":"))
	}
	return key, lang
}

func (x *xlsLoader) table(sh *wsheet, key string, aliases map[string]string) *table {
	t := &table{name: sh.name}
	if len(sh.rows) == 0 {
		return t
	}
	seen := map[string]bool{}
	emptyCols := 0
	for i, h := range sh.rows[0] {
		if strings.TrimSpace(h) == "" {
			// pyxform stops reading headers after a run of empty ones.
			if emptyCols == maxEmptyColumns {
				for _, later := range sh.rows[0][i:] {
					if strings.TrimSpace(later) != "" {
						x.warnf(sh.name, 1, strings.TrimSpace(later), "this column and those after it are not read: they come after more than %d empty header cells (as pyxform reads a sheet)", maxEmptyColumns)
						break
					}
				}
				break
			}
			emptyCols++
			continue
		}
		emptyCols = 0
		k, l := parseHeader(h, aliases)
		if seen[k+"\x00"+l] {
			x.errf(sh.name, 1, "", h, "duplicate column")
			continue
		}
		seen[k+"\x00"+l] = true
		t.cols = append(t.cols, column{key: k, lang: l, header: strings.TrimSpace(h), idx: i})
	}
	t.rows = sh.rows[1:]
	// pyxform stops reading rows after a run of rows with nothing under
	// any header; what comes after is not part of the form, and is named
	// in a warning rather than dropped silently. The reader has already
	// stopped at a run of wholly blank rows (sh.dropped); a run blank only
	// under the headers can end the sheet earlier.
	later, empty := sh.dropped, 0
	for i, row := range t.rows {
		if !t.blankRow(row) {
			if empty > maxEmptyRows {
				later = i + 2
				t.rows = t.rows[:i-empty]
				break
			}
			empty = 0
			continue
		}
		empty++
	}
	if later > 0 {
		x.warnf(sh.name, later, "", "this row and those after it are not read: they come after more than %d empty rows (as pyxform reads a sheet)", maxEmptyRows)
	}
	for len(t.rows) > 0 && t.blankRow(t.rows[len(t.rows)-1]) {
		t.rows = t.rows[:len(t.rows)-1]
	}
	return t
}

// pyxform's ends of a sheet: a run of more empty header cells or empty rows
// than these ends the columns or the rows.
const (
	maxEmptyColumns = 20
	maxEmptyRows    = 60
)

// blankRow tells whether a row has nothing under any of the table's
// columns (cells under no header do not count, as in pyxform).
func (t *table) blankRow(row []string) bool {
	for _, c := range t.cols {
		if c.idx < len(row) && strings.TrimSpace(row[c.idx]) != "" {
			return false
		}
	}
	return true
}

// langOf reads a language column's suffix: "English (en)", "en",
// "English", "Français".
func langOf(suffix string) (string, bool) {
	suffix = strings.TrimSpace(suffix)
	if m := langColumn.FindStringSubmatch(suffix); m != nil {
		return m[1], true
	}
	if c, ok := languageNames[strings.ToLower(suffix)]; ok {
		return c, true
	}
	for code, name := range endonyms {
		if strings.EqualFold(name, suffix) {
			return code, true
		}
	}
	if validLang(suffix) && len(suffix) <= 3 || validLang(suffix) && strings.Contains(suffix, "-") {
		return suffix, true
	}
	return "", false
}

var langColumn = regexp.MustCompile(`\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)\)\s*$`)

// languageNames maps language names as XLSForm columns often give them.
var languageNames = map[string]string{
	"english": "en", "french": "fr", "arabic": "ar", "swahili": "sw", "kiswahili": "sw", "spanish": "es",
	"portuguese": "pt", "somali": "so", "amharic": "am", "hausa": "ha", "chinese": "zh", "hindi": "hi",
	"bengali": "bn", "bangla": "bn", "urdu": "ur", "russian": "ru", "german": "de", "italian": "it",
	"turkish": "tr", "ukrainian": "uk", "persian": "fa", "farsi": "fa", "dari": "prs", "pashto": "ps",
	"indonesian": "id", "tigrinya": "ti", "oromo": "om", "afaan oromo": "om", "yoruba": "yo", "igbo": "ig",
	"zulu": "zu", "xhosa": "xh", "shona": "sn", "kinyarwanda": "rw", "luganda": "lg", "lingala": "ln",
	"malagasy": "mg", "wolof": "wo", "fulfulde": "ff", "fula": "ff", "bambara": "bm", "nepali": "ne",
	"tamil": "ta", "kurdish": "ku", "burmese": "my", "thai": "th", "vietnamese": "vi", "tagalog": "tl",
	"filipino": "fil", "khmer": "km", "lao": "lo", "mongolian": "mn", "sinhala": "si", "tetum": "tet",
	"haitian creole": "ht", "creole": "ht", "dutch": "nl", "polish": "pl", "romanian": "ro", "greek": "el",
	"hebrew": "he", "japanese": "ja", "korean": "ko", "malay": "ms", "sango": "sg", "kirundi": "rn",
	"chichewa": "ny", "nyanja": "ny", "tswana": "tn", "sesotho": "st", "tigre": "tig", "berber": "ber",
	"tamazight": "zgh", "kanuri": "kr", "songhay": "son", "zarma": "dje", "moore": "mos", "mooré": "mos",
	"dioula": "dyu", "jula": "dyu", "sango (sg)": "sg", "luo": "luo", "dholuo": "luo", "kikuyu": "ki",
}

// Types, after pyxform's question_type_dictionary.py.

// identifying types would identify or locate a respondent: refused (or
// dropped), with what each records.
var identifying = map[string]string{
	"geopoint": "records a location", "geotrace": "records a location", "geoshape": "records a location",
	"location": "records a location", "gps": "records a location", "q location": "records a location",
	"q geopoint": "records a location", "q geoshape": "records a location", "q geotrace": "records a location",
	"add location prompt": "records a location", "start-geopoint": "records a location",
	"background-geopoint": "records a location", "osm": "records a location on a map",
	"image": "records a photo", "photo": "records a photo", "q picture": "records a photo", "q image": "records a photo",
	"add image prompt": "records a photo", "add photo prompt": "records a photo",
	"audio": "records the respondent's voice", "q audio": "records the respondent's voice",
	"add audio prompt": "records the respondent's voice", "background-audio": "records the respondent's voice",
	"video": "records a video", "q video": "records a video", "add video prompt": "records a video",
	"file": "collects a file", "add file prompt": "collects a file",
	"audit":   "records the respondent's actions and timings",
	"barcode": "scans a code such as an identity card", "q barcode": "scans a code such as an identity card",
	"add barcode prompt": "scans a code such as an identity card",
	"deviceid":           "records the device's identifier", "device id": "records the device's identifier",
	"get device id": "records the device's identifier", "imei": "records the device's identifier",
	"uri:deviceid": "records the device's identifier",
	"subscriberid": "records the SIM subscriber id", "subscriber id": "records the SIM subscriber id",
	"get subscriber id": "records the SIM subscriber id", "uri:subscriberid": "records the SIM subscriber id",
	"simserial": "records the SIM serial number", "sim id": "records the SIM serial number",
	"get sim id": "records the SIM serial number", "uri:simserial": "records the SIM serial number",
	"phonenumber": "records a phone number", "phone number": "asks for a phone number",
	"get phone number": "records a phone number", "uri:phonenumber": "records a phone number",
	"username": "records the user name", "uri:username": "records the user name",
	"email": "records an e-mail address", "uri:email": "records an e-mail address",
}

// clockTypes are metadata that identify no one: ignored with a warning.
var clockTypes = map[string]bool{"start": true, "end": true, "today": true, "start time": true,
	"end time": true, "get start time": true, "get end time": true, "get today": true}

var selectType = regexp.MustCompile(`^(select_one_external|select one external|select_one|select one|select1|select_multiple|select multiple|select all that apply|` +
	`select one from|select all that apply from|select multiple from|add select one prompt using|` +
	`add select multiple prompt using|select one using|select multiple using|rank|q select1|q select)` +
	` (\S+)( (or_other|or specify other|or other))?$`)

var beginType = regexp.MustCompile(`^begin[ _](group|repeat|lgroup|looped group)$`)
var endType = regexp.MustCompile(`^end[ _](group|repeat|lgroup|looped group)$`)

// loopType is pyxform's "begin loop over list": the rows up to "end loop"
// asked once for each choice of the list.
var beginLoop = regexp.MustCompile(`^begin[ _]loop( over)? (\S+)$|^begin[ _]kobomatrix$`)
var endLoop = regexp.MustCompile(`^end[ _](loop|kobomatrix)$`)

// frame is an open group or repeat.
type frame struct {
	repeat   bool
	name     string
	label    Text
	relevant string
	count    string
	row      int
	first    int // index of the repeat's first question
}

func (x *xlsLoader) load(data []byte) *Script {
	wb, err := readWorkbook(x.file, data)
	if err != nil {
		x.errf("", 0, "", "", "%v", err)
		return nil
	}
	x.sheets = map[string]*table{}
	var names []string
	for _, sh := range wb.sheets {
		key := strings.ToLower(strings.TrimSpace(sh.name))
		names = append(names, sh.name)
		switch key {
		case "survey":
			x.sheets[key] = x.table(sh, key, surveyAliases)
		case "choices", "external_choices":
			x.sheets[key] = x.table(sh, key, choicesAliases)
		case "entities":
			x.warnf(sh.name, 0, "", "the entities sheet is not used: Baraza keeps no records of people, households or places between consultations")
		case "settings":
			x.sheets[key] = x.table(sh, key, settingsAliases)
		}
	}
	// A workbook of one sheet with another name is its survey, as pyxform
	// reads it ("Sheet1" of a form typed in a hurry).
	if len(x.sheets) == 0 && len(wb.sheets) == 1 {
		x.sheets["survey"] = x.table(wb.sheets[0], "survey", surveyAliases)
		x.warnf(wb.sheets[0].name, 0, "", "the only sheet is read as the survey sheet")
	}
	survey := x.sheets["survey"]
	if survey == nil {
		hint := ""
		if h := suggest("survey", lower(names)); h != "" {
			hint = " (" + h + ")"
		}
		x.errf("", 0, "", "", "no sheet named survey%s", hint)
		return nil
	}
	if !survey.has("type") {
		x.errf(survey.name, 1, "", "", "no type column")
	}
	if !survey.has("name") {
		x.errf(survey.name, 1, "", "", "no name column")
	}
	s := &Script{Version: 1, Kind: KindConsultation}
	settings := x.sheets["settings"]
	var setRow []string
	if settings != nil {
		for _, r := range settings.rows {
			if !blank(r) {
				setRow = r
				break
			}
		}
	}
	x.languages(setRow)
	s.Languages = x.langs
	x.settings(s, setRow)
	lists := x.choices("choices")
	x.external = x.choices("external_choices")
	x.survey(s, survey, lists)
	x.fillTranslations(s)
	return s
}

func lower(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToLower(s)
	}
	return out
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// languages finds the form's languages: settings' default_language first
// (the language of columns without a suffix), then every language of the
// survey's and choices' columns in order. Without default_language, plain
// columns are English, or "und" (undetermined) when English has its own.
func (x *xlsLoader) languages(setRow []string) {
	suffixes := map[string]string{} // suffix -> code
	var order []string
	plain := false
	for _, key := range []string{"survey", "choices", "settings"} {
		t := x.sheets[key]
		if t == nil {
			continue
		}
		for _, c := range t.cols {
			if !translatable[c.key] {
				continue
			}
			if c.lang == "" {
				if c.key == "label" || c.key == "hint" {
					plain = true
				}
				continue
			}
			if _, done := suffixes[c.lang]; done {
				continue
			}
			code, ok := langOf(c.lang)
			if !ok {
				x.warnf(t.name, 1, c.header, "cannot tell the language of this column: it is ignored (write it as %s::Name (code), e.g. label::Français (fr))", c.key)
				suffixes[c.lang] = ""
				continue
			}
			suffixes[c.lang] = code
			if !contains(order, code) {
				order = append(order, code)
			}
		}
	}
	def := ""
	if settings := x.sheets["settings"]; settings != nil && setRow != nil {
		if v := settings.get(setRow, "default_language"); v != "" {
			code, ok := langOf(v)
			if !ok {
				x.errf(settings.name, 2, "languages", v, "cannot tell the default language (write it as Name (code), e.g. English (en))")
			} else {
				def = code
			}
		}
	}
	if def == "" && plain {
		def = "en"
		if contains(order, "en") {
			def = "und"
		}
	}
	if def == "" && len(order) > 0 {
		def = order[0]
	}
	if def == "" {
		def = "en"
	}
	x.def = def
	x.langs = []string{def}
	for _, l := range order {
		if !contains(x.langs, l) {
			x.langs = append(x.langs, l)
		}
	}
	x.suffix = suffixes
}

// text reads a translatable field of a row in every language; markdown and
// HTML are stripped (a chat shows plain text).
func (x *xlsLoader) text(t *table, row []string, key string) Text {
	out := Text{}
	for _, c := range t.cols {
		if c.key != key || c.idx >= len(row) {
			continue
		}
		v := strings.TrimSpace(row[c.idx])
		if v == "" {
			continue
		}
		lang := x.def
		if c.lang != "" {
			if lang = x.suffix[c.lang]; lang == "" {
				continue
			}
		}
		// An explicit column for the default language wins over the plain one.
		if _, set := out[lang]; set && c.lang == "" {
			continue
		}
		out[lang] = stripMarkup(v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// dp reads the settings publish = dp with its epsilon, releases and every
// columns, as the YAML's publish: {mode: dp, epsilon: …, releases: …,
// every: …}.
func (x *xlsLoader) dp(sheet, eps, releases, every string) (bool, *DP) {
	dp := &DP{Releases: DefaultDPReleases}
	e, err := privacy.ParseEpsilon(strings.TrimSpace(eps))
	if err != nil {
		x.errf(sheet, 2, "epsilon", eps, "publish dp needs an epsilon column: %v", err)
		return false, nil
	}
	dp.Epsilon = e
	if v := strings.TrimSpace(releases); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxDPReleases {
			x.errf(sheet, 2, "releases", v, "releases must be 1 to %d", MaxDPReleases)
			return false, nil
		}
		dp.Releases = n
	}
	if v := strings.TrimSpace(every); v != "" {
		d, err := ParseEvery(v)
		if err != nil {
			x.errf(sheet, 2, "every", v, "every: %v", err)
			return false, nil
		}
		dp.Every = d
	}
	if dp.PerRelease().IsZero() {
		x.errf(sheet, 2, "epsilon", eps, "epsilon %v shared by %d releases leaves less than 0.000001 each", dp.Epsilon, dp.Releases)
		return false, nil
	}
	return true, dp
}

func (x *xlsLoader) settings(s *Script, row []string) {
	t := x.sheets["settings"]
	base := strings.TrimSuffix(path.Base(strings.ReplaceAll(x.file, "\\", "/")), path.Ext(x.file))
	formID := base
	if t != nil && row != nil {
		if v := t.get(row, "form_id"); v != "" {
			formID = v
		}
		s.Title = x.text(t, row, "form_title")
		s.Intro = x.text(t, row, "intro")
		s.Consent = x.text(t, row, "consent")
		s.Outro = x.text(t, row, "outro")
		if v := t.get(row, "version"); v != "" {
			s.Version = versionNumber(v)
		}
		if v := t.get(row, "kind"); v != "" {
			s.Kind = v
		}
		if v := t.get(row, "k"); v != "" {
			k, err := strconv.Atoi(v)
			if err != nil {
				x.errf(t.name, 2, "k", v, "k must be a whole number")
			}
			s.K = k
		}
		if strings.EqualFold(strings.TrimSpace(t.get(row, "publish")), PublishDP) {
			s.Publish, s.DP = x.dp(t.name, t.get(row, "epsilon"), t.get(row, "releases"), t.get(row, "every"))
		} else {
			s.Publish = yes(t.get(row, "publish"))
		}
		for _, k := range []string{"id", "version", "kind", "k", "languages", "title", "intro", "consent", "outro"} {
			x.ln[k] = 2
			x.sheetOf[k] = t.name
		}
	}
	s.ID = scriptID(formID)
	if s.ID != formID {
		x.warnf(x.name("settings"), 0, formID, "the form id is used as %q (a consultation id is 1 to 40 of a-z, 0-9 and -)", s.ID)
	}
	if s.Title == nil {
		s.Title = Text{x.def: formID}
	}
	if s.Consent == nil {
		s.Consent = Text{}
		for _, l := range x.langs {
			s.Consent[l] = UI(l, "consent_default")
		}
	}
}

// versionNumber turns XLSForm's version (any string: "2024010101",
// "v1.2") into the script's positive version number: the number itself
// when small enough, else a hash of the text (a new version is still a new
// number).
func versionNumber(v string) int {
	if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 1<<30 {
		return n
	}
	h := fnv.New32a()
	h.Write([]byte(v))
	return int(h.Sum32()%(1<<30)) + 1
}

// scriptID makes a consultation id of a form id: lower-case, runs of other
// characters as "-", at most 40.
func scriptID(formID string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(formID) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	id := strings.Trim(b.String(), "-")
	if len(id) > 40 {
		id = strings.Trim(id[:40], "-")
	}
	if id == "" {
		id = "form"
	}
	return id
}

type xlsOption struct {
	opt Option
	row int
}

type xlsList struct {
	opts []xlsOption
	row  int
}

// choices reads the lists of a choices sheet: "choices", or
// "external_choices", which holds the lists of select_one_external
// questions (pyxform writes them to itemsets.csv; a chat asks them like
// any other list).
func (x *xlsLoader) choices(sheet string) map[string]*xlsList {
	lists := map[string]*xlsList{}
	t := x.sheets[sheet]
	if t == nil {
		return lists
	}
	if !t.has("list_name") && len(t.rows) > 0 {
		x.errf(t.name, 1, "", "", "no list_name column")
	}
	for i, row := range t.rows {
		r := i + 2
		list, name := t.get(row, "list_name"), t.get(row, "name")
		if list == "" && name == "" {
			continue
		}
		if list == "" {
			x.errf(t.name, r, "", name, "choice without a list_name")
			continue
		}
		o := Option{ID: name, Label: x.text(t, row, "label")}
		for _, c := range t.cols {
			if c.key == "list_name" || c.key == "name" || translatable[c.key] || c.idx >= len(row) {
				continue
			}
			if v := strings.TrimSpace(row[c.idx]); v != "" {
				if o.Props == nil {
					o.Props = map[string]string{}
				}
				o.Props[c.header] = v
			}
		}
		l := lists[list]
		if l == nil {
			l = &xlsList{row: r}
			lists[list] = l
		}
		l.opts = append(l.opts, xlsOption{o, r})
	}
	return lists
}

func (x *xlsLoader) survey(s *Script, t *table, lists map[string]*xlsList) {
	x.gone = map[string]string{}
	defer x.forget(s)
	var stack []frame
	used := map[string]bool{}
	for _, nr := range x.expandLoops(s, t, lists) {
		r, row := nr.r, nr.cells
		if blank(row) {
			continue
		}
		if yes(t.get(row, "disabled")) {
			continue
		}
		raw := t.get(row, "type")
		typ := strings.Join(strings.Fields(strings.ToLower(raw)), " ")
		name := t.get(row, "name")
		label := x.text(t, row, "label")
		if typ == "" {
			if name != "" || label != nil {
				x.errf(t.name, r, "", name, "row without a type")
			}
			continue
		}
		rel := t.get(row, "relevant")
		if why, bad := identifying[typ]; bad || strings.HasPrefix(typ, "osm ") {
			if !bad {
				why = identifying["osm"]
			}
			msg := fmt.Sprintf("type %s would identify or locate a respondent (it %s)", raw, why)
			x.gone[name] = "left out"
			if x.opt.DropIdentifying {
				x.dropped = append(x.dropped, ValidationError{File: x.file, Sheet: t.name, Line: r, Snippet: name, Msg: msg})
			} else {
				x.errf(t.name, r, "", name, "%s; remove the row, or convert with --drop-identifying", msg)
			}
			continue
		}
		if clockTypes[typ] {
			x.warnf(t.name, r, name, "type %s is ignored: Baraza records no time of answering", raw)
			x.gone[name] = "ignored"
			continue
		}
		if _, isSetting := settingsAliases[typ]; isSetting || typ == "form_title" || typ == "form_id" {
			continue
		}
		if m := beginType.FindStringSubmatch(typ); m != nil {
			f := frame{repeat: m[1] != "group", name: name, label: label, relevant: rel, count: t.get(row, "repeat_count"), row: r, first: len(s.Questions)}
			if f.repeat && !validName(name) {
				x.errf(t.name, r, "", name, "a repeat needs a name (a letter or _ first, then letters, digits, -, _ or .)")
			} else if name == "" {
				// pyxform refuses it too ("Question or group with no name").
				x.errf(t.name, r, "", raw, "a group needs a name")
			}
			stack = append(stack, f)
			continue
		}
		if m := endType.FindStringSubmatch(typ); m != nil {
			isRepeat := m[1] != "group"
			if len(stack) == 0 || stack[len(stack)-1].repeat != isRepeat {
				x.errf(t.name, r, "", raw, "%s without a matching begin", raw)
				continue
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.repeat && f.first < len(s.Questions) {
				q := Question{ID: f.name, Type: TypeRepeatEnd, Text: f.label, Line: f.row, Sheet: t.name,
					RepeatFrom: s.Questions[f.first].ID, RepeatCount: f.count, Cap: maxRepeat,
					Relevant: joinRelevant(stack, f.relevant)}
				x.add(s, q, f.row, t.name)
			}
			continue
		}
		if name == "" && typ == "note" {
			name = "generated_note_name_" + strconv.Itoa(r)
		}
		if name == "" {
			x.errf(t.name, r, "", raw, "question without a name")
			continue
		}
		calculated := false // a question with a calculation and nothing to show
		if label == nil && typ != "calculate" && typ != "hidden" && !strings.HasPrefix(typ, "begin") {
			if h := x.text(t, row, "hint"); h != nil {
				label = h
			} else if t.get(row, "calculation") != "" && selectType.FindStringSubmatch(typ) == nil {
				// pyxform shows no control for it: it is computed, as
				// a calculate of that type (a timestamp with trigger).
				calculated = true
			} else if x.text(t, row, "image") != nil || x.text(t, row, "audio") != nil || x.text(t, row, "video") != nil || x.text(t, row, "big-image") != nil {
				x.warnf(t.name, r, name, "a row with only an image, audio or video is left out: a chat shows text")
				x.gone[name] = "left out"
				continue
			}
		}
		q := Question{ID: name, Line: r, Sheet: t.name, Text: label, Relevant: joinRelevant(stack, rel)}
		q.Hint = x.text(t, row, "hint")
		q.Constraint = t.get(row, "constraint")
		q.ConstraintMessage = x.text(t, row, "constraint_message")
		q.RequiredMessage = x.text(t, row, "required_message")
		q.Default = t.get(row, "default")
		q.ChoiceFilter = t.get(row, "choice_filter")
		q.Calculation = t.get(row, "calculation")
		req := t.get(row, "required")
		q.Optional = !yes(req)
		if req != "" && !yes(req) && !no(req) {
			q.Optional = false
			x.warnf(t.name, r, req, "required as an expression is read as required")
		}
		ro := t.get(row, "read_only")
		q.ReadOnly = yes(ro)
		if ro != "" && !yes(ro) && !no(ro) {
			x.warnf(t.name, r, ro, "read_only as an expression is read as not read-only")
		}
		if tr := t.get(row, "trigger"); tr != "" {
			x.warnf(t.name, r, tr, "trigger is not supported: the calculation is made when %q is reached, not again when %s changes", name, tr)
		}
		if p := t.get(row, "parameters"); p != "" && typ != "range" && !strings.HasPrefix(typ, "range") {
			if strings.Contains(strings.ToLower(p), "randomize") {
				x.warnf(t.name, r, p, "randomize is not supported: the choices are shown in the form's order")
			} else {
				x.warnf(t.name, r, p, "parameters are ignored for type %s", raw)
			}
		}
		if calculated {
			typ = "calculate"
		}
		f := fmt.Sprintf("questions[%d]", len(s.Questions))
		kind, list, other := typ, "", false
		if m := selectType.FindStringSubmatch(typ); m != nil {
			// The list name keeps its case: take it from the cell as written.
			kind, list, other = m[1], strings.Fields(raw)[len(strings.Fields(m[1]))], m[3] != ""
		}
		switch kind {
		case "select_one", "select one", "select1", "select one from", "add select one prompt using", "select one using", "q select1",
			"select_multiple", "select multiple", "select all that apply", "select all that apply from", "select multiple from",
			"add select multiple prompt using", "select multiple using", "q select", "rank",
			"select_one_external", "select one external":
			q.Type = TypeChoice
			switch {
			case kind == "rank":
				q.Type = TypeRank
			case strings.Contains(kind, "multiple") || strings.Contains(kind, "all that apply") || kind == "q select":
				q.Type = TypeMulti
			}
			from, sheet := lists, "choices"
			if strings.Contains(kind, "external") {
				from, sheet = x.external, "external_choices"
			}
			l, ok := from[list]
			if !ok {
				hint := suggest(list, sortedListNames(from))
				x.errf(t.name, r, "", list, "no list named %q in the %s sheet%s", list, sheet, parens(hint))
				continue
			}
			used[list] = true
			for j, o := range l.opts {
				opt := o.opt
				if opt.Label == nil && opt.ID != "" {
					opt.Label = Text{x.def: opt.ID}
					x.warnf(x.name(sheet), o.row, opt.ID, "choice without a label: its name is shown")
				}
				q.Options = append(q.Options, opt)
				x.ln[fmt.Sprintf("%s.options[%d]", f, j)] = o.row
				x.sheetOf[fmt.Sprintf("%s.options[%d]", f, j)] = x.name(sheet)
			}
			if other {
				label := Text{}
				for _, lg := range x.langs {
					label[lg] = UI(lg, "other")
				}
				q.Options = append(q.Options, Option{ID: "other", Label: label})
			}
		case "integer", "int", "q int", "add integer prompt":
			q.Type, q.Integer = TypeNumber, true
		case "decimal", "q decimal", "add decimal prompt":
			q.Type = TypeNumber
		case "text", "string", "q string", "add text prompt":
			q.Type = TypeText
			q.MaxLength = defaultMaxLength
			x.asksIdentity(t, r, &q)
		case "note", "q note", "add note prompt":
			q.Type = TypeInfo
			q.Optional = false
		case "acknowledge", "trigger", "q acknowledge", "add acknowledge prompt":
			q.Type = TypeAcknowledge
		case "date", "q date", "add date prompt":
			q.Type = TypeDate
		case "time":
			q.Type = TypeTime
		case "datetime", "date time", "q date time", "q datetime", "add datetime prompt", "add date time prompt":
			q.Type = TypeDate
			x.warnf(t.name, r, name, "type %s is asked as a date (the time of day is not asked)", raw)
		case "calculate", "hidden", "q calculate", "add calculate prompt":
			q.Type = TypeCalculate
			q.Optional = false
			if kind != "hidden" && q.Calculation == "" && q.Default == "" {
				x.errf(t.name, r, "", name, "calculate without a calculation")
				continue
			}
		case "range":
			x.rangeParams(t, row, &q, r, f)
		default:
			switch {
			case strings.HasPrefix(typ, "select_one_from_file") || strings.HasPrefix(typ, "select_multiple_from_file") ||
				strings.HasPrefix(typ, "select one from file") || strings.HasPrefix(typ, "select multiple from file"):
				x.errf(t.name, r, "", raw, "choices from an external file are not supported: put them in the choices sheet")
			case typ == "include":
				x.errf(t.name, r, "", name, "include (rows from another workbook) is not supported: copy its rows into this form")
			case typ == "xml-external" || typ == "csv-external":
				x.errf(t.name, r, "", raw, "external data is not supported")
			default:
				x.errf(t.name, r, "", raw, "unknown question type%s", parens(suggest(typ, knownTypes)))
			}
			continue
		}
		if q.ReadOnly && q.Type != TypeInfo && q.Type != TypeCalculate {
			q.Optional = false
		}
		if q.Default != "" && !defaultOK(&q) {
			x.warnf(t.name, r, q.Default, "default is not a valid %s answer: ignored", q.Type)
			q.Default = ""
		}
		x.add(s, q, r, t.name)
		if other {
			// As pyxform does: "Other" is followed by a text question
			// asking which, named <name>_other, asked only after Other.
			label := Text{}
			for _, lg := range x.langs {
				label[lg] = UI(lg, "specify_other")
			}
			x.add(s, Question{ID: q.ID + "_other", Type: TypeText, Text: label, Optional: true, MaxLength: defaultMaxLength,
				Line: r, Sheet: t.name, Relevant: joinRelevant(stack, "selected(${"+q.ID+"}, 'other')")}, r, t.name)
		}
	}
	for _, f := range stack {
		what := "group"
		if f.repeat {
			what = "repeat"
		}
		x.errf(t.name, f.row, "", f.name, "begin %s without end %s", what, what)
	}
}

// forget takes the ${references} to rows left out (ignored metadata,
// identifying rows dropped, media-only rows) out of the texts: they would
// be empty. Expressions that use them stay errors.
func (x *xlsLoader) forget(s *Script) {
	if len(x.gone) == 0 {
		return
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		for _, t := range []Text{q.Text, q.Hint, q.ConstraintMessage, q.RequiredMessage} {
			for l, v := range t {
				for _, id := range textRefs(v) {
					if why, ok := x.gone[id]; ok {
						v = strings.ReplaceAll(v, "${"+id+"}", "")
						x.warnf(q.Sheet, q.Line, id, "the text refers to %s, which is %s: it shows nothing there", id, why)
					}
				}
				t[l] = v
			}
		}
	}
}

// add appends q, remembering its row for messages.
func (x *xlsLoader) add(s *Script, q Question, r int, sheet string) {
	f := fmt.Sprintf("questions[%d]", len(s.Questions))
	x.ln[f] = r
	x.sheetOf[f] = sheet
	s.Questions = append(s.Questions, q)
}

// defaultOK tells whether a typed question's default is an answer it
// accepts (a default that is an expression, or a bad date, is dropped).
func defaultOK(q *Question) bool {
	switch q.Type {
	case TypeDate:
		_, ok := parseDate(q.Default)
		return ok
	case TypeTime:
		_, ok := parseTime(q.Default)
		return ok
	case TypeNumber:
		_, f, ok := parseNumber(q.Default)
		return ok && (!q.Integer || f == float64(int64(f)))
	case TypeText:
		return !strings.Contains(q.Default, "${") && !strings.Contains(q.Default, "(")
	}
	return true
}

var knownTypes = []string{"text", "integer", "decimal", "range", "select_one", "select_multiple", "rank", "note",
	"date", "time", "calculate", "acknowledge", "begin group", "end group", "begin repeat", "end repeat"}

func parens(hint string) string {
	if hint == "" {
		return ""
	}
	return " (" + hint + ")"
}

func sortedListNames(lists map[string]*xlsList) []string {
	out := make([]string, 0, len(lists))
	for k := range lists {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// identityWords, in a text question's name or label, ask for a name or a
// phone number.
var identityWords = map[string]bool{
	"name": true, "names": true, "firstname": true, "surname": true, "lastname": true, "fullname": true,
	"phone": true, "telephone": true, "tel": true, "mobile": true, "cellphone": true, "whatsapp": true,
	"email": true, "e-mail": true, "nom": true, "prénom": true, "prenom": true, "téléphone": true,
	"portable": true, "اسم": true, "اسمك": true, "الاسم": true, "هاتف": true, "الهاتف": true, "هاتفك": true,
	"jina": true, "simu": true, "nombre": true, "teléfono": true, "telefono": true, "celular": true,
}

// asksIdentity warns about a text question that asks for a name or phone.
func (x *xlsLoader) asksIdentity(t *table, r int, q *Question) {
	texts := []string{q.ID}
	for _, l := range sortedKeys(q.Text) {
		texts = append(texts, q.Text[l])
	}
	for _, s := range texts {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !unicode.IsLetter(r) && r != '-' && !unicode.Is(unicode.Mn, r)
		}) {
			if identityWords[w] {
				x.warnf(t.name, r, q.ID, "this text question seems to ask for a name or a phone number (%q), which would identify a respondent: ask something else, or leave it out", w)
				return
			}
		}
	}
}

func (x *xlsLoader) rangeParams(t *table, row []string, q *Question, r int, f string) {
	lo, hi, step := 1.0, 10.0, 1.0 // ODK's defaults
	for _, kv := range strings.Fields(strings.NewReplacer(";", " ", ",", " ").Replace(t.get(row, "parameters"))) {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || n != n {
			x.errf(t.name, r, f+".min", kv, "range parameters must be numbers")
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "start":
			lo = n
		case "end":
			hi = n
		case "step":
			step = n
		case "tick_interval", "placeholder", "tick_labelset":
		default:
			x.errf(t.name, r, f+".min", kv, "unknown range parameter")
		}
	}
	whole := func(v float64) bool { return v == float64(int(v)) && v > -1e9 && v < 1e9 }
	if step <= 0 || lo >= hi {
		x.errf(t.name, r, f+".min", fmt.Sprint(lo, "..", hi, " step ", step), "a range needs start < end and step > 0")
		return
	}
	q.Min, q.Max = int(lo), int(hi)
	if whole(lo) && whole(hi) && whole(step) && int(hi-lo)%int(step) == 0 && int(hi-lo)/int(step)+1 <= maxScalePoints {
		q.Type, q.Step = TypeScale, int(step)
		if q.Step == 1 {
			q.Step = 0
		}
		return
	}
	// Too many points for buttons: a typed number within the bounds.
	q.Type = TypeNumber
	q.Integer = whole(step) && whole(lo)
	q.HasMin, q.HasMax = true, true
	if !whole(lo) || !whole(hi) {
		x.errf(t.name, r, f+".min", fmt.Sprint(lo, "..", hi), "a range with decimal bounds is not supported")
	}
}

// fillTranslations gives every language a text wherever the default (or
// another) language has one, so a partly translated form still runs; one
// warning per language says how many texts fall back.
func (x *xlsLoader) fillTranslations(s *Script) {
	missing := map[string]int{}
	fill := func(t Text) {
		if len(t) == 0 {
			return
		}
		src := t[x.def]
		if src == "" {
			for _, l := range x.langs {
				if t[l] != "" {
					src = t[l]
					break
				}
			}
		}
		for _, l := range x.langs {
			if strings.TrimSpace(t[l]) == "" {
				t[l] = src
				missing[l]++
			}
		}
	}
	fill(s.Title)
	fill(s.Intro)
	fill(s.Outro)
	for i := range s.Questions {
		q := &s.Questions[i]
		fill(q.Text)
		fill(q.Hint)
		fill(q.ConstraintMessage)
		fill(q.RequiredMessage)
		for j := range q.Options {
			fill(q.Options[j].Label)
		}
	}
	for _, l := range x.langs {
		if n := missing[l]; n > 0 {
			x.warnf(x.name("survey"), 0, l, "%d texts have no %s translation: another language's text is shown", n, LanguageName(l))
		}
	}
}

// joinRelevant combines the relevant of the enclosing groups and repeats
// with a question's own.
func joinRelevant(stack []frame, own string) string {
	var parts []string
	for _, f := range stack {
		if f.relevant != "" {
			parts = append(parts, f.relevant)
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

func no(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "no", "false", "false()", "0", "":
		return true
	}
	return false
}

// Markup: a chat shows plain text, so labels lose their HTML tags and
// markdown marks (never shown raw); a link keeps its address.
var (
	htmlTag    = regexp.MustCompile(`(?s)<[^<>]{0,500}>`)
	hiddenHTML = regexp.MustCompile(`(?is)<(?:span|div|p|font)\b[^<>]{0,500}display\s*:\s*none[^<>]{0,500}>[^<]{0,1000}</(?:span|div|p|font)\s*>`)
	mdLink     = regexp.MustCompile(`\[([^\]\n]{0,500})\]\(([^)\s]{1,500})\)`)
	mdStrong   = regexp.MustCompile(`\*\*([^*\n]{1,500}?)\*\*|__([^_\n]{1,500}?)__`)
	mdEmphasis = regexp.MustCompile(`(^|[^\w*$])[*_]([^*_\n{}]{1,500}?)[*_]($|[^\w*])`)
	mdHeading  = regexp.MustCompile(`(?m)^#{1,6}\s+`)
)

// stripMarkup strips HTML and markdown from a label.
func stripMarkup(s string) string {
	if !strings.ContainsAny(s, "<>*_[#&") {
		return s
	}
	// Text a form hides from the screen (Kobo's grid theme hides labels
	// in spans) is not shown either, unless it is all there is.
	if h := hiddenHTML.ReplaceAllString(s, ""); strings.TrimSpace(htmlTag.ReplaceAllString(h, "")) != "" {
		s = h
	}
	s = htmlTag.ReplaceAllString(s, "")
	s = mdLink.ReplaceAllString(s, "$1 ($2)")
	s = mdStrong.ReplaceAllString(s, "$1$2")
	s = mdEmphasis.ReplaceAllString(s, "$1$2$3")
	s = mdHeading.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	return strings.TrimSpace(s)
}

// laterRefs warns about relevant expressions that read a question asked
// later: ODK allows them, and in a chat the later question has no answer
// yet when this one is reached, so the expression reads it as empty.
func (x *xlsLoader) laterRefs(s *Script) {
	for i := range s.Questions {
		q := &s.Questions[i]
		if q.relevant == nil {
			continue
		}
		for _, id := range Refs(q.relevant) {
			if j := s.pos(id); j > i {
				x.warnf(x.name("survey"), q.Line, q.Relevant, "relevant of %q reads %q, which is asked later: it has no answer yet when %q is reached, so it reads as empty", q.ID, id, q.ID)
			}
		}
	}
}

// numberedRow is a survey row with the row number a person sees.
type numberedRow struct {
	r     int
	cells []string
}

// maxLoopRows bounds what loops may expand to, so that a small hostile
// workbook cannot grow into millions of questions.
const maxLoopRows = 20000

// expandLoops returns the survey's rows with every "begin loop over list"
// … "end loop" block written out once per choice of the list, as pyxform
// builds it: the choice "none" is skipped, "%(name)s" and "%(label)s" in
// any cell become the choice's name and label (in the cell's language),
// a label that names neither is preceded by the choice's label (pyxform's
// group heading), and the block's questions are named name_choice so that each is asked
// and counted on its own (${name} inside the block follows). Row numbers
// stay those of the workbook, for messages.
func (x *xlsLoader) expandLoops(s *Script, t *table, lists map[string]*xlsList) []numberedRow {
	rows := make([]numberedRow, len(t.rows))
	for i, row := range t.rows {
		rows[i] = numberedRow{i + 2, row}
	}
	typeOf := func(nr numberedRow) string {
		return strings.Join(strings.Fields(strings.ToLower(t.get(nr.cells, "type"))), " ")
	}
	nameCol := -1
	for _, c := range t.cols {
		if c.key == "name" {
			nameCol = c.idx
			break
		}
	}
	for {
		start := -1
		var list string
		matrix := false // KoboToolbox's begin_kobomatrix, its list in kobo--matrix_list
		for i, nr := range rows {
			if m := beginLoop.FindStringSubmatch(typeOf(nr)); m != nil {
				start = i
				// The list name keeps its case.
				f := strings.Fields(t.get(nr.cells, "type"))
				list = f[len(f)-1]
				if matrix = m[2] == ""; matrix {
					list = t.get(nr.cells, "kobo--matrix_list")
				}
				break
			}
		}
		if start < 0 {
			for _, nr := range rows {
				if endLoop.MatchString(typeOf(nr)) {
					x.errf(t.name, nr.r, "", t.get(nr.cells, "type"), "end loop without a matching begin loop")
				}
			}
			return rows
		}
		// The matching end, counting nested loops.
		end, depth := -1, 0
		for i := start + 1; i < len(rows) && end < 0; i++ {
			switch tp := typeOf(rows[i]); {
			case beginLoop.MatchString(tp):
				depth++
			case endLoop.MatchString(tp):
				if depth == 0 {
					end = i
				}
				depth--
			}
		}
		begin := rows[start]
		if end < 0 {
			x.errf(t.name, begin.r, "", t.get(begin.cells, "type"), "begin loop without a matching end loop")
			return append(rows[:start:start], rows[start+1:]...)
		}
		l := lists[list]
		if l == nil {
			x.errf(t.name, begin.r, "", list, "no choices list named %q for the loop%s", list, parens(suggest(list, sortedListNames(lists))))
		}
		loopName := t.get(begin.cells, "name")
		body := rows[start+1 : end]
		// Names defined in the block, renamed per choice.
		defined := map[string]bool{}
		for _, nr := range body {
			if n := t.get(nr.cells, "name"); n != "" {
				defined[n] = true
			}
		}
		out := append([]numberedRow{}, rows[:start]...)
		// The loop itself is a group: its label and relevant hold for
		// every question in it.
		out = append(out, numberedRow{begin.r, x.retype(t, begin.cells, "begin group")})
		if l != nil {
			for _, o := range l.opts {
				if o.opt.ID == "none" {
					continue
				}
				for _, nr := range body {
					cells := make([]string, len(nr.cells))
					for _, c := range t.cols {
						if c.idx >= len(nr.cells) {
							continue
						}
						v := nr.cells[c.idx]
						lang := x.def
						if c.lang != "" && x.suffix[c.lang] != "" {
							lang = x.suffix[c.lang]
						}
						label := cmp.Or(s.Text(o.opt.Label, lang), o.opt.ID)
						// pyxform shows each choice's questions under a group
						// labelled with the choice; a chat has no such heading,
						// so a label that does not name the choice is preceded
						// by it.
						if c.key == "label" && strings.TrimSpace(v) != "" && !strings.Contains(v, "%(label)s") && !strings.Contains(v, "%(name)s") {
							v = label + " — " + v
						}
						v = strings.ReplaceAll(v, "%(name)s", o.opt.ID)
						v = strings.ReplaceAll(v, "%(label)s", label)
						if strings.Contains(v, "${") {
							v = mapRefs(v, func(n string) string {
								if defined[n] {
									n = loopedName(matrix, loopName, o.opt.ID, n)
								}
								return "${" + n + "}"
							})
						}
						if c.idx == nameCol && strings.TrimSpace(v) != "" {
							v = loopedName(matrix, loopName, o.opt.ID, strings.TrimSpace(v))
						}
						cells[c.idx] = v
					}
					out = append(out, numberedRow{nr.r, cells})
					if len(out) > maxLoopRows {
						x.errf(t.name, begin.r, "", loopName, "the loop makes more than %d rows", maxLoopRows)
						// Leave out every loop, so that nothing else is reported
						// about rows that were never expanded.
						var kept []numberedRow
						depth := 0
						for _, nr := range append(rows[:start:start], rows[end+1:]...) {
							switch tp := typeOf(nr); {
							case beginLoop.MatchString(tp):
								depth++
							case endLoop.MatchString(tp) && depth > 0:
								depth--
							case depth == 0:
								kept = append(kept, nr)
							}
						}
						return kept
					}
				}
			}
		}
		out = append(out, numberedRow{rows[end].r, x.retype(t, rows[end].cells, "end group")})
		rows = append(out, rows[end+1:]...)
	}
}

// loopedName names a question of a loop for one choice: name_choice for
// pyxform's loops, matrix_choice_name for KoboToolbox's matrices (the
// names KoboToolbox's exports give the matrix's cells).
func loopedName(matrix bool, loop, choice, name string) string {
	if matrix {
		return loop + "_" + choice + "_" + name
	}
	return name + "_" + choice
}

// retype returns a copy of a row with another type.
func (x *xlsLoader) retype(t *table, cells []string, typ string) []string {
	out := append([]string{}, cells...)
	for _, c := range t.cols {
		if c.key == "type" && c.idx < len(out) {
			out[c.idx] = typ
		}
	}
	return out
}

// clockRefs warns about expressions that call today(), now(), uuid() or
// position(): a dialog reads no clock and makes no identifier, so they
// are empty, and a constraint that calls them is not checked at all
// (". <= today()" would otherwise refuse every date).
func (x *xlsLoader) clockRefs(s *Script) {
	for i := range s.Questions {
		q := &s.Questions[i]
		for _, ex := range []struct{ what, src string }{{"relevant", q.Relevant}, {"constraint", q.Constraint}, {"calculation", q.Calculation}} {
			if ex.src == "" {
				continue
			}
			e, err := ParseExpr(ex.src)
			if err != nil {
				continue
			}
			fs := usesClock(e)
			if len(fs) == 0 {
				continue
			}
			what := "reads " + strings.Join(fs, "(), ") + "() as empty: a dialog reads no clock and makes no identifier"
			if ex.what == "constraint" {
				what = "is not checked: it calls " + strings.Join(fs, "(), ") + "(), which a dialog cannot read"
			}
			x.warnf(x.name("survey"), q.Line, ex.src, "the %s of %q %s", ex.what, q.ID, what)
		}
	}
}
