package telegram

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/keyqueue"
)

// runPolling polls while this replica holds the lease, until ctx ends.
//
// Failover is quick and never runs two pollers that both commit: the
// lease is short (Config.LeaseTTL, 3 s) and renewed every sixth of it; a
// standby tries as often, so it takes over about LeaseTTL after a holder
// died without releasing. Every offset commit carries the lease's fencing
// token and is refused once the lease has moved on, so a holder that
// stalled past its lease cannot move the offset past updates its successor
// has not handled. And Telegram ends an older getUpdates with 409 Conflict
// when a newer one starts: a poller that gets it stops at once.
func (a *Adapter) runPolling(ctx, workCtx context.Context, h bot.Handler) {
	st := a.cfg.Offsets
	every := a.cfg.LeaseTTL / 6
	failures := 0
	for ctx.Err() == nil {
		token, err := st.AcquireFencedLease(ctx, a.name, a.holder, a.cfg.LeaseTTL)
		if err != nil || token == 0 {
			wait := every
			if err != nil && ctx.Err() == nil {
				failures++
				a.logger.Warn("telegram: lease", "err", err)
				wait = min(backoff(a.cfg.RetryDelay, a.cfg.MaxRetryDelay, failures), a.cfg.LeaseTTL)
			}
			sleep(ctx, wait)
			continue
		}
		failures = 0
		a.logger.Info("telegram: polling", "fence", token)
		leaseCtx, lost := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.renewLease(leaseCtx, lost, token)
		}()
		conflict := a.poll(leaseCtx, workCtx, h, token)
		lost()
		wg.Wait()
		if ctx.Err() == nil {
			a.stats.LeaseLost.Add(1)
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if err := st.ReleaseFencedLease(rctx, a.name, a.holder, token); err != nil {
			a.logger.Warn("telegram: release lease", "err", err)
		}
		cancel()
		if conflict {
			// Someone else is polling this bot. If it holds the lease we
			// will not get it; if it is a stray process, stepping back a
			// lease's length keeps the two from ending each other's
			// requests in a tight loop.
			sleep(ctx, a.cfg.LeaseTTL)
		}
	}
}

// renewLease renews the lease every sixth of its TTL and calls lost when
// it is gone (taken by another replica, or not renewed in time).
func (a *Adapter) renewLease(ctx context.Context, lost context.CancelFunc, token int64) {
	t := time.NewTicker(a.cfg.LeaseTTL / 6)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		got, err := a.cfg.Offsets.AcquireFencedLease(ctx, a.name, a.holder, a.cfg.LeaseTTL)
		switch {
		case err == nil && got == token:
			renewed = time.Now()
		case err == nil:
			a.logger.Warn("telegram: lease lost to another replica")
			lost()
			return
		case ctx.Err() == nil:
			a.logger.Warn("telegram: renew lease", "err", err)
			if time.Since(renewed) > a.cfg.LeaseTTL*2/3 {
				lost()
				return
			}
		}
	}
}

// completions collects finished updates from the workers.
type completions struct {
	mu     sync.Mutex
	ok     []int
	failed []int
	notify chan struct{}
}

func (c *completions) add(id int, err error) {
	c.mu.Lock()
	if err == nil {
		c.ok = append(c.ok, id)
	} else {
		c.failed = append(c.failed, id)
	}
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *completions) take() (ok, failed []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ok, failed = c.ok, c.failed
	c.ok, c.failed = nil, nil
	return ok, failed
}

