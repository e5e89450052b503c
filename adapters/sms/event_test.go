package sms

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/bot"
)

func TestEvent(t *testing.T) {
	newAdapter := func(codes bool) *Adapter {
		a, err := New(Config{Kannel: &Kannel{URL: "http://kannel.invalid"}, Redis: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}),
			Secret: "0123456789abcdef", Keywords: map[string]string{"SAFETY": "community-safety", "NIGHT": "night-2026", "N1GHT": "night-2026"},
			CodesInStart: codes, InviteOnly: func(id string) bool { return id == "night-2026" },
			Consultations: func() []string { return []string{"community-safety", "night-2026"} }})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		text    string
		codes   bool
		command string
		arg     string
		locale  string
	}{
		{"JOIN", false, "start", "", ""},
		{"JOIN SAFETY", false, "start", "community-safety", ""},
		{"join community-safety", false, "start", "community-safety", ""},
		{"JOIN night-2026", false, "start", "night-2026", ""},
		{"JOIN SAFETY K7QM4-XPD9R", false, "start", "community-safety", ""},
		{"JOIN K7QM4-XPD9R", false, "start", "", ""},
		{"JOIN SAFETY K7QM4-XPD9R", true, "start", "community-safety", ""}, // not invite-only: the code is not needed
		{"JOIN NIGHT K7QM4-XPD9R", true, "start", "K7QM4-XPD9R", ""},
		{"JOIN NIGHT k7qm4 xpd9r", true, "start", "K7QM4-XPD9R", ""},
		{"JOIN K7QM4-XPD9R", true, "start", "K7QM4-XPD9R", ""},
		{"join kqmtx-xpdar", true, "start", "KQMTX-XPDAR", ""}, // no digit: still Baraza's code form
		{"JOIN K7QM4 XPD9R", true, "start", "K7QM4-XPD9R", ""},
		{"JOIN N1GHT", true, "start", "night-2026", ""}, // a keyword with a digit, not a code
		{"انضم K7QM4-XPD9R", true, "start", "K7QM4-XPD9R", "ar"},
		{"JOIN UNKNOWN", false, "start", "unknown", ""},
		{"REJOINDRE SAFETY", false, "start", "community-safety", "fr"},
		{"توقف", false, "stop", "", "ar"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			ev := newAdapter(tt.codes).event(Inbound{ID: "id1", From: "+254700000001", Text: tt.text})
			if ev.Kind != bot.KindCommand || ev.Command != tt.command || ev.Arg != tt.arg || ev.Locale != tt.locale {
				t.Errorf("got %v %q %q locale %q, want command %q %q locale %q", ev.Kind, ev.Command, ev.Arg, ev.Locale, tt.command, tt.arg, tt.locale)
			}
			if ev.Platform != "sms" || ev.ID != "id1" || ev.User != "+254700000001" || !ev.Private {
				t.Errorf("identity fields: %+v", ev)
			}
		})
	}
}
