package release_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// TestDPReleases walks a DP consultation (budget ε = 0.4 over 2 releases)
// through its releases on a real Redis: noise is drawn once per release
// and every view and every process shows the same noisy numbers; each
// release's ε and the total spent are in the release log; the release
// that would exceed the budget is refused with a message saying so, and
// the last one stays published.
func TestDPReleases(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 60, store.Options{CounterKey: []byte("0123456789abcdef0123456789abcdef")})
	eps, err := privacy.ParseEpsilon("0.4")
	if err != nil {
		t.Fatal(err)
	}
	e.sc.Publish, e.sc.DP = true, &dialogs.DP{Epsilon: eps, Releases: 2}
	svc := e.service()

	e.complete(t, 7)
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
	e.advance(11 * time.Minute)
	if made, err := other.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("second DP release: made %v, %v", made, err)
	}
	second, _ := svc.Summary(ctx, e.sc, "open", "en")
	if second.Release != 2 || *second.EpsilonSpent != 0.4 {
		t.Fatalf("release 2: number %d ε spent %v", second.Release, *second.EpsilonSpent)
	}

	// The budget is spent: the next release is refused, clearly, and the
	// last one stays.
	e.complete(t, 6)
	e.advance(11 * time.Minute)
	made, err := svc.Make(ctx, e.sc, "open")
	if made || !errors.Is(err, privacy.ErrOverBudget) {
		t.Fatalf("release over budget: made %v, %v", made, err)
	}
	for _, want := range []string{"release 3 refused", "ε = 0.2", "budget of ε = 0.4", "0 left", "last release stays published"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if sum, _ := other.Summary(ctx, e.sc, "open", "en"); sum.Release != 2 || js(sum.Questions) != js(second.Questions) {
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
