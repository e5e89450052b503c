// Package discordtest is a fake Discord for tests: one httptest server that
// serves the REST API under /api/v9 and the gateway websocket at /ws/, speaks
// the wire protocol discordgo v0.28.1 expects, enforces the limits Discord
// enforces (per-route rate limits with 429, component and content limits,
// the 3-second interaction deadline, no deletion of a user's DM message) and
// records everything the bot did so tests can assert on it.
//
// Reach it from a discordgo session with an http.Client whose transport
// rewrites https://discord.com to the fake's URL; the gateway URL comes from
// the fake's /gateway answer. No discordgo globals are touched.
package discordtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Options configure a fake. Zero values take the defaults in brackets.
type Options struct {
	// Token is the bot token the fake accepts, without the "Bot " prefix
	// ["test-token"].
	Token string
	// HeartbeatInterval announced in Hello [41.25 s, Discord's]. discordgo
	// v0.28.1 treats five intervals without an ACK as a zombied connection
	// and reconnects; the ACK is read in order behind every event before
	// it, so an interval much shorter than Discord's turns a busy -race
	// run (a replay backlog read slowly) into a reconnect storm that
	// Discord's real interval never causes. Tests of the zombie path set
	// a short one.
	HeartbeatInterval time.Duration
	// RouteLimit requests per RouteWindow in each route bucket [5 per 100ms].
	RouteLimit  int
	RouteWindow time.Duration
	// GlobalLimit requests per second across all buckets except the
	// interaction and webhook-token routes, which Discord exempts [0: none].
	GlobalLimit int
	// InteractionDeadline for the initial response [3s].
	InteractionDeadline time.Duration
	// NoEcho stops the fake from dispatching MESSAGE_CREATE for the bot's own
	// messages (real Discord echoes them).
	NoEcho bool
	// LenientResume accepts a resume on the main gateway URL. By default,
	// as on Discord, READY names a different resume_gateway_url (another
	// host) and a resume anywhere else is answered op 9 (not resumable).
	LenientResume bool
	// MaxConcurrency is session_start_limit.max_concurrency in
	// /gateway/bot [1]: identifies per 5 s per rate-limit bucket
	// (shard_id % max_concurrency).
	MaxConcurrency int
}

// Snowflake ids of the fixed objects.
const (
	BotID   = "1100000000000000001"
	AppID   = "1100000000000000002"
	GuildID = "1100000000000000003"
	// GuildChannelID is the text channel of the guild where users run
	// slash commands.
	GuildChannelID = "1100000000000000004"
	botName        = "Baraza"
)

// Server is the fake Discord.
type Server struct {
	URL      string
	opts     Options
	ts       *httptest.Server
	resumeTS *httptest.Server // the resume gateway, on another port
	up       websocket.Upgrader

	nextID atomic.Int64

	mu             sync.Mutex
	users          map[string]*User
	channels       map[string]*channel
	dmByUser       map[string]string
	interactions   map[string]*interaction
	events         map[string]*event // by event id (message or interaction id)
	calls          []Call
	rejects        []Reject
	limited        map[string]int
	buckets        map[string]*bucket
	global         []time.Time
	inject429      int
	injectAfter    time.Duration
	commands       []json.RawMessage
	commandPuts    int
	identifies     []Identify
	resumes        int
	refusedResumes int
	noACKs         bool
	closeCodes     []int
	inject429On    map[string]int
	injectOnAfter  time.Duration

	chMu    sync.Mutex
	changed chan struct{} // closed by bump; nil until someone waits

	gw gateway
}

// Call is one REST request the fake received.
type Call struct {
	Method, Path, Bucket string
	Status               int
	// At is when the request reached the fake, by the fake's clock.
	At time.Time
	// RetryAfter is the retry_after a 429 answered with (0 otherwise).
	RetryAfter time.Duration
}

// Reject is a request the fake refused for breaking a Discord rule.
type Reject struct {
	Method, Path string
	Status, Code int
	Reason       string
}

// Identify is what the bot sent in an op 2.
type Identify struct {
	Intents int
	Shard   *[2]int
	Token   string
	At      time.Time
}

func (s *Server) maxConcurrency() int {
	if s.opts.MaxConcurrency > 0 {
		return s.opts.MaxConcurrency
	}
	return 1
}

