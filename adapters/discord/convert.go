package discord

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/baraza/baraza/bot"
)

// Discord's limits (components/reference.mdx, resources/message.mdx).
const (
	maxContent       = 2000
	maxButtonsPerRow = 5
	maxRows          = 5
	maxCustomID      = 100
	maxButtonLabel   = 80
	maxSelectOptions = 25
	maxOptionLabel   = 100
)

var (
	// errIgnored marks an event the bot does not act on (its own messages,
	// other bots, guild chatter, empty messages, unknown interaction types).
	errIgnored = errors.New("discord: ignored event")
	// errMalformed marks a payload that cannot be used.
	errMalformed = errors.New("discord: malformed payload")
)

// inbound is one gateway event, converted.
type inbound struct {
	// Events for the router, in order. A select-menu submit with several
	// values gives one button press per value.
	Events []bot.Event
	// NeedDM says Events[*].Chat is empty and must be the user's DM
	// channel, opened with UserChannelCreate (a command from a server).
	NeedDM bool
	// Interaction is set for interactions; Ack is the deferred response to
	// send at once (0 for none).
	Interaction *discordgo.Interaction
	Ack         discordgo.InteractionResponseType
	// Ephemeral marks a type 5 acknowledgement sent as ephemeral.
	Ephemeral bool
	// Autocomplete is the text typed so far in an autocompleted option;
	// such an interaction carries no events.
	Autocomplete *string
}

// parseMessageCreate converts a MESSAGE_CREATE payload. botID may be empty
// before READY; bot authors are ignored in any case. isConsultation says
// whether a bare word is an open consultation id (may be nil).
func parseMessageCreate(raw []byte, botID string, isConsultation func(string) bool) (inbound, error) {
	var m discordgo.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return inbound{}, fmt.Errorf("%w: message: %w", errMalformed, err)
	}
	return messageEvent(&m, botID, isConsultation)
}

func messageEvent(m *discordgo.Message, botID string, isConsultation func(string) bool) (inbound, error) {
	if m.ID == "" || m.ChannelID == "" || m.Author == nil || m.Author.ID == "" {
		return inbound{}, fmt.Errorf("%w: message without id, channel or author", errMalformed)
	}
	if m.Author.Bot || m.Author.System || m.WebhookID != "" || (botID != "" && m.Author.ID == botID) {
		return inbound{}, errIgnored
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return inbound{}, errIgnored
	}
	text := strings.TrimSpace(m.Content)
	if text == "" {
		return inbound{}, errIgnored
	}
	ev := bot.Event{Platform: Name, ID: m.ID, User: m.Author.ID, Chat: m.ChannelID, Private: true, MessageRef: m.ID}
	cmd, arg, isCmd := parseCommandText(text, isConsultation)
	in := inbound{}
	if m.GuildID != "" {
		// In a server the bot only acts on commands, and answers in a DM.
		if !isCmd {
			return inbound{}, errIgnored
		}
		ev.Chat, in.NeedDM = "", true
	}
	if isCmd {
		ev.Kind, ev.Command, ev.Arg = bot.KindCommand, cmd, arg
	} else {
		ev.Kind, ev.Text = bot.KindText, text
	}
	in.Events = []bot.Event{ev}
	return in, nil
}

// words are the commands a DM may spell without a slash.
var words = map[string]string{
	"start": "start", "consult": "start", "stop": "stop", "help": "help", "back": "back",
	"skip": "skip", "lang": "lang", "language": "lang", "report": "report",
}

// withArg are the words that may be followed by an argument without a slash.
var withArg = map[string]bool{"start": true, "lang": true}

