package discord

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/baraza/baraza/bot"
)

const (
	tdUser    = "2222222222222222222"
	tdDM      = "1111111111111111111"
	tdBot     = "3333333333333333333"
	tdTrigger = "1234567890123456791" // the bot message carrying the buttons
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func openConsultations(id string) bool { return id == "night-safety" || id == "water-points" }

func TestParseMessageCreate(t *testing.T) {
	tests := []struct {
		file   string
		want   []bot.Event
		needDM bool
		err    error
	}{
		{file: "message_create_dm.json", want: []bot.Event{{Platform: "discord", ID: "1234567890123456789", User: tdUser, Chat: tdDM,
			Private: true, Kind: bot.KindText, Text: "I feel unsafe near the market", MessageRef: "1234567890123456789"}}},
		{file: "message_create_dm_start.json", want: []bot.Event{{Platform: "discord", ID: "1234567890123456790", User: tdUser, Chat: tdDM,
			Private: true, Kind: bot.KindCommand, Command: "start", Arg: "night-safety", MessageRef: "1234567890123456790"}}},
		{file: "message_create_guild_command.json", needDM: true, want: []bot.Event{{Platform: "discord", ID: "1234567890123456793", User: tdUser,
			Private: true, Kind: bot.KindCommand, Command: "report", MessageRef: "1234567890123456793"}}},
		{file: "message_create_bot_echo.json", err: errIgnored},
		{file: "message_create_guild.json", err: errIgnored},
		{file: "message_create_system.json", err: errIgnored},
		{file: "message_create_truncated.json", err: errMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			in, err := parseMessageCreate(readTestdata(t, tc.file), tdBot, openConsultations)
			if !errors.Is(err, tc.err) {
				t.Fatalf("got error %v, want %v", err, tc.err)
			}
			if !reflect.DeepEqual(in.Events, tc.want) {
				t.Errorf("got events %+v, want %+v", in.Events, tc.want)
			}
			if in.NeedDM != tc.needDM {
				t.Errorf("got NeedDM %v, want %v", in.NeedDM, tc.needDM)
			}
		})
	}
}

func TestParseInteractionCreate(t *testing.T) {
	typed := "nig"
	tests := []struct {
		file      string
		want      []bot.Event
		needDM    bool
		ack       discordgo.InteractionResponseType
		ephemeral bool
		auto      *string
		err       error
	}{
		{file: "interaction_command_guild.json", needDM: true, ack: 5, ephemeral: true, want: []bot.Event{{Platform: "discord",
			ID: "1234567890123456800", User: tdUser, Private: true, Locale: "fr", Kind: bot.KindCommand, Command: "start",
			Arg: "night-safety", MessageRef: "1234567890123456800"}}},
		{file: "interaction_command_dm_report.json", ack: 5, ephemeral: true, want: []bot.Event{{Platform: "discord",
			ID: "1234567890123456801", User: tdUser, Chat: tdDM, Private: true, Locale: "ar", Kind: bot.KindCommand,
			Command: "report", MessageRef: "1234567890123456801"}}},
		{file: "interaction_button_dm.json", ack: 6, want: []bot.Event{{Platform: "discord", ID: "1234567890123456802",
			User: tdUser, Chat: tdDM, Private: true, Locale: "en-GB", Kind: bot.KindButton, Data: "s1:north", MessageRef: tdTrigger}}},
		{file: "interaction_select_dm.json", ack: 6, want: []bot.Event{
			{Platform: "discord", ID: "1234567890123456803/0", User: tdUser, Chat: tdDM, Private: true, Locale: "en-US",
				Kind: bot.KindButton, Data: "t:theft", MessageRef: "1234567890123456795"},
			{Platform: "discord", ID: "1234567890123456803/1", User: tdUser, Chat: tdDM, Private: true, Locale: "en-US",
				Kind: bot.KindButton, Data: "t:harassment", MessageRef: "1234567890123456795"}}},
		{file: "interaction_modal_submit.json", ack: 5, ephemeral: true, want: []bot.Event{{Platform: "discord",
			ID: "1234567890123456804", User: tdUser, Chat: tdDM, Private: true, Locale: "sw", Kind: bot.KindText,
			Text: "Street lights are broken on Moi Avenue", MessageRef: "1234567890123456804"}}},
		{file: "interaction_autocomplete.json", needDM: true, auto: &typed},
		{file: "interaction_no_user.json", err: errMalformed},
		{file: "interaction_bad_member.json", err: errMalformed},
		{file: "interaction_select_empty.json", err: errMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			in, err := parseInteractionCreate(readTestdata(t, tc.file))
			if !errors.Is(err, tc.err) {
				t.Fatalf("got error %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(in.Events, tc.want) {
				t.Errorf("got events %+v,\nwant %+v", in.Events, tc.want)
			}
			if in.NeedDM != tc.needDM || in.Ack != tc.ack || in.Ephemeral != tc.ephemeral {
				t.Errorf("got NeedDM %v Ack %d Ephemeral %v, want %v %d %v", in.NeedDM, in.Ack, in.Ephemeral, tc.needDM, tc.ack, tc.ephemeral)
			}
			if (in.Autocomplete == nil) != (tc.auto == nil) || (tc.auto != nil && *in.Autocomplete != *tc.auto) {
				t.Errorf("got autocomplete %v, want %v", in.Autocomplete, tc.auto)
			}
		})
	}
}

