package telegram

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/baraza/baraza/bot"
)

// deliver carries out a Response for one update: the callback answer
// first (it stops the client's spinner), then Erase, then the messages.
// It returns an error only when ctx ended before everything went out; a
// call Telegram refuses (4xx) is logged and skipped, never retried forever.
func (a *Adapter) deliver(ctx context.Context, in inbound, resp bot.Response) error {
	if in.callbackID != "" {
		p := tgbotapi.Params{"callback_query_id": in.callbackID}
		if n := resp.Notice; n != "" {
			p["text"] = n[:utf16Prefix(n, 200)]
		}
		if err := a.call(ctx, in.chat, "answerCallbackQuery", p, nil); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			a.logger.Info("telegram: callback answer refused", "err", err)
		}
	}
	if in.skip || in.chat == 0 {
		return nil
	}
	if resp.Erase != nil && in.ev.Private {
		if err := a.erase(ctx, in.chat, resp.Erase); err != nil {
			return err
		}
	}
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
			a.track(in.chat, sentMessageID(result))
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

// eraseWindow is how many message ids before Erase.To are deleted when
// Erase.From is empty (no session, or one the router no longer knows the
// start of). Private-chat ids are one sequence for both sides, so this
// reaches back without any memory; ids that are gone cost nothing.
const eraseWindow = 300

// erase deletes a private chat's messages from e.From to the newest one
// the adapter knows (both sides: private-chat ids are one sequence),
// deleteMessages in batches of 100, deleteMessage one by one where the
// bulk call is missing. An empty From reaches eraseWindow ids before To,
// or further back where this process tracked the chat: the in-memory
// range alone is empty after a restart or on another webhook replica.
// Callers erase only in private chats.
func (a *Adapter) erase(ctx context.Context, chat int64, e *bot.Erase) error {
	from, _ := strconv.Atoi(e.From)
	to, _ := strconv.Atoi(e.To)
	first, last := a.trackRange(chat)
	if from <= 0 {
		from = first
		if to > 0 {
			w := max(1, to-eraseWindow)
			if from <= 0 || w < from {
				from = w
			}
		}
	}
	hi := max(to, last)
	if from <= 0 {
		from = hi
	}
	if from <= 0 || hi < from {
		return nil
	}
	bulk := true
	for lo := from; lo <= hi; lo += 100 {
		end := min(hi, lo+99)
		if bulk {
			ids := make([]int, 0, end-lo+1)
			for id := lo; id <= end; id++ {
				ids = append(ids, id)
			}
			raw, _ := json.Marshal(ids)
			p := tgbotapi.Params{"chat_id": strconv.FormatInt(chat, 10), "message_ids": string(raw)}
			err := a.call(ctx, chat, "deleteMessages", p, nil)
			if err == nil {
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if c := apiCode(err); c != 404 && !strings.Contains(strings.ToLower(apiDescription(err)), "method") {
				a.logger.Info("telegram: bulk delete refused", "err", err)
				continue
			}
			bulk = false // an API without deleteMessages
		}
		for id := lo; id <= end; id++ {
			p := tgbotapi.Params{"chat_id": strconv.FormatInt(chat, 10), "message_id": strconv.Itoa(id)}
			if err := a.call(ctx, chat, "deleteMessage", p, nil); err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	return nil
}
