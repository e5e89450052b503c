package discordtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Intent bits the fake checks before dispatching messages.
const (
	intentGuildMessages  = 1 << 9
	intentDirectMessages = 1 << 12
)

type gateway struct {
	mu         sync.Mutex
	sessions   map[string]*session
	active     map[int]*session
	pending    map[int][]pendingEvent
	conns      map[*gwConn]struct{}
	shardCount int
}

type session struct {
	id      string
	shard   int
	intents int
	seq     int64
	log     []logEntry // log[i] has sequence i+1
	conn    *gwConn
}

type logEntry struct {
	frame   []byte
	replay  bool
	eventID string
	typ     string
	dm      bool
}

type pendingEvent struct {
	eventID, typ string
	payload      json.RawMessage
	dm           bool
}

type gwConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex
	sess *session
	// atResume: the connection came in on the resume gateway (the host
	// READY's resume_gateway_url names), not the main one.
	atResume bool
}

func (g *gateway) init() {
	g.sessions = map[string]*session{}
	g.active = map[int]*session{}
	g.pending = map[int][]pendingEvent{}
	g.conns = map[*gwConn]struct{}{}
	g.shardCount = 1
}

func (c *gwConn) write(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.writeRaw(raw)
}

// writeTimeout bounds one gateway write to a client.
const writeTimeout = 20 * time.Second

func (c *gwConn) writeRaw(raw []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	// A client that reads nothing for this long is dropped, as Discord
	// drops one that falls far behind; not shorter, or a -race run on a
	// loaded machine is cut off while it merely runs slowly.
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, raw)
}

func (g *gateway) closeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		_ = c.ws.UnderlyingConn().Close()
	}
}

// event is a dispatched event kept for re-delivery.
type event struct {
	typ     string
	payload json.RawMessage
	shard   int
	dm      bool
}

// dispatch sends an event to the session of its shard (0 for DMs; -1 means
// "the fake guild's shard"), or queues it until one identifies.
func (s *Server) dispatch(eventID, typ string, payload json.RawMessage, shard int) {
	dm := true
	if typ == "INTERACTION_CREATE" || typ == "MESSAGE_CREATE" {
		var v struct {
			GuildID string `json:"guild_id"`
		}
		_ = json.Unmarshal(payload, &v)
		dm = v.GuildID == ""
	}
	if eventID != "" {
		s.mu.Lock()
		if _, ok := s.events[eventID]; !ok {
			s.events[eventID] = &event{typ: typ, payload: payload, shard: shard, dm: dm}
		}
		s.mu.Unlock()
	}
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	target := shard
	if target < 0 {
		target = guildShard(g.shardCount)
	}
	sess := g.active[target]
	if sess == nil {
		g.pending[target] = append(g.pending[target], pendingEvent{eventID: eventID, typ: typ, payload: payload, dm: dm})
		return
	}
	s.sendLocked(sess, eventID, typ, payload, dm)
}

func guildShard(n int) int {
	id, _ := strconv.ParseInt(GuildID, 10, 64)
	return int((id >> 22) % int64(n))
}

// sendLocked appends a dispatch to the session's log and writes it if the
// session is connected. Caller holds g.mu.
func (s *Server) sendLocked(sess *session, eventID, typ string, payload json.RawMessage, dm bool) {
	if typ == "MESSAGE_CREATE" {
		need := intentGuildMessages
		if dm {
			need = intentDirectMessages
		}
		if sess.intents&need == 0 {
			return
		}
	}
	sess.seq++
	frame, _ := json.Marshal(map[string]any{"op": 0, "s": sess.seq, "t": typ, "d": payload})
	sess.log = append(sess.log, logEntry{frame: frame, replay: true, eventID: eventID, typ: typ, dm: dm})
	if sess.conn != nil {
		if sess.conn.writeRaw(frame) == nil {
			s.markSent(eventID, typ)
		}
	}
}

func (s *Server) markSent(eventID, typ string) {
	if typ != "INTERACTION_CREATE" {
		return
	}
	s.mu.Lock()
	if in := s.interactions[eventID]; in != nil && in.sent.IsZero() {
		in.sent = time.Now()
	}
	s.mu.Unlock()
}

