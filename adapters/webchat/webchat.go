// Package webchat is Baraza's web chat: a page at /chat and a JSON event
// API under /chat/api/, behind bot.Adapter.
//
// The web chat is stateless, so any number of replicas can run behind a load
// balancer. Every reply the bot sends answers the respondent's own action
// (the router never writes first), so the browser POSTs one action and the
// JSON response carries the bot's whole Response (messages with buttons, an
// erase, a notice): there is no server-side queue, no long poll and no
// per-replica state. Session state lives in Redis behind the Handler.
//
// Identity: the server issues it. The anonymous session cookie holds a
// random 128-bit value and an HMAC of it under Config.IdentityKey
// ("<32 hex>.<22 base64url>"; HttpOnly, SameSite=Strict, Secure when
// Config.Secure, Path=BasePath). A cookie the server did not sign — a
// value a script chose, one per request — is replaced by a fresh identity,
// so a client cannot name itself. The random value is Event.User and
// Event.Chat; the router pseudonymises it, and this package never logs it.
// /stop, any Response that erases and every ended dialog (a completion, a
// decline, a refusal) rotate the cookie, so the next response cannot be
// linked to the last.
//
// Network: Event.Network is the client's IPv4 /24 or IPv6 /56, from
// RemoteAddr or, behind Config.Networks' trusted proxies, from
// X-Forwarded-For (internal/clientnet). The router limits completions per
// network on open consultations; the address is never logged or stored.
//
// Delivery: each POST carries a client nonce that becomes Event.ID. When the
// network fails or the Handler returns an error (503 {"error":"retry"}), the
// page retries with the same nonce and the router de-duplicates it. Bodies
// are limited to MaxBody; a body that does not parse gets 400 and reaches no
// Handler. Cross-origin POSTs are refused (Sec-Fetch-Site or Origin, through
// net/http's CrossOriginProtection) and only application/json is accepted,
// which a cross-site form cannot send.
//
// Routes, relative to BasePath (default "/chat"):
//
//	GET  /chat                the page (?c=<consultation> starts it at once)
//	GET  /chat/static/...     its script and style sheet (no build step)
//	POST /chat/api/event      one action: {"id","text"|"command"+"arg"|"data"+"ref","locale"}
package webchat

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/clientnet"
)

// Config configures the web chat. The zero value works.
type Config struct {
	// BasePath is where the chat is mounted, default "/chat".
	BasePath string
	// PublicURL is the server's public origin, e.g. "https://baraza.example.org",
	// used by InviteText. Empty: InviteText gives no link.
	PublicURL string
	// Logger, default slog.Default().
	Logger *slog.Logger
	// Secure sets the cookie's Secure flag (serve over HTTPS).
	Secure bool
	// HandleTimeout bounds one Handler call, default 30 s.
	HandleTimeout time.Duration
	// IdentityKey signs the anonymous identities this server issues. All
	// replicas need the same key (derive it from BARAZA_SECRET); nil means
	// a random key per process.
	IdentityKey []byte
	// Networks finds the client network behind trusted proxies; nil trusts
	// no proxy (RemoteAddr is the client).
	Networks *clientnet.Resolver
	// ExitURL is the neutral page the quick-exit button opens in place of
	// the chat (replacing its history entry), default DefaultExitURL.
	ExitURL string
}

// DefaultExitURL is the quick exit's neutral page: a weather search, which
// looks like nothing in a browser's history.
const DefaultExitURL = "https://www.google.com/search?q=weather"

// CookieName is the session cookie's name.
const CookieName = "baraza_chat"

// startWait is how long a request that arrives before Run waits for it.
const startWait = 5 * time.Second

//go:embed static
var static embed.FS

// Adapter is the web chat. Create it with New, mount Handler on the HTTP
// server and call Run.
type Adapter struct {
	cfg  Config
	log  *slog.Logger
	page []byte
	mux  *http.ServeMux

	ready    chan struct{} // closed when Run has stored h
	mu       sync.Mutex
	h        bot.Handler
	started  bool
	stopped  bool
	inflight sync.WaitGroup
}

