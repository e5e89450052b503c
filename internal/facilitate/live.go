package facilitate

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/results"
)

//go:embed static
var static embed.FS

var liveTmpl = template.Must(template.ParseFS(static, "static/live.html"))

// Defaults of the live view.
const (
	DefaultViewTTL   = 4 * time.Hour
	MaxViewTTL       = 24 * time.Hour
	defaultInterval  = time.Second
	defaultMaxStream = 64
	// DefaultMaxPerLink is how many event streams one view link may hold
	// open at once: a projector, a spare screen and a reload or two. A
	// link passed around cannot take every slot from the facilitators.
	DefaultMaxPerLink = 4
	keepAlive         = 15 * time.Second
)

// liveCSP allows the page its own script, style and event stream, nothing
// else: no inline script or style, no frames, no other origin.
const liveCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// LiveConfig configures the live room view.
type LiveConfig struct {
	// Consult reads scripts, statuses and counters; required.
	Consult *consult.Service
	// Key signs view links (HMAC-SHA256). Empty: a random key per process,
	// so links stop working when the process restarts.
	Key []byte
	// Authorize reports whether the request comes from a signed-in
	// facilitator who may watch consultation id; nil means nobody is
	// signed in and only view links give access.
	Authorize func(r *http.Request, id string) bool
	// Interval is how often an open event stream reads the release state
	// (one round trip); default 1 s.
	Interval time.Duration
	// MaxStreams bounds the event streams open at once; default 64.
	MaxStreams int
	// MaxPerLink bounds the streams one view link holds open at once;
	// default DefaultMaxPerLink. Signed-in facilitators are not counted
	// against a link.
	MaxPerLink int
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// observe, for tests, is called by an event stream after each read of
	// the release state, with the release number and pending count read.
	observe func(release int, pending int64)
}

// Live serves the live room view:
//
//	GET /live/{id}          the full-screen page (facilitator or view link)
//	GET /live/{id}/events   server-sent events: "summary" with the suppressed
//	                        results of the chosen questions, after every k
//	                        responses; "expired" when the view link runs out
//	GET /live/live.js, /live/live.css, /live/icon.svg
//
// Query parameters: v (view link token), q (comma-separated question ids;
// default every choice, multi and scale question), lang (en, fr, ar or one
// of the script's languages; default the script's first).
//
// Every frame is the latest release of the consultation
// (internal/release), never the live counters: nothing but "waiting" is
// sent before the first release, and the counts move only when a new
// release is made, that is after at least k more completions (and the
// release interval), audited with the release before. Besides the release,
// a frame says how many more completions the next release needs
// ("pending"), which tells when people finish but nothing of their
// answers. A frame is made from what Redis holds, so every stream of
// every replica shows the same frame.
type Live struct {
	cfg     LiveConfig
	key     []byte
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
	streams atomic.Int64
	closing chan struct{}
	close   sync.Once

	mu    sync.Mutex
	links map[string]int // view link token -> streams open with it
}

