// Package telegramtest is a fake Telegram Bot API server for tests and load
// runs. It speaks the real HTTP protocol (form or multipart requests, JSON
// envelopes), so the real client library can be pointed at it through the
// endpoint format string returned by Endpoint.
//
// It keeps every chat's messages (both sides) and models the platform's
// rules as the Bot API documents them and as bots meet them:
//
//   - message ids in private chats come from ONE counter shared by all the
//     bot's private chats (tdlib issue #2419), so a chat's ids are not
//     contiguous while other people talk to the bot; a group has its own;
//   - deleteMessage refuses an unknown id ("message to delete not found")
//     and a message older than 48 h ("message can't be deleted", measured
//     on a clock tests move with Advance); deleteMessages takes 1-100 ids,
//     skips ids it cannot find and, when a found message cannot be deleted,
//     refuses the whole call;
//   - flood control: about 1 message a second per chat, 20 a minute per
//     group, 30 a second for the bot, answered with a real 429 body
//     ({"error_code":429,"parameters":{"retry_after":N}}); deletions and
//     callback answers are not sends and count only towards the bot's
//     global allowance;
//   - a newer getUpdates ends an older one with 409 Conflict.
//
// It records every call, counts the message ids deletions asked for and
// the ones they removed, and can push user updates (text, media, button
// presses), re-deliver them and inject errors. When a webhook is set it
// delivers pending updates to it like Telegram does.
package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/baraza/baraza/internal/ratelimit"
)

// Options configure a Server. Zero values take the defaults in brackets.
type Options struct {
	Token       string // ["123456:TEST-TOKEN"]
	BotID       int64  // [1000]
	BotUsername string // ["baraza_test_bot"]

	// GlobalRate is the bot's overall allowance in calls a second [30];
	// GlobalBurst how many may come at once [30]. ChatRate and ChatBurst
	// are the same per chat [1, 3]. A negative rate disables the limit.
	// Sends, edits, deletions and callback answers count.
	GlobalRate  float64
	GlobalBurst int
	ChatRate    float64
	ChatBurst   int
	// GroupPerMinute is a group chat's allowance in messages a minute [20];
	// negative disables it.
	GroupPerMinute float64

	// WebhookConnections is how many webhook deliveries run at once [40].
	WebhookConnections int
}

// User is a simulated Telegram user. In a private chat the chat id is the
// user id.
type User struct {
	ID           int64
	FirstName    string
	Username     string
	LanguageCode string
}

// Button is one inline keyboard button as the fake received it.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// Message is one message in a chat as the fake knows it.
type Message struct {
	ID        int
	FromBot   bool
	Text      string // text or photo caption
	Photo     bool
	PhotoSize int
	Keyboard  [][]Button
	Protected bool
	Deleted   bool
	Date      time.Time
}

// Call is one recorded API call.
type Call struct {
	Method    string // as the fake understood it, lower case
	Params    map[string]string
	ChatID    int64
	ErrorCode int // 0 when the call succeeded
	Time      time.Time
}

// APIError is an error the fake answers with.
type APIError struct {
	Code        int
	Description string
	RetryAfter  int
}

// Pushed says what a push created.
type Pushed struct {
	UpdateID   int64
	MessageID  int
	CallbackID string
}

type chat struct {
	id      int64
	typ     string
	title   string
	nextID  int // groups only: private chats share Server.privateID
	msgs    map[int]*Message
	limiter *ratelimit.Bucket
	group   *ratelimit.Bucket // groups: 20 a minute
}

type pending struct {
	forced bool // a Redeliver copy: returned once whatever the offset
	seq    int64
	id     int64
	chat   int64
	kind   string
	raw    []byte
}

type notice struct {
	chat int64
	text string
}

type callback struct {
	chat     int64
	answered bool
	text     string
}