// New returns a web chat adapter.
func New(cfg Config) *Adapter {
	cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/")
	if cfg.BasePath == "/" {
		cfg.BasePath = "/chat"
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HandleTimeout <= 0 {
		cfg.HandleTimeout = 30 * time.Second
	}
	if len(cfg.IdentityKey) == 0 {
		cfg.IdentityKey = make([]byte, 32)
		rand.Read(cfg.IdentityKey) // never fails (crypto/rand)
	}
	a := &Adapter{
		cfg:   cfg,
		log:   cfg.Logger.With("component", "webchat"),
		ready: make(chan struct{}),
	}
	a.page = renderPage(cfg.BasePath, cfg.ExitURL)

	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross-origin request refused"})
	}))
	base := cfg.BasePath
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+base, a.servePage)
	mux.HandleFunc("GET "+base+"/{$}", a.servePage)
	mux.Handle("GET "+base+"/static/", http.StripPrefix(base+"/static/", http.FileServerFS(sub)))
	mux.Handle("POST "+base+"/api/event", csrf.Handler(http.HandlerFunc(a.serveEvent)))
	mux.HandleFunc(base+"/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	})
	a.mux = mux
	return a
}

// Name is "webchat".
func (a *Adapter) Name() string { return "webchat" }

// Run serves events with h until ctx is done, then waits for the requests
// in flight to finish. Requests after that get 503 and are retried by the
// page (on another replica, or after a restart).
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if h == nil {
		return errors.New("webchat: run: nil handler")
	}
	a.mu.Lock()
	if a.started {
		a.mu.Unlock()
		return errors.New("webchat: run: called twice")
	}
	a.started, a.h = true, h
	close(a.ready)
	a.mu.Unlock()

	<-ctx.Done()

	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
	a.inflight.Wait()
	return nil
}

// Handler serves the page and the API. Mount it at BasePath and below:
//
//	mux.Handle("/chat", a.Handler())
//	mux.Handle("/chat/", a.Handler())
func (a *Adapter) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		a.mux.ServeHTTP(w, r)
	})
}

// InviteText gives the web chat link that opens a consultation directly.
// Without Config.PublicURL there is no link, only instructions.
func (a *Adapter) InviteText(consultation string) (link, instructions string) {
	path := a.cfg.BasePath + "?c=" + url.QueryEscape(consultation)
	if a.cfg.PublicURL == "" {
		return "", "Open " + path + " on this server's web address in any browser. No account or app is needed."
	}
	return a.cfg.PublicURL + path, "Open the link in any web browser. No account or app is needed."
}

func (a *Adapter) servePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(a.page)
}

var pageTmpl = template.Must(template.ParseFS(static, "static/index.html"))

func renderPage(base, exit string) []byte {
	if exit == "" {
		exit = DefaultExitURL
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, map[string]string{"Base": base, "API": base + "/api/event", "Exit": exit}); err != nil {
		panic(err) // the template and its data are fixed
	}
	return b.Bytes()
}

// acquire waits for Run to have started and counts the request in flight.
func (a *Adapter) acquire(ctx context.Context) (bot.Handler, bool) {
	timer := time.NewTimer(startWait)
	defer timer.Stop()
	select {
	case <-a.ready:
	case <-ctx.Done():
		return nil, false
	case <-timer.C:
		return nil, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return nil, false
	}
	a.inflight.Add(1)
	return a.h, true
}

