package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/invite"
)

// TestInviteCardsAndAbuse: the facilitator page says who may answer and
// shows the stuffing counters (counts only); the button makes printable
// cards with a code, a QR code and links, whose codes work in the router
// and are stored only hashed; an official cannot make cards.
func TestInviteCardsAndAbuse(t *testing.T) {
	var f *fixture
	f = newFixture(t, func(d *Deps) {
		d.InviteCards = func(ctx context.Context, id string, n int) ([]facilitate.Card, error) {
			codes, err := facilitate.MakeInvites(ctx, f.env.Store, f.env.Keys, f.env.Catalog.Get(id), n)
			if err != nil {
				return nil, err
			}
			return facilitate.NewCards(codes, []string{"telegram", "webchat"}, func(name, code string) (string, string) {
				if name == "telegram" {
					return "https://t.me/baraza_bot?start=" + code, ""
				}
				return "https://baraza.example/chat?c=" + code, ""
			})
		}
	})
	s := adaptertest.InviteScript(t)
	f.env.Catalog.Replace(append(f.env.Catalog.All(), s))
	ctx := context.Background()
	// One network refused twice.
	net := f.env.Keys.Network("town", "198.51.100.0/24")
	for i := range 3 {
		if _, err := f.env.Store.TakeNetwork(ctx, "town", net, fmt.Sprint("k", i), 1); err != nil {
			t.Fatal(err)
		}
	}

	b := f.signIn(t, facilitator)
	_, body := b.get("/consultations/town")
	for _, want := range []string{"Who may answer", "Open: anyone with the link", "Responses refused by the per-network limit: 2"} {
		if !strings.Contains(body, want) {
			t.Errorf("town page: %q missing", want)
		}
	}
	_, body = b.get("/consultations/invite-vote")
	if !strings.Contains(body, "By invitation") || !strings.Contains(body, `action="/consultations/invite-vote/invites"`) {
		t.Fatalf("invite-only page: no access mode or card form:\n%s", body)
	}
	res, body := b.post("/consultations/invite-vote/invites", url.Values{"csrf": {b.csrf}, "count": {"3"}})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("make cards: got %d CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	codes := regexp.MustCompile(`class="code">([0-9A-Z]{5}-[0-9A-Z]{5})<`).FindAllStringSubmatch(body, -1)
	if len(codes) != 3 || strings.Count(body, "<svg") != 3 || !strings.Contains(body, "https://t.me/baraza_bot?start=") {
		t.Fatalf("cards: %d codes, %d QR codes; want 3 of each with deep links:\n%s", len(codes), strings.Count(body, "<svg"), body)
	}
	n, err := f.env.Store.Invites(ctx, "invite-vote")
	if err != nil || n != 3 {
		t.Errorf("stored invites %d (%v), want 3", n, err)
	}
	for _, c := range codes {
		code, _ := invite.Normalize(c[1])
		ok, err := f.env.Store.InviteExists(ctx, "invite-vote", f.env.Keys.InviteCode("invite-vote", code))
		if err != nil || !ok {
			t.Errorf("code %s not stored under its keyed hash", c[1])
		}
		f.env.AssertNoLeak(t, code, c[1])
	}
	for _, bad := range []string{"0", "5001", "x"} {
		if res, _ := b.post("/consultations/invite-vote/invites", url.Values{"csrf": {b.csrf}, "count": {bad}}); res.StatusCode != http.StatusBadRequest {
			t.Errorf("count %q: got %d, want 400", bad, res.StatusCode)
		}
	}
	if res, _ := b.post("/consultations/town/invites", url.Values{"csrf": {b.csrf}, "count": {"3"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("cards for an open consultation: got %d, want 400", res.StatusCode)
	}
	o := f.signIn(t, official)
	if res, _ := o.post("/consultations/invite-vote/invites", url.Values{"csrf": {o.csrf}, "count": {"3"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("official makes cards: got %d, want 403", res.StatusCode)
	}
}