// Server is the fake. Create it with NewServer and Close it when done.
type Server struct {
	opt Options
	hs  *httptest.Server

	mu         sync.Mutex
	chats      map[int64]*chat
	queue      []pending // not yet confirmed, in update_id order (re-deliveries appended)
	nextUpdate int64
	confirmed  int64
	allowed    []string
	calls      []Call
	fails      map[string][]APIError
	global     *ratelimit.Bucket
	callbacks  map[string]*callback
	nextCB     int
	count429   int
	notices    []notice
	changed    chan struct{} // closed and replaced when the queue grows
	poller     chan struct{} // closed to terminate the current getUpdates
	webhook    webhookState
	sent       []pending // confirmed updates, for Redeliver
	seq        int64
	whCancel   context.CancelFunc
	whWG       sync.WaitGroup
	closed     bool

	privateID  int           // the one message id counter of private chats
	owner      map[int]int64 // private message id -> its chat
	skew       time.Duration // Advance
	delAsked   int           // ids named by deleteMessage(s) calls
	delForeign int           // of those, ids of another chat's message
	delDone    int           // messages those calls removed
	conflicts  int           // getUpdates requests answered 409 because a newer one started
}

type webhookState struct {
	URL            string
	Secret         string
	AllowedUpdates []string
}

// NewServer starts a fake Bot API server.
func NewServer(opt Options) *Server {
	if opt.Token == "" {
		opt.Token = "123456:TEST-TOKEN"
	}
	if opt.BotID == 0 {
		opt.BotID = 1000
	}
	if opt.BotUsername == "" {
		opt.BotUsername = "baraza_test_bot"
	}
	if opt.GlobalRate == 0 {
		opt.GlobalRate = 30
	}
	if opt.GlobalBurst == 0 {
		opt.GlobalBurst = 30
	}
	if opt.ChatRate == 0 {
		opt.ChatRate = 1
	}
	if opt.ChatBurst == 0 {
		opt.ChatBurst = 3
	}
	if opt.WebhookConnections == 0 {
		opt.WebhookConnections = 40
	}
	s := &Server{
		opt:        opt,
		chats:      map[int64]*chat{},
		nextUpdate: 100000,
		fails:      map[string][]APIError{},
		global:     ratelimit.New(opt.GlobalRate, float64(opt.GlobalBurst)),
		callbacks:  map[string]*callback{},
		changed:    make(chan struct{}),
		owner:      map[int]int64{},
	}
	if opt.GroupPerMinute == 0 {
		s.opt.GroupPerMinute = 20
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server and its webhook deliveries.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	if s.whCancel != nil {
		s.whCancel()
	}
	s.mu.Unlock()
	s.whWG.Wait()
	s.hs.Close()
}

// Advance moves the fake's clock forward (message dates and the 48 h
// deletion limit; flood control keeps real time).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skew += d
}

func (s *Server) nowLocked() time.Time { return time.Now().Add(s.skew) }

// DeleteStats says how many message ids deleteMessage and deleteMessages
// calls named (asked), how many of those belonged to another chat
// (foreign), and how many messages they removed (deleted).
func (s *Server) DeleteStats() (asked, foreign, deleted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delAsked, s.delForeign, s.delDone
}

// Conflicts is how many getUpdates requests were ended with 409 because a
// newer one started.
func (s *Server) Conflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conflicts
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.hs.URL }

// Endpoint is the Bot API endpoint format ("%s" token, then "%s" method).
func (s *Server) Endpoint() string { return s.hs.URL + "/bot%s/%s" }

// Token is the only token the server accepts.
func (s *Server) Token() string { return s.opt.Token }

// BotUsername is the username getMe reports.
func (s *Server) BotUsername() string { return s.opt.BotUsername }

// Calls returns a copy of every call so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallCount counts recorded calls of one method (case-insensitive).
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Method == strings.ToLower(method) {
			n++
		}
	}
	return n
}

// Count429 is how many calls were refused by flood control.
func (s *Server) Count429() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count429
}

// Messages returns the chat's visible (not deleted) messages in order.
func (s *Server) Messages(chatID int64) []Message {
	return s.messages(chatID, false)
}

