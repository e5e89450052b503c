// Package bot is the platform-neutral core of Baraza: the inbound Event and
// outbound Message types every adapter speaks, the Adapter interface, and the
// Router that turns events into dialog steps on top of the store.
//
// Identity rule: Event.User and Event.Chat carry raw platform identifiers.
// They live only in memory for the duration of one event. The router turns
// Event.User into a pseudonym at once (internal/privacy) and never writes
// either field to Redis or to a log. Adapters must not log them either.
package bot

import "context"

// EventKind says what the respondent did.
type EventKind int

const (
	// KindText is a typed message that is not a command.
	KindText EventKind = iota + 1
	// KindCommand is "/name arg" (or an adapter's equivalent: a Discord
	// slash command, a web chat menu entry). Command is lower-case without
	// the slash; Arg is the rest, trimmed.
	KindCommand
	// KindButton is a press of a button this bot sent; Data is the button's
	// Data exactly as sent.
	KindButton
)

// Event is one inbound update from a platform, already parsed.
type Event struct {
	// Platform is the adapter's Name(): "telegram", "discord", "webchat".
	Platform string
	// ID is the platform's own id for this delivery (Telegram update_id,
	// Discord interaction or message id, a web chat client nonce). A
	// re-delivery carries the same ID and is processed once. Empty means the
	// platform gives no id and the event is never de-duplicated.
	ID string
	// User is the raw platform user id. Never stored, never logged.
	User string
	// Chat is where replies go. Opaque to the core, handed back to the
	// adapter in Response; never stored, never logged.
	Chat string
	// Private is false in group chats, where the bot only invites the
	// person to a private conversation.
	Private bool
	// Locale is the platform's language hint ("fr", "ar-EG"), may be empty.
	Locale string

	Kind    EventKind
	Text    string // KindText: the message text
	Command string // KindCommand: "start", "report", "stop", ...
	Arg     string // KindCommand: the argument, e.g. a consultation id
	Data    string // KindButton: the pressed button's Data

	// MessageRef is the platform id of the inbound message (Telegram
	// message_id, Discord message or interaction id). For a button press it
	// is the id of the message that carried the button. Used only to erase
	// the conversation; may be empty.
	MessageRef string

	// Network is the client's network ("203.0.113.0/24", IPv6 /56) where
	// the platform shows one (the web chat), else empty. It is never stored
	// or logged: the router keys a per-consultation hash of it to limit
	// completions per network on open consultations.
	Network string
}

// Button is one button under a message.
type Button struct {
	Label string
	// Data is what comes back in Event.Data when pressed. At most 60 bytes
	// of ASCII, so it fits Telegram's 64-byte callback_data and Discord's
	// 100-character custom_id.
	Data string
	// Selected marks a multi-select toggle that is on (adapters show ✓).
	Selected bool
	// Toggle marks a multi-select option, on or off: adapters that can
	// show a pressed state (the web chat's aria-pressed) do so from the
	// first message, not only once something is selected.
	Toggle bool
	// Nav marks navigation buttons (Back, Skip, Done) that adapters may lay
	// out on their own row.
	Nav bool
}

// Message is one outbound message.
type Message struct {
	Text string
	// Buttons in display order; answer buttons first, then Nav buttons.
	Buttons []Button
	// Lang is the BCP 47 language of Text ("ar" is right-to-left).
	Lang string
	// ReplaceButtons asks the adapter to update the message that carried
	// the pressed button (multi-select toggles) instead of sending a new
	// one. Adapters that cannot edit send a new message.
	ReplaceButtons bool
	// Image is an optional PNG attachment (QR codes for /invite).
	Image []byte
	// ImageName is the attachment's file name, e.g. "invite.png".
	ImageName string
	// TextMax > 0: the message asks for a typed answer of at most this
	// many characters. Typing it in the chat always works; an adapter may
	// also offer a form (Discord: a modal with a paragraph text input).
	TextMax int
}

// Erase asks the adapter to delete the conversation between two inbound
// message refs, inclusive, as far as the platform allows (Telegram: both
// sides of a private chat, < 48 h; Discord: the bot's own DM messages; web
// chat: the page's transcript). An empty From means "as far back as the
// adapter can".
type Erase struct {
	From, To string
}

// Response is what the router asks the adapter to do after one event.
type Response struct {
	Messages []Message
	// Erase, when set, is carried out before Messages are sent.
	Erase *Erase
	// Notice is a short transient note for a button press (a Telegram
	// callback toast, a Discord ephemeral reply), e.g. "Already answered".
	Notice string
	// Dialog says whether the respondent has a session after this event,
	// for adapters that keep a per-dialog record (Telegram keeps the
	// message ids for the erase): keep it while DialogOpen, drop it at
	// DialogNone (the dialog ended or never began), leave it alone at
	// DialogUnknown (the router did not look: facilitator commands,
	// /results, group chats).
	Dialog DialogState
	// Ended: the dialog ended with this event (completed, declined,
	// stopped or refused at the end). The web chat then issues a new
	// anonymous identity, so the next response cannot be linked to this one.
	Ended bool
	// Consultation is the id of the script the respondent's session
	// belongs to, when there is one; adapters that pay per message (SMS)
	// count their costs per consultation with it. Empty outside a session.
	Consultation string
	// Step identifies the dialog step whose prompt Messages carry: the
	// same Step means the same step of the same session (a re-delivered
	// event gets the Step of the prompt it re-shows). Adapters that must
	// not send a message twice (SMS: every message is paid and stays on
	// the phone) send a Step's messages at most once. An opaque keyed
	// hash, no identity; empty when the messages belong to no step (a
	// refusal, help, an answer outside a session).
	Step string
}

// DialogState is where a respondent's session stands after an event.
type DialogState int

// Dialog states.
const (
	DialogUnknown DialogState = iota
	DialogOpen
	DialogNone
)

// Handler processes one event and returns what to send. It returns only
// after the event's effects are durably stored, so an adapter acknowledges
// the platform (advances the Telegram offset, answers the Discord
// interaction) only after Handle returned. A non-nil error means the event
// was not processed and may be retried (Redis away); the Response is then
// empty.
type Handler interface {
	Handle(ctx context.Context, ev Event) (Response, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, ev Event) (Response, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, ev Event) (Response, error) { return f(ctx, ev) }

// Adapter connects one messaging platform. Run receives events until ctx is
// done, hands each to h, and delivers the Response to ev.Chat. Run returns
// nil on a clean shutdown, after in-flight events finished.
type Adapter interface {
	Name() string
	Run(ctx context.Context, h Handler) error
}

// Inviter is implemented by adapters that can give a link that opens a
// consultation directly (Telegram deep link, web chat URL) or, failing
// that, instructions (Discord). Used by the facilitators' /invite.
type Inviter interface {
	InviteText(consultation string) (link string, instructions string)
}
