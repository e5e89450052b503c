package dialogs

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/baraza/baraza/internal/privacy"
)

//go:embed scripts/*.yaml
var bundled embed.FS

// Bundled returns the scripts shipped inside the binary
// (dialogs/scripts/*.yaml), for LoadFS.
func Bundled() fs.FS {
	sub, err := fs.Sub(bundled, "scripts")
	if err != nil { // cannot happen: "scripts" is a valid path
		return bundled
	}
	return sub
}

// LoadFS loads every *.yaml and *.yml file and every XLSForm (*.xlsx,
// *.xlsm, *.xls, *.csv, *.md) at the top of fsys, in name order. It returns the scripts that loaded and, when any did not or
// two share an id, an error joining every problem (each names its file).
func LoadFS(fsys fs.FS) ([]*Script, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("dialogs: read scripts: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var (
		scripts []*Script
		errs    []error
		byID    = map[string]string{}
	)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
			continue
		}
		ext := strings.ToLower(path.Ext(name))
		if ext != ".yaml" && ext != ".yml" && !IsXLSForm(name) || strings.EqualFold(name, "README.md") {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		var s *Script
		if IsXLSForm(name) {
			s, err = LoadXLSForm(name, data)
		} else {
			s, err = Load(name, data)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if first, dup := byID[s.ID]; dup {
			errs = append(errs, ValidationErrors{{File: name, Field: "id", Snippet: s.ID,
				Msg: "script id already used by " + first}})
			continue
		}
		byID[s.ID] = name
		scripts = append(scripts, s)
	}
	return scripts, errors.Join(errs...)
}

// Load parses and validates a YAML script. On failure the error is a
// ValidationErrors naming file and line of every problem found.
func Load(file string, data []byte) (*Script, error) {
	l := &loader{file: file, ln: lines{}}
	s := l.load(data)
	// Semantic checks too, except on fields whose structure was wrong (they
	// would only repeat the problem).
	for _, e := range validate(s, file, l.ln) {
		if !l.reported(e.Field) {
			l.errs = append(l.errs, e)
		}
	}
	if len(l.errs) > 0 {
		sort.SliceStable(l.errs, func(i, j int) bool { return l.errs[i].Line < l.errs[j].Line })
		return nil, l.errs
	}
	s.File = file
	return s, nil
}

// maxNodes bounds the work of walking a document, aliases included
// ("billion laughs").
const maxNodes = 200000

type loader struct {
	file  string
	ln    lines
	errs  ValidationErrors
	langs []string
	nodes int
}

func (l *loader) errf(n *yaml.Node, field, snippet, hint, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.errs = append(l.errs, ValidationError{File: l.file, Line: line, Field: field,
		Msg: fmt.Sprintf(format, args...), Snippet: snippet, Hint: hint})
}

// syntaxError turns a yaml.v3 error into a ValidationError with its line.
func (l *loader) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = v, after
			}
		}
	}
	hint := ""
	if strings.Contains(msg, "did not find expected ','") {
		// yaml.v3 cannot read a plain text ending in "?" inside { } or [ ].
		hint = `inside { } or [ ], put texts in quotes, e.g. {en: "Where do you live?"}`
	}
	// yaml.v3 gives parser errors ("did not find expected ...") the
	// 0-based line of the enclosing construct; make it 1-based.
	if line > 0 && strings.HasPrefix(msg, "did not find expected") {
		line++
	}
	l.errs = append(l.errs, ValidationError{File: l.file, Line: line, Msg: "invalid YAML: " + msg, Hint: hint})
}

// resolve follows aliases and counts the nodes visited.
func (l *loader) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 10; i++ {
		n = n.Alias
	}
	l.nodes++
	return n
}