// AllMessages returns every message the chat ever had, deleted ones
// included (Deleted set), in order.
func (s *Server) AllMessages(chatID int64) []Message {
	return s.messages(chatID, true)
}

func (s *Server) messages(chatID int64, all bool) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.msgs {
		if all || !m.Deleted {
			out = append(out, *m)
		}
	}
	slices.SortFunc(out, func(a, b Message) int { return a.ID - b.ID })
	return out
}

// Notices returns the non-empty callback answers (toasts) shown in a
// chat, oldest first.
func (s *Server) Notices(chatID int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range s.notices {
		if n.chat == chatID {
			out = append(out, n.text)
		}
	}
	return out
}

// CallbackAnswered reports whether the callback query with this id was
// answered (with or without a notice).
func (s *Server) CallbackAnswered(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cb := s.callbacks[id]
	return cb != nil && cb.answered
}

// Webhook returns what setWebhook registered (empty URL: none).
func (s *Server) Webhook() (u, secret string, allowedUpdates []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook.URL, s.webhook.Secret, slices.Clone(s.webhook.AllowedUpdates)
}

// Pending is how many updates are not confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Polling reports whether a getUpdates long poll is being held open.
func (s *Server) Polling() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.poller != nil
}

// Confirmed is the offset confirmed by the last getUpdates (updates below
// it are gone) or by webhook deliveries.
func (s *Server) Confirmed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed
}

// FailNext makes the next call of method (case-insensitive) fail with e.
// Several calls queue up.
func (s *Server) FailNext(method string, e APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := strings.ToLower(method)
	s.fails[m] = append(s.fails[m], e)
}

// AddUser makes the user's private chat known without an update, as if
// the user had started the bot before.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatLocked(u.ID, "private", "")
}

func (s *Server) chatLocked(id int64, typ, title string) *chat {
	c := s.chats[id]
	if c == nil {
		c = &chat{id: id, typ: typ, title: title, msgs: map[int]*Message{}, limiter: ratelimit.New(s.opt.ChatRate, float64(s.opt.ChatBurst))}
		if typ != "private" && s.opt.GroupPerMinute > 0 {
			c.group = ratelimit.New(s.opt.GroupPerMinute/60, s.opt.GroupPerMinute)
		}
		s.chats[id] = c
	}
	return c
}

// Text pushes a text message from u in their private chat. A text that
// starts with "/" carries a bot_command entity, as Telegram sends it.
func (s *Server) Text(u User, text string) Pushed {
	return s.text(u, u.ID, "private", "", text)
}

// GroupText pushes a text message from u in a group chat (groupID < 0).
func (s *Server) GroupText(u User, groupID int64, text string) Pushed {
	return s.text(u, groupID, "group", "Neighbours", text)
}

func (s *Server) text(u User, chatID int64, typ, title, text string) Pushed {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID, typ, title)
	now := s.nowLocked()
	m := &Message{ID: s.nextIDLocked(c), Text: text, Date: now}
	c.msgs[m.ID] = m
	msg := map[string]any{
		"message_id": m.ID,
		"from":       userJSON(u),
		"chat":       c.json(u),
		"date":       now.Unix(),
		"text":       text,
	}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(utf16.Encode([]rune(cmd)))}}
	}
	id := s.pushLocked(chatID, "message", map[string]any{"message": msg})
	return Pushed{UpdateID: id, MessageID: m.ID}
}

// nextIDLocked gives the next message id of chat c: private chats draw
// from the bot's one counter, groups from their own.
func (s *Server) nextIDLocked(c *chat) int {
	if c.typ != "private" {
		c.nextID++
		return c.nextID
	}
	s.privateID++
	s.owner[s.privateID] = c.id
	return s.privateID
}

// Media kinds Telegram sends without text.
const (
	Voice    = "voice"
	Sticker  = "sticker"
	Photo    = "photo"
	Document = "document"
	Location = "location"
	Contact  = "contact"
	Video    = "video"
)

