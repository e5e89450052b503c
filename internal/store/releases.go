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

// Releases of a consultation (internal/release) are kept on the
// consultation's slot:
//
//	P{c:<consultation>}:rl      list    release log: one small JSON entry per release, newest first
//	P{c:<consultation>}:r:<n>   string  release n (JSON), counter field names sealed
//	P{c:<consultation>}:tp:<q>  zset    texts of question q waiting for a release: "<completion tag>:<text>"
//	                                    under a random score; a release moves them to :t:<q>
//
// The store does not read either: internal/release owns their shape. What
// the store guarantees is that release n is made exactly once, by whichever
// process gets there first, and only right after release n-1.

// createReleaseScript: KEYS log, release key, then per text question its
// pending and released sets; ARGV number, log entry, body, then per text
// question the number m of texts and m triples (pending member, score,
// released member). It makes release n only if the log holds exactly n-1
// entries, so two processes racing for n make one release n, and a retry
// of a call whose reply was lost changes nothing. A text moves only if it
// is still pending.
var createReleaseScript = register(`
if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[1]) - 1 then
  return 0
end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('LPUSH', KEYS[1], ARGV[2])
local j = 4
for i = 3, #KEYS, 2 do
  local m = tonumber(ARGV[j])
  j = j + 1
  for x = 1, m do
    if redis.call('ZREM', KEYS[i], ARGV[j]) == 1 then
      redis.call('ZADD', KEYS[i + 1], ARGV[j + 1], ARGV[j + 2])
    end
    j = j + 3
  end
end
return 1
`)

// PendingText is a free-text answer waiting for a release: Tag is a random
// tag shared by the texts of one completion (nothing else), so a batch
// can count completions.
type PendingText struct {
	Tag, Text string
	member    string
}

// PendingTexts returns the texts of question q that wait for a release,
// in the set's order (for a small set, Redis may keep insertion order):
// only the release service reads them, to count completions and move
// them; readers get released texts from Texts, which shuffles.
func (s *Store) PendingTexts(ctx context.Context, c, q string) ([]PendingText, error) {
	members, err := s.textSet(ctx, c, q, "tp", "pending texts")
	if err != nil {
		return nil, err
	}
	out := make([]PendingText, 0, len(members))
	for _, m := range members {
		tag, text, ok := strings.Cut(m, ":")
		if !ok {
			continue
		}
		out = append(out, PendingText{Tag: tag, Text: text, member: m})
	}
	return out, nil
}

func (s *Store) releaseLog(c string) string { return s.ctag(c) + ":rl" }
func (s *Store) releaseKey(c string, n int) string {
	return s.ctag(c) + ":r:" + strconv.Itoa(n)
}

// CreateRelease stores release number n (1, 2, …) of consultation c, with
// its log entry and its body, if the release log holds exactly n-1
// releases; made is false when it does not (another process made release
// n first, or the log moved on). With it, the texts given (by question,
// from PendingTexts) are released: moved, without their tag, under a new
// nonce and a random score, to the set Texts reads. One script on the
// consultation's slot.
func (s *Store) CreateRelease(ctx context.Context, c string, n int, entry, body []byte, texts map[string][]PendingText) (made bool, err error) {
	if err := checkID("consultation", c); err != nil {
		return false, err
	}
	if n < 1 {
		return false, fmt.Errorf("%w: release number %d", ErrInvalid, n)
	}
	keys := []string{s.releaseLog(c), s.releaseKey(c, n)}
	args := []any{n, entry, body}
	qs := make([]string, 0, len(texts))
	for q := range texts {
		if err := checkID("question", q); err != nil {
			return false, err
		}
		qs = append(qs, q)
	}
	slices.Sort(qs)
	for _, q := range qs {
		keys = append(keys, s.ctag(c)+":tp:"+q, s.ctag(c)+":t:"+q)
		args = append(args, len(texts[q]))
		for _, t := range texts[q] {
			if t.member == "" {
				return false, fmt.Errorf("%w: a pending text not read by PendingTexts", ErrInvalid)
			}
			args = append(args, t.member, rand.Int64N(1<<53), randHex(8)+":"+t.Text)
		}
	}
	r, err := s.run(ctx, createReleaseScript, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("store: create release: %w", err)
	}
	return r == 1, nil
}

