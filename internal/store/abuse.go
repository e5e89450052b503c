package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Per-network completion limits of open web-chat consultations. Keys:
//
//	P{c:<consultation>}:w:<hour>  hash  completions this hour by keyed network
//	                                    hash (16 hex), plus _all (every counted
//	                                    web-chat completion this hour) and _flag;
//	                                    expires when the hour ends
//	P{c:<consultation>}:abuse     hash  refused (attempts refused by the limit),
//	                                    flagged (hours in which one network gave
//	                                    at least FlagMin completions and more
//	                                    than half of them)
//
// Neither holds a network: only a per-consultation HMAC of it (privacy.Keys.
// Network), and only for the hour in progress.

// FlagMin is the least number of completions from one network in one hour
// that can flag the hour as unusual (with more than half of all of them).
const FlagMin = 10

// networkScript: KEYS recent keys (zset), hour hash, abuse hash; ARGV
// network hash, limit, mode ("check" or "take"), hour end (unix ms),
// FlagMin, digest of the completing event key or "". Returns 1 when
// allowed (and, for take, counted), 0 when refused (and counted as
// refused). A take whose event the completion remembered was counted
// before (a retry): allowed, nothing counted again.
var networkScript = redis.NewScript(`
if ARGV[3] == 'take' and ARGV[6] ~= '' and redis.call('ZSCORE', KEYS[1], ARGV[6]) then
  return 1
end
local n = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if n >= tonumber(ARGV[2]) then
  redis.call('HINCRBY', KEYS[3], 'refused', 1)
  return 0
end
if ARGV[3] ~= 'take' then
  return 1
end
n = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local all = redis.call('HINCRBY', KEYS[2], '_all', 1)
redis.call('PEXPIREAT', KEYS[2], ARGV[4])
if n >= tonumber(ARGV[5]) and n * 2 > all and redis.call('HSETNX', KEYS[2], '_flag', '1') == 1 then
  redis.call('HINCRBY', KEYS[3], 'flagged', 1)
end
return 1
`)

// NetworkAllows reports whether network (a keyed hash) may start another
// response to the consultation this hour; a refusal is counted.
func (s *Store) NetworkAllows(ctx context.Context, consultation, network string, limit int) (bool, error) {
	return s.network(ctx, consultation, network, "", limit, "check")
}

// TakeNetwork counts one completion of network (a keyed hash) against its
// hourly limit, or refuses (and counts the refusal) when the limit is
// reached. eventKey is the event the completion remembers
// (Completion.Remember): when it was remembered already, this is a retry,
// allowed and not counted again. Empty: no such check.
func (s *Store) TakeNetwork(ctx context.Context, consultation, network, eventKey string, limit int) (bool, error) {
	return s.network(ctx, consultation, network, eventKey, limit, "take")
}

func (s *Store) network(ctx context.Context, consultation, network, eventKey string, limit int, mode string) (bool, error) {
	if err := checkID("consultation", consultation); err != nil {
		return false, err
	}
	if err := checkHex("network", network); err != nil {
		return false, err
	}
	if limit <= 0 {
		return true, nil
	}
	tag := s.ctag(consultation)
	hour := s.opt.Now().UTC().Truncate(time.Hour)
	keys := []string{tag + ":k", s.hourKey(consultation, hour), tag + ":abuse"}
	ev := ""
	if eventKey != "" {
		ev = digest(eventKey)
	}
	n, err := networkScript.Run(ctx, s.rdb, keys, network, limit, mode, hour.Add(time.Hour).UnixMilli(), FlagMin, ev).Int()
	if err != nil {
		return false, fmt.Errorf("store: network limit: %w", err)
	}
	return n == 1, nil
}

func (s *Store) hourKey(consultation string, hour time.Time) string {
	return s.ctag(consultation) + ":w:" + strconv.FormatInt(hour.Unix()/3600, 10)
}

// Abuse is what a facilitator sees of the limits: counts, never a network.
type Abuse struct {
	// Refused counts responses refused by the per-network limit (at the
	// start or at the end), since the consultation began.
	Refused int64
	// Flagged counts hours in which one network gave at least FlagMin
	// completions and more than half of the hour's web-chat completions.
	Flagged int64
	// HourTop is the most completions one network gave in the hour in
	// progress, of HourAll web-chat completions counted this hour.
	HourTop, HourAll int64
}

// AbuseStats reads a consultation's abuse counters (two reads).
func (s *Store) AbuseStats(ctx context.Context, consultation string) (Abuse, error) {
	if err := checkID("consultation", consultation); err != nil {
		return Abuse{}, err
	}
	var a Abuse
	m, err := s.rdb.HGetAll(ctx, s.ctag(consultation)+":abuse").Result()
	if err != nil {
		return Abuse{}, fmt.Errorf("store: abuse: %w", err)
	}
	a.Refused, _ = strconv.ParseInt(m["refused"], 10, 64)
	a.Flagged, _ = strconv.ParseInt(m["flagged"], 10, 64)
	h, err := s.rdb.HGetAll(ctx, s.hourKey(consultation, s.opt.Now().UTC().Truncate(time.Hour))).Result()
	if err != nil {
		return Abuse{}, fmt.Errorf("store: abuse: %w", err)
	}
	for f, v := range h {
		n, _ := strconv.ParseInt(v, 10, 64)
		switch {
		case f == "_all":
			a.HourAll = n
		case strings.HasPrefix(f, "_"):
		case n > a.HourTop:
			a.HourTop = n
		}
	}
	return a, nil
}
