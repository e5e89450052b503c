package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// TestPagesByRole checks every dashboard route for every role: allowed,
// refused (403), out of scope (404), and without a session (to sign-in).
func TestPagesByRole(t *testing.T) {
	f := newFixture(t)
	browsers := map[string]*browser{
		"":          f.browser(t),
		official:    f.signIn(t, official),
		scoped:      f.signIn(t, scoped),
		facilitator: f.signIn(t, facilitator),
		admin:       f.signIn(t, admin),
	}
	type want map[string]int // token name ("" none) -> status
	all := func(none, off, sc, fac, adm int) want {
		return want{"": none, official: off, scoped: sc, facilitator: fac, admin: adm}
	}
	tests := []struct {
		method, path string
		want         want
	}{
		{"GET", "/", all(200, 200, 200, 200, 200)},
		{"GET", "/consultations/town", all(303, 200, 404, 200, 200)},
		{"GET", "/consultations/quiet", all(303, 200, 200, 200, 200)},
		{"GET", "/consultations/no-such", all(303, 404, 404, 404, 404)},
		{"GET", "/consultations/town/export.csv", all(303, 200, 404, 200, 200)},
		{"GET", "/consultations/town/export.xlsx", all(303, 200, 404, 200, 200)},
		{"GET", "/consultations/town/export.json", all(303, 200, 404, 200, 200)},
		{"GET", "/consultations/quiet/export.json", all(303, 200, 200, 200, 200)},
		{"GET", "/consultations/town/qr.png", all(303, 403, 404, 200, 200)},
		{"GET", "/consultations/town/qr.svg", all(303, 403, 404, 200, 200)},
		{"GET", "/admin", all(303, 403, 403, 403, 200)},
		{"POST", "/consultations/quiet/close", all(303, 403, 403, 303, 303)},
		{"POST", "/consultations/quiet/open", all(303, 403, 403, 303, 303)},
		{"POST", "/consultations/town/close", all(303, 403, 404, 303, 303)},
		{"GET", "/public/town", all(200, 200, 200, 200, 200)},
		{"GET", "/public/quiet", all(404, 404, 404, 404, 404)},
		{"GET", "/public/no-such", all(404, 404, 404, 404, 404)},
		{"GET", "/static/style.css", all(200, 200, 200, 200, 200)},
	}
	for _, tc := range tests {
		for name, b := range browsers {
			t.Run(tc.method+" "+tc.path+" as "+name, func(t *testing.T) {
				var res *http.Response
				var body string
				if tc.method == "POST" {
					res, body = b.post(tc.path, url.Values{"csrf": {b.csrf}})
				} else {
					res, body = b.get(tc.path)
				}
				if res.StatusCode != tc.want[name] {
					t.Errorf("got %d, want %d:\n%.600s", res.StatusCode, tc.want[name], body)
				}
				if name == "" && res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") != "/" {
					t.Errorf("redirect: got %q, want /", res.Header.Get("Location"))
				}
			})
		}
	}
}