// parseCommandText recognises "/name arg", the command words ("stop",
// "start night-safety") and a bare open consultation id (-> start id).
func parseCommandText(text string, isConsultation func(string) bool) (cmd, arg string, ok bool) {
	name, rest, _ := strings.Cut(text, " ")
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(name, "/") {
		name = strings.ToLower(name[1:])
		if !validCommandName(name) {
			return "", "", false
		}
		if name == "consult" {
			name = "start"
		}
		return name, rest, true
	}
	lower := strings.ToLower(name)
	if c, ok := words[lower]; ok && (rest == "" || withArg[c]) {
		return c, rest, true
	}
	if rest == "" && isConsultation != nil && validID(lower) && isConsultation(lower) {
		return "start", lower, true
	}
	return "", "", false
}

func validCommandName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// validID matches a consultation id: [a-z0-9-]{1,40}.
func validID(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// parseInteractionCreate converts an INTERACTION_CREATE payload.
func parseInteractionCreate(raw []byte) (inbound, error) {
	var i discordgo.Interaction
	if err := json.Unmarshal(raw, &i); err != nil {
		return inbound{}, fmt.Errorf("%w: interaction: %w", errMalformed, err)
	}
	// discordgo v0.28.1 has no Interaction.Context: read it here.
	var where struct {
		Context *int `json:"context"`
	}
	_ = json.Unmarshal(raw, &where)
	ictx := -1
	if where.Context != nil {
		ictx = *where.Context
	}
	return interactionEvent(&i, ictx)
}

// Interaction context types (Discord's "contexts"; discordgo v0.28.1 does
// not name them).
const (
	contextGuild          = 0
	contextBotDM          = 1
	contextPrivateChannel = 2
)

// interactionEvent converts an interaction; ictx is its "context" field
// (-1 when absent).
func interactionEvent(i *discordgo.Interaction, ictx int) (inbound, error) {
	if i.ID == "" || i.Token == "" || i.AppID == "" {
		return inbound{}, fmt.Errorf("%w: interaction without id, token or application", errMalformed)
	}
	var user string
	switch {
	case i.Member != nil && i.Member.User != nil:
		user = i.Member.User.ID
	case i.User != nil:
		user = i.User.ID
	}
	if user == "" {
		return inbound{}, fmt.Errorf("%w: interaction without a user", errMalformed)
	}
	if i.Data == nil && i.Type != discordgo.InteractionPing {
		return inbound{}, fmt.Errorf("%w: interaction without data", errMalformed)
	}
	// Outside the bot's own DM (a server, or a group DM for a user-installed
	// app) the conversation continues in a DM.
	needDM := i.GuildID != "" || ictx == contextPrivateChannel
	if !needDM && i.ChannelID == "" {
		return inbound{}, fmt.Errorf("%w: interaction without a channel", errMalformed)
	}
	base := bot.Event{Platform: Name, ID: i.ID, User: user, Private: true, Locale: string(i.Locale), MessageRef: i.ID}
	if !needDM {
		base.Chat = i.ChannelID
	}
	in := inbound{Interaction: i, NeedDM: needDM}
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok || !validCommandName(d.Name) {
			return inbound{}, fmt.Errorf("%w: command data", errMalformed)
		}
		ev := base
		ev.Kind, ev.Command = bot.KindCommand, d.Name
		if ev.Command == "consult" {
			ev.Command = "start"
		}
		for _, o := range d.Options {
			if o != nil && o.Type == discordgo.ApplicationCommandOptionString {
				if s, ok := o.Value.(string); ok {
					ev.Arg = strings.TrimSpace(s)
					break
				}
			}
		}
		in.Events = []bot.Event{ev}
		in.Ack, in.Ephemeral = discordgo.InteractionResponseDeferredChannelMessageWithSource, true
	case discordgo.InteractionApplicationCommandAutocomplete:
		d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok {
			return inbound{}, fmt.Errorf("%w: autocomplete data", errMalformed)
		}
		typed := ""
		for _, o := range d.Options {
			if o != nil && o.Focused {
				if s, ok := o.Value.(string); ok {
					typed = s
				}
			}
		}
		in.Autocomplete = &typed
	case discordgo.InteractionMessageComponent:
		d, ok := i.Data.(discordgo.MessageComponentInteractionData)
		if !ok || i.Message == nil || i.Message.ID == "" {
			return inbound{}, fmt.Errorf("%w: component data", errMalformed)
		}
		base.Kind, base.MessageRef = bot.KindButton, i.Message.ID
		in.Ack = discordgo.InteractionResponseDeferredMessageUpdate
		switch d.ComponentType {
		case discordgo.ButtonComponent:
			if d.CustomID == "" || len(d.CustomID) > maxCustomID {
				return inbound{}, fmt.Errorf("%w: custom_id", errMalformed)
			}
			ev := base
			ev.Data = d.CustomID
			in.Events = []bot.Event{ev}
		case discordgo.SelectMenuComponent:
			// Each chosen option is a press of the button it stands for.
			for n, v := range d.Values {
				if v == "" || len(v) > maxCustomID {
					return inbound{}, fmt.Errorf("%w: select value", errMalformed)
				}
				ev := base
				ev.Data = v
				if len(d.Values) > 1 {
					ev.ID = i.ID + "/" + strconv.Itoa(n)
				}
				in.Events = append(in.Events, ev)
			}
			if len(in.Events) == 0 {
				// "values": [] chooses nothing: there is no press to
				// hand on, and no event to key the user's queue by.
				return inbound{}, fmt.Errorf("%w: select without values", errMalformed)
			}
		default:
			return inbound{}, errIgnored
		}
	case discordgo.InteractionModalSubmit:
		d, ok := i.Data.(discordgo.ModalSubmitInteractionData)
		if !ok {
			return inbound{}, fmt.Errorf("%w: modal data", errMalformed)
		}
		var parts []string
		for _, c := range d.Components {
			row, ok := c.(*discordgo.ActionsRow)
			if !ok {
				continue
			}
			for _, rc := range row.Components {
				if ti, ok := rc.(*discordgo.TextInput); ok && strings.TrimSpace(ti.Value) != "" {
					parts = append(parts, strings.TrimSpace(ti.Value))
				}
			}
		}
		if len(parts) == 0 {
			return inbound{}, fmt.Errorf("%w: modal without text", errMalformed)
		}
		ev := base
		ev.Kind, ev.Text = bot.KindText, strings.Join(parts, "\n")
		in.Events = []bot.Event{ev}
		if i.Message != nil {
			in.Ack = discordgo.InteractionResponseDeferredMessageUpdate
		} else {
			in.Ack, in.Ephemeral = discordgo.InteractionResponseDeferredChannelMessageWithSource, true
		}
	default:
		return inbound{}, errIgnored
	}
	return in, nil
}

