package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// StatusOverride is a facilitator's /open or /close of a consultation.
type StatusOverride struct {
	Status string    `json:"status"` // "open" or "closed"
	By     string    `json:"by"`     // role and token name, e.g. "facilitator:alice"
	At     time.Time `json:"at"`     // to the minute, UTC
}

// StatusChange is one entry of a consultation's status audit log.
type StatusChange = StatusOverride

// pushLogScript: KEYS list (and optionally a hash to set); ARGV entry, cap,
// hash field, hash value. The entry holds a random id, so a replayed call
// finds it among the newest entries and is not logged twice.
var pushLogScript = redis.NewScript(`
local recent = redis.call('LRANGE', KEYS[1], 0, 9)
for _, e in ipairs(recent) do
  if e == ARGV[1] then return 0 end
end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #KEYS > 1 then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
end
return 1
`)

type logEntry struct {
	ID string `json:"id"`
	StatusOverride
}

// SetStatus records a status override ("open" or "closed") for a
// consultation and appends it to the consultation's audit log. by names the
// actor by role and token name, never by a platform id.
func (s *Store) SetStatus(ctx context.Context, consultation, status, by string) error {
	if err := checkID("consultation", consultation); err != nil {
		return err
	}
	if status != "open" && status != "closed" {
		return fmt.Errorf("%w: status %q: want open or closed", ErrInvalid, clip(status))
	}
	if by == "" || len(by) > 100 {
		return fmt.Errorf("%w: by: want 1 to 100 bytes", ErrInvalid)
	}
	o := StatusOverride{Status: status, By: by, At: s.opt.Now().UTC().Truncate(time.Minute)}
	cur, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("store: set status: %w", err)
	}
	entry, err := json.Marshal(logEntry{ID: randHex(8), StatusOverride: o})
	if err != nil {
		return fmt.Errorf("store: set status: %w", err)
	}
	err = pushLogScript.Run(ctx, s.rdb,
		[]string{s.gkey("statuslog:" + consultation), s.gkey("status")},
		entry, s.opt.LogCap, consultation, cur).Err()
	if err != nil {
		return fmt.Errorf("store: set status: %w", err)
	}
	return nil
}

// Statuses returns every status override, by consultation. One HGETALL.
func (s *Store) Statuses(ctx context.Context) (map[string]StatusOverride, error) {
	m, err := s.rdb.HGetAll(ctx, s.gkey("status")).Result()
	if err != nil {
		return nil, fmt.Errorf("store: statuses: %w", err)
	}
	return parseStatuses(m)
}

// StartChecks is Statuses and Participated(consultation, marker) in one
// round trip, for a /start: the two reads are independent, and a /start
// cost four round trips (session, status, participation, commit).
func (s *Store) StartChecks(ctx context.Context, consultation, marker string) (map[string]StatusOverride, bool, error) {
	if err := checkID("consultation", consultation); err != nil {
		return nil, false, err
	}
	if err := checkHex("participation marker", marker); err != nil {
		return nil, false, err
	}
	st := redis.NewMapStringStringCmd(ctx, "hgetall", s.gkey("status"))
	ex := redis.NewIntCmd(ctx, "exists", s.ctag(consultation)+":p:"+marker)
	err := s.hot.do(ctx, st, ex)
	if err == nil {
		err = errors.Join(st.Err(), ex.Err())
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: start checks: %w", err)
	}
	out, err := parseStatuses(st.Val())
	return out, ex.Val() == 1, err
}

func parseStatuses(m map[string]string) (map[string]StatusOverride, error) {
	out := make(map[string]StatusOverride, len(m))
	for c, v := range m {
		var o StatusOverride
		if err := json.Unmarshal([]byte(v), &o); err != nil {
			return nil, fmt.Errorf("store: statuses: %s: %w", clip(c), err)
		}
		out[c] = o
	}
	return out, nil
}

// StatusLog returns the consultation's status changes, newest first.
func (s *Store) StatusLog(ctx context.Context, consultation string) ([]StatusChange, error) {
	if err := checkID("consultation", consultation); err != nil {
		return nil, err
	}
	vals, err := s.rdb.LRange(ctx, s.gkey("statuslog:"+consultation), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: status log: %w", err)
	}
	out := make([]StatusChange, 0, len(vals))
	for _, v := range vals {
		var e logEntry
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, fmt.Errorf("store: status log: %w", err)
		}
		out = append(out, e.StatusOverride)
	}
	return out, nil
}