// IdentifyTooSoon counts identifies that came less than 5 s after the
// previous one of the same rate-limit bucket (shard % max_concurrency):
// Discord allows one per 5 s per bucket.
func (s *Server) IdentifyTooSoon() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := map[int]time.Time{}
	n := 0
	for _, id := range s.identifies {
		shard := 0
		if id.Shard != nil {
			shard = id.Shard[0]
		}
		b := shard % s.maxConcurrency()
		if t, ok := last[b]; ok && id.At.Sub(t) < 5*time.Second {
			n++
		}
		last[b] = id.At
	}
	return n
}

// New starts a fake and closes it when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := NewServer(opts)
	tb.Cleanup(s.Close)
	return s
}

// NewServer starts a fake; call Close when done.
func NewServer(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "test-token"
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = 41250 * time.Millisecond
	}
	if opts.RouteLimit <= 0 {
		opts.RouteLimit = 5
	}
	if opts.RouteWindow <= 0 {
		opts.RouteWindow = 100 * time.Millisecond
	}
	if opts.InteractionDeadline <= 0 {
		opts.InteractionDeadline = 3 * time.Second
	}
	s := &Server{
		opts:         opts,
		users:        map[string]*User{},
		channels:     map[string]*channel{},
		dmByUser:     map[string]string{},
		interactions: map[string]*interaction{},
		events:       map[string]*event{},
		limited:      map[string]int{},
		buckets:      map[string]*bucket{},
	}
	s.up.CheckOrigin = func(*http.Request) bool { return true }
	s.nextID.Store(1200000000000000000)
	s.gw.init()
	s.channels[GuildChannelID] = &channel{ID: GuildChannelID, Type: 0, GuildID: GuildID}
	s.ts = httptest.NewServer(s.routes())
	s.URL = s.ts.URL
	rmux := http.NewServeMux()
	rmux.HandleFunc("/", s.serveResumeGateway)
	s.resumeTS = httptest.NewServer(rmux)
	return s
}

// APIURL is the REST base to give the bot, e.g. http://127.0.0.1:1234/api/v9.
func (s *Server) APIURL() string { return s.URL + "/api/v9" }

// Token is the bot token the fake accepts (without "Bot ").
func (s *Server) Token() string { return s.opts.Token }

// Close stops the server and drops every gateway connection.
func (s *Server) Close() {
	s.gw.closeAll()
	s.ts.CloseClientConnections()
	s.ts.Close()
	s.resumeTS.CloseClientConnections()
	s.resumeTS.Close()
}

func (s *Server) newID() string { return strconv.FormatInt(s.nextID.Add(1), 10) }

func randToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- recorded state -------------------------------------------------------

// Message is a message as the fake holds it.
type Message struct {
	ID, ChannelID, AuthorID string
	Content                 string
	Rows                    [][]Component
	Ephemeral               bool
	Attachments             int
	Edits                   int
	Deleted                 bool
	// Interaction is set on interaction responses and follow-ups.
	Interaction string
	raw         json.RawMessage // components as received
}

// Component is a button or a select menu in a row.
type Component struct {
	Type     int // 2 button, 3 string select
	CustomID string
	Label    string
	Style    int
	Options  []SelectOption
}

// SelectOption is one option of a select menu.
type SelectOption struct {
	Label, Value string
	Default      bool
}

// Buttons lists the message's components in order.
func (m Message) Buttons() []Component {
	var out []Component
	for _, r := range m.Rows {
		out = append(out, r...)
	}
	return out
}

type channel struct {
	ID          string
	Type        int // 0 guild text, 1 DM
	GuildID     string
	RecipientID string
	msgs        []*Message
}

// Messages returns the live (not deleted, not ephemeral) messages of a
// channel, oldest first.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channelID]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.msgs {
		if !m.Deleted && !m.Ephemeral {
			out = append(out, *m)
		}
	}
	return out
}

// BotMessages returns the live messages the bot authored in a channel.
func (s *Server) BotMessages(channelID string) []Message {
	var out []Message
	for _, m := range s.Messages(channelID) {
		if m.AuthorID == BotID {
			out = append(out, m)
		}
	}
	return out
}

// Deleted returns the deleted messages of a channel.
func (s *Server) Deleted(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channelID]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.msgs {
		if m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// Ephemeral returns the ephemeral messages (interaction responses and
// follow-ups) shown to the user in a channel.
func (s *Server) Ephemeral(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channelID]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.msgs {
		if m.Ephemeral && !m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// Calls returns every REST request received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Rejects returns the requests refused for breaking a Discord rule (limits,
// deleting a user's DM message, late interaction responses, ...).
func (s *Server) Rejects() []Reject {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reject(nil), s.rejects...)
}

// RateLimited returns how many 429s each route bucket answered.
func (s *Server) RateLimited() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.limited))
	for k, v := range s.limited {
		out[k] = v
	}
	return out
}

