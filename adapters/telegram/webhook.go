package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/baraza/baraza/bot"
)

// MaxWebhookBody is the largest webhook body read (Telegram's updates are
// far smaller).
const MaxWebhookBody = 1 << 20

// WebhookPath is where WebhookHandler expects Telegram's POSTs.
const WebhookPath = "/telegram/webhook"

// runWebhook registers the webhook and serves it until ctx ends.
func (a *Adapter) runWebhook(ctx, workCtx context.Context, h bot.Handler) error {
	allowed, _ := json.Marshal(allowedUpdates)
	p := tgbotapi.Params{"url": a.cfg.WebhookURL, "secret_token": a.cfg.WebhookSecret, "allowed_updates": string(allowed)}
	for attempt := 1; ; attempt++ {
		_, err := a.api.call(ctx, "setWebhook", p)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		if !retryable(err) {
			return err
		}
		a.logger.Warn("telegram: setWebhook", "err", err)
		sleep(ctx, backoff(a.cfg.RetryDelay, a.cfg.MaxRetryDelay, attempt))
	}
	a.logger.Info("telegram: webhook set")
	a.mu.Lock()
	a.handler, a.workCtx = h, workCtx
	a.mu.Unlock()
	<-ctx.Done()
	a.mu.Lock()
	a.handler = nil
	a.mu.Unlock()
	a.inflight.Wait()
	return nil
}

// WebhookHandler serves POST /telegram/webhook while Run runs in webhook
// mode. A wrong or missing X-Telegram-Bot-Api-Secret-Token gets 401 before
// the body is read; a body over 1 MiB gets 413; a body that does not parse
// gets 200 and is skipped (a non-2xx makes Telegram re-send the whole
// queue); a parsed update is answered 200 only after it was handled and
// its reply delivered (503 if the adapter is not running or shuts down
// first, so Telegram sends it again).
func (a *Adapter) WebhookHandler() http.Handler {
	secret := []byte(a.cfg.WebhookSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				a.logger.Warn("telegram: webhook body too large, refused")
				http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		var u tgbotapi.Update
		if err := json.Unmarshal(body, &u); err != nil {
			a.logger.Warn("telegram: skipped a webhook body that does not parse", "bytes", len(body))
			w.WriteHeader(http.StatusOK)
			return
		}
		in := convertUpdate(&u, a.botUsername)
		a.mu.Lock()
		h, workCtx := a.handler, a.workCtx
		if h != nil {
			a.inflight.Add(1)
		}
		a.mu.Unlock()
		if h == nil {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "not running", http.StatusServiceUnavailable)
			return
		}
		defer a.inflight.Done()
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := context.AfterFunc(workCtx, cancel)
		defer stop()
		errc := make(chan error, 1)
		a.armCallback(workCtx, in)
		a.webhookQueues.Submit(strconv.FormatInt(in.chat, 10), func() {
			// Answered even if process panics: a panicking update is
			// recovered, logged by type and acknowledged (dropped), since a
			// non-2xx would make Telegram re-send it forever.
			var err error
			defer func() { errc <- err }()
			err = a.process(ctx, h, in)
		})
		if err := <-errc; err != nil {
			w.Header().Set("Retry-After", strconv.Itoa(int(a.cfg.RetryDelay/time.Second)+1))
			http.Error(w, "not processed", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
