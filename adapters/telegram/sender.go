package telegram

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/baraza/baraza/internal/ratelimit"
)

// Limits is the outbound budget shared by sends, edits, deletions and
// callback answers. Zero values take the defaults in brackets; a negative
// rate means unlimited. Keep the bursts below what Telegram tolerates so
// that network jitter never turns into a 429.
type Limits struct {
	PerSecond     float64 // the whole bot [30]
	Burst         int     // [10]
	ChatPerSecond float64 // one chat [1]
	ChatBurst     int     // [2]
}

func (l Limits) withDefaults() Limits {
	if l.PerSecond == 0 {
		l.PerSecond = 30
	}
	if l.Burst == 0 {
		l.Burst = 10
	}
	if l.ChatPerSecond == 0 {
		l.ChatPerSecond = 1
	}
	if l.ChatBurst == 0 {
		l.ChatBurst = 2
	}
	return l
}

var errSenderStopped = errors.New("telegram: sender stopped")

// op is one rate-limited API call.
type op struct {
	ctx      context.Context
	do       func(ctx context.Context) error
	done     chan error
	attempts int
}

// lane says which queue of a chat a call goes to. Only sends are paced
// per chat (Telegram's ~1 message a second); callback answers must go out
// at once (the button's spinner) and deletions are not sends, so each has
// its own queue, never behind the chat's sends, and only the bot's global
// allowance applies to them.
type lane uint8

const (
	laneSend lane = iota
	laneCallback
	laneDelete
)

type laneKey struct {
	chat int64
	lane lane
}

type outChat struct {
	id       laneKey
	ops      []*op
	inflight bool
	queued   bool // in sender.ready or sender.waiting
	b        *ratelimit.Bucket
	blocked  time.Time // 429 retry_after or error backoff
	readyAt  time.Time
	idx      int
}

// sender schedules API calls: one call in flight per chat and lane, in
// submission order; a chat's sends go when its own bucket and the global
// bucket both have a token, both taken at the same instant; callback
// answers and deletions need only the global token. On 429 it waits
// retry_after for that chat's lane only (Telegram's limits are per chat;
// the global bucket keeps the bot under its overall allowance), and
// retries; transport errors and 5xx are retried with backoff. Nothing is
// dropped except when the caller's context ends.
type sender struct {
	lim      Limits
	logger   *slog.Logger
	minDelay time.Duration
	maxDelay time.Duration

	mu            sync.Mutex
	global        *ratelimit.Bucket
	globalBlocked time.Time
	chats         map[laneKey]*outChat
	ready         []*outChat
	waiting       chatHeap
	stopped       bool
	lastSweep     time.Time
	n429          int64
	wake          chan struct{}
}

func newSender(lim Limits, logger *slog.Logger, minDelay, maxDelay time.Duration) *sender {
	lim = lim.withDefaults()
	return &sender{
		lim: lim, logger: logger, minDelay: minDelay, maxDelay: maxDelay,
		global: ratelimit.New(lim.PerSecond, float64(lim.Burst)),
		chats:  map[laneKey]*outChat{},
		wake:   make(chan struct{}, 1),
	}
}

// count429 is how many 429 answers the sender has seen.
func (s *sender) count429() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n429
}

func (s *sender) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// do runs fn as one send in chat's queue and returns its final error.
// chat 0 has no per-chat limit.
func (s *sender) do(ctx context.Context, chat int64, fn func(ctx context.Context) error) error {
	return s.doLane(ctx, laneKey{chat, laneSend}, fn)
}

// doLane runs fn as one call in the queue k and returns its final error.
func (s *sender) doLane(ctx context.Context, k laneKey, fn func(ctx context.Context) error) error {
	o := &op{ctx: ctx, do: fn, done: make(chan error, 1)}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return errSenderStopped
	}
	c := s.chats[k]
	if c == nil {
		rate := s.lim.ChatPerSecond
		if k.chat == 0 || k.lane != laneSend {
			rate = -1
		}
		c = &outChat{id: k, b: ratelimit.New(rate, float64(s.lim.ChatBurst)), idx: -1}
		s.chats[k] = c
	}
	c.ops = append(c.ops, o)
	s.reschedule(c, time.Now())
	s.mu.Unlock()
	s.signal()
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run dispatches until ctx ends, then fails what is still queued.
func (s *sender) run(ctx context.Context) {
	for {
		wait := s.dispatch()
		var timer *time.Timer
		var tc <-chan time.Time
		if wait >= 0 {
			timer = time.NewTimer(wait)
			tc = timer.C
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-tc:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			s.mu.Lock()
			s.stopped = true
			for _, c := range s.chats {
				start := 0
				if c.inflight {
					start = 1 // exec answers it
				}
				for _, o := range c.ops[start:] {
					o.done <- errSenderStopped
				}
				c.ops = c.ops[:start]
			}
			s.mu.Unlock()
			return
		}
	}
}

