package discord

import (
	"context"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/baraza/baraza/bot"
)

// A text question whose answer may be long (bot.Message.TextMax at least
// modalMinLength) gets a button that opens a modal with a paragraph text
// input, as well as the usual typing in the DM. The button goes no further
// than the adapter: it is answered at once with the modal. The modal's
// submit is an interaction like a press, converted to a typed answer
// (KindText) with the interaction id as the event id, so it goes through
// the router exactly like a typed message, and a re-delivered submit is a
// duplicate the router ignores.
const (
	// modalPrefix marks the button that opens the modal; the maximum
	// length follows it.
	modalPrefix = "baraza-modal:"
	// modalID and modalInputID name the modal and its text input.
	modalID      = "baraza-answer"
	modalInputID = "answer"
	// modalMinLength: shorter answers are simply typed.
	modalMinLength = 100
	// maxTextInput is Discord's limit on a text input's max_length.
	maxTextInput = 4000
)

// withModalButton adds the modal's button to a text question's message.
func withModalButton(m bot.Message) bot.Message {
	if m.TextMax < modalMinLength {
		return m
	}
	b := bot.Button{Label: modalTexts(m.Lang).button, Data: modalPrefix + strconv.Itoa(min(m.TextMax, maxTextInput)), Nav: true}
	m.Buttons = append(append([]bot.Button(nil), m.Buttons...), b)
	return m
}

// modalMax reads the button's data; ok is false for any other data.
func modalMax(data string) (int, bool) {
	rest, ok := strings.CutPrefix(data, modalPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > maxTextInput {
		return 0, false
	}
	return n, true
}

type modalText struct{ button, title string }

// modalTexts are the button label and the modal's title and input label
// (Discord: at most 80 and 45 characters).
func modalTexts(lang string) modalText {
	switch strings.ToLower(lang) {
	case "fr":
		return modalText{"Écrire ma réponse", "Votre réponse"}
	case "ar":
		return modalText{"اكتب إجابتك", "إجابتك"}
	}
	return modalText{"Write my answer", "Your answer"}
}

// openModal answers the button's interaction with the modal.
func (a *Adapter) openModal(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, maxLen int) {
	lang := string(i.Locale)
	if k := strings.IndexAny(lang, "-_"); k > 0 {
		lang = lang[:k]
	}
	t := modalTexts(lang)
	resp := &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseModal,
		Data: &discordgo.InteractionResponseData{
			CustomID: modalID,
			Title:    t.title,
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.TextInput{CustomID: modalInputID, Label: t.title, Style: discordgo.TextInputParagraph,
					Required: true, MinLength: 1, MaxLength: maxLen},
			}}},
		},
	}
	err := a.rest(ctx, false, func(o ...discordgo.RequestOption) error {
		return s.InteractionRespond(i, resp, o...)
	})
	if err != nil {
		a.stats.Failed.Add(1)
		a.log.Warn("modal not opened", "err", errKind(err))
		return
	}
	a.stats.ModalsOpened.Add(1)
}