func TestAPIByRole(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		method, path string
		want         map[string]int
	}{
		{"GET", "/api/v1/consultations", map[string]int{"": 401, official: 200, scoped: 200, facilitator: 200, admin: 200}},
		{"GET", "/api/v1/consultations/town/summary", map[string]int{"": 401, official: 200, scoped: 404, facilitator: 200, admin: 200}},
		{"GET", "/api/v1/consultations/town/export.csv", map[string]int{"": 401, official: 200, scoped: 404, facilitator: 200, admin: 200}},
		{"GET", "/api/v1/consultations/town/texts", map[string]int{"": 401, official: 200, scoped: 404, facilitator: 200, admin: 200}},
		{"GET", "/api/v1/consultations/no-such/summary", map[string]int{"": 401, official: 404, scoped: 404, facilitator: 404, admin: 404}},
		{"POST", "/api/v1/consultations/town/close", map[string]int{"": 401, official: 403, scoped: 404, facilitator: 200, admin: 200}},
		{"POST", "/api/v1/consultations/town/open", map[string]int{"": 401, official: 403, scoped: 404, facilitator: 200, admin: 200}},
		{"GET", "/api/v1/releases", map[string]int{"": 401, official: 403, scoped: 403, facilitator: 403, admin: 200}},
		{"POST", "/api/v1/scripts/reload", map[string]int{"": 401, official: 403, scoped: 403, facilitator: 403, admin: 200}},
	}
	for _, tc := range tests {
		for name, code := range tc.want {
			t.Run(tc.method+" "+tc.path+" as "+name, func(t *testing.T) {
				res, body := f.api(t, tc.method, tc.path, name)
				if res.StatusCode != code {
					t.Errorf("got %d, want %d: %s", res.StatusCode, code, body)
				}
			})
		}
	}
	t.Run("scoped list shows only its consultations", func(t *testing.T) {
		_, body := f.api(t, "GET", "/api/v1/consultations", scoped)
		var list []struct{ ID string }
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != "quiet" {
			t.Errorf("got %+v, want only quiet", list)
		}
	})
	t.Run("reload refused shows the report", func(t *testing.T) {
		f.reloadErr = errors.New("town.yaml:3: kind: want consultation or report")
		defer func() { f.reloadErr = nil }()
		res, body := f.api(t, "POST", "/api/v1/scripts/reload", admin)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "town.yaml:3") {
			t.Errorf("got %d %s, want 422 with the report", res.StatusCode, body)
		}
	})
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	t.Run("cookie attributes", func(t *testing.T) {
		b := f.browser(t)
		_, body := b.get("/")
		csrf := reCSRF.FindStringSubmatch(body)[1]
		res, _ := b.post("/signin", url.Values{"csrf": {csrf}, "token": {f.tokens[official]}})
		var c *http.Cookie
		for _, x := range res.Cookies() {
			if x.Name == sessionCookie {
				c = x
			}
		}
		if c == nil {
			t.Fatalf("no session cookie in %v", res.Header["Set-Cookie"])
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.MaxAge != int((8*time.Hour)/time.Second) {
			t.Errorf("cookie: got HttpOnly=%v SameSite=%v Secure=%v MaxAge=%d, want HttpOnly, Strict, not Secure on plain HTTP, 8h",
				c.HttpOnly, c.SameSite, c.Secure, c.MaxAge)
		}
		if strings.Contains(c.Value, f.tokens[official]) {
			t.Errorf("the cookie holds the token")
		}
	})
	t.Run("secure cookie when Deps.Secure", func(t *testing.T) {
		fs := newFixture(t, func(d *Deps) { d.Secure = true })
		b := fs.browser(t)
		_, body := b.get("/")
		csrf := reCSRF.FindStringSubmatch(body)[1]
		res, _ := b.post("/signin", url.Values{"csrf": {csrf}, "token": {fs.tokens[official]}})
		for _, x := range res.Cookies() {
			if x.Name == sessionCookie && !x.Secure {
				t.Errorf("session cookie not Secure with Deps.Secure")
			}
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		b := f.browser(t)
		_, body := b.get("/")
		csrf := reCSRF.FindStringSubmatch(body)[1]
		for _, tok := range []string{"bz_" + strings.Repeat("A", 43), "nonsense", ""} {
			res, body := b.post("/signin", url.Values{"csrf": {csrf}, "token": {tok}})
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not valid") {
				t.Errorf("token %q: got %d, want 401 with a message", tok, res.StatusCode)
			}
		}
	})
	t.Run("csrf", func(t *testing.T) {
		b := f.browser(t)
		_, body := b.get("/")
		csrf := reCSRF.FindStringSubmatch(body)[1]
		for _, tc := range []struct {
			name   string
			form   url.Values
			header []string
		}{
			{"missing", url.Values{"token": {f.tokens[official]}}, nil},
			{"wrong", url.Values{"csrf": {csrf + "x"}, "token": {f.tokens[official]}}, nil},
			{"cross-site", url.Values{"csrf": {csrf}, "token": {f.tokens[official]}}, []string{"Sec-Fetch-Site", "cross-site"}},
			{"foreign origin", url.Values{"csrf": {csrf}, "token": {f.tokens[official]}}, []string{"Origin", "https://evil.example"}},
		} {
			res, _ := b.post("/signin", tc.form, tc.header...)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: got %d, want 403", tc.name, res.StatusCode)
			}
		}
	})
	t.Run("sign out ends the session", func(t *testing.T) {
		b := f.signIn(t, official)
		res, _ := b.post("/signout", url.Values{"csrf": {b.csrf}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: got %d, want 303", res.StatusCode)
		}
		res, body := b.get("/")
		if !strings.Contains(body, `name="token"`) {
			t.Errorf("after sign-out GET /: got %d without the sign-in form", res.StatusCode)
		}
	})
	t.Run("revoked token ends the session", func(t *testing.T) {
		b := f.signIn(t, facilitator)
		if err := f.env.Store.RevokeToken(context.Background(), facilitator); err != nil {
			t.Fatal(err)
		}
		res, _ := b.get("/consultations/town")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/?expired=1" {
			t.Errorf("got %d %q, want 303 to /?expired=1", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

func TestFormCSRF(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, facilitator)
	other := f.signIn(t, admin)
	for _, tc := range []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"missing", url.Values{}, nil},
		{"wrong", url.Values{"csrf": {"0123456789abcdef0123456789abcdef"}}, nil},
		{"another session's", url.Values{"csrf": {other.csrf}}, nil},
		{"cross-site", url.Values{"csrf": {b.csrf}}, []string{"Sec-Fetch-Site", "cross-site"}},
	} {
		for _, path := range []string{"/consultations/town/close", "/signout"} {
			res, _ := b.post(path, tc.form, tc.header...)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s: got %d, want 403", tc.name, path, res.StatusCode)
			}
		}
	}
	st, err := f.env.Consult.Statuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st["town"] != "open" {
		t.Errorf("status after refused posts: got %q, want open", st["town"])
	}
	res, _ := b.post("/consultations/town/close", url.Values{"csrf": {b.csrf}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("close with csrf: got %d, want 303", res.StatusCode)
	}
	st, _ = f.env.Consult.Statuses(context.Background())
	if st["town"] != "closed" {
		t.Errorf("status: got %q, want closed", st["town"])
	}
}

func TestSessionExpires(t *testing.T) {
	f := newFixture(t, func(d *Deps) { d.SessionTTL = 200 * time.Millisecond })
	b := f.signIn(t, official)
	testenv.WaitFor(t, 10*time.Second, "the session to expire", func() bool {
		res, _ := b.get("/consultations/town")
		return res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") == "/?expired=1"
	})
	_, body := b.get("/?expired=1")
	if !strings.Contains(body, "session has ended") {
		t.Errorf("sign-in page after expiry does not say so")
	}
}

func TestLiveMount(t *testing.T) {
	f := newFixture(t)
	_, body := f.browser(t).get("/live/town")
	if body != "live /live/town signed-in=false name=" {
		t.Errorf("anonymous: got %q", body)
	}
	b := f.signIn(t, facilitator)
	_, body = b.get("/api/v1/live/town")
	if body != "live /api/v1/live/town signed-in=true name="+facilitator {
		t.Errorf("signed in: got %q", body)
	}
}

// TestViewLink: facilitators see a signed projector link to the live
// view; officials do not.
func TestViewLink(t *testing.T) {
	f := newFixture(t, func(d *Deps) {
		d.ViewLink = func(id string) string { return "https://baraza.example/live/" + id + "?v=99.signed" }
	})
	_, page := f.signIn(t, facilitator).get("/consultations/town")
	if !strings.Contains(page, `href="https://baraza.example/live/town?v=99.signed"`) || !strings.Contains(page, "without sign-in") {
		t.Errorf("facilitator page lacks the projector link")
	}
	_, page = f.signIn(t, official).get("/consultations/town")
	if strings.Contains(page, "99.signed") {
		t.Errorf("official page shows the projector link")
	}
}

func TestQRDownload(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, facilitator)
	res, body := b.get("/consultations/town/qr.png")
	if res.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(body, "\x89PNG") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "town-invite.png") {
		t.Errorf("png: got %q %q", res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	res, _ = b.get("/consultations/town/qr.svg")
	if res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("svg: got %q", res.Header.Get("Content-Type"))
	}
	_, page := b.get("/consultations/town")
	for _, s := range []string{"https://baraza.example/chat?start=town", `href="/consultations/town/qr.svg"`, `href="/live/town"`} {
		if !strings.Contains(page, s) {
			t.Errorf("facilitator page lacks %q", s)
		}
	}
	_, page = f.signIn(t, official).get("/consultations/town")
	if strings.Contains(page, "qr.png") || strings.Contains(page, "/live/town") || strings.Contains(page, `action="/consultations/town/close"`) {
		t.Errorf("official page shows facilitator controls")
	}
}

