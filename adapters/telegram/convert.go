package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/baraza/baraza/bot"
)

// Telegram's limits (Bot API docs: sendMessage, sendPhoto,
// InlineKeyboardButton).
const (
	maxText         = 4096 // UTF-16 code units after entity parsing
	maxCaption      = 1024
	maxCallbackData = 64 // bytes
	selectedMark    = "✓ "
)

// inbound is one update converted: the event plus what delivery needs.
type inbound struct {
	ev         bot.Event
	chat       int64  // 0 when the update names no chat
	msgID      int    // inbound message id, or the message carrying the button
	callbackID string // set for callback queries, which must be answered
	skip       bool   // nothing for the handler (unknown kind, bot author, ...)
	date       int64  // the inbound message's date (Unix seconds), 0 if unknown
	// media: a private message without text (voice, sticker, photo,
	// document, location, contact, ...). Not handed to the handler; the
	// person is asked to type. Nothing of it (file id, place, phone) is
	// kept: only its message id, for the erase.
	media bool
	// cb is shared by the copies of a callback query's inbound: whoever
	// answers it first (the handler's reply, or the early answer when the
	// press waits behind its chat's queue) sets it.
	cb *callbackState
}

type callbackState struct {
	answered atomic.Bool
}

// convertUpdate turns a Telegram update into a bot event. botUsername is
// the bot's own username, used to ignore "/cmd@otherbot". It never panics
// on any input.
func convertUpdate(u *tgbotapi.Update, botUsername string) inbound {
	in := inbound{skip: true}
	in.ev.Platform = Name
	in.ev.ID = strconv.Itoa(u.UpdateID)
	switch {
	case u.Message != nil:
		m := u.Message
		if m.Chat == nil || m.From == nil || m.From.IsBot {
			return in
		}
		in.chat, in.msgID = m.Chat.ID, m.MessageID
		in.ev.User = strconv.FormatInt(m.From.ID, 10)
		in.ev.Chat = strconv.FormatInt(m.Chat.ID, 10)
		in.ev.Private = m.Chat.Type == "private"
		in.ev.Locale = m.From.LanguageCode
		in.ev.MessageRef = strconv.Itoa(m.MessageID)
		in.date = int64(m.Date)
		if m.Text == "" {
			// Stickers, photos, voice, ...: in a private chat the person
			// is asked to type; service messages and groups get nothing.
			in.media = in.ev.Private && isMedia(m)
			return in
		}
		if cmd, arg, addressee, ok := parseCommand(m.Text, m.Entities); ok {
			if addressee != "" && !strings.EqualFold(addressee, botUsername) {
				return in // meant for another bot in a group
			}
			in.ev.Kind, in.ev.Command, in.ev.Arg = bot.KindCommand, cmd, arg
		} else {
			in.ev.Kind, in.ev.Text = bot.KindText, m.Text
		}
		in.skip = false
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		in.callbackID = q.ID
		in.cb = &callbackState{}
		if q.From == nil || q.Message == nil || q.Message.Chat == nil || q.Data == "" {
			return in // inline-mode or game callbacks: answered, not handled
		}
		in.chat, in.msgID = q.Message.Chat.ID, q.Message.MessageID
		in.ev.User = strconv.FormatInt(q.From.ID, 10)
		in.ev.Chat = strconv.FormatInt(q.Message.Chat.ID, 10)
		in.ev.Private = q.Message.Chat.Type == "private"
		in.ev.Locale = q.From.LanguageCode
		in.ev.Kind, in.ev.Data = bot.KindButton, q.Data
		in.ev.MessageRef = strconv.Itoa(q.Message.MessageID)
		in.skip = false
	}
	return in
}

// isMedia reports whether m is something a person sent instead of text.
func isMedia(m *tgbotapi.Message) bool {
	return m.Voice != nil || m.Sticker != nil || len(m.Photo) > 0 || m.Document != nil || m.Location != nil ||
		m.Contact != nil || m.Video != nil || m.VideoNote != nil || m.Audio != nil || m.Animation != nil ||
		m.Venue != nil || m.Poll != nil || m.Dice != nil
}

// parseCommand reads "/name[@bot] arg". Telegram marks commands with a
// bot_command entity at offset 0 whose length is in UTF-16 units; a text
// starting with "/name" without one is read the same way. Command names
// are lower-cased; the argument is trimmed.
func parseCommand(text string, ents []tgbotapi.MessageEntity) (cmd, arg, addressee string, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", "", false
	}
	end := -1
	if len(ents) > 0 && ents[0].Type == "bot_command" && ents[0].Offset == 0 {
		end = utf16Prefix(text, ents[0].Length)
	}
	if end <= 1 {
		end = 1
		for end < len(text) {
			r, size := utf8.DecodeRuneInString(text[end:])
			if !(r == '_' || r == '@' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
				break
			}
			end += size
		}
	}
	name := text[1:end]
	name, addressee, _ = strings.Cut(name, "@")
	if name == "" {
		return "", "", "", false
	}
	return strings.ToLower(name), strings.TrimSpace(text[end:]), addressee, true
}

// utf16Prefix returns the byte length of the longest prefix of s that is
// at most n UTF-16 code units long.
func utf16Prefix(s string, n int) int {
	units := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if units+w > n {
			return i
		}
		units += w
	}
	return len(s)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// request is one Bot API call built from a bot.Message.
