package discord

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/baraza/baraza/bot"
)

// FuzzParse feeds arbitrary bytes to both gateway payload converters:
// they must never panic, and whatever they accept must be a usable event.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`null`))
	f.Add([]byte(`{"type":3,"data":{"component_type":3,"values":[]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		check := func(in inbound, err error) {
			if err != nil {
				return
			}
			if in.Autocomplete != nil {
				if in.Interaction == nil || len(in.Events) != 0 {
					t.Fatalf("autocomplete with events or without the interaction")
				}
				return
			}
			// onEvent keys the user's queue by Events[0]: an accepted
			// payload that is not an autocomplete must carry an event.
			if len(in.Events) == 0 {
				t.Fatalf("accepted a payload with no events and no autocomplete")
			}
			for _, ev := range in.Events {
				if ev.Platform != Name || ev.ID == "" || ev.User == "" || ev.Kind < bot.KindText || ev.Kind > bot.KindButton {
					t.Fatalf("accepted an unusable event %+v", ev)
				}
				if (ev.Chat == "") != in.NeedDM {
					t.Fatalf("Chat %q with NeedDM %v", ev.Chat, in.NeedDM)
				}
				if ev.Kind == bot.KindButton && (ev.Data == "" || len(ev.Data) > maxCustomID) {
					t.Fatalf("button data %q", ev.Data)
				}
				if ev.Kind == bot.KindCommand && !validCommandName(ev.Command) {
					t.Fatalf("command %q", ev.Command)
				}
			}
			if in.Interaction != nil && in.Ack == 0 && len(in.Events) > 0 {
				t.Fatalf("interaction events without an acknowledgement")
			}
		}
		check(parseMessageCreate(raw, "3333333333333333333", openConsultations))
		check(parseInteractionCreate(raw))
	})
}

// FuzzRender: any text and buttons either render within Discord's limits
// or are refused with an error.
func FuzzRender(f *testing.F) {
	f.Add("Where do you live?", "North", "a:1", false, 3)
	f.Add("", "✓", "x", true, 30)
	f.Fuzz(func(t *testing.T, text, label, data string, nav bool, n int) {
		if n < 0 || n > 40 {
			return
		}
		var bs []bot.Button
		for i := 0; i < n; i++ {
			bs = append(bs, bot.Button{Label: label, Data: data + string(rune('a'+i%26)) + string(rune('a'+i/26)), Nav: nav && i%3 == 0, Selected: i%2 == 0})
		}
		msgs, err := render(bot.Message{Text: text, Buttons: bs})
		if err != nil {
			return
		}
		for _, m := range msgs {
			if utf8.RuneCountInString(m.Content) > maxContent {
				t.Fatalf("part of %d runes", utf8.RuneCountInString(m.Content))
			}
		}
		if len(msgs) > 0 && len(msgs[len(msgs)-1].Components) > maxRows {
			t.Fatalf("%d rows", len(msgs[len(msgs)-1].Components))
		}
	})
}

// BenchmarkConvert measures the adapter's own per-event work: parsing a
// gateway payload into bot events and rendering a reply with buttons.
func BenchmarkConvert(b *testing.B) {
	dm := mustRead(b, "message_create_dm.json")
	press := mustRead(b, "interaction_button_dm.json")
	reply := bot.Message{Text: "How safe do you feel walking at night? (1 very unsafe, 5 very safe)", Buttons: []bot.Button{
		{Label: "1", Data: "s:1"}, {Label: "2", Data: "s:2"}, {Label: "3", Data: "s:3"}, {Label: "4", Data: "s:4"},
		{Label: "5", Data: "s:5"}, {Label: "Skip", Data: "n:skip", Nav: true}, {Label: "Back", Data: "n:back", Nav: true}}}
	b.Run("MessageCreate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseMessageCreate(dm, "3333333333333333333", openConsultations); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("InteractionCreate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseInteractionCreate(press); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Render", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := render(reply); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func mustRead(b *testing.B, name string) []byte {
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}
