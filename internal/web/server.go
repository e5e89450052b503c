// Package web serves Baraza's HTTP surface: health and metrics, the JSON
// API for officials and facilitators, exports, the results dashboard with
// its sign-in, public results pages, and the mount points of the web chat,
// the live room view and the Telegram webhook. Every route is listed in
// routes.go.
//
// Two ways in: /api/v1 takes "Authorization: Bearer TOKEN"; the dashboard
// takes the same token once on the sign-in form and then a session cookie
// (HttpOnly, SameSite=Strict, Secure behind TLS) whose id is stored only
// hashed, for SessionTTL. Every POST form carries a per-session CSRF token
// and passes net/http's cross-origin check. Pages run no script and use no
// inline style; their Content-Security-Policy says so. A consultation
// outside a token's scope answers 404, as if it did not exist. Every count
// shown comes from results.Summary, that is through privacy.Suppress.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baraza/baraza/internal/clientnet"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/store"
)

// Deps is what the server needs. Webchat, TelegramWebhook, Live, Reload
// and Invite are optional.
type Deps struct {
	Store    *store.Store
	Consult  *consult.Service
	Logger   *slog.Logger
	Gatherer prometheus.Gatherer
	// Ready reports whether the store answers (GET /readyz).
	Ready func(ctx context.Context) error
	// Webchat serves /chat and /chat/...
	Webchat http.Handler
	// TelegramWebhook serves POST /telegram/webhook.
	TelegramWebhook http.Handler
	// Live serves /live/ and /api/v1/live/ (the facilitators' live room
	// view). Requests reach it with the dashboard session's token in the
	// context when the browser is signed in: see TokenFrom.
	Live http.Handler
	// ViewLink returns a signed, expiring link to /live/{id} for a
	// projector that is not signed in (shown to facilitators).
	ViewLink func(id string) string
	// Reload re-reads the scripts (POST /api/v1/scripts/reload, admin).
	// Its error, a validation report, is shown to the caller.
	Reload func(ctx context.Context) error
	// Invite returns a consultation's invite links (name -> URL) and its
	// QR code as PNG and SVG, for the facilitators' Invite section and
	// GET /consultations/{id}/qr.png and .svg.
	Invite func(id string) (links map[string]string, png []byte, svg []byte, err error)
	// Mounts are the routes of adapters that take webhooks (SMS: Kannel's
	// post-url and dlr-url), pattern -> handler, mounted as they are.
	Mounts map[string]http.Handler
	// Costs returns what messaging cost a consultation (SMS messages and
	// segments), shown to facilitators; nil shows nothing.
	Costs func(ctx context.Context, id string) ([]Cost, error)
	// Broken lists the scripts that could not be loaded and why, shown
	// to facilitators on the dashboard (never silent); nil shows nothing.
	Broken func() []BrokenScript
	// Secure marks cookies Secure (behind TLS) and sends HSTS; a request
	// that came over TLS gets both anyway. Set it when BARAZA_PUBLIC_URL
	// is https.
	Secure bool
	// MetricsToken, when set, is required (as a bearer token) to read
	// /metrics in full; without it /metrics serves only series that say
	// nothing per consultation (BARAZA_METRICS_TOKEN).
	MetricsToken string
	// Networks finds a client's network behind trusted proxies, for the
	// sign-in backoff; nil trusts no proxy.
	Networks *clientnet.Resolver
	// InviteCards makes n invite codes for an invite-only consultation
	// and returns them as printable cards, once (POST
	// /consultations/{id}/invites, facilitator). Nil: no such route.
	InviteCards func(ctx context.Context, id string, n int) ([]facilitate.Card, error)
	// SessionTTL is the lifetime of a dashboard session (DefaultSessionTTL
	// when zero).
	SessionTTL time.Duration
	// SignInLimit is the number of wrong tokens one client network may
	// send before its attempts are slowed down by a doubling wait
	// (DefaultSignInLimit when zero); one token prefix gets 3.
	SignInLimit int
	Now         func() time.Time
}

// Cost is what one channel's messages cost a consultation.
type Cost struct {
	Channel            string
	Messages, Segments int64
	// Cap is the segment cap (0: none); Paused says sending stopped at it.
	Cap               int64
	Paused            bool
	Delivered, Failed int64
}

// NewServer returns the HTTP handler.
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.SessionTTL <= 0 {
		d.SessionTTL = DefaultSessionTTL
	}
	if d.SignInLimit <= 0 {
		d.SignInLimit = DefaultSignInLimit
	}
	s := &server{Deps: d, log: d.Logger.With("component", "web"), cop: http.NewCrossOriginProtection()}
	s.pages, s.pagesErr = parsePages()
	s.limit = newBackoff(d.SignInLimit, d.Now)
	mux := http.NewServeMux()
	s.routes(mux)
	return securityHeaders(d.Secure, recoverer(s.log, limitBody(mux)))
}

type server struct {
	Deps
	log      *slog.Logger
	cop      *http.CrossOriginProtection
	pages    pageSet
	pagesErr error
	limit    *backoff
}

// limitBody caps request bodies of the server's own forms and API calls;
// mounted handlers (web chat, webhook, live view) set their own limits.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Method == http.MethodPost {
			switch r.URL.Path {
			case "/signin", "/signout":
				r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// BrokenScript is a script file that could not be loaded: its problems,
// one per line as `baraza validate` prints them.
type BrokenScript struct {
	File     string
	Problems []string
}
