package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Completion is one idempotent change to a consultation's aggregates: a
// started/declined/quit bump or a whole completion.
type Completion struct {
	Consultation string // consultation id
	// Key makes the change idempotent: a second Apply with the same Key
	// (a retry, a duplicated update) changes nothing. Stored only hashed,
	// in the consultation's set of recent keys, until the end of the day
	// after next (or until a later Apply forgets it), and not at all when
	// there is a participation marker, which does the same job.
	Key string
	// Forget lists keys of earlier Applies of the same dialog that can no
	// longer be replayed (the dialog is past them): they are dropped, so
	// nothing of one person's path stays in the set.
	Forget []string
	// Remember lists keys recorded beside Key (same set, same life) that
	// Ended can find: the event that ended a dialog, so a platform's late
	// re-delivery of it is recognised once the session is gone.
	Remember []string
	// Participation, when not empty, is the respondent's per-consultation
	// marker (hex): it is set, without TTL and with a fixed value, and an
	// Apply whose marker is already set counts nothing, so one person is
	// counted once.
	Participation string
	Incr          []string          // counter fields, each incremented by 1
	Texts         map[string]string // question id -> scrubbed text, stored apart from the counters
}

// applyScript: KEYS recent keys (zset), counters, participation (the
// zset again when there is none), text sets...; ARGV the key's digest
// ("" when the participation marker stands in for it), today's day
// number, the day number after which it may be dropped, "1" when there is
// a participation marker, number of fields n, the n fields, number of
// digests to forget f, the f digests, number of digests to remember m, the
// m digests, then a random score and a text per text set.
var applyScript = register(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
if ARGV[1] ~= '' and redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then
  return 0
end
local n = tonumber(ARGV[5])
for i = 1, n do
  redis.call('HINCRBY', KEYS[2], ARGV[5 + i], 1)
end
local f = tonumber(ARGV[6 + n])
for i = 1, f do
  redis.call('ZREM', KEYS[1], ARGV[6 + n + i])
end
local m = tonumber(ARGV[7 + n + f])
for i = 1, m do
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[7 + n + f + i])
end
local j = 8 + n + f + m
for i = 4, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[j], ARGV[j + 1])
  j = j + 2
end
if ARGV[1] ~= '' then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
if ARGV[4] == '1' then
  redis.call('SET', KEYS[3], '1')
end
return 1
`)

// Apply adds c to the consultation's aggregates in one script on the
// consultation's slot, unless c.Key was applied before (and not
// forgotten) or c.Participation is already marked: then it returns
// applied=false and changes nothing. One round trip.
func (s *Store) Apply(ctx context.Context, c Completion) (applied bool, err error) {
	if err := checkID("consultation", c.Consultation); err != nil {
		return false, err
	}
	if c.Key == "" {
		return false, fmt.Errorf("%w: empty completion key", ErrInvalid)
	}
	tag := s.ctag(c.Consultation)
	recent := tag + ":k"
	part, hasPart, key := recent, "0", digest(c.Key)
	if c.Participation != "" {
		if err := checkHex("participation marker", c.Participation); err != nil {
			return false, err
		}
		part, hasPart, key = tag+":p:"+c.Participation, "1", ""
	}
	// Recent keys are scored by day, never by a finer time; one lives
	// until the end of the day after next, long enough for any platform's
	// re-delivery.
	today := s.opt.Now().Unix() / 86400
	args := make([]any, 0, 5+len(c.Incr)+1+len(c.Forget)+1+len(c.Remember)+2*len(c.Texts))
	args = append(args, key, today, today+2, hasPart, len(c.Incr))
	for _, f := range c.Incr {
		if f == "" {
			return false, fmt.Errorf("%w: empty counter field", ErrInvalid)
		}
		args = append(args, s.sealField(f))
	}
	args = append(args, len(c.Forget))
	for _, k := range c.Forget {
		args = append(args, digest(k))
	}
	args = append(args, len(c.Remember))
	for _, k := range c.Remember {
		args = append(args, digest(k))
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
	// The command is laid out in one slice (see runCmd): two free slots,
	// the key count, the keys, then the arguments built above.
	cmd := make([]any, 0, 3+3+len(questions)+len(args))
	cmd = append(cmd, nil, nil, 3+len(questions), recent, tag+":n", part)
	for _, q := range questions {
		cmd = append(cmd, tag+":tp:"+q)
	}
	// The texts of one completion wait for a release under one random
	// completion tag (so a release batch counts completions, not texts),
	// in a sorted set under a random score, so even a small set (stored
	// in insertion order by Redis) keeps no order of arrival. No time.
	ctag := randHex(8)
	for _, q := range questions {
		args = append(args, rand.Int64N(1<<53), ctag+":"+c.Texts[q])
	}
	cmd = append(cmd, args...)
	n, err := s.runCmd(ctx, applyScript, cmd).Int()
	if err != nil {
		return false, fmt.Errorf("store: apply: %w", err)
	}
	return n == 1, nil
}

// Ended reports whether key was remembered (Completion.Remember) by a
// recent Apply of any of the consultations. One round trip.
func (s *Store) Ended(ctx context.Context, consultations []string, key string) (bool, error) {
	if key == "" || len(consultations) == 0 {
		return false, nil
	}
	d := digest(key)
	cmds := make([]*redis.FloatCmd, 0, len(consultations))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range consultations {
			if err := checkID("consultation", c); err != nil {
				return err
			}
			cmds = append(cmds, p.ZScore(ctx, s.ctag(c)+":k", d))
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return false, fmt.Errorf("store: ended: %w", err)
	}
	for _, c := range cmds {
		if c.Err() == nil {
			return true, nil
		}
	}
	return false, nil
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
	for sf, v := range m {
		f, err := s.openField(sf)
		if err != nil {
			return nil, fmt.Errorf("store: counters: %w", err)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: counters: field %q: not an integer", clip(f))
		}
		out[f] += n
	}
	return out, nil
}

// Texts returns the released texts of one question (those a release has
// let out, see CreateRelease), in random order.
func (s *Store) Texts(ctx context.Context, consultation, question string) ([]string, error) {
	members, err := s.textSet(ctx, consultation, question, "t", "texts")
	if err != nil {
		return nil, err
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

// textSet returns the members ("<tag or nonce>:<text>") of one question's
// text set: "t" holds the released texts, "tp" those waiting for a
// release. what names the caller in errors.
func (s *Store) textSet(ctx context.Context, consultation, question, set, what string) ([]string, error) {
	if err := checkID("consultation", consultation); err != nil {
		return nil, err
	}
	if err := checkID("question", question); err != nil {
		return nil, err
	}
	members, err := s.rdb.ZRange(ctx, s.ctag(consultation)+":"+set+":"+question, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return members, nil
}
