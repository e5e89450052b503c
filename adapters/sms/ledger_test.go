package sms

import (
	"context"
	"testing"
	"time"

	"github.com/baraza/baraza/internal/redistest"
)

// A sent mark and a handled mark must not date the step they mark finer
// than an hour, and a second claim of the same message must be refused.
func TestSentMarkExpiresOnAWholeHour(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	l := &ledger{rdb: rdb, prefix: srv.Prefix, ttl: 48 * time.Hour}
	ctx := context.Background()
	ok, err := l.claim(ctx, "stepkey", 0)
	if err != nil || !ok {
		t.Fatalf("first claim: %v, %v; want true", ok, err)
	}
	ok, err = l.claim(ctx, "stepkey", 0)
	if err != nil || ok {
		t.Fatalf("second claim: %v, %v; want false", ok, err)
	}
	at, err := rdb.Do(ctx, "PEXPIRETIME", l.sentKey("stepkey", 0)).Int64()
	if err != nil {
		t.Fatal(err)
	}
	if at%time.Hour.Milliseconds() != 0 {
		t.Errorf("sent mark expires at %d ms, not on a whole hour", at)
	}
	if left := time.Until(time.UnixMilli(at)); left < 48*time.Hour || left > 49*time.Hour {
		t.Errorf("sent mark lives %v, want 48 to 49 h", left)
	}

	if ok, err := l.handled(ctx, "inref"); err != nil || ok {
		t.Fatalf("handled before done: %v, %v; want false", ok, err)
	}
	if err := l.done(ctx, "inref"); err != nil {
		t.Fatal(err)
	}
	if ok, err := l.handled(ctx, "inref"); err != nil || !ok {
		t.Fatalf("handled after done: %v, %v; want true", ok, err)
	}
	at, err = rdb.Do(ctx, "PEXPIRETIME", l.inKey("inref")).Int64()
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(time.UnixMilli(at)); at%time.Hour.Milliseconds() != 0 || left < 48*time.Hour || left > 49*time.Hour {
		t.Errorf("handled mark expires at %d ms (in %v), want a whole hour 48 to 49 h away", at, left)
	}
}
