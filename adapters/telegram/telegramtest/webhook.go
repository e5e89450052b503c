package telegramtest

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"sync"
	"time"
)

// startWebhookLocked (re)starts webhook delivery for the current
// registration; with no webhook it only stops the old deliverer.
func (s *Server) startWebhookLocked() {
	if s.whCancel != nil {
		s.whCancel()
		s.whCancel = nil
	}
	if s.webhook.URL == "" || s.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.whCancel = cancel
	s.whWG.Add(1)
	go s.deliverWebhook(ctx, s.webhook)
}

// deliverWebhook posts pending updates to the webhook: different chats in
// parallel (up to WebhookConnections), one chat's updates in order. A
// non-2xx answer leaves the update queued and it is tried again.
func (s *Server) deliverWebhook(ctx context.Context, wh webhookState) {
	defer s.whWG.Done()
	client := &http.Client{Timeout: 30 * time.Second}
	busy := map[int64]bool{}         // seq in flight (guarded by s.mu)
	retryAt := map[int64]time.Time{} // seq -> not before (guarded by s.mu)
	doneCh := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	post := func(q pending) {
		defer wg.Done()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, bytes.NewReader(q.raw))
		req.Header.Set("Content-Type", "application/json")
		if wh.Secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", wh.Secret)
		}
		resp, err := client.Do(req)
		good := err == nil && resp.StatusCode/100 == 2
		if resp != nil {
			resp.Body.Close()
		}
		s.mu.Lock()
		delete(busy, q.seq)
		if good {
			delete(retryAt, q.seq)
			if i := slices.IndexFunc(s.queue, func(p pending) bool { return p.seq == q.seq }); i >= 0 {
				s.queue = slices.Delete(s.queue, i, i+1)
			}
			s.sent = append(s.sent, q)
			s.confirmed = max(s.confirmed, q.id+1)
		} else {
			retryAt[q.seq] = time.Now().Add(100 * time.Millisecond)
		}
		s.mu.Unlock()
		select {
		case doneCh <- struct{}{}:
		default:
		}
	}
	for {
		s.mu.Lock()
		now := time.Now()
		var next time.Time
		blocked := map[int64]bool{} // only a chat's first pending update may go
		for _, q := range s.queue {
			if !s.allowedKind(wh, q.kind) {
				continue
			}
			if busy[q.seq] {
				blocked[q.chat] = true
				continue
			}
			if blocked[q.chat] {
				continue
			}
			blocked[q.chat] = true
			if t, ok := retryAt[q.seq]; ok && now.Before(t) {
				if next.IsZero() || t.Before(next) {
					next = t
				}
				continue
			}
			if len(busy) >= s.opt.WebhookConnections {
				continue
			}
			busy[q.seq] = true
			wg.Add(1)
			go post(q)
		}
		changed := s.changed
		s.mu.Unlock()
		var timer *time.Timer
		var tc <-chan time.Time
		if !next.IsZero() {
			timer = time.NewTimer(time.Until(next))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-doneCh:
		case <-tc:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func (s *Server) allowedKind(wh webhookState, kind string) bool {
	return len(wh.AllowedUpdates) == 0 || slices.Contains(wh.AllowedUpdates, kind)
}
