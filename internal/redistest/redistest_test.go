package redistest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/internal/redistest"
)

func TestStartAndScanAll(t *testing.T) {
	s := redistest.Start(t)
	if strings.HasSuffix(s.Addr, ":6379") {
		t.Fatalf("got addr %s, must never be the default port", s.Addr)
	}
	ctx := context.Background()
	rdb := s.Client()
	p := s.Prefix
	for _, err := range []error{
		rdb.Set(ctx, p+"str", "hello", 0).Err(),
		rdb.HSet(ctx, p+"hash", "f1", "v1", "f2", "v2").Err(),
		rdb.SAdd(ctx, p+"set", "m1", "m2").Err(),
		rdb.ZAdd(ctx, p+"zset", redis.Z{Score: 2, Member: "z1"}).Err(),
		rdb.RPush(ctx, p+"list", "a", "b").Err(),
		rdb.XAdd(ctx, &redis.XAddArgs{Stream: p + "stream", ID: "1-1", Values: []string{"k", "sv"}}).Err(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := redistest.ScanMatch(ctx, rdb, p+"*")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		p + "str => hello\n",
		p + "hash => hash[f1=v1 | f2=v2]\n",
		p + "set => set[m1 | m2]\n",
		p + "zset => zset[z1:2]\n",
		p + "list => list[a | b]\n",
		p + "stream => stream[1-1{k=sv}]\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ScanMatch: got\n%s\nwant a line %q", got, want)
		}
	}
	if d := s.Dump(t); len(d) != 6 {
		t.Errorf("Dump: got %d keys, want 6: %v", len(d), d)
	}
}

func TestRestartKeepsDataWithAOF(t *testing.T) {
	tests := []struct {
		name    string
		opts    []redistest.Option
		wantVal string
	}{
		{"aof keeps data", []redistest.Option{redistest.WithAOF()}, "kept"},
		{"no aof loses data", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := redistest.Start(t, tt.opts...)
			ctx := context.Background()
			rdb := s.Client()
			if err := rdb.Set(ctx, s.Prefix+"k", "kept", 0).Err(); err != nil {
				t.Fatal(err)
			}
			addr := s.Addr
			s.Kill()
			if err := rdb.Ping(ctx).Err(); err == nil {
				t.Fatal("ping after Kill: got nil error, want one")
			}
			s.Restart()
			if s.Addr != addr {
				t.Fatalf("got addr %s after restart, want %s", s.Addr, addr)
			}
			got, err := rdb.Get(ctx, s.Prefix+"k").Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				t.Fatal(err)
			}
			if got != tt.wantVal {
				t.Errorf("got %q after restart, want %q", got, tt.wantVal)
			}
		})
	}
}

func TestStartCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster start takes a few seconds")
	}
	c := redistest.StartCluster(t)
	if len(c.Addrs) != 3 {
		t.Fatalf("got %d addrs, want 3", len(c.Addrs))
	}
	ctx := context.Background()
	rdb := c.Client()
	// Keys spread over the slots land on different masters; all must work.
	for i := range 20 {
		k := "k" + strings.Repeat("x", i)
		if err := rdb.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
	}
	got, err := redistest.ScanAll(ctx, rdb)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(got, "\n"); n != 20 {
		t.Errorf("ScanAll on cluster: got %d lines, want 20:\n%s", n, got)
	}
	// Cross-slot multi-key commands must fail, as they will in production.
	if err := rdb.MSet(ctx, "a", 1, "b", 2).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Errorf("MSET across slots: got %v, want CROSSSLOT", err)
	}
}

func TestSentinel(t *testing.T) {
	s := redistest.StartSentinel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, err := s.Master(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Failover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatalf("failover kept %s as master", first)
	}
	// the old master comes back as a replica; freezing the new one makes
	// the sentinels promote the old one again
	frozen, err := s.Freeze(ctx, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if frozen != second {
		t.Fatalf("froze %s, want the master %s", frozen, second)
	}
	third, err := s.WaitNewMaster(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if third != first {
		t.Errorf("after the freeze the master is %s, want %s back", third, first)
	}
}