// Media pushes a message without text from u in their private chat: a
// voice note, sticker, photo, document, location, contact or video, with
// the fields Telegram gives such a message. The location is a place and
// the contact a phone number, so tests can check neither is kept.
func (s *Server) Media(u User, kind string) Pushed {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(u.ID, "private", "")
	now := s.nowLocked()
	m := &Message{ID: s.nextIDLocked(c), Date: now}
	c.msgs[m.ID] = m
	msg := map[string]any{"message_id": m.ID, "from": userJSON(u), "chat": c.json(u), "date": now.Unix()}
	file := func(extra map[string]any) map[string]any {
		f := map[string]any{"file_id": fmt.Sprintf("AgACAgQAAxkBAAI%08d", m.ID), "file_unique_id": fmt.Sprintf("AQAD%06d", m.ID), "file_size": 12345}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	switch kind {
	case Voice:
		msg["voice"] = file(map[string]any{"duration": 7, "mime_type": "audio/ogg"})
	case Sticker:
		msg["sticker"] = file(map[string]any{"width": 512, "height": 512, "is_animated": false, "is_video": false, "type": "regular", "emoji": "👍"})
	case Photo:
		msg["photo"] = []map[string]any{file(map[string]any{"width": 90, "height": 60}), file(map[string]any{"width": 1280, "height": 853})}
	case Document:
		msg["document"] = file(map[string]any{"file_name": "report.pdf", "mime_type": "application/pdf"})
	case Location:
		msg["location"] = map[string]any{"latitude": -1.292066, "longitude": 36.821946}
	case Contact:
		msg["contact"] = map[string]any{"phone_number": "+254712345678", "first_name": "Amina", "user_id": u.ID + 1}
	case Video:
		msg["video"] = file(map[string]any{"width": 640, "height": 360, "duration": 12})
	default:
		panic("telegramtest: unknown media kind " + kind)
	}
	id := s.pushLocked(u.ID, "message", map[string]any{"message": msg})
	return Pushed{UpdateID: id, MessageID: m.ID}
}

// Press pushes a callback_query: u pressed the button with data under the
// bot's message messageID in chatID. The update carries that message.
func (s *Server) Press(u User, chatID int64, messageID int, data string) Pushed {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID, "private", "")
	s.nextCB++
	cbID := fmt.Sprintf("%d%06d", s.opt.BotID, s.nextCB)
	s.callbacks[cbID] = &callback{chat: chatID}
	cq := map[string]any{
		"id":            cbID,
		"from":          userJSON(u),
		"chat_instance": fmt.Sprintf("ci%d", chatID),
		"data":          data,
	}
	if m := c.msgs[messageID]; m != nil {
		cq["message"] = s.messageJSON(c, m, u)
	}
	id := s.pushLocked(chatID, "callback_query", map[string]any{"callback_query": cq})
	return Pushed{UpdateID: id, MessageID: messageID, CallbackID: cbID}
}

// PushRaw pushes an update of any kind: fields are the update's fields
// without update_id (e.g. {"message_reaction": {...}}). chatID is used only
// to order webhook deliveries.
func (s *Server) PushRaw(chatID int64, kind string, fields map[string]any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushLocked(chatID, kind, fields)
}

func (s *Server) pushLocked(chatID int64, kind string, fields map[string]any) int64 {
	s.nextUpdate++
	fields["update_id"] = s.nextUpdate
	raw, _ := json.Marshal(fields)
	s.seq++
	s.queue = append(s.queue, pending{seq: s.seq, id: s.nextUpdate, chat: chatID, kind: kind, raw: raw})
	s.notifyLocked()
	return s.nextUpdate
}

