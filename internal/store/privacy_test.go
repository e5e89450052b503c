package store_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
)

// TestPrivacyScan writes through every store method with inputs shaped like
// what callers will pass, then reads the whole server: no key holds
// anything but the prefix, hash tags, fixed words, script ids and hex, and
// no raw id, event id or token appears anywhere.
func TestPrivacyScan(t *testing.T) {
	srv := redistest.Start(t)
	p := srv.Prefix + "baraza:"
	s, rdb, _ := openURL(t, srv.URL, p)
	ctx := ctxT(t)

	const (
		rawUser  = "918273645" // what a Telegram user id looks like
		rawEvent = "telegram:update:5550001234"
		rawKey   = "telegram:918273645:done"
	)
	r := hexID('x')
	if err := s.SaveSession(ctx, r, 0, []byte("opaque"), rawEvent); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, store.Completion{Consultation: "night-safety", Key: rawKey, Participation: hexID('y'),
		Incr: []string{"completed", "o|area|north"}, Texts: map[string]string{"story": "scrubbed text"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, store.Completion{Consultation: "night-safety", Key: rawKey + ":started", Incr: []string{"started"}}); err != nil {
		t.Fatal(err)
	}
	tok, tk, err := s.CreateToken(ctx, store.RoleOfficial, "county office", nil)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := s.CreateWebSession(ctx, tk.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, "night-safety", "closed", "facilitator:alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.LogRelease(ctx, store.Release{TokenName: "county office", Consultation: "night-safety", Format: "csv", K: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLease(ctx, "telegram", "replica-1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOffset(ctx, "telegram", 42); err != nil {
		t.Fatal(err)
	}

	dump, err := redistest.ScanMatch(ctx, rdb, p+"*")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{rawUser, "5550001234", rawEvent, rawKey, tok, strings.TrimPrefix(tok, "bz_"), sid} {
		if strings.Contains(dump, secret) {
			t.Errorf("dump contains %q:\n%s", secret, dump)
		}
	}
	hex := `[0-9a-f]+`
	keyRE := regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `(` +
		`\{r:` + hex + `\}:s` +
		`|\{c:[a-z0-9-]+\}:(n|k|p:` + hex + `|tp?:[a-z0-9_]+)` +
		`|\{g\}:(status|statuslog:[a-z0-9-]+|tokens|toknames|tokids|web:` + hex + `|releases|off:[a-z0-9]+|lease:[a-z0-9]+)` +
		`)$`)
	lines := strings.Split(strings.TrimSpace(dump), "\n")
	if len(lines) < 14 {
		t.Fatalf("dump: got %d keys, want every kind written:\n%s", len(lines), dump)
	}
	for _, line := range lines {
		key, _, _ := strings.Cut(line, " => ")
		if !keyRE.MatchString(key) {
			t.Errorf("unexpected key shape: %q", key)
		}
	}
	// texts carry a completion tag and a random score, never a time
	if !regexp.MustCompile(`\{c:night-safety\}:tp:story => zset\[[0-9a-f]{16}:scrubbed text:[0-9.e+]+\]`).MatchString(dump) {
		t.Errorf("text set: want one nonce-prefixed text, got:\n%s", dump)
	}
}