// dispatch starts every call that may go now and returns how long to wait
// before the next may (-1: until something changes).
func (s *sender) dispatch() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for len(s.waiting) > 0 && !s.waiting[0].readyAt.After(now) {
		c := heap.Pop(&s.waiting).(*outChat)
		s.ready = append(s.ready, c)
	}
	wait := time.Duration(-1)
	for len(s.ready) > 0 {
		if now.Before(s.globalBlocked) {
			wait = s.globalBlocked.Sub(now)
			break
		}
		if w := s.global.Delay(now); w > 0 {
			wait = w + time.Microsecond
			break
		}
		c := s.ready[0]
		s.ready[0] = nil
		s.ready = s.ready[1:]
		c.queued = false
		for len(c.ops) > 0 && c.ops[0].ctx.Err() != nil {
			c.ops[0].done <- c.ops[0].ctx.Err()
			c.ops = c.ops[1:]
		}
		if len(c.ops) == 0 {
			continue
		}
		if t := s.nextTime(c, now); t.After(now) {
			s.reschedule(c, now)
			continue
		}
		s.global.Take(now)
		c.b.Take(now)
		c.inflight = true
		go s.exec(c, c.ops[0])
	}
	if len(s.waiting) > 0 {
		if w := s.waiting[0].readyAt.Sub(now); wait < 0 || w < wait {
			wait = w
		}
	}
	if now.Sub(s.lastSweep) > 30*time.Second {
		s.lastSweep = now
		for id, c := range s.chats {
			if !c.inflight && !c.queued && len(c.ops) == 0 && !now.Before(c.blocked) && c.b.Full(now) {
				delete(s.chats, id)
			}
		}
	}
	return wait
}

func (s *sender) exec(c *outChat, o *op) {
	err := o.do(o.ctx)
	s.mu.Lock()
	now := time.Now()
	c.inflight = false
	switch ra := retryAfter(err); {
	case ra > 0 && o.ctx.Err() == nil:
		s.n429++
		until := now.Add(ra)
		if until.After(c.blocked) {
			c.blocked = until
		}
		s.logger.Warn("telegram: flood control, waiting", "retry_after", ra.String())
	case retryable(err) && o.ctx.Err() == nil:
		o.attempts++
		c.blocked = now.Add(backoff(s.minDelay, s.maxDelay, o.attempts))
		s.logger.Warn("telegram: call failed, retrying", "attempt", o.attempts, "err", err)
	default:
		c.ops = c.ops[1:]
		o.done <- err
	}
	if s.stopped {
		for _, o := range c.ops {
			o.done <- errSenderStopped
		}
		c.ops = nil
	}
	s.reschedule(c, now)
	s.mu.Unlock()
	s.signal()
}

func (s *sender) nextTime(c *outChat, now time.Time) time.Time {
	t := now.Add(c.b.Delay(now))
	if c.blocked.After(t) {
		t = c.blocked
	}
	return t
}

// reschedule puts an idle chat with work in the ready list or the heap.
func (s *sender) reschedule(c *outChat, now time.Time) {
	if c.inflight || c.queued || len(c.ops) == 0 {
		return
	}
	c.queued = true
	if t := s.nextTime(c, now); t.After(now) {
		c.readyAt = t
		heap.Push(&s.waiting, c)
		return
	}
	s.ready = append(s.ready, c)
}

func backoff(minDelay, maxDelay time.Duration, attempt int) time.Duration {
	d := minDelay
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

type chatHeap []*outChat

func (h chatHeap) Len() int           { return len(h) }
func (h chatHeap) Less(i, j int) bool { return h[i].readyAt.Before(h[j].readyAt) }
func (h chatHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *chatHeap) Push(x any) {
	c := x.(*outChat)
	c.idx = len(*h)
	*h = append(*h, c)
}
func (h *chatHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.idx = -1
	return c
}