// pairs returns the key/value pairs of a mapping, reporting duplicate keys
// and keys not in known (with a suggestion).
func (l *loader) pairs(n *yaml.Node, field string, known []string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		l.errf(n, field, "", "", "%s must be a mapping (key: value)", nameOr(field, "script"))
		return nil
	}
	var out [][2]*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := l.resolve(n.Content[i]), l.resolve(n.Content[i+1])
		if k == nil || v == nil || l.nodes > maxNodes {
			continue
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			l.errf(k, join(field, key), key, fmt.Sprintf("first at line %d", first), "duplicate key")
			continue
		}
		seen[key] = k.Line
		if !contains(known, key) {
			l.errf(k, join(field, key), key, suggest(key, known), "unknown key")
			continue
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out
}

func nameOr(field, def string) string {
	if field == "" {
		return def
	}
	return field
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

var scriptKeys = []string{"id", "version", "kind", "languages", "title", "intro", "consent", "outro",
	"k", "publish", "access", "questions", "safe_words", "erase_as_you_go", "opens", "closes"}

var publishKeys = []string{"mode", "epsilon", "releases", "every"}

// Publication modes (publish: {mode: …}).
const (
	PublishSuppress = "suppress"
	PublishDP       = "dp"
)

// publish reads publish: {mode: suppress} (the same as publish: true) or
// publish: {mode: dp, epsilon: 1.0, releases: 5}.
func (l *loader) publish(n *yaml.Node) (bool, *DP) {
	var mode string
	var eps, rels, every *yaml.Node
	for _, p := range l.pairs(n, "publish", publishKeys) {
		k, v := p[0], p[1]
		f := "publish." + k.Value
		l.ln[f] = v.Line
		switch k.Value {
		case "mode":
			mode = l.str(v, f)
		case "epsilon":
			eps = v
		case "releases":
			rels = v
		case "every":
			every = v
		}
	}
	switch mode {
	case PublishSuppress:
		for _, x := range []*yaml.Node{eps, rels, every} {
			if x != nil {
				l.errf(x, "publish", "", "use publish: {mode: dp, epsilon: 1.0}", "epsilon, releases and every need mode: dp")
				return true, nil
			}
		}
		return true, nil
	case PublishDP:
	case "":
		l.errf(n, "publish.mode", "", "e.g. publish: {mode: dp, epsilon: 1.0}", "publish needs a mode: suppress or dp")
		return false, nil
	default:
		l.errf(n, "publish.mode", mode, suggest(mode, []string{PublishSuppress, PublishDP}), "unknown publish mode, want suppress or dp")
		return false, nil
	}
	dp := &DP{Releases: DefaultDPReleases}
	if eps == nil {
		l.errf(n, "publish.epsilon", "", "e.g. publish: {mode: dp, epsilon: 1.0}: the whole budget over every release", "mode: dp needs an epsilon")
		return false, nil
	}
	if l.scalar(eps, "publish.epsilon", "a number such as 1.0") {
		e, err := privacy.ParseEpsilon(eps.Value)
		if err != nil {
			l.errf(eps, "publish.epsilon", eps.Value, "e.g. 1.0 or 0.5; smaller hides more", "%v", err)
			return false, nil
		}
		dp.Epsilon = e
	} else {
		return false, nil
	}
	if rels != nil {
		dp.Releases = l.intOr(rels, "publish.releases", DefaultDPReleases)
		if dp.Releases < 1 || dp.Releases > MaxDPReleases {
			l.errf(rels, "publish.releases", rels.Value, "", "publish.releases must be 1 to %d", MaxDPReleases)
			return false, nil
		}
	}
	if every != nil {
		if !l.scalar(every, "publish.every", "a period such as 12h, 7d or 2w") {
			return false, nil
		}
		d, err := ParseEvery(every.Value)
		if err != nil {
			l.errf(every, "publish.every", every.Value, "e.g. every: 7d", "publish.every: %v", err)
			return false, nil
		}
		dp.Every = d
	}
	if dp.PerRelease().IsZero() {
		l.errf(eps, "publish.epsilon", eps.Value, "", "epsilon %v shared by %d releases leaves less than 0.000001 each", dp.Epsilon, dp.Releases)
		return false, nil
	}
	return true, dp
}

var questionKeys = []string{"id", "type", "text", "segment", "optional", "max_length", "min", "max",
	"options", "relevant", "integer", "step", "hint", "constraint", "constraint_message", "required_message",
	"default", "read_only", "choice_filter", "calculation", "repeat", "cap", "repeat_count"}

func (l *loader) load(data []byte) *Script {
	s := &Script{Version: 1, Kind: KindConsultation}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.syntaxError(err)
		return s
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		l.errf(nil, "", "", "", "empty script")
		return s
	}
	root := l.resolve(doc.Content[0])
	l.ln[""] = root.Line
	ps := l.pairs(root, "", scriptKeys)
	// languages first: plain strings elsewhere mean the default language.
	l.langs = []string{"en"}
	for _, p := range ps {
		if p[0].Value == "languages" {
			s.Languages = l.strings(p[1], "languages")
			if len(s.Languages) > 0 {
				l.langs = s.Languages
			}
		}
	}
	hasLanguages := false
	for _, p := range ps {
		k, v := p[0], p[1]
		l.ln[k.Value] = v.Line
		switch k.Value {
		case "id":
			s.ID = l.str(v, "id")
		case "version":
			s.Version = l.int(v, "version")
		case "kind":
			s.Kind = l.str(v, "kind")
		case "languages":
			hasLanguages = true
		case "title":
			s.Title = l.text(v, "title")
		case "intro":
			s.Intro = l.text(v, "intro")
		case "consent":
			s.Consent = l.text(v, "consent")
		case "outro":
			s.Outro = l.text(v, "outro")
		case "k":
			s.K = l.int(v, "k")
		case "publish":
			if v.Kind == yaml.MappingNode {
				s.Publish, s.DP = l.publish(v)
			} else {
				s.Publish = l.bool(v, "publish")
			}
		case "access":
			s.Access = l.str(v, "access")
		case "safe_words":
			s.SafeWords = l.strings(v, "safe_words")
		case "erase_as_you_go":
			s.EraseAsYouGo = l.bool(v, "erase_as_you_go")
		case "opens":
			s.Opens = l.time(v, "opens")
		case "closes":
			s.Closes = l.time(v, "closes")
		case "questions":
			s.Questions = l.questions(v)
		}
	}
	if !hasLanguages {
		s.Languages = []string{"en"}
	}
	if s.Access == "" {
		s.Access = AccessOpen
	}
	if l.nodes > maxNodes {
		l.errf(root, "", "", "", "script too large or too deeply aliased")
	}
	if s.ID == "" && !l.has("id") {
		l.errf(root, "id", "", "e.g. id: night-safety", "missing id")
	}
	return s
}

