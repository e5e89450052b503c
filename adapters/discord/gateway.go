package discord

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/keyqueue"
)

// discordgo v0.28.1 ignores READY's resume_gateway_url: after a drop it
// resumes on the gateway URL it first dialled, which Discord may answer
// with op 9 (not resumable), and then identifies again, losing every
// event of the gap. The adapter gives the session a websocket dialer that,
// once READY named a resume URL, connects to that host instead (the path
// and query are discordgo's, as Discord's resume URLs carry none). When a
// re-identify still happens, it is logged and counted, and every person
// who had a dialog open recently is shown their current question again:
// their last event is handed to the router once more, which sees a
// duplicate and re-shows the prompt (nothing is counted twice).

// resumeTarget is where reconnects go: host:port and the TLS server name.
type resumeTarget struct {
	addr, host string
}

// parseResumeURL reads a resume_gateway_url ("wss://host[:port]").
func parseResumeURL(raw string) *resumeTarget {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "ws" {
			port = "80"
		}
	}
	return &resumeTarget{addr: net.JoinHostPort(u.Hostname(), port), host: u.Hostname()}
}

// dialer is the websocket dialer of the session: the first connection
// goes where discordgo asks; reconnects go to the resume host.
func (a *Adapter) dialer() *websocket.Dialer {
	var nd net.Dialer
	target := func(addr string) (string, string) {
		host, _, _ := net.SplitHostPort(addr)
		if t := a.resumeTo.Load(); t != nil {
			a.stats.ResumeDials.Add(1)
			return t.addr, t.host
		}
		return addr, host
	}
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 45 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			to, _ := target(addr)
			c, err := nd.DialContext(ctx, network, to)
			if err != nil {
				return nil, err
			}
			return &keepSessionConn{Conn: c, stopping: &a.stopping}, nil
		},
		NetDialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			to, host := target(addr)
			c, err := nd.DialContext(ctx, network, to)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(c, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
			if err := tc.HandshakeContext(ctx); err != nil {
				_ = c.Close()
				return nil, err
			}
			return &keepSessionConn{Conn: tc, stopping: &a.stopping}, nil
		},
	}
}

// keepSessionConn rewrites the close code of the client's close frame from
// 1000 (normal closure) to 4000 unless the adapter is stopping. discordgo
// v0.28.1 closes with 1000 when heartbeat ACKs stop coming (a zombied
// connection) and then tries to resume, but Discord invalidates a session
// closed with 1000 or 1001: the resume would be refused and the gap's
// events lost. Any other code keeps the session resumable. At shutdown
// 1000 goes out as is, so the bot goes offline at once.
//
// gorilla/websocket writes a client's close frame in one Write: 0x88, the
// masked length (2..125), the 4-byte mask, the masked payload whose first
// two bytes are the code.
type keepSessionConn struct {
	net.Conn
	stopping *atomic.Bool
}

func (c *keepSessionConn) Write(b []byte) (int, error) {
	if len(b) >= 8 && b[0] == 0x88 && b[1]&0x80 != 0 && int(b[1]&0x7f) == len(b)-6 && !c.stopping.Load() {
		code := uint16(b[6]^b[2])<<8 | uint16(b[7]^b[3])
		if code == 1000 || code == 1001 {
			nb := append([]byte(nil), b...)
			nb[6] = byte(closeKeepSession>>8) ^ b[2]
			nb[7] = byte(closeKeepSession&0xff) ^ b[3]
			return c.Conn.Write(nb)
		}
	}
	return c.Conn.Write(b)
}

// closeKeepSession is the close code sent instead of 1000 on a reconnect:
// in the 4000 range (application codes), which Discord does not treat as
// ending the session.
const closeKeepSession = 4000

// recentDialog is a person's last event while their dialog was open, in
// memory only, for a re-prompt after a lost gateway gap.
type recentDialog struct {
	ev bot.Event
	at time.Time
}

// reprompWindow: people active this recently may have lost a press in a
// gateway gap and are asked again.
const repromptWindow = 15 * time.Minute

type recents struct {
	mu sync.Mutex
	m  map[string]recentDialog
}

// note remembers ev for its user while the dialog is open, and forgets the
// user when it is not.
func (r *recents) note(ev bot.Event, d bot.DialogState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch d {
	case bot.DialogOpen:
		if r.m == nil {
			r.m = map[string]recentDialog{}
		}
		now := time.Now()
		if len(r.m) > 50000 {
			for u, e := range r.m {
				if now.Sub(e.at) > repromptWindow {
					delete(r.m, u)
				}
			}
		}
		r.m[ev.User] = recentDialog{ev: ev, at: now}
	case bot.DialogNone:
		delete(r.m, ev.User)
	}
}

// take returns the last events of people active within the window.
func (r *recents) take() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bot.Event
	now := time.Now()
	for u, e := range r.m {
		if now.Sub(e.at) <= repromptWindow {
			out = append(out, e.ev)
		} else {
			delete(r.m, u)
		}
	}
	return out
}

// onReady handles READY: remember the resume URL, and when this is not the
// first READY (a re-identify: the old session could not be resumed), say
// so and re-prompt.
func (a *Adapter) onReady(ctx context.Context, s *discordgo.Session, d *keyqueue.Queue, h bot.Handler, resumeURL string) {
	if t := parseResumeURL(resumeURL); t != nil {
		a.resumeTo.Store(t)
	}
	if a.readies.Add(1) == 1 {
		return
	}
	a.stats.Reidentified.Add(1)
	evs := a.recent.take()
	a.log.Warn("gateway session re-identified: events during the gap may be lost; re-prompting open dialogs", "dialogs", len(evs))
	for _, ev := range evs {
		in := inbound{Events: []bot.Event{ev}}
		if !d.Submit(ev.User, func() { a.process(ctx, s, h, in, nil, time.Now()) }) {
			a.stats.Dropped.Add(1)
		}
		a.stats.Reprompted.Add(1)
	}
}