type request struct {
	method    string // "sendMessage" or "sendPhoto"
	params    tgbotapi.Params
	image     []byte
	imageName string
}

var errCallbackData = errors.New("telegram: button data must be 1-64 bytes")

// messageRequests turns one outbound message into Bot API calls: a text
// longer than Telegram allows is split, the keyboard goes under the last
// part, an image is sent first (with the text as caption when it fits).
// Every message is protected (no forwarding or saving).
func messageRequests(chatID int64, m bot.Message) ([]request, error) {
	kb, err := keyboard(m.Buttons)
	if err != nil {
		return nil, err
	}
	chat := strconv.FormatInt(chatID, 10)
	base := func() tgbotapi.Params {
		return tgbotapi.Params{"chat_id": chat, "protect_content": "true"}
	}
	var out []request
	text := m.Text
	if len(m.Image) > 0 {
		p := base()
		if text != "" && utf16Len(text) <= maxCaption {
			p["caption"] = text
			text = ""
		}
		if text == "" && kb != "" {
			p["reply_markup"] = kb
		}
		name := m.ImageName
		if name == "" {
			name = "image.png"
		}
		out = append(out, request{method: "sendPhoto", params: p, image: m.Image, imageName: name})
	}
	parts := splitText(text, maxText)
	for i, part := range parts {
		p := base()
		p["text"] = part
		if i == len(parts)-1 && kb != "" {
			p["reply_markup"] = kb
		}
		out = append(out, request{method: "sendMessage", params: p})
	}
	if len(out) == 0 && kb != "" {
		// Buttons without text: Telegram needs some text to hang them on.
		p := base()
		p["text"] = "…"
		p["reply_markup"] = kb
		out = append(out, request{method: "sendMessage", params: p})
	}
	return out, nil
}

type inlineButton struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// keyboard lays out the buttons as an inline keyboard (JSON), or "" for
// none. Answer buttons are packed by label length (short scale numbers five
// to a row, long labels one per row); Nav buttons go on their own last row.
func keyboard(bs []bot.Button) (string, error) {
	if len(bs) == 0 {
		return "", nil
	}
	var answers, nav []inlineButton
	longest := 0
	for _, b := range bs {
		if len(b.Data) < 1 || len(b.Data) > maxCallbackData {
			return "", fmt.Errorf("%w: got %d bytes", errCallbackData, len(b.Data))
		}
		label := b.Label
		if b.Selected {
			label = selectedMark + label
		}
		if strings.TrimSpace(label) == "" {
			label = b.Data
		}
		ib := inlineButton{Text: label, Data: b.Data}
		if b.Nav {
			nav = append(nav, ib)
			continue
		}
		answers = append(answers, ib)
		longest = max(longest, utf8.RuneCountInString(label))
	}
	perRow := 1
	switch {
	case longest <= 3:
		perRow = 5
	case longest <= 8:
		perRow = 3
	case longest <= 14:
		perRow = 2
	}
	rows := [][]inlineButton{}
	rows = appendRows(rows, answers, perRow)
	rows = appendRows(rows, nav, 3)
	raw, err := json.Marshal(map[string]any{"inline_keyboard": rows})
	if err != nil {
		return "", fmt.Errorf("telegram: keyboard: %w", err)
	}
	return string(raw), nil
}

func appendRows(rows [][]inlineButton, bs []inlineButton, per int) [][]inlineButton {
	for len(bs) > 0 {
		n := min(per, len(bs))
		rows = append(rows, bs[:n])
		bs = bs[n:]
	}
	return rows
}

// splitText cuts text into parts of at most limit UTF-16 units, preferring
// paragraph breaks, then line breaks, then sentence ends, then spaces. No
// part is empty; whitespace at the cuts is dropped.
func splitText(text string, limit int) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	var parts []string
	for utf16Len(text) > limit {
		max := utf16Prefix(text, limit) // bytes that fit
		cut := -1
		for _, sep := range []string{"\n\n", "\n", ". ", "! ", "? ", "。", "؟ ", " "} {
			if i := strings.LastIndex(text[:max], sep); i > max/3 {
				cut = i + len(strings.TrimRight(sep, " \n")) // keep the punctuation
				break
			}
		}
		if cut <= 0 {
			cut = max
		}
		part := strings.TrimSpace(text[:cut])
		if part == "" { // only whitespace before the cut: hard split
			part, cut = text[:max], max
		}
		parts = append(parts, part)
		text = strings.TrimSpace(text[cut:])
	}
	if text != "" {
		parts = append(parts, text)
	}
	return parts
}

// sentDate reads date from a sendMessage/sendPhoto result (now if absent).
func sentDate(raw json.RawMessage) int64 {
	var m struct {
		Date int64 `json:"date"`
	}
	_ = json.Unmarshal(raw, &m)
	if m.Date <= 0 {
		return time.Now().Unix()
	}
	return m.Date
}

// sentMessageID reads message_id from a sendMessage/sendPhoto result.
func sentMessageID(raw json.RawMessage) int {
	var m struct {
		MessageID int `json:"message_id"`
	}
	_ = json.Unmarshal(raw, &m)
	return m.MessageID
}