func TestReleaseLog(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, official)
	res, body := b.get("/consultations/town/export.csv")
	if res.StatusCode != 200 || !strings.HasPrefix(strings.TrimPrefix(body, "\ufeff"), "question_id,option_id,by_question_id,by_option_id,count,suppressed,question,option") {
		t.Fatalf("csv: got %d %.200q", res.StatusCode, body)
	}
	// A read refused for scope is no release.
	if res, _ := f.api(t, "GET", "/api/v1/consultations/town/summary", scoped); res.StatusCode != http.StatusNotFound {
		t.Fatalf("scoped token outside its scope: got %d, want 404", res.StatusCode)
	}
	f.api(t, "GET", "/api/v1/consultations/town/export.json", facilitator)
	res, body = f.api(t, "GET", "/api/v1/releases", admin)
	var rel []store.Release
	if err := json.Unmarshal([]byte(body), &rel); err != nil || res.StatusCode != 200 {
		t.Fatalf("releases: %d %v %s", res.StatusCode, err, body)
	}
	want := []struct{ name, format string }{{facilitator, "json"}, {official, "csv"}}
	if len(rel) != len(want) {
		t.Fatalf("releases: got %d entries %+v, want %d (a refused read is not a release)", len(rel), rel, len(want))
	}
	for i, w := range want {
		if rel[i].TokenName != w.name || rel[i].Format != w.format || rel[i].Consultation != "town" || rel[i].K != 5 || rel[i].Time.IsZero() {
			t.Errorf("release %d: got %+v, want %s %s town k=5", i, rel[i], w.name, w.format)
		}
	}
	_, page := f.signIn(t, admin).get("/admin")
	for _, s := range []string{"Release log", official, "csv", facilitator, "Access tokens", scoped, "quiet"} {
		if !strings.Contains(page, s) {
			t.Errorf("admin page lacks %q", s)
		}
	}
	if strings.Contains(page, f.tokens[official]) {
		t.Errorf("admin page shows a token")
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, official)
	for _, path := range []string{"/", "/consultations/town", "/public/town", "/consultations/no-such"} {
		res, body := b.get(path)
		csp := res.Header.Get("Content-Security-Policy")
		if csp != pageCSP {
			t.Errorf("%s: CSP got %q, want %q", path, csp, pageCSP)
		}
		if strings.Contains(body, "<script") || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
			t.Errorf("%s: inline script or style in the page", path)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control got %q, want no-store", path, res.Header.Get("Cache-Control"))
		}
	}
	if logs := f.env.Logs.String(); strings.Contains(logs, f.tokens[official]) || strings.Contains(logs, "street lights") {
		t.Errorf("logs hold a token or a comment")
	}
}

