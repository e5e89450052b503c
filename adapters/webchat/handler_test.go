package webchat_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
)

// recorder is a Handler that records events and answers with resp/err.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
	resp   bot.Response
	err    error
}

func (r *recorder) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return r.resp, r.err
}

func (r *recorder) seen() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Event(nil), r.events...)
}

func startChat(t *testing.T, cfg webchat.Config, h bot.Handler) (*webchat.Adapter, *httptest.Server) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	a := webchat.New(cfg)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	adaptertest.Start(t, a, h)
	return a, srv
}

func postRaw(t *testing.T, url, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/chat/api/event", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func jsonError(t *testing.T, body string) string {
	t.Helper()
	var e struct{ Error string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Errorf("error body: got %q, want JSON {\"error\": ...}", body)
	}
	return e.Error
}

func TestBadBodies(t *testing.T) {
	rec := &recorder{}
	_, srv := startChat(t, webchat.Config{}, rec)
	const id = `"id":"abcdefgh12345678"`
	tests := []struct{ name, body string }{
		{"empty", ``},
		{"not JSON", `hello`},
		{"array", `[1,2]`},
		{"truncated", `{"id":"abcdefgh12345678","text":"hi"`},
		{"trailing", `{` + id + `,"text":"hi"} {"x":1}`},
		{"no id", `{"text":"hi"}`},
		{"short id", `{"id":"abc","text":"hi"}`},
		{"id with slash", `{"id":"abcdefgh/2345678","text":"hi"}`},
		{"nothing", `{` + id + `}`},
		{"text and data", `{` + id + `,"text":"hi","data":"a:1"}`},
		{"command and text", `{` + id + `,"text":"hi","command":"start"}`},
		{"blank text", `{` + id + `,"text":"   "}`},
		{"text too long", `{` + id + `,"text":"` + strings.Repeat("é", webchat.MaxText+1) + `"}`},
		{"bad command", `{` + id + `,"command":"st art"}`},
		{"command too long", `{` + id + `,"command":"` + strings.Repeat("a", 33) + `"}`},
		{"arg with newline", `{` + id + `,"command":"start","arg":"a\nb"}`},
		{"data not ASCII", `{` + id + `,"data":"é"}`},
		{"data too long", `{` + id + `,"data":"` + strings.Repeat("a", 65) + `"}`},
		{"data control", `{` + id + `,"data":"a\u0001"}`},
		{"bad ref", `{` + id + `,"data":"a:1","ref":"<script>"}`},
		{"wrong type", `{` + id + `,"text":5}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := postRaw(t, srv.URL, tc.body, nil)
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("got status %d, want 400 (body %s)", res.StatusCode, body)
			}
			jsonError(t, body)
		})
	}
	if n := len(rec.seen()); n != 0 {
		t.Errorf("events passed to the handler: got %d, want 0", n)
	}
}

func TestOversizedAndContentType(t *testing.T) {
	rec := &recorder{}
	_, srv := startChat(t, webchat.Config{}, rec)

	big := `{"id":"abcdefgh12345678","text":"` + strings.Repeat("a", webchat.MaxBody) + `"}`
	res, body := postRaw(t, srv.URL, big, nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("oversized: got status %d, want 400", res.StatusCode)
	}
	if e := jsonError(t, body); !strings.Contains(e, "larger") {
		t.Errorf("oversized: got error %q, want it to say the body is too large", e)
	}

	res, body = postRaw(t, srv.URL, `{"id":"abcdefgh12345678","text":"hi"}`, map[string]string{"Content-Type": "text/plain"})
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: got status %d, want 415", res.StatusCode)
	}
	jsonError(t, body)
	if n := len(rec.seen()); n != 0 {
		t.Errorf("events passed to the handler: got %d, want 0", n)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	rec := &recorder{resp: bot.Response{Messages: []bot.Message{{Text: "ok"}}}}
	_, srv := startChat(t, webchat.Config{}, rec)
	const body = `{"id":"abcdefgh12345678","text":"hi"}`
	tests := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign origin", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"same origin", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": srv.URL}, http.StatusOK},
		{"same origin by Origin", map[string]string{"Origin": srv.URL}, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rec.seen())
			res, b := postRaw(t, srv.URL, body, tc.hdr)
			if res.StatusCode != tc.want {
				t.Errorf("got status %d, want %d (%s)", res.StatusCode, tc.want, b)
			}
			passed := len(rec.seen()) - before
			if want := map[bool]int{true: 1, false: 0}[tc.want == http.StatusOK]; passed != want {
				t.Errorf("events passed to the handler: got %d, want %d", passed, want)
			}
			if tc.want == http.StatusForbidden {
				jsonError(t, b)
			}
		})
	}
}

// hex32 is a server-issued identity: 128 random bits and their HMAC.
var hex32 = regexp.MustCompile(`^[0-9a-f]{32}\.[A-Za-z0-9_-]{22}$`)

// idOf is the identity part of a cookie value (what Event.User carries).
func idOf(v string) string { id, _, _ := strings.Cut(v, "."); return id }

func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		rec := &recorder{resp: bot.Response{Messages: []bot.Message{{Text: "hello"}}}}
		_, srv := startChat(t, webchat.Config{Secure: secure}, rec)

		res, _ := postRaw(t, srv.URL, `{"id":"abcdefgh00000001","command":"start"}`, nil)
		cs := res.Cookies()
		if len(cs) != 1 {
			t.Fatalf("Secure=%v: got %d cookies, want 1", secure, len(cs))
		}
		c := cs[0]
		if c.Name != webchat.CookieName || !hex32.MatchString(c.Value) {
			t.Errorf("cookie: got %s=%q, want %s=<32 hex digits>.<mac>", c.Name, c.Value, webchat.CookieName)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/chat" || c.Secure != secure {
			t.Errorf("cookie attributes: got HttpOnly=%v SameSite=%v Path=%q Secure=%v, want true Strict /chat %v",
				c.HttpOnly, c.SameSite, c.Path, c.Secure, secure)
		}
		if c.MaxAge != 0 || !c.Expires.IsZero() {
			t.Errorf("cookie: got MaxAge %d Expires %v, want a session cookie", c.MaxAge, c.Expires)
		}
		ev := rec.seen()[0]
		if ev.User != idOf(c.Value) || ev.Chat != idOf(c.Value) || ev.Platform != "webchat" || !ev.Private {
			t.Errorf("event identity: got Platform %q Private %v, User/Chat equal to the cookie's identity: %v/%v", ev.Platform, ev.Private, ev.User == idOf(c.Value), ev.Chat == idOf(c.Value))
		}

		// With the cookie: no new cookie, same user.
		cookie := c.Name + "=" + c.Value
		res, _ = postRaw(t, srv.URL, `{"id":"abcdefgh00000002","text":"hi"}`, map[string]string{"Cookie": cookie})
		if len(res.Cookies()) != 0 {
			t.Errorf("second request: got a new cookie, want the session kept")
		}
		if got := rec.seen()[1].User; got != idOf(c.Value) {
			t.Errorf("second request: Event.User changed")
		}

		// A forged cookie value is replaced.
		res, _ = postRaw(t, srv.URL, `{"id":"abcdefgh00000003","text":"hi"}`, map[string]string{"Cookie": webchat.CookieName + "=1001"})
		if cs := res.Cookies(); len(cs) != 1 || !hex32.MatchString(cs[0].Value) {
			t.Errorf("forged cookie: got cookies %v, want a fresh random one", cs)
		}
		if got := rec.seen()[2].User; got == "1001" {
			t.Errorf("forged cookie: got Event.User %q, want a fresh random value", got)
		}

		// A well-formed value the client chose (the stuffing attack: a
		// fresh "identity" per request) is not trusted either.
		chosen := strings.Repeat("ab", 16)
		for _, v := range []string{chosen, chosen + ".AAAAAAAAAAAAAAAAAAAAAA", idOf(c.Value) + ".AAAAAAAAAAAAAAAAAAAAAA"} {
			res, _ = postRaw(t, srv.URL, `{"id":"abcdefgh00000005","text":"hi"}`, map[string]string{"Cookie": webchat.CookieName + "=" + v})
			if cs := res.Cookies(); len(cs) != 1 || !hex32.MatchString(cs[0].Value) {
				t.Errorf("client-chosen cookie %q: got cookies %v, want a fresh server-issued one", v, cs)
			}
			evs := rec.seen()
			if got := evs[len(evs)-1].User; got == idOf(v) {
				t.Errorf("client-chosen cookie %q: Event.User is the client's choice", v)
			}
		}

		// /stop rotates the session and says so.
		res, b := postRaw(t, srv.URL, `{"id":"abcdefgh00000004","command":"stop"}`, map[string]string{"Cookie": cookie})
		cs = res.Cookies()
		if len(cs) != 1 || cs[0].Value == c.Value || !hex32.MatchString(cs[0].Value) || !cs[0].HttpOnly {
			t.Errorf("/stop: got cookies %v, want one new session cookie", cs)
		}
		if !strings.Contains(b, `"reset":true`) {
			t.Errorf("/stop: got %s, want reset true", b)
		}
	}
}

func TestHandlerErrorIsRetry(t *testing.T) {
	rec := &recorder{err: errors.New("redis away")}
	_, srv := startChat(t, webchat.Config{}, rec)
	res, body := postRaw(t, srv.URL, `{"id":"abcdefgh12345678","text":"hi"}`, nil)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("handler error: got status %d Retry-After %q, want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if e := jsonError(t, body); e != "retry" {
		t.Errorf("handler error: got error %q, want %q", e, "retry")
	}
	if len(res.Cookies()) != 1 {
		t.Errorf("handler error on a first visit: got %d cookies, want the new session kept for the retry", len(res.Cookies()))
	}
}

func TestEventFields(t *testing.T) {
	rec := &recorder{resp: bot.Response{Messages: []bot.Message{{Text: "ok"}}}}
	_, srv := startChat(t, webchat.Config{}, rec)
	tests := []struct {
		body, acceptLang string
		want             bot.Event
	}{
		{`{"id":"n0000001aa","text":"  hello  "}`, "", bot.Event{Kind: bot.KindText, Text: "hello", ID: "n0000001aa", MessageRef: "n0000001aa"}},
		{`{"id":"n0000002aa","text":"/Start night-safety "}`, "", bot.Event{Kind: bot.KindCommand, Command: "start", Arg: "night-safety", ID: "n0000002aa", MessageRef: "n0000002aa"}},
		{`{"id":"n0000003aa","text":"/ not a command"}`, "", bot.Event{Kind: bot.KindText, Text: "/ not a command", ID: "n0000003aa", MessageRef: "n0000003aa"}},
		{`{"id":"n0000004aa","command":"/stop"}`, "", bot.Event{Kind: bot.KindCommand, Command: "stop", ID: "n0000004aa", MessageRef: "n0000004aa"}},
		{`{"id":"n0000005aa","data":"q:area|north","ref":"n0000002aa.0"}`, "", bot.Event{Kind: bot.KindButton, Data: "q:area|north", ID: "n0000005aa", MessageRef: "n0000002aa.0"}},
		{`{"id":"n0000006aa","command":"start","locale":"ar-EG"}`, "fr-FR,fr;q=0.9", bot.Event{Kind: bot.KindCommand, Command: "start", Locale: "ar-EG", ID: "n0000006aa", MessageRef: "n0000006aa"}},
		{`{"id":"n0000007aa","command":"start"}`, "fr-FR,fr;q=0.9", bot.Event{Kind: bot.KindCommand, Command: "start", Locale: "fr-FR", ID: "n0000007aa", MessageRef: "n0000007aa"}},
		{`{"id":"n0000008aa","command":"start","locale":"<bad>"}`, "", bot.Event{Kind: bot.KindCommand, Command: "start", ID: "n0000008aa", MessageRef: "n0000008aa"}},
	}
	for i, tc := range tests {
		res, body := postRaw(t, srv.URL, tc.body, map[string]string{"Accept-Language": tc.acceptLang})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: got status %d (%s), want 200", tc.body, res.StatusCode, body)
		}
		got := rec.seen()[i]
		if got.Network != "127.0.0.0/24" {
			t.Errorf("%s: Network %q, want the test client's 127.0.0.0/24", tc.body, got.Network)
		}
		got.Platform, got.User, got.Chat, got.Private, got.Network = "", "", "", false, ""
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.body, got, tc.want)
		}
	}
}

func TestReplyJSON(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3)
	rec := &recorder{resp: bot.Response{
		Notice: "Already answered",
		Erase:  &bot.Erase{},
		Messages: []bot.Message{
			{Text: "أين تسكن؟", Lang: "ar", Buttons: []bot.Button{{Label: "الشمال", Data: "a:1", Selected: true, Toggle: true}, {Label: "رجوع", Data: "nav:back", Nav: true}}},
			{Text: "Invite", Lang: "en", Image: png, ImageName: "invite.png", ReplaceButtons: true},
			{Text: "no lang", Image: []byte("not a png")},
		},
	}}
	_, srv := startChat(t, webchat.Config{}, rec)
	_, body := postRaw(t, srv.URL, `{"id":"abcdefgh12345678","text":"hi"}`, nil)
	var r apiReply
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Erase || !r.Reset || r.Notice != "Already answered" || len(r.Messages) != 3 {
		t.Fatalf("got %s, want erase, reset, notice and 3 messages", body)
	}
	m := r.Messages[0]
	if m.Dir != "rtl" || m.Lang != "ar" || m.ID != "abcdefgh12345678.0" || len(m.Buttons) != 2 || !m.Buttons[0].Selected || !m.Buttons[0].Toggle || m.Buttons[1].Toggle || !m.Buttons[1].Nav {
		t.Errorf("arabic message: got %+v", m)
	}
	if m := r.Messages[1]; m.Dir != "ltr" || m.Image != "data:image/png;base64,iVBORw0KGgoBAgM=" || !m.ReplaceButtons {
		t.Errorf("image message: got dir %q image %q replace %v", m.Dir, m.Image, m.ReplaceButtons)
	}
	if m := r.Messages[2]; m.Dir != "auto" || m.Image != "" {
		t.Errorf("message without lang and with a non-PNG image: got dir %q image %q, want auto and none", m.Dir, m.Image)
	}
}

func TestPageAndHeaders(t *testing.T) {
	_, srv := startChat(t, webchat.Config{BasePath: "/chat"}, &recorder{})
	for _, path := range []string{"/chat", "/chat/", "/chat?c=night-safety"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		page := string(b)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: got %d %s, want 200 HTML", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		for h, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
		} {
			if got := res.Header.Get(h); !strings.Contains(got, want) {
				t.Errorf("GET %s: header %s: got %q, want %q", path, h, got, want)
			}
		}
		if !strings.Contains(page, `<script src="/chat/static/app.js" defer></script>`) || !strings.Contains(page, `data-api="/chat/api/event"`) {
			t.Errorf("GET %s: page does not load /chat/static/app.js or name the API", path)
		}
		if regexp.MustCompile(`<script>|<script [^>]*>[^<]|\son[a-z]+=|style=`).MatchString(page) {
			t.Errorf("GET %s: page has inline script, handler or style (CSP default-src 'self' blocks them)", path)
		}
	}
	for path, ctype := range map[string]string{"/chat/static/app.js": "text/javascript", "/chat/static/app.css": "text/css"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s: got %d %q, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), ctype)
		}
	}
	res, _ := http.Get(srv.URL + "/chat/api/event")
	if res.StatusCode == 200 {
		t.Errorf("GET /chat/api/event: got 200, want an error")
	}
	res.Body.Close()
}

func TestInviteText(t *testing.T) {
	a := webchat.New(webchat.Config{PublicURL: "https://baraza.example.org/", BasePath: "chat"})
	link, how := a.InviteText("night-safety")
	if link != "https://baraza.example.org/chat?c=night-safety" || how == "" {
		t.Errorf("got %q, %q; want https://baraza.example.org/chat?c=night-safety and instructions", link, how)
	}
	link, how = webchat.New(webchat.Config{}).InviteText("night-safety")
	if link != "" || !strings.Contains(how, "/chat?c=night-safety") {
		t.Errorf("without PublicURL: got %q, %q; want no link and instructions naming /chat?c=night-safety", link, how)
	}
	if got := a.Name(); got != "webchat" {
		t.Errorf("Name: got %q, want webchat", got)
	}
}

// TestShutdownWaitsForInFlight: Run returns only after a request being
// handled has finished, and later requests get 503.
func TestShutdownWaitsForInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := bot.HandlerFunc(func(ctx context.Context, ev bot.Event) (bot.Response, error) {
		close(entered)
		<-release
		return bot.Response{Messages: []bot.Message{{Text: "done"}}}, nil
	})
	a := webchat.New(webchat.Config{Logger: quietLogger()})
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx, h) }()

	status := make(chan int, 1)
	go func() {
		res, err := http.Post(srv.URL+"/chat/api/event", "application/json", strings.NewReader(`{"id":"abcdefgh12345678","text":"hi"}`))
		if err != nil {
			status <- 0
			return
		}
		res.Body.Close()
		status <- res.StatusCode
	}()
	<-entered
	cancel()
	select {
	case err := <-runDone:
		t.Fatalf("Run returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	if got := <-status; got != http.StatusOK {
		t.Errorf("in-flight request: got status %d, want 200", got)
	}
	if err := <-runDone; err != nil {
		t.Errorf("Run: got %v, want nil", err)
	}
	res, _ := postRaw(t, srv.URL, `{"id":"abcdefgh87654321","text":"hi"}`, nil)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after shutdown: got status %d, want 503", res.StatusCode)
	}
	if err := a.Run(context.Background(), h); err == nil {
		t.Errorf("second Run: got nil, want an error")
	}
}
