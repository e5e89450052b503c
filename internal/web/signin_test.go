package web

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/baraza/baraza/internal/clientnet"
)

// signInForm returns a fresh sign-in form's CSRF value for b.
func signInForm(t *testing.T, b *browser) string {
	t.Helper()
	_, body := b.get("/")
	m := reCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no sign-in form")
	}
	return m[1]
}

// TestSignInColleague: behind one proxy address, one person typing their
// token wrong again and again does not lock out a colleague: the backoff
// is keyed by the token's prefix (and only a flood from one network slows
// the network).
func TestSignInColleague(t *testing.T) {
	f := newFixture(t)
	a, b := f.browser(t), f.browser(t)
	csrfA, csrfB := signInForm(t, a), signInForm(t, b)
	typo := f.tokens[official][:len(f.tokens[official])-1] + "x"
	limited := 0
	for range 12 {
		res, _ := a.post("/signin", url.Values{"csrf": {csrfA}, "token": {typo}})
		if res.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	res, _ := b.post("/signin", url.Values{"csrf": {csrfB}, "token": {f.tokens[facilitator]}})
	t.Logf("12 wrong attempts by one person: %d answered 429; a colleague's right token then got %d", limited, res.StatusCode)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("colleague after someone else's 12 wrong attempts: got %d, want 303 (signed in)", res.StatusCode)
	}
	if limited == 0 {
		t.Errorf("12 wrong attempts with one token: none slowed down, want a backoff")
	}
}

// TestSignInBackoff: wrong attempts with one token prefix, and a flood of
// guesses from one network, are slowed down with growing waits that end
// (Retry-After), never a lockout; the right token works once the wait is
// over, and two networks behind a trusted proxy are told apart.
func TestSignInBackoff(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := newBackoff(20, clock)
	tok := []string{"t:abc"}
	var waits []time.Duration
	for range 7 {
		waits = append(waits, l.wait(tok...))
		l.fail(tok...)
	}
	waits = append(waits, l.wait(tok...))
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("wait before attempt %d: got %v, want %v", i+1, waits[i], want[i])
		}
	}
	now = now.Add(16 * time.Second)
	if w := l.wait(tok...); w != 0 {
		t.Errorf("after waiting: still %v", w)
	}
	for range 20 {
		l.fail(tok...)
	}
	if w := l.wait(tok...); w != maxBackoff {
		t.Errorf("many failures: wait %v, want the cap %v", w, maxBackoff)
	}
	l.succeed(tok...)
	if w := l.wait(tok...); w != 0 {
		t.Errorf("after a success: wait %v, want none", w)
	}
	now = now.Add(forgetAfter)
	for range 3 {
		l.fail("t:x")
	}
	now = now.Add(forgetAfter + time.Second)
	if w := l.wait("t:x"); w != 0 {
		t.Errorf("after %v without failures: wait %v, want forgotten", forgetAfter, w)
	}
	// The network's budget is larger.
	for range 20 {
		l.fail("n:net")
	}
	if w := l.wait("n:net"); w != time.Second {
		t.Errorf("network after 20 failures: wait %v, want 1s", w)
	}
}

// TestSignInNetworkFlood: a guesser spraying different tokens from one
// network gets 429 with a Retry-After once past the network's budget; a
// client on another network behind the trusted proxy is not affected, and
// an untrusted X-Forwarded-For does not buy a fresh budget.
func TestSignInNetworkFlood(t *testing.T) {
	trusted := mustResolver(t, "127.0.0.1")
	f := newFixture(t, func(d *Deps) { d.Networks = trusted; d.SignInLimit = 5 })
	g := f.browser(t)
	csrf := signInForm(t, g)
	got429 := false
	for i := range 8 {
		res, _ := g.post("/signin", url.Values{"csrf": {csrf}, "token": {"bz_guess" + strconv.Itoa(i)}}, "X-Forwarded-For", "198.51.100.7")
		if res.StatusCode == http.StatusTooManyRequests {
			got429 = true
			if res.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		}
	}
	if !got429 {
		t.Fatalf("8 guesses with a network budget of 5: no 429")
	}
	other := f.browser(t)
	res, _ := other.post("/signin", url.Values{"csrf": {signInForm(t, other)}, "token": {f.tokens[official]}}, "X-Forwarded-For", "203.0.113.9")
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("another network: got %d, want 303", res.StatusCode)
	}
	// Without the proxy trusted, the header is ignored: the guesser's
	// forged addresses all count against 127.0.0.0/24.
	f2 := newFixture(t, func(d *Deps) { d.SignInLimit = 5 })
	g2 := f2.browser(t)
	csrf2 := signInForm(t, g2)
	got429 = false
	for i := range 8 {
		res, _ := g2.post("/signin", url.Values{"csrf": {csrf2}, "token": {"bz_guess" + strconv.Itoa(i)}}, "X-Forwarded-For", "198.51.100."+strconv.Itoa(i))
		got429 = got429 || res.StatusCode == http.StatusTooManyRequests
	}
	if !got429 {
		t.Errorf("forged X-Forwarded-For bought a fresh budget per guess")
	}
}

func mustResolver(t *testing.T, list string) *clientnet.Resolver {
	t.Helper()
	r, err := clientnet.Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
