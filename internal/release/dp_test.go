package release_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/attack"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// TestDPReleases walks a DP consultation (ε = 0.6 over 3 releases, one
// every hour) through its releases on a real Redis: they follow the
// calendar; noise is drawn once per release and every view and every
// process shows the same noisy numbers; each release's ε and the total
// spent are in the release log; a release that would exceed the budget
// (the script edited to a budget of 0.4 after two releases of 0.2) is
// refused with a message saying so, and the last one stays published.
func TestDPReleases(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 60, store.Options{CounterKey: []byte("0123456789abcdef0123456789abcdef")})
	eps, err := privacy.ParseEpsilon("0.6")
	if err != nil {
		t.Fatal(err)
	}
	e.sc.Publish, e.sc.DP = true, &dialogs.DP{Epsilon: eps, Releases: 3, Every: time.Hour}
	svc := e.service()

	e.complete(t, 7)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || made {
		t.Fatalf("a DP release before its calendar's first period: made %v, %v", made, err)
	}
	e.advance(time.Hour)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("first DP release: made %v, %v", made, err)
	}
	first, err := svc.Summary(ctx, e.sc, "open", "en")
	if err != nil {
		t.Fatal(err)
	}
	if first.Release != 1 || first.Mode != results.ModeDP || first.EpsilonSpent == nil || *first.EpsilonSpent != 0.2 {
		t.Fatalf("release 1: number %d mode %q ε spent %v", first.Release, first.Mode, first.EpsilonSpent)
	}
	if first.Pending != nil || first.NextReleaseAt != t0.Add(2*time.Hour).Format(time.RFC3339) {
		t.Fatalf("release 1: pending %v, next %q", first.Pending, first.NextReleaseAt)
	}
	// Every count is published, with noise: scale 27/0.2 leaves the
	// true counts in place nowhere near all of them.
	truth := results.Build(e.sc, e.pop.Counters(7), 5, "open", "en")
	same, all := 0, 0
	for i, q := range first.Questions {
		for j, o := range q.Options {
			if o.Count == nil || o.Suppressed {
				t.Fatalf("%s/%s hidden in a DP release", q.ID, o.ID)
			}
			all++
			if tc := truth.Questions[i].Options[j].Count; tc != nil && *tc == *o.Count {
				same++
			}
		}
	}
	if same == all {
		t.Errorf("every option count equals the truth: no noise")
	}

	// A page view, another view, another process: the same numbers.
	for range 3 {
		again, _ := svc.Summary(ctx, e.sc, "open", "en")
		if js(again) != js(first) {
			t.Fatal("a second view of release 1 differs: noise drawn again")
		}
	}
	other := e.service()
	if sum, _ := other.Summary(ctx, e.sc, "open", "en"); js(sum) != js(first) {
		t.Fatal("another process shows release 1 with other numbers")
	}

	e.complete(t, 6)
	e.advance(time.Hour)
	if made, err := other.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("second DP release: made %v, %v", made, err)
	}
	second, _ := svc.Summary(ctx, e.sc, "open", "en")
	if second.Release != 2 || *second.EpsilonSpent != 0.4 {
		t.Fatalf("release 2: number %d ε spent %v", second.Release, *second.EpsilonSpent)
	}
	// The last share waits for the final release: no third on the
	// calendar, and nothing says when the next comes but the close.
	e.advance(time.Hour)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || made {
		t.Fatalf("a third scheduled release of three: made %v, %v", made, err)
	}
	if sum, _ := svc.Summary(ctx, e.sc, "open", "en"); sum.NextReleaseAt != "" || sum.Pending != nil {
		t.Fatalf("after the last scheduled release: next %q pending %v", sum.NextReleaseAt, sum.Pending)
	}

	// The script is edited to a budget of 0.4 in two releases: the
	// budget is spent, the final release is refused, clearly, and the last
	// one stays.
	e.sc.DP = &dialogs.DP{Epsilon: mustEps(t, "0.4"), Releases: 2, Every: time.Hour}
	e.complete(t, 6)
	made, err := svc.Make(ctx, e.sc, release.StatusClosed)
	if made || !errors.Is(err, privacy.ErrOverBudget) {
		t.Fatalf("release over budget: made %v, %v", made, err)
	}
	for _, want := range []string{"release 3 refused", "ε = 0.2", "budget of ε = 0.4", "0 left", "last release stays published"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if sum, _ := other.Summary(ctx, e.sc, release.StatusClosed, "en"); sum.Release != 2 || js(sum.Questions) != js(second.Questions) {
		t.Fatalf("after the refusal: release %d", sum.Release)
	}

	log, err := svc.Log(ctx, e.sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 {
		t.Fatalf("release log: %+v", log)
	}
	for i, want := range []float64{0.4, 0.2} {
		l := log[i]
		if l.Mode != results.ModeDP || l.Epsilon == nil || *l.Epsilon != 0.2 || l.EpsilonSpent == nil || *l.EpsilonSpent != want {
			t.Errorf("log entry %d: mode %q ε %v spent %v, want 0.2 and %v", l.Number, l.Mode, l.Epsilon, l.EpsilonSpent, want)
		}
	}
}

func mustEps(t testing.TB, v string) privacy.Epsilon {
	t.Helper()
	e, err := privacy.ParseEpsilon(v)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestDPCalendarIgnoresCounts: two DP consultations with the same
// calendar, one with no completion at all and one with a completion
// before every tick, make their releases at the same ticks and show the
// same next-release time, never a count of responses still needed: the
// timing of a DP release tells nothing of the number of completions. The
// final release comes on close whatever the counts.
func TestDPCalendarIgnoresCounts(t *testing.T) {
	ctx := context.Background()
	var envs [2]*env
	var svcs [2]*release.Service
	for i := range envs {
		envs[i] = newEnv(t, "six.yaml", 200, store.Options{CounterKey: []byte("0123456789abcdef0123456789abcdef")})
		envs[i].sc.Publish, envs[i].sc.DP = true, &dialogs.DP{Epsilon: mustEps(t, "1"), Releases: 4, Every: 2 * time.Hour}
		svcs[i] = envs[i].service()
	}
	type look struct {
		made    bool
		release int
		next    string
	}
	var got [2][]look
	steps := []time.Duration{0, 30 * time.Minute, 90 * time.Minute, time.Minute, time.Hour, 3 * time.Hour, 2 * time.Hour, 5 * time.Hour, 0}
	for si, d := range steps {
		for i, e := range envs {
			e.advance(d)
			if i == 1 {
				e.complete(t, 1+si*3) // busy: completions before every tick
			}
			status := "open"
			if si == len(steps)-1 {
				status = release.StatusClosed
			}
			made, err := svcs[i].Make(ctx, e.sc, status)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := svcs[i].Summary(ctx, e.sc, status, "en")
			if err != nil {
				t.Fatal(err)
			}
			if sum.Pending != nil || sum.Mode != results.ModeDP {
				t.Fatalf("step %d: a DP summary with pending %v, mode %q", si, *sum.Pending, sum.Mode)
			}
			got[i] = append(got[i], look{made, sum.Release, sum.NextReleaseAt})
		}
	}
	if fmt.Sprint(got[0]) != fmt.Sprint(got[1]) {
		t.Fatalf("the calendar depends on the completions:\nidle %v\nbusy %v", got[0], got[1])
	}
	// Ticks at +0, +30m, +2h, +2h01, +3h01, +6h01, +8h01, +13h01 and on
	// close: releases at +2h (the first boundary), +6h01 (the boundaries
	// of +4h and +6h passed while no tick came: one release, not two),
	// +8h01, none after the three scheduled of four, then the final one.
	var made []int
	for si, l := range got[0] {
		if l.made {
			made = append(made, si)
		}
	}
	if fmt.Sprint(made) != "[2 5 6 8]" {
		t.Errorf("releases made at steps %v, want [2 5 6 8]: %v", made, got[0])
	}
	if got[0][0].next != t0.Add(2*time.Hour).Format(time.RFC3339) {
		t.Errorf("next release before the first: %q", got[0][0].next)
	}
}

// TestCalendar: where a DP consultation's calendar starts and how long its
// period is, from the script.
func TestCalendar(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 10, store.Options{})
	day := 24 * time.Hour
	for _, c := range []struct {
		name          string
		dp            dialogs.DP
		opens, closes time.Time
		interval      time.Duration
		start         time.Time
		period        time.Duration
		slots         int
	}{
		{"every", dialogs.DP{Releases: 5, Every: 7 * day}, time.Time{}, time.Time{}, 0, t0.Truncate(time.Minute), 7 * day, 4},
		{"default", dialogs.DP{Releases: 5}, time.Time{}, time.Time{}, 0, t0.Truncate(time.Minute), dialogs.DefaultDPEvery, 4},
		{"opens and closes", dialogs.DP{Releases: 5}, t0.Add(-day), t0.Add(9 * day), 0, t0.Add(-day), 2 * day, 4},
		{"closes only", dialogs.DP{Releases: 2}, time.Time{}, t0.Add(3 * day), 0, t0.Truncate(time.Minute), 36 * time.Hour, 1},
		{"every beats closes", dialogs.DP{Releases: 2, Every: day}, t0, t0.Add(30 * day), 0, t0, day, 1},
		{"interval floor", dialogs.DP{Releases: 3, Every: time.Minute}, t0, time.Time{}, time.Hour, t0, time.Hour, 2},
		{"one release: only the final", dialogs.DP{Releases: 1}, t0, time.Time{}, 0, t0, dialogs.DefaultDPEvery, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := *e.sc
			dp := c.dp
			sc.DP, sc.Opens, sc.Closes = &dp, c.opens, c.closes
			svc := e.service()
			svc.Interval = c.interval
			cal, err := svc.Calendar(ctx, &sc)
			if err != nil {
				t.Fatal(err)
			}
			if !cal.Start.Equal(c.start) || cal.Period != c.period || cal.Slots != c.slots {
				t.Errorf("calendar %+v, want start %v period %v slots %d", cal, c.start, c.period, c.slots)
			}
		})
	}
	// The stored start is the first process's: another process, later,
	// reads the same.
	sc := *e.sc
	sc.DP = &dialogs.DP{Releases: 5}
	e.advance(5 * time.Hour)
	cal, err := e.service().Calendar(ctx, &sc)
	if err != nil || !cal.Start.Equal(t0.Truncate(time.Minute)) {
		t.Errorf("a later process's calendar starts at %v (%v), want %v", cal.Start, err, t0)
	}
}

