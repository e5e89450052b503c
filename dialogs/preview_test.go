package dialogs

import (
	"strings"
	"testing"
)

func TestPreview(t *testing.T) {
	cs := bundledScript(t, "community-safety")
	ir := bundledScript(t, "incident-report")
	tests := []struct {
		name    string
		s       *Script
		lang    string
		answers map[string]string
	}{
		{"preview-cs-default", cs, "", nil},
		{"preview-cs-fr-answers", cs, "fr", map[string]string{
			"area": "rural", "incidents": "theft,land", "reported": "no", "why_not": "fear,cost",
			"story": "Pas de lumière sur la route du marché.",
		}},
		{"preview-report-ar", ir, "ar", map[string]string{"description": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Preview(tc.s, tc.lang, tc.answers)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, got)
		})
	}
}

func TestPreviewErrors(t *testing.T) {
	cs := bundledScript(t, "community-safety")
	tests := []struct {
		lang    string
		answers map[string]string
		want    string
	}{
		{"de", nil, `language "de" is not one of en, fr, ar`},
		{"", map[string]string{"nope": "x"}, "no question nope in community-safety"},
		{"", map[string]string{"area": "moon"}, `question area has no option "moon"`},
		{"", map[string]string{"area": "north,south"}, "question area takes one option"},
		{"", map[string]string{"incidents": ""}, `question incidents has no option ""`},
		{"", map[string]string{"safe_day": "9"}, `question safe_day has no option "9"`},
		{"", map[string]string{"story": strings.Repeat("x", 1001)}, "answer to story refused: Your answer is too long"},
	}
	for _, tc := range tests {
		_, err := Preview(cs, tc.lang, tc.answers)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Preview(%q, %v) error %v, want %q", tc.lang, tc.answers, err, tc.want)
		}
	}
}
