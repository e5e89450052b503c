package telegramtest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func newBot(t *testing.T, s *Server) *tgbotapi.BotAPI {
	t.Helper()
	b, err := tgbotapi.NewBotAPIWithClient(s.Token(), s.Endpoint(), &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	return b
}

func TestGetMeAndWrongToken(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	b := newBot(t, s)
	if got, want := b.Self.UserName, "baraza_test_bot"; got != want {
		t.Errorf("username: got %q, want %q", got, want)
	}
	_, err := tgbotapi.NewBotAPIWithClient("999:WRONG", s.Endpoint(), http.DefaultClient)
	var e *tgbotapi.Error
	if !errors.As(err, &e) || e.Code != 401 {
		t.Errorf("wrong token: got %v, want a 401 *tgbotapi.Error", err)
	}
}

func TestUpdatesOffsetsAndMessageIDs(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	b := newBot(t, s)
	u := User{ID: 42, FirstName: "Amina", Username: "amina", LanguageCode: "fr"}
	p1 := s.Text(u, "/start night-safety")
	ups, err := b.GetUpdates(tgbotapi.UpdateConfig{Timeout: 1})
	if err != nil || len(ups) != 1 {
		t.Fatalf("getUpdates: got %d updates, %v; want 1", len(ups), err)
	}
	m := ups[0].Message
	if m.Command() != "start" || m.CommandArguments() != "night-safety" || m.From.LanguageCode != "fr" || m.Chat.ID != 42 {
		t.Errorf("update: got command %q arg %q lang %q chat %d", m.Command(), m.CommandArguments(), m.From.LanguageCode, m.Chat.ID)
	}
	// not confirmed yet: the same update comes back
	ups, _ = b.GetUpdates(tgbotapi.UpdateConfig{})
	if len(ups) != 1 || int64(ups[0].UpdateID) != p1.UpdateID {
		t.Fatalf("unconfirmed: got %d updates, want the same one again", len(ups))
	}
	msg := tgbotapi.NewMessage(42, "Where do you live?")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("North", "q1:0")))
	sent, err := b.Send(msg)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if sent.MessageID != p1.MessageID+1 {
		t.Errorf("bot message id: got %d, want %d (shared per-chat sequence)", sent.MessageID, p1.MessageID+1)
	}
	p2 := s.Press(u, 42, sent.MessageID, "q1:0")
	ups, _ = b.GetUpdates(tgbotapi.UpdateConfig{Offset: int(p1.UpdateID) + 1, Timeout: 1})
	if len(ups) != 1 || ups[0].CallbackQuery == nil || ups[0].CallbackQuery.Message.MessageID != sent.MessageID || ups[0].CallbackQuery.Data != "q1:0" {
		t.Fatalf("callback: got %+v", ups)
	}
	if s.Confirmed() != p1.UpdateID+1 {
		t.Errorf("confirmed: got %d, want %d", s.Confirmed(), p1.UpdateID+1)
	}
	if _, err := b.Request(tgbotapi.NewCallback(p2.CallbackID, "ok")); err != nil {
		t.Errorf("answer: %v", err)
	}
	if _, err := b.Request(tgbotapi.NewCallback(p2.CallbackID, "ok")); err == nil {
		t.Errorf("second answer: got nil error, want 400")
	}
	// An empty poll times out with [].
	ups, err = b.GetUpdates(tgbotapi.UpdateConfig{Offset: int(p2.UpdateID) + 1, Timeout: 1})
	if err != nil || len(ups) != 0 {
		t.Errorf("empty long poll: got %d updates, %v; want none, no error", len(ups), err)
	}
	if _, err := b.Request(tgbotapi.NewDeleteMessage(42, p1.MessageID)); err != nil {
		t.Errorf("delete inbound: %v", err)
	}
	vis := s.Messages(42)
	if len(vis) != 1 || vis[0].ID != sent.MessageID || !vis[0].FromBot {
		t.Errorf("visible after delete: got %+v, want only the bot message", vis)
	}
	// A long poll is held open while there is nothing, and answers as
	// soon as an update arrives: behaviour, not the wall clock.
	type polled struct {
		ups []tgbotapi.Update
		err error
	}
	held := make(chan polled, 1)
	go func() {
		ups, err := b.GetUpdates(tgbotapi.UpdateConfig{Offset: int(p2.UpdateID) + 1, Timeout: 60})
		held <- polled{ups, err}
	}()
	waitFor(t, "the long poll held open", s.Polling)
	select {
	case p := <-held:
		t.Fatalf("long poll answered with nothing to give: %d updates, %v", len(p.ups), p.err)
	default:
	}
	p3 := s.Text(u, "later")
	select {
	case p := <-held:
		if p.err != nil || len(p.ups) != 1 || int64(p.ups[0].UpdateID) != p3.UpdateID {
			t.Errorf("held long poll: got %d updates, %v; want update %d", len(p.ups), p.err, p3.UpdateID)
		}
	case <-time.After(30 * time.Second): // a hang detector; the poll's own timeout is 60 s
		t.Fatal("held long poll did not answer when an update arrived")
	}
}