// TestCalendarDue is the calendar's rule, table-tested.
func TestCalendarDue(t *testing.T) {
	cal := release.Calendar{Start: t0, Period: time.Hour, Slots: 2}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	entry := func(n int, d time.Duration, final bool) *release.Entry {
		return &release.Entry{Number: n, CreatedAt: at(d).Truncate(release.Grain), Final: final}
	}
	for _, c := range []struct {
		name    string
		prev    *release.Entry
		charged int
		now     time.Time
		closing bool
		want    bool
	}{
		{"before the first period", nil, 0, at(59 * time.Minute), false, false},
		{"first boundary", nil, 0, at(time.Hour), false, true},
		{"long after, first", nil, 0, at(50 * time.Hour), false, true},
		{"same period as the previous", entry(1, 61*time.Minute, false), 1, at(119 * time.Minute), false, false},
		{"next boundary", entry(1, 61*time.Minute, false), 1, at(2 * time.Hour), false, true},
		{"slots used", entry(2, 2*time.Hour, false), 2, at(5 * time.Hour), false, false},
		{"closing", entry(2, 2*time.Hour, false), 2, at(2*time.Hour + time.Minute), true, true},
		{"closing, nothing yet", nil, 0, t0, true, true},
		{"closing after the final", entry(3, 3*time.Hour, true), 3, at(4 * time.Hour), true, false},
		{"before the start", nil, 0, t0.Add(-time.Hour), false, false},
	} {
		if got := cal.Due(c.prev, c.charged, c.now, c.closing); got != c.want {
			t.Errorf("%s: Due = %v, want %v", c.name, got, c.want)
		}
	}
}

