// Package sms connects Baraza to phones without a smartphone or data,
// through a Kannel SMS gateway (bearerbox + smsbox in front of an
// operator's SMPP link or a GSM modem).
//
// Inbound: Kannel's sms-service POSTs each message to BasePath+"/kannel/inbound"
// (post-url, send-sender = true): the text is the body, the phone number the
// X-Kannel-From header, and the URL carries only Kannel's message id (%I,
// the same on every retry, so a repeat is recognised) and the shared secret.
// The number becomes bot.Event.User, which the router turns into a pseudonym
// at once; it is never stored, logged or put in a URL. Baraza answers 200
// only once the event is stored and its replies were handed to Kannel;
// anything else makes Kannel retry (http-request-retry). A message handled
// that far is marked (by a hash of Kannel's id, nothing of the person), and
// a repeat of it — Kannel's retry after a lost answer, a late replay, even
// after the dialog ended — is answered with silence.
//
// Outbound: each reply is rendered for a phone (numbered options, keywords
// instead of buttons and commands, the SMS consent), kept to GSM-7 when it
// can be (French accents folded) and UCS-2 only when it must (Arabic), paced
// to Config.Rate segments a second, and POSTed to Kannel's sendsms with the
// number in a header. Kannel's temporary failures are retried with backoff.
// A message is sent at most once per dialog step (bot.Response.Step), so a
// re-delivered message or a restart never sends it twice.
//
// Costs: messages and segments per consultation are counted in Redis (the
// facilitator page) and in /metrics; past a consultation's segment cap its
// messages are held (not sent) and the facilitator page says sending is
// paused. Delivery reports (dlr-url) are counted per consultation, nothing
// else is kept of them.
//
// Routes, relative to BasePath (default "/sms"):
//
//	POST /sms/kannel/inbound?id=%I&k=SECRET   one message from a phone
//	GET  /sms/kannel/dlr?k=SECRET&status=%d&c=ID  one delivery report
package sms

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/ratelimit"
)

// Config wires an Adapter. Kannel, Redis and Secret are required.
type Config struct {
	// Kannel sends the replies.
	Kannel *Kannel
	// Redis holds the sent marks and the costs (see ledger).
	Redis redis.UniversalClient
	// Prefix of Redis keys, default "baraza:".
	Prefix string
	// Secret is the shared secret Kannel's post-url and dlr-url carry as
	// the query parameter k (at least 16 characters).
	Secret string
	// BasePath is where the routes are mounted, default "/sms".
	BasePath string
	// Rate is the outbound pace in SMS parts a second (Kannel's smsc
	// throughput), default 10; Burst how many may go at once, default 1.
	Rate  float64
	Burst int
	// Clock paces the sends; nil is real time (tests inject their own).
	Clock ratelimit.Clock
	// MaxAttempts bounds the tries of one message on temporary failures
	// (default 5), Backoff is the first wait between them (default 1 s,
	// doubling, at most 30 s).
	MaxAttempts int
	Backoff     time.Duration
	// SegmentCap is the number of outbound segments each consultation may
	// use (0: no cap); Caps overrides it per consultation id.
	SegmentCap int64
	Caps       map[string]int64
	// Keywords maps a JOIN keyword (upper case, "SAFETY") to a
	// consultation id; a consultation's id also works as its keyword.
	Keywords map[string]string
	// Consultations lists the consultation ids (for JOIN <id>).
	Consultations func() []string
	// CodesInStart passes an invite code sent with JOIN (JOIN K7QM4-XPD9R,
	// JOIN SAFETY K7QM4-XPD9R, the code typed with a space for its dash) to
	// the router as /start's argument, where it is redeemed for the
	// invite-only consultation it belongs to; a JOIN keyword naming a
	// consultation that is not invite-only opens that consultation and the
	// code is ignored. Off, a code is accepted by its form and ignored.
	// A code typed alone reaches the router as text, which redeems it too.
	CodesInStart bool
	// InviteOnly reports whether consultation id takes invite codes only;
	// nil: any of them may (a code sent with JOIN is always passed on).
	InviteOnly func(id string) bool
	// ShortCode is the number people text, for InviteText.
	ShortCode string
	// HandleTimeout bounds handling one inbound message, sending included
	// (default 2 min).
	HandleTimeout time.Duration
	Logger        *slog.Logger
	// Registerer gets the adapter's metrics; nil: not registered.
	Registerer prometheus.Registerer
	// MetricsByConsultation labels the message and segment counters with
	// the consultation id. Off, they are one series for all ("all"):
	// message counts of one consultation, scraped while one person
	// answers, show how far that person went, so per-consultation series
	// belong behind a metrics token.
	MetricsByConsultation bool
}

