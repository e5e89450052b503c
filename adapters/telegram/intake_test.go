package telegram

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
)

func webhookEnv(t *testing.T) (*env, *Adapter, *httptest.Server, *recorder) {
	e := newEnv(t, fastFake)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a := e.adapter(t, func(c *Config) {
		c.WebhookURL, c.WebhookSecret, c.Offsets = "https://bot.example.org"+WebhookPath, "s3cret", nil
	})
	mux.Handle("POST "+WebhookPath, a.WebhookHandler())
	rec := &recorder{}
	start(t, a, rec)
	waitFor(t, "setWebhook", func() bool { u, _, _ := e.fake.Webhook(); return u != "" })
	return e, a, srv, rec
}

func post(t *testing.T, url, secret string, body io.Reader) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, body)
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// countingReader counts how much of a body was read.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestWebhook(t *testing.T) {
	e, a, srv, rec := webhookEnv(t)
	u, secret, allowed := e.fake.Webhook()
	if u != "https://bot.example.org/telegram/webhook" || secret != "s3cret" || strings.Join(allowed, ",") != "message,callback_query" {
		t.Errorf("setWebhook: got url %q secret %q allowed %v", u, secret, allowed)
	}
	url := srv.URL + WebhookPath
	update := `{"update_id":9001,"message":{"message_id":3,"from":{"id":42,"is_bot":false,"first_name":"Amina"},"chat":{"id":42,"type":"private"},"date":1,"text":"hello"}}`
	e.fake.AddUser(telegramtest.User{ID: 42})

	tests := []struct {
		name   string
		secret string
		body   string
		want   int
	}{
		{"missing secret", "", update, 401},
		{"wrong secret", "s3creT", update, 401},
		{"malformed json", "s3cret", `{"update_id":`, 200},
		{"unknown kind", "s3cret", `{"update_id":9002,"message_reaction":{"chat":{"id":42,"type":"private"},"message_id":1,"date":1}}`, 200},
		{"not an update", "s3cret", `[1,2,3]`, 200},
		{"good", "s3cret", update, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := post(t, url, tc.secret, strings.NewReader(tc.body)); got != tc.want {
				t.Errorf("status: got %d, want %d", got, tc.want)
			}
		})
	}
	evs := rec.seen()
	if len(evs) != 1 || evs[0].Text != "hello" || evs[0].ID != "9001" {
		t.Errorf("handled: got %+v, want only the good update", evs)
	}
	// the reply was delivered before the 200
	if m := e.fake.Messages(42); len(m) != 1 || m[0].Text != "echo hello" {
		t.Errorf("reply: got %+v", m)
	}

	direct := func(secret string, body *countingReader) int {
		req := httptest.NewRequest(http.MethodPost, WebhookPath, body)
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		w := httptest.NewRecorder()
		a.WebhookHandler().ServeHTTP(w, req)
		return w.Code
	}
	big := &countingReader{r: strings.NewReader(`{"update_id":1,"message":{"text":"` + strings.Repeat("a", 10<<20) + `"}}`)}
	if got := direct("s3cret", big); got != http.StatusRequestEntityTooLarge {
		t.Errorf("10 MB body: got %d, want 413", got)
	}
	if n := big.n.Load(); n > MaxWebhookBody+64<<10 {
		t.Errorf("10 MB body: handler read %d bytes, want at most about 1 MiB", n)
	}
	bad := &countingReader{r: strings.NewReader(strings.Repeat("x", 10<<20))}
	if got := direct("wrong", bad); got != 401 || bad.n.Load() != 0 {
		t.Errorf("wrong secret, big body: got %d after reading %d bytes, want 401 after none", got, bad.n.Load())
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(strings.Repeat("y", 10<<20)))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s3cret")
	if resp, err := http.DefaultClient.Do(req); err == nil { // a reset while uploading is a refusal too
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("10 MB body over HTTP: got %d, want 413", resp.StatusCode)
		}
	}
	// still alive
	if got := post(t, url, "s3cret", strings.NewReader(strings.Replace(update, "9001", "9003", 1))); got != 200 {
		t.Errorf("after abuse: got %d, want 200", got)
	}
	checkLogs(t, e.logs.String(), e.fake.Token(), "Amina", "42")
}

// checkLogs fails if any identity or the token shows in the logs.
func checkLogs(t *testing.T, logs, token string, secrets ...string) {
	t.Helper()
	if strings.Contains(logs, token) || strings.Contains(logs, strings.Split(token, ":")[1]) {
		t.Errorf("logs hold the bot token")
	}
	for _, line := range strings.Split(logs, "\n") {
		for _, s := range secrets {
			for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '=' || r == '"' }) {
				if f == s {
					t.Errorf("log line holds %q: %s", s, line)
				}
			}
		}
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	e := newEnv(t, fastFake)
	cfg := e.config()
	cfg.APIEndpoint = "http://127.0.0.1:1/bot%s/%s" // nothing listens
	_, err := New(context.Background(), cfg)
	if err == nil {
		t.Fatal("New against a closed port: got nil error")
	}
	if strings.Contains(err.Error(), e.fake.Token()) || !strings.Contains(err.Error(), "<token>") {
		t.Errorf("error: got %q, want the token redacted", err)
	}
	cfg.Token = "123:wrong"
	cfg.APIEndpoint = e.fake.Endpoint()
	if _, err := New(context.Background(), cfg); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong token: got %v, want an error without the token", err)
	}
}

