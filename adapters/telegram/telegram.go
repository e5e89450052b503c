// Package telegram connects Baraza to Telegram through the Bot API
// (github.com/go-telegram-bot-api/telegram-bot-api/v5): it converts updates
// to bot events and bot responses to Bot API calls, and nothing else.
//
// Intake is durable: in long-polling mode the adapter runs its own
// getUpdates loop (not the library's GetUpdatesChan, which confirms updates
// before they are processed) and advances the offset, kept in an
// OffsetStore, only past updates that were handled and whose replies were
// delivered. A short fenced lease in the same store decides which replica
// polls: a standby takes over about LeaseTTL (3 s) after the holder died,
// and a holder whose lease moved on can no longer commit the offset. In
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
	"github.com/prometheus/client_golang/prometheus"

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
// (*store.Store implements it). AcquireFencedLease takes or renews the
// lease and returns its fencing token (0: another replica has it);
// SetOffsetFenced moves the offset forward only while that token still
// holds the lease (held false otherwise).
type OffsetStore interface {
	Offset(ctx context.Context, name string) (int64, error)
	AcquireFencedLease(ctx context.Context, name, holder string, ttl time.Duration) (int64, error)
	SetOffsetFenced(ctx context.Context, name string, v int64, holder string, token int64) (held bool, err error)
	ReleaseFencedLease(ctx context.Context, name, holder string, token int64) error
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
	// Trails keeps the exact message ids of each person's dialog (both
	// sides) so that /stop deletes exactly those, on any replica and after
	// a restart (*bot.Trails implements it). Nil: this process's memory
	// only.
	Trails TrailStore
	Limits Limits

	PollTimeout time.Duration // long-poll timeout [25 s]
	// LeaseTTL is the polling lease [3 s], renewed every sixth of it: a
	// replacement takes over within about LeaseTTL of a crash.
	LeaseTTL      time.Duration
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

	tmu sync.Mutex
	mem map[int64]*chatMem

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
	// Undeletable counts messages an erase could not delete (Telegram
	// refuses messages older than 48 h); Deleted those it did delete.
	Undeletable atomic.Int64
	Deleted     atomic.Int64
	// Media counts messages without text (voice, stickers, photos, ...)
	// answered with a request to type.
	Media atomic.Int64
	// TrailErrors counts failures to read or write the trail store (the
	// erase then uses what this process remembers).
	TrailErrors atomic.Int64
	// LeaseLost counts times this replica stopped polling because its
	// lease was gone or a newer getUpdates ended its own (409).
	LeaseLost atomic.Int64
}

// Stats returns the adapter's counters.
func (a *Adapter) Stats() *Stats { return &a.stats }

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
		cfg.LeaseTTL = 3 * time.Second
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
		mem:         map[int64]*chatMem{},
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
	var resp bot.Response
	if in.media {
		return a.askToType(ctx, in)
	}
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

// Interface guards.
var (
	_ bot.Adapter = (*Adapter)(nil)
	_ bot.Inviter = (*Adapter)(nil)
)

// Collectors are the adapter's Prometheus metrics. None carries an
// identity: they count events of the whole bot.
func (a *Adapter) Collectors() []prometheus.Collector {
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	return []prometheus.Collector{
		counter("baraza_telegram_undeletable_messages_total", "Messages a quick exit could not delete (older than 48 h, or refused).", &a.stats.Undeletable),
		counter("baraza_telegram_deleted_messages_total", "Messages deleted by quick exits.", &a.stats.Deleted),
		counter("baraza_telegram_media_refused_total", "Messages without text answered with a request to type.", &a.stats.Media),
		counter("baraza_telegram_trail_errors_total", "Failures to read or write the message-id trail.", &a.stats.TrailErrors),
		counter("baraza_telegram_lease_lost_total", "Times this replica stopped polling: lease gone or a newer getUpdates (409).", &a.stats.LeaseLost),
		counter("baraza_telegram_dropped_updates_total", "Updates given up after their handler kept failing.", &a.stats.Dropped),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "baraza_telegram_429_total", Help: "429 answers from the Bot API (each waited out and retried)."},
			func() float64 { return float64(a.out.count429()) }),
	}
}