// NewLive returns the live room view.
func NewLive(cfg LiveConfig) *Live {
	l := &Live{cfg: cfg, key: cfg.Key, log: cfg.Logger, now: cfg.Now, closing: make(chan struct{})}
	if len(l.key) == 0 {
		l.key = make([]byte, 32)
		_, _ = rand.Read(l.key) // crypto/rand.Read never fails (Go 1.24+)
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.log = l.log.With("component", "live")
	if l.now == nil {
		l.now = time.Now
	}
	if l.cfg.Interval <= 0 {
		l.cfg.Interval = defaultInterval
	}
	if l.cfg.MaxStreams <= 0 {
		l.cfg.MaxStreams = defaultMaxStream
	}
	if l.cfg.MaxPerLink <= 0 {
		l.cfg.MaxPerLink = DefaultMaxPerLink
	}
	l.links = map[string]int{}
	l.mux = http.NewServeMux()
	// Script ids never contain a dot, so the assets cannot shadow one.
	l.mux.HandleFunc("GET /live/live.js", l.asset("static/live.js", "text/javascript; charset=utf-8"))
	l.mux.HandleFunc("GET /live/live.css", l.asset("static/live.css", "text/css; charset=utf-8"))
	l.mux.HandleFunc("GET /live/icon.svg", l.asset("static/icon.svg", "image/svg+xml"))
	l.mux.HandleFunc("GET /live/{id}", l.page)
	l.mux.HandleFunc("GET /live/{id}/events", l.events)
	return l
}

// Close ends every open event stream and refuses new ones. An
// http.Server's Shutdown waits for streams, which never end by themselves:
// call Close first, or register it with Server.RegisterOnShutdown.
func (l *Live) Close() {
	l.close.Do(func() { close(l.closing) })
}

// ServeHTTP implements http.Handler.
func (l *Live) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", liveCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	l.mux.ServeHTTP(w, r)
}

// NewViewLink returns a path, "/live/{id}?v=<expiry>.<mac>", that shows
// the live view of consultation id to anyone holding it until ttl has
// passed (default DefaultViewTTL, at most MaxViewTTL). Append "&q=..." to
// choose questions; the signature covers only id and expiry.
func (l *Live) NewViewLink(id string, ttl time.Duration) string {
	if ttl <= 0 {
		ttl = DefaultViewTTL
	}
	ttl = min(ttl, MaxViewTTL)
	exp := l.now().Add(ttl).Unix()
	return "/live/" + id + "?v=" + strconv.FormatInt(exp, 10) + "." + l.mac(id, exp)
}

func (l *Live) mac(id string, exp int64) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("baraza-live\x00" + id + "\x00" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// viewExpiry checks a view link token for id and returns its expiry.
func (l *Live) viewExpiry(id, v string) (time.Time, bool) {
	expS, sig, ok := strings.Cut(v, ".")
	if !ok || len(expS) == 0 || len(expS) > 12 || expS[0] < '1' || expS[0] > '9' || len(sig) != 22 {
		return time.Time{}, false
	}
	exp, err := strconv.ParseInt(expS, 10, 64)
	if err != nil || exp <= 0 {
		return time.Time{}, false
	}
	if !hmac.Equal([]byte(sig), []byte(l.mac(id, exp))) {
		return time.Time{}, false
	}
	t := time.Unix(exp, 0)
	now := l.now()
	if !now.Before(t) || t.After(now.Add(MaxViewTTL+time.Minute)) {
		return time.Time{}, false
	}
	return t, true
}

// access reports whether r may see consultation id, and until when (zero:
// no end, a signed-in facilitator).
func (l *Live) access(r *http.Request, id string) (until time.Time, ok bool) {
	if v := r.URL.Query().Get("v"); v != "" {
		if exp, ok := l.viewExpiry(id, v); ok {
			return exp, true
		}
	}
	if l.cfg.Authorize != nil && l.cfg.Authorize(r, id) {
		return time.Time{}, true
	}
	return time.Time{}, false
}

func (l *Live) asset(name, ctype string) http.HandlerFunc {
	data, err := static.ReadFile(name)
	return func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			http.Error(w, "missing asset", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(data)
	}
}

// liveTexts are the page's words in one language.
type liveTexts struct {
	Waiting, Responses, Answered, Hidden, Reconnecting, Expired, Closed, About, NoScript, Denied string
	Next, Soon, Release                                                                          string
	Noisy                                                                                        string
	NextAt, OnClose                                                                              string
}

// pageTexts are the page's words; dp: the consultation publishes with
// differential privacy (counts read "≈ N", the footer explains the noise).
func pageTexts(lang string, k int, dp bool) liveTexts {
	about := text(lang, "live_about", k)
	waiting := text(lang, "live_waiting", k)
	if dp {
		about = text(lang, "live_about_dp", k)
		waiting = text(lang, "live_waiting_dp")
	}
	return liveTexts{
		Noisy:        text(lang, "live_noisy"),
		Waiting:      waiting,
		Responses:    text(lang, "live_responses"),
		Answered:     text(lang, "live_answered"),
		Hidden:       text(lang, "live_hidden"),
		Reconnecting: text(lang, "live_reconnecting"),
		Expired:      text(lang, "live_expired"),
		Closed:       text(lang, "live_closed"),
		About:        about,
		NoScript:     text(lang, "live_noscript"),
		Denied:       text(lang, "live_denied"),
		Next:         text(lang, "live_next"),
		Soon:         text(lang, "live_soon"),
		Release:      text(lang, "live_release"),
		NextAt:       text(lang, "live_next_at"),
		OnClose:      text(lang, "live_on_close"),
	}
}

// denied answers a request without access: the same for an unknown
// consultation, so the page does not tell which ids exist.
func (l *Live) denied(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, text(r.URL.Query().Get("lang"), "live_denied"), http.StatusForbidden)
}

