// Package discord connects Baraza to Discord through discordgo: slash
// commands (/consult, /report, /stop, /help) in servers and DMs, direct
// messages, buttons and select menus. A conversation always continues in
// the user's DM with the bot, so /stop can delete what the bot said there
// (Discord does not let a bot delete the user's own DM messages).
//
// Only the DirectMessages intent is requested; DM content needs no
// privileged intent. Interactions are acknowledged (deferred) at once,
// inside Discord's 3-second window, then handled and followed up. Events
// are handled one at a time per user and at most Concurrency at once.
//
// Identity rule: user ids, channel ids, names, texts and the token are never
// logged; errors are logged by kind only.
package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/keyqueue"
	"github.com/baraza/baraza/internal/ratelimit"
)

// Name is the adapter's platform name.
const Name = "discord"

// DefaultAPI is Discord's REST base URL.
const DefaultAPI = "https://discord.com/api/v9"

// Config configures the adapter.
type Config struct {
	// Token is the bot token, with or without the "Bot " prefix.
	Token string
	// API is the base URL of the REST API (default DefaultAPI). discordgo
	// fixes its endpoints at init, so requests are redirected by the HTTP
	// transport; the gateway URL comes from the API's /gateway.
	API string
	// HTTPClient is used for REST calls (its Transport is wrapped, not
	// changed). Default: a client with a 20 s timeout.
	HTTPClient *http.Client
	// Shard and ShardCount select one gateway shard (see ParseShard). DMs
	// arrive on shard 0 only.
	Shard, ShardCount int
	Logger            *slog.Logger
	// Consultations lists the open consultation ids, for /consult
	// autocomplete and to recognise a bare id sent in a DM. May be nil.
	Consultations func() []string
	// Concurrency bounds the events handled at once (default 64).
	Concurrency int
	// RequestsPerSecond paces REST calls other than interaction responses
	// under Discord's global limit of 50 a second (default 40).
	RequestsPerSecond float64
	// ShutdownGrace is how long in-flight events may run after the context
	// is done before their REST calls are cancelled (default 10 s).
	ShutdownGrace time.Duration
	// RetryBudget is how long a failing handler (the store away) is
	// retried for one event, counted from its arrival (default 15 min:
	// an interaction token takes follow-ups that long; a DM gets the same).
	RetryBudget time.Duration
	// RetryBackoff is the first wait between handler attempts (default
	// 100 ms); it doubles up to RetryMaxBackoff (default 30 s).
	RetryBackoff, RetryMaxBackoff time.Duration
	// UserQueue bounds the events waiting per user (default 256); beyond
	// it an event is dropped and the person told to try again.
	UserQueue int
	// IdentifyGate, shared by the processes running the bot's shards,
	// spaces their identifies as Discord requires: one per 5 s in each
	// bucket shard % max_concurrency (from /gateway/bot). Nil, or one
	// shard: no waiting.
	IdentifyGate IdentifyGate
}

// Adapter is the Discord adapter. Run may be called once.
type Adapter struct {
	cfg    Config
	token  string
	client *http.Client
	log    *slog.Logger
	pace   *ratelimit.Bucket

	botID, appID atomic.Pointer[string]
	ready        chan struct{}
	readyOnce    sync.Once
	stopping     atomic.Bool
	ran          atomic.Bool

	stats Stats

	dmMu sync.Mutex
	dms  map[string]dmEntry // user id -> DM channel, in memory only

	resumeTo atomic.Pointer[resumeTarget]
	readies  atomic.Int64
	recent   recents
}

type dmEntry struct {
	channel string
	at      time.Time
}

// Stats are counters for tests and metrics.
type Stats struct {
	Events, Ignored, Malformed, Dropped, Retried429, Failed atomic.Int64
	// ClosedDMs counts people whose privacy settings refused the bot's DM
	// (Discord 50007 / 50278); they got the ephemeral explanation.
	ClosedDMs atomic.Int64
	// DMCacheHits counts DM channels reused instead of asked for again.
	DMCacheHits atomic.Int64
	// ResumeDials counts gateway connections made to READY's
	// resume_gateway_url; Resumed counts RESUMED; Reidentified counts
	// READYs after the first (the session could not be resumed);
	// Reprompted counts people shown their question again after one.
	ResumeDials, Resumed, Reidentified, Reprompted atomic.Int64
	// ModalsOpened counts answer forms opened for long text answers.
	ModalsOpened atomic.Int64
}