// ReleaseState is what a process needs to decide whether a release is
// due, in one round trip: the live number of completions (the counter
// field named completed), the number of releases made and the newest
// release log entry (nil when there is none).
func (s *Store) ReleaseState(ctx context.Context, c, completedField string) (completed int64, count int, latest []byte, err error) {
	if err := checkID("consultation", c); err != nil {
		return 0, 0, nil, err
	}
	var hget *redis.StringCmd
	var llen *redis.IntCmd
	var head *redis.StringCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		hget = p.HGet(ctx, s.ctag(c)+":n", s.sealField(completedField))
		llen = p.LLen(ctx, s.releaseLog(c))
		head = p.LIndex(ctx, s.releaseLog(c), 0)
		return nil
	})
	if err != nil && !isNil(err) {
		return 0, 0, nil, fmt.Errorf("store: release state: %w", err)
	}
	if v, err := hget.Result(); err == nil {
		completed, err = strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("store: release state: completed is not an integer")
		}
	} else if !isNil(err) {
		return 0, 0, nil, fmt.Errorf("store: release state: %w", err)
	}
	if v, err := head.Bytes(); err == nil {
		latest = v
	} else if !isNil(err) {
		return 0, 0, nil, fmt.Errorf("store: release state: %w", err)
	}
	return completed, int(llen.Val()), latest, nil
}

// ReleaseLog returns the release log entries of consultation c, newest
// first.
func (s *Store) ReleaseLog(ctx context.Context, c string) ([][]byte, error) {
	if err := checkID("consultation", c); err != nil {
		return nil, err
	}
	vals, err := s.rdb.LRange(ctx, s.releaseLog(c), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: release log: %w", err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out, nil
}

// ReleaseBody returns the body of release n of consultation c, or
// ErrNotFound.
func (s *Store) ReleaseBody(ctx context.Context, c string, n int) ([]byte, error) {
	if err := checkID("consultation", c); err != nil {
		return nil, err
	}
	b, err := s.rdb.Get(ctx, s.releaseKey(c, n)).Bytes()
	if isNil(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: release: %w", err)
	}
	return b, nil
}

// ReleaseBodies returns the bodies of releases ns of consultation c in
// one round trip (one MGET: the keys share the consultation's slot), a
// nil body where a release is missing.
func (s *Store) ReleaseBodies(ctx context.Context, c string, ns []int) ([][]byte, error) {
	if err := checkID("consultation", c); err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ns))
	for i, n := range ns {
		keys[i] = s.releaseKey(c, n)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("store: release bodies: %w", err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if str, ok := v.(string); ok {
			out[i] = []byte(str)
		}
	}
	return out, nil
}

// SealFields returns m with its field names sealed as the counters hash
// seals them (unchanged without Options.CounterKey), for a release's copy
// of the counters: a Redis dump then says no more of a release than of
// the counters.
func (s *Store) SealFields(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for f, v := range m {
		out[s.sealField(f)] = v
	}
	return out
}

// OpenFields undoes SealFields.
func (s *Store) OpenFields(m map[string]int64) (map[string]int64, error) {
	out := make(map[string]int64, len(m))
	for sf, v := range m {
		f, err := s.openField(sf)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out[f] += v
	}
	return out, nil
}

// ReleaseCalendar returns the start of consultation c's release calendar:
// the first time any process asked (now, truncated to the minute), kept
// once for every process (SET NX), so that every replica counts the
// periods of a DP consultation's releases from the same instant. It
// depends on when the consultation was first watched, never on its
// answers.
func (s *Store) ReleaseCalendar(ctx context.Context, c string, now time.Time) (time.Time, error) {
	if err := checkID("consultation", c); err != nil {
		return time.Time{}, err
	}
	key := s.ctag(c) + ":rs"
	start := now.UTC().Truncate(time.Minute).Unix()
	if err := s.rdb.SetNX(ctx, key, start, 0).Err(); err != nil {
		return time.Time{}, fmt.Errorf("store: release calendar: %w", err)
	}
	v, err := s.rdb.Get(ctx, key).Int64()
	if err != nil {
		return time.Time{}, fmt.Errorf("store: release calendar: %w", err)
	}
	return time.Unix(v, 0).UTC(), nil
}
