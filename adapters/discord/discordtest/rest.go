package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const api = "/api/v9"

// Discord JSON error codes used by the fake.
const (
	codeUnknownChannel      = 10003
	codeUnknownMessage      = 10008
	codeUnknownInteraction  = 10062
	codeUnauthorized        = 0
	codeEditOthers          = 50005
	codeEmptyMessage        = 50006
	codeDMAction            = 50003
	codeMissingPermissions  = 50013
	codeInvalidFormBody     = 50035
	codeAlreadyAcknowledged = 40060
	// codeCannotDM: the user's privacy settings refuse DMs from server
	// members (or they blocked the bot). Discord still creates the DM
	// channel; the message is what fails, with 403.
	codeCannotDM = 50007
)

type handlerFunc func(w http.ResponseWriter, r *http.Request) (status int, body any)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws/", s.serveGateway)
	mux.HandleFunc("/ws", s.serveGateway)
	reg := func(pattern string, auth bool, bucket func(*http.Request) string, h handlerFunc) {
		mux.Handle(pattern, s.rest(auth, bucket, h))
	}
	path := func(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, api+"/") }
	reg("GET "+api+"/gateway", false, path, s.getGateway)
	reg("GET "+api+"/gateway/bot", true, path, s.getGateway)
	reg("GET "+api+"/users/@me", true, path, s.getMe)
	reg("POST "+api+"/users/@me/channels", true, path, s.createDM)
	msgs := func(r *http.Request) string { return "channels/" + r.PathValue("ch") + "/messages" }
	msg := func(r *http.Request) string { return "channels/" + r.PathValue("ch") + "/messages/" }
	reg("GET "+api+"/channels/{ch}/messages", true, msgs, s.listMessages)
	reg("POST "+api+"/channels/{ch}/messages", true, msgs, s.createMessage)
	reg("GET "+api+"/channels/{ch}/messages/{id}", true, msg, s.getMessage)
	reg("PATCH "+api+"/channels/{ch}/messages/{id}", true, msg, s.editMessage)
	reg("DELETE "+api+"/channels/{ch}/messages/{id}", true, msg, s.deleteMessage)
	reg("POST "+api+"/interactions/{id}/{token}/callback", false, path, s.callback)
	hook := func(r *http.Request) string { return "webhooks/" + r.PathValue("app") + "/" + r.PathValue("token") }
	hookMsg := func(r *http.Request) string { return hook(r) + "/messages/" }
	reg("POST "+api+"/webhooks/{app}/{token}", false, hook, s.followup)
	reg("GET "+api+"/webhooks/{app}/{token}/messages/{msg}", false, hookMsg, s.getHookMessage)
	reg("PATCH "+api+"/webhooks/{app}/{token}/messages/{msg}", false, hookMsg, s.editHookMessage)
	reg("DELETE "+api+"/webhooks/{app}/{token}/messages/{msg}", false, hookMsg, s.deleteHookMessage)
	reg("PUT "+api+"/applications/{app}/commands", true, path, s.putCommands)
	reg("GET "+api+"/applications/{app}/commands", true, path, s.getCommands)
	mux.HandleFunc(api+"/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, apiError{Message: "404: Not Found", Code: 0})
	})
	return mux
}