// dmTTL is how long a user's DM channel is reused before it is asked for
// again: longer than a dialog, short enough that the map stays small.
const dmTTL = time.Hour

// dmChannel returns the user's DM channel, from the cache while fresh.
func (a *Adapter) dmChannel(ctx context.Context, s *discordgo.Session, user string) (string, error) {
	now := time.Now()
	a.dmMu.Lock()
	if e, ok := a.dms[user]; ok && now.Sub(e.at) < dmTTL {
		a.dmMu.Unlock()
		a.stats.DMCacheHits.Add(1)
		return e.channel, nil
	}
	a.dmMu.Unlock()
	var ch *discordgo.Channel
	err := a.rest(ctx, true, func(o ...discordgo.RequestOption) error {
		var err error
		ch, err = s.UserChannelCreate(user, o...)
		return err
	})
	if err != nil || ch == nil || ch.ID == "" {
		if err == nil {
			err = errors.New("discord: no DM channel in the answer")
		}
		return "", err
	}
	a.dmMu.Lock()
	if a.dms == nil || len(a.dms) > 50000 {
		for u, e := range a.dms {
			if now.Sub(e.at) >= dmTTL {
				delete(a.dms, u)
			}
		}
		if a.dms == nil || len(a.dms) > 50000 {
			a.dms = map[string]dmEntry{}
		}
	}
	a.dms[user] = dmEntry{channel: ch.ID, at: now}
	a.dmMu.Unlock()
	return ch.ID, nil
}

// dmRefused reports whether err is Discord refusing a DM because of the
// person's settings: 50007 "Cannot send messages to this user", 50278
// "Cannot send messages to this user (no mutual guild / DMs disabled)".
func dmRefused(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Message != nil && (re.Message.Code == 50007 || re.Message.Code == 50278)
}

