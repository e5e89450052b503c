package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// step is one call on a bucket at t0 + at.
type step struct {
	at   time.Duration
	op   string // "delay", "take" or "full"
	want any    // time.Duration for delay, bool for full, nil for take
}

func TestBucket(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64
		burst float64
		steps []step
	}{
		{"starts full, then one token per 1/rate", 10, 2, []step{
			{0, "full", true},
			{0, "delay", time.Duration(0)},
			{0, "take", nil},
			{0, "full", false},
			{0, "delay", time.Duration(0)},
			{0, "take", nil},
			{0, "delay", ms(100)},
			{ms(50), "delay", ms(50)},
			{ms(100), "delay", time.Duration(0)},
			{ms(100), "full", false},
			{ms(200), "full", true},
		}},
		{"idle time saves at most burst", 10, 2, []step{
			{0, "take", nil},
			{0, "take", nil},
			{ms(10_000), "full", true},
			{ms(10_000), "take", nil},
			{ms(10_000), "take", nil},
			{ms(10_000), "delay", ms(100)},
		}},
		{"a burst below 1 is 1", 4, 0, []step{
			{0, "take", nil},
			{0, "delay", ms(250)},
			{ms(250), "full", true},
		}},
		{"fractional burst", 10, 1.5, []step{
			{0, "take", nil},
			{0, "delay", ms(50)},
			{ms(50), "delay", time.Duration(0)},
			{ms(50), "take", nil},
			{ms(50), "delay", ms(100)},
			{ms(150), "full", false},
			{ms(200), "full", true},
		}},
		{"taking on credit: later delays wait out the debt", 10, 1, []step{
			{0, "take", nil},
			{0, "take", nil},
			{0, "take", nil},
			{0, "delay", ms(300)},
			{ms(200), "delay", ms(100)},
			{ms(300), "delay", time.Duration(0)},
		}},
		{"a clock that goes back adds nothing", 10, 1, []step{
			{ms(100), "take", nil},
			{0, "delay", ms(100)},
			{ms(150), "delay", ms(50)},
		}},
		{"zero rate is unlimited", 0, 1, []step{
			{0, "take", nil},
			{0, "take", nil},
			{0, "take", nil},
			{0, "delay", time.Duration(0)},
			{0, "full", true},
		}},
		{"negative rate is unlimited", -1, 2, []step{
			{0, "take", nil},
			{0, "take", nil},
			{0, "take", nil},
			{0, "delay", time.Duration(0)},
			{0, "full", true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.rate, tt.burst)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				switch s.op {
				case "delay":
					if got := b.Delay(now); got != s.want {
						t.Errorf("step %d: Delay at +%v: got %v, want %v", i, s.at, got, s.want)
					}
				case "full":
					if got := b.Full(now); got != s.want {
						t.Errorf("step %d: Full at +%v: got %v, want %v", i, s.at, got, s.want)
					}
				case "take":
					b.Take(now)
				default:
					t.Fatalf("step %d: unknown op %q", i, s.op)
				}
			}
		})
	}
}

// fakeClock stands still; After records the wait asked for and returns a
// channel that has either fired already or never will.
type fakeClock struct {
	now     time.Time
	fire    bool
	waits   []time.Duration
	stopped int
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	if c.fire {
		ch <- c.now.Add(d)
	}
	return ch, func() { c.stopped++ }
}

func TestWait(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		rate      float64
		burst     float64
		calls     int             // Waits in a row at the same instant
		ctx       context.Context // of the last call
		fire      bool            // timers fire at once
		wantErr   error           // of the last call
		wantWaits []time.Duration // what the bucket waited for
		wantDelay time.Duration   // Delay afterwards
	}{
		{"tokens in the bucket: no wait", 10, 3, 3, context.Background(), false, nil, nil, ms(100)},
		{"empty bucket: waits for the next token, in turn", 10, 1, 3, context.Background(), true, nil, []time.Duration{ms(100), ms(200)}, ms(300)},
		{"a token is there: an ended context does not matter", 10, 1, 1, canceled, false, nil, nil, ms(100)},
		{"ended context while waiting: the token goes back", 10, 1, 2, canceled, false, context.Canceled, []time.Duration{ms(100)}, ms(100)},
		{"unlimited never waits", 0, 1, 5, context.Background(), false, nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &fakeClock{now: t0, fire: tt.fire}
			b := NewWithClock(tt.rate, tt.burst, clk)
			var err error
			for i := range tt.calls {
				ctx := context.Background()
				if i == tt.calls-1 {
					ctx = tt.ctx
				}
				err = b.Wait(ctx)
				if i < tt.calls-1 && err != nil {
					t.Fatalf("call %d: got %v, want nil", i, err)
				}
			}
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("last call: got %v, want %v", err, tt.wantErr)
			}
			if len(clk.waits) != len(tt.wantWaits) {
				t.Fatalf("got waits %v, want %v", clk.waits, tt.wantWaits)
			}
			for i := range clk.waits {
				if clk.waits[i] != tt.wantWaits[i] {
					t.Errorf("wait %d: got %v, want %v", i, clk.waits[i], tt.wantWaits[i])
				}
			}
			if clk.stopped != len(clk.waits) {
				t.Errorf("got %d timers stopped, want %d", clk.stopped, len(clk.waits))
			}
			if got := b.Delay(clk.now); got != tt.wantDelay {
				t.Errorf("Delay afterwards: got %v, want %v", got, tt.wantDelay)
			}
		})
	}
}

// TestConcurrent runs Take, Delay and Full from many goroutines for the
// race detector, then checks no token was lost or made up.
func TestConcurrent(t *testing.T) {
	b := New(1, 1000)
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				b.Delay(t0)
				b.Take(t0)
				b.Full(t0)
			}
		}()
	}
	for range 8 {
		<-done
	}
	// 800 of 1000 taken at t0: 200 left.
	for i := range 200 {
		if d := b.Delay(t0); d != 0 {
			t.Fatalf("token %d: got delay %v, want 0", i, d)
		}
		b.Take(t0)
	}
	if got, want := b.Delay(t0), time.Second; got != want {
		t.Errorf("after 1000 takes: got delay %v, want %v", got, want)
	}
}
