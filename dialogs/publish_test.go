package dialogs

import (
	"strings"
	"testing"
	"time"
)

func TestLoadPublish(t *testing.T) {
	for _, c := range []struct {
		name, publish string
		wantPublish   bool
		wantEps       string // "" when not DP
		wantReleases  int
		wantPer       string
		err           string // part of the error, "" for none
	}{
		{"absent", "", false, "", 0, "", ""},
		{"true", "publish: true", true, "", 0, "", ""},
		{"false", "publish: false", false, "", 0, "", ""},
		{"suppress mode", "publish: {mode: suppress}", true, "", 0, "", ""},
		{"dp", "publish: {mode: dp, epsilon: 1.0}", true, "1", 5, "0.2", ""},
		{"dp whole number", "publish: {mode: dp, epsilon: 2}", true, "2", 5, "0.4", ""},
		{"dp quoted", `publish: {mode: dp, epsilon: "0.25", releases: 2}`, true, "0.25", 2, "0.125", ""},
		{"dp block style", "publish:\n  mode: dp\n  epsilon: 0.5\n  releases: 1", true, "0.5", 1, "0.5", ""},
		{"dp thirds round down", "publish: {mode: dp, epsilon: 1.0, releases: 3}", true, "1", 3, "0.333333", ""},
		{"no mode", "publish: {epsilon: 1.0}", false, "", 0, "", "publish needs a mode"},
		{"unknown mode", "publish: {mode: noise, epsilon: 1.0}", false, "", 0, "", "unknown publish mode"},
		{"typo key", "publish: {mode: dp, epsillon: 1.0}", false, "", 0, "", "unknown key"},
		{"dp without epsilon", "publish: {mode: dp}", false, "", 0, "", "needs an epsilon"},
		{"zero epsilon", "publish: {mode: dp, epsilon: 0}", false, "", 0, "", "more than 0"},
		{"negative epsilon", "publish: {mode: dp, epsilon: -1}", false, "", 0, "", "decimal number"},
		{"exponent", "publish: {mode: dp, epsilon: 1e-2}", false, "", 0, "", "decimal number"},
		{"epsilon list", "publish: {mode: dp, epsilon: [1]}", false, "", 0, "", "publish.epsilon must be"},
		{"too large", "publish: {mode: dp, epsilon: 1000}", false, "", 0, "", "at most 100"},
		{"too many releases", "publish: {mode: dp, epsilon: 1, releases: 101}", false, "", 0, "", "1 to 100"},
		{"zero releases", "publish: {mode: dp, epsilon: 1, releases: 0}", false, "", 0, "", "1 to 100"},
		{"share too small", "publish: {mode: dp, epsilon: 0.00005, releases: 100}", false, "", 0, "", "less than 0.000001"},
		{"epsilon with suppress", "publish: {mode: suppress, epsilon: 1}", false, "", 0, "", "need mode: dp"},
		{"string", "publish: yes please", false, "", 0, "", "true or false"},
		{"every days", "publish: {mode: dp, epsilon: 1.0, every: 7d}", true, "1", 5, "0.2", ""},
		{"every weeks", "publish: {mode: dp, epsilon: 1.0, every: 2w}", true, "1", 5, "0.2", ""},
		{"every hours", "publish: {mode: dp, epsilon: 1.0, every: 90m}", true, "1", 5, "0.2", ""},
		{"every too short", "publish: {mode: dp, epsilon: 1.0, every: 30s}", false, "", 0, "", "1m to 366d"},
		{"every too long", "publish: {mode: dp, epsilon: 1.0, every: 400d}", false, "", 0, "", "1m to 366d"},
		{"every nonsense", "publish: {mode: dp, epsilon: 1.0, every: often}", false, "", 0, "", "such as 12h"},
		{"every with suppress", "publish: {mode: suppress, every: 1d}", false, "", 0, "", "need mode: dp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(head, "questions:\n", c.publish+"\nquestions:\n", 1) + qa
			s, err := Load("p.yaml", []byte(src))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Publish != c.wantPublish {
				t.Errorf("Publish = %v", s.Publish)
			}
			if c.wantEps == "" {
				if s.DP != nil {
					t.Errorf("DP = %+v, want none", *s.DP)
				}
				return
			}
			if s.DP == nil {
				t.Fatal("DP not set")
			}
			if s.DP.Epsilon.String() != c.wantEps || s.DP.Releases != c.wantReleases || s.DP.PerRelease().String() != c.wantPer {
				t.Errorf("DP ε %v over %d releases, %v each; want %v over %d, %v", s.DP.Epsilon, s.DP.Releases, s.DP.PerRelease(), c.wantEps, c.wantReleases, c.wantPer)
			}
			// The YAML writer gives the same setting back.
			y, err := MarshalYAML(s)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Load("back.yaml", y)
			if err != nil {
				t.Fatalf("written script does not load: %v\n%s", err, y)
			}
			if back.DP == nil || *back.DP != *s.DP || !back.Publish {
				t.Errorf("round trip: %+v from\n%s", back.DP, y)
			}
		})
	}
}