// New checks the configuration and builds an adapter; it does not connect.
func New(cfg Config) (*Adapter, error) {
	tok := strings.TrimSpace(cfg.Token)
	tok = strings.TrimSpace(strings.TrimPrefix(tok, "Bot "))
	if tok == "" {
		return nil, errors.New("discord: token is required")
	}
	if cfg.ShardCount == 0 && cfg.Shard == 0 {
		cfg.ShardCount = 1
	}
	if cfg.ShardCount < 1 || cfg.Shard < 0 || cfg.Shard >= cfg.ShardCount {
		return nil, fmt.Errorf("discord: shard %d of %d is out of range", cfg.Shard, cfg.ShardCount)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.RequestsPerSecond <= 0 {
		cfg.RequestsPerSecond = 40
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	if cfg.RetryBudget <= 0 {
		cfg.RetryBudget = interactionTokenLife
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 100 * time.Millisecond
	}
	if cfg.RetryMaxBackoff <= 0 {
		cfg.RetryMaxBackoff = 30 * time.Second
	}
	if cfg.RetryMaxBackoff < cfg.RetryBackoff {
		cfg.RetryMaxBackoff = cfg.RetryBackoff
	}
	if cfg.UserQueue <= 0 {
		cfg.UserQueue = 256
	}
	client, err := redirectClient(cfg.API, cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	a := &Adapter{
		cfg: cfg, token: "Bot " + tok, client: client,
		log:   cfg.Logger.With("component", Name),
		pace:  newPacer(cfg.RequestsPerSecond),
		ready: make(chan struct{}),
	}
	return a, nil
}

// Name returns "discord".
func (a *Adapter) Name() string { return Name }

// Stats returns the adapter's counters.
func (a *Adapter) Stats() *Stats { return &a.stats }

// InviteText gives instructions to open a consultation on Discord, which
// has no deep link into a bot conversation.
func (a *Adapter) InviteText(consultation string) (link, instructions string) {
	return "", fmt.Sprintf("Send /consult %s to the Baraza bot in a direct message on Discord "+
		"(or use /consult %s in a server where the bot is installed).", consultation, consultation)
}

// ParseShard parses BARAZA_DISCORD_SHARD, "i/n": run shard i of n. An
// empty string means shard 0 of 1.
func ParseShard(s string) (i, n int, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("discord: shard %q: want i/n, e.g. 0/2", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("discord: shard %q: want two whole numbers i/n", s)
	}
	if n < 1 || n > 1<<16 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("discord: shard %q: want 0 <= i < n", s)
	}
	return i, n, nil
}

// ---- transport ---------------------------------------------------------------

// rewriteTransport sends requests for Discord's REST host to another base
// URL. discordgo's endpoint variables are left alone.
type rewriteTransport struct {
	base   http.RoundTripper
	to     *url.URL
	prefix string // path replacing /api/v9
}

func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "discord.com" {
		return t.base.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = t.to.Scheme, t.to.Host, t.to.Host
	if rest, ok := strings.CutPrefix(r2.URL.Path, "/api/v"+discordgo.APIVersion); ok {
		r2.URL.Path = t.prefix + rest
		r2.URL.RawPath = ""
	}
	return t.base.RoundTrip(r2)
}

func redirectClient(api string, c *http.Client) (*http.Client, error) {
	var client http.Client
	if c != nil {
		client = *c
	} else {
		client.Timeout = 20 * time.Second
	}
	if api == "" || strings.TrimRight(api, "/") == DefaultAPI {
		return &client, nil
	}
	u, err := url.Parse(strings.TrimRight(api, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("discord: API %q must be an http(s) URL", api)
	}
	prefix := u.Path
	if prefix == "" {
		prefix = "/api/v" + discordgo.APIVersion
	}
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client.Transport = &rewriteTransport{base: base, to: u, prefix: prefix}
	return &client, nil
}

// ---- run ---------------------------------------------------------------------

func (a *Adapter) newSession() (*discordgo.Session, error) {
	s, err := discordgo.New(a.token)
	if err != nil {
		return nil, fmt.Errorf("discord: session: %w", err)
	}
	s.Client = a.client
	s.Dialer = a.dialer()
	s.LogLevel = -1 // discordgo logs payloads; keep it silent
	s.StateEnabled = false
	s.ShouldReconnectOnError = true
	// Handlers run on the gateway reader, in sequence order, so one user's
	// events are queued in the order Discord sent them; onEvent therefore
	// never blocks (acks and autocomplete answers run in goroutines).
	s.SyncEvents = true
	s.Identify.Intents = discordgo.IntentsDirectMessages
	if a.cfg.ShardCount > 1 {
		s.ShardID, s.ShardCount = a.cfg.Shard, a.cfg.ShardCount
	}
	return s, nil
}

// Run connects to the gateway, registers the slash commands (shard 0) and
// hands events to h until ctx is done; then it closes the gateway and
// waits for in-flight events (at most ShutdownGrace before their REST
// calls are cancelled).
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if !a.ran.CompareAndSwap(false, true) {
		return errors.New("discord: Run called twice")
	}
	s, err := a.newSession()
	if err != nil {
		return err
	}
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	d := keyqueue.New(a.cfg.Concurrency, a.cfg.UserQueue, func(r any) { a.recovered("event handling", r) })
	// discordgo calls handlers without a recover, on the gateway reader:
	// a panic there would end the whole process.
	s.AddHandler(func(s *discordgo.Session, e *discordgo.Event) {
		defer a.recoverIn("gateway event")
		a.onEvent(work, s, d, h, e)
	})
	s.AddHandler(func(s *discordgo.Session, _ *discordgo.Connect) {
		defer a.recoverIn("gateway connect")
		// A reconnect that finishes after shutdown must not stay open.
		if a.stopping.Load() {
			go func() { _ = s.Close() }()
		}
	})
	if err := a.awaitIdentify(ctx, s); err != nil {
		return nil // ctx ended while waiting for the identify slot
	}
	if err := s.Open(); err != nil {
		return fmt.Errorf("discord: open gateway: %w", err)
	}
	a.log.Info("gateway connected", "shard", a.cfg.Shard, "shards", a.cfg.ShardCount)
	if a.cfg.Shard == 0 {
		if err := a.registerCommands(ctx, s); err != nil {
			a.log.Warn("slash commands not registered", "err", errKind(err))
		}
	}
	<-ctx.Done()
	a.stopping.Store(true)
	_ = s.Close()
	done := make(chan struct{})
	go func() { d.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(a.cfg.ShutdownGrace):
		cancelWork()
		<-done
	}
	a.log.Info("gateway closed")
	return nil
}

// recoverIn recovers a panic in a deferred call; where names the callback.
func (a *Adapter) recoverIn(where string) {
	if r := recover(); r != nil {
		a.recovered(where, r)
	}
}

// recovered logs a recovered panic by its type only: the value may hold
// the payload, a user id or a text.
func (a *Adapter) recovered(where string, r any) {
	a.stats.Failed.Add(1)
	a.log.Error("panic recovered", "in", where, "type", fmt.Sprintf("%T", r))
}

// command is a slash command as registered: discordgo v0.28.1's
// ApplicationCommand plus the fields it lacks. contexts replaces the
// deprecated dm_permission: usable in servers and in the bot's DM.
type command struct {
	*discordgo.ApplicationCommand
	Contexts         []int `json:"contexts"`
	IntegrationTypes []int `json:"integration_types"`
}

// commands are the slash commands, registered with one idempotent bulk
// overwrite.
func commands() []command {
	defs := []*discordgo.ApplicationCommand{
		{Name: "consult", Description: "Answer a consultation, anonymously, in a direct message",
			Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString,
				Name: "id", Description: "The consultation id", Required: false, Autocomplete: true, MaxLength: 40}}},
		{Name: "report", Description: "Report a safety incident, anonymously"},
		{Name: "stop", Description: "End your session and delete the bot's messages"},
		{Name: "help", Description: "How Baraza works"},
	}
	out := make([]command, len(defs))
	for i, d := range defs {
		out[i] = command{ApplicationCommand: d, Contexts: []int{contextGuild, contextBotDM}, IntegrationTypes: []int{0}}
	}
	return out
}

