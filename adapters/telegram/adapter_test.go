package telegram

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// fastFake has limits high enough for functional tests.
var fastFake = telegramtest.Options{GlobalRate: 5000, GlobalBurst: 500, ChatRate: 500, ChatBurst: 50}

var fastLimits = Limits{PerSecond: 2000, Burst: 100, ChatPerSecond: 200, ChatBurst: 20}

type env struct {
	fake  *telegramtest.Server
	store *store.Store
	logs  *testenv.LogBuffer
}

func newEnv(t testing.TB, opt telegramtest.Options) *env {
	t.Helper()
	fake := telegramtest.NewServer(opt)
	t.Cleanup(fake.Close)
	srv := redistest.Start(t)
	return &env{fake: fake, store: store.New(srv.Client(), store.Options{}), logs: &testenv.LogBuffer{}}
}

func (e *env) config(mut ...func(*Config)) Config {
	cfg := Config{
		Token:         e.fake.Token(),
		APIEndpoint:   e.fake.Endpoint(),
		Offsets:       e.store,
		Logger:        slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Limits:        fastLimits,
		PollTimeout:   time.Second,
		LeaseTTL:      3 * time.Second,
		RetryDelay:    20 * time.Millisecond,
		MaxRetryDelay: 300 * time.Millisecond,
		ShutdownGrace: 2 * time.Second,
	}
	for _, m := range mut {
		m(&cfg)
	}
	return cfg
}

func (e *env) adapter(t testing.TB, mut ...func(*Config)) *Adapter {
	t.Helper()
	a, err := New(context.Background(), e.config(mut...))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// start runs a until the returned stop is called (or the test ends) and
// checks that Run returned nil.
func start(t testing.TB, a *Adapter, h bot.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: got %v, want nil", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Run did not return within 10s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---- conformance ----

type driver struct {
	fake *telegramtest.Server
	mu   sync.Mutex
	last map[string]int64
}

func tgUser(u string) telegramtest.User {
	id, _ := strconv.ParseInt(u, 10, 64)
	return telegramtest.User{ID: id, FirstName: "Person" + u, Username: "person" + u, LanguageCode: "en"}
}

func (d *driver) remember(u string, id int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last[u] = id
}

func (d *driver) Text(t testing.TB, u, text string) {
	d.remember(u, d.fake.Text(tgUser(u), text).UpdateID)
}

func (d *driver) Command(t testing.TB, u, cmd, arg string) {
	text := "/" + cmd
	if arg != "" {
		text += " " + arg
	}
	d.Text(t, u, text)
}

func (d *driver) Press(t testing.TB, u, data string) {
	t.Helper()
	usr := tgUser(u)
	msgs := d.fake.Messages(usr.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if b.Data == data && msgs[i].FromBot {
					d.remember(u, d.fake.Press(usr, usr.ID, msgs[i].ID, data).UpdateID)
					return
				}
			}
		}
	}
	t.Fatalf("no message of user %s carries a button with data %q", u, data)
}

func (d *driver) Redeliver(t testing.TB, u string) {
	d.mu.Lock()
	id := d.last[u]
	d.mu.Unlock()
	if !d.fake.Redeliver(id) {
		t.Fatalf("redeliver: update %d unknown", id)
	}
}

func (d *driver) Inbox(t testing.TB, u string) []bot.Message {
	var out []bot.Message
	for _, m := range d.fake.Messages(tgUser(u).ID) {
		if !m.FromBot {
			continue
		}
		bm := bot.Message{Text: m.Text}
		for _, row := range m.Keyboard {
			for _, b := range row {
				label, sel := strings.CutPrefix(b.Text, selectedMark)
				bm.Buttons = append(bm.Buttons, bot.Button{Label: label, Data: b.Data, Selected: sel})
			}
		}
		out = append(out, bm)
	}
	return out
}

func (d *driver) Notices(t testing.TB, u string) []string { return d.fake.Notices(tgUser(u).ID) }

func (d *driver) UserMessages(t testing.TB, u string) []string {
	var out []string
	for _, m := range d.fake.Messages(tgUser(u).ID) {
		if !m.FromBot {
			out = append(out, m.Text)
		}
	}
	return out
}

func (d *driver) Caps() adaptertest.Caps {
	return adaptertest.Caps{EraseUserMessages: true, Edit: true}
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, func(t testing.TB, h bot.Handler) adaptertest.Driver {
		e := newEnv(t, fastFake)
		a := e.adapter(t)
		adaptertest.Start(t, a, h)
		return &driver{fake: e.fake, last: map[string]int64{}}
	})
}

