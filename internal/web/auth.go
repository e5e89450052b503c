package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/baraza/baraza/internal/store"
)

// Cookie names. The session cookie holds a random id; only its hash is in
// Redis, mapped to the token's ID (never to the token).
const (
	sessionCookie = "baraza_session"
	preCookie     = "baraza_pre" // sign-in form's double-submit CSRF value
	langCookie    = "baraza_lang"
	csrfField     = "csrf"
)

// DefaultSessionTTL is how long a dashboard session lasts (absolute, not
// sliding: a session started in the morning ends in the evening).
const DefaultSessionTTL = 8 * time.Hour

// DefaultSignInLimit is the number of sign-in attempts one client address
// may make per minute.
const DefaultSignInLimit = 10

type ctxKey int

const (
	tokenKey ctxKey = iota + 1
	sidKey
)

// TokenFrom returns the token of an authenticated request: a bearer token on
// /api/v1, or the dashboard session's token on pages and on the mounted
// Live handler (where it is set when a valid session cookie came with the
// request, and absent otherwise).
func TokenFrom(ctx context.Context) (store.Token, bool) {
	t, ok := ctx.Value(tokenKey).(store.Token)
	return t, ok
}

func sidFrom(ctx context.Context) string {
	s, _ := ctx.Value(sidKey).(string)
	return s
}

// csrfFor is the CSRF token of a dashboard session: a hash of the session
// id under a fixed label. A cross-site page cannot read the HttpOnly,
// SameSite=Strict cookie, so it cannot compute this; and it changes with
// every sign-in.
func csrfFor(sid string) string {
	h := sha256.Sum256([]byte("baraza csrf\x00" + sid))
	return hex.EncodeToString(h[:16])
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func randomID() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *server) secure(r *http.Request) bool { return s.Secure || r.TLS != nil }

func (s *server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure(r)}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	} else {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// session resolves the request's dashboard session. ok is false when there
// is no cookie or the session ended (expired, signed out, token revoked);
// err is a store failure.
func (s *server) session(r *http.Request) (t store.Token, sid string, hadCookie, ok bool, err error) {
	c, cerr := r.Cookie(sessionCookie)
	if cerr != nil || c.Value == "" {
		return store.Token{}, "", false, false, nil
	}
	id, err := s.Store.WebSession(r.Context(), c.Value)
	if errors.Is(err, store.ErrNotFound) {
		return store.Token{}, "", true, false, nil
	}
	if err != nil {
		return store.Token{}, "", true, false, err
	}
	t, err = s.Store.TokenByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Token{}, "", true, false, nil
	}
	if err != nil {
		return store.Token{}, "", true, false, err
	}
	return t, c.Value, true, true, nil
}

// withSession puts the session's token into the context when there is a
// valid session, and otherwise passes the request on untouched (for the
// sign-in page and mounted handlers that do their own checks).
func (s *server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, sid, _, ok, err := s.session(r)
		if err != nil {
			s.log.Error("web session", "err", err)
		}
		if ok {
			ctx := context.WithValue(context.WithValue(r.Context(), tokenKey, t), sidKey, sid)
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// requireSession admits dashboard requests with a live session whose token
// has at least role. Without one, pages send the browser to the sign-in
// page. Every POST must also carry the session's CSRF token and pass the
// cross-origin check. A consultation outside the token's scope is 404.
func (s *server) requireSession(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, sid, hadCookie, ok, err := s.session(r)
			if err != nil {
				s.log.Error("web session", "err", err)
				s.errorPage(w, r, http.StatusServiceUnavailable, "unavailable")
				return
			}
			if !ok {
				if hadCookie {
					s.setCookie(w, r, sessionCookie, "", 0)
					http.Redirect(w, r, "/?expired=1", http.StatusSeeOther)
					return
				}
				http.Redirect(w, r, "/", http.StatusSeeOther)
				return
			}
			if r.Method == http.MethodPost {
				if s.cop.Check(r) != nil || !equal(r.PostFormValue(csrfField), csrfFor(sid)) {
					s.errorPage(w, r, http.StatusForbidden, "forbidden")
					return
				}
			}
			if id := r.PathValue("id"); id != "" && !t.InScope(id) {
				s.errorPage(w, r, http.StatusNotFound, "not_found")
				return
			}
			if !t.Can(role) {
				s.errorPage(w, r, http.StatusForbidden, "forbidden")
				return
			}
			ctx := context.WithValue(context.WithValue(r.Context(), tokenKey, t), sidKey, sid)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// limiter counts sign-in attempts per client address in fixed one-minute
// windows, in memory: a replica forgets on restart, which is fine for
// slowing down guessing (tokens carry 256 random bits anyway).
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	seen   map[string]*attempts
}

type attempts struct {
	start time.Time
	n     int
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, seen: make(map[string]*attempts)}
}

// allow records one attempt from addr and reports whether it is within the
// limit.
func (l *limiter) allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) > 10000 {
		for k, a := range l.seen {
			if now.Sub(a.start) >= l.window {
				delete(l.seen, k)
			}
		}
	}
	a := l.seen[addr]
	if a == nil || now.Sub(a.start) >= l.window {
		a = &attempts{start: now}
		l.seen[addr] = a
	}
	a.n++
	return a.n <= l.max
}

// clientAddr is the address the request came from. Forwarded headers are
// not trusted: behind a proxy every client shares the proxy's budget,
// which errs on the safe side.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		// IPv6: one client usually has a whole /64.
		return ip.Mask(net.CIDRMask(64, 128)).String()
	}
	return strings.TrimSpace(host)
}