func TestLimits(t *testing.T) {
	s := NewServer(Options{ChatRate: 1, ChatBurst: 2, GlobalRate: 100, GlobalBurst: 100})
	defer s.Close()
	b := newBot(t, s)
	s.AddUser(User{ID: 7})
	long := strings.Repeat("é", 4097)
	if _, err := b.Send(tgbotapi.NewMessage(7, long)); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("4097 chars: got %v, want message is too long", err)
	}
	msg := tgbotapi.NewMessage(7, "x")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("a", strings.Repeat("d", 65))))
	if _, err := b.Send(msg); err == nil || !strings.Contains(err.Error(), "BUTTON_DATA_INVALID") {
		t.Errorf("65-byte data: got %v, want BUTTON_DATA_INVALID", err)
	}
	for i := range 2 {
		if _, err := b.Send(tgbotapi.NewMessage(7, "hi")); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	_, err := b.Send(tgbotapi.NewMessage(7, "hi"))
	var e *tgbotapi.Error
	if !errors.As(err, &e) || e.Code != 429 || e.RetryAfter != 1 {
		t.Fatalf("third send: got %v, want 429 retry after 1", err)
	}
	if s.Count429() != 1 {
		t.Errorf("Count429: got %d, want 1", s.Count429())
	}
	s.FailNext("sendMessage", APIError{Code: 502, Description: "Bad Gateway"})
	if _, err := b.Send(tgbotapi.NewMessage(7, "x")); !errors.As(err, &e) || e.Code != 502 {
		t.Errorf("injected: got %v, want 502", err)
	}
}

func TestConcurrentPollConflict(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	b := newBot(t, s)
	errc := make(chan error, 1)
	go func() {
		_, err := b.GetUpdates(tgbotapi.UpdateConfig{Timeout: 5})
		errc <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for s.CallCount("getUpdates") == 0 && time.Now().Before(deadline) {
		s.mu.Lock()
		p := s.poller
		s.mu.Unlock()
		if p != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := b.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Fatalf("second poll: %v", err)
	}
	var e *tgbotapi.Error
	if err := <-errc; !errors.As(err, &e) || e.Code != 409 {
		t.Errorf("first poll: got %v, want 409 conflict", err)
	}
}

func TestWebhookDelivery(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	b := newBot(t, s)
	got := make(chan string, 10)
	fails := 1
	var mu sync.Mutex
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cret" {
			w.WriteHeader(401)
			return
		}
		if fails > 0 {
			fails--
			w.WriteHeader(500)
			return
		}
		body, _ := io.ReadAll(r.Body)
		got <- string(body)
	}))
	defer hook.Close()
	_, err := b.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL, "secret_token": "s3cret", "allowed_updates": `["message","callback_query"]`})
	if err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
	if _, _, allowed := s.Webhook(); len(allowed) != 2 {
		t.Errorf("allowed_updates: got %v", allowed)
	}
	if _, err := b.GetUpdates(tgbotapi.UpdateConfig{}); err == nil {
		t.Errorf("getUpdates with a webhook: got nil error, want 409")
	}
	p := s.Text(User{ID: 5, FirstName: "Z"}, "hello")
	select {
	case body := <-got:
		if !strings.Contains(body, fmt.Sprintf(`"update_id":%d`, p.UpdateID)) {
			t.Errorf("delivered body: got %s", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("webhook delivery: nothing after 5s")
	}
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
