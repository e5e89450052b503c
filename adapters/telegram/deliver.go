package telegram

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/baraza/baraza/bot"
)

// deliver carries out a Response for one update: the callback answer
// first (it stops the client's spinner), then Erase, then the messages.
// It returns an error only when ctx ended before everything went out; a
// call Telegram refuses (4xx) is logged and skipped, never retried forever.
func (a *Adapter) deliver(ctx context.Context, in inbound, resp bot.Response) error {
	if in.callbackID != "" && in.cb.claim() {
		p := tgbotapi.Params{"callback_query_id": in.callbackID}
		if n := resp.Notice; n != "" {
			p["text"] = n[:utf16Prefix(n, 200)]
		}
		err := a.out.doLane(ctx, laneKey{in.chat, laneCallback}, func(ctx context.Context) error {
			_, err := a.api.call(ctx, "answerCallbackQuery", p)
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			a.logger.Info("telegram: callback answer refused", "err", err)
		}
	}
	if (in.skip && !in.media) || in.chat == 0 {
		return nil
	}
	var refs []msgRef
	if in.msgID > 0 && in.ev.Kind != bot.KindButton {
		refs = append(refs, msgRef{id: in.msgID, date: in.date})
	}
	if resp.Erase != nil && in.ev.Private {
		left, unknown, err := a.erase(ctx, in, resp.Erase)
		if err != nil {
			return err
		}
		refs = nil // the asking message went with the rest
		if left > 0 || unknown {
			// Honest, not silent: the person must not believe the chat
			// is clean when it is not.
			lang := in.ev.Locale
			if len(resp.Messages) > 0 && resp.Messages[0].Lang != "" {
				lang = resp.Messages[0].Lang
			}
			resp.Messages = append(resp.Messages, bot.Message{Text: uiText(lang, "not_erased")})
		}
	}
	defer func() { a.record(context.WithoutCancel(ctx), in, resp, refs) }()
	for _, m := range resp.Messages {
		if m.ReplaceButtons && in.ev.Kind == bot.KindButton && in.msgID != 0 {
			kb, err := keyboard(m.Buttons)
			if err == nil {
				if kb == "" {
					kb = `{"inline_keyboard":[]}`
				}
				p := tgbotapi.Params{"chat_id": strconv.FormatInt(in.chat, 10), "message_id": strconv.Itoa(in.msgID), "reply_markup": kb}
				err = a.call(ctx, in.chat, "editMessageReplyMarkup", p, nil)
				if err == nil || strings.Contains(apiDescription(err), "not modified") {
					continue
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				a.logger.Info("telegram: edit refused, sending a new message", "err", err)
			}
		}
		reqs, err := messageRequests(in.chat, m)
		if err != nil {
			a.logger.Error("telegram: message not sendable", "err", err)
			continue
		}
		for _, r := range reqs {
			var result json.RawMessage
			err := a.call(ctx, in.chat, r.method, r.params, &result, r)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				a.logger.Error("telegram: send refused", "method", r.method, "err", err)
				continue
			}
			if id := sentMessageID(result); id > 0 {
				refs = append(refs, msgRef{id: id, date: sentDate(result)})
			}
		}
	}
	return nil
}

// call makes one rate-limited call in chat's queue. With an upload request
// it sends multipart. result, when not nil, receives the call's result.
func (a *Adapter) call(ctx context.Context, chat int64, method string, p tgbotapi.Params, result *json.RawMessage, upload ...request) error {
	return a.out.do(ctx, chat, func(ctx context.Context) error {
		var raw json.RawMessage
		var err error
		if len(upload) > 0 && len(upload[0].image) > 0 {
			raw, err = a.api.upload(ctx, method, p, "photo", upload[0].imageName, upload[0].image)
		} else {
			raw, err = a.api.call(ctx, method, p)
		}
		if err == nil && result != nil {
			*result = raw
		}
		return err
	})
}

// callbackGrace is how long a button press may wait for its handler before
// its callback query is answered without a notice: the client shows a
// spinner until it is answered, and a press can queue behind its chat's
// paced sends.
const callbackGrace = 500 * time.Millisecond

// claim reports whether the caller is the one to answer the callback.
func (c *callbackState) claim() bool {
	if c == nil {
		return true
	}
	return c.answered.CompareAndSwap(false, true)
}

// armCallback answers in's callback query without a notice if nothing
// else has after callbackGrace. Call it before queueing in.
func (a *Adapter) armCallback(ctx context.Context, in inbound) {
	if in.cb == nil || in.callbackID == "" {
		return
	}
	time.AfterFunc(callbackGrace, func() {
		if !in.cb.answered.CompareAndSwap(false, true) {
			return
		}
		p := tgbotapi.Params{"callback_query_id": in.callbackID}
		err := a.out.doLane(ctx, laneKey{in.chat, laneCallback}, func(ctx context.Context) error {
			_, err := a.api.call(ctx, "answerCallbackQuery", p)
			return err
		})
		if err != nil && ctx.Err() == nil {
			a.logger.Info("telegram: early callback answer refused", "err", err)
		}
	})
}
