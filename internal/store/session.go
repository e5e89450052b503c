package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/redis/go-redis/v9"
)

// seenSlots is how many recent event keys a session remembers, and
// seenSize the bytes they take: always the same, so the field's length
// says nothing about how far a person got.
const (
	seenSlots  = 16
	seenDigest = 12 // hex characters: 48 bits
	seenSize   = seenSlots * seenDigest
)

// LoadSession returns the respondent's session (nil data and version 0
// when there is none) and whether eventKey is among the events the session
// already processed (an empty eventKey is never a duplicate). One
// command: the version, the data and the recent events are fields of one
// hash. The data shares the memory of the reply's string (no copy: it was
// a tenth of a step's garbage): the caller must not change it.
func (s *Store) LoadSession(ctx context.Context, respondent, eventKey string) (data []byte, version int64, dup bool, err error) {
	if err := checkHex("respondent", respondent); err != nil {
		return nil, 0, false, err
	}
	var vals []any
	if s.opt.WaitReplicas > 0 {
		// The read rides with a WAIT for nothing new: it answers at once
		// with the replicas this server has. A master that lost its
		// replica to a failover answers none, and what it shows (perhaps
		// a write only it has) must not be trusted: the caller retries
		// until the client follows the new master.
		var get *redis.SliceCmd
		var wait *redis.IntCmd
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			get = p.HMGet(ctx, s.sessionKey(respondent), "v", "d", "e")
			wait = redis.NewIntCmd(ctx, "wait", s.opt.WaitReplicas, s.opt.WaitTimeout.Milliseconds())
			return p.Process(ctx, wait)
		})
		if err == nil && wait.Val() < int64(s.opt.WaitReplicas) {
			err = ErrUnreplicated
		}
		if err != nil {
			return nil, 0, false, fmt.Errorf("store: load session: %w", err)
		}
		vals = get.Val()
	} else {
		get := redis.NewSliceCmd(ctx, "hmget", s.sessionKey(respondent), "v", "d", "e")
		if err = s.hot.do(ctx, get); err == nil {
			vals, err = get.Result()
		}
		if err != nil {
			return nil, 0, false, fmt.Errorf("store: load session: %w", err)
		}
	}
	if len(vals) != 3 || vals[0] == nil {
		return nil, 0, false, nil
	}
	vs, _ := vals[0].(string)
	version, err = strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return nil, 0, false, fmt.Errorf("store: load session: bad version %q", clip(vs))
	}
	if seen, ok := vals[2].(string); ok && eventKey != "" {
		dup = seenHas(seen, seenDigestOf(eventKey))
	}
	ds, _ := vals[1].(string)
	if ds == "" {
		return []byte{}, version, dup, nil
	}
	return unsafe.Slice(unsafe.StringData(ds), len(ds)), version, dup, nil
}

// seenDigestOf is the stored form of an event key in a session's ring:
// 48 bits of SHA-256 in hex, enough to tell a person's recent events
// apart (a false duplicate among 16 has odds of 1 in 10^13).
func seenDigestOf(eventKey string) string {
	h := sha256.Sum256([]byte(eventKey))
	var out [seenDigest]byte
	hex.Encode(out[:], h[:seenDigest/2])
	return string(out[:])
}

// argZero and argOne are the script flags as interface values made once
// (a string converted to an interface at run time is an allocation).
var argZero, argOne any = "0", "1"

func seenHas(ring, d string) bool {
	for i := 0; i+seenDigest <= len(ring); i += seenDigest {
		if ring[i:i+seenDigest] == d {
			return true
		}
	}
	return false
}

// saveScript: KEYS session; ARGV expected version ("0": none), new
// version, data, event digest ("" for none), expiry (unix ms), "1" to
// delete, random filler for a new ring ("" when the session exists: its
// ring is kept; the script answers FILL if the ring must be made after
// all, and the caller sends one), the ring's size, and "1" when a DUP or
// CONFLICT answer should carry the session as it is (its version and
// data, either false when there is none: CommitGuess).
var saveScript = register(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'e')
local ring = cur[2]
local function found(verdict)
  if ARGV[9] == '1' then
    return {verdict, cur[1] or false, redis.call('HGET', KEYS[1], 'd') or false}
  end
  return verdict
end
if ARGV[4] ~= '' and ring then
  for i = 1, #ring, 12 do
    if string.sub(ring, i, i + 11) == ARGV[4] then
      return found('DUP')
    end
  end
end
if (cur[1] or '0') ~= ARGV[1] then
  return found('CONFLICT')
end
if ARGV[6] == '1' then
  -- The dialog ended: nothing of it stays, not even its recent events.
  redis.call('DEL', KEYS[1])
  return 'OK'
end
if not ring or #ring ~= tonumber(ARGV[8]) then
  if #ARGV[7] ~= tonumber(ARGV[8]) then
    return 'FILL'
  end
  ring = ARGV[7]