// controlLocked appends a non-replayable dispatch (READY, RESUMED) and
// writes it. Caller holds g.mu.
func (s *Server) controlLocked(sess *session, typ string, d any) {
	sess.seq++
	frame, _ := json.Marshal(map[string]any{"op": 0, "s": sess.seq, "t": typ, "d": d})
	sess.log = append(sess.log, logEntry{frame: frame, typ: typ})
	if sess.conn != nil {
		_ = sess.conn.writeRaw(frame)
	}
	s.bump()
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	s.serveGatewayAt(w, r, false)
}

func (s *Server) serveResumeGateway(w http.ResponseWriter, r *http.Request) {
	s.serveGatewayAt(w, r, true)
}

func (s *Server) serveGatewayAt(w http.ResponseWriter, r *http.Request, atResume bool) {
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws, atResume: atResume}
	g := &s.gw
	g.mu.Lock()
	g.conns[c] = struct{}{}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		if c.sess != nil && c.sess.conn == c {
			c.sess.conn = nil
		}
		delete(g.conns, c)
		g.mu.Unlock()
		_ = ws.Close()
		s.bump()
	}()
	if c.write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()}}) != nil {
		return
	}
	for {
		_, raw, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				s.clientClosed(c, ce.Code)
			}
			return
		}
		var f struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if json.Unmarshal(raw, &f) != nil {
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4002, "Decode error"), time.Now().Add(time.Second))
			return
		}
		switch f.Op {
		case 1:
			s.mu.Lock()
			mute := s.noACKs
			s.mu.Unlock()
			if mute {
				continue // a zombied connection: heartbeats go unanswered
			}
			if c.write(map[string]any{"op": 11}) != nil {
				return
			}
		case 2:
			if !s.identify(c, f.D) {
				return
			}
		case 6:
			s.resume(c, f.D)
		}
	}
}

// clientClosed records the close code a client sent. As on Discord, a
// close with 1000 or 1001 ends the session: it can no longer be resumed
// (a resume gets op 9) and its undelivered events are lost.
func (s *Server) clientClosed(c *gwConn, code int) {
	s.mu.Lock()
	s.closeCodes = append(s.closeCodes, code)
	s.mu.Unlock()
	if code != websocket.CloseNormalClosure && code != websocket.CloseGoingAway {
		return
	}
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.sess != nil {
		delete(g.sessions, c.sess.id)
	}
}

// CloseCodes returns the close codes clients sent, in order.
func (s *Server) CloseCodes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.closeCodes...)
}

func (s *Server) tokenOK(tok string) bool {
	return tok == "Bot "+s.opts.Token || tok == s.opts.Token
}

func (s *Server) identify(c *gwConn, d json.RawMessage) bool {
	var id struct {
		Token   string  `json:"token"`
		Intents int     `json:"intents"`
		Shard   *[2]int `json:"shard"`
	}
	if json.Unmarshal(d, &id) != nil || !s.tokenOK(id.Token) {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."), time.Now().Add(time.Second))
		return false
	}
	shard, count := 0, 1
	if id.Shard != nil {
		shard, count = id.Shard[0], id.Shard[1]
		if count < 1 || shard < 0 || shard >= count {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4010, "Invalid shard."), time.Now().Add(time.Second))
			return false
		}
	}
	s.mu.Lock()
	s.identifies = append(s.identifies, Identify{Intents: id.Intents, Shard: id.Shard, Token: id.Token, At: time.Now()})
	s.mu.Unlock()

	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
	if count > g.shardCount {
		g.shardCount = count
	}
	sess := &session{id: "sess-" + randToken(), shard: shard, intents: id.Intents, conn: c}
	g.sessions[sess.id] = sess
	if old := g.active[shard]; old != nil && old.conn != nil && old.conn != c {
		_ = old.conn.ws.UnderlyingConn().Close()
		old.conn = nil
	}
	g.active[shard] = sess
	c.sess = sess
	ready := map[string]any{
		"v": 9, "session_id": sess.id, "resume_gateway_url": s.resumeGatewayURL(),
		"user":        map[string]any{"id": BotID, "username": botName, "discriminator": "0", "bot": true, "verified": true, "avatar": nil},
		"application": map[string]any{"id": AppID, "flags": 0},
		"guilds":      []any{}, "private_channels": []any{},
	}
	if id.Shard != nil {
		ready["shard"] = id.Shard
	}
	s.controlLocked(sess, "READY", ready)
	pend := g.pending[shard]
	delete(g.pending, shard)
	for _, p := range pend {
		s.sendLocked(sess, p.eventID, p.typ, p.payload, p.dm)
	}
	return true
}

