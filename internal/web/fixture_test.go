package web

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files and the screenshot in testdata/")

// fixture is the whole core on a private redis-server, the test scripts
// with fixed answers, four tokens, and the web server on an httptest
// server.
type fixture struct {
	env    *testenv.Env
	srv    *httptest.Server
	tokens map[string]string // token name -> raw token
	ids    map[string]string // token name -> token ID
	// reloadErr is what Deps.Reload returns.
	reloadErr error
	reloads   int
}

// Token names of the fixture.
const (
	official    = "alice-official"
	scoped      = "bob-scoped"
	facilitator = "fatuma-facilitator"
	admin       = "amina-admin"
)

func loadScript(t testing.TB, file string) *dialogs.Script {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	s, err := dialogs.Load(file, data)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return s
}

func newFixture(t testing.TB, change ...func(*Deps)) *fixture {
	t.Helper()
	env := testenv.New(t)
	f := &fixture{env: env, tokens: map[string]string{}, ids: map[string]string{}}
	mine := []*dialogs.Script{loadScript(t, "town.yaml"), loadScript(t, "quiet.yaml"), loadScript(t, "reports.yaml")}
	env.Catalog.Replace(append(env.Catalog.All(), mine...))
	seed(t, env)
	ctx := context.Background()
	for _, tk := range []struct {
		name, role string
		scope      []string
	}{
		{official, store.RoleOfficial, nil},
		{scoped, store.RoleOfficial, []string{"quiet"}},
		{facilitator, store.RoleFacilitator, nil},
		{admin, store.RoleAdmin, nil},
	} {
		raw, tok, err := env.Store.CreateToken(ctx, tk.role, tk.name, tk.scope)
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		f.tokens[tk.name], f.ids[tk.name] = raw, tok.ID
	}
	d := Deps{
		Store:   env.Store,
		Consult: env.Consult,
		Logger:  env.Logger,
		Live: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, ok := TokenFrom(r.Context())
			fmt.Fprintf(w, "live %s signed-in=%v name=%s", r.URL.Path, ok, t.Name)
		}),
		Reload: func(ctx context.Context) error { f.reloads++; return f.reloadErr },
		Invite: func(id string) (map[string]string, []byte, []byte, error) {
			return map[string]string{"web chat": "https://baraza.example/chat?start=" + id},
				[]byte("\x89PNG\r\n\x1a\nqr-" + id), []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"><title>" + id + "</title></svg>"), nil
		},
	}
	for _, c := range change {
		c(&d)
	}
	f.srv = httptest.NewServer(NewServer(d))
	t.Cleanup(f.srv.Close)
	return f
}