type apiError struct {
	Message string         `json:"message"`
	Code    int            `json:"code"`
	Errors  map[string]any `json:"errors,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// rest wraps a route with authentication, rate limiting and recording.
func (s *Server) rest(auth bool, bucketOf func(*http.Request) string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		key := bucketOf(r)
		exempt := !auth // interaction and webhook-token routes skip the global limit
		status, body := s.limit(w, key, exempt)
		if status == 0 && auth && !s.tokenOK(r.Header.Get("Authorization")) {
			status, body = http.StatusUnauthorized, apiError{Message: "401: Unauthorized", Code: codeUnauthorized}
		}
		if status == 0 {
			status, body = h(w, r)
		}
		if status >= 400 {
			if e, ok := body.(apiError); ok && status != http.StatusTooManyRequests {
				s.reject(r, status, e.Code, e.Message)
			}
		}
		var retryAfter time.Duration
		if rl, ok := body.(rateLimited); ok {
			retryAfter = time.Duration(rl.RetryAfter * float64(time.Second))
		}
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Bucket: key, Status: status, At: at, RetryAfter: retryAfter})
		s.mu.Unlock()
		writeJSON(w, status, body)
		s.bump()
	})
}

type bucket struct {
	count int
	end   time.Time
}

type rateLimited struct {
	Message    string  `json:"message"`
	RetryAfter float64 `json:"retry_after"`
	Global     bool    `json:"global"`
}

// ceilSeconds renders d in seconds rounded up to the millisecond, plus one
// millisecond so a client waiting exactly that long lands in the next window.
func ceilSeconds(d time.Duration) float64 {
	ms := math.Ceil(float64(d)/float64(time.Millisecond)) + 1
	return ms / 1000
}

// limit applies the per-route bucket and the global limit. It returns a
// non-zero status when the request is refused.
func (s *Server) limit(w http.ResponseWriter, key string, exempt bool) (int, any) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[key]
	if b == nil || !now.Before(b.end) {
		b = &bucket{end: now.Add(s.opts.RouteWindow)}
		s.buckets[key] = b
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.opts.RouteLimit))
	h.Set("X-RateLimit-Bucket", fmt.Sprintf("%x", hashKey(key)))
	resetAfter := ceilSeconds(b.end.Sub(now))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(resetAfter, 'f', 3, 64))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(b.end.UnixMilli()+1)/1000, 'f', 3, 64))

	tooMany := func(after float64, global bool) (int, any) {
		s.limited[key]++
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(after))))
		h.Set("X-RateLimit-Remaining", "0")
		if global {
			h.Set("X-RateLimit-Global", "true")
			h.Set("X-RateLimit-Scope", "global")
		} else {
			h.Set("X-RateLimit-Scope", "user")
		}
		return http.StatusTooManyRequests, rateLimited{Message: "You are being rate limited.", RetryAfter: after, Global: global}
	}
	if s.inject429 > 0 && !exempt {
		s.inject429--
		after := s.injectAfter.Seconds()
		h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(after, 'f', 3, 64))
		return tooMany(after, false)
	}
	if n := s.inject429On[key]; n > 0 {
		s.inject429On[key] = n - 1
		after := s.injectOnAfter.Seconds()
		h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(after, 'f', 3, 64))
		return tooMany(after, false)
	}
	if b.count >= s.opts.RouteLimit {
		return tooMany(resetAfter, false)
	}
	if s.opts.GlobalLimit > 0 && !exempt {
		cut := now.Add(-time.Second)
		i := sort.Search(len(s.global), func(i int) bool { return s.global[i].After(cut) })
		s.global = s.global[i:]
		if len(s.global) >= s.opts.GlobalLimit {
			h.Del("X-RateLimit-Reset-After")
			return tooMany(ceilSeconds(s.global[0].Sub(cut)), true)
		}
		s.global = append(s.global, now)
	}
	b.count++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.opts.RouteLimit-b.count))
	return 0, nil
}

func hashKey(k string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(k); i++ {
		h ^= uint32(k[i])
		h *= 16777619
	}
	return h
}

// ---- routes ----------------------------------------------------------------

func (s *Server) getGateway(w http.ResponseWriter, r *http.Request) (int, any) {
	return http.StatusOK, map[string]any{"url": "ws" + strings.TrimPrefix(s.URL, "http") + "/ws",
		"shards": 1, "session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": s.maxConcurrency()}}
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) (int, any) {
	return http.StatusOK, map[string]any{"id": BotID, "username": botName, "discriminator": "0", "bot": true, "avatar": nil}
}

func (s *Server) createDM(w http.ResponseWriter, r *http.Request) (int, any) {
	var req struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.RecipientID == "" {
		return http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: codeInvalidFormBody}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[req.RecipientID]
	if u == nil {
		return http.StatusBadRequest, apiError{Message: "Invalid Recipient(s)", Code: 50033}
	}
	id := s.dmLocked(req.RecipientID)
	return http.StatusOK, map[string]any{"id": id, "type": 1, "last_message_id": nil, "flags": 0,
		"recipients": []any{u.json()}}
}

// payload is the part of a message create/edit body the fake checks.
type payload struct {
	Content    *string         `json:"content"`
	Components json.RawMessage `json:"components"`
	Flags      int             `json:"flags"`
	files      int
}

func readPayload(r *http.Request) (payload, error) {
	var p payload
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return p, err
			}
			if part.FormName() == "payload_json" {
				if err := json.NewDecoder(part).Decode(&p); err != nil {
					return p, err
				}
			} else if part.FileName() != "" {
				p.files++
			}
		}
		return p, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return p, err
	}
	if len(body) == 0 {
		return p, nil
	}
	return p, json.Unmarshal(body, &p)
}

type wireComponent struct {
	Type       int             `json:"type"`
	CustomID   string          `json:"custom_id"`
	Label      string          `json:"label"`
	Style      int             `json:"style"`
	URL        string          `json:"url"`
	Options    []wireOption    `json:"options"`
	Components []wireComponent `json:"components"`
}

type wireOption struct {
	Label   string `json:"label"`
	Value   string `json:"value"`
	Default bool   `json:"default"`
}

// checkMessage enforces Discord's limits on content and components.
func checkMessage(p payload, create bool) ([][]Component, error) {
	content := ""
	if p.Content != nil {
		content = *p.Content
	}
	if n := utf8.RuneCountInString(content); n > 2000 {
		return nil, fmt.Errorf("content: must be 2000 or fewer in length (got %d)", n)
	}
	var rows []wireComponent
	if len(p.Components) > 0 && string(p.Components) != "null" {
		if err := json.Unmarshal(p.Components, &rows); err != nil {
			return nil, fmt.Errorf("components: %v", err)
		}
	}
	if len(rows) > 5 {
		return nil, fmt.Errorf("components: must be 5 or fewer in length (got %d rows)", len(rows))
	}
	seen := map[string]bool{}
	var out [][]Component
	for i, row := range rows {
		if row.Type != 1 {
			return nil, fmt.Errorf("components.%d: top-level component must be an action row", i)
		}
		if len(row.Components) == 0 || len(row.Components) > 5 {
			return nil, fmt.Errorf("components.%d.components: must be between 1 and 5 in length", i)
		}
		var cr []Component
		for j, c := range row.Components {
			where := fmt.Sprintf("components.%d.components.%d", i, j)
			switch c.Type {
			case 2:
			case 3:
				if len(row.Components) != 1 {
					return nil, fmt.Errorf("%s: a select menu must be alone in its row", where)
				}
				if len(c.Options) == 0 || len(c.Options) > 25 {
					return nil, fmt.Errorf("%s.options: must be between 1 and 25 in length", where)
				}
				for _, o := range c.Options {
					if o.Value == "" || len(o.Value) > 100 || o.Label == "" || utf8.RuneCountInString(o.Label) > 100 {
						return nil, fmt.Errorf("%s.options: bad option", where)
					}
				}
			default:
				return nil, fmt.Errorf("%s: unsupported component type %d", where, c.Type)
			}
			if c.Style == 5 {
				if c.URL == "" {
					return nil, fmt.Errorf("%s.url: required for a link button", where)
				}
			} else {
				if n := utf8.RuneCountInString(c.CustomID); n < 1 || n > 100 {
					return nil, fmt.Errorf("%s.custom_id: must be between 1 and 100 in length (got %d)", where, n)
				}
				if seen[c.CustomID] {
					return nil, fmt.Errorf("%s.custom_id: component custom id cannot be duplicated", where)
				}
				seen[c.CustomID] = true
			}
			if c.Type == 2 && utf8.RuneCountInString(c.Label) > 80 {
				return nil, fmt.Errorf("%s.label: must be 80 or fewer in length", where)
			}
			comp := Component{Type: c.Type, CustomID: c.CustomID, Label: c.Label, Style: c.Style}
			for _, o := range c.Options {
				comp.Options = append(comp.Options, SelectOption(o))
			}
			cr = append(cr, comp)
		}
		out = append(out, cr)
	}
	if create && content == "" && len(out) == 0 && p.files == 0 {
		return nil, errEmpty
	}
	return out, nil
}

var errEmpty = fmt.Errorf("Cannot send an empty message")

func badBody(err error) (int, any) {
	if err == errEmpty {
		return http.StatusBadRequest, apiError{Message: err.Error(), Code: codeEmptyMessage}
	}
	return http.StatusBadRequest, apiError{Message: "Invalid Form Body: " + err.Error(), Code: codeInvalidFormBody}
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) (int, any) {
	p, err := readPayload(r)
	if err != nil {
		return badBody(err)
	}
	rows, err := checkMessage(p, true)
	if err != nil {
		return badBody(err)
	}
	s.mu.Lock()
	c := s.channels[r.PathValue("ch")]
	if c == nil {
		s.mu.Unlock()
		return http.StatusNotFound, apiError{Message: "Unknown Channel", Code: codeUnknownChannel}
	}
	if c.Type == 1 {
		if u := s.users[c.RecipientID]; u != nil && u.closedDMs {
			s.mu.Unlock()
			return http.StatusForbidden, apiError{Message: "Cannot send messages to this user", Code: codeCannotDM}
		}
	}
	m := s.addBotMessageLocked(c, p, rows, "")
	raw := s.messageJSON(m)
	s.mu.Unlock()
	if !s.opts.NoEcho {
		s.dispatch("", "MESSAGE_CREATE", raw, 0)
	}
	return http.StatusOK, raw
}

func (s *Server) addBotMessageLocked(c *channel, p payload, rows [][]Component, interactionID string) *Message {
	m := &Message{ID: s.newID(), ChannelID: c.ID, AuthorID: BotID, Rows: rows, Attachments: p.files,
		Ephemeral: p.Flags&64 != 0, Interaction: interactionID}
	if p.Content != nil {
		m.Content = *p.Content
	}
	if len(rows) > 0 {
		m.raw = p.Components
	}
	c.msgs = append(c.msgs, m)
	return m
}

func (s *Server) findLocked(chID, id string) (*channel, *Message) {
	c := s.channels[chID]
	if c == nil {
		return nil, nil
	}
	for _, m := range c.msgs {
		if m.ID == id {
			return c, m
		}
	}
	return c, nil
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m := s.findLocked(r.PathValue("ch"), r.PathValue("id"))
	if m == nil || m.Deleted || m.Ephemeral {
		return http.StatusNotFound, apiError{Message: "Unknown Message", Code: codeUnknownMessage}
	}
	return http.StatusOK, s.messageJSON(m)
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) (int, any) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return http.StatusBadRequest, apiError{Message: "Invalid Form Body: limit", Code: codeInvalidFormBody}
		}
		limit = n
	}
	before, after := q.Get("before"), q.Get("after")
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[r.PathValue("ch")]
	if c == nil {
		return http.StatusNotFound, apiError{Message: "Unknown Channel", Code: codeUnknownChannel}
	}
	var sel []*Message
	for _, m := range c.msgs {
		if m.Deleted || m.Ephemeral {
			continue
		}
		if before != "" && !lessID(m.ID, before) {
			continue
		}
		if after != "" && !lessID(after, m.ID) {
			continue
		}
		sel = append(sel, m)
	}
	// Oldest first in sel. "after" takes the oldest page, otherwise the newest.
	if len(sel) > limit {
		if after != "" && before == "" {
			sel = sel[:limit]
		} else {
			sel = sel[len(sel)-limit:]
		}
	}
	out := make([]json.RawMessage, 0, len(sel))
	for i := len(sel) - 1; i >= 0; i-- {
		out = append(out, s.messageJSON(sel[i]))
	}
	return http.StatusOK, out
}

func (s *Server) editMessage(w http.ResponseWriter, r *http.Request) (int, any) {
	p, err := readPayload(r)
	if err != nil {
		return badBody(err)
	}
	rows, err := checkMessage(p, false)
	if err != nil {
		return badBody(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m := s.findLocked(r.PathValue("ch"), r.PathValue("id"))
	if m == nil || m.Deleted || m.Ephemeral {
		return http.StatusNotFound, apiError{Message: "Unknown Message", Code: codeUnknownMessage}
	}
	if m.AuthorID != BotID {
		return http.StatusForbidden, apiError{Message: "Cannot edit a message authored by another user", Code: codeEditOthers}
	}
	applyEdit(m, p, rows)
	return http.StatusOK, s.messageJSON(m)
}

func applyEdit(m *Message, p payload, rows [][]Component) {
	if p.Content != nil {
		m.Content = *p.Content
	}
	if p.Components != nil {
		m.Rows = rows
		m.raw = nil
		if len(rows) > 0 {
			m.raw = p.Components
		}
	}
	m.Edits++
}

func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.findLocked(r.PathValue("ch"), r.PathValue("id"))
	if c == nil {
		return http.StatusNotFound, apiError{Message: "Unknown Channel", Code: codeUnknownChannel}
	}
	if m == nil || m.Deleted || m.Ephemeral {
		return http.StatusNotFound, apiError{Message: "Unknown Message", Code: codeUnknownMessage}
	}
	if m.AuthorID != BotID {
		if c.Type == 1 {
			return http.StatusForbidden, apiError{Message: "Cannot execute action on a DM channel", Code: codeDMAction}
		}
		return http.StatusForbidden, apiError{Message: "Missing Permissions", Code: codeMissingPermissions}
	}
	m.Deleted = true
	return http.StatusNoContent, nil
}

// ---- interactions ----------------------------------------------------------

func (s *Server) callback(w http.ResponseWriter, r *http.Request) (int, any) {
	var req struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		return http.StatusBadRequest, apiError{Message: "fake: attachments on callbacks unsupported", Code: codeInvalidFormBody}
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: codeInvalidFormBody}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.interactions[r.PathValue("id")]
	if in == nil || in.Token != r.PathValue("token") {
		return http.StatusNotFound, apiError{Message: "Unknown interaction", Code: codeUnknownInteraction}
	}
	if in.ackType != 0 {
		return http.StatusBadRequest, apiError{Message: "Interaction has already been acknowledged.", Code: codeAlreadyAcknowledged}
	}
	now := time.Now()
	if !in.sent.IsZero() && now.Sub(in.sent) > s.opts.InteractionDeadline {
		in.late = true
		return http.StatusNotFound, apiError{Message: "Unknown interaction (late response)", Code: codeUnknownInteraction}
	}
	var p payload
	if len(req.Data) > 0 && string(req.Data) != "null" {
		if err := json.Unmarshal(req.Data, &p); err != nil {
			return http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: codeInvalidFormBody}
		}
	}
	switch req.Type {
	case 4, 7:
		rows, err := checkMessage(p, req.Type == 4)
		if err != nil {
			return badBody(err)
		}
		c := s.channels[in.ChannelID]
		if req.Type == 4 {
			m := s.addBotMessageLocked(c, p, rows, in.ID)
			in.originalID = m.ID
		} else if _, m := s.findLocked(in.ChannelID, in.MessageID); m != nil {
			applyEdit(m, p, rows)
		}
	case 5:
		c := s.channels[in.ChannelID]
		m := s.addBotMessageLocked(c, p, nil, in.ID)
		m.Content = ""
		in.originalID = m.ID
	case 6:
		if in.Type != 3 && in.Type != 5 {
			return http.StatusBadRequest, apiError{Message: "Invalid interaction response type for this interaction", Code: codeInvalidFormBody}
		}
	case 8:
		if in.Type != 4 {
			return http.StatusBadRequest, apiError{Message: "Autocomplete result for a non-autocomplete interaction", Code: codeInvalidFormBody}
		}
		var d struct {
			Choices []struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"choices"`
		}
		_ = json.Unmarshal(req.Data, &d)
		if len(d.Choices) > 25 {
			return http.StatusBadRequest, apiError{Message: "Invalid Form Body: choices", Code: codeInvalidFormBody}
		}
		for _, c := range d.Choices {
			in.choices = append(in.choices, fmt.Sprint(c.Value))
		}
	case 9:
		if in.Type != 2 && in.Type != 3 {
			return http.StatusBadRequest, apiError{Message: "Interaction response type 9 is not valid for this interaction", Code: codeInvalidFormBody}
		}
		m, err := checkModal(req.Data)
		if err != nil {
			return badBody(err)
		}
		in.modal = m
	default:
		return http.StatusBadRequest, apiError{Message: "Invalid Form Body: type", Code: codeInvalidFormBody}
	}
	in.ackType, in.ackAt = req.Type, now
	return http.StatusNoContent, nil
}

