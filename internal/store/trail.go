package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxTrail bounds a trail's entries; older ones are dropped first.
const maxTrail = 2000

func (s *Store) trailKey(r string) string { return s.opt.Prefix + "{r:" + r + "}:t" }

// AppendTrail adds one opaque (sealed) entry to the respondent's trail,
// the platform references of their conversation's messages that an adapter
// keeps so a quick exit deletes exactly those, and sets the trail's TTL.
// One round trip.
func (s *Store) AppendTrail(ctx context.Context, respondent string, entry []byte, ttl time.Duration) error {
	if err := checkHex("respondent", respondent); err != nil {
		return err
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("%w: trail needs a ttl", ErrInvalid)
	}
	k := s.trailKey(respondent)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, k, entry)
		p.LTrim(ctx, k, -maxTrail, -1)
		// On a boundary of the time grain, as sessions do: a TTL to the
		// millisecond would date an abandoned dialog's last message.
		p.PExpireAt(ctx, k, s.grainAfter(ttl))
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: append trail: %w", err)
	}
	return nil
}

// TakeTrail returns the respondent's trail entries, oldest first, and
// deletes the trail, atomically. One round trip.
func (s *Store) TakeTrail(ctx context.Context, respondent string) ([][]byte, error) {
	if err := checkHex("respondent", respondent); err != nil {
		return nil, err
	}
	k := s.trailKey(respondent)
	var lr *redis.StringSliceCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		lr = p.LRange(ctx, k, 0, -1)
		p.Del(ctx, k)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: take trail: %w", err)
	}
	out := make([][]byte, 0, len(lr.Val()))
	for _, v := range lr.Val() {
		out = append(out, []byte(v))
	}
	return out, nil
}

// DropTrail deletes the respondent's trail.
func (s *Store) DropTrail(ctx context.Context, respondent string) error {
	if err := checkHex("respondent", respondent); err != nil {
		return err
	}
	if err := s.rdb.Del(ctx, s.trailKey(respondent)).Err(); err != nil {
		return fmt.Errorf("store: drop trail: %w", err)
	}
	return nil
}
