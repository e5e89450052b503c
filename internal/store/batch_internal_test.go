package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/internal/redistest"
)

// TestIsHex: the hand-written check accepts exactly what the regexp it
// replaced accepted.
func TestIsHex(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{16,128}$`)
	cases := []string{"", "0123456789abcdef", "0123456789abcde", "0123456789ABCDEF", "0123456789abcdeg",
		strings.Repeat("a", 128), strings.Repeat("a", 129), "0123456789abcdef\n", " 0123456789abcdef", "0123456789abcdéf"}
	for _, c := range cases {
		if got, want := isHex(c), re.MatchString(c); got != want {
			t.Errorf("isHex(%q) = %v, want %v", c, got, want)
		}
	}
}

func FuzzIsHex(f *testing.F) {
	re := regexp.MustCompile(`^[0-9a-f]{16,128}$`)
	f.Add("0123456789abcdef")
	f.Fuzz(func(t *testing.T, s string) {
		if isHex(s) != re.MatchString(s) {
			t.Fatalf("isHex(%q) disagrees with the regexp", s)
		}
	})
}

// TestBatcherSlots: callers that send their own pipeline (nothing queued,
// a slot free) and callers queued behind them each get their own reply,
// and once all have returned every pipeline slot is given back and
// nothing is left queued — whatever the mix, including callers whose
// context is already cancelled.
func TestBatcherSlots(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	b := &batcher{rdb: rdb}
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, callers := range []int{1, 3, maxFlushers, 4 * maxFlushers, 200} {
		t.Run(fmt.Sprint(callers), func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			for i := range callers {
				wg.Go(func() {
					c := ctx
					if i%7 == 6 {
						c = cancelled
					}
					cmd := redis.NewStringCmd(c, "echo", fmt.Sprint("caller ", i))
					err := b.do(c, cmd)
					switch {
					case c == cancelled:
						if err == nil && cmd.Err() == nil && cmd.Val() != fmt.Sprint("caller ", i) {
							errs <- fmt.Errorf("cancelled caller %d: got %q", i, cmd.Val())
						}
					case err != nil || cmd.Err() != nil || cmd.Val() != fmt.Sprint("caller ", i):
						errs <- fmt.Errorf("caller %d: got %q, %v, %v", i, cmd.Val(), err, cmd.Err())
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			// A flusher started by the last lone caller may still be on its
			// way out.
			deadline := time.Now().Add(5 * time.Second)
			for {
				b.mu.Lock()
				flushers, pending := b.flushers, len(b.pending)
				b.mu.Unlock()
				if flushers == 0 && pending == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after all callers returned: %d slots held, %d units queued", flushers, pending)
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}
