package store_test

import (
	"context"
	"testing"
	"time"
)

// TestFencedLease: each new holder gets a larger token; a renewal keeps
// it; once the lease moved on (it expired, here released, and another
// replica took it) the old holder can neither renew nor commit an offset.
func TestFencedLease(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, _, _ := b.open(t)
			ctx := context.Background()
			ta, err := s.AcquireFencedLease(ctx, "telegram-x", "aaaa", time.Minute)
			if err != nil || ta <= 0 {
				t.Fatalf("first acquire: token %d, %v", ta, err)
			}
			if got, _ := s.AcquireFencedLease(ctx, "telegram-x", "aaaa", time.Minute); got != ta {
				t.Errorf("renewal: got token %d, want %d", got, ta)
			}
			if got, _ := s.AcquireFencedLease(ctx, "telegram-x", "bbbb", time.Minute); got != 0 {
				t.Errorf("a second holder got token %d while the first holds it, want 0", got)
			}
			if held, err := s.SetOffsetFenced(ctx, "telegram-x", 10, "aaaa", ta); err != nil || !held {
				t.Fatalf("holder's commit: held=%v, %v", held, err)
			}
			if err := s.ReleaseFencedLease(ctx, "telegram-x", "aaaa", ta); err != nil {
				t.Fatal(err)
			}
			tb, err := s.AcquireFencedLease(ctx, "telegram-x", "bbbb", time.Minute)
			if err != nil || tb <= ta {
				t.Fatalf("successor: token %d (%v), want more than %d", tb, err, ta)
			}
			if got, _ := s.AcquireFencedLease(ctx, "telegram-x", "aaaa", time.Minute); got != 0 {
				t.Errorf("the old holder renewed (token %d) after the lease moved on", got)
			}
			if held, err := s.SetOffsetFenced(ctx, "telegram-x", 20, "aaaa", ta); err != nil || held {
				t.Errorf("the old holder's commit: held=%v, %v; want refused", held, err)
			}
			if v, _ := s.Offset(ctx, "telegram-x"); v != 10 {
				t.Errorf("offset %d, want 10 (the stale commit must change nothing)", v)
			}
			if held, _ := s.SetOffsetFenced(ctx, "telegram-x", 20, "bbbb", tb); !held {
				t.Error("the successor's commit was refused")
			}
			if _, err := s.AcquireFencedLease(ctx, "telegram-x", "a:b", time.Minute); err == nil {
				t.Error("a holder with ':' was accepted")
			}
		})
	}
}