func (a *Adapter) serveEvent(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "content type must be application/json"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("body larger than %d bytes", MaxBody)})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unreadable body"})
		return
	}
	ev, err := parseRequest(body)
	if err != nil {
		a.log.Debug("refused request", "err", err)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": strings.TrimPrefix(err.Error(), ErrBadRequest.Error()+": ")})
		return
	}
	session, fresh := a.session(r)
	if fresh {
		a.setCookie(w, a.sign(session))
	}
	ev.Platform, ev.User, ev.Chat = a.Name(), session, session
	ev.Network = a.cfg.Networks.Network(r)
	if ev.Locale == "" {
		ev.Locale = acceptLanguage(r.Header.Get("Accept-Language"))
	}

	h, ok := a.acquire(r.Context())
	if !ok {
		retry(w)
		return
	}
	defer a.inflight.Done()
	// A client that goes away must not abort a store transaction half-way;
	// the page retries with the same nonce and the router de-duplicates.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), a.cfg.HandleTimeout)
	defer cancel()
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		a.log.Warn("handle event", "kind", int(ev.Kind), "err", err)
		retry(w)
		return
	}
	out := toReply(ev.ID, resp)
	if resp.Erase != nil || resp.Ended || ev.Kind == bot.KindCommand && ev.Command == "stop" {
		a.setCookie(w, a.sign(newSession()))
		out.Reset = true
	}
	writeJSON(w, http.StatusOK, out)
}

// retry answers 503: the page re-sends the same action.
func retry(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "retry"})
}

// toReply converts a Response for the page. Message ids derive from the
// nonce, so a retried action gets the same ids.
func toReply(nonce string, resp bot.Response) reply {
	out := reply{Erase: resp.Erase != nil, Notice: resp.Notice, Messages: []replyMessage{}}
	for i, m := range resp.Messages {
		rm := replyMessage{
			ID:             nonce + "." + strconv.Itoa(i),
			Text:           m.Text,
			Lang:           m.Lang,
			Dir:            direction(m.Lang),
			ReplaceButtons: m.ReplaceButtons,
		}
		if m.Lang == "" {
			rm.Dir = "auto"
		}
		for _, b := range m.Buttons {
			rm.Buttons = append(rm.Buttons, replyButton{Label: b.Label, Data: b.Data, Selected: b.Selected, Toggle: b.Toggle, Nav: b.Nav})
		}
		if isPNG(m.Image) {
			rm.Image = "data:image/png;base64," + base64.StdEncoding.EncodeToString(m.Image)
			rm.ImageName = m.ImageName
		}
		out.Messages = append(out.Messages, rm)
	}
	return out
}

func isPNG(b []byte) bool {
	return len(b) > 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n"
}

// session returns the request's identity, or a new one (fresh) when the
// cookie is missing or was not issued by this server.
func (a *Adapter) session(r *http.Request) (value string, fresh bool) {
	if c, err := r.Cookie(CookieName); err == nil {
		if id, ok := a.verify(c.Value); ok {
			return id, false
		}
	}
	return newSession(), true
}

// sign makes the cookie value of identity id: "<id>.<mac>".
func (a *Adapter) sign(id string) string {
	return id + "." + a.mac(id)
}

func (a *Adapter) mac(id string) string {
	m := hmac.New(sha256.New, a.cfg.IdentityKey)
	m.Write([]byte("baraza-webchat-identity\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// verify returns the identity of a cookie value this server signed.
func (a *Adapter) verify(v string) (string, bool) {
	id, sig, ok := strings.Cut(v, ".")
	if !ok || !validSession(id) || len(sig) != 22 {
		return "", false
	}
	if !hmac.Equal([]byte(sig), []byte(a.mac(id))) {
		return "", false
	}
	return id, true
}

func validSession(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// newSession is a random 128-bit value in hex.
func newSession() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

func (a *Adapter) setCookie(w http.ResponseWriter, value string) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     a.cfg.BasePath,
		HttpOnly: true,
		Secure:   a.cfg.Secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// acceptLanguage is the first tag of an Accept-Language header, if sane.
func acceptLanguage(h string) string {
	first, _, _ := strings.Cut(h, ",")
	first, _, _ = strings.Cut(first, ";")
	first = strings.TrimSpace(first)
	if first == "*" || !validLocale(first) {
		return ""
	}
	return first
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var (
	_ bot.Adapter = (*Adapter)(nil)
	_ bot.Inviter = (*Adapter)(nil)
)