// Adapter is the SMS adapter. It implements bot.Adapter and bot.Inviter.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	ledger *ledger
	pace   *ratelimit.Bucket
	m      *metrics

	mu       sync.Mutex
	h        bot.Handler
	stopped  bool
	inflight sync.WaitGroup
	paused   map[string]bool // consultations whose cap was logged
}

// New returns an SMS adapter.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.Kannel == nil || cfg.Kannel.URL == "":
		return nil, errors.New("sms: no Kannel sendsms URL")
	case cfg.Redis == nil:
		return nil, errors.New("sms: no Redis")
	case len(cfg.Secret) < 16:
		return nil, errors.New("sms: the shared secret must be at least 16 characters")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "baraza:"
	}
	cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/")
	if cfg.BasePath == "/" {
		cfg.BasePath = "/sms"
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 10
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 1
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.HandleTimeout <= 0 {
		cfg.HandleTimeout = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &Adapter{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "sms"),
		ledger: &ledger{rdb: cfg.Redis, prefix: cfg.Prefix, ttl: 48 * time.Hour},
		pace:   ratelimit.NewWithClock(cfg.Rate, float64(cfg.Burst), cfg.Clock),
		m:      newMetrics(cfg.Registerer),
		paused: map[string]bool{},
	}
	return a, nil
}

// Name implements bot.Adapter.
func (a *Adapter) Name() string { return "sms" }

// Run implements bot.Adapter: messages arrive over HTTP (Handler); Run
// makes them flow to h until ctx ends, then waits for those in flight.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if h == nil {
		return errors.New("sms: run: nil handler")
	}
	a.mu.Lock()
	if a.h != nil {
		a.mu.Unlock()
		return errors.New("sms: run: called twice")
	}
	a.h = h
	a.mu.Unlock()
	<-ctx.Done()
	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
	a.inflight.Wait()
	return nil
}

// Handler serves the adapter's routes under BasePath.
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+a.cfg.BasePath+"/kannel/inbound", a.inbound)
	mux.HandleFunc("GET "+a.cfg.BasePath+"/kannel/dlr", a.report)
	return mux
}

// BasePath is where Handler's routes live.
func (a *Adapter) BasePath() string { return a.cfg.BasePath }

// begin registers an in-flight request, or returns nil when not running.
func (a *Adapter) begin() bot.Handler {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.h == nil || a.stopped {
		return nil
	}
	a.inflight.Add(1)
	return a.h
}

func (a *Adapter) authorized(r *http.Request) bool {
	k := r.URL.Query().Get("k")
	return subtle.ConstantTimeCompare([]byte(k), []byte(a.cfg.Secret)) == 1
}

