package discord

import (
	"testing"
	"time"
)

// TestPacerStaysUnderGlobalLimit replays the pacer's token-bucket
// decisions for a burst of requests all asking at once, on explicit
// times: no one-second window of grants holds more than 1.2 x the rate,
// so a rate of 150 stays under Discord's (scaled) global limit of 200 and
// a rate of 40 under the real 50.
func TestPacerStaysUnderGlobalLimit(t *testing.T) {
	for _, tc := range []struct {
		rate  float64
		limit int
	}{{150, 200}, {40, 50}} {
		p := newPacer(tc.rate)
		t0 := time.Unix(1_700_000_000, 0)
		var grants []time.Time
		for i := 0; i < 500; i++ {
			now := t0.Add(time.Duration(i) * time.Microsecond) // all ask within half a millisecond
			grants = append(grants, now.Add(p.Delay(now)))
			p.Take(now)
		}
		worst := 0
		for i := range grants {
			n := 0
			for j := i; j < len(grants) && grants[j].Sub(grants[i]) < time.Second; j++ {
				n++
			}
			worst = max(worst, n)
		}
		if bound := int(1.2*tc.rate) + 1; worst > bound || worst >= tc.limit {
			t.Errorf("rate %v: got %d grants in one second, want at most %d and under the limit %d", tc.rate, worst, bound, tc.limit)
		}
		if last := grants[len(grants)-1].Sub(t0); last < time.Duration(float64(500-int(tc.rate/5))/tc.rate*float64(time.Second))-time.Millisecond {
			t.Errorf("rate %v: the 500th request granted after %v, sooner than the rate allows", tc.rate, last)
		}
	}
}