func TestConformanceWebhook(t *testing.T) {
	adaptertest.Run(t, func(t testing.TB, h bot.Handler) adaptertest.Driver {
		e := newEnv(t, fastFake)
		var a *Adapter
		mux := http.NewServeMux()
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		a = e.adapter(t, func(c *Config) {
			c.WebhookURL, c.WebhookSecret, c.Offsets = srv.URL+WebhookPath, "s3cret_token-1", nil
		})
		mux.Handle("POST "+WebhookPath, a.WebhookHandler())
		adaptertest.Start(t, a, h)
		return &driver{fake: e.fake, last: map[string]int64{}}
	})
}

// ---- focused tests ----

// recorder is a handler that echoes texts and remembers every event.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
	fn     func(ev bot.Event) (bot.Response, error)
}

func (r *recorder) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	fn := r.fn
	r.mu.Unlock()
	if fn != nil {
		return fn(ev)
	}
	return bot.Response{Messages: []bot.Message{{Text: "echo " + ev.Text + ev.Command + ev.Data}}}, nil
}

func (r *recorder) seen() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) count(id string) int {
	n := 0
	for _, ev := range r.seen() {
		if ev.ID == id {
			n++
		}
	}
	return n
}

func TestGroupChatIsNotPrivate(t *testing.T) {
	e := newEnv(t, fastFake)
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		if ev.Private {
			return bot.Response{}, nil
		}
		return bot.Response{Messages: []bot.Message{{Text: "Let's talk in private: https://t.me/baraza_test_bot?start=x"}}, Erase: &bot.Erase{To: ev.MessageRef}}, nil
	}}
	a := e.adapter(t)
	start(t, a, rec)
	u := telegramtest.User{ID: 77, FirstName: "Otieno"}
	p := e.fake.GroupText(u, -100123, "/start@baraza_test_bot")
	waitFor(t, "the group invite", func() bool { return len(e.fake.Messages(-100123)) == 2 })
	evs := rec.seen()
	if len(evs) != 1 || evs[0].Private || evs[0].Command != "start" {
		t.Fatalf("events: got %+v, want one non-private /start", evs)
	}
	if e.fake.Messages(-100123)[0].ID != p.MessageID {
		t.Errorf("group message deleted: got %v, want nothing deleted in a group", e.fake.Messages(-100123))
	}
	if link, _ := a.InviteText("night-safety"); link != "https://t.me/baraza_test_bot?start=night-safety" {
		t.Errorf("InviteText: got %q", link)
	}
}

func TestEraseDeletesWholeChat(t *testing.T) {
	e := newEnv(t, fastFake)
	var mu sync.Mutex
	first := ""
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		// Amina's first message: Bob's may reach the handler first (each
		// chat has its own queue), and private chats share one message id
		// sequence, so his id would cut her erase short.
		if first == "" && ev.User == "42" {
			first = ev.MessageRef
		}
		if ev.Command == "stop" {
			return bot.Response{Erase: &bot.Erase{From: first, To: ev.MessageRef}, Messages: []bot.Message{{Text: "Erased."}}}, nil
		}
		return bot.Response{Messages: []bot.Message{{Text: "q", Buttons: []bot.Button{{Label: "A", Data: "a"}}}, {Text: "more"}}}, nil
	}}
	a := e.adapter(t, func(c *Config) { c.Limits.ChatBurst = 500; c.Limits.ChatPerSecond = 5000 })
	start(t, a, rec)
	u := telegramtest.User{ID: 42, FirstName: "Amina"}
	other := telegramtest.User{ID: 43, FirstName: "Bob"}
	// 150 messages (over one deleteMessages batch) in Amina's chat
	for i := range 50 {
		e.fake.Text(u, "answer "+strconv.Itoa(i))
	}
	e.fake.Text(other, "bob's")
	waitFor(t, "150 messages", func() bool { return len(e.fake.Messages(42)) == 150 })
	e.fake.Text(u, "/stop")
	waitFor(t, "only the goodbye left", func() bool {
		m := e.fake.Messages(42)
		return len(m) == 1 && m[0].Text == "Erased."
	})
	if got := len(e.fake.AllMessages(42)); got != 152 {
		t.Errorf("all messages: got %d, want 152", got)
	}
	if got := len(e.fake.Messages(43)); got != 3 {
		t.Errorf("other chat: got %d visible, want 3 untouched", got)
	}
	if n := e.fake.CallCount("deleteMessages"); n != 2 {
		t.Errorf("deleteMessages calls: got %d, want 2 (batches of 100)", n)
	}
}