// reported tells whether a structural error was already given for field,
// a field inside it or a field containing it.
func (l *loader) reported(field string) bool {
	for _, e := range l.errs {
		if e.Field == "" || within(field, e.Field) || within(e.Field, field) {
			return true
		}
	}
	return false
}

// within tells whether field is inner or inside it ("a.b" is within "a").
func within(field, outer string) bool {
	return field == outer || strings.HasPrefix(field, outer+".") || strings.HasPrefix(field, outer+"[")
}

func (l *loader) has(field string) bool {
	_, ok := l.ln[field]
	return ok
}

func (l *loader) questions(n *yaml.Node) []Question {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, "questions", "", "", "questions must be a list")
		return nil
	}
	qs := make([]Question, 0, len(n.Content))
	for i, c := range n.Content {
		c = l.resolve(c)
		if c == nil || l.nodes > maxNodes {
			break
		}
		f := fmt.Sprintf("questions[%d]", i)
		l.ln[f] = c.Line
		qs = append(qs, l.question(c, f))
	}
	return qs
}

func (l *loader) question(n *yaml.Node, f string) Question {
	q := Question{Line: n.Line}
	ps := l.pairs(n, f, questionKeys)
	present := map[string]*yaml.Node{}
	for _, p := range ps {
		k, v := p[0], p[1]
		present[k.Value] = k
		l.ln[f+"."+k.Value] = v.Line
		switch k.Value {
		case "id":
			q.ID = l.str(v, f+".id")
		case "type":
			q.Type = l.str(v, f+".type")
		case "text":
			q.Text = l.text(v, f+".text")
		case "segment":
			q.Segment = l.bool(v, f+".segment")
		case "optional":
			q.Optional = l.bool(v, f+".optional")
		case "max_length":
			q.MaxLength = l.int(v, f+".max_length")
		case "min":
			q.Min, q.HasMin = l.intOr(v, f+".min", 1), true
		case "max":
			q.Max, q.HasMax = l.intOr(v, f+".max", 5), true
		case "options":
			q.Options = l.options(v, f+".options")
		case "relevant":
			q.Relevant = l.str(v, f+".relevant")
		case "integer":
			q.Integer = l.bool(v, f+".integer")
		case "step":
			q.Step = l.int(v, f+".step")
		case "hint":
			q.Hint = l.text(v, f+".hint")
		case "constraint":
			q.Constraint = l.str(v, f+".constraint")
		case "constraint_message":
			q.ConstraintMessage = l.text(v, f+".constraint_message")
		case "required_message":
			q.RequiredMessage = l.text(v, f+".required_message")
		case "default":
			q.Default = l.str(v, f+".default")
		case "read_only":
			q.ReadOnly = l.bool(v, f+".read_only")
		case "choice_filter":
			q.ChoiceFilter = l.str(v, f+".choice_filter")
		case "calculation":
			q.Calculation = l.str(v, f+".calculation")
		case "repeat":
			q.RepeatFrom = l.str(v, f+".repeat")
		case "cap":
			q.Cap = l.int(v, f+".cap")
		case "repeat_count":
			q.RepeatCount = l.str(v, f+".repeat_count")
		}
	}
	if _, ok := present["id"]; !ok {
		l.errf(n, f+".id", "", "", "question without id")
	}
	if _, ok := present["type"]; !ok {
		l.errf(n, f+".type", q.ID, "", "question without type")
	}
	// Keys that only make sense for some types.
	only := func(key string, types ...string) {
		if k, ok := present[key]; ok && contains(questionTypes, q.Type) && !contains(types, q.Type) {
			l.errf(k, f+"."+key, q.ID, "", "%s applies only to %s questions", key, strings.Join(types, " and "))
		}
	}
	only("options", TypeChoice, TypeMulti, TypeRank)
	only("max_length", TypeText)
	only("min", TypeScale, TypeNumber)
	only("max", TypeScale, TypeNumber)
	only("step", TypeScale)
	only("integer", TypeNumber)
	only("optional", TypeChoice, TypeMulti, TypeScale, TypeNumber, TypeText, TypeDate, TypeTime, TypeRank, TypeAcknowledge)
	only("choice_filter", TypeChoice, TypeMulti, TypeRank)
	only("calculation", TypeCalculate, TypeChoice, TypeMulti, TypeScale, TypeNumber, TypeText, TypeDate, TypeTime)
	only("repeat", TypeRepeatEnd)
	only("cap", TypeRepeatEnd)
	only("repeat_count", TypeRepeatEnd)
	switch q.Type {
	case TypeScale:
		if !q.HasMin {
			q.Min = 1
		}
		if !q.HasMax {
			q.Max = 5
		}
		q.HasMin, q.HasMax = false, false
	case TypeText:
		if _, ok := present["max_length"]; !ok {
			q.MaxLength = defaultMaxLength
		}
	}
	return q
}