// Redeliver delivers an update once more with the same update_id, as
// Telegram does when a confirmation got lost: the next getUpdates returns
// the copy whatever its offset (and then forgets it), and a webhook gets it
// POSTed again. It reports whether the update was known.
func (s *Server) Redeliver(updateID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range slices.Concat(s.sent, s.queue) {
		if p.id == updateID {
			s.seq++
			p.seq = s.seq
			p.forced = true
			s.queue = append(s.queue, p)
			s.notifyLocked()
			return true
		}
	}
	return false
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func userJSON(u User) map[string]any {
	m := map[string]any{"id": u.ID, "is_bot": false, "first_name": u.FirstName}
	if u.Username != "" {
		m["username"] = u.Username
	}
	if u.LanguageCode != "" {
		m["language_code"] = u.LanguageCode
	}
	return m
}

func (c *chat) json(u User) map[string]any {
	if c.typ == "private" {
		m := map[string]any{"id": c.id, "type": "private", "first_name": u.FirstName}
		if u.Username != "" {
			m["username"] = u.Username
		}
		return m
	}
	return map[string]any{"id": c.id, "type": c.typ, "title": c.title}
}

func (s *Server) messageJSON(c *chat, m *Message, peer User) map[string]any {
	out := map[string]any{
		"message_id": m.ID,
		"chat":       c.json(peer),
		"date":       m.Date.Unix(),
	}
	if m.FromBot {
		out["from"] = map[string]any{"id": s.opt.BotID, "is_bot": true, "first_name": "Baraza", "username": s.opt.BotUsername}
	} else {
		out["from"] = userJSON(peer)
	}
	if m.Photo {
		out["photo"] = []map[string]any{{"file_id": fmt.Sprintf("photo%d", m.ID), "file_unique_id": fmt.Sprintf("u%d", m.ID), "width": 256, "height": 256, "file_size": m.PhotoSize}}
		if m.Text != "" {
			out["caption"] = m.Text
		}
	} else {
		out["text"] = m.Text
	}
	if len(m.Keyboard) > 0 {
		out["reply_markup"] = map[string]any{"inline_keyboard": m.Keyboard}
	}
	if m.Protected {
		out["has_protected_content"] = true
	}
	return out
}

// ---- HTTP ----

type reply struct {
	status int
	body   map[string]any
}

func ok(result any) reply { return reply{200, map[string]any{"ok": true, "result": result}} }

func fail(code int, desc string) reply {
	return reply{code, map[string]any{"ok": false, "error_code": code, "description": desc}}
}

func badRequest(desc string) reply { return fail(400, "Bad Request: "+desc) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rep, method, params, chatID := s.handle(r)
	code, _ := rep.body["error_code"].(int)
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Params: params, ChatID: chatID, ErrorCode: code, Time: time.Now()})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_ = json.NewEncoder(w).Encode(rep.body)
}

