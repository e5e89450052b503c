package webchat

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/baraza/baraza/bot"
)

// FuzzParseRequest: the body parser never panics, and what it accepts is a
// well-formed event of exactly one kind within the limits.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		`{"id":"abcdefgh12345678","text":"hello"}`,
		`{"id":"abcdefgh12345678","text":"/start night-safety"}`,
		`{"id":"abcdefgh12345678","command":"start","arg":"night-safety","locale":"ar-EG"}`,
		`{"id":"abcdefgh12345678","data":"q:area|north","ref":"abcdefgh.0"}`,
		`{"id":"abcdefgh12345678","text":"مرحبا 👋"}`,
		`{"id":"abcdefgh12345678","text":"hi","data":"x"}`,
		`{"id":1}`, `[]`, `null`, `{}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := parseRequest(body)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			if ev != (bot.Event{}) {
				t.Fatalf("error with a non-empty event %+v", ev)
			}
			return
		}
		if !validToken(ev.ID, minID, maxID, false) || !ev.Private {
			t.Fatalf("accepted event with id %q private %v", ev.ID, ev.Private)
		}
		if ev.Locale != "" && !validLocale(ev.Locale) {
			t.Fatalf("accepted locale %q", ev.Locale)
		}
		switch ev.Kind {
		case bot.KindText:
			if ev.Text == "" || ev.Text != strings.TrimSpace(ev.Text) || !utf8.ValidString(ev.Text) || utf8.RuneCountInString(ev.Text) > MaxText {
				t.Fatalf("accepted text %q", ev.Text)
			}
			if ev.Command != "" || ev.Data != "" {
				t.Fatalf("text event with command %q data %q", ev.Command, ev.Data)
			}
		case bot.KindCommand:
			if !validCommand(ev.Command) || !validArg(ev.Arg) || ev.Arg != strings.TrimSpace(ev.Arg) {
				t.Fatalf("accepted command %q arg %q", ev.Command, ev.Arg)
			}
			if ev.Text != "" || ev.Data != "" {
				t.Fatalf("command event with text %q data %q", ev.Text, ev.Data)
			}
		case bot.KindButton:
			if len(ev.Data) > maxData || !printableASCII(ev.Data) {
				t.Fatalf("accepted data %q", ev.Data)
			}
			if ev.Text != "" || ev.Command != "" {
				t.Fatalf("button event with text %q command %q", ev.Text, ev.Command)
			}
		default:
			t.Fatalf("accepted event of kind %d", ev.Kind)
		}
	})
}

func TestDirection(t *testing.T) {
	tests := map[string]string{
		"ar": "rtl", "ar-EG": "rtl", "fa": "rtl", "he": "rtl", "ur": "rtl", "ps": "rtl", "ckb": "rtl",
		"pa-Arab": "rtl", "en": "ltr", "fr": "ltr", "sw": "ltr", "": "ltr", "arn": "ltr",
	}
	for lang, want := range tests {
		if got := direction(lang); got != want {
			t.Errorf("direction(%q): got %q, want %q", lang, got, want)
		}
	}
}
