package adaptertest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/bot"
)

// memPlatform is a minimal in-memory chat platform with an adapter that
// queues updates and retries failed ones itself: it checks the suite
// against a known-good adapter and shows how a driver is written.
type memPlatform struct {
	mu      sync.Mutex
	updates chan bot.Event
	nextID  int
	last    map[string]bot.Event
	inbox   map[string][]memMsg
	sent    map[string][]string
	notices map[string][]string
}

type memMsg struct {
	ref string
	bot.Message
}

func (p *memPlatform) Name() string { return "mem" }

func (p *memPlatform) Run(ctx context.Context, h bot.Handler) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-p.updates:
			for {
				resp, err := h.Handle(ctx, ev)
				if err == nil {
					p.deliver(ev, resp)
					break
				}
				if ctx.Err() != nil {
					return nil
				}
			}
		}
	}
}

func (p *memPlatform) deliver(ev bot.Event, r bot.Response) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u := ev.Chat
	if r.Erase != nil {
		p.inbox[u] = nil
		p.sent[u] = nil
	}
	if r.Notice != "" {
		p.notices[u] = append(p.notices[u], r.Notice)
	}
	for _, m := range r.Messages {
		if m.ReplaceButtons && ev.Kind == bot.KindButton {
			for i := range p.inbox[u] {
				if p.inbox[u][i].ref == ev.MessageRef {
					p.inbox[u][i].Buttons = slices.Clone(m.Buttons)
				}
			}
			continue
		}
		// Split long texts the way a 4096-character platform would.
		rs := []rune(m.Text)
		for len(rs) > 4000 {
			cut := 4000
			for cut > 0 && rs[cut] != ' ' {
				cut--
			}
			p.nextID++
			p.inbox[u] = append(p.inbox[u], memMsg{ref: fmt.Sprint(p.nextID), Message: bot.Message{Text: string(rs[:cut])}})
			rs = rs[cut+1:]
		}
		m.Text = string(rs)
		p.nextID++
		p.inbox[u] = append(p.inbox[u], memMsg{ref: fmt.Sprint(p.nextID), Message: m})
	}
}

func (p *memPlatform) send(u string, ev bot.Event, typed string) {
	p.mu.Lock()
	p.nextID++
	ev.Platform, ev.ID, ev.User, ev.Chat, ev.Private = "mem", fmt.Sprint(p.nextID), "mem-"+u, u, true
	if ev.MessageRef == "" {
		ev.MessageRef = ev.ID
	}
	if typed != "" {
		p.sent[u] = append(p.sent[u], typed)
	}
	p.last[u] = ev
	p.mu.Unlock()
	p.updates <- ev
}

func (p *memPlatform) Text(t testing.TB, u, text string) {
	p.send(u, bot.Event{Kind: bot.KindText, Text: text}, text)
}

func (p *memPlatform) Command(t testing.TB, u, cmd, arg string) {
	p.send(u, bot.Event{Kind: bot.KindCommand, Command: cmd, Arg: arg}, strings.TrimSpace("/"+cmd+" "+arg))
}

func (p *memPlatform) Press(t testing.TB, u, data string) {
	p.mu.Lock()
	ref := ""
	for _, m := range p.inbox[u] {
		for _, b := range m.Buttons {
			if b.Data == data {
				ref = m.ref
			}
		}
	}
	p.mu.Unlock()
	if ref == "" {
		t.Fatalf("press %q: no such button in user %s's inbox", data, u)
	}
	p.send(u, bot.Event{Kind: bot.KindButton, Data: data, MessageRef: ref}, "")
}

func (p *memPlatform) Redeliver(t testing.TB, u string) {
	p.mu.Lock()
	ev, ok := p.last[u]
	p.mu.Unlock()
	if !ok {
		t.Fatalf("redeliver: user %s sent nothing", u)
	}
	p.updates <- ev
}

func (p *memPlatform) Inbox(t testing.TB, u string) []bot.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []bot.Message
	for _, m := range p.inbox[u] {
		c := m.Message
		c.Buttons = slices.Clone(c.Buttons)
		out = append(out, c)
	}
	return out
}

func (p *memPlatform) Notices(t testing.TB, u string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.notices[u])
}

func (p *memPlatform) UserMessages(t testing.TB, u string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent[u])
}

func (p *memPlatform) Caps() adaptertest.Caps {
	return adaptertest.Caps{Edit: true, EraseUserMessages: true}
}

func TestSuiteOnMemoryPlatform(t *testing.T) {
	adaptertest.Run(t, func(t testing.TB, h bot.Handler) adaptertest.Driver {
		p := &memPlatform{
			updates: make(chan bot.Event, 64),
			last:    map[string]bot.Event{},
			inbox:   map[string][]memMsg{},
			sent:    map[string][]string{},
			notices: map[string][]string{},
		}
		adaptertest.Start(t, p, h)
		return p
	})
}
