// Package telegram connects Baraza to Telegram through the Bot API
// (github.com/go-telegram-bot-api/telegram-bot-api/v5): it converts updates
// to bot events and bot responses to Bot API calls, and nothing else.
//
// Intake is durable: in long-polling mode the adapter runs its own
// getUpdates loop (not the library's GetUpdatesChan, which confirms updates
// before they are processed) and advances the offset, kept in an
// OffsetStore, only past updates that were handled and whose replies were
// delivered. A lease in the same store decides which replica polls. In
// webhook mode the HTTP handler answers 2xx only after the update was
// handled. Updates of one chat are handled in order, different chats
// concurrently.
//
// Outbound calls go through a limiter (a token bucket per chat and one for
// the bot) that honours 429 retry_after and never drops a reply. The bot
// token never appears in logs or returned errors.
package telegram

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/keyqueue"
)

// Name is the adapter's name and the Event.Platform of its events.
const Name = "telegram"

// DefaultAPIEndpoint is Telegram's Bot API endpoint format: token, then
// method.
const DefaultAPIEndpoint = "https://api.telegram.org/bot%s/%s"

// allowedUpdates are the update kinds the bot asks for.
var allowedUpdates = []string{"message", "callback_query"}

// OffsetStore keeps the getUpdates offset and the polling lease
// (*store.Store implements it). SetOffset only moves forward. AcquireLease
// by the current holder renews it.
type OffsetStore interface {
	Offset(ctx context.Context, name string) (int64, error)
	SetOffset(ctx context.Context, name string, v int64) error
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Config configures the adapter. Zero values take the defaults in
// brackets.
type Config struct {
	Token string
	// APIEndpoint is the Bot API endpoint format with two %s, token then
	// method [DefaultAPIEndpoint].
	APIEndpoint string
	// WebhookURL and WebhookSecret select webhook mode: Run registers the
	// webhook with this secret_token and WebhookHandler serves it. Empty
	// WebhookURL: long polling.
	WebhookURL, WebhookSecret string
	// HTTPClient for Bot API calls [a client with a timeout of PollTimeout
	// plus 15 s].
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Offsets keeps the offset and the polling lease; required for long
	// polling, unused in webhook mode.
	Offsets OffsetStore
	Limits  Limits

	PollTimeout   time.Duration // long-poll timeout [25 s]
	LeaseTTL      time.Duration // polling lease [30 s], renewed every third
	Workers       int           // Handle calls at once [32]
	RetryDelay    time.Duration // first delay after a failure [200 ms], doubling
	MaxRetryDelay time.Duration // [30 s]
	// HandlerAttempts and HandlerRetryBudget bound how long one update
	// whose handler keeps failing is retried [50 attempts, 15 min,
	// whichever ends first]; then it is dropped so the offset can move on
	// and one bad update cannot stall intake for every chat.
	HandlerAttempts    int
	HandlerRetryBudget time.Duration
	// ShutdownGrace is how long in-flight updates may still finish after
	// Run's context ends [10 s].
	ShutdownGrace time.Duration
}

// Adapter is the Telegram adapter. Create it with New.
type Adapter struct {
	cfg         Config
	logger      *slog.Logger
	api         *client
	out         *sender
	botUsername string
	name        string // offset and lease name, without identities
	holder      string
	sem         chan struct{}

	running       atomic.Bool
	mu            sync.Mutex
	handler       bot.Handler     // set while Run runs in webhook mode
	workCtx       context.Context // in-flight work, outlives Run's ctx by ShutdownGrace
	inflight      sync.WaitGroup
	webhookQueues *keyqueue.Queue // webhook updates, in order per chat

	tmu    sync.Mutex
	tracks map[int64]*track

	stats Stats
}

// recovered logs a recovered panic by its type only (the value may hold
// what a person sent).
func (a *Adapter) recovered(r any) {
	a.logger.Error("telegram: panic recovered", "type", fmt.Sprintf("%T", r))
}

// Stats are counters for tests and metrics.
type Stats struct {
	// Dropped counts updates given up after their handler kept failing
	// for HandlerAttempts or HandlerRetryBudget.
	Dropped atomic.Int64
}

// Stats returns the adapter's counters.
func (a *Adapter) Stats() *Stats { return &a.stats }

// track is what the adapter remembers of a chat, in memory only: the
// message id range it has seen, for Erase.
type track struct {
	first, last int
	seen        time.Time
}

// New checks the configuration and the token (getMe) and returns the
// adapter.
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	if cfg.Token == "" {
		return nil, errors.New("telegram: no token")
	}
	if cfg.APIEndpoint == "" {
		cfg.APIEndpoint = DefaultAPIEndpoint
	}
	if strings.Count(cfg.APIEndpoint, "%s") != 2 {
		return nil, errors.New("telegram: api endpoint must hold two %s (token, method)")
	}
	if cfg.WebhookURL != "" {
		if cfg.WebhookSecret == "" || len(cfg.WebhookSecret) > 256 || strings.ContainsFunc(cfg.WebhookSecret, func(r rune) bool {
			return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) {
			return nil, errors.New("telegram: webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
		}
	} else if cfg.Offsets == nil {
		return nil, errors.New("telegram: long polling needs an offset store")
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 25 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.PollTimeout + 15*time.Second}
	} else if t := cfg.HTTPClient.Timeout; t > 0 && cfg.PollTimeout > t-5*time.Second {
		cfg.PollTimeout = max(time.Second, t-5*time.Second)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 30 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 200 * time.Millisecond
	}
	if cfg.MaxRetryDelay <= 0 {
		cfg.MaxRetryDelay = 30 * time.Second
	}
	if cfg.HandlerAttempts <= 0 {
		cfg.HandlerAttempts = 50
	}
	if cfg.HandlerRetryBudget <= 0 {
		cfg.HandlerRetryBudget = 15 * time.Minute
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	logger := cfg.Logger.With("component", Name)
	api := &client{token: cfg.Token, endpoint: cfg.APIEndpoint, http: cfg.HTTPClient}
	raw, err := api.call(ctx, "getMe", nil)
	if err != nil {
		return nil, fmt.Errorf("telegram: check token: %w", err)
	}
	var me tgbotapi.User
	if err := json.Unmarshal(raw, &me); err != nil || me.UserName == "" {
		return nil, fmt.Errorf("telegram: getMe: unexpected answer")
	}
	sum := sha256.Sum256([]byte("telegram-bot:" + strconv.FormatInt(me.ID, 10)))
	var hb [8]byte
	_, _ = rand.Read(hb[:])
	return &Adapter{
		cfg:    cfg,
		logger: logger,
		webhookQueues: keyqueue.New(cfg.Workers, 0, func(r any) {
			logger.Error("telegram: panic recovered", "type", fmt.Sprintf("%T", r))
		}),
		api:         api,
		out:         newSender(cfg.Limits, logger, cfg.RetryDelay, cfg.MaxRetryDelay),
		botUsername: me.UserName,
		name:        "telegram-" + hex.EncodeToString(sum[:6]),
		holder:      hex.EncodeToString(hb[:]),
		sem:         make(chan struct{}, cfg.Workers),
		tracks:      map[int64]*track{},
	}, nil
}

// Name is "telegram".
func (a *Adapter) Name() string { return Name }

// BotUsername is the bot's username as getMe reported it.
func (a *Adapter) BotUsername() string { return a.botUsername }

// InviteText returns the deep link that opens a consultation in a private
// chat with the bot.
func (a *Adapter) InviteText(consultation string) (link, instructions string) {
	return "https://t.me/" + a.botUsername + "?start=" + consultation, ""
}

// Count429 is how many 429 answers the adapter has received (it waits
// and retries each).
func (a *Adapter) Count429() int64 { return a.out.count429() }

// Run receives updates until ctx ends (long polling, or webhook mode when
// Config.WebhookURL is set), hands each to h and delivers the response.
// It returns nil after in-flight updates finished (bounded by
// Config.ShutdownGrace).
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("telegram: adapter already running")
	}
	defer a.running.Store(false)

	senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
	senderDone := make(chan struct{})
	go func() { defer close(senderDone); a.out.run(senderCtx) }()
	defer func() { stopSender(); <-senderDone }()

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var grace *time.Timer
	stopAfter := context.AfterFunc(ctx, func() {
		a.mu.Lock()
		grace = time.AfterFunc(a.cfg.ShutdownGrace, stopWork)
		a.mu.Unlock()
	})
	defer func() {
		stopAfter()
		a.mu.Lock()
		if grace != nil {
			grace.Stop()
		}
		a.mu.Unlock()
	}()

	if a.cfg.WebhookURL != "" {
		return a.runWebhook(ctx, workCtx, h)
	}
	a.runPolling(ctx, workCtx, h)
	return nil
}

