package attack

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// TestDifferencingReleases plays the reader who looks again every time a
// person completes, against the product's own releases: respondents
// complete one by one through the store (as the router does), every
// process's release loop ticks after each completion (internal/release on
// a real Redis, no interval), and the reader keeps every release they
// could see. Each consecutive pair of releases is attacked together by
// LP. Before releases the same reader, looking after each completion at
// the live summary, reads the newcomer's answers off the difference
// (TestDifferencing's "before").
func TestDifferencingReleases(t *testing.T) {
	const k = 5
	srv := redistest.Start(t)
	// The suite's scenarios, then longer histories: 60 releases of six
	// questions (within release.DefaultAuditFields), 30 of the largest
	// bundled script (about 1,100 fields each: audited whole beyond the
	// default, 20-25 s).
	long := []scenario{{"six.yaml", 300, 8, true}, {"community-safety.yaml", 150, 6, false}}
	if testing.Short() || raceOn {
		long = nil
	}
	for i, sc := range append(scenarios[:5:5], long...) {
		t.Run(fmt.Sprintf("%s/%d/%d", sc.file, sc.n, sc.seed), func(t *testing.T) {
			s := load(t, sc.file)
			pop := Generate(rand.New(rand.NewPCG(sc.seed, 12)), s, sc.n, k)
			if i == 0 {
				// Before: each release audited with the previous one only.
				pubs := playPrevOnly(t, srv, fmt.Sprintf("%sprevonly%d:", srv.Prefix, i), s, pop, k)
				p, _ := results.Model(s, pubs)
				rep := privacy.Audit(k, p)
				t.Logf("before: releases audited with the previous one only, all %d attacked together: %v", len(pubs), count(rep))
				if rep.OK() {
					t.Errorf("releases audited with the previous one only pass the attack on all of them: it shows nothing")
				}
			}
			fields := 0 // the default
			if sc.file == "community-safety.yaml" {
				fields = 1 << 30
			}
			pubs, logged := play(t, srv, fmt.Sprintf("%sbaraza%d:", srv.Prefix, i), s, pop, k, fields)
			if strings.Contains(logged, "release withheld") {
				// Every history here fits the budget: the attack on all
				// releases together tests the auditor, not the budget.
				t.Errorf("a release was withheld:\n%s", logged)
			}
			// Before: the same reader's two last looks at a summary of the
			// live counters (each audited alone, as results.Build does), one
			// completion apart.
			c0, c1 := pop.Counters(sc.n-1), pop.Counters(sc.n)
			live, _ := results.Model(s, []results.Published{
				{Counters: c0, Summary: results.Build(s, c0, k, "open", "en")},
				{Counters: c1, Summary: results.Build(s, c1, k, "open", "en")},
			})
			before := privacy.Audit(k, live)
			t.Logf("live counters, two looks one completion apart, each audited alone: %v (%d findings)", count(before), len(before.Findings))
			if len(before.Findings) == 0 {
				t.Errorf("the attack found nothing on live counters: it is too weak to test releases")
			}
			var all tally
			for i := 1; i < len(pubs); i++ {
				if d := pubs[i].Counters[results.FieldCompleted] - pubs[i-1].Counters[results.FieldCompleted]; d < k {
					t.Errorf("releases %d and %d are %d completions apart", i, i+1, d)
				}
				p, _ := results.Model(s, pubs[i-1:i+1])
				rep := privacy.Audit(k, p)
				all.add(count(rep))
				for _, f := range rep.Findings {
					t.Errorf("releases %d and %d leak: %s", i, i+1, f.String(p))
				}
			}
			t.Logf("releases through internal/release, a look after every completion: %d releases, each consecutive pair attacked: %v", len(pubs), all)
			// The reader keeps every release: all of them attacked in one
			// program (each release is audited with the previous one only).
			p, _ := results.Model(s, pubs)
			rep := privacy.Audit(k, p)
			for _, f := range rep.Findings {
				t.Errorf("all %d releases together leak: %s", len(pubs), f.String(p))
			}
			t.Logf("all %d releases attacked together: %v", len(pubs), count(rep))
		})
	}
}

