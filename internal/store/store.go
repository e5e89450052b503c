package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel errors.
var (
	// ErrConflict: the session changed since it was loaded (or exists when
	// version 0 was given). Reload and process the event again.
	ErrConflict = errors.New("store: session version conflict")
	// ErrDuplicate: the event key was already processed.
	ErrDuplicate = errors.New("store: event already processed")
	// ErrNotFound: no such token, web session, ... (also a revoked token).
	ErrNotFound = errors.New("store: not found")
	// ErrExists: a token with that name already exists.
	ErrExists = errors.New("store: already exists")
	// ErrUnreplicated: a write was made but WAIT did not see it reach
	// Options.WaitReplicas replicas in time; retry the event.
	ErrUnreplicated = errors.New("store: write not confirmed on a replica")
	// ErrInvalid: an argument is malformed (an id with forbidden characters,
	// a respondent that is not a hex pseudonym, an unknown role or status).
	ErrInvalid = errors.New("store: invalid argument")
)

// Options tunes a Store. Zero values take the defaults.
type Options struct {
	Prefix     string        // key prefix; default "baraza:"
	SessionTTL time.Duration // idle session lifetime; default 24h
	// SeenTTL and MarkerTTL are no longer used: a session keeps its own
	// recent events and goes with them, and completion keys live in a
	// per-consultation set for at most two days. Kept so callers build.
	SeenTTL   time.Duration
	MarkerTTL time.Duration
	LogCap    int // entries kept in the release log and each status log; default 1000
	// TimeGrain is the coarsest unit a TTL may date: per-respondent
	// expiries are rounded up to a multiple of it; default 24h.
	TimeGrain time.Duration
	// CounterKey, when set, seals counter field names (see fields.go), so
	// a Redis dump does not say which cell a count is. Use
	// privacy.Keys.CounterKey.
	CounterKey []byte
	// WaitReplicas, when > 0, makes every write script wait (WAIT, in the
	// same round trip) until that many replicas have it, at most
	// WaitTimeout (default 100ms). Set it on Sentinel, where a failover
	// promotes a replica that may miss the last writes.
	WaitReplicas int
	WaitTimeout  time.Duration
	Now          func() time.Time
}

// Store is Baraza's Redis state. It is safe for concurrent use.
type Store struct {
	rdb          redis.UniversalClient
	opt          Options
	fields       *fieldSealer
	hot          *batcher
	unreplicated atomic.Int64
}

// New returns a Store on rdb (see Connect).
func New(rdb redis.UniversalClient, opt Options) *Store {
	if opt.Prefix == "" {
		opt.Prefix = "baraza:"
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 24 * time.Hour
	}
	if opt.SeenTTL <= 0 {
		opt.SeenTTL = 48 * time.Hour
	}
	if opt.MarkerTTL <= 0 {
		opt.MarkerTTL = 30 * 24 * time.Hour
	}
	if opt.LogCap <= 0 {
		opt.LogCap = 1000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.WaitTimeout <= 0 {
		opt.WaitTimeout = 100 * time.Millisecond
	}
	if opt.TimeGrain <= 0 {
		opt.TimeGrain = 24 * time.Hour
	}
	return &Store{rdb: rdb, opt: opt, fields: newFieldSealer(opt.CounterKey), hot: &batcher{rdb: rdb}}
}

// Client returns the underlying client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

var reID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$`)

// isHex reports whether v is 16 to 128 lower-case hex digits (what the
// regexp ^[0-9a-f]{16,128}$ matched; checked on every step, where the
// regexp was 4 % of the process's CPU).
func isHex(v string) bool {
	if len(v) < 16 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkHex(what, v string) error {
	if !isHex(v) {
		return fmt.Errorf("%w: %s must be a lower-case hex pseudonym", ErrInvalid, what)
	}
	return nil
}

func checkID(what, v string) error {
	if !reID.MatchString(v) {
		return fmt.Errorf("%w: %s %q: want letters, digits, '_', '.', '-' (at most 80)", ErrInvalid, what, clip(v))
	}
	return nil
}

// clip keeps error messages short; ids are not personal data, but a caller
// passing the wrong thing should not see it echoed at length.
func clip(v string) string {
	if len(v) > 24 {
		return v[:24] + "..."
	}
	return v
}

// digest is the stored form of caller-supplied keys (event keys, completion
// keys): 128 bits of SHA-256 in hex.
func digest(v string) string {
	h := sha256.Sum256([]byte(v))
	var out [32]byte
	hex.Encode(out[:], h[:16])
	return string(out[:])
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// key helpers
func (s *Store) sessionKey(r string) string { return s.opt.Prefix + "{r:" + r + "}:s" }
func (s *Store) ctag(c string) string       { return s.opt.Prefix + "{c:" + c + "}" }
func (s *Store) gkey(name string) string    { return s.opt.Prefix + "{g}:" + name }

func ms(d time.Duration) int64 { return d.Milliseconds() }
