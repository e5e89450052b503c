package sms

import (
	"context"
	"testing"
	"time"

	"github.com/baraza/baraza/internal/redistest"
)

// A sent mark must not date the step it marks finer than an hour, and a
// second claim of the same message must be refused.
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
}