func (a *Adapter) registerCommands(ctx context.Context, s *discordgo.Session) error {
	app, err := a.waitReady(ctx)
	if err != nil {
		return err
	}
	return a.rest(ctx, true, func(o ...discordgo.RequestOption) error {
		// discordgo's ApplicationCommandBulkOverwrite cannot send contexts.
		ep := discordgo.EndpointApplicationGlobalCommands(app)
		_, err := s.RequestWithBucketID(http.MethodPut, ep, commands(), ep, o...)
		return err
	})
}

func (a *Adapter) waitReady(ctx context.Context) (string, error) {
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-a.ready:
		return *a.appID.Load(), nil
	case <-ctx.Done():
		return "", ctx.Err()
	case <-t.C:
		return "", errors.New("discord: no READY from the gateway")
	}
}

func (a *Adapter) botUserID() string {
	if p := a.botID.Load(); p != nil {
		return *p
	}
	return ""
}

func (a *Adapter) consultationSet() func(string) bool {
	if a.cfg.Consultations == nil {
		return nil
	}
	return func(id string) bool {
		for _, c := range a.cfg.Consultations() {
			if c == id {
				return true
			}
		}
		return false
	}
}

// onEvent runs on the gateway reader goroutine (SyncEvents) for each
// dispatch, in sequence order: it converts the raw payload, starts the
// interaction's acknowledgement at once and queues the rest on the user's
// queue. It never blocks on the network.
func (a *Adapter) onEvent(ctx context.Context, s *discordgo.Session, d *keyqueue.Queue, h bot.Handler, e *discordgo.Event) {
	var (
		in  inbound
		err error
	)
	switch e.Type {
	case "RESUMED":
		a.stats.Resumed.Add(1)
		a.log.Info("gateway session resumed")
		return
	case "READY":
		var r struct {
			User             struct{ ID string } `json:"user"`
			Application      struct{ ID string } `json:"application"`
			ResumeGatewayURL string              `json:"resume_gateway_url"`
		}
		if json.Unmarshal(e.RawData, &r) != nil || r.User.ID == "" || r.Application.ID == "" {
			a.log.Warn("malformed READY skipped")
			return
		}
		a.botID.Store(&r.User.ID)
		a.appID.Store(&r.Application.ID)
		a.readyOnce.Do(func() { close(a.ready) })
		a.onReady(ctx, s, d, h, r.ResumeGatewayURL)
		return
	case "MESSAGE_CREATE":
		in, err = parseMessageCreate(e.RawData, a.botUserID(), a.consultationSet())
	case "INTERACTION_CREATE":
		in, err = parseInteractionCreate(e.RawData)
	default:
		return
	}
	switch {
	case errors.Is(err, errIgnored):
		a.stats.Ignored.Add(1)
		return
	case err != nil:
		a.stats.Malformed.Add(1)
		a.log.Warn("malformed event skipped", "type", e.Type, "err", errKind(err))
		return
	}
	if in.Autocomplete == nil && len(in.Events) == 0 {
		// The converters refuse this already; never index an empty list.
		a.stats.Malformed.Add(1)
		a.log.Warn("malformed event skipped", "type", e.Type, "err", "no events")
		return
	}
	if a.stopping.Load() {
		a.stats.Dropped.Add(1)
		return
	}
	if in.Autocomplete != nil {
		d.Spawn(func() { a.autocomplete(ctx, s, in.Interaction, *in.Autocomplete) })
		return
	}
	if ev := in.Events[0]; in.Interaction != nil && ev.Kind == bot.KindButton {
		if n, ok := modalMax(ev.Data); ok {
			d.Spawn(func() { a.openModal(ctx, s, in.Interaction, n) })
			return
		}
	}
	var ack *ackResult
	if in.Ack != 0 {
		ack = &ackResult{done: make(chan struct{})}
	}
	arrived := time.Now()
	key := in.Events[0].User
	if !d.Submit(key, func() { a.process(ctx, s, h, in, ack, arrived) }) {
		a.stats.Dropped.Add(1)
		a.log.Warn("event dropped: per-user queue full")
		d.Spawn(func() { a.busy(ctx, s, in) })
		return
	}
	if ack != nil {
		// The job waits for this before following up; it was queued
		// first only so a dropped interaction is answered "busy" instead.
		d.Spawn(func() {
			ack.ok = a.ack(ctx, s, in) == nil
			close(ack.done)
		})
	}
}