func TestParseCommandText(t *testing.T) {
	tests := []struct {
		text, cmd, arg string
		ok             bool
	}{
		{"/start night-safety", "start", "night-safety", true},
		{"/START", "start", "", true},
		{"/consult water-points", "start", "water-points", true},
		{"start", "start", "", true},
		{"Start night-safety", "start", "night-safety", true},
		{"stop", "stop", "", true},
		{"STOP", "stop", "", true},
		{"help", "help", "", true},
		{"back", "back", "", true},
		{"skip", "skip", "", true},
		{"lang fr", "lang", "fr", true},
		{"report", "report", "", true},
		{"night-safety", "start", "night-safety", true},
		{"Night-Safety", "start", "night-safety", true},
		{"closed-one", "", "", false},
		{"stop the violence", "", "", false},
		{"help me please", "", "", false},
		{"/ spaced", "", "", false},
		{"/path/to/file", "", "", false},
		{"I feel unsafe", "", "", false},
	}
	for _, tc := range tests {
		cmd, arg, ok := parseCommandText(tc.text, openConsultations)
		if cmd != tc.cmd || arg != tc.arg || ok != tc.ok {
			t.Errorf("parseCommandText(%q): got (%q, %q, %v), want (%q, %q, %v)", tc.text, cmd, arg, ok, tc.cmd, tc.arg, tc.ok)
		}
	}
}

