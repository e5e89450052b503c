package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Release is one download or view of results, for the audit log.
type Release struct {
	Time         time.Time `json:"time"`
	TokenName    string    `json:"token_name"`
	Consultation string    `json:"consultation"`
	Format       string    `json:"format"` // csv, xlsx, json, summary, texts, ...
	K            int       `json:"k"`
}

type releaseEntry struct {
	ID string `json:"id"`
	Release
}

// LogRelease appends r to the release log (capped at Options.LogCap). A
// zero Time is now.
func (s *Store) LogRelease(ctx context.Context, r Release) error {
	if r.Time.IsZero() {
		r.Time = s.opt.Now()
	}
	r.Time = r.Time.UTC().Truncate(time.Second)
	entry, err := json.Marshal(releaseEntry{ID: randHex(8), Release: r})
	if err != nil {
		return fmt.Errorf("store: log release: %w", err)
	}
	if err := pushLogScript.Run(ctx, s.rdb, []string{s.gkey("releases")}, entry, s.opt.LogCap).Err(); err != nil {
		return fmt.Errorf("store: log release: %w", err)
	}
	return nil
}

// Releases returns at most limit releases, newest first (limit <= 0: all
// kept).
func (s *Store) Releases(ctx context.Context, limit int) ([]Release, error) {
	stop := int64(limit) - 1
	if limit <= 0 {
		stop = -1
	}
	vals, err := s.rdb.LRange(ctx, s.gkey("releases"), 0, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("store: releases: %w", err)
	}
	out := make([]Release, 0, len(vals))
	for _, v := range vals {
		var e releaseEntry
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, fmt.Errorf("store: releases: %w", err)
		}
		out = append(out, e.Release)
	}
	return out, nil
}

// Offset returns the stored polling offset (0 when none).
func (s *Store) Offset(ctx context.Context, name string) (int64, error) {
	if err := checkID("offset name", name); err != nil {
		return 0, err
	}
	v, err := s.rdb.Get(ctx, s.gkey("off:"+name)).Result()
	if isNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: offset: %w", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("store: offset %s: not an integer", name)
	}
	return n, nil
}

// offsetScript stores ARGV[1] unless the stored value is larger. Values
// are compared as Lua numbers (doubles), exact up to 2^53.
var offsetScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`)

// SetOffset stores v as the polling offset, only if it moves forward.
func (s *Store) SetOffset(ctx context.Context, name string, v int64) error {
	if err := checkID("offset name", name); err != nil {
		return err
	}
	if v > 1<<53 || v < -(1<<53) {
		return fmt.Errorf("%w: offset beyond 2^53", ErrInvalid)
	}
	if err := offsetScript.Run(ctx, s.rdb, []string{s.gkey("off:" + name)}, v).Err(); err != nil {
		return fmt.Errorf("store: set offset: %w", err)
	}
	return nil
}

var acquireScript = redis.NewScript(`
local h = redis.call('GET', KEYS[1])
if not h then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if h == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// AcquireLease takes the named lease for ttl, or renews it when holder
// already has it. It reports whether holder has the lease now.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := checkID("lease name", name); err != nil {
		return false, err
	}
	if holder == "" || ttl < time.Millisecond {
		return false, fmt.Errorf("%w: lease needs a holder and a ttl of at least 1ms", ErrInvalid)
	}
	n, err := acquireScript.Run(ctx, s.rdb, []string{s.gkey("lease:" + name)}, holder, ms(ttl)).Int()
	if err != nil {
		return false, fmt.Errorf("store: acquire lease: %w", err)
	}
	return n == 1, nil
}

// ReleaseLease gives the lease up if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := checkID("lease name", name); err != nil {
		return err
	}
	if err := releaseScript.Run(ctx, s.rdb, []string{s.gkey("lease:" + name)}, holder).Err(); err != nil {
		return fmt.Errorf("store: release lease: %w", err)
	}
	return nil
}
