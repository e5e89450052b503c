package dialogs

import "testing"

// An option's words typed without accents still choose it: basic phones
// often have no accents, and an SMS shows French labels folded to GSM-7.
func TestMatchOptionWithoutAccents(t *testing.T) {
	s := &Script{Languages: []string{"fr"}}
	q := &Question{Options: []Option{
		{ID: "woman", Label: Text{"fr": "Une femme ou une fille"}},
		{ID: "man", Label: Text{"fr": "Un homme ou un garçon"}},
		{ID: "edge", Label: Text{"fr": "Périphérie et quartiers précaires"}},
		{ID: "agree", Label: Text{"fr": "J’accepte"}},
	}}
	vis := []int{0, 1, 2, 3}
	tests := []struct {
		typed string
		want  int
		ok    bool
	}{
		{"un homme ou un garçon", 1, true},
		{"UN HOMME OU UN GARCON", 1, true},
		{"peripherie et quartiers precaires", 2, true},
		{"j'accepte", 3, true},
		{"2", 1, true},
		{"un homme", 0, false},
	}
	for _, tt := range tests {
		i, ok := matchOption(s, q, vis, "fr", tt.typed)
		if ok != tt.ok || ok && i != tt.want {
			t.Errorf("matchOption(%q): got %d %v, want %d %v", tt.typed, i, ok, tt.want, tt.ok)
		}
	}
}