func (s *Server) handle(r *http.Request) (rep reply, method string, params map[string]string, chatID int64) {
	rest, found := strings.CutPrefix(r.URL.Path, "/bot")
	token, m, found2 := strings.Cut(rest, "/")
	if !found || !found2 {
		return fail(404, "Not Found"), "", nil, 0
	}
	method = strings.ToLower(m)
	if token != s.opt.Token {
		return fail(401, "Unauthorized"), method, nil, 0
	}
	var files map[string][]byte
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return badRequest("can't parse multipart"), method, nil, 0
		}
		files = map[string][]byte{}
		for name, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return badRequest("can't read file"), method, nil, 0
			}
			b, _ := io.ReadAll(f)
			f.Close()
			files[name] = b
		}
	} else if err := r.ParseForm(); err != nil {
		return badRequest("can't parse form"), method, nil, 0
	}
	params = map[string]string{}
	for k, v := range r.Form {
		params[k] = v[0]
	}
	chatID, _ = strconv.ParseInt(params["chat_id"], 10, 64)

	s.mu.Lock()
	if q := s.fails[method]; len(q) > 0 {
		e := q[0]
		s.fails[method] = q[1:]
		s.mu.Unlock()
		rep := fail(e.Code, e.Description)
		if e.RetryAfter > 0 {
			rep.body["parameters"] = map[string]any{"retry_after": e.RetryAfter}
		}
		return rep, method, params, chatID
	}
	s.mu.Unlock()

	switch method {
	case "getme":
		return ok(map[string]any{"id": s.opt.BotID, "is_bot": true, "first_name": "Baraza", "username": s.opt.BotUsername,
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}), method, params, chatID
	case "getupdates":
		return s.getUpdates(r.Context(), params), method, params, chatID
	case "setwebhook":
		return s.setWebhook(params), method, params, chatID
	case "deletewebhook":
		return s.deleteWebhook(params), method, params, chatID
	case "getwebhookinfo":
		s.mu.Lock()
		defer s.mu.Unlock()
		return ok(map[string]any{"url": s.webhook.URL, "has_custom_certificate": false, "pending_update_count": len(s.queue)}), method, params, chatID
	case "sendmessage", "sendphoto", "editmessagetext", "editmessagereplymarkup", "deletemessage", "deletemessages", "answercallbackquery":
	default:
		return fail(404, "Not Found"), method, params, chatID
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "answercallbackquery" {
		cb := s.callbacks[params["callback_query_id"]]
		if cb == nil || cb.answered {
			return badRequest("query is too old and response timeout expired or query ID is invalid"), method, params, chatID
		}
		if n := utf16Len(params["text"]); n > 200 {
			return badRequest("MESSAGE_TOO_LONG"), method, params, chatID
		}
		chatID = cb.chat
		// Not a send: only the bot's global allowance applies.
		if rep, limited := s.limitLocked(0); limited {
			return rep, method, params, chatID
		}
		cb.answered = true
		cb.text = params["text"]
		if cb.text != "" {
			s.notices = append(s.notices, notice{chatID, cb.text})
		}
		return ok(true), method, params, chatID
	}
	c := s.chats[chatID]
	if c == nil {
		return badRequest("chat not found"), method, params, chatID
	}
	switch method {
	case "sendmessage", "sendphoto":
		return s.send(c, method, params, files), method, params, chatID
	case "editmessagetext", "editmessagereplymarkup":
		return s.edit(c, method, params), method, params, chatID
	default:
		return s.delete(c, method, params), method, params, chatID
	}
}

// limitLocked applies flood control to one call in chatID.
func (s *Server) limitLocked(chatID int64) (reply, bool) {
	now := time.Now()
	var cw time.Duration
	var c *chat
	if chatID != 0 {
		c = s.chats[chatID]
	}
	if c != nil {
		cw = c.limiter.Delay(now)
		if c.group != nil {
			cw = max(cw, c.group.Delay(now))
		}
	}
	gw := s.global.Delay(now)
	if w := max(cw, gw); w > 0 {
		s.count429++
		ra := max(1, int(math.Ceil(w.Seconds())))
		rep := fail(429, fmt.Sprintf("Too Many Requests: retry after %d", ra))
		rep.body["parameters"] = map[string]any{"retry_after": ra}
		return rep, true
	}
	if c != nil {
		c.limiter.Take(now)
		if c.group != nil {
			c.group.Take(now)
		}
	}
	s.global.Take(now)
	return reply{}, false
}

func parseKeyboard(raw string) ([][]Button, error) {
	if raw == "" || raw == "null" {
		return nil, nil
	}
	var mk struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &mk); err != nil {
		return nil, fmt.Errorf("can't parse reply keyboard markup JSON object")
	}
	for _, row := range mk.InlineKeyboard {
		for _, b := range row {
			if b.Text == "" {
				return nil, fmt.Errorf("text buttons are unallowed in the inline keyboard")
			}
			if len(b.Data) < 1 || len(b.Data) > 64 {
				return nil, fmt.Errorf("BUTTON_DATA_INVALID")
			}
		}
	}
	return mk.InlineKeyboard, nil
}

