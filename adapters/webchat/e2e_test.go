package webchat_test

import (
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/testenv"
)

// pressLabel presses the button labelled label on u's newest message.
func (d *chatDriver) pressLabel(t *testing.T, u, label string) {
	t.Helper()
	in := d.Inbox(t, u)
	if len(in) == 0 {
		t.Fatalf("press %q: empty page", label)
	}
	last := in[len(in)-1]
	i := slices.IndexFunc(last.Buttons, func(b bot.Button) bool { return b.Label == label })
	if i < 0 {
		t.Fatalf("press %q: not on the last message %q; buttons %q", label, last.Text, labels(last.Buttons))
	}
	d.Press(t, u, last.Buttons[i].Data)
}

func (d *chatDriver) cookie(t *testing.T, u string) string {
	t.Helper()
	base, _ := url.Parse(d.url + "/chat")
	for _, c := range d.user(u).client.Jar.Cookies(base) {
		if c.Name == webchat.CookieName {
			return c.Value
		}
	}
	t.Fatalf("user %s has no session cookie", u)
	return ""
}

func labels(bs []bot.Button) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Label)
	}
	return out
}

func lastText(t *testing.T, d *chatDriver, u string) string {
	t.Helper()
	in := d.Inbox(t, u)
	if len(in) == 0 {
		t.Fatalf("user %s: empty page", u)
	}
	return in[len(in)-1].Text
}

// TestEndToEnd runs the bundled incident report in Arabic through the web
// chat and the real router on a private redis-server: counted once despite
// a re-delivered answer, the comment scrubbed, no session id in Redis or
// the logs, and /stop erasing the page.
func TestEndToEnd(t *testing.T) {
	env := testenv.New(t)
	a := webchat.New(webchat.Config{Logger: env.Logger})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	adaptertest.Start(t, a, env.Router)
	d := &chatDriver{url: srv.URL, users: map[string]*chatUser{}}
	const u = "1001"

	d.Command(t, u, "report", "")
	d.pressLabel(t, u, "العربية")
	in := d.Inbox(t, u)
	consent := in[len(in)-1]
	if consent.Lang != "ar" || len(consent.Buttons) != 3 || !consent.Buttons[2].Nav {
		t.Fatalf("consent: got lang %q buttons %q, want Arabic with accept, decline and More", consent.Lang, labels(consent.Buttons))
	}
	d.Press(t, u, consent.Buttons[0].Data) // accept is first
	if got := lastText(t, d, u); got != "ماذا حدث؟" {
		t.Fatalf("first question: got %q, want %q", got, "ماذا حدث؟")
	}
	d.pressLabel(t, u, "سرقة أو سطو")
	d.pressLabel(t, u, "الحي الشمالي")
	d.pressLabel(t, u, "اليوم")
	d.pressLabel(t, u, "لا")
	d.Text(t, u, "سرقوا هاتفي قرب السوق. اتصلوا بي على 0712345678")
	if got := lastText(t, d, u); !strings.Contains(got, "شكرًا لك") {
		t.Fatalf("after the last answer: got %q, want the outro", got)
	}
	before := env.Counters(t, "incident-report")
	if before["completed"] != 1 || before["o|category|theft"] != 1 {
		t.Errorf("counters: got completed %d, theft %d, want 1 and 1", before["completed"], before["o|category|theft"])
	}

	// The page retries the last answer (same nonce): nothing is counted twice.
	d.Redeliver(t, u)
	if after := env.Counters(t, "incident-report"); after["completed"] != 1 || after["o|category|theft"] != 1 {
		t.Errorf("after a re-delivery: got completed %d, theft %d, want still 1 and 1", after["completed"], after["o|category|theft"])
	}
	cookie := d.cookie(t, u)
	env.AssertNoLeak(t, cookie, "0712345678")

	d.Command(t, u, "stop", "")
	if got := d.UserMessages(t, u); len(got) != 0 {
		t.Errorf("after /stop: user messages %q still shown, want none", got)
	}
	for _, m := range d.Inbox(t, u) {
		if strings.Contains(m.Text, "شكرًا لك") || strings.Contains(m.Text, "ماذا حدث") {
			t.Errorf("after /stop: %q still shown", m.Text)
		}
	}
	if d.cookie(t, u) == cookie {
		t.Errorf("after /stop: the session cookie was not rotated")
	}
}
