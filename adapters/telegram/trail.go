package telegram

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/baraza/baraza/bot"
)

// TrailStore keeps the message references of each person's dialog
// (*bot.Trails implements it: sealed under the session pseudonym, 48 h,
// dropped when the session ends).
type TrailStore interface {
	Add(ctx context.Context, platform, user string, refs []string) error
	Take(ctx context.Context, platform, user string) ([]string, error)
	Drop(ctx context.Context, platform, user string) error
}

// deleteLimit is how old a message Telegram still deletes; deleteMargin
// keeps clear of the edge (a message that turns 48 h old in flight).
const (
	deleteLimit  = 48 * time.Hour
	deleteMargin = time.Minute
	maxBatch     = 100 // deleteMessages takes 1-100 ids
	memPerChat   = 1000
	memChats     = 10000
)

// msgRef is one message of a private chat: its id and date. Ids are exact:
// in private chats they come from one counter shared by all of the bot's
// private chats, so a chat's ids have gaps that belong to other people
// and must never be asked for.
type msgRef struct {
	id   int
	date int64 // Unix seconds
}

func (r msgRef) String() string { return strconv.Itoa(r.id) + "@" + strconv.FormatInt(r.date, 10) }

func parseRef(s string) (msgRef, bool) {
	a, b, _ := strings.Cut(s, "@")
	id, err := strconv.Atoi(a)
	if err != nil || id <= 0 {
		return msgRef{}, false
	}
	d, _ := strconv.ParseInt(b, 10, 64)
	return msgRef{id: id, date: d}, true
}

// chatMem is what this process remembers of a private chat, in memory
// only: every message id it saw or sent (all), and those not yet written
// to the trail store (unsaved: the router had not said whether a session
// is open).
type chatMem struct {
	all     []msgRef
	unsaved []msgRef
	seen    time.Time
}

// remember adds refs to the chat's memory and returns the unsaved ones
// (refs included) when flush is set, clearing them.
func (a *Adapter) remember(chat int64, refs []msgRef, flush, forget bool) []msgRef {
	a.tmu.Lock()
	defer a.tmu.Unlock()
	now := time.Now()
	m := a.mem[chat]
	if m == nil {
		if len(a.mem) >= memChats {
			for c, old := range a.mem {
				if now.Sub(old.seen) > deleteLimit || len(a.mem) >= memChats {
					delete(a.mem, c)
				}
			}
		}
		m = &chatMem{}
		a.mem[chat] = m
	}
	m.seen = now
	m.all = appendCapped(m.all, refs)
	m.unsaved = appendCapped(m.unsaved, refs)
	var out []msgRef
	if flush {
		out = m.unsaved
		m.unsaved = nil
	}
	if forget {
		m.unsaved = nil
	}
	return out
}

func appendCapped(s, more []msgRef) []msgRef {
	s = append(s, more...)
	if len(s) > memPerChat {
		s = slices.Clone(s[len(s)-memPerChat:])
	}
	return s
}

// takeMem removes and returns the chat's remembered refs with id >= from.
func (a *Adapter) takeMem(chat int64, from int) []msgRef {
	a.tmu.Lock()
	defer a.tmu.Unlock()
	m := a.mem[chat]
	if m == nil {
		return nil
	}
	var out, kept []msgRef
	for _, r := range m.all {
		if r.id >= from {
			out = append(out, r)
		} else {
			kept = append(kept, r)
		}
	}
	m.all = kept
	m.unsaved = slices.DeleteFunc(m.unsaved, func(r msgRef) bool { return r.id >= from })
	return out
}

// record keeps the refs of one handled update: in memory, and in the
// trail store while the router says a session is open; at the end of a
// dialog the stored trail is dropped.
func (a *Adapter) record(ctx context.Context, in inbound, resp bot.Response, refs []msgRef) {
	if in.chat == 0 || !in.ev.Private {
		return
	}
	switch {
	case resp.Dialog == bot.DialogOpen && a.cfg.Trails != nil:
		batch := a.remember(in.chat, refs, true, false)
		if len(batch) == 0 {
			return
		}
		strs := make([]string, len(batch))
		for i, r := range batch {
			strs[i] = r.String()
		}
		if err := a.cfg.Trails.Add(ctx, Name, in.ev.User, strs); err != nil {
			a.stats.TrailErrors.Add(1)
			a.logger.Warn("telegram: trail not saved (the erase will use this process's memory)", "err", err)
			a.remember(in.chat, nil, false, false)
		}
	case resp.Dialog == bot.DialogNone && a.cfg.Trails != nil:
		a.remember(in.chat, refs, false, true)
		if resp.Erase != nil {
			return // the erase took the trail already
		}
		if err := a.cfg.Trails.Drop(ctx, Name, in.ev.User); err != nil {
			a.stats.TrailErrors.Add(1)
			a.logger.Warn("telegram: trail not dropped (it expires within 48 h)", "err", err)
		}
	default:
		a.remember(in.chat, refs, false, false)
	}
}