// busy tells the person that an event was dropped because too many of
// theirs are waiting: an ephemeral reply to an interaction, a message in
// the DM otherwise. Silence would look like the answer was taken.
func (a *Adapter) busy(ctx context.Context, s *discordgo.Session, in inbound) {
	if in.Interaction != nil {
		err := a.rest(ctx, false, func(o ...discordgo.RequestOption) error {
			return s.InteractionRespond(in.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: textBusy, Flags: discordgo.MessageFlagsEphemeral},
			}, o...)
		})
		if err != nil {
			a.log.Warn("busy reply not sent", "err", errKind(err))
		}
		return
	}
	if chat := in.Events[0].Chat; chat != "" {
		a.send(ctx, s, chat, bot.Message{Text: textBusy})
	}
}

// ackResult is the outcome of an interaction's deferred acknowledgement,
// sent at once on its own goroutine.
type ackResult struct {
	done chan struct{}
	ok   bool
}

// wait reports whether the interaction was acknowledged.
func (r *ackResult) wait() bool {
	if r == nil {
		return false
	}
	<-r.done
	return r.ok
}

func (a *Adapter) ack(ctx context.Context, s *discordgo.Session, in inbound) error {
	resp := &discordgo.InteractionResponse{Type: in.Ack}
	if in.Ephemeral {
		resp.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
	}
	err := a.rest(ctx, false, func(o ...discordgo.RequestOption) error {
		return s.InteractionRespond(in.Interaction, resp, o...)
	})
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeInteractionHasAlreadyBeenAcknowledged {
		// A re-delivery: the first delivery acknowledged it, and its token
		// still takes follow-ups.
		return nil
	}
	if err != nil {
		a.stats.Failed.Add(1)
		a.log.Warn("interaction not acknowledged", "err", errKind(err))
	}
	return err
}

