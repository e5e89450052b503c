// Package ratelimit is the token bucket every rate limit in Baraza uses:
// the Telegram adapter's outbound budget, its test fake's flood control,
// and the Discord adapter's global REST pacer.
//
// A bucket holds at most burst tokens and gains rate tokens a second. A
// caller either asks how long until a token is there (Delay) and takes it
// when it is (Take), as a scheduler that decides many things under its
// own lock does, or simply blocks until its token is due (Wait).
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Clock is the bucket's time source. Tests inject a fake one; nil means
// real time.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed, and a
	// function that stops the timer.
	After(d time.Duration) (<-chan time.Time, func())
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Bucket is a token bucket: rate tokens a second, at most burst saved up,
// full at the start. A rate <= 0 means unlimited. It is safe for
// concurrent use.
type Bucket struct {
	clock Clock

	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// New returns a full bucket on real time. A burst below 1 is taken as 1.
func New(rate, burst float64) *Bucket {
	return NewWithClock(rate, burst, nil)
}

// NewWithClock returns a full bucket on the given clock (nil: real time).
func NewWithClock(rate, burst float64, c Clock) *Bucket {
	if c == nil {
		c = realClock{}
	}
	burst = max(1, burst)
	return &Bucket{clock: c, rate: rate, burst: burst, tokens: burst}
}

// refill adds what accrued since the last call; b.mu is held.
func (b *Bucket) refill(now time.Time) {
	if b.last.IsZero() {
		b.last = now
		return
	}
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+b.rate*now.Sub(b.last).Seconds())
		b.last = now
	}
}

// delay is Delay with b.mu held.
func (b *Bucket) delay(now time.Time) time.Duration {
	if b.rate <= 0 {
		return 0
	}
	b.refill(now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// Delay is how long after now one token will be available; it takes
// nothing.
func (b *Bucket) Delay(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.delay(now)
}

// take is Take with b.mu held.
func (b *Bucket) take(now time.Time) {
	if b.rate <= 0 {
		return
	}
	b.refill(now)
	b.tokens--
}

// Take takes one token at now. Call it once Delay has said 0; taken
// earlier, the token is borrowed and later Delays wait out the debt.
func (b *Bucket) Take(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.take(now)
}

// Full reports whether the bucket has refilled completely by now, so that
// a caller may forget it without granting anyone an extra burst.
func (b *Bucket) Full(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	return b.tokens >= b.burst
}

// Wait takes one token, waiting until it is due; callers are served in
// the order they call. If ctx ends first, the token is given back and
// ctx's error returned.
func (b *Bucket) Wait(ctx context.Context) error {
	b.mu.Lock()
	now := b.clock.Now()
	d := b.delay(now)
	b.take(now)
	b.mu.Unlock()
	if d <= 0 {
		return nil
	}
	c, stop := b.clock.After(d)
	defer stop()
	select {
	case <-ctx.Done():
		b.mu.Lock()
		b.tokens++
		b.mu.Unlock()
		return ctx.Err()
	case <-c:
		return nil
	}
}