// Inject429On makes the next n requests of one route bucket (for example
// "channels/<id>/messages") fail with a per-route 429 whose
// X-RateLimit-Remaining is 0 and Reset-After is retryAfter; other buckets
// are not affected.
func (s *Server) Inject429On(bucket string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inject429On == nil {
		s.inject429On = map[string]int{}
	}
	s.inject429On[bucket], s.injectOnAfter = n, retryAfter
}

// Inject429 makes the next n rate-limited REST requests (not interaction
// callbacks) answer 429 with the given retry_after.
func (s *Server) Inject429(n int, retryAfter time.Duration) {
	s.mu.Lock()
	s.inject429, s.injectAfter = n, retryAfter
	s.mu.Unlock()
}

// Commands returns the application commands as last overwritten, and how
// many bulk overwrites the bot made.
func (s *Server) Commands() ([]json.RawMessage, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.commands...), s.commandPuts
}

// CommandNames returns the names of the registered commands, sorted.
func (s *Server) CommandNames() []string {
	cmds, _ := s.Commands()
	var names []string
	for _, c := range cmds {
		var v struct{ Name string }
		if json.Unmarshal(c, &v) == nil {
			names = append(names, v.Name)
		}
	}
	sort.Strings(names)
	return names
}

// Identifies returns every op 2 the bot sent.
func (s *Server) Identifies() []Identify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Identify(nil), s.identifies...)
}

// Resumes returns how many op 6 Resumes succeeded.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}

// InteractionRecord is what happened to one interaction.
type InteractionRecord struct {
	ID        string
	Type      int // 2 command, 3 component, 4 autocomplete, 5 modal
	Sent      time.Time
	AckType   int // the initial response type, 0 if none
	AckAfter  time.Duration
	Late      bool // an initial response came after the deadline
	Choices   []string
	Followups int
}

// Interactions returns the record of every interaction created, in id order.
func (s *Server) Interactions() []InteractionRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []InteractionRecord
	for _, in := range s.interactions {
		r := InteractionRecord{ID: in.ID, Type: in.Type, Sent: in.sent, AckType: in.ackType,
			Late: in.late, Choices: append([]string(nil), in.choices...), Followups: in.followups}
		if in.ackType != 0 && !in.sent.IsZero() {
			r.AckAfter = in.ackAt.Sub(in.sent)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return lessID(out[i].ID, out[j].ID) })
	return out
}

func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Changed returns a channel closed at the next change the bot makes
// through the REST API or the gateway: take it before checking a
// condition, then wait on it, and no change is missed.
func (s *Server) Changed() <-chan struct{} {
	s.chMu.Lock()
	defer s.chMu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// bump wakes everyone waiting on Changed.
func (s *Server) bump() {
	s.chMu.Lock()
	defer s.chMu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// Await checks cond after every change (see Changed) until it is true or
// timeout passes, and reports whether it became true. Conditions on state
// outside the fake (a test's handler) are also checked every 100 ms; the
// fake's own changes wake it at once, so waiting tests do not spin and
// starve the adapter they watch on a loaded -race run.
func (s *Server) Await(timeout time.Duration, cond func() bool) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ch := s.Changed()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-t.C:
			return cond()
		}
	}
}

// Interaction returns the record of one interaction (see Interactions).
func (s *Server) Interaction(id string) (InteractionRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.interactions[id]
	if in == nil {
		return InteractionRecord{}, false
	}
	r := InteractionRecord{ID: in.ID, Type: in.Type, Sent: in.sent, AckType: in.ackType,
		Late: in.late, Choices: append([]string(nil), in.choices...), Followups: in.followups}
	if in.ackType != 0 && !in.sent.IsZero() {
		r.AckAfter = in.ackAt.Sub(in.sent)
	}
	return r, true
}

func (s *Server) reject(r *http.Request, status, code int, reason string) {
	s.mu.Lock()
	s.rejects = append(s.rejects, Reject{Method: r.Method, Path: r.URL.Path, Status: status, Code: code, Reason: reason})
	s.mu.Unlock()
}

// ---- users -------------------------------------------------------------