func (a *Adapter) autocomplete(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, typed string) {
	var ids []string
	if a.cfg.Consultations != nil {
		ids = a.cfg.Consultations()
	}
	choices := autocompleteChoices(ids, typed)
	err := a.rest(ctx, false, func(o ...discordgo.RequestOption) error {
		return s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: choices},
		}, o...)
	})
	if err != nil {
		a.log.Warn("autocomplete not answered", "err", errKind(err))
	}
}

// autocompleteChoices returns up to 25 ids starting with (then containing)
// what was typed.
func autocompleteChoices(ids []string, typed string) []*discordgo.ApplicationCommandOptionChoice {
	typed = strings.ToLower(strings.TrimSpace(typed))
	out := []*discordgo.ApplicationCommandOptionChoice{}
	add := func(match func(string) bool) {
		for _, id := range ids {
			if len(out) == 25 {
				return
			}
			if match(id) {
				dup := false
				for _, c := range out {
					dup = dup || c.Value == id
				}
				if !dup {
					out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: id, Value: id})
				}
			}
		}
	}
	add(func(id string) bool { return strings.HasPrefix(id, typed) })
	add(func(id string) bool { return strings.Contains(id, typed) })
	return out
}

// Texts the adapter itself shows (the router's texts are localised; these
// are only for the Discord-specific plumbing).
const (
	textContinueInDM = "I've sent you a direct message — let's continue there."
	textTryAgain     = "Sorry, something went wrong. Please try again."
	textBusy         = "Busy right now, please try again in a moment."
)

// process runs one inbound event on the user's queue: open the DM if the
// event came from a server, call the handler, erase, send, follow up.
func (a *Adapter) process(ctx context.Context, s *discordgo.Session, h bot.Handler, in inbound, ack *ackResult, arrived time.Time) {
	if len(in.Events) == 0 {
		return
	}
	a.stats.Events.Add(1)
	if in.NeedDM {
		ch, err := a.dmChannel(ctx, s, in.Events[0].User)
		if err != nil {
			if dmRefused(err) {
				a.closedDMs(ctx, s, in, ack)
				return
			}
			a.stats.Failed.Add(1)
			a.log.Warn("direct message channel not opened", "err", errKind(err))
			a.finishInteraction(ctx, s, in, ack.wait(), nil, true)
			return
		}
		for i := range in.Events {
			in.Events[i].Chat = ch
		}
	}
	var notices []string
	failed, refused := false, false
	deadline := arrived.Add(a.cfg.RetryBudget)
	for _, ev := range in.Events {
		resp, attempts, err := a.handle(ctx, h, ev, deadline)
		if err == nil {
			a.recent.note(ev, resp.Dialog)
		}
		if err != nil {
			a.stats.Failed.Add(1)
			a.log.Warn("handler failed, event given up", "attempts", attempts)
			failed = true
			break
		}
		if a.deliver(ctx, s, ev, resp, in.Interaction != nil) {
			refused = true
			break
		}
		if resp.Notice != "" {
			notices = append(notices, resp.Notice)
		}
	}
	if refused {
		a.closedDMs(ctx, s, in, ack)
		return
	}
	if in.Interaction == nil {
		if failed {
			a.send(ctx, s, in.Events[0].Chat, bot.Message{Text: textTryAgain})
		}
		return
	}
	a.finishInteraction(ctx, s, in, ack.wait(), notices, failed)
}

// closedDMs handles a person whose settings refuse the bot's DMs: counted
// (no identity), and, when they came through a slash command, told
// ephemerally what to change instead of "I've sent you a DM".
func (a *Adapter) closedDMs(ctx context.Context, s *discordgo.Session, in inbound, ack *ackResult) {
	a.stats.ClosedDMs.Add(1)
	a.log.Info("direct messages refused by the person's settings")
	if in.Interaction == nil || !ack.wait() {
		return
	}
	text := dmClosedText(string(in.Interaction.Locale))
	err := a.rest(ctx, false, func(o ...discordgo.RequestOption) error {
		if in.Ack == discordgo.InteractionResponseDeferredChannelMessageWithSource {
			_, err := s.InteractionResponseEdit(in.Interaction, &discordgo.WebhookEdit{Content: &text}, o...)
			return err
		}
		_, err := s.FollowupMessageCreate(in.Interaction, true, &discordgo.WebhookParams{Content: text, Flags: discordgo.MessageFlagsEphemeral}, o...)
		return err
	})
	if err != nil {
		a.log.Warn("interaction follow-up failed", "err", errKind(err))
	}
}

