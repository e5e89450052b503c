package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Completion is one idempotent change to a consultation's aggregates: a
// started/declined/quit bump or a whole completion.
type Completion struct {
	Consultation string // consultation id
	// Key makes the change idempotent: a second Apply with the same Key
	// (a retry, a duplicated update) changes nothing. Stored only hashed.
	Key string
	// Participation, when not empty, is the respondent's per-consultation
	// marker (hex): it is set, without TTL, and an Apply whose marker is
	// already set counts nothing, so one person is counted once.
	Participation string
	Incr          []string          // counter fields, each incremented by 1
	Texts         map[string]string // question id -> scrubbed text, stored apart from the counters
}

// applyScript: KEYS marker, counters, participation (the marker again when
// there is none), text sets...; ARGV the marker's expiry (unix ms, a day
// boundary), "1" when there is a participation marker, number of fields n,
// the n fields, then a random score and a text per text set.
var applyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then
  return 0
end
local n = tonumber(ARGV[3])
for i = 1, n do
  redis.call('HINCRBY', KEYS[2], ARGV[3 + i], 1)
end
for i = 4, #KEYS do
  local j = n + 4 + (i - 4) * 2
  redis.call('ZADD', KEYS[i], ARGV[j], ARGV[j + 1])
end
redis.call('SET', KEYS[1], '1')
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  redis.call('SET', KEYS[3], '1')
end
return 1
`)

// Apply adds c to the consultation's aggregates in one script on the
// consultation's slot, unless c.Key was applied before (within MarkerTTL) or
// c.Participation is already marked: then it returns applied=false and
// changes nothing. One round trip.
func (s *Store) Apply(ctx context.Context, c Completion) (applied bool, err error) {
	if err := checkID("consultation", c.Consultation); err != nil {
		return false, err
	}
	if c.Key == "" {
		return false, fmt.Errorf("%w: empty completion key", ErrInvalid)
	}
	tag := s.ctag(c.Consultation)
	marker := tag + ":k:" + digest(c.Key)
	part, hasPart := marker, "0"
	if c.Participation != "" {
		if err := checkHex("participation marker", c.Participation); err != nil {
			return false, err
		}
		part, hasPart = tag+":p:"+c.Participation, "1"
	}
	keys := []string{marker, tag + ":n", part}
	// The marker expires at a day boundary, so its TTL does not tell when
	// the completion happened.
	day := 24 * time.Hour
	expire := s.opt.Now().Add(s.opt.MarkerTTL).Truncate(day).Add(day)
	args := []any{expire.UnixMilli(), hasPart, len(c.Incr)}
	for _, f := range c.Incr {
		if f == "" {
			return false, fmt.Errorf("%w: empty counter field", ErrInvalid)
		}
		args = append(args, f)
	}
	questions := make([]string, 0, len(c.Texts))
	for q, t := range c.Texts {
		if t == "" {
			continue
		}
		if err := checkID("question", q); err != nil {
			return false, err
		}
		questions = append(questions, q)
	}
	slices.Sort(questions)
	for _, q := range questions {
		keys = append(keys, tag+":t:"+q)
	}
	for _, q := range questions {
		// Texts live in a sorted set under a random score, so even a small
		// set (stored in insertion order by Redis) keeps no order of
		// arrival; the nonce keeps identical texts apart. No time.
		args = append(args, rand.Int64N(1<<53), randHex(8)+":"+c.Texts[q])
	}
	n, err := applyScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("store: apply: %w", err)
	}
	return n == 1, nil
}

// Participated reports whether the participation marker is set.
func (s *Store) Participated(ctx context.Context, consultation, marker string) (bool, error) {
	if err := checkID("consultation", consultation); err != nil {
		return false, err
	}
	if err := checkHex("participation marker", marker); err != nil {
		return false, err
	}
	n, err := s.rdb.Exists(ctx, s.ctag(consultation)+":p:"+marker).Result()
	if err != nil {
		return false, fmt.Errorf("store: participated: %w", err)
	}
	return n == 1, nil
}

// Counters returns the consultation's counters (empty when none). One
// HGETALL.
func (s *Store) Counters(ctx context.Context, consultation string) (map[string]int64, error) {
	if err := checkID("consultation", consultation); err != nil {
		return nil, err
	}
	m, err := s.rdb.HGetAll(ctx, s.ctag(consultation)+":n").Result()
	if err != nil {
		return nil, fmt.Errorf("store: counters: %w", err)
	}
	out := make(map[string]int64, len(m))
	for f, v := range m {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: counters: field %q: not an integer", clip(f))
		}
		out[f] = n
	}
	return out, nil
}

// Texts returns the stored texts of one question, in random order.
func (s *Store) Texts(ctx context.Context, consultation, question string) ([]string, error) {
	if err := checkID("consultation", consultation); err != nil {
		return nil, err
	}
	if err := checkID("question", question); err != nil {
		return nil, err
	}
	members, err := s.rdb.ZRange(ctx, s.ctag(consultation)+":t:"+question, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: texts: %w", err)
	}
	out := make([]string, 0, len(members))
	for _, m := range members {
		_, text, ok := strings.Cut(m, ":")
		if !ok {
			continue
		}
		out = append(out, text)
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}