// BenchmarkNoisyLarge is the noise of one DP release of the largest
// bundled consultation (community-safety, every breakdown), post-processing
// included (every breakdown of two single-answer questions fitted to both
// one-way tables), at 100 and 10,000 completions, ε = 0.2 per release.
func BenchmarkNoisyLarge(b *testing.B) {
	sc := loadScript(b, "community-safety.yaml")
	for _, n := range []int{100, 10000} {
		pop := attack.Generate(rand.New(rand.NewPCG(uint64(n), 9)), sc, n, 5)
		c := pop.Counters(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := results.Noisy(sc, c, mustEps(b, "0.2"), privacy.NewNoise(nil)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDPFinalSpendsRest: a consultation closed after one scheduled release
// of four spends the rest of its budget on the final release (its numbers
// are the ones that last), and says so: ε of the release, ε spent, the
// noise described with that ε.
func TestDPFinalSpendsRest(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 40, store.Options{CounterKey: []byte("0123456789abcdef0123456789abcdef")})
	e.sc.Publish, e.sc.DP = true, &dialogs.DP{Epsilon: mustEps(t, "1"), Releases: 4, Every: time.Hour}
	svc := e.service()
	e.complete(t, 10)
	_, _ = svc.Make(ctx, e.sc, "open") // the calendar starts
	e.advance(time.Hour)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("scheduled release: %v, %v", made, err)
	}
	e.complete(t, 10)
	if made, err := svc.Make(ctx, e.sc, release.StatusClosed); err != nil || !made {
		t.Fatalf("final release: %v, %v", made, err)
	}
	sum, err := svc.Summary(ctx, e.sc, release.StatusClosed, "en")
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Final || *sum.EpsilonSpent != 1 || sum.Noise == nil || sum.Noise.Epsilon != 0.75 {
		t.Fatalf("final: %v, ε spent %v, noise %+v", sum.Final, *sum.EpsilonSpent, sum.Noise)
	}
	log, _ := svc.Log(ctx, e.sc)
	if len(log) != 2 || *log[0].Epsilon != 0.75 || *log[1].Epsilon != 0.25 {
		t.Fatalf("log %+v", log)
	}
}
