package discord

import (
	"testing"

	"github.com/baraza/baraza/bot"
)

func TestModalMax(t *testing.T) {
	tests := []struct {
		data string
		n    int
		ok   bool
	}{
		{"baraza-modal:1000", 1000, true},
		{"baraza-modal:4000", 4000, true},
		{"baraza-modal:4001", 0, false},
		{"baraza-modal:0", 0, false},
		{"baraza-modal:-5", 0, false},
		{"baraza-modal:", 0, false},
		{"baraza-modal:12x", 0, false},
		{"kyh2h:1", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		if n, ok := modalMax(tc.data); n != tc.n || ok != tc.ok {
			t.Errorf("modalMax(%q) = %d, %v; want %d, %v", tc.data, n, ok, tc.n, tc.ok)
		}
	}
}

func TestWithModalButton(t *testing.T) {
	tests := []struct {
		name    string
		m       bot.Message
		buttons int
		data    string
	}{
		{"choice question", bot.Message{Text: "?", Buttons: []bot.Button{{Label: "a", Data: "t:0"}}}, 1, ""},
		{"short text", bot.Message{Text: "?", TextMax: 99}, 0, ""},
		{"long text", bot.Message{Text: "?", TextMax: 1000}, 1, "baraza-modal:1000"},
		{"longer than Discord's input", bot.Message{Text: "?", TextMax: 10000, Lang: "fr"}, 1, "baraza-modal:4000"},
		{"optional, with skip", bot.Message{Text: "?", TextMax: 500, Buttons: []bot.Button{{Label: "Skip", Data: "t:s", Nav: true}}}, 2, "baraza-modal:500"},
	}
	for _, tc := range tests {
		got := withModalButton(tc.m)
		if len(got.Buttons) != tc.buttons {
			t.Errorf("%s: %d buttons, want %d", tc.name, len(got.Buttons), tc.buttons)
			continue
		}
		if tc.data != "" && (got.Buttons[len(got.Buttons)-1].Data != tc.data || !got.Buttons[len(got.Buttons)-1].Nav) {
			t.Errorf("%s: last button %+v, want nav data %s", tc.name, got.Buttons[len(got.Buttons)-1], tc.data)
		}
		if _, err := render(tc.m); err != nil {
			t.Errorf("%s: render: %v", tc.name, err)
		}
	}
}