// ---- outbound ----------------------------------------------------------------

// selectPrefix starts the custom_id of the select menus used when a
// question has more answers than fit as buttons.
const selectPrefix = "baraza-select-"

// render converts one bot message to the Discord messages that carry it:
// the text split at 2000 characters, the components and the image on the
// last one.
func render(m bot.Message) ([]*discordgo.MessageSend, error) {
	m = withModalButton(m)
	comps, err := components(m.Buttons)
	if err != nil {
		return nil, err
	}
	chunks := splitText(m.Text, maxContent)
	if len(chunks) == 0 {
		if len(comps) == 0 && len(m.Image) == 0 {
			return nil, nil
		}
		chunks = []string{""}
	}
	out := make([]*discordgo.MessageSend, len(chunks))
	for i, c := range chunks {
		out[i] = &discordgo.MessageSend{Content: c, AllowedMentions: &discordgo.MessageAllowedMentions{}}
	}
	last := out[len(out)-1]
	last.Components = comps
	if len(m.Image) > 0 {
		name := m.ImageName
		if name == "" {
			name = "image.png"
		}
		last.Files = []*discordgo.File{{Name: name, ContentType: "image/png", Reader: bytes.NewReader(m.Image)}}
	}
	return out, nil
}

// components lays buttons out in action rows: answer buttons five to a
// row, navigation buttons on their own row after them, at most five rows.
// When the answers do not fit as buttons they become select menus (25
// options each) that send the same Data.
func components(buttons []bot.Button) ([]discordgo.MessageComponent, error) {
	if len(buttons) == 0 {
		return nil, nil
	}
	var answers, nav []bot.Button
	seen := make(map[string]bool, len(buttons))
	for _, b := range buttons {
		if b.Data == "" || len(b.Data) > maxCustomID || strings.HasPrefix(b.Data, selectPrefix) {
			return nil, fmt.Errorf("discord: button data must be 1-%d characters", maxCustomID)
		}
		if seen[b.Data] {
			return nil, errors.New("discord: two buttons share the same data")
		}
		seen[b.Data] = true
		if b.Nav {
			nav = append(nav, b)
		} else {
			answers = append(answers, b)
		}
	}
	navRows := rowsFor(len(nav), maxButtonsPerRow)
	var rows []discordgo.MessageComponent
	if rowsFor(len(answers), maxButtonsPerRow)+navRows <= maxRows {
		rows = buttonRows(answers, discordgo.PrimaryButton)
	} else {
		if rowsFor(len(answers), maxSelectOptions)+navRows > maxRows {
			return nil, fmt.Errorf("discord: %d answers do not fit in one message", len(answers))
		}
		for n := 0; n*maxSelectOptions < len(answers); n++ {
			part := answers[n*maxSelectOptions : min(len(answers), (n+1)*maxSelectOptions)]
			opts := make([]discordgo.SelectMenuOption, len(part))
			for i, b := range part {
				opts[i] = discordgo.SelectMenuOption{Label: label(b, maxOptionLabel), Value: b.Data}
			}
			one := 1
			rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.SelectMenu{
				MenuType: discordgo.StringSelectMenu, CustomID: selectPrefix + strconv.Itoa(n),
				Placeholder: "…", MinValues: &one, MaxValues: 1, Options: opts,
			}}})
		}
	}
	rows = append(rows, buttonRows(nav, discordgo.SecondaryButton)...)
	return rows, nil
}