// User is a simulated Discord user.
type User struct {
	s                        *Server
	ID, Username, GlobalName string
	Locale                   string
	closedDMs                bool
}

// NewUser adds a user. id is a snowflake string.
func (s *Server) NewUser(id, username, globalName string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{s: s, ID: id, Username: username, GlobalName: globalName, Locale: "en-US"}
	s.users[id] = u
	return u
}

func (u *User) json() map[string]any {
	return map[string]any{"id": u.ID, "username": u.Username, "global_name": u.GlobalName,
		"discriminator": "0", "avatar": nil}
}

// CloseDMs makes the user refuse direct messages (the privacy setting
// "Allow direct messages from server members" off, or the bot blocked):
// the DM channel is still created, every message the bot sends there gets
// 403 with code 50007, as on Discord.
func (u *User) CloseDMs() {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.closedDMs = true
}

// DMChannel returns the id of the user's DM channel with the bot, creating
// it on first use.
func (u *User) DMChannel() string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return u.s.dmLocked(u.ID)
}

func (s *Server) dmLocked(userID string) string {
	if id, ok := s.dmByUser[userID]; ok {
		return id
	}
	id := s.newID()
	s.channels[id] = &channel{ID: id, Type: 1, RecipientID: userID}
	s.dmByUser[userID] = id
	return id
}

// DM sends a direct message from the user to the bot and returns its id.
func (u *User) DM(text string) string {
	s := u.s
	s.mu.Lock()
	ch := s.dmLocked(u.ID)
	m := &Message{ID: s.newID(), ChannelID: ch, AuthorID: u.ID, Content: text}
	s.channels[ch].msgs = append(s.channels[ch].msgs, m)
	payload := s.messageJSON(m)
	s.mu.Unlock()
	s.dispatch(m.ID, "MESSAGE_CREATE", payload, 0)
	return m.ID
}

// LastBotMessage returns the newest live bot message in the user's DM.
func (u *User) LastBotMessage() (Message, bool) {
	msgs := u.s.BotMessages(u.DMChannel())
	if len(msgs) == 0 {
		return Message{}, false
	}
	return msgs[len(msgs)-1], true
}

// FindButton finds the newest live bot message in the user's DM with a
// button or select option labelled label (a leading "✓ " is ignored) and
// returns the message id and the custom_id to press (for a select option
// the select's custom_id and the option value).
func (u *User) FindButton(label string) (msgID, customID, value string, ok bool) {
	msgs := u.s.BotMessages(u.DMChannel())
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, c := range msgs[i].Buttons() {
			switch c.Type {
			case 2:
				if strings.TrimPrefix(c.Label, "✓ ") == label {
					return msgs[i].ID, c.CustomID, "", true
				}
			case 3:
				for _, o := range c.Options {
					if strings.TrimPrefix(o.Label, "✓ ") == label {
						return msgs[i].ID, c.CustomID, o.Value, true
					}
				}
			}
		}
	}
	return "", "", "", false
}

// PressLabel presses (or selects) the newest button labelled label in the
// user's DM and returns the interaction id.
func (u *User) PressLabel(label string) (string, error) {
	msgID, cid, val, ok := u.FindButton(label)
	if !ok {
		return "", fmt.Errorf("discordtest: no button %q", label)
	}
	if val != "" {
		return u.Select(msgID, cid, val)
	}
	return u.Press(msgID, cid)
}

// Slash runs a slash command. options maps option names to string values.
// inGuild runs it in the fake guild's text channel, else in the DM.
func (u *User) Slash(name string, options map[string]string, inGuild bool) string {
	var opts []map[string]any
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, map[string]any{"name": k, "type": 3, "value": options[k]})
	}
	data := map[string]any{"id": u.s.commandID(name), "name": name, "type": 1}
	if len(opts) > 0 {
		data["options"] = opts
	}
	return u.interact(2, data, inGuild, nil)
}

// Autocomplete asks for choices for a command option being typed.
func (u *User) Autocomplete(command, option, typed string, inGuild bool) string {
	data := map[string]any{"id": u.s.commandID(command), "name": command, "type": 1,
		"options": []map[string]any{{"name": option, "type": 3, "value": typed, "focused": true}}}
	return u.interact(4, data, inGuild, nil)
}

// Press presses the button customID on message msgID.
func (u *User) Press(msgID, customID string) (string, error) {
	m, err := u.s.messageForInteraction(msgID)
	if err != nil {
		return "", err
	}
	return u.interact(3, map[string]any{"custom_id": customID, "component_type": 2}, false, m), nil
}