// poll is the intake loop. It never confirms an update before it is done:
// getUpdates is always called with the committed offset (the lowest
// update not yet handled), updates already in flight or done are skipped,
// and the committed offset moves, in the store, only past updates whose
// replies were delivered. A crash therefore re-delivers at most the
// updates after the committed offset; the router's de-duplication by
// update id makes that harmless.
//
// It reports whether it stopped because Telegram ended its getUpdates for
// a newer one (409 Conflict).
func (a *Adapter) poll(ctx, workCtx context.Context, h bot.Handler, token int64) (conflict bool) {
	st := a.cfg.Offsets
	if _, err := a.api.call(ctx, "deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"}); err != nil && ctx.Err() == nil {
		a.logger.Warn("telegram: deleteWebhook", "err", err)
	}
	var committed int64
	for attempt := 1; ; attempt++ {
		v, err := st.Offset(ctx, a.name)
		if err == nil {
			committed = v
			break
		}
		if ctx.Err() != nil {
			return false
		}
		a.logger.Warn("telegram: read offset", "err", err)
		sleep(ctx, backoff(a.cfg.RetryDelay, a.cfg.MaxRetryDelay, attempt))
	}

	// Updates of one chat in order, chats concurrently. A panicking update
	// is recovered and counted as finished (dropped): re-fetching it would
	// only panic again and pin the offset for everyone.
	queues := keyqueue.New(a.cfg.Workers, 0, a.recovered)
	done := &completions{notify: make(chan struct{}, 1)}
	inflight := map[int64]bool{}
	finished := map[int64]bool{}
	failed := map[int64]bool{}
	maxSeen := committed - 1
	extra := 0 // in-flight re-deliveries below the committed offset

	advance := func(sctx context.Context) (fenced bool) {
		ok, bad := done.take()
		for _, id := range ok {
			if !inflight[int64(id)] {
				extra--
				continue
			}
			delete(inflight, int64(id))
			finished[int64(id)] = true
		}
		for _, id := range bad {
			if !inflight[int64(id)] {
				extra--
				continue
			}
			delete(inflight, int64(id))
			failed[int64(id)] = true
		}
		next := maxSeen + 1
		for id := range inflight {
			next = min(next, id)
		}
		for id := range failed {
			next = min(next, id)
		}
		if next <= committed {
			return false
		}
		held, err := st.SetOffsetFenced(sctx, a.name, next, a.holder, token)
		if err != nil {
			a.logger.Warn("telegram: save offset", "err", err)
			return false
		}
		if !held {
			a.logger.Warn("telegram: offset not saved: the lease moved on")
			return true
		}
		committed = next
		for id := range finished {
			if id < committed {
				delete(finished, id)
			}
		}
		return false
	}
	defer func() {
		queues.Wait()
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		advance(fctx)
	}()

	failures := 0
	for ctx.Err() == nil {
		if advance(ctx) {
			return false
		}
		timeout := int(a.cfg.PollTimeout / time.Second)
		if len(inflight) > 0 || extra > 0 {
			timeout = 0
		}
		raws, err := a.getUpdates(ctx, committed, timeout)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			if apiCode(err) == 409 && strings.Contains(apiDescription(err), "other getUpdates") {
				a.logger.Warn("telegram: a newer getUpdates ended ours (409): another poller is running; stepping back")
				return true
			}
			failures++
			a.logger.Warn("telegram: getUpdates", "code", apiCode(err), "err", err)
			sleep(ctx, backoff(a.cfg.RetryDelay, a.cfg.MaxRetryDelay, failures))
			continue
		}
		failures = 0
		fresh := 0
		inBatch := map[int64]bool{}
		for _, raw := range raws {
			var u tgbotapi.Update
			if err := json.Unmarshal(raw, &u); err != nil {
				var idOnly struct {
					UpdateID int64 `json:"update_id"`
				}
				if json.Unmarshal(raw, &idOnly) == nil && idOnly.UpdateID >= committed && !inflight[idOnly.UpdateID] {
					a.logger.Warn("telegram: skipped an update that does not parse", "update", idOnly.UpdateID)
					finished[idOnly.UpdateID] = true
					maxSeen = max(maxSeen, idOnly.UpdateID)
				}
				continue
			}
			id := int64(u.UpdateID)
			again := inBatch[id] // a second copy in one answer is a re-delivery
			inBatch[id] = true
			if !again && (inflight[id] || finished[id]) {
				continue
			}
			fresh++
			if id >= committed && !again {
				delete(failed, id)
				inflight[id] = true
				maxSeen = max(maxSeen, id)
			} else {
				extra++ // a re-delivery: handled again (the router de-duplicates), not counted
			}
			in := convertUpdate(&u, a.botUsername)
			a.armCallback(workCtx, in)
			queues.Submit(strconv.FormatInt(in.chat, 10), func() {
				var err error
				defer func() { done.add(int(id), err) }() // reported even if process panics
				err = a.process(workCtx, h, in)
			})
		}
		if fresh == 0 && (len(inflight) > 0 || extra > 0) {
			t := time.NewTimer(250 * time.Millisecond)
			select {
			case <-done.notify:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
	}
	return false
}

// getUpdates fetches updates as raw JSON, one by one, so that a single
// update the library cannot decode does not block the others.
func (a *Adapter) getUpdates(ctx context.Context, offset int64, timeout int) ([]json.RawMessage, error) {
	p := tgbotapi.Params{"limit": "100", "allowed_updates": `["message","callback_query"]`}
	if offset > 0 {
		p["offset"] = strconv.FormatInt(offset, 10)
	}
	if timeout > 0 {
		p["timeout"] = strconv.Itoa(timeout)
	}
	raw, err := a.api.call(ctx, "getUpdates", p)
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, &transportError{msg: "telegram: getUpdates: result is not a list"}
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