func (a *Adapter) inbound(w http.ResponseWriter, r *http.Request) {
	if !a.authorized(r) {
		a.m.inbound.WithLabelValues("unauthorized").Inc()
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	h := a.begin()
	if h == nil {
		http.Error(w, "not running", http.StatusServiceUnavailable)
		return
	}
	defer a.inflight.Done()
	in, err := ParseKannel(r)
	if err != nil {
		// 200: a message Kannel would send again as it is can never parse.
		a.m.inbound.WithLabelValues("malformed").Inc()
		a.log.Warn("inbound message skipped", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.HandleTimeout)
	defer cancel()
	ref := eventRef(in.ID)
	if done, err := a.ledger.handled(ctx, ref); err != nil {
		a.m.inbound.WithLabelValues("error").Inc()
		a.log.Warn("inbound message failed; Kannel will retry", "event", ref, "err", err)
		http.Error(w, "retry", http.StatusServiceUnavailable)
		return
	} else if done {
		// Kannel's retry of a message whose answer was lost, or a late
		// replay: everything it asked for was sent. Silence, whatever
		// became of the dialog since (it may have ended, and nothing of
		// an ended dialog says which language the person spoke).
		a.m.inbound.WithLabelValues("repeat").Inc()
		w.WriteHeader(http.StatusOK)
		return
	}
	held, err := a.handle(ctx, h, in)
	if err == nil && !held {
		// A mark that cannot be written only costs silence on a repeat:
		// the router and the sent marks still keep it from counting or
		// sending twice.
		if err := a.ledger.done(context.WithoutCancel(ctx), ref); err != nil {
			a.log.Warn("inbound message not marked handled", "event", ref, "err", err)
		}
	}
	if err != nil {
		// Kannel retries with the same id: what was stored is not stored
		// again, what was sent is not sent again.
		a.m.inbound.WithLabelValues("error").Inc()
		a.log.Warn("inbound message failed; Kannel will retry", "event", eventRef(in.ID), "err", err)
		http.Error(w, "retry", http.StatusServiceUnavailable)
		return
	}
	a.m.inbound.WithLabelValues("ok").Inc()
	w.WriteHeader(http.StatusOK)
}

// handle turns one inbound SMS into an event, hands it to the router and
// sends the replies; held reports a reply not sent because of the cap.
func (a *Adapter) handle(ctx context.Context, h bot.Handler, in Inbound) (held bool, err error) {
	resp, err := h.Handle(ctx, a.event(in))
	if err != nil {
		return false, err
	}
	return a.deliver(ctx, in, resp)
}

// event builds the bot.Event of an inbound SMS.
func (a *Adapter) event(in Inbound) bot.Event {
	p := ParseText(in.Text)
	ev := bot.Event{Platform: "sms", ID: in.ID, User: in.From, Chat: in.From, Private: true,
		Locale: p.Lang, Kind: p.Kind, Text: p.Text, Command: p.Command, MessageRef: in.ID}
	if p.Command != "start" {
		return ev
	}
	id, code := a.resolve(p.Keyword), p.Code
	if p.Keyword == "" && code != "" {
		// JOIN night-2026 or JOIN N1GHT: an id or a keyword, not a code.
		if kw, ok := a.cfg.Keywords[strings.ToUpper(code)]; ok {
			id, code = kw, ""
		} else if slices.Contains(a.consultations(), strings.ToLower(code)) {
			id, code = strings.ToLower(code), ""
		}
	}
	ev.Arg = id
	if code != "" && a.cfg.CodesInStart && (id == "" && a.anyInviteOnly() || id != "" && a.inviteOnly(id)) {
		ev.Arg = code
	}
	return ev
}

// anyInviteOnly reports whether some consultation takes invite codes:
// without one, JOIN CODE opens the default consultation.
func (a *Adapter) anyInviteOnly() bool {
	if a.cfg.InviteOnly == nil {
		return true
	}
	return slices.ContainsFunc(a.consultations(), a.cfg.InviteOnly)
}

// inviteOnly reports whether consultation id takes invite codes.
func (a *Adapter) inviteOnly(id string) bool {
	if a.cfg.InviteOnly == nil {
		return true
	}
	return a.cfg.InviteOnly(id)
}

func (a *Adapter) consultations() []string {
	if a.cfg.Consultations == nil {
		return nil
	}
	return a.cfg.Consultations()
}

// resolve maps a JOIN keyword to a consultation id: the configured
// keywords first, then the ids themselves. An unknown keyword is passed on
// as typed, and the router answers that it knows no such consultation.
func (a *Adapter) resolve(keyword string) string {
	if keyword == "" {
		return ""
	}
	if id, ok := a.cfg.Keywords[keyword]; ok {
		return id
	}
	return strings.ToLower(keyword)
}

// deliver sends a response's messages to the phone, each at most once per
// step; held reports one not sent because of the cap.
func (a *Adapter) deliver(ctx context.Context, in Inbound, resp bot.Response) (held bool, err error) {
	step := resp.Step
	if step == "" {
		// Not a dialog step (a refusal, help): once per inbound message.
		step = eventRef(in.ID)
	}
	for i, m := range resp.Messages {
		text, seg := Prepare(Render(m))
		if strings.TrimSpace(text) == "" {
			continue
		}
		fresh, err := a.ledger.claim(ctx, step, i)
		if err != nil {
			return held, err
		}
		if !fresh {
			a.m.repeats.Inc()
			continue
		}
		if _, err := a.ledger.reserve(ctx, resp.Consultation, seg.Parts, a.cap(resp.Consultation)); err != nil {
			_ = a.ledger.release(context.WithoutCancel(ctx), step, i)
			if errors.Is(err, errCap) {
				a.held(resp.Consultation)
				held = true
				continue
			}
			return held, err
		}
		if err := a.send(ctx, in.From, text, seg, resp.Consultation); err != nil {
			bg := context.WithoutCancel(ctx)
			_ = a.ledger.refund(bg, resp.Consultation, seg.Parts)
			_ = a.ledger.release(bg, step, i)
			return held, err
		}
		a.m.messages.WithLabelValues(a.label(resp.Consultation)).Inc()
		a.m.segments.WithLabelValues(a.label(resp.Consultation)).Add(float64(seg.Parts))
	}
	return held, nil
}

// send paces and sends one message, retrying Kannel's temporary failures.
func (a *Adapter) send(ctx context.Context, to, text string, seg Segments, consultation string) error {
	for range seg.Parts {
		if err := a.pace.Wait(ctx); err != nil {
			return err
		}
	}
	wait := a.cfg.Backoff
	var err error
	for attempt := 1; attempt <= a.cfg.MaxAttempts; attempt++ {
		err = a.cfg.Kannel.Send(ctx, to, text, seg.Encoding, url.QueryEscape(consultation))
		var se *SendError
		if err == nil || !errors.As(err, &se) || !se.Retryable() {
			break
		}
		a.m.retries.Inc()
		if attempt == a.cfg.MaxAttempts {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
	if err != nil {
		kind := "permanent"
		var se *SendError
		if errors.As(err, &se) && se.Retryable() {
			kind = "temporary"
		}
		a.m.failures.WithLabelValues(kind).Inc()
	}
	return err
}

func (a *Adapter) cap(consultation string) int64 {
	if c, ok := a.cfg.Caps[consultation]; ok {
		return c
	}
	if consultation == "" {
		return 0
	}
	return a.cfg.SegmentCap
}

// held counts a message not sent because of the cap, and says so in the
// log once per consultation and process.
func (a *Adapter) held(consultation string) {
	a.m.held.WithLabelValues(a.label(consultation)).Inc()
	a.mu.Lock()
	first := !a.paused[consultation]
	a.paused[consultation] = true
	a.mu.Unlock()
	if first {
		a.log.Warn("SMS sending paused: the consultation reached its segment cap; raise BARAZA_SMS_SEGMENT_CAP to resume",
			"consultation", consultation, "cap", a.cap(consultation))
	}
}

// report counts one delivery report.
func (a *Adapter) report(w http.ResponseWriter, r *http.Request) {
	if !a.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	status := "other"
	switch q.Get("status") {
	case "1":
		status = "delivered"
	case "2", "16":
		status = "failed"
	}
	c := q.Get("c")
	if !slices.Contains(a.consultations(), c) {
		c = ""
	}
	if err := a.ledger.report(r.Context(), c, "dlr_"+status); err != nil {
		a.log.Warn("delivery report not counted", "err", err)
		http.Error(w, "retry", http.StatusServiceUnavailable)
		return
	}
	a.m.reports.WithLabelValues(status).Inc()
	w.WriteHeader(http.StatusOK)
}

// Costs returns what SMS cost consultation id so far (the facilitator
// page).
func (a *Adapter) Costs(ctx context.Context, id string) (Cost, error) {
	c, err := a.ledger.cost(ctx, id)
	if err != nil {
		return Cost{}, err
	}
	c.Cap = a.cap(id)
	c.Paused = c.Held > 0 || c.Cap > 0 && c.Segments >= c.Cap
	return c, nil
}

// InviteText implements bot.Inviter: SMS has no link, only the words to
// send.
func (a *Adapter) InviteText(consultation string) (link, instructions string) {
	kw := strings.ToUpper(consultation)
	var alias []string
	for k, id := range a.cfg.Keywords {
		if id == consultation {
			alias = append(alias, k)
		}
	}
	if len(alias) > 0 {
		slices.Sort(alias)
		kw = alias[0]
	}
	instructions = "Send JOIN " + kw + " by SMS"
	if a.cfg.ShortCode != "" {
		instructions += " to " + a.cfg.ShortCode
	}
	return "", instructions
}

// eventRef is a short hash of Kannel's message id, for logs and sent marks
// of messages outside a dialog step.
func eventRef(id string) string {
	s := sha256.Sum256([]byte("sms-event:" + id))
	return hex.EncodeToString(s[:12])
}

func (a *Adapter) label(consultation string) string {
	if !a.cfg.MetricsByConsultation {
		return "all"
	}
	if consultation == "" {
		return "none"
	}
	return consultation
}

var (
	_ bot.Adapter = (*Adapter)(nil)
	_ bot.Inviter = (*Adapter)(nil)
)
