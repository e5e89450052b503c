package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/baraza/baraza/internal/store"
)

// TestBatchedHotPath: many respondents stepping at once through the
// batched session read and commit each get their own reply — their own
// session, their own conflict and duplicate answers — while the client
// writes fewer pipelines than there are callers. Round trips count one
// per caller. After SCRIPT FLUSH the batch falls back to EVAL.
func TestBatchedHotPath(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, rdb, _ := b.open(t)
			var rt store.RoundTrips
			rdb.AddHook(&rt)
			ctx := ctxT(t)
			const n = 64
			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprintf("%016x%048x", i+1, 0)
			}
			run := func(f func(i int) error) {
				t.Helper()
				var wg sync.WaitGroup
				errs := make([]error, n)
				for i := range n {
					wg.Add(1)
					go func() { defer wg.Done(); errs[i] = f(i) }()
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatal(err)
				}
			}
			rt0, w0 := rt.Load(), rt.Writes()
			run(func(i int) error {
				return s.SaveSession(ctx, ids[i], 0, []byte(fmt.Sprintf("session %d", i)), "ev")
			})
			run(func(i int) error {
				data, v, dup, err := s.LoadSession(ctx, ids[i], "ev")
				switch {
				case err != nil:
					return err
				case string(data) != fmt.Sprintf("session %d", i) || v == 0 || !dup:
					return fmt.Errorf("respondent %d: got %q version %d dup %v", i, data, v, dup)
				}
				if err := s.SaveSession(ctx, ids[i], v, []byte("next"), "ev"); !errors.Is(err, store.ErrDuplicate) {
					return fmt.Errorf("respondent %d: replayed event: got %v, want ErrDuplicate", i, err)
				}
				if err := s.SaveSession(ctx, ids[i], v+1, []byte("next"), "ev2"); !errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("respondent %d: stale version: got %v, want ErrConflict", i, err)
				}
				return nil
			})
			// At least one per caller and call (a script's first EVALSHA
			// falls back to EVAL, and a new connection says HELLO: more).
			if got := rt.Load() - rt0; got < 4*n {
				t.Errorf("round trips: got %d, want at least %d (one per caller and call)", got, 4*n)
			}
			if w := rt.Writes() - w0; w >= 4*n {
				t.Errorf("%d calls in %d writes: nothing was batched", 4*n, w)
			} else {
				t.Logf("%d calls in %d writes", 4*n, w)
			}

			if err := rdb.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			run(func(i int) error {
				_, v, _, err := s.LoadSession(ctx, ids[i], "")
				if err != nil {
					return err
				}
				return s.SaveSession(ctx, ids[i], v, []byte("after flush"), "ev3")
			})
		})
	}
}

// TestBatchedCancel: a caller whose context ends stops waiting with the
// context's error.
func TestBatchedCancel(t *testing.T) {
	s, _, _ := backends[0].open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := s.LoadSession(ctx, hexID('c'), ""); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled load: got %v, want context.Canceled", err)
	}
}

// TestSessionRingRefill: a session whose ring of recent events is not the
// expected size (written by some other version) gets a fresh one on its
// next commit: the commit of an existing session sends no filler, the
// script asks for one, and the second try writes it.
func TestSessionRingRefill(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, rdb, prefix := b.open(t)
			ctx := ctxT(t)
			r := hexID('f')
			if err := s.SaveSession(ctx, r, 0, []byte("one"), "e1"); err != nil {
				t.Fatal(err)
			}
			key := prefix + "{r:" + r + "}:s"
			if err := rdb.HSet(ctx, key, "e", "short").Err(); err != nil {
				t.Fatal(err)
			}
			_, v, _, err := s.LoadSession(ctx, r, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SaveSession(ctx, r, v, []byte("two"), "e2"); err != nil {
				t.Fatalf("commit over a short ring: %v", err)
			}
			ring, err := rdb.HGet(ctx, key, "e").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(ring) != 16*12 {
				t.Errorf("ring: %d characters, want %d", len(ring), 16*12)
			}
			if _, _, dup, err := s.LoadSession(ctx, r, "e2"); err != nil || !dup {
				t.Errorf("e2 after the refill: dup %v, err %v; want a duplicate", dup, err)
			}
		})
	}
}
