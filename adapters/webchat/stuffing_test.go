package webchat_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/clientnet"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

// forwardedFor sets X-Forwarded-For on every request of one simulated
// browser, as a proxy in front of the server (or a forger) would.
type forwardedFor struct{ ip string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}

// stuffer runs scripted respondents through the web chat: each throws its
// cookies away and starts as a new browser, as a ballot-stuffing script
// does. It returns how many saw the outro and how many were refused.
type stuffer struct {
	t      *testing.T
	d      *chatDriver
	player func(i int) *simulate.Player
}

func (s *stuffer) run(i int, xff string) (completed, refused bool) {
	t := s.t
	u := fmt.Sprintf("bot%04d", i)
	jar, _ := cookiejar.New(nil)
	cu := &chatUser{client: &http.Client{Jar: jar}}
	if xff != "" {
		cu.client.Transport = forwardedFor{xff}
	}
	s.d.mu.Lock()
	s.d.users[u] = cu
	s.d.mu.Unlock()
	p := s.player(i)
	s.d.Command(t, u, "start", p.Script.ID)
	limitText := []string{"Very many answers", "Beaucoup de réponses", "وصلت إجابات كثيرة"}
	for range 200 {
		in := s.d.Inbox(t, u)
		if len(in) == 0 {
			t.Fatalf("%s: empty page", u)
		}
		last := in[len(in)-1]
		for _, lt := range limitText {
			if strings.Contains(last.Text, lt) {
				return false, true
			}
		}
		act, err := p.Act(last)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if p.Done() {
			return true, false
		}
		switch act.Kind {
		case simulate.ActPress:
			s.d.Press(t, u, act.Data)
		case simulate.ActText:
			s.d.Text(t, u, act.Text)
		}
	}
	t.Fatalf("%s: the dialog did not end", u)
	return false, false
}

func newStuffer(t *testing.T, limit int, networks *clientnet.Resolver) (*stuffer, *testenv.Env) {
	env := testenv.New(t, func(c *bot.RouterConfig) { c.NetworkLimit = limit })
	a := webchat.New(webchat.Config{Logger: env.Logger, Networks: networks})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	adaptertest.Start(t, a, env.Router)
	script := env.Catalog.Get("community-safety")
	return &stuffer{t: t, d: &chatDriver{url: srv.URL, users: map[string]*chatUser{}},
		player: func(i int) *simulate.Player { return simulate.NewPlayer(script, uint64(i+1)) }}, env
}

// TestStuffingOneNetwork is the ballot-stuffing attack: 200 scripted
// completions from one network, each with a fresh browser. Before the
// per-network limit all 200 were counted; now the default limit
// (bot.DefaultNetworkLimit an hour) is counted, every other attempt is
// refused with a message and counted in the refused counter.
func TestStuffingOneNetwork(t *testing.T) {
	s, env := newStuffer(t, 0, nil)
	const n = 200
	var done, refused int
	for i := range n {
		c, r := s.run(i, "")
		if c {
			done++
		}
		if r {
			refused++
		}
	}
	got := env.Counters(t, "community-safety")["completed"]
	abuse, err := env.Store.AbuseStats(context.Background(), "community-safety")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d scripted completions from one network: %d counted, %d refused (refused counter %d, top network this hour %d of %d)",
		n, got, refused, abuse.Refused, abuse.HourTop, abuse.HourAll)
	if got != bot.DefaultNetworkLimit || done != bot.DefaultNetworkLimit {
		t.Errorf("counted %d (outro seen %d), want the limit %d", got, done, bot.DefaultNetworkLimit)
	}
	if refused != n-bot.DefaultNetworkLimit || abuse.Refused != int64(n-bot.DefaultNetworkLimit) {
		t.Errorf("refused %d, refused counter %d; want %d", refused, abuse.Refused, n-bot.DefaultNetworkLimit)
	}
	if abuse.Flagged != 1 || abuse.HourTop != bot.DefaultNetworkLimit || abuse.HourAll != bot.DefaultNetworkLimit {
		t.Errorf("unusual share: flagged %d, top %d of %d; want 1 flagged hour, %d of %d",
			abuse.Flagged, abuse.HourTop, abuse.HourAll, bot.DefaultNetworkLimit, bot.DefaultNetworkLimit)
	}
	env.AssertNoLeak(t, "127.0.0.1", "127.0.0.0")
}