func rowsFor(n, per int) int { return (n + per - 1) / per }

func buttonRows(bs []bot.Button, style discordgo.ButtonStyle) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	for len(bs) > 0 {
		n := min(len(bs), maxButtonsPerRow)
		row := make([]discordgo.MessageComponent, n)
		for i, b := range bs[:n] {
			st := style
			if b.Selected {
				st = discordgo.SuccessButton
			}
			row[i] = discordgo.Button{Label: label(b, maxButtonLabel), Style: st, CustomID: b.Data}
		}
		rows = append(rows, discordgo.ActionsRow{Components: row})
		bs = bs[n:]
	}
	return rows
}

// label is the button's label, "✓ " first when selected, cut to max runes.
func label(b bot.Button, max int) string {
	l := strings.TrimSpace(b.Label)
	if l == "" {
		l = "…"
	}
	if b.Selected {
		l = "✓ " + l
	}
	if utf8.RuneCountInString(l) > max {
		r := []rune(l)
		l = string(r[:max-1]) + "…"
	}
	return l
}

// splitText cuts s into pieces of at most n runes, preferring a line
// break, then a space, in the last fifth of each piece.
func splitText(s string, n int) []string {
	s = strings.TrimSpace(s)
	var out []string
	for s != "" {
		if utf8.RuneCountInString(s) <= n {
			out = append(out, s)
			break
		}
		// byte offset of the n-th rune
		cut, count := len(s), 0
		for i := range s {
			if count == n {
				cut = i
				break
			}
			count++
		}
		head := s[:cut]
		floor := len(head) * 4 / 5
		if i := strings.LastIndex(head, "\n"); i > floor {
			cut = i
		} else if i := strings.LastIndex(head, " "); i > floor {
			cut = i
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = strings.TrimSpace(s[cut:])
	}
	return out
}

// idLess compares two snowflakes numerically (falling back to length then
// text for anything that is not a number).
func idLess(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	if errA == nil && errB == nil {
		return x < y
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
