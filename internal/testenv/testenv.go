// Package testenv builds the whole Baraza core for tests — a private
// redis-server, the store, pseudonym keys, the bundled scripts and the
// router — and offers the checks many tests share: exact counters, and a
// scan of all of Redis and all captured logs for identities that must
// never be there.
package testenv

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/store"
)

// Env is a running core.
type Env struct {
	Redis   *redistest.Server
	RDB     redis.UniversalClient
	Store   *store.Store
	Keys    *privacy.Keys
	Catalog *bot.Catalog
	Router  *bot.Router
	Consult *consult.Service
	Logs    *LogBuffer
	Logger  *slog.Logger
	Secret  []byte

	routerCfg bot.RouterConfig
	skew      atomic.Int64 // Advance: how far the release service's clock is ahead
}

// Option changes the environment before the router is built.
type Option func(*bot.RouterConfig)

// WithCommands installs a command handler (facilitators' commands).
func WithCommands(h bot.CommandHandler) Option {
	return func(c *bot.RouterConfig) { c.Commands = h }
}

// New starts a private redis-server and builds the core on it with the
// bundled scripts.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	srv := redistest.Start(t)
	return NewOn(t, srv, opts...)
}

// NewOn builds the core on an already started server.
func NewOn(t testing.TB, srv *redistest.Server, opts ...Option) *Env {
	t.Helper()
	scripts, err := dialogs.LoadFS(dialogs.Bundled())
	if err != nil {
		t.Fatalf("bundled scripts: %v", err)
	}
	logs := &LogBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rdb := srv.Client()
	secret := []byte("test-secret-0123456789abcdef-0123456789")
	st := store.New(rdb, store.Options{Prefix: srv.Prefix + "baraza:", CounterKey: privacy.NewKeys(secret).CounterKey()})
	e := &Env{
		Redis:   srv,
		RDB:     rdb,
		Store:   st,
		Keys:    privacy.NewKeys(secret),
		Catalog: bot.NewCatalog(scripts),
		Logs:    logs,
		Logger:  logger,
		Secret:  secret,
	}
	// Releases are made on e.Release, as soon as k new completions are in
	// (no interval between releases).
	// The release service's clock is the real one moved by Advance (a DP
	// consultation's releases follow its calendar).
	e.Consult = &consult.Service{Store: st, Catalog: e.Catalog, K: 5, Releases: &release.Service{Interval: -1,
		Now: func() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) }}}
	e.routerCfg = bot.RouterConfig{Store: st, Keys: e.Keys, Catalog: e.Catalog, Logger: logger, Releases: e.Consult.Release()}
	for _, o := range opts {
		o(&e.routerCfg)
	}
	e.Router = bot.NewRouter(e.routerCfg)
	return e
}

// Advance moves the release service's clock forward by d (a DP
// consultation's next scheduled release comes once its period has
// passed).
func (e *Env) Advance(d time.Duration) { e.skew.Add(int64(d)) }

// Release makes every release that is due, as the release loop of
// `baraza serve` does on each tick.
func (e *Env) Release(t testing.TB) {
	t.Helper()
	if err := e.Consult.MakeReleases(context.Background()); err != nil {
		t.Fatalf("releases: %v", err)
	}
}

// Restart replaces the router by a fresh one on the same store, as a
// process restart would: nothing in memory survives.
func (e *Env) Restart() {
	e.Router = bot.NewRouter(e.routerCfg)
}

// Counters returns the raw (unsuppressed) counters of a consultation, for
// exact-count assertions.
func (e *Env) Counters(t testing.TB, consultation string) map[string]int64 {
	t.Helper()
	c, err := e.Store.Counters(context.Background(), consultation)
	if err != nil {
		t.Fatalf("counters: %v", err)
	}
	return c
}

// AssertCounters fails t unless got holds exactly want: every field whose
// count differs is reported, and every field got holds that want does not,
// whatever its value.
func AssertCounters(t testing.TB, got, want map[string]int64) {
	t.Helper()
	for _, f := range slices.Sorted(maps.Keys(want)) {
		if got[f] != want[f] {
			t.Errorf("counter %s: got %d, want %d", f, got[f], want[f])
		}
	}
	for _, f := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[f]; !ok {
			t.Errorf("counter %s: got %d, want none", f, got[f])
		}
	}
}

// AssertNoLeak scans every key and value of every type in Redis, and every
// captured log line, for each needle (user ids, chat ids, names, planted
// phone numbers and e-mail addresses). Needles shorter than 4 characters
// are refused: they would match by chance.
func (e *Env) AssertNoLeak(t testing.TB, needles ...string) {
	t.Helper()
	dump, err := redistest.ScanAll(context.Background(), e.RDB)
	if err != nil {
		t.Fatalf("scan redis: %v", err)
	}
	if len(dump) == 0 {
		t.Fatalf("scan redis: empty dump; the scan would prove nothing")
	}
	logs := e.Logs.String()
	for _, n := range needles {
		if len(n) < 4 {
			t.Fatalf("needle %q too short to scan for", n)
		}
		if strings.Contains(dump, n) {
			t.Errorf("redis holds %q", n)
		}
		if strings.Contains(logs, n) {
			t.Errorf("logs hold %q", n)
		}
	}
}

// WaitFor polls cond until it holds or the deadline passes.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// LogBuffer is a goroutine-safe log sink.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
