package sms

import (
	"testing"

	"github.com/baraza/baraza/bot"
)

func TestParseText(t *testing.T) {
	cmd := func(c, lang string) Parsed { return Parsed{Kind: bot.KindCommand, Command: c, Lang: lang} }
	text := func(s string) Parsed { return Parsed{Kind: bot.KindText, Text: s} }
	tests := []struct {
		in   string
		want Parsed
	}{
		{"STOP", cmd("stop", "")},
		{" stop ", cmd("stop", "")},
		{"/stop", cmd("stop", "")},
		{"Arrêt", cmd("stop", "fr")},
		{"ARRET", cmd("stop", "fr")},
		{"توقف", cmd("stop", "ar")},
		{"HELP", cmd("help", "")},
		{"aide", cmd("help", "fr")},
		{"مساعدة", cmd("help", "ar")},
		{"back", cmd("back", "")},
		{"Retour", cmd("back", "fr")},
		{"رجوع", cmd("back", "ar")},
		{"SKIP", cmd("skip", "")},
		{"passer", cmd("skip", "fr")},
		{"تخطي", cmd("skip", "ar")},
		{"JOIN", cmd("start", "")},
		{"join safety", Parsed{Kind: bot.KindCommand, Command: "start", Keyword: "SAFETY"}},
		{"JOIN SAFETY K7P2Q", Parsed{Kind: bot.KindCommand, Command: "start", Keyword: "SAFETY", Code: "K7P2Q"}},
		{"JOIN k7p2q", Parsed{Kind: bot.KindCommand, Command: "start", Code: "K7P2Q"}},
		{"JOIN K7QM4 XPD9R", Parsed{Kind: bot.KindCommand, Command: "start", Code: "K7QM4-XPD9R"}},
		{"join safety k7qm4 xpd9r", Parsed{Kind: bot.KindCommand, Command: "start", Keyword: "SAFETY", Code: "K7QM4-XPD9R"}},
		{"JOIN KQMTXXPDAR", Parsed{Kind: bot.KindCommand, Command: "start", Code: "KQMTXXPDAR"}},
		{"JOIN SAFETY KQMTX-XPDAR", Parsed{Kind: bot.KindCommand, Command: "start", Keyword: "SAFETY", Code: "KQMTX-XPDAR"}},
		{"participer plus souvent ensemble", text("participer plus souvent ensemble")},
		{"JOIN SAFETY NOW please", text("JOIN SAFETY NOW please")},
		{"start the meeting", text("start the meeting")},
		{"Rejoindre SECURITE", Parsed{Kind: bot.KindCommand, Command: "start", Keyword: "SECURITE", Lang: "fr"}},
		{"انضم", cmd("start", "ar")},
		{"JOIN SAFETY please", text("JOIN SAFETY please")},
		{"join <script>", text("join <script>")},
		{"stop it now", text("stop it now")},
		{"1", text("1")},
		{"1 3 5", text("1 3 5")},
		{"I walk home at night and it is dark", text("I walk home at night and it is dark")},
		{"", text("")},
		{"\xff\xfe", text("\xff\xfe")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ParseText(tt.in); got != tt.want {
				t.Errorf("ParseText(%q): got %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}