func (l *loader) options(n *yaml.Node, f string) []Option {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, f, "", "", "options must be a list")
		return nil
	}
	opts := make([]Option, 0, len(n.Content))
	for i, c := range n.Content {
		c = l.resolve(c)
		if c == nil || l.nodes > maxNodes {
			break
		}
		of := fmt.Sprintf("%s[%d]", f, i)
		l.ln[of] = c.Line
		var o Option
		hasID, hasLabel := false, false
		for _, p := range l.pairs(c, of, []string{"id", "label", "props"}) {
			l.ln[of+"."+p[0].Value] = p[1].Line
			switch p[0].Value {
			case "id":
				o.ID, hasID = l.str(p[1], of+".id"), true
			case "label":
				o.Label, hasLabel = l.text(p[1], of+".label"), true
			case "props":
				o.Props = l.props(p[1], of+".props")
			}
		}
		if c.Kind == yaml.MappingNode {
			if !hasID {
				l.errf(c, of+".id", "", "", "option without id")
			}
			if !hasLabel {
				l.errf(c, of+".label", o.ID, "", "option without label")
			}
		}
		opts = append(opts, o)
	}
	return opts
}

func (l *loader) scalar(n *yaml.Node, field, what string) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		l.errf(n, field, "", "", "%s must be %s", field, what)
		return false
	}
	return true
}

