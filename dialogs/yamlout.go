package dialogs

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MarshalYAML writes s in the YAML script format (dialogs/scripts/*.yaml),
// so that Load reads back the same dialog: `baraza validate --out` turns an
// XLSForm into a script a facilitator can read and edit. Derived options
// (a scale's numbers, acknowledge's OK, a repeat's yes/no) are left out:
// the loader makes them again.
func MarshalYAML(s *Script) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) {
		if v != nil {
			root.Content = append(root.Content, scalar(key), v)
		}
	}
	add("id", scalar(s.ID))
	add("version", intNode(s.Version))
	add("kind", scalar(s.Kind))
	langs := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, l := range s.Languages {
		langs.Content = append(langs.Content, scalar(l))
	}
	add("languages", langs)
	add("title", textNode(s.Title))
	add("intro", textNode(s.Intro))
	add("consent", textNode(s.Consent))
	add("outro", textNode(s.Outro))
	if s.K != 0 {
		add("k", intNode(s.K))
	}
	switch {
	case s.DP != nil:
		eps := s.DP.Epsilon.String()
		if !strings.Contains(eps, ".") {
			eps += ".0" // a float to YAML, as a script author writes it
		}
		pub := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		pub.Content = append(pub.Content, scalar("mode"), scalar(PublishDP),
			scalar("epsilon"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: eps})
		if s.DP.Releases != DefaultDPReleases {
			pub.Content = append(pub.Content, scalar("releases"), intNode(s.DP.Releases))
		}
		if s.DP.Every != 0 {
			pub.Content = append(pub.Content, scalar("every"), scalar(FormatEvery(s.DP.Every)))
		}
		add("publish", pub)
	case s.Publish:
		add("publish", boolNode(true))
	}
	if len(s.SafeWords) > 0 {
		sw := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, w := range s.SafeWords {
			sw.Content = append(sw.Content, scalar(w))
		}
		add("safe_words", sw)
	}
	if s.EraseAsYouGo {
		add("erase_as_you_go", boolNode(true))
	}
	if !s.Opens.IsZero() {
		add("opens", scalar(s.Opens.Format(time.RFC3339)))
	}
	if !s.Closes.IsZero() {
		add("closes", scalar(s.Closes.Format(time.RFC3339)))
	}
	qs := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range s.Questions {
		qs.Content = append(qs.Content, questionNode(&s.Questions[i]))
	}
	add("questions", qs)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func questionNode(q *Question) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) {
		if v != nil {
			n.Content = append(n.Content, scalar(key), v)
		}
	}
	str := func(key, v string) {
		if v != "" {
			add(key, scalar(v))
		}
	}
	add("id", scalar(q.ID))
	add("type", scalar(q.Type))
	add("text", textNode(q.Text))
	add("hint", textNode(q.Hint))
	if q.Segment {
		add("segment", boolNode(true))
	}
	switch q.Type {
	case TypeChoice, TypeMulti, TypeScale, TypeNumber, TypeText, TypeDate, TypeTime, TypeRank, TypeAcknowledge:
		add("optional", boolNode(q.Optional))
	}
	if q.Type == TypeText && q.MaxLength != defaultMaxLength {
		add("max_length", intNode(q.MaxLength))
	}
	if q.Type == TypeScale || q.HasMin {
		add("min", intNode(q.Min))
	}
	if q.Type == TypeScale || q.HasMax {
		add("max", intNode(q.Max))
	}
	if q.Type == TypeScale && q.Step > 1 {
		add("step", intNode(q.Step))
	}
	if q.Integer {
		add("integer", boolNode(true))
	}
	str("relevant", q.Relevant)
	str("constraint", q.Constraint)
	add("constraint_message", textNode(q.ConstraintMessage))
	add("required_message", textNode(q.RequiredMessage))
	str("default", q.Default)
	if q.ReadOnly {
		add("read_only", boolNode(true))
	}
	str("choice_filter", q.ChoiceFilter)
	str("calculation", q.Calculation)
	if q.Type == TypeRepeatEnd {
		str("repeat", q.RepeatFrom)
		add("cap", intNode(q.Cap))
		str("repeat_count", q.RepeatCount)
	}
	switch q.Type {
	case TypeChoice, TypeMulti, TypeRank:
		opts := &yaml.Node{Kind: yaml.SequenceNode}
		for _, o := range q.Options {
			on := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			on.Content = append(on.Content, scalar("id"), scalar(o.ID), scalar("label"), textNode(o.Label))
			if len(o.Props) > 0 {
				pn := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
				keys := make([]string, 0, len(o.Props))
				for k := range o.Props {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					pn.Content = append(pn.Content, scalar(k), scalar(o.Props[k]))
				}
				on.Content = append(on.Content, scalar("props"), pn)
			}
			opts.Content = append(opts.Content, on)
		}
		add("options", opts)
	}
	return n
}

// scalar is a string node, quoted whenever YAML would read it as another
// type ("yes", "1", "null").
func scalar(v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	var probe any
	if err := yaml.Unmarshal([]byte(v), &probe); err != nil || probe == nil && v != "" {
		n.Style = yaml.DoubleQuotedStyle
	} else if _, isString := probe.(string); !isString {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func intNode(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}

func boolNode(v bool) *yaml.Node {
	s := "false"
	if v {
		s = "true"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: s}
}

func textNode(t Text) *yaml.Node {
	if len(t) == 0 {
		return nil
	}
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, l := range sortedKeys(t) {
		n.Content = append(n.Content, scalar(l), scalar(t[l]))
	}
	return n
}