// layout describes components as rows of "type:custom_id:label:style".
func layout(t *testing.T, comps []discordgo.MessageComponent) [][]string {
	t.Helper()
	raw, err := json.Marshal(comps)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Components []struct {
			Type     int    `json:"type"`
			CustomID string `json:"custom_id"`
			Label    string `json:"label"`
			Style    int    `json:"style"`
			Options  []struct {
				Label, Value string
			} `json:"options"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, r := range rows {
		var row []string
		for _, c := range r.Components {
			if c.Type == 3 {
				for _, o := range c.Options {
					row = append(row, "opt:"+o.Value+":"+o.Label)
				}
				continue
			}
			row = append(row, c.CustomID+":"+c.Label+":"+string(rune('0'+c.Style)))
		}
		out = append(out, row)
	}
	return out
}

func TestComponentsLayout(t *testing.T) {
	btn := func(n int, nav bool) []bot.Button {
		var bs []bot.Button
		for i := 0; i < n; i++ {
			p := "a"
			if nav {
				p = "n"
			}
			bs = append(bs, bot.Button{Label: p + string(rune('A'+i)), Data: p + ":" + string(rune('a'+i)), Nav: nav})
		}
		return bs
	}
	t.Run("seven answers and two nav", func(t *testing.T) {
		comps, err := components(append(btn(7, false), btn(2, true)...))
		if err != nil {
			t.Fatal(err)
		}
		got := layout(t, comps)
		want := [][]string{
			{"a:a:aA:1", "a:b:aB:1", "a:c:aC:1", "a:d:aD:1", "a:e:aE:1"},
			{"a:f:aF:1", "a:g:aG:1"},
			{"n:a:nA:2", "n:b:nB:2"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("selected toggles", func(t *testing.T) {
		comps, err := components([]bot.Button{{Label: "Theft", Data: "t:1", Selected: true}, {Label: "Other", Data: "t:2"}, {Label: "Done", Data: "d", Nav: true}})
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{"t:1:✓ Theft:3", "t:2:Other:1"}, {"d:Done:2"}}
		if got := layout(t, comps); !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("too many answers become a select menu", func(t *testing.T) {
		comps, err := components(append(btn(21, false), btn(1, true)...))
		if err != nil {
			t.Fatal(err)
		}
		got := layout(t, comps)
		if len(got) != 2 || len(got[0]) != 21 || got[0][0] != "opt:a:a:aA" || got[1][0] != "n:a:nA:2" {
			t.Errorf("got %q, want one select of 21 options then the nav row", got)
		}
	})
	t.Run("bad data", func(t *testing.T) {
		for _, bs := range [][]bot.Button{
			{{Label: "x", Data: ""}},
			{{Label: "x", Data: strings.Repeat("d", 101)}},
			{{Label: "x", Data: "same"}, {Label: "y", Data: "same"}},
			btn(126, false),
		} {
			if _, err := components(bs); err == nil {
				t.Errorf("components(%d buttons): got no error, want one", len(bs))
			}
		}
	})
}

func TestRenderSplitsLongText(t *testing.T) {
	long := strings.Repeat("كلمة word 🙂 ", 400) // 4800 runes
	msgs, err := render(bot.Message{Text: long, Buttons: []bot.Button{{Label: "OK", Data: "ok"}}, Image: []byte("png"), ImageName: "qr.png"})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 {
		t.Fatalf("got %d messages, want 3", len(msgs))
	}
	var joined strings.Builder
	for i, m := range msgs {
		if n := utf8.RuneCountInString(m.Content); n > maxContent || n == 0 {
			t.Errorf("part %d: got %d runes, want 1..%d", i, n, maxContent)
		}
		if (m.Components != nil) != (i == 2) || (m.Files != nil) != (i == 2) {
			t.Errorf("part %d: components/files only on the last part", i)
		}
		joined.WriteString(m.Content)
	}
	strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if strip(joined.String()) != strip(long) {
		t.Errorf("joined parts differ from the text beyond whitespace")
	}
	if msgs, _ := render(bot.Message{}); len(msgs) != 0 {
		t.Errorf("empty message: got %d sends, want 0", len(msgs))
	}
}

func TestIDLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"999999999999999999", "1000000000000000000", true},
		{"1000000000000000000", "999999999999999999", false},
		{"5", "5", false},
		{"x", "y", true},
	}
	for _, tc := range tests {
		if got := idLess(tc.a, tc.b); got != tc.want {
			t.Errorf("idLess(%s, %s): got %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in     string
		i, n   int
		hasErr bool
	}{
		{"", 0, 1, false},
		{"0/1", 0, 1, false},
		{"1/2", 1, 2, false},
		{" 3 / 4 ", 3, 4, false},
		{"2/2", 0, 0, true},
		{"-1/2", 0, 0, true},
		{"1/0", 0, 0, true},
		{"1", 0, 0, true},
		{"a/b", 0, 0, true},
		{"1/2/3", 0, 0, true},
	}
	for _, tc := range tests {
		i, n, err := ParseShard(tc.in)
		if i != tc.i || n != tc.n || (err != nil) != tc.hasErr {
			t.Errorf("ParseShard(%q): got (%d, %d, %v), want (%d, %d, error %v)", tc.in, i, n, err, tc.i, tc.n, tc.hasErr)
		}
	}
}

func TestAutocompleteChoices(t *testing.T) {
	ids := []string{"water-points", "night-safety", "night-buses", "market-lights"}
	var got []string
	for _, c := range autocompleteChoices(ids, "NIG") {
		got = append(got, c.Value.(string))
	}
	if want := []string{"night-safety", "night-buses"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	got = nil
	for _, c := range autocompleteChoices(ids, "light") {
		got = append(got, c.Value.(string))
	}
	if want := []string{"market-lights"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNewAndInvite(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without a token: got no error")
	}
	if _, err := New(Config{Token: "x", Shard: 2, ShardCount: 2}); err == nil {
		t.Error("New with shard 2 of 2: got no error")
	}
	if _, err := New(Config{Token: "x", API: "ftp://example"}); err == nil {
		t.Error("New with an ftp API: got no error")
	}
	a, err := New(Config{Token: "Bot x"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name() != "discord" {
		t.Errorf("got Name %q, want discord", a.Name())
	}
	link, text := a.InviteText("night-safety")
	if link != "" || !strings.Contains(text, "/consult night-safety") {
		t.Errorf("got (%q, %q), want no link and /consult night-safety in the instructions", link, text)
	}
}
