package telegram

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/baraza/baraza/bot"
)

func loadUpdate(t testing.TB, name string) *tgbotapi.Update {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &u
}

func TestConvertUpdate(t *testing.T) {
	tests := []struct {
		file     string
		skip     bool
		callback string
		want     bot.Event
	}{
		{file: "private_start.json", want: bot.Event{ID: "734915201", User: "5123456789", Chat: "5123456789", Private: true, Locale: "fr", Kind: bot.KindCommand, Command: "start", Arg: "night-safety", MessageRef: "1"}},
		{file: "private_text_ar.json", want: bot.Event{ID: "734915202", User: "5123456789", Chat: "5123456789", Private: true, Locale: "ar", Kind: bot.KindText, Text: "أشعر بعدم الأمان قرب السوق", MessageRef: "7"}},
		{file: "private_command_at.json", want: bot.Event{ID: "734915203", User: "5123456789", Chat: "5123456789", Private: true, Locale: "en-GB", Kind: bot.KindCommand, Command: "report", Arg: "theft at the bus stop", MessageRef: "9"}},
		{file: "private_command_emoji.json", want: bot.Event{ID: "734915204", User: "5123456789", Chat: "5123456789", Private: true, Kind: bot.KindCommand, Command: "start", Arg: "👋🏽 hi", MessageRef: "10"}},
		{file: "group_start.json", want: bot.Event{ID: "734915205", User: "6200000001", Chat: "-1001987654321", Private: false, Locale: "sw", Kind: bot.KindCommand, Command: "start", MessageRef: "4411"}},
		{file: "group_other_bot.json", skip: true},
		{file: "callback.json", callback: "4382910384756102934", want: bot.Event{ID: "734915207", User: "5123456789", Chat: "5123456789", Private: true, Locale: "fr", Kind: bot.KindButton, Data: "q3:1", MessageRef: "12"}},
		{file: "callback_inline.json", skip: true, callback: "4382910384756102935"},
		{file: "edited_message.json", skip: true},
		{file: "message_reaction.json", skip: true},
		{file: "sticker.json", skip: true},
		{file: "my_chat_member.json", skip: true},
		{file: "bad_entity.json", want: bot.Event{ID: "734915213", User: "5123456789", Chat: "5123456789", Private: true, Kind: bot.KindCommand, Command: "é", MessageRef: "15"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			in := convertUpdate(loadUpdate(t, tc.file), "baraza_test_bot")
			if in.skip != tc.skip {
				t.Fatalf("skip: got %v, want %v", in.skip, tc.skip)
			}
			if in.callbackID != tc.callback {
				t.Errorf("callback id: got %q, want %q", in.callbackID, tc.callback)
			}
			if tc.skip {
				return
			}
			tc.want.Platform = "telegram"
			if in.ev != tc.want {
				t.Errorf("event:\n got %+v\nwant %+v", in.ev, tc.want)
			}
		})
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text           string
		ents           []tgbotapi.MessageEntity
		cmd, arg, addr string
		ok             bool
	}{
		{"/stop", nil, "stop", "", "", true},
		{"/start abc", nil, "start", "abc", "", true},
		{"/START@Baraza_Bot x", nil, "start", "x", "Baraza_Bot", true},
		{"hello /start", nil, "", "", "", false},
		{"/", nil, "", "", "", false},
		{"/ start", nil, "", "", "", false},
		{"/lang\nfr", []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: 5}}, "lang", "fr", "", true},
		{"/x", []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: -3}}, "x", "", "", true},
	}
	for _, tc := range tests {
		cmd, arg, addr, ok := parseCommand(tc.text, tc.ents)
		if cmd != tc.cmd || arg != tc.arg || addr != tc.addr || ok != tc.ok {
			t.Errorf("parseCommand(%q): got %q %q %q %v, want %q %q %q %v", tc.text, cmd, arg, addr, ok, tc.cmd, tc.arg, tc.addr, tc.ok)
		}
	}
}

func kbOf(t *testing.T, p tgbotapi.Params) [][]inlineButton {
	t.Helper()
	if p["reply_markup"] == "" {
		return nil
	}
	var mk struct {
		InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(p["reply_markup"]), &mk); err != nil {
		t.Fatal(err)
	}
	return mk.InlineKeyboard
}

func rowTexts(rows [][]inlineButton) [][]string {
	var out [][]string
	for _, r := range rows {
		var tx []string
		for _, b := range r {
			tx = append(tx, b.Text+"="+b.Data)
		}
		out = append(out, tx)
	}
	return out
}

