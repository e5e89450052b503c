package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// client makes Bot API calls through the real library, one short-lived
// BotAPI value per call so that each call carries its context (the
// library itself has none), and with every error scrubbed of the token.
type client struct {
	token    string
	endpoint string
	http     *http.Client
}

// ctxDoer is the library's HTTPClient bound to one context.
type ctxDoer struct {
	ctx context.Context
	c   *http.Client
}

func (d ctxDoer) Do(r *http.Request) (*http.Response, error) { return d.c.Do(r.WithContext(d.ctx)) }

func (c *client) api(ctx context.Context) *tgbotapi.BotAPI {
	b := &tgbotapi.BotAPI{Token: c.token, Client: ctxDoer{ctx, c.http}, Buffer: 100}
	b.SetAPIEndpoint(c.endpoint)
	return b
}

// call makes one form-encoded request and returns its result.
func (c *client) call(ctx context.Context, method string, p tgbotapi.Params) (json.RawMessage, error) {
	resp, err := c.api(ctx).MakeRequest(method, p)
	if err != nil {
		return nil, c.wrap(method, err)
	}
	return resp.Result, nil
}

// upload makes one multipart request with a file.
func (c *client) upload(ctx context.Context, method string, p tgbotapi.Params, field, name string, data []byte) (json.RawMessage, error) {
	resp, err := c.api(ctx).UploadFiles(method, p, []tgbotapi.RequestFile{{Name: field, Data: tgbotapi.FileBytes{Name: name, Bytes: data}}})
	if err != nil {
		return nil, c.wrap(method, err)
	}
	return resp.Result, nil
}

// transportError is a failure to talk to the Bot API (network, timeout,
// a body that is not a JSON envelope). Its text never holds the token, and
// it unwraps only to context errors.
type transportError struct {
	msg   string
	cause error // context.Canceled, context.DeadlineExceeded or nil
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.cause }

// wrap turns a library error into one that is safe to log and classify.
func (c *client) wrap(method string, err error) error {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		e := *te
		if e.Code == 0 && e.RetryAfter > 0 {
			e.Code = 429 // UploadFiles forgets the code
		}
		return fmt.Errorf("telegram: %s: %w", method, &e)
	}
	out := &transportError{msg: "telegram: " + method + ": " + c.redact(err.Error())}
	switch {
	case errors.Is(err, context.Canceled):
		out.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		out.cause = context.DeadlineExceeded
	}
	return out
}

// redact removes the token in every spelling a URL error may use.
func (c *client) redact(s string) string {
	if c.token == "" {
		return s
	}
	for _, t := range []string{c.token, url.PathEscape(c.token), url.QueryEscape(c.token)} {
		s = strings.ReplaceAll(s, t, "<token>")
	}
	return s
}

// retryAfter is how long Telegram asked us to wait (429), or 0.
func retryAfter(err error) time.Duration {
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		return 0
	}
	if te.RetryAfter > 0 {
		return time.Duration(te.RetryAfter) * time.Second
	}
	if te.Code == 429 {
		return time.Second
	}
	return 0
}

// retryable reports whether a failed call may succeed if tried again:
// transport failures and server errors, not a refusal (4xx) and not a
// cancelled context.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return te.Code >= 500 || te.Code == 429
	}
	var tr *transportError
	return errors.As(err, &tr)
}

// apiCode is the Bot API error_code of err, or 0.
func apiCode(err error) int {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func apiDescription(err error) string {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return te.Message
	}
	return ""
}
