package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
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

// DefaultSignInLimit is the number of wrong tokens one client network may
// send before its sign-in attempts wait (see backoff): an office behind one
// address has room for everyone's typos, a guesser is slowed at once.
const DefaultSignInLimit = 20

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

// Sign-in backoff. Wrong tokens are counted per token prefix (what the
// person typed, first tokenPrefixLen characters: a typo late in one's own
// token keeps the prefix, a colleague's token has another) and per client
// network (IPv4 /24, IPv6 /56, behind the trusted proxies only). Past a
// free allowance each further failure doubles the wait before the next
// attempt with that prefix, or from that network, is checked: 1 s, 2 s,
// 4 s, ... up to maxBackoff. There is no lockout: once the wait is over an
// attempt is checked again, and the right token clears its prefix. Kept in
// memory per replica: slowing guessing down is the job (tokens carry 256
// random bits), and nothing about who signs in is stored.
const (
	tokenPrefixLen = 12
	tokenFree      = 3
	maxBackoff     = 5 * time.Minute
	forgetAfter    = 15 * time.Minute
)

type backoff struct {
	mu      sync.Mutex
	netFree int
	now     func() time.Time
	recs    map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

func newBackoff(netFree int, now func() time.Time) *backoff {
	return &backoff{netFree: netFree, now: now, recs: make(map[string]*failures)}
}

// free is how many failures a key may have before it waits: keys are
// "t:<prefix>" or "n:<network>".
func (b *backoff) free(key string) int {
	if strings.HasPrefix(key, "n:") {
		return b.netFree
	}
	return tokenFree
}

// wait is how long the next attempt under keys must still wait (0: now).
func (b *backoff) wait(keys ...string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	var longest time.Duration
	for _, k := range keys {
		r := b.recs[k]
		if r == nil {
			continue
		}
		if now.Sub(r.last) >= forgetAfter {
			delete(b.recs, k)
			continue
		}
		over := r.n - b.free(k)
		if over < 0 {
			continue
		}
		d := maxBackoff
		if over < 20 {
			d = min(time.Duration(1<<over)*time.Second, maxBackoff)
		}
		if left := r.last.Add(d).Sub(now); left > longest {
			longest = left
		}
	}
	return longest
}

// fail records a wrong token under keys.
func (b *backoff) fail(keys ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if len(b.recs) > 100000 {
		for k, r := range b.recs {
			if now.Sub(r.last) >= forgetAfter {
				delete(b.recs, k)
			}
		}
	}
	for _, k := range keys {
		r := b.recs[k]
		if r == nil || now.Sub(r.last) >= forgetAfter {
			r = &failures{}
			b.recs[k] = r
		}
		r.n++
		r.last = now
	}
}

// succeed forgets the failures under keys (the right token's prefix).
func (b *backoff) succeed(keys ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		delete(b.recs, k)
	}
}

// signInKeys are the backoff keys of a sign-in attempt.
func (s *server) signInKeys(r *http.Request, token string) (prefix, network string) {
	p := token
	if len(p) > tokenPrefixLen {
		p = p[:tokenPrefixLen]
	}
	n := s.Networks.Network(r)
	if n == "" {
		n = "unknown"
	}
	return "t:" + p, "n:" + n
}