func TestMessageRequests(t *testing.T) {
	scale := []bot.Button{{Label: "1", Data: "s:1"}, {Label: "2", Data: "s:2"}, {Label: "3", Data: "s:3"}, {Label: "4", Data: "s:4"}, {Label: "5", Data: "s:5"}, {Label: "Skip", Data: "s:skip", Nav: true}, {Label: "Back", Data: "s:back", Nav: true}}
	tests := []struct {
		name string
		msg  bot.Message
		want [][]string
	}{
		{"scale packed five to a row, nav last", bot.Message{Text: "How safe?", Buttons: scale},
			[][]string{{"1=s:1", "2=s:2", "3=s:3", "4=s:4", "5=s:5"}, {"Skip=s:skip", "Back=s:back"}}},
		{"long labels one per row", bot.Message{Text: "Where?", Buttons: []bot.Button{{Label: "Near the main market", Data: "a:0"}, {Label: "By the river", Data: "a:1"}}},
			[][]string{{"Near the main market=a:0"}, {"By the river=a:1"}}},
		{"selected toggles marked", bot.Message{Text: "What happened?", Buttons: []bot.Button{{Label: "Theft", Data: "t:0", Selected: true}, {Label: "Harassment", Data: "t:1"}, {Label: "Done", Data: "t:done", Nav: true}}},
			[][]string{{"✓ Theft=t:0", "Harassment=t:1"}, {"Done=t:done"}}},
		{"no buttons", bot.Message{Text: "Thank you."}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reqs, err := messageRequests(42, tc.msg)
			if err != nil || len(reqs) != 1 {
				t.Fatalf("got %d requests, %v; want 1", len(reqs), err)
			}
			p := reqs[0].params
			if p["chat_id"] != "42" || p["protect_content"] != "true" || p["text"] != tc.msg.Text || reqs[0].method != "sendMessage" {
				t.Errorf("params: got %v", p)
			}
			got := rowTexts(kbOf(t, p))
			if len(got) != len(tc.want) || strings.Join(flat(got), "|") != strings.Join(flat(tc.want), "|") {
				t.Errorf("keyboard: got %q, want %q", got, tc.want)
			}
			for i := range got {
				if len(got[i]) != len(tc.want[i]) {
					t.Errorf("row %d: got %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
	if _, err := messageRequests(1, bot.Message{Text: "x", Buttons: []bot.Button{{Label: "a", Data: strings.Repeat("d", 65)}}}); err == nil {
		t.Errorf("65-byte data: got nil error, want one")
	}
	reqs, _ := messageRequests(1, bot.Message{Text: "Scan me", Image: []byte("png"), ImageName: "invite.png", Buttons: scale[:1]})
	if len(reqs) != 1 || reqs[0].method != "sendPhoto" || reqs[0].params["caption"] != "Scan me" || reqs[0].params["reply_markup"] == "" || reqs[0].params["protect_content"] != "true" {
		t.Errorf("photo: got %+v", reqs)
	}
}

func flat(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func TestSplitText(t *testing.T) {
	para := strings.Repeat("Safety matters here. ", 150) // ~3150 units
	long := para + "\n\n" + para                         // > 4096
	emoji := strings.Repeat("👋🏽", 3000)                  // 4 units each, no spaces
	tests := []struct {
		name  string
		text  string
		parts int
		first string // expected end of the first part
	}{
		{"short", "hello", 1, "hello"},
		{"paragraph", long, 2, "Safety matters here."},
		{"sentences", strings.Repeat("Word word word. ", 600), 3, "."},
		{"no spaces, surrogates", emoji, 3, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parts := splitText(tc.text, maxText)
			if len(parts) != tc.parts {
				t.Fatalf("got %d parts, want %d", len(parts), tc.parts)
			}
			if !strings.HasSuffix(parts[0], tc.first) {
				t.Errorf("first part ends %q, want suffix %q", parts[0][max(0, len(parts[0])-20):], tc.first)
			}
			for i, p := range parts {
				if n := utf16Len(p); n > maxText || n == 0 || !utf8.ValidString(p) {
					t.Errorf("part %d: %d UTF-16 units, valid %v", i, n, utf8.ValidString(p))
				}
			}
			if got, want := strings.Join(strings.Fields(strings.Join(parts, " ")), ""), strings.Join(strings.Fields(tc.text), ""); got != want {
				t.Errorf("joined parts differ from the text beyond whitespace")
			}
		})
	}
}

func FuzzConvertUpdate(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		raw, _ := os.ReadFile(name)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var u tgbotapi.Update
		if json.Unmarshal(raw, &u) != nil {
			return
		}
		in := convertUpdate(&u, "baraza_test_bot")
		if in.skip {
			return
		}
		ev := in.ev
		if ev.Platform != "telegram" || ev.User == "" || ev.Chat == "" {
			t.Fatalf("event without identity: %+v", ev)
		}
		switch ev.Kind {
		case bot.KindText:
			if ev.Text == "" {
				t.Fatal("empty text event")
			}
		case bot.KindCommand:
			if ev.Command == "" || strings.ToLower(ev.Command) != ev.Command || strings.TrimSpace(ev.Arg) != ev.Arg {
				t.Fatalf("bad command %q arg %q", ev.Command, ev.Arg)
			}
		case bot.KindButton:
			if ev.Data == "" || in.callbackID == "" && u.CallbackQuery != nil {
				t.Fatal("button without data")
			}
		default:
			t.Fatalf("kind %d", ev.Kind)
		}
	})
}

func BenchmarkConvert(b *testing.B) {
	raws := [][]byte{}
	for _, name := range []string{"private_start.json", "private_text_ar.json", "callback.json"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, raw)
	}
	b.Run("decode+convert", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			var u tgbotapi.Update
			if err := json.Unmarshal(raws[i%len(raws)], &u); err != nil {
				b.Fatal(err)
			}
			if in := convertUpdate(&u, "baraza_test_bot"); in.skip {
				b.Fatal("skipped")
			}
		}
	})
	ups := make([]tgbotapi.Update, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &ups[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("convert", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if in := convertUpdate(&ups[i%len(ups)], "baraza_test_bot"); in.skip {
				b.Fatal("skipped")
			}
		}
	})
	msg := bot.Message{Text: "How safe do you feel walking at night?", Buttons: []bot.Button{{Label: "1", Data: "s:1"}, {Label: "2", Data: "s:2"}, {Label: "3", Data: "s:3"}, {Label: "4", Data: "s:4"}, {Label: "5", Data: "s:5"}, {Label: "Back", Data: "s:b", Nav: true}}}
	b.Run("message", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := messageRequests(42, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