// TestRestart stops Run while one chat's update is stuck in the handler and
// another's was handled after it: the new adapter on the same store gets
// both again (processed-but-unconfirmed re-delivered), loses nothing, and
// the offset ends past everything.
func TestRestart(t *testing.T) {
	e := newEnv(t, fastFake)
	release := make(chan struct{})
	var blocked atomic.Bool
	first := &recorder{}
	first.fn = func(ev bot.Event) (bot.Response, error) {
		if ev.Text == "stuck" {
			blocked.Store(true)
			<-release
			return bot.Response{}, context.Canceled
		}
		return bot.Response{Messages: []bot.Message{{Text: "echo " + ev.Text}}}, nil
	}
	a1 := e.adapter(t, func(c *Config) { c.ShutdownGrace = 100 * time.Millisecond })
	stop1 := start(t, a1, first)
	amina, bob := telegramtest.User{ID: 1, FirstName: "A"}, telegramtest.User{ID: 2, FirstName: "B"}
	stuck := e.fake.Text(amina, "stuck")
	after := e.fake.Text(bob, "after")
	waitFor(t, "bob's reply", func() bool { return len(e.fake.Messages(2)) == 2 })
	waitFor(t, "the stuck handler", blocked.Load)
	go func() { time.Sleep(200 * time.Millisecond); close(release) }()
	stop1()
	off, _ := e.store.Offset(context.Background(), a1.name)
	if off > stuck.UpdateID {
		t.Fatalf("offset after stop: got %d, want <= %d (the stuck update unconfirmed)", off, stuck.UpdateID)
	}
	later := e.fake.Text(bob, "later")

	second := &recorder{}
	a2 := e.adapter(t)
	start(t, a2, second)
	waitFor(t, "everything handled by the new adapter", func() bool {
		return second.count(fmt.Sprint(stuck.UpdateID)) == 1 && second.count(fmt.Sprint(later.UpdateID)) == 1
	})
	if got := second.count(fmt.Sprint(after.UpdateID)); got != 1 {
		t.Errorf("processed-but-unconfirmed update: got %d deliveries after restart, want 1", got)
	}
	waitFor(t, "offset past everything", func() bool {
		v, _ := e.store.Offset(context.Background(), a2.name)
		return v == later.UpdateID+1
	})
}

func TestTwoReplicasOnePoller(t *testing.T) {
	e := newEnv(t, fastFake)
	var mu sync.Mutex
	polls := map[string]int{}
	client := func(name string) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasSuffix(r.URL.Path, "/getUpdates") {
				mu.Lock()
				polls[name]++
				mu.Unlock()
			}
			return http.DefaultTransport.RoundTrip(r)
		})}
	}
	rec := &recorder{}
	a1 := e.adapter(t, func(c *Config) { c.HTTPClient = client("a") })
	a2 := e.adapter(t, func(c *Config) { c.HTTPClient = client("b") })
	start(t, a1, rec)
	start(t, a2, rec)
	var ids []int64
	for i := range 40 {
		ids = append(ids, e.fake.Text(telegramtest.User{ID: int64(100 + i%8), FirstName: "U"}, "m"+strconv.Itoa(i)).UpdateID)
	}
	waitFor(t, "40 updates handled", func() bool { return len(rec.seen()) >= 40 })
	for _, id := range ids {
		if n := rec.count(fmt.Sprint(id)); n != 1 {
			t.Errorf("update %d: handled %d times, want 1", id, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if (polls["a"] > 0) == (polls["b"] > 0) {
		t.Errorf("getUpdates calls: got a=%d b=%d, want exactly one replica polling", polls["a"], polls["b"])
	}
	for _, c := range e.fake.Calls() {
		if c.ErrorCode == 409 {
			t.Errorf("a 409 conflict: two pollers at once")
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRetryAfter: the fake allows far less than the adapter thinks; every
// 429 is waited out and retried, nothing is dropped and order holds.
func TestRetryAfter(t *testing.T) {
	e := newEnv(t, telegramtest.Options{GlobalRate: 1000, GlobalBurst: 100, ChatRate: 2, ChatBurst: 3})
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		var ms []bot.Message
		for i := range 5 {
			ms = append(ms, bot.Message{Text: fmt.Sprintf("part %d", i)})
		}
		return bot.Response{Messages: ms}, nil
	}}
	a := e.adapter(t) // fastLimits: 200/s per chat
	start(t, a, rec)
	e.fake.Text(telegramtest.User{ID: 9, FirstName: "Z"}, "go")
	waitFor(t, "all five parts", func() bool { return len(e.fake.Messages(9)) == 6 })
	for i, m := range e.fake.Messages(9)[1:] {
		if want := fmt.Sprintf("part %d", i); m.Text != want {
			t.Errorf("message %d: got %q, want %q", i, m.Text, want)
		}
	}
	if e.fake.Count429() == 0 || a.Count429() != int64(e.fake.Count429()) {
		t.Errorf("429s: fake %d, adapter saw %d; want some, all seen", e.fake.Count429(), a.Count429())
	}
}
