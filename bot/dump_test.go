package bot_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

type handlerFunc func(context.Context, bot.Event) (bot.Response, error)

func (f handlerFunc) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	return f(ctx, ev)
}

// TestRedisDumpRevealsNoOne is what someone holding a Redis dump (an
// RDB file, a stolen backup, a curious operator) learns after 50
// completions and 10 abandoned dialogs: every key, its type, its TTL and
// its value are scanned. Nothing may be keyed to a person who finished
// except the participation marker (fixed value, no TTL); no list of a
// person's events, no event count, no tombstone; counter field names are
// sealed; and every expiry falls on a boundary of the time grain (a day),
// so no TTL dates anything to the hour, let alone the millisecond.
func TestRedisDumpRevealsNoOne(t *testing.T) {
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	script := env.Catalog.Get("community-safety")
	var users []string
	for i := range 50 {
		p := simulate.NewPlayer(script, uint64(7000+i))
		user := fmt.Sprintf("dump-user-%d", i)
		users = append(users, user)
		r := &simulate.Respondent{User: user, Player: p, Handler: func() bot.Handler { return env.Router },
			Chaos: simulate.Chaos{DupRate: 0.2}}
		if err := r.Run(ctx, script.ID); err != nil {
			t.Fatalf("%s: %v", user, err)
		}
	}
	for i := range 10 {
		// Walk away after 3..12 events: the sessions must look alike.
		limit := int32(3 + i)
		var n atomic.Int32
		rctx, stop := context.WithCancel(ctx)
		h := handlerFunc(func(ctx context.Context, ev bot.Event) (bot.Response, error) {
			if n.Add(1) > limit {
				stop()
				return bot.Response{}, context.Canceled
			}
			return env.Router.Handle(ctx, ev)
		})
		user := fmt.Sprintf("dump-gone-%d", i)
		users = append(users, user)
		r := &simulate.Respondent{User: user, Player: simulate.NewPlayer(script, uint64(8000+i)), Handler: func() bot.Handler { return h }}
		if err := r.Run(rctx, script.ID); err != nil && !errors.Is(err, context.Canceled) && rctx.Err() == nil {
			t.Fatalf("%s: %v", user, err)
		}
		stop()
	}

	rdb := env.RDB
	p := env.Redis.Prefix + "baraza:"
	keys, err := rdb.Keys(ctx, p+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	const day = 24 * time.Hour
	hex := `[0-9a-f]+`
	var (
		sessions, markers int
		ringLen, dataLen  = -1, map[int]int{}
		shapes            = map[string]*regexp.Regexp{
			"session":  regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `\{r:` + hex + `\}:s$`),
			"marker":   regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `\{c:community-safety\}:p:` + hex + `$`),
			"counters": regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `\{c:community-safety\}:n$`),
			"recent":   regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `\{c:community-safety\}:k$`),
			"texts":    regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `\{c:community-safety\}:tp?:[a-z0-9_]+$`),
		}
	)
	for _, k := range keys {
		kind := ""
		for name, re := range shapes {
			if re.MatchString(k) {
				kind = name
			}
		}
		typ, err := rdb.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		exp, err := rdb.PExpireTime(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		// -1: no expiry; otherwise a unix-ms instant that must sit on a
		// day boundary.
		if ms := int64(exp / time.Millisecond); ms > 0 && ms%day.Milliseconds() != 0 {
			t.Errorf("%s (%s) expires at %v: not a day boundary, it dates a moment", k, kind, time.UnixMilli(ms).UTC())
		}
		switch kind {
		case "session":
			sessions++
			if typ != "hash" {
				t.Errorf("%s: type %s, want hash", k, typ)
			}
			f, err := rdb.HGetAll(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(f) != 3 || f["v"] == "" || f["d"] == "" || f["e"] == "" {
				t.Errorf("%s: fields %v, want v, d, e", k, keysOf(f))
			}
			if ringLen >= 0 && len(f["e"]) != ringLen {
				t.Errorf("%s: events field of %d bytes, another of %d: its size must not count events", k, len(f["e"]), ringLen)
			}
			ringLen = len(f["e"])
			dataLen[len(f["d"])]++
			if exp <= 0 {
				t.Errorf("%s: a live session without expiry", k)
			}
		case "marker":
			markers++
			v, err := rdb.Get(ctx, k).Result()
			if err != nil || v != "1" || exp != -1 {
				t.Errorf("%s: value %q (err %v), expiry %v; want the fixed value 1 and no expiry", k, v, err, exp)
			}
		case "counters":
			f, err := rdb.HKeys(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range f {
				if !strings.HasPrefix(name, "!") {
					t.Errorf("%s: field %q in the clear", k, name)
				}
			}
		case "recent":
			zs, err := rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
			if err != nil {
				t.Fatal(err)
			}
			// The keys of dialogs still under way (10) and, for two days, a
			// keyed digest of each ended dialog's last event (50), so a
			// late re-delivery is recognised: one each, no path, no time
			// but the day. A completion forgets its dialog's other keys.
			if len(zs) > 60 {
				t.Errorf("%s: %d recent keys, want at most 10 + 50", k, len(zs))
			}
			for _, z := range zs {
				if z.Score != float64(int64(z.Score)) || z.Score < float64(time.Now().Unix()/86400) {
					t.Errorf("%s: score %v is not a day number", k, z.Score)
				}
			}
		case "texts":
			// Scrubbed texts under random scores: no order, no time.
		default:
			t.Errorf("unexpected key %s (%s)", k, typ)
		}
	}
	if sessions != 10 {
		t.Errorf("got %d per-person session keys, want the 10 abandoned dialogs' only", sessions)
	}
	if markers != 50 {
		t.Errorf("got %d participation markers, want 50", markers)
	}
	if len(dataLen) > 3 {
		// Sealed sessions are padded to a block, so their sizes fall in
		// a few classes rather than one per answer.
		t.Errorf("session data sizes %v: want a few padded classes", dataLen)
	}
	env.AssertNoLeak(t, users...)
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
