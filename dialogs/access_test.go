package dialogs

import (
	"strings"
	"testing"
)

func TestAccessField(t *testing.T) {
	base := "id: a\ntitle: T\nconsent: C\nquestions:\n  - {id: q, type: choice, text: Q, options: [{id: x, label: X}]}\n"
	tests := []struct {
		line, want, err string
	}{
		{"", AccessOpen, ""},
		{"access: open\n", AccessOpen, ""},
		{"access: invite\n", AccessInvite, ""},
		{"access: platform\n", AccessPlatform, ""},
		{"access: invited\n", "", "unknown access"},
	}
	for _, tt := range tests {
		s, err := Load("a.yaml", []byte(tt.line+base))
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: got error %v, want %q", tt.line, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.line, err)
		case s.Access != tt.want:
			t.Errorf("%q: Access %q, want %q", tt.line, s.Access, tt.want)
		}
	}
}
