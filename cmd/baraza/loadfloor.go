package main

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// floorOps is what one delivery of a floor run does: one GET, or the
// GET and SET one after the other of the bare go-redis program.
type floorOps int

const (
	floorGet floorOps = iota + 1
	floorGetSet
)

// floorValue is what a floor delivery writes: about the size of a sealed
// session (docs/capacity.md).
var floorValue = strings.Repeat("x", 256)

// floorRun is the open loop without the core: the same timetable at the
// same offered rate, the same number of deliveries and in flight, against
// the same Redis through the same client, each delivery one GET (or a
// GET, then a SET) of a key of its own worker's, timed from its slot as
// the core's are. What is left of a latency percentile here is the
// machine's, the client library's and Redis's, not Baraza's: on a
// two-core machine shared by this process and redis-server it is most of
// the core's tail (docs/capacity.md, "The floor").
//
// Every worker is ready from the start, so there is no first-message
// burst and no draining end; the warm-up is split off as the core's is
// (timed.split), to compare like with like.
func floorRun(ctx context.Context, rdb redis.UniversalClient, prefix string, ops floorOps, rate float64, events, inflight int) (warm, steady []time.Duration, err error) {
	sched := newSchedule(rate)
	t := &timed{sched: sched, slots: make([]slotLat, 0, events)}
	keys := make([]string, inflight)
	var wg sync.WaitGroup
	for w := range inflight {
		keys[w] = prefix + "floor:" + strconv.Itoa(w)
		wg.Go(func() {
			for {
				at, i, ok := sched.take(ctx, int64(events))
				if !ok {
					return
				}
				e := rdb.Get(ctx, keys[w]).Err()
				if e == redis.Nil {
					e = nil
				}
				if e == nil && ops == floorGetSet {
					e = rdb.Set(ctx, keys[w], floorValue, 0).Err()
				}
				d := time.Since(at)
				t.mu.Lock()
				t.slots = append(t.slots, slotLat{i: i, d: d})
				if e != nil && err == nil {
					err = e
				}
				t.mu.Unlock()
			}
		})
	}
	wg.Wait()
	// One DEL a key: on a Redis Cluster the workers' keys lie in
	// different slots, and a DEL of several would be refused (CROSSSLOT).
	dctx := context.WithoutCancel(ctx)
	if _, e := rdb.Pipelined(dctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(dctx, k)
		}
		return nil
	}); e != nil && err == nil {
		err = e
	}
	if err != nil {
		return nil, nil, err
	}
	warm, steady, _ = t.split(int64(inflight))
	return warm, steady, ctx.Err()
}

// take is slot for a run of a known length: it takes the next slot if
// there is one below limit, and waits for its time.
func (s *schedule) take(ctx context.Context, limit int64) (at time.Time, i int64, ok bool) {
	i = s.next.Add(1) - 1
	if i >= limit || ctx.Err() != nil {
		return time.Time{}, i, false
	}
	at = s.start.Add(time.Duration(i) * s.interval)
	if d := time.Until(at); d > 0 {
		time.Sleep(d)
	}
	return at, i, true
}