// Select submits values in the select menu customID on message msgID.
func (u *User) Select(msgID, customID string, values ...string) (string, error) {
	m, err := u.s.messageForInteraction(msgID)
	if err != nil {
		return "", err
	}
	if values == nil {
		values = []string{}
	}
	return u.interact(3, map[string]any{"custom_id": customID, "component_type": 3, "values": values}, false, m), nil
}

// ModalSubmitFrom submits the modal opened by interaction opener (a
// press on a message): as on Discord, the submit carries that message.
// It fails if no modal was opened, or the value breaks its input's
// limits (the client would not let the person send it).
func (u *User) ModalSubmitFrom(opener, value string) (string, error) {
	s := u.s
	s.mu.Lock()
	in := s.interactions[opener]
	var m *Modal
	msgID := ""
	if in != nil {
		m, msgID = in.modal, in.MessageID
	}
	s.mu.Unlock()
	if m == nil || len(m.Inputs) != 1 {
		return "", fmt.Errorf("discordtest: interaction %s opened no one-input modal", opener)
	}
	ti := m.Inputs[0]
	if n := len([]rune(value)); (ti.MaxLength > 0 && n > ti.MaxLength) || n < ti.MinLength || (ti.Required && n == 0) {
		return "", fmt.Errorf("discordtest: %d characters do not fit the input (%d-%d)", n, ti.MinLength, ti.MaxLength)
	}
	msg, err := s.messageForInteraction(msgID)
	if err != nil {
		return "", err
	}
	data := map[string]any{"custom_id": m.CustomID, "components": []map[string]any{{"type": 1,
		"components": []map[string]any{{"type": 4, "custom_id": ti.CustomID, "value": value}}}}}
	return u.interact(5, data, false, msg), nil
}

// ModalSubmit submits a modal with one text input.
func (u *User) ModalSubmit(customID, inputID, value string) string {
	data := map[string]any{"custom_id": customID, "components": []map[string]any{{"type": 1,
		"components": []map[string]any{{"type": 4, "custom_id": inputID, "value": value}}}}}
	return u.interact(5, data, false, nil)
}

func (s *Server) commandID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.commands {
		var v struct{ ID, Name string }
		if json.Unmarshal(c, &v) == nil && v.Name == name {
			return v.ID
		}
	}
	return "1100000000000000099"
}

func (s *Server) messageForInteraction(msgID string) (*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.channels {
		for _, m := range c.msgs {
			if m.ID == msgID {
				if m.Deleted {
					return nil, fmt.Errorf("discordtest: message %s was deleted", msgID)
				}
				cp := *m
				return &cp, nil
			}
		}
	}
	return nil, fmt.Errorf("discordtest: no message %s", msgID)
}

func (u *User) interact(typ int, data map[string]any, inGuild bool, msg *Message) string {
	s := u.s
	s.mu.Lock()
	id := s.newID()
	in := &interaction{ID: id, Token: "itok-" + randToken(), Type: typ, UserID: u.ID}
	p := map[string]any{"id": id, "application_id": AppID, "type": typ, "data": data,
		"token": in.Token, "version": 1, "locale": u.Locale, "app_permissions": "0",
		"entitlements": []any{}}
	if msg != nil {
		in.ChannelID = msg.ChannelID
		in.MessageID = msg.ID
		p["message"] = s.messageJSON(msg)
		inGuild = s.channels[msg.ChannelID] != nil && s.channels[msg.ChannelID].Type == 0
	} else if inGuild {
		in.ChannelID = GuildChannelID
	} else {
		in.ChannelID = s.dmLocked(u.ID)
	}
	p["channel_id"] = in.ChannelID
	if inGuild {
		p["guild_id"] = GuildID
		p["guild_locale"] = "en-US"
		p["context"] = 0
		p["member"] = map[string]any{"user": u.json(), "roles": []string{}, "joined_at": "2024-01-02T03:04:05.000000+00:00",
			"deaf": false, "mute": false, "flags": 0, "permissions": "0", "nick": nil, "avatar": nil}
	} else {
		p["context"] = 1
		p["user"] = u.json()
	}
	s.interactions[id] = in
	s.mu.Unlock()
	raw, _ := json.Marshal(p)
	shard := 0
	if inGuild {
		shard = -1 // computed per session shard count
	}
	s.dispatch(id, "INTERACTION_CREATE", raw, shard)
	return id
}

