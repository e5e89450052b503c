package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/baraza/baraza/internal/store"
)

// scopeFixture adds the scoped facilitator and admin to the fixture's
// tokens (official, scoped official, facilitator, admin), and a release of
// each consultation, so every role meets every scope.
const (
	scopedFac   = "sami-scoped-facilitator"
	scopedAdmin = "sara-scoped-admin"
)

func scopeFixture(t *testing.T) *fixture {
	f := newFixture(t)
	ctx := context.Background()
	for _, tk := range []struct{ name, role string }{{scopedFac, store.RoleFacilitator}, {scopedAdmin, store.RoleAdmin}} {
		raw, tok, err := f.env.Store.CreateToken(ctx, tk.role, tk.name, []string{"quiet"})
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[tk.name], f.ids[tk.name] = raw, tok.ID
	}
	for _, c := range []string{"town", "quiet"} {
		if err := f.env.Store.LogRelease(ctx, store.Release{TokenName: "seed", Consultation: c, Format: "csv", K: 5}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestRoutesByRoleAndScope: every route, as every role, unscoped and
// scoped to "quiet" (town is out of that scope).
func TestRoutesByRoleAndScope(t *testing.T) {
	f := scopeFixture(t)
	names := []string{official, scoped, facilitator, scopedFac, admin, scopedAdmin}
	// want: official, scoped official, facilitator, scoped facilitator, admin, scoped admin.
	type want [6]int
	api := []struct {
		method, path string
		want         want
	}{
		{"GET", "/api/v1/consultations", want{200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/consultations/town/summary", want{200, 404, 200, 404, 200, 404}},
		{"GET", "/api/v1/consultations/quiet/summary", want{200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/consultations/town/export.json", want{200, 404, 200, 404, 200, 404}},
		{"GET", "/api/v1/consultations/town/export.csv", want{200, 404, 200, 404, 200, 404}},
		{"GET", "/api/v1/consultations/town/export.xlsx", want{200, 404, 200, 404, 200, 404}},
		{"GET", "/api/v1/consultations/quiet/export.xlsx", want{200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/consultations/town/texts", want{200, 404, 200, 404, 200, 404}},
		{"GET", "/api/v1/consultations/quiet/texts", want{200, 200, 200, 200, 200, 200}},
		{"POST", "/api/v1/consultations/town/close", want{403, 404, 200, 404, 200, 404}},
		{"POST", "/api/v1/consultations/quiet/close", want{403, 403, 200, 200, 200, 200}},
		{"POST", "/api/v1/consultations/quiet/open", want{403, 403, 200, 200, 200, 200}},
		{"POST", "/api/v1/consultations/town/open", want{403, 404, 200, 404, 200, 404}},
		{"GET", "/api/v1/releases", want{403, 403, 403, 403, 200, 200}},
		{"POST", "/api/v1/scripts/reload", want{403, 403, 403, 403, 200, 403}},
	}
	for _, tc := range api {
		for i, name := range names {
			t.Run("api "+tc.method+" "+tc.path+" as "+name, func(t *testing.T) {
				res, body := f.api(t, tc.method, tc.path, name)
				if res.StatusCode != tc.want[i] {
					t.Errorf("got %d, want %d: %.300s", res.StatusCode, tc.want[i], body)
				}
			})
		}
	}
	pages := []struct {
		method, path string
		want         want
	}{
		{"GET", "/", want{200, 200, 200, 200, 200, 200}},
		{"GET", "/consultations/town", want{200, 404, 200, 404, 200, 404}},
		{"GET", "/consultations/quiet", want{200, 200, 200, 200, 200, 200}},
		{"GET", "/consultations/town/export.csv", want{200, 404, 200, 404, 200, 404}},
		{"GET", "/consultations/town/export.xlsx", want{200, 404, 200, 404, 200, 404}},
		{"GET", "/consultations/town/export.json", want{200, 404, 200, 404, 200, 404}},
		{"GET", "/consultations/quiet/export.json", want{200, 200, 200, 200, 200, 200}},
		{"GET", "/consultations/town/qr.png", want{403, 404, 200, 404, 200, 404}},
		{"GET", "/consultations/quiet/qr.svg", want{403, 403, 200, 200, 200, 200}},
		{"POST", "/consultations/town/close", want{403, 404, 303, 404, 303, 404}},
		{"POST", "/consultations/quiet/close", want{403, 403, 303, 303, 303, 303}},
		{"POST", "/consultations/quiet/open", want{403, 403, 303, 303, 303, 303}},
		{"POST", "/consultations/town/open", want{403, 404, 303, 404, 303, 404}},
		{"GET", "/admin", want{403, 403, 403, 403, 200, 200}},
		{"POST", "/signout", want{303, 303, 303, 303, 303, 303}},
	}
	for _, tc := range pages {
		for i, name := range names {
			t.Run("page "+tc.method+" "+tc.path+" as "+name, func(t *testing.T) {
				b := f.signIn(t, name)
				var res *http.Response
				var body string
				if tc.method == "POST" {
					res, body = b.post(tc.path, url.Values{"csrf": {b.csrf}})
				} else {
					res, body = b.get(tc.path)
				}
				if res.StatusCode != tc.want[i] {
					t.Errorf("got %d, want %d:\n%.300s", res.StatusCode, tc.want[i], body)
				}
			})
		}
	}

	t.Run("releases by scope", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			want []string
		}{{admin, []string{"quiet", "town"}}, {scopedAdmin, []string{"quiet"}}} {
			_, body := f.api(t, "GET", "/api/v1/releases", tc.name)
			var rel []store.Release
			if err := json.Unmarshal([]byte(body), &rel); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, r := range rel {
				seen[r.Consultation] = true
			}
			if len(seen) != len(tc.want) {
				t.Errorf("%s: releases of %v, want %v", tc.name, seen, tc.want)
			}
			for _, c := range tc.want {
				if !seen[c] {
					t.Errorf("%s: no release of %s", tc.name, c)
				}
			}
			b := f.signIn(t, tc.name)
			_, page := b.get("/admin")
			if got := strings.Contains(page, "<td>town</td>"); got != (len(tc.want) == 2) {
				t.Errorf("%s: admin page shows town's releases: %v", tc.name, got)
			}
		}
	})
}

var reTokenShown = regexp.MustCompile(`<code>(bz_[A-Za-z0-9_-]{43})</code>`)

// TestTokensByScope: a scoped admin creates only tokens within its scope
// and role, lists only those it created, and cannot revoke wider ones; an
// unscoped admin sees and revokes everything.
func TestTokensByScope(t *testing.T) {
	f := scopeFixture(t)
	sa := f.signIn(t, scopedAdmin)
	create := func(b *browser, role, name, scope string) (int, string) {
		res, body := b.post("/admin/tokens", url.Values{"csrf": {b.csrf}, "role": {role}, "name": {name}, "scope": {scope}})
		m := reTokenShown.FindStringSubmatch(body)
		if m == nil {
			return res.StatusCode, ""
		}
		return res.StatusCode, m[1]
	}
	tests := []struct {
		role, name, scope string
		want              int
	}{
		{"official", "q-official", "quiet", 200},
		{"admin", "q-admin", "quiet", 200},
		{"official", "everything", "", 403},
		{"official", "star", "*", 403},
		{"official", "town-reader", "town", 403},
		{"official", "both", "quiet,town", 403},
		{"owner", "bad-role", "quiet", 403},
	}
	made := map[string]string{}
	for _, tc := range tests {
		code, tok := create(sa, tc.role, tc.name, tc.scope)
		if code != tc.want {
			t.Errorf("scoped admin creates %s %q scope %q: got %d, want %d", tc.role, tc.name, tc.scope, code, tc.want)
		}
		if code == 200 {
			if tok == "" {
				t.Errorf("created %s: token not shown", tc.name)
			}
			made[tc.name] = tok
		}
	}
	// The new token works, within its scope.
	rt := &fixture{env: f.env, srv: f.srv, tokens: map[string]string{"new": made["q-official"]}}
	if res, _ := rt.api(t, "GET", "/api/v1/consultations/quiet/summary", "new"); res.StatusCode != 200 {
		t.Errorf("new scoped token on quiet: got %d, want 200", res.StatusCode)
	}
	if res, _ := rt.api(t, "GET", "/api/v1/consultations/town/summary", "new"); res.StatusCode != 404 {
		t.Errorf("new scoped token on town: got %d, want 404", res.StatusCode)
	}

	// Listing: the scoped admin sees itself and what it made, nothing wider.
	_, page := sa.get("/admin")
	for _, n := range []string{scopedAdmin, "q-official", "q-admin"} {
		if !strings.Contains(page, ">"+n+"<") {
			t.Errorf("scoped admin's list lacks %s", n)
		}
	}
	for _, n := range []string{admin, official, scoped, facilitator, scopedFac} {
		if strings.Contains(page, ">"+n+"<") {
			t.Errorf("scoped admin's list shows %s", n)
		}
	}
	// Revoking: not the wider admin, nor a token it did not make; yes its own.
	for _, n := range []string{admin, official, scoped, scopedFac} {
		res, _ := sa.post(fmt.Sprintf("/admin/tokens/%s/revoke", f.ids[n]), url.Values{"csrf": {sa.csrf}})
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("scoped admin revokes %s: got %d, want 404", n, res.StatusCode)
		}
		if _, err := f.env.Store.Authenticate(context.Background(), f.tokens[n]); err != nil {
			t.Errorf("%s no longer works after a refused revoke: %v", n, err)
		}
	}
	toks, _ := f.env.Store.ListTokens(context.Background())
	for _, x := range toks {
		if x.Name == "q-official" {
			res, _ := sa.post("/admin/tokens/"+x.ID+"/revoke", url.Values{"csrf": {sa.csrf}})
			if res.StatusCode != http.StatusSeeOther {
				t.Errorf("scoped admin revokes its own token: got %d, want 303", res.StatusCode)
			}
		}
	}
	if _, err := f.env.Store.Authenticate(context.Background(), made["q-official"]); err == nil {
		t.Errorf("revoked token still works")
	}

	// The unscoped admin sees every token and may make unscoped ones.
	a := f.signIn(t, admin)
	_, page = a.get("/admin")
	for _, n := range []string{scopedAdmin, "q-admin", official, scopedFac} {
		if !strings.Contains(page, ">"+n+"<") {
			t.Errorf("admin's list lacks %s", n)
		}
	}
	if code, tok := create(a, "official", "all-reader", ""); code != 200 || tok == "" {
		t.Errorf("admin creates an unscoped token: got %d", code)
	}
	// A facilitator may not create tokens at all.
	fb := f.signIn(t, facilitator)
	if code, _ := create(fb, "official", "x", "quiet"); code != http.StatusForbidden {
		t.Errorf("facilitator creates a token: got %d, want 403", code)
	}
}