func (l *loader) str(n *yaml.Node, field string) string {
	if !l.scalar(n, field, "a string") {
		return ""
	}
	return n.Value
}

func (l *loader) int(n *yaml.Node, field string) int { return l.intOr(n, field, 0) }

// intOr reads a whole number, or reports an error and returns def (a
// default that keeps later checks from repeating the problem).
func (l *loader) intOr(n *yaml.Node, field string, def int) int {
	if !l.scalar(n, field, "a whole number") {
		return def
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || n.ShortTag() != "!!int" || v > 1<<30 || v < -(1<<30) {
		l.errf(n, field, n.Value, "", "%s must be a whole number", field)
		return def
	}
	return v
}

func (l *loader) bool(n *yaml.Node, field string) bool {
	if !l.scalar(n, field, "true or false") {
		return false
	}
	if n.ShortTag() != "!!bool" {
		l.errf(n, field, n.Value, "", "%s must be true or false", field)
		return false
	}
	b, _ := strconv.ParseBool(strings.ToLower(n.Value))
	return b
}

func (l *loader) time(n *yaml.Node, field string) time.Time {
	if !l.scalar(n, field, "a time") {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, n.Value)
	if err != nil {
		l.errf(n, field, n.Value, "e.g. 2026-03-01T08:00:00Z", "%s must be an RFC 3339 time", field)
	}
	return t
}

func (l *loader) strings(n *yaml.Node, field string) []string {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, field, "", "e.g. [en, fr]", "%s must be a list", field)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		c = l.resolve(c)
		f := fmt.Sprintf("%s[%d]", field, i)
		l.ln[f] = c.Line
		out = append(out, l.str(c, f))
	}
	return out
}

// props reads an option's columns: a mapping of names to strings.
func (l *loader) props(n *yaml.Node, field string) map[string]string {
	if n.Kind != yaml.MappingNode {
		l.errf(n, field, "", "e.g. {state: texas}", "%s must be a mapping", field)
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := l.resolve(n.Content[i]), l.resolve(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		out[k.Value] = l.str(v, field+"."+k.Value)
	}
	return out
}

// text reads a localised text: a mapping language -> string, or a plain
// string for the default language.
func (l *loader) text(n *yaml.Node, field string) Text {
	if n.Kind == yaml.ScalarNode {
		return Text{l.langs[0]: l.str(n, field)}
	}
	if n.Kind != yaml.MappingNode {
		l.errf(n, field, "", "e.g. {en: Hello, fr: Bonjour}", "%s must be a text or a map of translations", field)
		return nil
	}
	t := Text{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := l.resolve(n.Content[i]), l.resolve(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		f := field + "." + k.Value
		if seen[k.Value] {
			l.errf(k, f, k.Value, "", "duplicate translation")
			continue
		}
		seen[k.Value] = true
		l.ln[f] = v.Line
		t[k.Value] = l.str(v, f)
	}
	return t
}