// dmClosedText explains, without a link, how to let the bot write.
func dmClosedText(locale string) string {
	l := strings.ToLower(locale)
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	switch l {
	case "fr":
		return "Je ne peux pas vous envoyer de message privé : vos paramètres de confidentialité le bloquent. Dans le menu de ce serveur, ouvrez Paramètres de confidentialité et activez « Autoriser les messages privés des membres du serveur », puis relancez la commande. (Vous pourrez le désactiver ensuite.)"
	case "ar":
		return "لا أستطيع إرسال رسالة خاصة إليك: إعدادات الخصوصية لديك تمنع ذلك. من قائمة هذا الخادم افتح إعدادات الخصوصية وفعّل «السماح بالرسائل المباشرة من أعضاء الخادم»، ثم أعد تشغيل الأمر. (يمكنك إيقافه بعد ذلك.)"
	}
	return "I can't send you a direct message: your privacy settings block it. In this server's menu, open Privacy Settings and turn on \"Allow direct messages from server members\", then run the command again. (You can turn it off afterwards.)"
}

// interactionTokenLife is how long Discord accepts follow-ups on an
// interaction's token.
const interactionTokenLife = 15 * time.Minute

// handle offers an event to the handler until it succeeds, the deadline
// passes or ctx ends. Discord never re-delivers an event, so after a
// handler error (the store away) the adapter retries by itself, with
// exponential backoff capped at RetryMaxBackoff: an outage shorter than
// the budget loses nothing.
func (a *Adapter) handle(ctx context.Context, h bot.Handler, ev bot.Event, deadline time.Time) (bot.Response, int, error) {
	backoff := a.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		resp, err := h.Handle(ctx, ev)
		if err == nil || ctx.Err() != nil {
			return resp, attempt, err
		}
		wait := min(backoff, a.cfg.RetryMaxBackoff)
		if left := time.Until(deadline); left <= 0 {
			return bot.Response{}, attempt, err
		} else if wait > left {
			wait = left
		}
		a.log.Warn("handler failed, retrying", "attempt", attempt)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return bot.Response{}, attempt, err
		case <-t.C:
		}
		backoff = min(backoff*2, a.cfg.RetryMaxBackoff)
	}
}

// finishInteraction completes a deferred interaction: the ephemeral reply
// of a command says where the conversation continues (or is removed in a
// DM), and a notice or failure of a press is an ephemeral follow-up.
func (a *Adapter) finishInteraction(ctx context.Context, s *discordgo.Session, in inbound, acked bool, notices []string, failed bool) {
	if !acked || in.Interaction == nil {
		return
	}
	text := firstPart(strings.Join(notices, "\n"))
	if failed {
		text = textTryAgain
	}
	i := in.Interaction
	var err error
	switch in.Ack {
	case discordgo.InteractionResponseDeferredChannelMessageWithSource:
		if in.NeedDM && text == "" {
			text = textContinueInDM
		}
		if text == "" {
			err = a.rest(ctx, false, func(o ...discordgo.RequestOption) error {
				return s.InteractionResponseDelete(i, o...)
			})
			break
		}
		err = a.rest(ctx, false, func(o ...discordgo.RequestOption) error {
			_, err := s.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &text}, o...)
			return err
		})
	case discordgo.InteractionResponseDeferredMessageUpdate:
		if text == "" {
			return
		}
		err = a.rest(ctx, false, func(o ...discordgo.RequestOption) error {
			_, err := s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: text, Flags: discordgo.MessageFlagsEphemeral}, o...)
			return err
		})
	}
	if err != nil {
		a.log.Warn("interaction follow-up failed", "err", errKind(err))
	}
}

// firstPart is the first message-sized part of text, "" when text is
// blank.
func firstPart(text string) string {
	if parts := splitText(text, maxContent); len(parts) > 0 {
		return parts[0]
	}
	return ""
}