end
if ARGV[4] ~= '' then
  ring = string.sub(ring, 13) .. ARGV[4]
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3], 'e', ring)
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 'OK'
`)

// SaveSession writes data as the respondent's session if its stored
// version is still version (as LoadSession returned it; 0 when there was
// none), under a new random version; nil data deletes the session, with
// everything it remembered. A non-empty eventKey is remembered with the
// session (its last 16 events, in a field of fixed size) and a second
// save with it returns ErrDuplicate. A stale version returns ErrConflict.
// One round trip. A replay of the same call (a client retry) therefore
// never writes twice: it gets ErrDuplicate, or ErrConflict without an
// event key.
//
// Versions are random, not a sequence, so a deleted session needs no
// tombstone: a writer that stalled holding an old version cannot match a
// later session's. The session expires at a boundary of the time grain
// (SessionTTL after the last step, rounded up), so its TTL does not date
// the last answer finer than the grain.
func (s *Store) SaveSession(ctx context.Context, respondent string, version int64, data []byte, eventKey string) error {
	_, err := s.CommitSession(ctx, respondent, version, data, eventKey)
	return err
}

// CommitSession is SaveSession that also returns the version it wrote, so
// a caller can name the step it committed (versions are random, so the
// next one cannot be computed from the last).
func (s *Store) CommitSession(ctx context.Context, respondent string, version int64, data []byte, eventKey string) (int64, error) {
	nv, _, err := s.commit(ctx, respondent, version, data, eventKey, false)
	return nv, err
}

// Found is a session as a refused CommitGuess found it: what LoadSession
// would have answered in its place. Data is nil and Version 0 when there
// is no session; Dup is whether the event was one the session had
// already processed.
type Found struct {
	Data    []byte
	Version int64
	Dup     bool
}

// CommitGuess is CommitSession for a caller that did not read the session
// for this step: version is its guess (the version its own last commit of
// this respondent wrote), and data was computed from the session it wrote
// then. If the guess is right and the event is not a duplicate, the
// session is committed as by CommitSession, and the step cost one round
// trip instead of two. Otherwise nothing is written, and the error
// (ErrDuplicate or ErrConflict) comes with the session as it is now,
// read by the same script: the caller decides again from it, as from
// LoadSession, without another round trip. The checks are the
// compare-and-set's own, in the same order (the event among the recent
// ones first, then the version), so a guess is never trusted beyond what
// a LoadSession followed by a CommitSession would have been.
func (s *Store) CommitGuess(ctx context.Context, respondent string, version int64, data []byte, eventKey string) (int64, Found, error) {
	return s.commit(ctx, respondent, version, data, eventKey, true)
}

func (s *Store) commit(ctx context.Context, respondent string, version int64, data []byte, eventKey string, guess bool) (int64, Found, error) {
	if err := checkHex("respondent", respondent); err != nil {
		return 0, Found{}, err
	}
	if version < 0 {
		return 0, Found{}, fmt.Errorf("%w: negative session version", ErrInvalid)
	}
	ev, del := "", argZero
	if eventKey != "" {
		ev = seenDigestOf(eventKey)
	}
	if data == nil {
		del = argOne
	}
	want := argZero
	if guess {
		want = argOne
	}
	// A new session's ring starts full of random digests, so its size
	// never changes. An existing session has its ring: no filler (random
	// bytes and three allocations a step) unless the script asks.
	fill := ""
	if data != nil && version == 0 {
		fill = randHex(seenSize / 2)
	}
	nv := newVersion()
	expiry := s.grainAfter(s.opt.SessionTTL).UnixMilli()
	// The whole command in one slice (see runCmd); its slot 10 is the
	// filler.
	cmd := []any{nil, nil, 1, s.sessionKey(respondent), version, nv, data, ev, expiry, del, fill, seenSize, want}
	res, found, err := commitReply(s.runCmd(ctx, saveScript, cmd))
	if err == nil && res == "FILL" {
		cmd[10] = randHex(seenSize / 2)
		res, found, err = commitReply(s.runCmd(ctx, saveScript, cmd))
	}
	if err != nil {
		return 0, Found{}, fmt.Errorf("store: save session: %w", err)
	}
	switch res {
	case "OK":
		return nv, Found{}, nil
	case "DUP":
		found.Dup = true
		return 0, found, ErrDuplicate
	case "CONFLICT":
		return 0, found, ErrConflict
	}
	return 0, Found{}, fmt.Errorf("store: save session: unexpected reply %q", res)
}

// commitReply reads saveScript's answer: a verdict, or a verdict with
// the session found (see CommitGuess). The data shares the reply's memory,
// as LoadSession's does.
func commitReply(c *redis.Cmd) (string, Found, error) {
	v, err := c.Result()
	if err != nil {
		return "", Found{}, err
	}
	switch v := v.(type) {
	case string:
		return v, Found{}, nil
	case []any:
		if len(v) == 3 {
			verdict, _ := v[0].(string)
			var f Found
			if vs, ok := v[1].(string); ok {
				if f.Version, err = strconv.ParseInt(vs, 10, 64); err != nil {
					return "", Found{}, fmt.Errorf("bad version %q", clip(vs))
				}
				ds, _ := v[2].(string)
				f.Data = []byte{}
				if ds != "" {
					f.Data = unsafe.Slice(unsafe.StringData(ds), len(ds))
				}
			}
			return verdict, f, nil
		}
	}
	return "", Found{}, fmt.Errorf("unexpected reply %v", v)
}

// newVersion is a random positive session version.
func newVersion() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:])>>2) + 1
}

// grainAfter is now+d rounded up to the next boundary of the time grain,
// the instant expiries are set to so that a TTL dates nothing finer.
func (s *Store) grainAfter(d time.Duration) time.Time {
	g := s.opt.TimeGrain
	t := s.opt.Now().Add(d)
	return t.Truncate(g).Add(g)
}

// isNil reports a missing value.
func isNil(err error) bool { return errors.Is(err, redis.Nil) }
