// Package facilitate holds what facilitators use to run a consultation:
// chat commands (/consultations, /open, /close, /stats, /invite), QR codes
// of invite links, the live room view for a projector, and the reload of
// the scripts folder with its checks.
//
// Facilitators are recognised in chat by pseudonym only: the raw
// "platform:id" entries of BARAZA_FACILITATORS are turned into pseudonyms
// when the Commands are built and are not kept.
//
// The live room view updates after every k responses, never on each one,
// so the change a room sees on the projector always aggregates at least k
// people (see Live).
package facilitate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/results"
)

// ChatActor is how a status change made from chat is recorded: never a
// platform id.
const ChatActor = "chat facilitator"

// Config configures the facilitators' chat commands.
type Config struct {
	// Facilitators are raw "platform:id" entries (BARAZA_FACILITATORS).
	// They are turned into pseudonyms with Keys in New and not kept.
	Facilitators []string
	// Keys makes the pseudonyms; required when Facilitators is not empty.
	Keys *privacy.Keys
	// Consult reads and changes consultations; required.
	Consult *consult.Service
	// Inviters give each platform's invite link or instructions, by
	// platform name ("telegram", "discord", "webchat").
	Inviters map[string]bot.Inviter
	// WebchatURL is the web chat's public address (e.g.
	// "https://baraza.example.org/chat"), used for /invite when no
	// "webchat" Inviter gives a link.
	WebchatURL string
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Commands handles the facilitators' chat commands. It implements
// bot.CommandHandler.
type Commands struct {
	facilitators map[string]bool // pseudonyms
	consult      *consult.Service
	inviters     map[string]bot.Inviter
	webchatURL   string
	log          *slog.Logger
	now          func() time.Time
}

// New builds the commands. An entry of Facilitators that is not
// "platform:id" is an error naming its position (not its content, which is
// a platform id).
func New(cfg Config) (*Commands, error) {
	if cfg.Consult == nil {
		return nil, errors.New("facilitate: config: Consult is required")
	}
	c := &Commands{
		facilitators: make(map[string]bool, len(cfg.Facilitators)),
		consult:      cfg.Consult,
		inviters:     cfg.Inviters,
		webchatURL:   strings.TrimRight(cfg.WebchatURL, "?"),
		log:          cfg.Logger,
		now:          cfg.Now,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "facilitate")
	if c.now == nil {
		c.now = time.Now
	}
	for i, f := range cfg.Facilitators {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		platform, id, ok := strings.Cut(f, ":")
		platform, id = strings.TrimSpace(platform), strings.TrimSpace(id)
		if !ok || platform == "" || id == "" {
			return nil, fmt.Errorf("facilitate: facilitator entry %d: want platform:id", i+1)
		}
		if cfg.Keys == nil {
			return nil, errors.New("facilitate: config: Keys is required with Facilitators")
		}
		c.facilitators[cfg.Keys.Respondent(strings.ToLower(platform), id)] = true
	}
	return c, nil
}

// commandNames are the facilitators' commands.
var commandNames = map[string]bool{"consultations": true, "open": true, "close": true, "stats": true, "invite": true}

// HandleCommand implements bot.CommandHandler. For anyone who is not a
// facilitator, and for any other command, it returns ok=false and the
// router answers as it does for any command it does not know.
func (c *Commands) HandleCommand(ctx context.Context, ev bot.Event, respondent, lang string) (bot.Response, bool, error) {
	if ev.Kind != bot.KindCommand || !commandNames[ev.Command] || !c.facilitators[respondent] {
		return bot.Response{}, false, nil
	}
	lang = baseLang(lang)
	arg := strings.TrimSpace(ev.Arg)
	var (
		msg bot.Message
		err error
	)
	switch ev.Command {
	case "consultations":
		msg, err = c.list(ctx, lang)
	case "open":
		msg, err = c.setStatus(ctx, lang, arg, bot.StatusOpen)
	case "close":
		msg, err = c.setStatus(ctx, lang, arg, bot.StatusClosed)
	case "stats":
		msg, err = c.stats(ctx, lang, arg)
	case "invite":
		msg, err = c.invite(lang, arg)
	}
	if err != nil {
		return bot.Response{}, false, err
	}
	msg.Lang = lang
	return bot.Response{Messages: []bot.Message{msg}}, true, nil
}

func reply(s string) bot.Message { return bot.Message{Text: s} }

// script finds the consultation named by arg, or the message to send
// instead.
func (c *Commands) script(lang, command, arg string) (*dialogs.Script, *bot.Message) {
	if arg == "" {
		m := reply(text(lang, "usage", command))
		return nil, &m
	}
	sc := c.consult.Catalog.Get(arg)
	if sc == nil {
		m := reply(text(lang, "unknown", clip(arg)))
		return nil, &m
	}
	return sc, nil
}

func (c *Commands) list(ctx context.Context, lang string) (bot.Message, error) {
	infos, err := c.consult.List(ctx, lang)
	if err != nil {
		return bot.Message{}, fmt.Errorf("facilitate: list: %w", err)
	}
	if len(infos) == 0 {
		return reply(text(lang, "none")), nil
	}
	var b strings.Builder
	b.WriteString(text(lang, "list_header"))
	for _, in := range infos {
		status := statusText(lang, in.Status)
		if in.Kind == dialogs.KindReport {
			status = text(lang, "report_kind")
		}
		b.WriteString("\n")
		b.WriteString(text(lang, "list_line", in.ID, in.Title, status,
			countText(lang, in.Started, in.Release, in.Mode), countText(lang, in.Completed, in.Release, in.Mode)))
	}
	return reply(b.String()), nil
}

func (c *Commands) setStatus(ctx context.Context, lang, arg, status string) (bot.Message, error) {
	command := map[string]string{bot.StatusOpen: "open", bot.StatusClosed: "close"}[status]
	sc, m := c.script(lang, command, arg)
	if m != nil {
		return *m, nil
	}
	if sc.Kind == dialogs.KindReport {
		return reply(text(lang, "report_always", sc.ID)), nil
	}
	if err := c.consult.SetStatus(ctx, sc.ID, status, ChatActor); err != nil {
		return bot.Message{}, fmt.Errorf("facilitate: %s %s: %w", status, sc.ID, err)
	}
	c.log.Info("status changed", "consultation", sc.ID, "status", status, "by", ChatActor)
	lines := []string{text(lang, map[string]string{bot.StatusOpen: "opened", bot.StatusClosed: "closed"}[status], sc.ID)}
	// The override lasts until the schedule's next boundary, which then
	// applies again (bot.EffectiveStatus): say so.
	now := c.now()
	if !sc.Opens.IsZero() && sc.Opens.After(now) {
		lines = append(lines, text(lang, "schedule_opens", sc.Opens.UTC().Format("2006-01-02 15:04")))
	}
	if !sc.Closes.IsZero() && sc.Closes.After(now) {
		lines = append(lines, text(lang, "schedule_closes", sc.Closes.UTC().Format("2006-01-02 15:04")))
	}
	return reply(strings.Join(lines, "\n")), nil
}

func (c *Commands) stats(ctx context.Context, lang, arg string) (bot.Message, error) {
	sc, m := c.script(lang, "stats", arg)
	if m != nil {
		return *m, nil
	}
	statuses, err := c.consult.Statuses(ctx)
	if err != nil {
		return bot.Message{}, fmt.Errorf("facilitate: stats: %w", err)
	}
	// Numbers of the latest release, never of the live counters; the
	// release state says what comes next, as the live view reads it.
	rs := c.consult.Release()
	st, err := rs.Latest(ctx, sc)
	if err != nil {
		return bot.Message{}, fmt.Errorf("facilitate: stats: %w", err)
	}
	sum := rs.SummaryOf(sc, st, statuses[sc.ID], lang)
	started, completed := sum.Started, sum.Completed
	// The rate is shown only when both counts are: it would otherwise
	// reveal a hidden one.
	rate := text(lang, "rate_hidden")
	if started != nil && completed != nil {
		if *started > 0 {
			rate = strconv.FormatInt(*completed*100 / *started, 10) + " %"
		} else {
			rate = "–"
		}
	}
	status := statusText(lang, statuses[sc.ID])
	if sc.Kind == dialogs.KindReport {
		status = text(lang, "report_kind")
	}
	var rel string
	final := sum.Final && statuses[sc.ID] == release.StatusClosed
	when := ""
	if t, err := time.Parse(time.RFC3339, sum.NextReleaseAt); err == nil {
		when = t.UTC().Format("2006-01-02 15:04 UTC")
	}
	switch {
	case sc.DP != nil && !final && sum.Release == 0 && when != "":
		// A DP consultation's releases follow a calendar; no count of
		// the responses still needed (it would follow the true count).
		rel = text(lang, "release_none_at", when)
	case sc.DP != nil && !final && sum.Release == 0:
		rel = text(lang, "release_none_close")
	case sc.DP != nil && !final && when != "":
		rel = text(lang, "release_at", sum.Release, when)
	case sc.DP != nil && !final:
		rel = text(lang, "release_on_close", sum.Release)
	case sum.Release == 0:
		rel = text(lang, "release_none", max(pendingOf(sum), 1))
	case st.OnClose && !final:
		// The audit budget has room for the final release only.
		rel = text(lang, "release_on_close", sum.Release)
	case sum.Pending == nil:
		rel = text(lang, "release_final", sum.Release)
	case *sum.Pending == 0:
		rel = text(lang, "release_soon", sum.Release)
	default:
		rel = text(lang, "release_line", sum.Release, *sum.Pending)
	}
	return reply(text(lang, "stats", sc.ID, sc.Text(sc.Title, lang), status,
		countText(lang, started, sum.Release, sum.Mode), countText(lang, completed, sum.Release, sum.Mode), rate) + "\n" + rel), nil
}

// pendingOf is the number of completions the next release needs.
func pendingOf(sum results.Summary) int64 {
	if sum.Pending == nil {
		return 0
	}
	return *sum.Pending
}

func (c *Commands) invite(lang, arg string) (bot.Message, error) {
	sc, m := c.script(lang, "invite", arg)
	if m != nil {
		return *m, nil
	}
	platforms := make([]string, 0, len(c.inviters))
	for p := range c.inviters {
		platforms = append(platforms, p)
	}
	// Telegram first, then Discord, the web chat, and any other.
	order := map[string]int{"telegram": 0, "discord": 1, "webchat": 2}
	sort.Slice(platforms, func(i, j int) bool {
		oi, iok := order[platforms[i]]
		oj, jok := order[platforms[j]]
		switch {
		case iok && jok:
			return oi < oj
		case iok != jok:
			return iok
		}
		return platforms[i] < platforms[j]
	})
	var (
		lines                 = []string{text(lang, "invite_header", sc.ID)}
		telegramLink, webLink string
	)
	for _, p := range platforms {
		inv := c.inviters[p]
		if inv == nil {
			continue
		}
		link, instructions := inv.InviteText(sc.ID)
		what := link
		if what == "" {
			what = instructions
		} else if instructions != "" && p != "webchat" {
			what = link + "\n" + instructions
		}
		if what == "" {
			continue
		}
		switch p {
		case "telegram":
			telegramLink = link
			lines = append(lines, text(lang, "invite_telegram", what))
		case "discord":
			lines = append(lines, text(lang, "invite_discord", what))
		case "webchat":
			if link == "" && c.webchatURL != "" {
				continue // the configured address below is better
			}
			webLink = link
			lines = append(lines, text(lang, "invite_web", what))
		default:
			lines = append(lines, text(lang, "invite_other", p, what))
		}
	}
	if webLink == "" && c.webchatURL != "" {
		webLink = c.webchatURL + "?c=" + sc.ID // ids are [a-z0-9-]: nothing to escape
		lines = append(lines, text(lang, "invite_web", webLink))
	}
	if len(lines) == 1 {
		return reply(text(lang, "invite_none")), nil
	}
	msg := bot.Message{}
	// One QR code: the web link works on any phone with a camera and a
	// browser; else the Telegram link.
	qrLink := webLink
	if qrLink == "" {
		qrLink = telegramLink
	}
	if qrLink != "" {
		png, err := QR(qrLink)
		if err != nil {
			return bot.Message{}, fmt.Errorf("facilitate: invite: %w", err)
		}
		msg.Image, msg.ImageName = png, "invite-"+sc.ID+".png"
		lines = append(lines, text(lang, "invite_qr", qrLink))
	}
	msg.Text = strings.Join(lines, "\n")
	return msg, nil
}

func statusText(lang, status string) string {
	switch status {
	case bot.StatusOpen, bot.StatusClosed, bot.StatusScheduled:
		return text(lang, "status_"+status)
	}
	return status
}

// countText shows a count of release rel: the number ("≈ N (noise
// added)" in a DP release), that it is hidden (to protect respondents,
// whatever the reason: never "fewer than k", false for a count hidden to
// protect another), or that nothing is released yet.
func countText(lang string, n *int64, rel int, mode string) string {
	if rel == 0 {
		return text(lang, "unreleased")
	}
	if n == nil {
		return text(lang, "hidden")
	}
	if mode == results.ModeDP {
		return text(lang, "noisy", strconv.FormatInt(*n, 10))
	}
	return strconv.FormatInt(*n, 10)
}

// clip shortens what a facilitator typed before it is echoed back.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

var _ bot.CommandHandler = (*Commands)(nil)
