package sms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ledger is the adapter's bookkeeping in Redis: which steps' messages were
// sent (so a restart or a re-delivered message never sends one twice) and
// what each consultation cost. Nothing in it names a person: a sent mark
// is keyed by the router's step key (a keyed hash of the session's
// pseudonym and version), costs and delivery reports are per consultation.
//
// Keys (prefix "baraza:" by default):
//
//	sms:sent:<step key>:<n>  "1", 48-49 h   message n of a step was handed to Kannel
//	                                        (expires on a whole hour)
//	sms:in:<message ref>     "1", 48-49 h   the inbound message with this Kannel id was
//	                                        handled and its replies handed to Kannel
//	                                        (a hash of Kannel's random id; expires on
//	                                        a whole hour)
//	{c:<id>}:sms             hash           messages, segments, held, dlr_delivered,
//	                                        dlr_failed, dlr_other of consultation id
type ledger struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

func (l *ledger) sentKey(step string, n int) string {
	return l.prefix + "sms:sent:" + step + ":" + strconv.Itoa(n)
}

func (l *ledger) costKey(consultation string) string {
	if consultation == "" {
		consultation = "-"
	}
	return l.prefix + "{c:" + consultation + "}:sms"
}

func (l *ledger) inKey(ref string) string {
	return l.prefix + "sms:in:" + ref
}

// expiry is when a mark set now expires: ttl later, rounded up to a whole
// hour, so a TTL to the millisecond does not date one person's step in a
// Redis dump.
func (l *ledger) expiry() time.Time {
	return time.Now().Add(l.ttl).Truncate(time.Hour).Add(time.Hour)
}

// handled reports whether the inbound message ref was handled already and
// everything it asked for was handed to Kannel.
func (l *ledger) handled(ctx context.Context, ref string) (bool, error) {
	n, err := l.rdb.Exists(ctx, l.inKey(ref)).Result()
	if err != nil {
		return false, fmt.Errorf("sms: handled: %w", err)
	}
	return n == 1, nil
}

// done marks the inbound message ref as handled.
func (l *ledger) done(ctx context.Context, ref string) error {
	if err := l.rdb.SetArgs(ctx, l.inKey(ref), "1", redis.SetArgs{ExpireAt: l.expiry()}).Err(); err != nil {
		return fmt.Errorf("sms: mark handled: %w", err)
	}
	return nil
}

// claim marks message n of step as being sent and reports whether it was
// not already: at most once, even across replicas and restarts.
func (l *ledger) claim(ctx context.Context, step string, n int) (bool, error) {
	res, err := l.rdb.SetArgs(ctx, l.sentKey(step, n), "1", redis.SetArgs{Mode: "NX", ExpireAt: l.expiry()}).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	ok := res == "OK"
	if err != nil {
		return false, fmt.Errorf("sms: claim: %w", err)
	}
	return ok, nil
}

// release undoes a claim whose message could not be sent, so a
// re-delivery of the inbound message may try again.
func (l *ledger) release(ctx context.Context, step string, n int) error {
	if err := l.rdb.Del(ctx, l.sentKey(step, n)).Err(); err != nil {
		return fmt.Errorf("sms: release: %w", err)
	}
	return nil
}

// reserveScript: KEYS cost hash; ARGV segments, cap (0: none). Adds one
// message and its segments unless that would pass the cap; then counts it
// as held and returns -1.
var reserveScript = redis.NewScript(`
local n = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local cur = tonumber(redis.call('HGET', KEYS[1], 'segments') or '0')
if cap > 0 and cur + n > cap then
  redis.call('HINCRBY', KEYS[1], 'held', 1)
  return -1
end
redis.call('HINCRBY', KEYS[1], 'messages', 1)
return redis.call('HINCRBY', KEYS[1], 'segments', n)
`)

// errCap is returned by reserve when the consultation's segment cap is
// reached: sending is paused for it.
var errCap = errors.New("sms: segment cap reached")

// reserve books one message of n segments for consultation, refusing past
// cap (0: no cap).
func (l *ledger) reserve(ctx context.Context, consultation string, n int, cap int64) (int64, error) {
	total, err := reserveScript.Run(ctx, l.rdb, []string{l.costKey(consultation)}, n, cap).Int64()
	if err != nil {
		return 0, fmt.Errorf("sms: reserve: %w", err)
	}
	if total < 0 {
		return 0, errCap
	}
	return total, nil
}

// refund gives back a reservation whose message was not sent.
func (l *ledger) refund(ctx context.Context, consultation string, n int) error {
	_, err := l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, l.costKey(consultation), "messages", -1)
		p.HIncrBy(ctx, l.costKey(consultation), "segments", int64(-n))
		return nil
	})
	if err != nil {
		return fmt.Errorf("sms: refund: %w", err)
	}
	return nil
}

// report counts one delivery report.
func (l *ledger) report(ctx context.Context, consultation, field string) error {
	if err := l.rdb.HIncrBy(ctx, l.costKey(consultation), field, 1).Err(); err != nil {
		return fmt.Errorf("sms: delivery report: %w", err)
	}
	return nil
}

// Cost is what SMS cost one consultation so far.
type Cost struct {
	Messages, Segments int64
	// Held counts messages not sent because the cap was reached.
	Held int64
	// Cap is the consultation's segment cap, 0 for none; Paused is true
	// once a message was held for it.
	Cap    int64
	Paused bool
	// Delivery reports received: delivered, failed, other (buffered,
	// SMSC accepted or rejected).
	Delivered, Failed, OtherReports int64
}

func (l *ledger) cost(ctx context.Context, consultation string) (Cost, error) {
	m, err := l.rdb.HGetAll(ctx, l.costKey(consultation)).Result()
	if err != nil {
		return Cost{}, fmt.Errorf("sms: cost: %w", err)
	}
	n := func(f string) int64 { v, _ := strconv.ParseInt(m[f], 10, 64); return v }
	return Cost{Messages: n("messages"), Segments: n("segments"), Held: n("held"),
		Delivered: n("dlr_delivered"), Failed: n("dlr_failed"), OtherReports: n("dlr_other")}, nil
}