func (l *Live) page(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	sc := l.cfg.Consult.Catalog.Get(id)
	if _, ok := l.access(r, id); !ok || sc == nil {
		l.denied(w, r)
		return
	}
	lang := liveLang(sc, r.URL.Query().Get("lang"))
	k := l.cfg.Consult.KFor(sc)
	dir := "ltr"
	if baseLang(lang) == "ar" || lang == "fa" || lang == "ur" || lang == "he" {
		dir = "rtl"
	}
	var b bytes.Buffer
	err := liveTmpl.Execute(&b, struct {
		Lang, Dir, Title, Events string
		K                        int
		T                        liveTexts
	}{lang, dir, sc.Text(sc.Title, lang), id + "/events", k, pageTexts(lang, k, sc.DP != nil)})
	if err != nil {
		l.log.Error("live page", "consultation", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

// liveLang is the page's language: the asked one when the script has it,
// else the script's default.
func liveLang(sc *dialogs.Script, asked string) string {
	for _, l := range sc.Languages {
		if asked != "" && strings.EqualFold(l, asked) {
			return l
		}
	}
	if len(sc.Languages) > 0 {
		return sc.Languages[0]
	}
	return "en"
}

// liveSummary is what the page receives: the latest release (nil is
// hidden). Before the first release only Ready=false, K and Pending are
// sent.
type liveSummary struct {
	Ready   bool   `json:"ready"`
	K       int    `json:"k"`
	Status  string `json:"status,omitempty"`
	Release int    `json:"release"`
	Final   bool   `json:"final,omitempty"`
	Pending *int64 `json:"pending,omitempty"`
	// NextAt is, for a DP consultation, when its next release is due on
	// its calendar (RFC 3339; absent when only the final one, on close,
	// remains); it has no Pending, which would follow the true count.
	NextAt string `json:"next_at,omitempty"`
	// OnClose: only the final release is still to come (a DP
	// consultation's calendar is done, or the audit budget has room for
	// no other release: release.State.OnClose).
	OnClose   bool   `json:"on_close,omitempty"`
	Completed *int64 `json:"completed,omitempty"`
	// Mode is the release's: "dp" when its counts have noise added.
	Mode string `json:"mode,omitempty"`
	// Questions are the chosen questions of the suppressed summary, as
	// results.Build made them (a hidden count is null).
	Questions []results.Question `json:"questions,omitempty"`
}

// chosen returns the ids of the questions to show.
func chosen(sc *dialogs.Script, q string) map[string]bool {
	out := map[string]bool{}
	for _, id := range strings.Split(q, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out[id] = true
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, qu := range sc.Questions {
		switch qu.Type {
		case dialogs.TypeChoice, dialogs.TypeMulti, dialogs.TypeScale:
			out[qu.ID] = true
		}
	}
	return out
}

// build turns a release state into what the page receives.
func (l *Live) build(sc *dialogs.Script, st release.State, status, lang string, show map[string]bool) liveSummary {
	k := l.cfg.Consult.KFor(sc)
	sum := l.cfg.Consult.Release().SummaryOf(sc, st, status, lang)
	out := liveSummary{K: k, Status: sum.Status, Release: sum.Release, Final: sum.Final, Pending: sum.Pending,
		NextAt: sum.NextReleaseAt}
	if (st.DP && sum.NextReleaseAt == "" || st.OnClose) && !(sum.Final && status == release.StatusClosed) {
		out.OnClose = true
	}
	if sum.Release == 0 {
		return out // nothing at all before the first release
	}
	out.Ready, out.Completed, out.Mode = true, sum.Completed, sum.Mode
	for _, q := range sum.Questions {
		if !show[q.ID] || len(q.Options) == 0 {
			continue // text and number questions have no options to chart
		}
		out.Questions = append(out.Questions, q)
	}
	return out
}

func (l *Live) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	until, ok := l.access(r, id)
	if !ok || l.cfg.Consult.Catalog.Get(id) == nil {
		l.denied(w, r)
		return
	}
	select {
	case <-l.closing:
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	default:
	}
	if !until.IsZero() {
		// A view link: at most MaxPerLink streams at once.
		link := id + "\x00" + r.URL.Query().Get("v")
		l.mu.Lock()
		if l.links[link] >= l.cfg.MaxPerLink {
			l.mu.Unlock()
			w.Header().Set("Retry-After", "10")
			http.Error(w, "this view link is already open on too many screens", http.StatusTooManyRequests)
			return
		}
		l.links[link]++
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			if l.links[link]--; l.links[link] <= 0 {
				delete(l.links, link)
			}
			l.mu.Unlock()
		}()
	}
	if l.streams.Add(1) > int64(l.cfg.MaxStreams) {
		l.streams.Add(-1)
		w.Header().Set("Retry-After", "10")
		http.Error(w, "too many live views", http.StatusServiceUnavailable)
		return
	}
	defer l.streams.Add(-1)

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}

	ctx := r.Context()
	q := r.URL.Query()
	var expired <-chan time.Time
	if !until.IsZero() {
		t := time.NewTimer(until.Sub(l.now()))
		defer t.Stop()
		expired = t.C
	}
	tick := time.NewTicker(l.cfg.Interval)
	defer tick.Stop()
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()

	var (
		sent    string // the frame on screen (JSON)
		failing bool
	)
	send := func(event string, v any) bool {
		data, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	rel := l.cfg.Consult.Release()
	for {
		sc := l.cfg.Consult.Catalog.Get(id)
		if sc == nil {
			return // the script was removed: the client reconnects and is refused
		}
		st, err := rel.Latest(ctx, sc)
		var statuses map[string]string
		if err == nil {
			statuses, err = l.cfg.Consult.Statuses(ctx)
		}
		switch {
		case err != nil:
			if !failing && ctx.Err() == nil {
				l.log.Warn("live release", "consultation", id, "err", err)
			}
			failing = true
		default:
			failing = false
			s := l.build(sc, st, statuses[sc.ID], liveLang(sc, q.Get("lang")), chosen(sc, q.Get("q")))
			data, _ := json.Marshal(s)
			if string(data) == sent {
				break // no new release, nothing else changed
			}
			sent = string(data)
			if !send("summary", s) {
				return
			}
		}
		if err == nil && l.cfg.observe != nil {
			n := 0
			if st.Latest != nil {
				n = st.Latest.Number
			}
			l.cfg.observe(n, st.Pending)
		}
		select {
		case <-ctx.Done():
			return
		case <-l.closing:
			return
		case <-expired:
			send("expired", struct{}{})
			return
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-tick.C:
		}
	}
}