type interaction struct {
	ID, Token, ChannelID, MessageID, UserID string
	Type                                    int
	sent, ackAt                             time.Time
	ackType                                 int
	late                                    bool
	choices                                 []string
	followups                               int
	originalID                              string
	modal                                   *Modal
}

// Modal is a modal the bot opened in answer to an interaction.
type Modal struct {
	CustomID, Title string
	Inputs          []TextInput
}

// TextInput is one text input of a modal.
type TextInput struct {
	CustomID, Label      string
	Style                int // 1 short, 2 paragraph
	MinLength, MaxLength int
	Required             bool
}

// ModalOf returns the modal opened in answer to an interaction.
func (s *Server) ModalOf(interactionID string) (Modal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.interactions[interactionID]
	if in == nil || in.modal == nil {
		return Modal{}, false
	}
	return *in.modal, true
}

// checkModal checks a modal response (type 9) as Discord does: custom_id
// 1-100, title 1-45, one to five action rows of one text input each
// (custom_id, label 1-45, style 1 or 2, min_length 0-4000, max_length
// 1-4000).
func checkModal(raw json.RawMessage) (*Modal, error) {
	var d struct {
		CustomID   string `json:"custom_id"`
		Title      string `json:"title"`
		Components []struct {
			Type       int `json:"type"`
			Components []struct {
				Type      int    `json:"type"`
				CustomID  string `json:"custom_id"`
				Label     string `json:"label"`
				Style     int    `json:"style"`
				MinLength int    `json:"min_length"`
				MaxLength int    `json:"max_length"`
				Required  *bool  `json:"required"`
			} `json:"components"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("modal: %v", err)
	}
	runes := func(s string) int { return len([]rune(s)) }
	if d.CustomID == "" || len(d.CustomID) > 100 || d.Title == "" || runes(d.Title) > 45 || len(d.Components) < 1 || len(d.Components) > 5 {
		return nil, fmt.Errorf("modal: custom_id, title or rows out of range")
	}
	m := &Modal{CustomID: d.CustomID, Title: d.Title}
	for _, row := range d.Components {
		if row.Type != 1 || len(row.Components) != 1 {
			return nil, fmt.Errorf("modal: a row must hold one text input")
		}
		ti := row.Components[0]
		if ti.Type != 4 || ti.CustomID == "" || ti.Label == "" || runes(ti.Label) > 45 || (ti.Style != 1 && ti.Style != 2) ||
			ti.MinLength < 0 || ti.MinLength > 4000 || ti.MaxLength < 0 || ti.MaxLength > 4000 || (ti.MaxLength > 0 && ti.MinLength > ti.MaxLength) {
			return nil, fmt.Errorf("modal: text input out of range")
		}
		req := ti.Required == nil || *ti.Required
		m.Inputs = append(m.Inputs, TextInput{CustomID: ti.CustomID, Label: ti.Label, Style: ti.Style, MinLength: ti.MinLength, MaxLength: ti.MaxLength, Required: req})
	}
	return m, nil
}

// messageJSON renders a message as Discord sends it. Caller holds s.mu.
func (s *Server) messageJSON(m *Message) json.RawMessage {
	author := map[string]any{"id": BotID, "username": botName, "global_name": nil, "discriminator": "0", "bot": true, "avatar": nil}
	if m.AuthorID != BotID {
		if u := s.users[m.AuthorID]; u != nil {
			author = u.json()
		} else {
			author = map[string]any{"id": m.AuthorID, "username": "unknown", "discriminator": "0", "avatar": nil}
		}
	}
	comps := m.raw
	if comps == nil {
		comps = json.RawMessage("[]")
	}
	p := map[string]any{"id": m.ID, "channel_id": m.ChannelID, "author": author, "content": m.Content,
		"timestamp": snowflakeTime(m.ID).Format(time.RFC3339Nano), "edited_timestamp": nil, "tts": false,
		"mention_everyone": false, "mentions": []any{}, "mention_roles": []any{}, "attachments": []any{},
		"embeds": []any{}, "pinned": false, "type": 0, "flags": 0, "components": comps}
	if c := s.channels[m.ChannelID]; c != nil && c.GuildID != "" {
		p["guild_id"] = c.GuildID
	}
	raw, _ := json.Marshal(p)
	return raw
}

func snowflakeTime(id string) time.Time {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return time.Unix(0, 0).UTC()
	}
	return time.UnixMilli((n >> 22) + 1420070400000).UTC()
}