// seed answers the test scripts through the real counting path
// (results.Increments and store.Apply), with fixed answers:
//
//	town: 40 started, 32 completed; area north 18, south 9, east 3, west 2;
//	      gender 16/16; safe 1:2 2:5 3:10 4:8 5:7; lit 1:5 2:6 3:7 4:7 5:7;
//	      incidents theft 11, harassment 8, none 16; 6 comments.
//	quiet: 4 started, 3 completed (fewer than k).
//
// and then makes the releases (town and reports; quiet has none).
//
//	reports: 6 reports in 2026-W01, 8 in 2026-W02, 2 in 2026-W03.
func seed(t testing.TB, env *testenv.Env) {
	t.Helper()
	ctx := context.Background()
	apply := func(id, key string, incr []string, texts map[string]string) {
		if _, err := env.Store.Apply(ctx, store.Completion{Consultation: id, Key: key, Incr: incr, Texts: texts}); err != nil {
			t.Fatalf("apply: %v", err)
		}
	}
	town := env.Catalog.Get("town")
	safe := []string{"1", "1", "2", "2", "2", "2", "2"}
	safe = append(safe, repeat("3", 10)...)
	safe = append(safe, repeat("4", 8)...)
	safe = append(safe, repeat("5", 7)...)
	lit := append(append(append(append(repeat("1", 5), repeat("2", 6)...), repeat("3", 7)...), repeat("4", 7)...), repeat("5", 7)...)
	for i := range 40 {
		apply("town", fmt.Sprintf("start-%d", i), []string{results.FieldStarted}, nil)
	}
	for i := range 32 {
		a := dialogs.Answers{}
		switch {
		case i < 18:
			a["area"] = dialogs.Answer{Options: []string{"north"}}
		case i < 27:
			a["area"] = dialogs.Answer{Options: []string{"south"}}
		case i < 30:
			a["area"] = dialogs.Answer{Options: []string{"east"}}
		default:
			a["area"] = dialogs.Answer{Options: []string{"west"}}
		}
		a["gender"] = dialogs.Answer{Options: []string{[]string{"woman", "man"}[i%2]}}
		a["safe"] = dialogs.Answer{Options: []string{safe[i]}}
		a["lit"] = dialogs.Answer{Options: []string{lit[i]}}
		var inc []string
		if i%3 == 0 {
			inc = append(inc, "theft")
		}
		if i%4 == 0 {
			inc = append(inc, "harassment")
		}
		if len(inc) == 0 {
			inc = []string{"none"}
		}
		a["incidents"] = dialogs.Answer{Options: inc}
		if i < 6 {
			a["story"] = dialogs.Answer{Text: fmt.Sprintf("Comment number %d: more street lights please", i)}
			if i == 0 {
				a["story"] = dialogs.Answer{Text: "The lamp by the market is broken, call me on +254 712 345 678"}
			}
		}
		apply("town", fmt.Sprintf("done-%d", i), results.Increments(town, a, ""), results.TextAnswers(town, a))
	}
	quiet := env.Catalog.Get("quiet")
	for i := range 4 {
		apply("quiet", fmt.Sprintf("start-%d", i), []string{results.FieldStarted}, nil)
	}
	for i := range 3 {
		a := dialogs.Answers{"area": {Options: []string{"north"}}, "story": {Text: "a secret comment"}}
		apply("quiet", fmt.Sprintf("done-%d", i), results.Increments(quiet, a, ""), results.TextAnswers(quiet, a))
	}
	reports := env.Catalog.Get("reports")
	n := 0
	for w, count := range map[string]int{"2026-W01": 6, "2026-W02": 8, "2026-W03": 2} {
		for i := range count {
			a := dialogs.Answers{
				"category": {Options: []string{[]string{"theft", "assault"}[i%2]}},
				"area":     {Options: []string{[]string{"north", "south"}[i/4%2]}},
			}
			apply("reports", fmt.Sprintf("r-%d", n), results.Increments(reports, a, w), nil)
			n++
		}
	}
	// Readers see releases: make them, as the release loop would.
	env.Release(t)
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each 303.
type browser struct {
	t    testing.TB
	f    *fixture
	c    *http.Client
	csrf string // the signed-in session's CSRF token
}

func (f *fixture) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in with the named token and remembers the page's CSRF token.
func (f *fixture) signIn(t testing.TB, name string) *browser {
	t.Helper()
	b := f.browser(t)
	res, body := b.get("/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /: got %d, want 200", res.StatusCode)
	}
	m := reCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("sign-in page has no csrf field:\n%s", body)
	}
	res, body = b.post("/signin", url.Values{"csrf": {m[1]}, "token": {f.tokens[name]}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("sign in as %s: got %d %q, want 303 to /:\n%s", name, res.StatusCode, res.Header.Get("Location"), body)
	}
	res, body = b.get("/")
	m = reCSRF.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("after sign-in GET /: got %d, want 200 with a sign-out form:\n%s", res.StatusCode, body)
	}
	b.csrf = m[1]
	return b
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		b.t.Fatalf("read body: %v", err)
	}
	return res, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values, header ...string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// api calls the JSON API with the named token ("" for none).
func (f *fixture) api(t testing.TB, method, path, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[token])
	}
	return f.browser(t).do(req)
}
