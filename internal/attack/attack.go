// Package attack is the adversarial test suite of what Baraza publishes:
// it plays a determined reader who takes every number of every output and
// every release of a consultation and solves, by linear programming, the
// smallest and largest value each hidden count can have, whether a small
// group's answers follow from the numbers, and what the difference of two
// consecutive releases says about the people who arrived in between.
//
// The package's code makes populations (random respondents with lone and
// small minorities in every segment) and counts them as the product does;
// the attacks are its tests. The figures they print are those quoted in
// docs/privacy.md.
package attack

import (
	_ "embed"
	"io/fs"
	"math/rand/v2"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/results"
)

//go:embed testdata/six.yaml
var six []byte

// Script loads a script the attacks use: "six.yaml" (the six-question
// consultation of the report, kept with this package) or a
// bundled one by its file name.
func Script(file string) (*dialogs.Script, error) {
	data := six
	if file != "six.yaml" {
		var err error
		if data, err = fs.ReadFile(dialogs.Bundled(), file); err != nil {
			return nil, err
		}
	}
	return dialogs.Load(file, data)
}

// Population is a set of completed respondents of one script.
type Population struct {
	Script  *dialogs.Script
	Answers []dialogs.Answers
}

// Counters returns the counters the store would hold after every
// respondent of p[:n] completed (n < 0: all).
func (p *Population) Counters(n int) map[string]int64 {
	if n < 0 || n > len(p.Answers) {
		n = len(p.Answers)
	}
	c := make(map[string]int64)
	for _, a := range p.Answers[:n] {
		c[results.FieldStarted]++
		for _, f := range results.Increments(p.Script, a, "") {
			c[f]++
		}
	}
	return c
}

// Generate makes n respondents of s. Each segment question gets a lone
// respondent in one random option and a small group (2..k-1) in another;
// the rest answer with skewed random weights, so rare answers occur too.
// Optional questions are skipped one time in ten; relevant conditions are
// honoured.
func Generate(rng *rand.Rand, s *dialogs.Script, n, k int) *Population {
	p := &Population{Script: s}
	// Fixed segment answers for the minorities.
	type planted struct {
		q   string
		opt string
		who []int
	}
	var plants []planted
	weights := make(map[string][]float64)
	for i := range s.Questions {
		q := &s.Questions[i]
		w := make([]float64, len(q.Options))
		for j := range w {
			w[j] = rng.Float64()*rng.Float64() + 0.02
		}
		weights[q.ID] = w
		if q.Segment && len(q.Options) >= 3 && n > 2*k {
			perm := rng.Perm(len(q.Options))
			lone := planted{q: q.ID, opt: q.Options[perm[0]].ID, who: []int{rng.IntN(n)}}
			small := planted{q: q.ID, opt: q.Options[perm[1]].ID}
			for range 2 + rng.IntN(max(k-2, 1)) {
				small.who = append(small.who, rng.IntN(n))
			}
			plants = append(plants, lone, small)
			// Nobody else falls into these two options.
			w[perm[0]], w[perm[1]] = 0, 0
		}
	}
	for range n {
		p.Answers = append(p.Answers, dialogs.Answers{})
	}
	for _, pl := range plants {
		for _, who := range pl.who {
			p.Answers[who][pl.q] = dialogs.Answer{Options: []string{pl.opt}}
		}
	}
	for r := range n {
		a := p.Answers[r]
		for i := range s.Questions {
			q := &s.Questions[i]
			if _, done := a[q.ID]; done {
				continue
			}
			if q.Type == dialogs.TypeInfo || !q.IsRelevant(a) {
				continue
			}
			if q.Optional && rng.IntN(10) == 0 {
				a[q.ID] = dialogs.Answer{Skipped: true}
				continue
			}
			switch q.Type {
			case dialogs.TypeChoice, dialogs.TypeScale:
				a[q.ID] = dialogs.Answer{Options: []string{q.Options[pick(rng, weights[q.ID])].ID}}
			case dialogs.TypeMulti:
				var opts []string
				for j, o := range q.Options {
					if rng.Float64() < weights[q.ID][j] {
						opts = append(opts, o.ID)
					}
				}
				if len(opts) == 0 {
					opts = []string{q.Options[pick(rng, weights[q.ID])].ID}
				}
				a[q.ID] = dialogs.Answer{Options: opts}
			case dialogs.TypeText:
				a[q.ID] = dialogs.Answer{Text: "a comment"}
			case dialogs.TypeNumber:
				a[q.ID] = dialogs.Answer{Text: "3"}
			}
		}
	}
	// A planted respondent may have been re-drawn into another plant of
	// the same question; that is fine (the option stays rare).
	rng.Shuffle(len(p.Answers), func(i, j int) { p.Answers[i], p.Answers[j] = p.Answers[j], p.Answers[i] })
	return p
}

func pick(rng *rand.Rand, w []float64) int {
	var sum float64
	for _, v := range w {
		sum += v
	}
	if sum == 0 {
		return rng.IntN(len(w))
	}
	x := rng.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}