// erase deletes the private chat's messages named by e, exactly: the ids
// in the person's trail and in this process's memory (both sides) from
// e.From on (all when e.From is empty), and the message that asked. Ids
// older than Telegram's 48 h are not asked for; they are counted as
// undeletable. It deletes with deleteMessages in batches of at most 100,
// falling back to deleteMessage one id at a time when a batch is refused,
// and returns how many messages could not be deleted, and whether the
// adapter knew of no earlier message at all (after a completed dialog its
// trail is gone: earlier messages may remain).
func (a *Adapter) erase(ctx context.Context, in inbound, e *bot.Erase) (undeletable int, unknown bool, err error) {
	from, _ := strconv.Atoi(e.From)
	var refs []msgRef
	if a.cfg.Trails != nil {
		strs, err := a.cfg.Trails.Take(ctx, Name, in.ev.User)
		if err != nil {
			if ctx.Err() != nil {
				return 0, false, ctx.Err()
			}
			a.stats.TrailErrors.Add(1)
			a.logger.Warn("telegram: trail not read (erasing what this process remembers)", "err", err)
		}
		var keep []string
		for _, s := range strs {
			r, ok := parseRef(s)
			switch {
			case !ok:
			case r.id >= from:
				refs = append(refs, r)
			default:
				keep = append(keep, s)
			}
		}
		if len(keep) > 0 {
			if err := a.cfg.Trails.Add(ctx, Name, in.ev.User, keep); err != nil {
				a.stats.TrailErrors.Add(1)
			}
		}
	}
	refs = append(refs, a.takeMem(in.chat, from)...)
	unknown = from <= 0 && len(refs) == 0
	if in.msgID > 0 && in.ev.Kind != bot.KindButton {
		refs = append(refs, msgRef{id: in.msgID, date: in.date})
	}
	slices.SortFunc(refs, func(x, y msgRef) int { return x.id - y.id })
	refs = slices.CompactFunc(refs, func(x, y msgRef) bool { return x.id == y.id })

	now := time.Now()
	var ids []int
	for _, r := range refs {
		if r.date > 0 && now.Sub(time.Unix(r.date, 0)) > deleteLimit-deleteMargin {
			undeletable++
			continue
		}
		ids = append(ids, r.id)
	}
	chat := strconv.FormatInt(in.chat, 10)
	one := func(id int) error {
		p := tgbotapi.Params{"chat_id": chat, "message_id": strconv.Itoa(id)}
		err := a.deleteCall(ctx, in.chat, "deleteMessage", p)
		switch {
		case err == nil:
			a.stats.Deleted.Add(1)
		case ctx.Err() != nil:
			return ctx.Err()
		case strings.Contains(strings.ToLower(apiDescription(err)), "not found"):
			// gone already (deleted by the person, or by an earlier try)
		default:
			undeletable++
		}
		return nil
	}
	for len(ids) > 0 {
		n := min(maxBatch, len(ids))
		batch := ids[:n]
		ids = ids[n:]
		if len(batch) > 1 {
			raw, _ := json.Marshal(batch)
			p := tgbotapi.Params{"chat_id": chat, "message_ids": string(raw)}
			err := a.deleteCall(ctx, in.chat, "deleteMessages", p)
			if err == nil {
				a.stats.Deleted.Add(int64(len(batch)))
				continue
			}
			if ctx.Err() != nil {
				return undeletable, unknown, ctx.Err()
			}
			a.logger.Info("telegram: bulk delete refused, deleting one by one", "ids", len(batch), "code", apiCode(err))
		}
		for _, id := range batch {
			if err := one(id); err != nil {
				return undeletable, unknown, err
			}
		}
	}
	if undeletable > 0 {
		a.stats.Undeletable.Add(int64(undeletable))
	}
	return undeletable, unknown, nil
}

// deleteCall makes one deletion in the chat's deletion lane: not paced
// like a send, only under the bot's global allowance.
func (a *Adapter) deleteCall(ctx context.Context, chat int64, method string, p tgbotapi.Params) error {
	return a.out.doLane(ctx, laneKey{chat, laneDelete}, func(ctx context.Context) error {
		_, err := a.api.call(ctx, method, p)
		return err
	})
}

// askToType answers a message without text in a private chat (a voice
// note, sticker, photo, document, location, contact, ...): only typed
// answers and buttons are read. Nothing of the message is kept or logged
// but its id, for the erase.
func (a *Adapter) askToType(ctx context.Context, in inbound) error {
	a.stats.Media.Add(1)
	resp := bot.Response{Messages: []bot.Message{{Text: uiText(in.ev.Locale, "typed_only")}}}
	return a.deliver(ctx, in, resp)
}

// uiTexts are the adapter's own words, by language (the router's
// languages: en, fr, ar).
var uiTexts = map[string]map[string]string{
	"typed_only": {
		"en": "I can only read typed answers — please type or press a button.",
		"fr": "Je ne peux lire que des réponses écrites — merci d'écrire ou d'appuyer sur un bouton.",
		"ar": "لا أستطيع قراءة سوى الإجابات المكتوبة — يرجى الكتابة أو الضغط على زر.",
	},
	"not_erased": {
		"en": "Some messages of this chat could not be removed (Telegram lets a bot remove them only for 48 hours, and only those it knows of). To remove everything, delete this chat in Telegram: open the chat menu and choose Delete chat.",
		"fr": "Certains messages de cette conversation n'ont pas pu être supprimés (Telegram ne permet à un bot de les supprimer que pendant 48 heures, et seulement ceux qu'il connaît). Pour tout effacer, supprimez cette conversation dans Telegram : ouvrez le menu de la conversation et choisissez Supprimer la discussion.",
		"ar": "تعذّر حذف بعض رسائل هذه المحادثة (يسمح تيليغرام للبوت بحذفها خلال 48 ساعة فقط، وفقط الرسائل التي يعرفها). لحذف كل شيء، احذف هذه المحادثة في تيليغرام: افتح قائمة المحادثة واختر حذف المحادثة.",
	},
}

// uiText picks the text for a platform language hint ("fr", "ar-EG"),
// English by default.
func uiText(locale, key string) string {
	l := strings.ToLower(locale)
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	if t, ok := uiTexts[key][l]; ok {
		return t
	}
	return uiTexts[key]["en"]
}
