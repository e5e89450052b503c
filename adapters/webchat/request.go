package webchat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/baraza/baraza/bot"
)

// Limits of one request body.
const (
	// MaxBody is the largest request body accepted.
	MaxBody = 64 << 10
	// MaxText is the longest typed message, in runes.
	MaxText = 4096
	maxArg  = 200
	maxData = 64
	maxID   = 64
	minID   = 8
	maxCmd  = 32
	maxLoc  = 35
)

// ErrBadRequest is wrapped by every error of parseRequest: the browser sent
// something this adapter does not accept, and nothing reaches the Handler.
var ErrBadRequest = errors.New("webchat: bad request")

// request is the JSON body of one POST to the event API: exactly one of
// Text, Command or Data.
type request struct {
	// ID is the client's nonce for this action; a retry re-sends it.
	ID      string `json:"id"`
	Text    string `json:"text"`
	Command string `json:"command"`
	Arg     string `json:"arg"`
	Data    string `json:"data"`
	// Ref is the id of the message that carried the pressed button.
	Ref string `json:"ref"`
	// Locale is navigator.language, sent with the page's first action.
	Locale string `json:"locale"`
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// parseRequest turns a request body into an Event without the identity
// fields (Platform, User, Chat), which come from the cookie. It is pure.
func parseRequest(body []byte) (bot.Event, error) {
	var req request
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return bot.Event{}, badRequest("invalid JSON")
	}
	if dec.More() {
		return bot.Event{}, badRequest("trailing data after the JSON object")
	}
	if !validToken(req.ID, minID, maxID, false) {
		return bot.Event{}, badRequest("id must be %d to %d letters, digits, '-' or '_'", minID, maxID)
	}
	ev := bot.Event{ID: req.ID, MessageRef: req.ID, Private: true}
	if validLocale(req.Locale) {
		ev.Locale = req.Locale
	}
	set := 0
	for _, s := range []string{req.Text, req.Command, req.Data} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		return bot.Event{}, badRequest("exactly one of text, command and data must be set")
	}
	switch {
	case req.Text != "":
		text := strings.TrimSpace(req.Text)
		if !utf8.ValidString(req.Text) || text == "" {
			return bot.Event{}, badRequest("text must be non-blank UTF-8")
		}
		if utf8.RuneCountInString(text) > MaxText {
			return bot.Event{}, badRequest("text longer than %d characters", MaxText)
		}
		if cmd, arg, ok := splitCommand(text); ok {
			ev.Kind, ev.Command, ev.Arg = bot.KindCommand, cmd, arg
		} else {
			ev.Kind, ev.Text = bot.KindText, text
		}
	case req.Command != "":
		cmd := strings.ToLower(strings.TrimPrefix(req.Command, "/"))
		if !validCommand(cmd) {
			return bot.Event{}, badRequest("command must be 1 to %d letters, digits or '_'", maxCmd)
		}
		arg := strings.TrimSpace(req.Arg)
		if !validArg(arg) {
			return bot.Event{}, badRequest("arg must be printable UTF-8 of at most %d bytes", maxArg)
		}
		ev.Kind, ev.Command, ev.Arg = bot.KindCommand, cmd, arg
	default:
		if len(req.Data) > maxData || !printableASCII(req.Data) {
			return bot.Event{}, badRequest("data must be printable ASCII of at most %d bytes", maxData)
		}
		if req.Ref != "" && !validToken(req.Ref, 1, maxID+8, true) {
			return bot.Event{}, badRequest("invalid ref")
		}
		ev.Kind, ev.Data, ev.MessageRef = bot.KindButton, req.Data, req.Ref
	}
	return ev, nil
}

// splitCommand reads "/name rest" typed into the text box as a command, the
// way Telegram does. "/" followed by anything that is not a command name is
// plain text.
func splitCommand(text string) (cmd, arg string, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	name, rest, _ := strings.Cut(text[1:], " ")
	name = strings.ToLower(name)
	rest = strings.TrimSpace(rest)
	if !validCommand(name) || !validArg(rest) {
		return "", "", false
	}
	return name, rest, true
}

func validCommand(s string) bool {
	if s == "" || len(s) > maxCmd {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func validArg(s string) bool {
	if len(s) > maxArg || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// validToken: letters, digits, '-' and '_' (and '.' when dots).
func validToken(s string, minLen, maxLen int, dots bool) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || dots && c == '.') {
			return false
		}
	}
	return true
}

// validLocale accepts a BCP 47 tag's shape: letters, digits and '-'.
func validLocale(s string) bool {
	if s == "" || len(s) > maxLoc {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// reply is the JSON answer to one action: the bot's Response for the page.
type reply struct {
	// Erase: clear the transcript before showing Messages.
	Erase bool `json:"erase,omitempty"`
	// Reset: the anonymous session was rotated (after /stop or an erase).
	Reset    bool           `json:"reset,omitempty"`
	Notice   string         `json:"notice,omitempty"`
	Messages []replyMessage `json:"messages"`
}

type replyMessage struct {
	// ID names the message in the page; a press sends it back as ref.
	ID   string `json:"id"`
	Text string `json:"text"`
	Lang string `json:"lang,omitempty"`
	// Dir is "rtl" or "ltr", from Lang.
	Dir     string        `json:"dir"`
	Buttons []replyButton `json:"buttons,omitempty"`
	// ReplaceButtons: update the message whose button was pressed.
	ReplaceButtons bool   `json:"replace_buttons,omitempty"`
	Image          string `json:"image,omitempty"` // data:image/png;base64,...
	ImageName      string `json:"image_name,omitempty"`
}

type replyButton struct {
	Label    string `json:"label"`
	Data     string `json:"data"`
	Selected bool   `json:"selected,omitempty"`
	Toggle   bool   `json:"toggle,omitempty"`
	Nav      bool   `json:"nav,omitempty"`
}

// rtlLangs are the primary language subtags written right to left.
var rtlLangs = map[string]bool{
	"ar": true, "arc": true, "ckb": true, "dv": true, "fa": true, "he": true, "iw": true,
	"ks": true, "ku-arab": true, "pa-arab": true, "ps": true, "sd": true, "ug": true, "ur": true, "yi": true,
}

// direction is the text direction of a BCP 47 language tag.
func direction(lang string) string {
	l := strings.ToLower(lang)
	primary, _, _ := strings.Cut(l, "-")
	if rtlLangs[primary] || strings.Contains(l, "-arab") || strings.Contains(l, "-hebr") {
		return "rtl"
	}
	return "ltr"
}