func (s *Server) interactionByTokenLocked(app, token string) *interaction {
	if app != AppID {
		return nil
	}
	for _, in := range s.interactions {
		if in.Token == token {
			return in
		}
	}
	return nil
}

func (s *Server) followup(w http.ResponseWriter, r *http.Request) (int, any) {
	p, err := readPayload(r)
	if err != nil {
		return badBody(err)
	}
	rows, err := checkMessage(p, true)
	if err != nil {
		return badBody(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.interactionByTokenLocked(r.PathValue("app"), r.PathValue("token"))
	if in == nil || in.ackType == 0 {
		return http.StatusNotFound, apiError{Message: "Unknown Webhook", Code: 10015}
	}
	m := s.addBotMessageLocked(s.channels[in.ChannelID], p, rows, in.ID)
	in.followups++
	if r.URL.Query().Get("wait") != "true" {
		return http.StatusNoContent, nil
	}
	return http.StatusOK, s.messageJSON(m)
}

func (s *Server) hookMessageLocked(r *http.Request) (*interaction, *Message) {
	in := s.interactionByTokenLocked(r.PathValue("app"), r.PathValue("token"))
	if in == nil {
		return nil, nil
	}
	id := r.PathValue("msg")
	if id == "@original" {
		id = in.originalID
		if id == "" && in.Type == 3 {
			id = in.MessageID
		}
	}
	_, m := s.findLocked(in.ChannelID, id)
	if m == nil || m.Deleted {
		return in, nil
	}
	return in, m
}

func (s *Server) getHookMessage(w http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m := s.hookMessageLocked(r)
	if m == nil {
		return http.StatusNotFound, apiError{Message: "Unknown Message", Code: codeUnknownMessage}
	}
	return http.StatusOK, s.messageJSON(m)
}

func (s *Server) editHookMessage(w http.ResponseWriter, r *http.Request) (int, any) {
	p, err := readPayload(r)
	if err != nil {
		return badBody(err)
	}
	rows, err := checkMessage(p, false)
	if err != nil {
		return badBody(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m := s.hookMessageLocked(r)
	if m == nil {
		return http.StatusNotFound, apiError{Message: "Unknown Message", Code: codeUnknownMessage}
	}
	applyEdit(m, p, rows)
	return http.StatusOK, s.messageJSON(m)
}

func (s *Server) deleteHookMessage(w http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m := s.hookMessageLocked(r)
	if m == nil {
		return http.StatusNotFound, apiError{Message: "Unknown Message", Code: codeUnknownMessage}
	}
	m.Deleted = true
	return http.StatusNoContent, nil
}

// ---- application commands ------------------------------------------------

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request) (int, any) {
	if r.PathValue("app") != AppID {
		return http.StatusForbidden, apiError{Message: "Missing Access", Code: 50001}
	}
	var cmds []map[string]any
	if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		return http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: codeInvalidFormBody}
	}
	if len(cmds) > 100 {
		return http.StatusBadRequest, apiError{Message: "Invalid Form Body: too many commands", Code: codeInvalidFormBody}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := map[string]string{}
	for _, c := range s.commands {
		var v struct{ ID, Name string }
		if json.Unmarshal(c, &v) == nil {
			old[v.Name] = v.ID
		}
	}
	out := make([]json.RawMessage, 0, len(cmds))
	for _, c := range cmds {
		name, _ := c["name"].(string)
		if name == "" || len(name) > 32 || strings.ToLower(name) != name {
			return http.StatusBadRequest, apiError{Message: "Invalid Form Body: name", Code: codeInvalidFormBody}
		}
		id := old[name]
		if id == "" {
			id = s.newID()
		}
		c["id"], c["application_id"], c["version"] = id, AppID, id
		raw, _ := json.Marshal(c)
		out = append(out, raw)
	}
	s.commands = out
	s.commandPuts++
	return http.StatusOK, out
}

func (s *Server) getCommands(w http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]json.RawMessage{}, s.commands...)
	return http.StatusOK, out
}
