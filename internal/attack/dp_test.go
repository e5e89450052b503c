package attack

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
)

// TestDPDifferencing attacks the differential-privacy mode the way
// TestDifferencing attacks suppression: the reader takes two consecutive
// publications around one more completion and guesses the newcomer's
// answer to each single-choice question as the option whose count grew
// most. On live counters the guess is always right. On two DP releases
// (noise drawn once per release, as Noisy does) the guess can be right no
// more often than ε-differential privacy allows: changing one person's
// answer changes the release's distribution by a factor of at most
// e^(2ε) (a replacement is a removal and an addition), so for a question
// of m options her answer is guessed with probability at most
// e^(2ε)/(e^(2ε)+m-1) — 0.33 for m = 4 at ε = 0.2, against 0.25 for a
// blind guess. The trials use a fixed random stream (no flake); the
// tolerance is six standard deviations.
func TestDPDifferencing(t *testing.T) {
	const k, trials = 5, 400
	for _, sc := range []struct {
		file string
		n    int
		seed uint64
		eps  string // per release
	}{
		{"six.yaml", 52, 1, "0.2"},
		{"six.yaml", 120, 4, "0.2"},
		{"six.yaml", 52, 2, "1"},
	} {
		t.Run(fmt.Sprintf("%s/%d/ε=%s", sc.file, sc.n, sc.eps), func(t *testing.T) {
			s := load(t, sc.file)
			pop := Generate(rand.New(rand.NewPCG(sc.seed, 12)), s, sc.n, k)
			eps, err := privacy.ParseEpsilon(sc.eps)
			if err != nil {
				t.Fatal(err)
			}
			her := pop.Answers[sc.n-1]
			c0, c1 := pop.Counters(sc.n-1), pop.Counters(sc.n)
			var qs []*dialogs.Question
			for i := range s.Questions {
				q := &s.Questions[i]
				if (q.Type == dialogs.TypeChoice || q.Type == dialogs.TypeScale) && len(her[q.ID].Options) == 1 {
					qs = append(qs, q)
				}
			}
			guess := func(q *dialogs.Question, before, after map[string]int64) bool {
				best, bestGrowth := "", int64(math.MinInt64)
				for _, o := range q.Options {
					f := results.OptionField(q.ID, o.ID)
					if g := after[f] - before[f]; g > bestGrowth {
						best, bestGrowth = o.ID, g
					}
				}
				return best == her[q.ID].Options[0]
			}
			// Live counters: every answer read off.
			live := 0
			for _, q := range qs {
				if guess(q, c0, c1) {
					live++
				}
			}
			if live != len(qs) {
				t.Errorf("live counters: %d of %d answers read, want all (the attack is wrong)", live, len(qs))
			}

			var seed [32]byte
			seed[0] = byte(sc.seed)
			z := privacy.NewNoise(rand.NewChaCha8(seed))
			right := make([]int, len(qs))
			for range trials {
				r0, err := results.Noisy(s, c0, eps, z)
				if err != nil {
					t.Fatal(err)
				}
				r1, err := results.Noisy(s, c1, eps, z)
				if err != nil {
					t.Fatal(err)
				}
				for i, q := range qs {
					if guess(q, r0, r1) {
						right[i]++
					}
				}
			}
			e2 := math.Exp(2 * float64(eps.Micro()) / 1e6)
			var total, bound, blind float64
			for i, q := range qs {
				m := float64(len(q.Options))
				blind += 1 / m
				b := e2 / (e2 + m - 1)
				rate := float64(right[i]) / trials
				sd := math.Sqrt(b * (1 - b) / trials)
				if rate > b+6*sd {
					t.Errorf("%s: her answer guessed in %.0f%% of trials, above the ε bound %.0f%%", q.ID, 100*rate, 100*b)
				}
				total += rate
				bound += b
			}
			t.Logf("live counters: %d of %d of the newcomer's answers read; two DP releases (ε = %s each, noise scale %d/ε): guessed in %.0f%% of trials on average (ε bound %.0f%%, blind guess %.0f%%)",
				live, len(qs), eps, results.Sensitivity(s), 100*total/float64(len(qs)), 100*bound/float64(len(qs)), 100*blind/float64(len(qs)))
		})
	}
}
