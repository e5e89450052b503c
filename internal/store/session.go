package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// LoadSession returns the respondent's session (nil data when there is
// none; the version is then 0, or the ended session's version while its
// tombstone lasts) and whether eventKey was already processed (an empty eventKey is never a
// duplicate). One round trip: both keys share the respondent's slot.
func (s *Store) LoadSession(ctx context.Context, respondent, eventKey string) (data []byte, version int64, dup bool, err error) {
	if err := checkHex("respondent", respondent); err != nil {
		return nil, 0, false, err
	}
	var (
		sess *redis.SliceCmd
		seen *redis.BoolCmd
	)
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		sess = p.HMGet(ctx, s.sessionKey(respondent), "v", "d")
		if eventKey != "" {
			seen = p.SIsMember(ctx, s.seenKey(respondent), digest(eventKey))
		}
		return nil
	})
	if err != nil {
		return nil, 0, false, fmt.Errorf("store: load session: %w", err)
	}
	if seen != nil {
		dup = seen.Val()
	}
	vals := sess.Val()
	if len(vals) != 2 || vals[0] == nil {
		return nil, 0, dup, nil
	}
	vs, _ := vals[0].(string)
	version, err = strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return nil, 0, dup, fmt.Errorf("store: load session: bad version %q", clip(vs))
	}
	ds, ok := vals[1].(string)
	if !ok {
		// A tombstone: the last session ended; its version lives on so
		// the next one continues the sequence.
		return nil, version, dup, nil
	}
	return []byte(ds), version, dup, nil
}

// saveScript: KEYS session, seen; ARGV version, data, event digest ("" for
// none), session TTL ms, seen TTL ms, "1" to delete.
var saveScript = redis.NewScript(`
if ARGV[3] ~= '' and redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 1 then
  return 'DUP'
end
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if cur ~= tonumber(ARGV[1]) then
  return 'CONFLICT'
end
if ARGV[6] == '1' then
  -- Keep the version as a tombstone (no data) for the seen TTL, so a
  -- writer that stalled holding an old version can never overwrite a new
  -- session that happened to reach the same version number.
  redis.call('HDEL', KEYS[1], 'd')
  redis.call('HSET', KEYS[1], 'v', cur + 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
else
  redis.call('HSET', KEYS[1], 'v', cur + 1, 'd', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
if ARGV[3] ~= '' then
  redis.call('SADD', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return 'OK'
`)

// SaveSession writes data as the respondent's session if its stored version
// is still version (as LoadSession returned it), storing version+1 with
// the session TTL; nil data deletes the session's data and keeps its
// version as a tombstone for SeenTTL. A non-empty eventKey is
// remembered (for SeenTTL, even after the session is deleted) and a second
// save with it returns ErrDuplicate. A stale version returns ErrConflict.
// One round trip. A replay of the same call (a client retry) therefore
// never writes twice: it gets ErrDuplicate, or ErrConflict without an
// event key.
func (s *Store) SaveSession(ctx context.Context, respondent string, version int64, data []byte, eventKey string) error {
	if err := checkHex("respondent", respondent); err != nil {
		return err
	}
	if version < 0 {
		return fmt.Errorf("%w: negative session version", ErrInvalid)
	}
	ev, del := "", "0"
	if eventKey != "" {
		ev = digest(eventKey)
	}
	if data == nil {
		del = "1"
	}
	res, err := saveScript.Run(ctx, s.rdb,
		[]string{s.sessionKey(respondent), s.seenKey(respondent)},
		version, data, ev, ms(s.opt.SessionTTL), ms(s.opt.SeenTTL), del).Text()
	if err != nil {
		return fmt.Errorf("store: save session: %w", err)
	}
	switch res {
	case "OK":
		return nil
	case "DUP":
		return ErrDuplicate
	case "CONFLICT":
		return ErrConflict
	}
	return fmt.Errorf("store: save session: unexpected reply %q", res)
}

// isNil reports a missing value.
func isNil(err error) bool { return errors.Is(err, redis.Nil) }
