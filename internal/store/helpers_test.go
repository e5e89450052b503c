package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
)

// backend is one Redis implementation the store must work on.
type backend struct {
	name string
	open func(t *testing.T) (*store.Store, redis.UniversalClient, string) // store, client, key prefix
}

// backends: a real redis-server (through redistest) and miniredis, the
// embedded store of the binary.
var backends = []backend{
	{"redis", func(t *testing.T) (*store.Store, redis.UniversalClient, string) {
		srv := redistest.Start(t)
		return openURL(t, srv.URL, srv.Prefix+"baraza:")
	}},
	{"miniredis", func(t *testing.T) (*store.Store, redis.UniversalClient, string) {
		m := miniredis.RunT(t)
		return openURL(t, "redis://"+m.Addr(), "baraza:")
	}},
}

func openURL(t *testing.T, url, prefix string) (*store.Store, redis.UniversalClient, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rdb, err := store.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, store.Options{Prefix: prefix}), rdb, prefix
}

// forEachBackend runs f as a subtest on every backend.
func forEachBackend(t *testing.T, f func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, _, _ := b.open(t)
			f(t, s)
		})
	}
}

// hexID returns a fake pseudonym (hex, as internal/privacy makes them).
func hexID(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = "0123456789abcdef"[(int(c)+i)%16]
	}
	return string(b)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
