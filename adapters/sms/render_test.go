package sms

import (
	"strings"
	"testing"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		m    bot.Message
		want string
	}{
		{"choice: numbered options, back keyword",
			bot.Message{Lang: "en", Text: "Where do you live?", Buttons: []bot.Button{
				{Label: "North", Data: "abcde:0"}, {Label: "South", Data: "abcde:1"},
				{Label: "Back", Data: "abcde:b", Nav: true}}},
			"Where do you live?\n1. North\n2. South\nReply with the number of your answer.\nBACK to go back"},
		{"scale: a range, not a list",
			bot.Message{Lang: "fr", Text: "À quel point ?", Buttons: []bot.Button{
				{Label: "1", Data: "t:0"}, {Label: "2", Data: "t:1"}, {Label: "3", Data: "t:2"}}},
			"À quel point ?\nRépondez de 1 à 3."},
		{"multi: numbers together, no Done",
			bot.Message{Lang: "en", Text: "Which?\n" + dialogs.UI("en", "choose_many"), Buttons: []bot.Button{
				{Label: "Theft", Data: "t:0", Toggle: true}, {Label: "Threats", Data: "t:1", Toggle: true},
				{Label: "Done", Data: "t:d", Nav: true}, {Label: "Skip", Data: "t:s", Nav: true}}},
			"Which?\n1. Theft\n2. Threats\nReply with the numbers of all that apply, e.g. 1 3\nSKIP to skip"},
		{"text question",
			bot.Message{Lang: "ar", Text: "حدّثنا\n" + dialogs.UI("ar", "type_text")},
			"حدّثنا\nأرسل إجابتك."},
		{"commands become keywords",
			bot.Message{Lang: "en", Text: dialogs.UI("en", "no_session")},
			"Send JOIN to begin."},
		{"a script's /stop becomes STOP",
			bot.Message{Lang: "en", Text: "Send /stop to leave."},
			"Send STOP to leave."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.m); got != tt.want {
				t.Errorf("Render:\ngot  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// The SMS consent replaces the chat consent, which promises an erased
// conversation: an SMS cannot be deleted from the phone.
func TestRenderConsent(t *testing.T) {
	for _, lang := range []string{"en", "fr", "ar"} {
		// The consent as the core sends it, with More; after MORE: the
		// title, the intro, the consent, without More.
		tests := []struct {
			m    bot.Message
			want string
		}{
			{bot.Message{Lang: lang, Text: "Title\n\nsend /stop and this conversation is erased", Buttons: []bot.Button{
				{Label: dialogs.UI(lang, "accept"), Data: "t:y"}, {Label: dialogs.UI(lang, "decline"), Data: "t:n"},
				{Label: dialogs.UI(lang, "more"), Data: "t:m", Nav: true}}},
				"Title\n\n" + ui(lang, "consent")},
			{bot.Message{Lang: lang, Text: "Title\n\nIntro\n\nsend /stop and this conversation is erased", Buttons: []bot.Button{
				{Label: dialogs.UI(lang, "accept"), Data: "t:y"}, {Label: dialogs.UI(lang, "decline"), Data: "t:n"}}},
				"Title\n\nIntro\n\n" + ui(lang, "consent")},
		}
		for i, tt := range tests {
			got := Render(tt.m)
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("%s %d: got %q, want it to begin with %q", lang, i, got, tt.want)
			}
			if strings.Contains(got, "erased") {
				t.Errorf("%s: chat consent kept: %q", lang, got)
			}
			if !strings.Contains(got, "1. "+dialogs.UI(lang, "accept")) || !strings.Contains(got, "2. "+dialogs.UI(lang, "decline")) {
				t.Errorf("%s: accept and decline are not 1 and 2: %q", lang, got)
			}
			if more := strings.Contains(got, ui(lang, "nav_more")); more != (i == 0) {
				t.Errorf("%s %d: MORE offered %v, want %v: %q", lang, i, more, i == 0, got)
			}
		}
	}
	for _, w := range []string{"phone", "téléphone", "هاتفك"} {
		found := false
		for _, l := range []string{"en", "fr", "ar"} {
			found = found || strings.Contains(ui(l, "consent"), w)
		}
		if !found {
			t.Errorf("no SMS consent says messages stay on the phone (%q)", w)
		}
	}
}
