package discord_test

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/discord"
	"github.com/baraza/baraza/adapters/discord/discordtest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/testenv"
)

// driver plays adaptertest's users on the fake Discord: texts are DMs,
// start/help/report/stop are slash commands in the DM (start is
// /consult id), other commands are typed "/cmd arg".
type driver struct {
	fake *discordtest.Server
	mu   sync.Mutex
	usr  map[string]*discordtest.User
	last map[string]string
}

func newDriver(fake *discordtest.Server) *driver {
	return &driver{fake: fake, usr: map[string]*discordtest.User{}, last: map[string]string{}}
}

func (d *driver) Caps() adaptertest.Caps { return adaptertest.Caps{Edit: true} }

func (d *driver) user(u string) *discordtest.User {
	d.mu.Lock()
	defer d.mu.Unlock()
	if x := d.usr[u]; x != nil {
		return x
	}
	x := d.fake.NewUser("3100000000000"+u, "user"+u, "User "+u)
	d.usr[u] = x
	return x
}

func (d *driver) setLast(u, id string) {
	d.mu.Lock()
	d.last[u] = id
	d.mu.Unlock()
}

func (d *driver) Text(t testing.TB, u, text string) { d.setLast(u, d.user(u).DM(text)) }

func (d *driver) Command(t testing.TB, u, cmd, arg string) {
	x := d.user(u)
	switch cmd {
	case "start":
		opts := map[string]string{}
		if arg != "" {
			opts["id"] = arg
		}
		d.setLast(u, x.Slash("consult", opts, false))
	case "help", "report", "stop":
		d.setLast(u, x.Slash(cmd, nil, false))
	default:
		d.setLast(u, x.DM(strings.TrimSpace("/"+cmd+" "+arg)))
	}
}

func (d *driver) Press(t testing.TB, u, data string) {
	t.Helper()
	x := d.user(u)
	msgs := d.fake.BotMessages(x.DMChannel())
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, c := range msgs[i].Buttons() {
			var id string
			var err error
			switch {
			case c.Type == 2 && c.CustomID == data:
				id, err = x.Press(msgs[i].ID, data)
			case c.Type == 3 && hasOption(c, data):
				id, err = x.Select(msgs[i].ID, c.CustomID, data)
			default:
				continue
			}
			if err != nil {
				t.Fatalf("press %q: %v", data, err)
			}
			d.setLast(u, id)
			return
		}
	}
	t.Fatalf("press %q: no message in user %s's DM carries it", data, u)
}

func hasOption(c discordtest.Component, v string) bool {
	for _, o := range c.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

func (d *driver) Redeliver(t testing.TB, u string) {
	t.Helper()
	d.mu.Lock()
	id := d.last[u]
	d.mu.Unlock()
	if id == "" || !d.fake.Redeliver(id) {
		t.Fatalf("redeliver: user %s has no event", u)
	}
}

func (d *driver) Inbox(t testing.TB, u string) []bot.Message {
	var out []bot.Message
	for _, m := range d.fake.BotMessages(d.user(u).DMChannel()) {
		bm := bot.Message{Text: m.Content}
		for _, c := range m.Buttons() {
			switch c.Type {
			case 2:
				l, sel := strings.CutPrefix(c.Label, "✓ ")
				bm.Buttons = append(bm.Buttons, bot.Button{Label: l, Data: c.CustomID, Selected: sel})
			case 3:
				for _, o := range c.Options {
					l, sel := strings.CutPrefix(o.Label, "✓ ")
					bm.Buttons = append(bm.Buttons, bot.Button{Label: l, Data: o.Value, Selected: sel})
				}
			}
		}
		out = append(out, bm)
	}
	return out
}

func (d *driver) Notices(t testing.TB, u string) []string {
	var out []string
	for _, m := range d.fake.Ephemeral(d.user(u).DMChannel()) {
		if m.Content != "" {
			out = append(out, m.Content)
		}
	}
	return out
}

// newLogger logs to b as text, at every level, for the privacy checks.
func newLogger(b *testenv.LogBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, func(t testing.TB, h bot.Handler) adaptertest.Driver {
		fake := discordtest.New(t, discordtest.Options{})
		logs := &testenv.LogBuffer{}
		a, err := discord.New(discord.Config{Token: fake.Token(), API: fake.APIURL(), Logger: newLogger(logs)})
		if err != nil {
			t.Fatal(err)
		}
		adaptertest.Start(t, a, h)
		d := newDriver(fake)
		t.Cleanup(func() {
			checkLogs(t, logs.String(), fake.Token(), "3100000000000", "user100", "User 100")
			for _, r := range fake.Rejects() {
				if r.Code == 40060 { // a re-delivered interaction cannot be acknowledged twice
					continue
				}
				t.Errorf("fake refused %s %s: %d code %d %s", r.Method, r.Path, r.Status, r.Code, r.Reason)
			}
		})
		return d
	})
}

// checkLogs fails if any forbidden string appears in the logs.
func checkLogs(t testing.TB, logs string, forbidden ...string) {
	t.Helper()
	for _, f := range forbidden {
		if f != "" && strings.Contains(logs, f) {
			t.Errorf("logs contain %q:\n%s", f, logs)
		}
	}
}