func TestXLSFormPublishDP(t *testing.T) {
	survey := [][]string{{"type", "name", "label"}, {"text", "q", "Question?"}}
	for _, c := range []struct {
		settings []string
		eps      string
		releases int
		err      string
	}{
		{[]string{"yes", "", ""}, "", 0, ""},
		{[]string{"dp", "1.0", ""}, "1", DefaultDPReleases, ""},
		{[]string{"DP", "0.5", "2"}, "0.5", 2, ""},
		{[]string{"dp", "", ""}, "", 0, "needs an epsilon"},
		{[]string{"dp", "-1", ""}, "", 0, "needs an epsilon"},
		{[]string{"dp", "1", "0"}, "", 0, "releases must be 1 to 100"},
	} {
		settings := [][]string{{"form_id", "publish", "epsilon", "releases"}, append([]string{"f"}, c.settings...)}
		conv := convert(t, "f.xlsx", form(t, survey, nil, settings))
		if c.err != "" {
			if len(conv.Errors) == 0 || !strings.Contains(conv.Errors.Error(), c.err) {
				t.Errorf("%v: errors %v, want %q", c.settings, conv.Errors, c.err)
			}
			continue
		}
		s := mustScript(t, conv)
		if !s.Publish {
			t.Errorf("%v: not published", c.settings)
		}
		if c.eps == "" {
			if s.DP != nil {
				t.Errorf("%v: DP %+v", c.settings, *s.DP)
			}
			continue
		}
		if s.DP == nil || s.DP.Epsilon.String() != c.eps || s.DP.Releases != c.releases {
			t.Errorf("%v: DP %+v", c.settings, s.DP)
		}
	}
}

func TestParseEvery(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"1d", 24 * time.Hour, "1d"}, {"7d", 7 * 24 * time.Hour, "1w"}, {"2w", 14 * 24 * time.Hour, "2w"},
		{"12h", 12 * time.Hour, "12h"}, {"90m", 90 * time.Minute, "1h30m"}, {"30m", 30 * time.Minute, "30m"},
		{"1m", time.Minute, "1m"}, {"366d", MaxDPEvery, "366d"},
	} {
		got, err := ParseEvery(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseEvery(%q) = %v, %v; want %v", c.in, got, err, c.want)
			continue
		}
		if s := FormatEvery(got); s != c.out {
			t.Errorf("FormatEvery(%v) = %q, want %q", got, s, c.out)
		}
		if back, err := ParseEvery(FormatEvery(got)); err != nil || back != got {
			t.Errorf("round trip of %v: %v, %v", got, back, err)
		}
	}
	for _, bad := range []string{"", "0d", "-1d", "90s", "1.5m", "367d", "d", "1x", "53w"} {
		if _, err := ParseEvery(bad); err == nil {
			t.Errorf("ParseEvery(%q) accepted", bad)
		}
	}
}

// TestXLSFormPublishEvery: an XLSForm's settings sheet gives the release
// calendar's period in an every column, as the YAML's publish map does.
func TestXLSFormPublishEvery(t *testing.T) {
	for _, c := range []struct {
		every string
		want  time.Duration
		err   string
	}{
		{"", 0, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"soon", 0, "every"},
	} {
		rows := goodForm()
		rows["settings"] = [][]string{
			append(append([]string(nil), rows["settings"][0]...), "publish", "epsilon", "releases", "every"),
			append(append([]string(nil), rows["settings"][1]...), "dp", "1.0", "4", c.every),
		}
		s, err := LoadXLSForm("dp.xlsx", workbook(t, []string{"survey", "choices", "settings"}, rows))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("every %q: error %v, want one about %q", c.every, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("every %q: %v", c.every, err)
		}
		if s.DP == nil || s.DP.Releases != 4 || s.DP.Every != c.want || s.DP.Epsilon.String() != "1" {
			t.Errorf("every %q: DP %+v", c.every, s.DP)
		}
	}
}