// play completes pop's respondents one by one through a store under
// prefix, lets the release loop (auditing with auditFields of history, 0
// the default) try after each, and returns every release a reader saw.
func play(t *testing.T, srv *redistest.Server, prefix string, s *dialogs.Script, pop *Population, k, auditFields int) ([]results.Published, string) {
	t.Helper()
	ctx := context.Background()
	st := store.New(srv.Client(), store.Options{Prefix: prefix})
	var logged bytes.Buffer
	svc := &release.Service{Store: st, Interval: -1, K: func(*dialogs.Script) int { return k }, AuditFields: auditFields,
		Logger: slog.New(slog.NewTextHandler(&logged, nil))}
	var pubs []results.Published
	for r, a := range pop.Answers {
		if _, err := st.Apply(ctx, store.Completion{Consultation: s.ID, Key: fmt.Sprint("c", r),
			Incr: append([]string{results.FieldStarted}, results.Increments(s, a, "")...)}); err != nil {
			t.Fatal(err)
		}
		made, err := svc.Make(ctx, s, "open")
		if err != nil {
			t.Fatal(err)
		}
		if !made {
			continue
		}
		latest, err := svc.Latest(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, results.Published{Counters: latest.Latest.Counters,
			Summary: svc.SummaryOf(s, latest, "open", "en")})
	}
	return pubs, logged.String()
}

// TestDifferencingBudget: a long consultation whose history outgrows the
// audit budget. Until 2026-12-05 the releases beyond it were audited with
// their newest predecessors only; attacked all together, 50 releases of
// community-safety (250 respondents, a budget of 6,000 fields) then left
// 7 hidden cells pinned, 764 narrower than k and 2 small groups' answers
// determined. Now releases stop where only the final one still fits:
// every release a reader can keep was audited with all the others, and
// the attack on all of them together finds nothing.
func TestDifferencingBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("the largest script's audits")
	}
	const k = 5
	srv := redistest.Start(t)
	s := load(t, "community-safety.yaml")
	pop := Generate(rand.New(rand.NewPCG(9, 12)), s, 250, k)
	pubs, logged := play(t, srv, srv.Prefix+"budget:", s, pop, k, 6000)
	if !strings.Contains(logged, "release withheld") {
		t.Fatalf("the history never outgrew the budget (%d releases): the test shows nothing", len(pubs))
	}
	if len(pubs) < 2 {
		t.Fatalf("%d releases", len(pubs))
	}
	p, _ := results.Model(s, pubs)
	rep := privacy.Audit(k, p)
	for _, f := range rep.Findings {
		t.Errorf("all %d releases together leak: %s", len(pubs), f.String(p))
	}
	t.Logf("budget of 6,000 fields: %d releases made, then withheld; all attacked together: %v", len(pubs), count(rep))
}

// playPrevOnly is play with the rule releases had before they were
// audited with their whole history: one per k new completions, each
// audited with the previous release alone (results.Audited, as the
// release service did then). Kept to show the attack on all releases
// together finds what that rule let through.
func playPrevOnly(t *testing.T, srv *redistest.Server, prefix string, s *dialogs.Script, pop *Population, k int) []results.Published {
	t.Helper()
	ctx := context.Background()
	st := store.New(srv.Client(), store.Options{Prefix: prefix})
	var pubs []results.Published
	var last int64
	for r, a := range pop.Answers {
		if _, err := st.Apply(ctx, store.Completion{Consultation: s.ID, Key: fmt.Sprint("c", r),
			Incr: append([]string{results.FieldStarted}, results.Increments(s, a, "")...)}); err != nil {
			t.Fatal(err)
		}
		counters, err := st.Counters(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counters[results.FieldCompleted]-last < int64(k) {
			continue
		}
		last = counters[results.FieldCompleted]
		sum, _, _ := results.Audited(s, counters, k, "open", "en", pubs[max(0, len(pubs)-1):])
		pubs = append(pubs, results.Published{Counters: counters, Summary: sum})
	}
	return pubs
}