// deliver carries out a Response in the event's DM: erase first, then the
// messages. A notice for a typed message is sent as a message.
//
// It reports whether Discord refused the DM because of the person's
// settings (the rest of the response is then not sent).
func (a *Adapter) deliver(ctx context.Context, s *discordgo.Session, ev bot.Event, resp bot.Response, interaction bool) (refused bool) {
	if resp.Erase != nil {
		a.erase(ctx, s, ev.Chat, resp.Erase.From)
	}
	for _, m := range resp.Messages {
		if m.ReplaceButtons && ev.Kind == bot.KindButton && ev.MessageRef != "" && a.edit(ctx, s, ev.Chat, ev.MessageRef, m) {
			continue
		}
		if dmRefused(a.send(ctx, s, ev.Chat, m)) {
			return true
		}
	}
	if resp.Notice != "" && !interaction {
		return dmRefused(a.send(ctx, s, ev.Chat, bot.Message{Text: resp.Notice}))
	}
	return false
}

func (a *Adapter) send(ctx context.Context, s *discordgo.Session, chat string, m bot.Message) error {
	msgs, err := render(m)
	if err != nil {
		a.stats.Failed.Add(1)
		a.log.Error("message not renderable", "err", err.Error())
		return err
	}
	for _, ms := range msgs {
		err := a.rest(ctx, true, func(o ...discordgo.RequestOption) error {
			if len(m.Image) > 0 && len(ms.Files) > 0 {
				// A retried upload needs a fresh reader.
				ms.Files[0].Reader = bytes.NewReader(m.Image)
			}
			_, err := s.ChannelMessageSendComplex(chat, ms, o...)
			return err
		})
		if err != nil {
			if !dmRefused(err) {
				a.stats.Failed.Add(1)
				a.log.Warn("message not sent", "err", errKind(err))
			}
			return err
		}
	}
	return nil
}

// edit replaces the text and buttons of the message that carried the
// pressed button. It reports false when that is not possible, so the
// caller sends a new message instead.
func (a *Adapter) edit(ctx context.Context, s *discordgo.Session, chat, msgID string, m bot.Message) bool {
	msgs, err := render(m)
	if err != nil || len(msgs) != 1 || len(m.Image) > 0 {
		return false
	}
	content, comps := msgs[0].Content, msgs[0].Components
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	err = a.rest(ctx, true, func(o ...discordgo.RequestOption) error {
		_, err := s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: msgID, Channel: chat, Content: &content, Components: &comps}, o...)
		return err
	})
	if err != nil {
		a.log.Warn("message not edited", "err", errKind(err))
		return false
	}
	return true
}

// erase deletes every message the bot sent in the DM from the inbound id
// from (a snowflake, compared numerically) on; all of them when from is
// empty. The user's own messages cannot be deleted by a bot in a DM.
func (a *Adapter) erase(ctx context.Context, s *discordgo.Session, chat, from string) {
	self := a.botUserID()
	before := ""
	var mine []string
	for page := 0; page < 100; page++ {
		var msgs []*discordgo.Message
		err := a.rest(ctx, true, func(o ...discordgo.RequestOption) error {
			var err error
			msgs, err = s.ChannelMessages(chat, 100, before, "", "", o...)
			return err
		})
		if err != nil {
			a.stats.Failed.Add(1)
			a.log.Warn("messages not listed for erase", "err", errKind(err))
			break
		}
		for _, m := range msgs {
			if m.Author != nil && m.Author.Bot && (self == "" || m.Author.ID == self) && (from == "" || !idLess(m.ID, from)) {
				mine = append(mine, m.ID)
			}
		}
		if len(msgs) < 100 {
			break
		}
		oldest := msgs[len(msgs)-1].ID
		if from != "" && idLess(oldest, from) {
			break
		}
		before = oldest
	}
	failed := 0
	for _, id := range mine {
		err := a.rest(ctx, true, func(o ...discordgo.RequestOption) error {
			return s.ChannelMessageDelete(chat, id, o...)
		})
		var re *discordgo.RESTError
		if err != nil && !(errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound) {
			failed++
		}
	}
	if failed > 0 {
		a.stats.Failed.Add(1)
		a.log.Warn("messages not deleted", "count", failed)
	}
}

var (
	_ bot.Adapter = (*Adapter)(nil)
	_ bot.Inviter = (*Adapter)(nil)
)
