package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// fencedAcquireScript: KEYS[1] the lease, KEYS[2] its fence counter;
// ARGV[1] holder, ARGV[2] ttl in ms. Renews the holder's lease and
// returns its token, or takes a free lease under a new token (INCR), or
// returns 0 when another holder has it.
var fencedAcquireScript = redis.NewScript(`
local h = redis.call('GET', KEYS[1])
if h then
  local sep = string.find(h, ':', 1, true)
  if sep and string.sub(h, 1, sep - 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(string.sub(h, sep + 1))
  end
  return 0
end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. t, 'PX', ARGV[2])
return t
`)

// fencedOffsetScript: KEYS[1] the lease, KEYS[2] the offset; ARGV[1]
// "holder:token", ARGV[2] the offset. Refuses (-1) unless the lease is
// still exactly that holder under that token; otherwise stores the offset
// if it moves forward.
var fencedOffsetScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local cur = redis.call('GET', KEYS[2])
if cur and tonumber(cur) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
return 1
`)

func checkHolder(holder string) error {
	if holder == "" || strings.Contains(holder, ":") || len(holder) > 64 {
		return fmt.Errorf("%w: lease holder must be 1-64 characters without ':'", ErrInvalid)
	}
	return nil
}

// AcquireFencedLease takes the named lease for ttl, or renews it when
// holder has it already, and returns its fencing token: a number that
// grows every time the lease changes hands. 0 means another holder has
// it. Writes guarded by the token (SetOffsetFenced) are refused once the
// lease has moved on, so a holder that stalled past its ttl cannot
// overwrite its successor's work.
func (s *Store) AcquireFencedLease(ctx context.Context, name, holder string, ttl time.Duration) (int64, error) {
	if err := checkID("lease name", name); err != nil {
		return 0, err
	}
	if err := checkHolder(holder); err != nil {
		return 0, err
	}
	if ttl < time.Millisecond {
		return 0, fmt.Errorf("%w: lease needs a ttl of at least 1ms", ErrInvalid)
	}
	t, err := fencedAcquireScript.Run(ctx, s.rdb, []string{s.gkey("lease:" + name), s.gkey("fence:" + name)}, holder, ms(ttl)).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: acquire lease: %w", err)
	}
	return t, nil
}

// ReleaseFencedLease gives the lease up if holder still has it under
// token.
func (s *Store) ReleaseFencedLease(ctx context.Context, name, holder string, token int64) error {
	if err := checkID("lease name", name); err != nil {
		return err
	}
	if err := releaseScript.Run(ctx, s.rdb, []string{s.gkey("lease:" + name)}, holder+":"+strconv.FormatInt(token, 10)).Err(); err != nil {
		return fmt.Errorf("store: release lease: %w", err)
	}
	return nil
}

// SetOffsetFenced stores v as the polling offset, only if it moves
// forward and only if holder still has the lease under token. held is
// false, and nothing changed, when the lease has expired or moved on.
func (s *Store) SetOffsetFenced(ctx context.Context, name string, v int64, holder string, token int64) (held bool, err error) {
	if err := checkID("offset name", name); err != nil {
		return false, err
	}
	if v > 1<<53 || v < -(1<<53) {
		return false, fmt.Errorf("%w: offset beyond 2^53", ErrInvalid)
	}
	n, err := fencedOffsetScript.Run(ctx, s.rdb, []string{s.gkey("lease:" + name), s.gkey("off:" + name)},
		holder+":"+strconv.FormatInt(token, 10), v).Int()
	if err != nil {
		return false, fmt.Errorf("store: set offset: %w", err)
	}
	return n >= 0, nil
}

// TakeSlot takes the named slot for ttl if it is free (SET NX PX) and
// reports whether it did. Replicas use it to space out an action shared
// by all of them, e.g. Discord's one identify per 5 s per rate-limit
// bucket.
func (s *Store) TakeSlot(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	if err := checkID("slot name", name); err != nil {
		return false, err
	}
	ok, err := s.rdb.SetNX(ctx, s.gkey("slot:"+name), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("store: take slot: %w", err)
	}
	return ok, nil
}