func TestEraseFallsBackToDeleteMessage(t *testing.T) {
	e := newEnv(t, fastFake)
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		if ev.Command == "stop" {
			return bot.Response{Erase: &bot.Erase{From: "1", To: ev.MessageRef}}, nil
		}
		return bot.Response{Messages: []bot.Message{{Text: "ok"}}}, nil
	}}
	a := e.adapter(t)
	start(t, a, rec)
	u := telegramtest.User{ID: 42, FirstName: "Amina"}
	e.fake.Text(u, "hello")
	waitFor(t, "reply", func() bool { return len(e.fake.Messages(42)) == 2 })
	e.fake.FailNext("deleteMessages", telegramtest.APIError{Code: 404, Description: "Not Found"})
	e.fake.Text(u, "/stop")
	waitFor(t, "all deleted", func() bool { return len(e.fake.Messages(42)) == 0 })
	if n := e.fake.CallCount("deleteMessage"); n != 3 {
		t.Errorf("deleteMessage calls: got %d, want 3", n)
	}
}

func TestCallbackAlwaysAnswered(t *testing.T) {
	e := newEnv(t, fastFake)
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		switch ev.Kind {
		case bot.KindButton:
			return bot.Response{Notice: "Already answered"}, nil
		}
		return bot.Response{Messages: []bot.Message{{Text: "Pick", Buttons: []bot.Button{{Label: "A", Data: "a"}}}}}, nil
	}}
	a := e.adapter(t)
	start(t, a, rec)
	u := telegramtest.User{ID: 42, FirstName: "Amina"}
	e.fake.Text(u, "hi")
	waitFor(t, "buttons", func() bool { return len(e.fake.Messages(42)) == 2 })
	msg := e.fake.Messages(42)[1]
	e.fake.Press(u, 42, msg.ID, "a")
	// a press on an inline-mode message (no carrying message): answered, not handled
	e.fake.PushRaw(0, "callback_query", map[string]any{"callback_query": map[string]any{"id": "zz", "from": map[string]any{"id": 42, "is_bot": false, "first_name": "A"}, "chat_instance": "1", "inline_message_id": "x", "data": "x"}})
	waitFor(t, "the toast", func() bool { return slices.Contains(e.fake.Notices(42), "Already answered") })
	waitFor(t, "two callback answers", func() bool { return e.fake.CallCount("answerCallbackQuery") == 2 })
	if got := len(rec.seen()); got != 2 {
		t.Errorf("handled events: got %d, want 2", got)
	}
}

func TestHandlerErrorKeepsOffset(t *testing.T) {
	e := newEnv(t, fastFake)
	var mu sync.Mutex
	fails := 3
	rec := &recorder{fn: func(ev bot.Event) (bot.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			return bot.Response{}, context.DeadlineExceeded
		}
		return bot.Response{Messages: []bot.Message{{Text: "done"}}}, nil
	}}
	a := e.adapter(t)
	start(t, a, rec)
	p := e.fake.Text(telegramtest.User{ID: 5, FirstName: "Z"}, "x")
	waitFor(t, "reply", func() bool { return len(e.fake.Messages(5)) == 2 })
	waitFor(t, "offset advanced", func() bool {
		v, _ := e.store.Offset(context.Background(), a.name)
		return v == p.UpdateID+1
	})
	if got := rec.count(strconv.FormatInt(p.UpdateID, 10)); got != 4 {
		t.Errorf("attempts: got %d, want 4 (3 failures, then success)", got)
	}
}

func TestTransient5xxRetried(t *testing.T) {
	e := newEnv(t, fastFake)
	rec := &recorder{}
	a := e.adapter(t)
	start(t, a, rec)
	e.fake.FailNext("sendMessage", telegramtest.APIError{Code: 502, Description: "Bad Gateway"})
	e.fake.FailNext("sendMessage", telegramtest.APIError{Code: 500, Description: "Internal Server Error"})
	e.fake.FailNext("getUpdates", telegramtest.APIError{Code: 409, Description: "Conflict: terminated by other getUpdates request"})
	e.fake.Text(telegramtest.User{ID: 5, FirstName: "Z"}, "x")
	waitFor(t, "reply after two 5xx", func() bool { return len(e.fake.Messages(5)) == 2 })
}
