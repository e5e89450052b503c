package keyqueue

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestOrderPerKeyAndLimit: each key's jobs run in submission order, never
// two of one key at once, and never more than limit jobs overall.
func TestOrderPerKeyAndLimit(t *testing.T) {
	const limit = 3
	q := New(limit, 0, nil)
	var running, maxRunning atomic.Int64
	var mu sync.Mutex
	got := map[string][]int{}
	busy := map[string]bool{}
	for i := range 200 {
		key := fmt.Sprint("k", i%7)
		q.Submit(key, func() {
			n := running.Add(1)
			for {
				m := maxRunning.Load()
				if n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			mu.Lock()
			if busy[key] {
				t.Errorf("two jobs of %s at once", key)
			}
			busy[key] = true
			got[key] = append(got[key], i)
			mu.Unlock()
			mu.Lock()
			busy[key] = false
			mu.Unlock()
			running.Add(-1)
		})
	}
	q.Wait()
	if m := maxRunning.Load(); m > limit {
		t.Errorf("%d jobs ran at once, limit %d", m, limit)
	}
	total := 0
	for key, seq := range got {
		total += len(seq)
		for j := 1; j < len(seq); j++ {
			if seq[j] <= seq[j-1] {
				t.Errorf("%s ran out of order: %v", key, seq)
				break
			}
		}
	}
	if total != 200 {
		t.Errorf("ran %d jobs, want 200", total)
	}
}

// TestFullQueueDrops: with maxQueue 2, a key holding a running job and two
// waiting ones refuses a fourth; other keys are unaffected.
func TestFullQueueDrops(t *testing.T) {
	q := New(1, 2, nil)
	release := make(chan struct{})
	started := make(chan struct{})
	if !q.Submit("a", func() { close(started); <-release }) {
		t.Fatal("first job refused")
	}
	<-started // the running job has left the queue
	for i := range 2 {
		if !q.Submit("a", func() {}) {
			t.Fatalf("waiting job %d refused", i)
		}
	}
	if q.Submit("a", func() {}) {
		t.Errorf("a full queue took another job")
	}
	if !q.Submit("b", func() {}) {
		t.Errorf("another key was refused")
	}
	close(release)
	q.Wait()
}

// TestPanicRecovered: a panicking job is reported and the key's later jobs
// still run.
func TestPanicRecovered(t *testing.T) {
	var panics atomic.Int64
	q := New(2, 0, func(any) { panics.Add(1) })
	var ran atomic.Bool
	q.Submit("a", func() { panic("bad input") })
	q.Submit("a", func() { ran.Store(true) })
	q.Spawn(func() { panic("spawned") })
	q.Wait()
	if panics.Load() != 2 || !ran.Load() {
		t.Errorf("panics %d, later job ran %v; want 2 and true", panics.Load(), ran.Load())
	}
}