func TestRevokeFromAdminPage(t *testing.T) {
	f := newFixture(t)
	victim := f.signIn(t, scoped)
	adm := f.signIn(t, admin)
	off := f.signIn(t, official)
	path := "/admin/tokens/" + f.ids[scoped] + "/revoke"
	for _, tc := range []struct {
		name string
		b    *browser
		path string
		csrf string
		want int
	}{
		{"official", off, path, off.csrf, 403},
		{"admin without csrf", adm, path, "", 403},
		{"admin, own token", adm, "/admin/tokens/" + f.ids[admin] + "/revoke", adm.csrf, 403},
		{"admin, unknown token", adm, "/admin/tokens/0123456789ab/revoke", adm.csrf, 404},
		{"admin", adm, path, adm.csrf, 303},
	} {
		res, _ := tc.b.post(tc.path, url.Values{"csrf": {tc.csrf}})
		if res.StatusCode != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, res.StatusCode, tc.want)
		}
	}
	res, _ := victim.get("/consultations/quiet")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/?expired=1" {
		t.Errorf("revoked token's session: got %d %q, want 303 to /?expired=1", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := f.api(t, "GET", "/api/v1/consultations", scoped); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token on the API: got %d, want 401", res.StatusCode)
	}
}

// TestPanicLogHoldsNoRequestData: a handler's panic becomes a 500 and a log
// line with the panic's type and the route pattern, never the panic value,
// the path or the query, which could carry what a respondent sent.
func TestPanicLogHoldsNoRequestData(t *testing.T) {
	f := newFixture(t, func(d *Deps) {
		d.Live = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic(errors.New("boom with " + r.URL.RawQuery + " at " + r.URL.Path))
		})
	})
	res, _ := f.browser(t).get("/live/secret-path-7f3a?note=call+me+on+0712345678")
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("panicking handler: got %d, want 500", res.StatusCode)
	}
	logs := f.env.Logs.String()
	for _, want := range []string{`"msg":"handler panic"`, `"route":"/live/"`, `"panic_type":"*errors.errorString"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, leak := range []string{"0712345678", "secret-path-7f3a", "boom"} {
		if strings.Contains(logs, leak) {
			t.Errorf("logs hold %q from the request or the panic value:\n%s", leak, logs)
		}
	}
}