func (s *Server) send(c *chat, method string, p map[string]string, files map[string][]byte) reply {
	kb, err := parseKeyboard(p["reply_markup"])
	if err != nil {
		return badRequest(err.Error())
	}
	m := &Message{FromBot: true, Keyboard: kb, Protected: p["protect_content"] == "true", Date: s.nowLocked()}
	if method == "sendmessage" {
		m.Text = p["text"]
		if strings.TrimSpace(m.Text) == "" {
			return badRequest("message text is empty")
		}
		if utf16Len(m.Text) > 4096 {
			return badRequest("message is too long")
		}
	} else {
		m.Text = p["caption"]
		if utf16Len(m.Text) > 1024 {
			return badRequest("message caption is too long")
		}
		photo, found := files["photo"]
		if !found || len(photo) == 0 {
			return badRequest("there is no photo in the request")
		}
		m.Photo, m.PhotoSize = true, len(photo)
	}
	if rep, limited := s.limitLocked(c.id); limited {
		return rep
	}
	m.ID = s.nextIDLocked(c)
	c.msgs[m.ID] = m
	return ok(s.messageJSON(c, m, User{ID: c.id, FirstName: "User"}))
}

func (s *Server) edit(c *chat, method string, p map[string]string) reply {
	id, _ := strconv.Atoi(p["message_id"])
	m := c.msgs[id]
	if m == nil || m.Deleted || !m.FromBot {
		return badRequest("message to edit not found")
	}
	kb, err := parseKeyboard(p["reply_markup"])
	if err != nil {
		return badRequest(err.Error())
	}
	text := m.Text
	if method == "editmessagetext" {
		text = p["text"]
		if strings.TrimSpace(text) == "" {
			return badRequest("message text is empty")
		}
		if utf16Len(text) > 4096 {
			return badRequest("MESSAGE_TOO_LONG")
		}
	}
	same, _ := json.Marshal(kb)
	old, _ := json.Marshal(m.Keyboard)
	if text == m.Text && bytes.Equal(same, old) {
		return badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	if rep, limited := s.limitLocked(c.id); limited {
		return rep
	}
	m.Text, m.Keyboard = text, kb
	return ok(s.messageJSON(c, m, User{ID: c.id, FirstName: "User"}))
}

func (s *Server) delete(c *chat, method string, p map[string]string) reply {
	var ids []int
	if method == "deletemessage" {
		id, err := strconv.Atoi(p["message_id"])
		if err != nil {
			return badRequest("message identifier is not specified")
		}
		ids = []int{id}
	} else {
		if err := json.Unmarshal([]byte(p["message_ids"]), &ids); err != nil || len(ids) == 0 {
			return badRequest("message identifiers are not specified")
		}
		if len(ids) > 100 {
			return badRequest("too many message identifiers specified")
		}
	}
	now := s.nowLocked()
	deletable := func(m *Message) bool {
		return (c.typ == "private" || m.FromBot) && now.Sub(m.Date) < 48*time.Hour
	}
	// Not a send: only the bot's global allowance applies.
	if rep, limited := s.limitLocked(0); limited {
		return rep
	}
	s.delAsked += len(ids)
	var found []*Message
	for _, id := range ids {
		if owner, known := s.owner[id]; known && owner != c.id && c.typ == "private" {
			s.delForeign++
		}
		if m := c.msgs[id]; m != nil && !m.Deleted {
			found = append(found, m)
		}
	}
	if method == "deletemessage" && len(found) == 0 {
		return badRequest("message to delete not found")
	}
	for _, m := range found {
		if !deletable(m) {
			return badRequest("message can't be deleted")
		}
	}
	for _, m := range found {
		m.Deleted = true
	}
	s.delDone += len(found)
	return ok(true)
}

func (s *Server) setWebhook(p map[string]string) reply {
	u := p["url"]
	if u != "" {
		if pu, err := url.Parse(u); err != nil || pu.Host == "" {
			return badRequest("bad webhook: invalid URL")
		}
	}
	secret := p["secret_token"]
	if len(secret) > 256 || strings.ContainsFunc(secret, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		return badRequest("secret token contains unallowed characters")
	}
	var allowed []string
	if a := p["allowed_updates"]; a != "" && a != "null" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			return badRequest("can't parse allowed updates")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p["drop_pending_updates"] == "true" {
		s.queue = nil
	}
	s.webhook = webhookState{URL: u, Secret: secret, AllowedUpdates: allowed}
	if allowed != nil {
		s.allowed = allowed
	}
	s.startWebhookLocked()
	if u == "" {
		return reply{200, map[string]any{"ok": true, "result": true, "description": "Webhook was deleted"}}
	}
	return reply{200, map[string]any{"ok": true, "result": true, "description": "Webhook was set"}}
}

func (s *Server) deleteWebhook(p map[string]string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p["drop_pending_updates"] == "true" {
		s.queue = nil
	}
	s.webhook = webhookState{}
	s.startWebhookLocked()
	return reply{200, map[string]any{"ok": true, "result": true, "description": "Webhook was deleted"}}
}

// getUpdates long-polls the queue like Telegram.
func (s *Server) getUpdates(ctx context.Context, p map[string]string) reply {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	var allowed []string
	if a := p["allowed_updates"]; a != "" && a != "null" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			return badRequest("can't parse allowed updates")
		}
	}
	deadline := time.Now().Add(time.Duration(timeout) * time.Second)

	s.mu.Lock()
	if s.webhook.URL != "" {
		s.mu.Unlock()
		return fail(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
	}
	if s.poller != nil {
		close(s.poller) // terminate the other request, as Telegram does
	}
	me := make(chan struct{})
	s.poller = me
	if allowed != nil {
		s.allowed = allowed
	}
	defer func() {
		s.mu.Lock()
		if s.poller == me {
			s.poller = nil
		}
		s.mu.Unlock()
	}()
	for {
		if offset > 0 {
			s.confirmLocked(offset)
		}
		var out []json.RawMessage
		var forced []int64
		for _, q := range s.queue {
			if (q.id < offset && !q.forced) || !s.allowedLocked(q.kind) {
				continue
			}
			out = append(out, q.raw)
			if q.forced {
				forced = append(forced, q.seq)
			}
			if len(out) == limit {
				break
			}
		}
		s.queue = slices.DeleteFunc(s.queue, func(q pending) bool { return slices.Contains(forced, q.seq) })
		if len(out) > 0 || !time.Now().Before(deadline) {
			s.mu.Unlock()
			if out == nil {
				out = []json.RawMessage{}
			}
			return ok(out)
		}
		changed := s.changed
		s.mu.Unlock()
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-changed:
		case <-t.C:
		case <-me:
			t.Stop()
			s.mu.Lock()
			s.conflicts++
			s.mu.Unlock()
			return fail(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
		case <-ctx.Done():
			t.Stop()
			return fail(499, "request cancelled")
		}
		t.Stop()
		s.mu.Lock()
	}
}

func (s *Server) allowedLocked(kind string) bool {
	return len(s.allowed) == 0 || slices.Contains(s.allowed, kind)
}

// confirmLocked drops queued updates below offset and remembers them for
// Redeliver.
func (s *Server) confirmLocked(offset int64) {
	s.confirmed = max(s.confirmed, offset)
	kept := s.queue[:0]
	for _, q := range s.queue {
		if q.forced {
			kept = append(kept, q)
		} else if q.id < offset {
			s.sent = append(s.sent, q)
		} else {
			kept = append(kept, q)
		}
	}
	s.queue = kept
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

// Done reports whether an update was confirmed: by a getUpdates with a
// higher offset, or by a 2xx webhook answer.
func (s *Server) Done(updateID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if updateID >= s.confirmed {
		return false
	}
	for _, q := range s.queue {
		if q.id == updateID && !q.forced {
			return false
		}
	}
	return true
}
