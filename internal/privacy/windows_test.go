package privacy

import (
	"math/rand/v2"
	"testing"
)

// withReleases sets p.Release for a problem made by history: each
// publication adds the same number of cells.
func withReleases(p *Problem, n int) {
	per := len(p.Values) / n
	p.Release = make([]int, len(p.Values))
	for c := range p.Release {
		p.Release[c] = c / per
	}
}

// TestAuditWindows: on random histories of 5 to 12 publications, the
// audit by windows of 1 to 3 publications is sound: every finding of the
// whole program is one of its findings, every interval it reports lies
// inside the whole program's, and every witness it returns is a feasible
// point of the whole history (a fresh audit accepts each as a hint). It
// counts the findings the whole program does not make (over-suppression)
// and the witnesses, and given the first audit's witnesses as hints, a
// second audit by windows finds no more than the first.
func TestAuditWindows(t *testing.T) {
	const k = 5
	seeds := 60
	if raceOn {
		seeds = 6
	}
	var exactN, windowN, spurious, witnesses, cells int
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 23))
		n := 5 + rng.IntN(8)
		p := history(rng, n)
		p.Tables = nil
		withReleases(p, n)
		exact := Audit(k, p)
		exactF := verdicts(exact)
		exactI := make(map[int]Interval)
		for _, iv := range exact.Intervals {
			exactI[iv.Cell] = iv
		}
		for c := range p.Values {
			if !p.Shown[c] && p.Values[c] >= 1 && p.Values[c] < k {
				cells++
			}
		}
		for _, w := range []int{1, 2, 3} {
			q := *p
			q.Window = w
			rep := Audit(k, &q)
			if rep.Windows == 0 {
				t.Fatalf("seed %d window %d: no window program", seed, w)
			}
			got := verdicts(rep)
			for c, f := range exactF {
				if _, ok := got[c]; !ok {
					t.Errorf("seed %d window %d: cell %d: the whole program finds %s, the windows nothing", seed, w, c, f.String(p))
				}
			}
			for _, iv := range rep.Intervals {
				e, ok := exactI[iv.Cell]
				if ok && (iv.Lo < e.Lo || iv.Hi > e.Hi) {
					t.Errorf("seed %d window %d: cell %d: windows' interval [%d, %d] outside the whole program's [%d, %d]", seed, w, iv.Cell, iv.Lo, iv.Hi, e.Lo, e.Hi)
				}
			}
			for c := range got {
				if _, ok := exactF[c]; !ok {
					spurious++
				}
			}
			exactN += len(exactF)
			windowN += len(got)
			witnesses += len(rep.Witnesses)
			check := *p
			check.Hints = rep.Witnesses
			if used := Audit(k, &check).HintsUsed; used != len(rep.Witnesses) {
				t.Errorf("seed %d window %d: %d of %d witnesses feasible for the whole program", seed, w, used, len(rep.Witnesses))
			}
			q.Hints = rep.Witnesses
			again := verdicts(Audit(k, &q))
			for c, f := range again {
				if _, ok := got[c]; !ok {
					t.Errorf("seed %d window %d: with its own witnesses the windows find %s", seed, w, f.String(p))
				}
			}
		}
	}
	t.Logf("%d small hidden cells; findings: whole program %d, windows %d (%d the whole program does not make); %d witnesses", cells, exactN, windowN, spurious, witnesses)
}