// TestStuffingWithoutLimit is the "before": the same script with the limit
// off (as the code was) counts every one of them.
func TestStuffingWithoutLimit(t *testing.T) {
	s, env := newStuffer(t, -1, nil)
	const n = 60
	for i := range n {
		s.run(i, "")
	}
	if got := env.Counters(t, "community-safety")["completed"]; got != n {
		t.Errorf("limit off: counted %d, want all %d", got, n)
	}
}

// TestNetworksBehindProxy: behind a trusted proxy two client networks are
// told apart by X-Forwarded-For, each with its own limit; without the
// proxy being trusted the header is ignored, so forging it gains nothing.
func TestNetworksBehindProxy(t *testing.T) {
	const limit, each = 3, 5
	trusted, err := clientnet.Parse("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		networks *clientnet.Resolver
		want     int64
	}{
		{"trusted proxy: two networks", trusted, 2 * limit},
		{"untrusted X-Forwarded-For ignored", nil, limit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, env := newStuffer(t, limit, tt.networks)
			for i := range each {
				s.run(i, fmt.Sprintf("198.51.100.%d", 10+i))
				s.run(100+i, fmt.Sprintf("203.0.113.%d", 10+i))
			}
			if got := env.Counters(t, "community-safety")["completed"]; got != tt.want {
				t.Errorf("counted %d, want %d", got, tt.want)
			}
			abuse, err := env.Store.AbuseStats(context.Background(), "community-safety")
			if err != nil {
				t.Fatal(err)
			}
			if abuse.Refused != 2*each-tt.want {
				t.Errorf("refused counter %d, want %d", abuse.Refused, 2*each-tt.want)
			}
			env.AssertNoLeak(t, "198.51.100", "203.0.113")
		})
	}
}

// TestIdentityRotatesAfterCompletion: the anonymous identity a completion
// was made under is replaced in the same reply, so whatever the browser
// does next cannot be linked to the answers.
func TestIdentityRotatesAfterCompletion(t *testing.T) {
	s, _ := newStuffer(t, 0, nil)
	s.d.users["x"] = &chatUser{client: &http.Client{Jar: mustJar()}}
	p := s.player(7)
	s.d.Command(t, "x", "start", p.Script.ID)
	var before string
	for range 200 {
		in := s.d.Inbox(t, "x")
		act, err := p.Act(in[len(in)-1])
		if err != nil {
			t.Fatal(err)
		}
		if p.Done() {
			break
		}
		before = s.d.cookie(t, "x")
		if act.Kind == simulate.ActPress {
			s.d.Press(t, "x", act.Data)
		} else {
			s.d.Text(t, "x", act.Text)
		}
	}
	if !p.Done() {
		t.Fatal("the dialog did not end")
	}
	if after := s.d.cookie(t, "x"); after == before {
		t.Errorf("after completion: identity cookie not rotated")
	}
}

func mustJar() *cookiejar.Jar {
	j, _ := cookiejar.New(nil)
	return j
}

// TestInviteCodeOnce: an invitation code works once on the web chat
// (?c=CODE, or typed) and never again.
func TestInviteCodeOnce(t *testing.T) {
	env := testenv.New(t)
	s := adaptertest.InviteScript(t)
	env.Catalog.Replace(append(env.Catalog.All(), s))
	codes, err := facilitate.MakeInvites(context.Background(), env.Store, env.Keys, s, 2)
	if err != nil {
		t.Fatal(err)
	}
	a := webchat.New(webchat.Config{Logger: env.Logger})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	adaptertest.Start(t, a, env.Router)
	d := &chatDriver{url: srv.URL, users: map[string]*chatUser{}}
	adaptertest.InviteOnce(t, d, codes, func() int64 { return env.Counters(t, s.ID)["completed"] })
	env.AssertNoLeak(t, append(codes, strings.ToLower(codes[0]))...)
}