// ---- processing ----

// process handles one update and delivers the reply. A handler error is
// retried with backoff until it succeeds, ctx ends, or the retry bounds
// (HandlerAttempts, HandlerRetryBudget) are spent: then the update is
// dropped, logged by its update id only and counted, and nil returned so
// the offset moves past it. Retrying forever pinned the offset, and once
// 100 newer updates were behind it no one's messages were fetched.
func (a *Adapter) process(ctx context.Context, h bot.Handler, in inbound) error {
	if in.chat != 0 && in.msgID != 0 && in.ev.Kind != bot.KindButton {
		a.track(in.chat, in.msgID)
	}
	var resp bot.Response
	if !in.skip {
		giveUp := time.Now().Add(a.cfg.HandlerRetryBudget)
		for attempt := 1; ; attempt++ {
			select {
			case a.sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			var err error
			resp, err = h.Handle(ctx, in.ev)
			<-a.sem
			if err == nil {
				break
			}
			wait := backoff(a.cfg.RetryDelay, a.cfg.MaxRetryDelay, attempt)
			if attempt >= a.cfg.HandlerAttempts || !time.Now().Add(wait).Before(giveUp) {
				a.stats.Dropped.Add(1)
				a.logger.Error("telegram: update dropped after retries", "update", in.ev.ID, "attempts", attempt)
				// Still answer a button press, so the client's spinner stops.
				return a.deliver(ctx, in, bot.Response{})
			}
			a.logger.Warn("telegram: handler failed, retrying", "update", in.ev.ID, "attempt", attempt, "err", err)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
	}
	return a.deliver(ctx, in, resp)
}

// ---- message id tracking (memory only) ----

func (a *Adapter) track(chat int64, id int) {
	if id <= 0 {
		return
	}
	a.tmu.Lock()
	defer a.tmu.Unlock()
	now := time.Now()
	t := a.tracks[chat]
	if t == nil {
		if len(a.tracks) > 10000 {
			for c, old := range a.tracks {
				if now.Sub(old.seen) > 48*time.Hour {
					delete(a.tracks, c)
				}
			}
		}
		t = &track{first: id, last: id}
		a.tracks[chat] = t
	}
	t.first, t.last, t.seen = min(t.first, id), max(t.last, id), now
}

func (a *Adapter) trackRange(chat int64) (first, last int) {
	a.tmu.Lock()
	defer a.tmu.Unlock()
	if t := a.tracks[chat]; t != nil {
		return t.first, t.last
	}
	return 0, 0
}

// Interface guards.
var (
	_ bot.Adapter = (*Adapter)(nil)
	_ bot.Inviter = (*Adapter)(nil)
)
