package store_test

import (
	"testing"
	"time"

	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
)

// TestTrailTTL: an open dialog's trail of message references expires on a
// boundary of the time grain, like the session, so the TTL of an abandoned
// dialog's trail does not date its last message to the millisecond.
func TestTrailTTL(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	s := store.New(rdb, store.Options{Prefix: srv.Prefix + "baraza:", TimeGrain: time.Hour})
	ctx := ctxT(t)
	r := hexID('u')
	key := srv.Prefix + "baraza:{r:" + r + "}:t"
	for _, e := range []string{"sealed-1", "sealed-2"} {
		if err := s.AppendTrail(ctx, r, []byte(e), 48*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	exp, err := rdb.PExpireTime(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(int64(exp / time.Millisecond))
	if at.UnixMilli()%time.Hour.Milliseconds() != 0 || time.Until(at) < 48*time.Hour-time.Minute || time.Until(at) > 49*time.Hour {
		t.Errorf("trail expires at %v, want an hour boundary 48 to 49 hours away", at)
	}
}
