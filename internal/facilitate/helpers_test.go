package facilitate

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
)

// chat is one person talking to a handler on one platform.
type chat struct {
	t        testing.TB
	h        bot.Handler
	platform string
	user     string
	last     bot.Response
}

var eventSeq atomic.Int64

func newChat(t testing.TB, h bot.Handler, platform, user string) *chat {
	return &chat{t: t, h: h, platform: platform, user: user}
}

func (c *chat) send(ev bot.Event) bot.Response {
	c.t.Helper()
	n := strconv.FormatInt(eventSeq.Add(1), 10)
	ev.Platform, ev.User, ev.Chat, ev.Private = c.platform, c.user, "chat-"+c.user, true
	ev.ID, ev.MessageRef = "ev"+n, "m"+n
	resp, err := c.h.Handle(context.Background(), ev)
	if err != nil {
		c.t.Fatalf("%s %s: handle %+v: %v", c.platform, c.user, ev, err)
	}
	c.last = resp
	return resp
}

func (c *chat) cmd(name, arg string) bot.Response {
	c.t.Helper()
	return c.send(bot.Event{Kind: bot.KindCommand, Command: name, Arg: arg})
}

// press presses the button labelled label in the last response.
func (c *chat) press(label string) bot.Response {
	c.t.Helper()
	for _, m := range c.last.Messages {
		for _, b := range m.Buttons {
			if b.Label == label {
				return c.send(bot.Event{Kind: bot.KindButton, Data: b.Data})
			}
		}
	}
	c.t.Fatalf("%s: no button %q in the last response:\n%s", c.user, label, texts(c.last))
	return bot.Response{}
}

// texts joins the texts and button labels of a response, for checks and
// failure messages.
func texts(r bot.Response) string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Text)
		for _, bt := range m.Buttons {
			b.WriteString(" [" + bt.Label + "]")
		}
		b.WriteString("\n")
	}
	if r.Notice != "" {
		b.WriteString("notice: " + r.Notice + "\n")
	}
	return b.String()
}

// complete runs a whole dialog of the test script: start, consent,
// then the given answers.
func (c *chat) complete(id string, answers ...string) {
	c.t.Helper()
	c.cmd("start", id)
	c.press(dialogs.UI("en", "accept"))
	for _, a := range answers {
		c.press(a)
	}
	if got := texts(c.last); !strings.Contains(got, "Thank you, all done.") {
		c.t.Fatalf("%s: after answering %v got:\n%s\nwant the outro", c.user, answers, got)
	}
}

// loadScript loads testdata/name with replacements applied (old, new
// pairs).
func loadScript(t testing.TB, name string, replace ...string) *dialogs.Script {
	t.Helper()
	data := readScript(t, name, replace...)
	s, err := dialogs.Load(name, data)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return s
}

func readScript(t testing.TB, name string, replace ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("%s has no %q to replace", name, replace[i])
		}
		s = strings.Replace(s, replace[i], replace[i+1], 1)
	}
	return []byte(s)
}

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.set(c.Now().Add(d)) }