func (s *Server) resume(c *gwConn, d json.RawMessage) {
	var r struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	var sess *session
	if json.Unmarshal(d, &r) == nil && s.tokenOK(r.Token) {
		sess = g.sessions[r.SessionID]
	}
	if sess == nil || g.active[sess.shard] != sess || r.Seq > sess.seq || (!c.atResume && !s.opts.LenientResume) {
		// A resume must go to the resume_gateway_url READY gave; elsewhere
		// the session is not resumable (Discord documents the URL as the
		// one to resume on; this fake is strict about it).
		_ = c.write(map[string]any{"op": 9, "d": false})
		s.mu.Lock()
		s.refusedResumes++
		s.mu.Unlock()
		return
	}
	if sess.conn != nil && sess.conn != c {
		_ = sess.conn.ws.UnderlyingConn().Close()
	}
	sess.conn = c
	c.sess = sess
	// Counted before the replay: a test that sees a replayed event
	// handled must also see the resume.
	s.mu.Lock()
	s.resumes++
	s.mu.Unlock()
	for i := r.Seq; i < int64(len(sess.log)); i++ {
		e := sess.log[i]
		if !e.replay {
			continue
		}
		if c.writeRaw(e.frame) == nil {
			s.markSent(e.eventID, e.typ)
		}
	}
	s.controlLocked(sess, "RESUMED", map[string]any{})
}

// RefusedResumes counts resumes answered with op 9 (wrong URL, unknown
// or superseded session).
func (s *Server) RefusedResumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusedResumes
}

// StopHeartbeatACKs makes the gateway stop answering heartbeats (op 11),
// as a zombied connection does; ResumeHeartbeatACKs undoes it.
func (s *Server) StopHeartbeatACKs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noACKs = true
}

// ResumeHeartbeatACKs makes the gateway answer heartbeats again.
func (s *Server) ResumeHeartbeatACKs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noACKs = false
}

func (s *Server) resumeGatewayURL() string {
	return "ws" + s.resumeTS.URL[len("http"):]
}

// Connected reports whether shard 0 has a live, identified gateway
// connection.
func (s *Server) Connected() bool {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	sess := g.active[0]
	return sess != nil && sess.conn != nil
}

// Drop sends op 7 Reconnect on every live gateway connection and then
// closes it hard, without a close frame. It returns how many it dropped.
func (s *Server) Drop() int {
	return s.eachConn(func(c *gwConn) {
		_ = c.write(map[string]any{"op": 7, "d": nil})
		_ = c.ws.UnderlyingConn().Close()
	})
}

// HardClose closes every live gateway connection without a close frame.
func (s *Server) HardClose() int {
	return s.eachConn(func(c *gwConn) { _ = c.ws.UnderlyingConn().Close() })
}

// InvalidateSession sends op 9 (not resumable) on every live connection;
// the client identifies again and gets a new session.
func (s *Server) InvalidateSession() int {
	return s.eachConn(func(c *gwConn) { _ = c.write(map[string]any{"op": 9, "d": false}) })
}

func (s *Server) eachConn(f func(*gwConn)) int {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, sess := range g.active {
		if c := sess.conn; c != nil {
			f(c)
			n++
		}
	}
	return n
}

// Redeliver dispatches an earlier event (message or interaction id) again,
// as Discord may after a resume.
func (s *Server) Redeliver(eventID string) bool {
	s.mu.Lock()
	e := s.events[eventID]
	s.mu.Unlock()
	if e == nil {
		return false
	}
	s.dispatch("", e.typ, e.payload, e.shard)
	return true
}

// DispatchRaw dispatches an arbitrary (possibly malformed) event payload
// on shard 0.
func (s *Server) DispatchRaw(typ string, payload json.RawMessage) {
	s.dispatch("", typ, payload, 0)
}

// SendFrame writes raw bytes as one text frame on shard 0's connection
// (for malformed-frame tests). It reports whether a connection took it.
func (s *Server) SendFrame(raw []byte) bool {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	sess := g.active[0]
	if sess == nil || sess.conn == nil {
		return false
	}
	return sess.conn.writeRaw(raw) == nil
}
