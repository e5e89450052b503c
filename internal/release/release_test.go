package release_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/attack"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func TestPolicyDue(t *testing.T) {
	pol := release.Policy{K: 5, Interval: 10 * time.Minute}
	prev := &release.Entry{Number: 1, CreatedAt: t0, Completions: 20}
	tests := []struct {
		name      string
		prev      *release.Entry
		completed int64
		now       time.Time
		closing   bool
		want      bool
		pending   int64
	}{
		{"nothing yet", nil, 0, t0, false, false, 5},
		{"first needs k", nil, 4, t0, false, false, 1},
		{"first at k", nil, 5, t0, false, true, 0},
		{"first ignores interval", nil, 7, t0, false, true, 0},
		{"closing with fewer than k", nil, 4, t0, true, false, 1},
		{"k-1 new", prev, 24, t0.Add(time.Hour), false, false, 1},
		{"k new, too soon", prev, 25, t0.Add(10 * time.Minute), false, false, 0},
		{"k new, interval counted from the end of the minute", prev, 25, t0.Add(10*time.Minute + 59*time.Second), false, false, 0},
		{"k new, interval passed", prev, 25, t0.Add(11 * time.Minute), false, true, 0},
		{"k new on close, no wait", prev, 25, t0.Add(time.Second), true, true, 0},
		{"k-1 new on close", prev, 24, t0.Add(time.Hour), true, false, 1},
		{"counters went back", prev, 3, t0.Add(time.Hour), false, false, 5},
		{"after a final release, more on close", &release.Entry{Number: 2, CreatedAt: t0, Completions: 20, Final: true}, 25, t0, true, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := pol.Due(tc.prev, tc.completed, tc.now, tc.closing); got != tc.want {
				t.Errorf("Due = %v, want %v", got, tc.want)
			}
			if got := pol.Pending(tc.prev, tc.completed); got != tc.pending {
				t.Errorf("Pending = %d, want %d", got, tc.pending)
			}
		})
	}
	// k below the floor is raised.
	if (release.Policy{K: 0}).Due(nil, int64(privacy.MinK)-1, t0, true) {
		t.Errorf("a release below privacy.MinK completions")
	}
}

func loadScript(t testing.TB, file string) *dialogs.Script {
	t.Helper()
	s, err := attack.Script(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// env is a consultation on a real Redis with a population to complete.
type env struct {
	st     *store.Store
	prefix string
	sc     *dialogs.Script
	pop    *attack.Population
	done   int
	now    time.Time
	mu     sync.Mutex
}

func newEnv(t testing.TB, file string, n int, opt store.Options) *env {
	srv := redistest.Start(t)
	rdb := srv.Client()
	opt.Prefix = srv.Prefix + "baraza:"
	sc := loadScript(t, file)
	e := &env{st: store.New(rdb, opt), prefix: opt.Prefix, sc: sc, now: t0}
	e.pop = attack.Generate(rand.New(rand.NewPCG(uint64(n), 3)), sc, n, 5)
	return e
}

// complete makes m more respondents of the population complete, through
// store.Apply as the router does.
func (e *env) complete(t testing.TB, m int) {
	t.Helper()
	ctx := context.Background()
	for range m {
		a := e.pop.Answers[e.done]
		e.done++
		if _, err := e.st.Apply(ctx, store.Completion{Consultation: e.sc.ID, Key: fmt.Sprintf("s%d", e.done),
			Incr: []string{results.FieldStarted}}); err != nil {
			t.Fatal(err)
		}
		texts := map[string]string{}
		for id, ans := range a {
			if ans.Text != "" && e.sc.Question(id) != nil && e.sc.Question(id).Type == dialogs.TypeText {
				texts[id] = ans.Text
			}
		}
		if _, err := e.st.Apply(ctx, store.Completion{Consultation: e.sc.ID, Key: fmt.Sprintf("c%d", e.done),
			Incr: results.Increments(e.sc, a, ""), Texts: texts}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *env) service() *release.Service {
	return &release.Service{Store: e.st, Now: e.clock, Scripts: func() []*dialogs.Script { return []*dialogs.Script{e.sc} },
		K: func(*dialogs.Script) int { return 5 }}
}

// TestReleases walks a consultation through its releases on a real Redis:
// none before k completions, then one per k new completions and interval,
// the summary frozen between releases, a final one on close.
func TestReleases(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 60, store.Options{CounterKey: []byte("0123456789abcdef0123456789abcdef")})
	svc := e.service()

	sum, err := svc.Summary(ctx, e.sc, "open", "en")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Release != 0 || sum.Completed != nil || sum.Pending == nil || *sum.Pending != 5 {
		t.Fatalf("before any completion: release %d completed %v pending %v", sum.Release, sum.Completed, sum.Pending)
	}
	e.complete(t, 4)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || made {
		t.Fatalf("4 completions: made %v, %v", made, err)
	}
	e.complete(t, 3)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("7 completions: made %v, %v", made, err)
	}
	sum, _ = svc.Summary(ctx, e.sc, "open", "en")
	if sum.Release != 1 || sum.Completed == nil || *sum.Completed != 7 || sum.ReleasedAt != "2026-03-02T09:30:00Z" {
		t.Fatalf("release 1: release %d completed %v at %q", sum.Release, sum.Completed, sum.ReleasedAt)
	}
	if sum.Mode != results.ModeSuppress || sum.Pending == nil || *sum.Pending != 5 {
		t.Fatalf("release 1: mode %q pending %v", sum.Mode, sum.Pending)
	}
	frozen := sum

	// More completions, enough for k but too soon: nothing moves, the
	// pending count goes down.
	e.complete(t, 6)
	e.advance(5 * time.Minute)
	if made, _ := svc.Make(ctx, e.sc, "open"); made {
		t.Fatalf("a release before the interval")
	}
	sum, _ = svc.Summary(ctx, e.sc, "open", "en")
	if sum.Release != 1 || *sum.Completed != 7 || *sum.Pending != 0 || js(sum.Questions) != js(frozen.Questions) {
		t.Fatalf("between releases the summary moved: release %d completed %d pending %d", sum.Release, *sum.Completed, *sum.Pending)
	}
	e.advance(6 * time.Minute)
	if made, _ := svc.Make(ctx, e.sc, "open"); !made {
		t.Fatalf("no release after k completions and the interval")
	}
	// A second process (its own cache) reads the same release.
	other := e.service()
	sum2, err := other.Summary(ctx, e.sc, "open", "en")
	if err != nil {
		t.Fatal(err)
	}
	sum, _ = svc.Summary(ctx, e.sc, "open", "en")
	if sum.Release != 2 || *sum.Completed != 13 || js(sum) != js(sum2) {
		t.Fatalf("release 2: %d completed %v; other process sees release %d", sum.Release, sum.Completed, sum2.Release)
	}
	// Close with fewer than k new: no final release; with k: one, at once.
	e.complete(t, 4)
	if made, _ := svc.Make(ctx, e.sc, "closed"); made {
		t.Fatalf("a final release with k-1 new completions")
	}
	e.complete(t, 1)
	if made, _ := svc.Make(ctx, e.sc, "closed"); !made {
		t.Fatalf("no final release on close")
	}
	sum, _ = svc.Summary(ctx, e.sc, "closed", "en")
	if sum.Release != 3 || !sum.Final || sum.Pending != nil || *sum.Completed != 18 {
		t.Fatalf("final release: %d final %v pending %v completed %v", sum.Release, sum.Final, sum.Pending, sum.Completed)
	}
	log, err := svc.Log(ctx, e.sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 || log[0].Number != 3 || log[2].Number != 1 || log[0].Completions-log[1].Completions < 5 {
		t.Fatalf("release log: %+v", log)
	}
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestRace: several processes (services with their own caches) try to
// make releases at once, again and again, while completions arrive: every
// release number is made once, and consecutive releases are at least k
// completions apart.
func TestRace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 80, store.Options{})
	svcs := []*release.Service{e.service(), e.service(), e.service()}
	for _, s := range svcs {
		s.Interval = -1
	}
	made := make([]int, len(svcs))
	for round := range 16 {
		e.complete(t, 5)
		var wg sync.WaitGroup
		for i, s := range svcs {
			wg.Go(func() {
				ok, err := s.Make(ctx, e.sc, "open")
				if err != nil {
					t.Error(err)
				}
				if ok {
					made[i]++
				}
			})
		}
		wg.Wait()
		_ = round
	}
	log, err := svcs[0].Log(ctx, e.sc)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, m := range made {
		total += m
	}
	if total != len(log) || len(log) != 16 {
		t.Fatalf("%d releases reported made, %d in the log, want 16", total, len(log))
	}
	for i, en := range log {
		if en.Number != len(log)-i {
			t.Fatalf("log entry %d is release %d", i, en.Number)
		}
		if i+1 < len(log) && en.Completions-log[i+1].Completions < 5 {
			t.Fatalf("releases %d and %d differ by %d completions", en.Number, log[i+1].Number, en.Completions-log[i+1].Completions)
		}
	}
	t.Logf("16 rounds, 3 processes racing: releases made per process %v", made)
}

// TestAuditedWithPrevious: each release passes the auditor together with
// the one before it.
func TestAuditedWithPrevious(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 60, store.Options{})
	svc := e.service()
	svc.Interval = -1
	var pubs []results.Published
	for range 8 {
		e.complete(t, 5+len(pubs)%3)
		if _, err := svc.Make(ctx, e.sc, "open"); err != nil {
			t.Fatal(err)
		}
		st, err := svc.Latest(ctx, e.sc)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, results.Published{Counters: st.Latest.Counters, Summary: svc.SummaryOf(e.sc, st, "open", "en")})
	}
	for i := 1; i < len(pubs); i++ {
		p, _ := results.Model(e.sc, pubs[i-1:i+1])
		rep := privacy.Audit(5, p)
		for _, f := range rep.Findings {
			t.Errorf("releases %d and %d: %s", i, i+1, f.String(p))
		}
	}
}

// BenchmarkMake is the cost of making one release of the largest bundled
// consultation (read the state, the counters and the history, audit with
// the earlier releases, store) by the number of completions it covers: the
// work is in the cells, not in the responses. The release measured is the
// fourth, 5 completions after the third, audited with the earlier ones
// within 4,000 fields (the default until the sparse auditor: the two
// before it) and within DefaultAuditFields (all three).
func BenchmarkMake(b *testing.B) {
	for _, n := range []int{100, 10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			e := newEnv(b, "community-safety.yaml", n, store.Options{})
			e.complete(b, n-15)
			for range 3 {
				svc := e.service()
				svc.Interval = -1
				if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
					b.Fatalf("made %v: %v", made, err)
				}
				e.complete(b, 5)
			}
			for _, h := range []struct {
				name   string
				fields int
			}{{"4000", 4000}, {"default", 0}} {
				b.Run("fields="+h.name, func(b *testing.B) {
					svc := e.service()
					svc.Interval = -1
					svc.AuditFields = h.fields
					rdb := e.st.Client()
					tag := e.prefix + "{c:" + e.sc.ID + "}"
					setup0, search0 := privacy.Pivots()
					for b.Loop() {
						if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
							b.Fatalf("made %v: %v", made, err)
						}
						b.StopTimer()
						// Undo release 4 and forget it, so the next round
						// makes it again from the same state.
						if err := rdb.LPop(ctx, tag+":rl").Err(); err != nil {
							b.Fatal(err)
						}
						if err := rdb.Del(ctx, tag+":r:4").Err(); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					// The auditor's simplex pivots per release: its work,
					// measured without the noise of a shared machine.
					setup, search := privacy.Pivots()
					b.ReportMetric(float64(setup-setup0)/float64(b.N), "setup-pivots/op")
					b.ReportMetric(float64(search-search0)/float64(b.N), "search-pivots/op")
				})
			}
		})
	}
}

// BenchmarkMakeHistory is the cost of making a release of the largest
// bundled consultation at 10,000 completions audited with every earlier
// release (3, 4, 5 and 7 of them, 5 completions apart), and how many counter
// fields that history holds: what raising BARAZA_AUDIT_FIELDS costs. The
// release measured and the earlier ones are each audited with their whole
// history, whatever the default budget (the setup grows fast beyond 15).
func BenchmarkMakeHistory(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	e := newEnv(b, "community-safety.yaml", n, store.Options{})
	made := 0
	ends := []int{4, 5, 6, 8}
	if s := os.Getenv("BARAZA_BENCH_EARLIER"); s != "" {
		// More history: BARAZA_BENCH_EARLIER=7,15,31 (each run adds the
		// releases up to it).
		ends = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				b.Fatalf("BARAZA_BENCH_EARLIER: %q", s)
			}
			ends = append(ends, n+1)
		}
	}
	// Room for the releases, 5 completions apart, within n.
	e.complete(b, n-5*(slices.Max(ends)+1))
	for _, r := range ends {
		for ; made < r-1; made++ {
			svc := e.service()
			svc.Interval = -1
			// Each earlier release audited whole too: within the default
			// budget a consultation this size makes at most 15 (room).
			svc.AuditFields = 1 << 30
			if ok, err := svc.Make(ctx, e.sc, "open"); err != nil || !ok {
				b.Fatalf("made %v: %v", ok, err)
			}
			e.complete(b, 5)
		}
		b.Run(fmt.Sprintf("earlier=%d", r-1), func(b *testing.B) {
			svc := e.service()
			svc.Interval = -1
			svc.AuditFields = 1 << 30
			rdb := e.st.Client()
			tag := e.prefix + "{c:" + e.sc.ID + "}"
			var fields int
			ns := make([]int, r-1)
			for i := range ns {
				ns[i] = i + 1
			}
			bodies, err := e.st.ReleaseBodies(ctx, e.sc.ID, ns)
			if err != nil {
				b.Fatal(err)
			}
			for _, body := range bodies {
				var rel release.Release
				if err := json.Unmarshal(body, &rel); err != nil {
					b.Fatal(err)
				}
				fields += len(rel.Counters)
			}
			setup0, search0 := privacy.Pivots()
			forced := 0
			for b.Loop() {
				if ok, err := svc.Make(ctx, e.sc, "open"); err != nil || !ok {
					b.Fatalf("made %v: %v", ok, err)
				}
				b.StopTimer()
				st, err := svc.Latest(ctx, e.sc)
				if err != nil || st.Latest == nil || st.Latest.Number != r {
					b.Fatalf("latest %+v: %v", st.Latest, err)
				}
				forced = len(st.Latest.Forced)
				if err := rdb.LPop(ctx, tag+":rl").Err(); err != nil {
					b.Fatal(err)
				}
				if err := rdb.Del(ctx, fmt.Sprintf("%s:r:%d", tag, r)).Err(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			setup, search := privacy.Pivots()
			b.ReportMetric(float64(fields), "history-fields")
			// Fields hidden beyond the small cells' own rule: what the
			// audit with the whole history cost in counts.
			b.ReportMetric(float64(forced), "forced-fields")
			b.ReportMetric(float64(setup-setup0)/float64(b.N), "setup-pivots/op")
			b.ReportMetric(float64(search-search0)/float64(b.N), "search-pivots/op")
		})
	}
}

// TestTextBatch: free text goes out with a release, only once the texts
// waiting come from at least k distinct completions; one completion's
// texts count once.
func TestTextBatch(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 30, store.Options{})
	svc := e.service()
	svc.Interval = -1
	apply := func(key string, comment string) {
		t.Helper()
		a := dialogs.Answers{"area": {Options: []string{"north"}}, "comment": {Text: comment}}
		if _, err := e.st.Apply(ctx, store.Completion{Consultation: "six", Key: key,
			Incr: results.Increments(e.sc, a, ""), Texts: results.TextAnswers(e.sc, a)}); err != nil {
			t.Fatal(err)
		}
	}
	texts := func() []string {
		t.Helper()
		got, err := e.st.Texts(ctx, "six", "comment")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// Four people comment, a fifth does not: release 1 has 5 completions
	// but the comments of 4: they wait.
	for i := range 4 {
		apply(fmt.Sprint("a", i), fmt.Sprint("comment ", i))
	}
	apply("a4", "")
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("release 1: %v %v", made, err)
	}
	if got := texts(); len(got) != 0 {
		t.Fatalf("4 comments released with release 1: %q", got)
	}
	// Five more completions, one of them commenting: 5 distinct commenters
	// wait, and release 2 lets all 5 comments out.
	apply("b0", "the fifth comment")
	for i := 1; i < 5; i++ {
		apply(fmt.Sprint("b", i), "")
	}
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("release 2: %v %v", made, err)
	}
	if got := texts(); len(got) != 5 {
		t.Fatalf("release 2 released %q, want the 5 comments", got)
	}
	log, _ := svc.Log(ctx, e.sc)
	if log[0].Texts["comment"] != 5 || log[1].Texts != nil {
		t.Errorf("release log texts: %v then %v", log[1].Texts, log[0].Texts)
	}
	// One completion's texts are tagged together: 4 more comments from 4
	// people wait even after 5 more completions.
	for i := range 4 {
		apply(fmt.Sprint("c", i), fmt.Sprint("late ", i))
	}
	apply("c4", "")
	if made, _ := svc.Make(ctx, e.sc, "open"); !made {
		t.Fatalf("release 3 not made")
	}
	if got := texts(); len(got) != 5 {
		t.Fatalf("release 3 released comments of 4: %q", got)
	}
	pend, err := e.st.PendingTexts(ctx, "six", "comment")
	if err != nil || len(pend) != 4 {
		t.Fatalf("pending: %v %v", pend, err)
	}
}

// TestScriptChanged: a reload may add a segment or an option to a
// consultation under way; its latest release, made with the old script,
// is shown with the new one only after an audit for it.
func TestScriptChanged(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 52, store.Options{})
	svc := e.service()
	e.complete(t, 52)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("release: %v %v", made, err)
	}
	changed := loadScript(t, "six.yaml")
	for i := range changed.Questions {
		if changed.Questions[i].ID == "community" {
			changed.Questions[i].Segment = true
		}
	}
	if release.Fingerprint(changed) == release.Fingerprint(e.sc) {
		t.Fatal("a new segment does not change the fingerprint")
	}
	st, err := svc.Latest(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	sum := svc.SummaryOf(changed, st, "open", "en")
	p, _ := results.Model(changed, []results.Published{{Counters: st.Latest.Counters, Summary: sum}})
	rep := privacy.Audit(5, p)
	for _, f := range rep.Findings {
		t.Errorf("release shown with the changed script leaks: %s", f.String(p))
	}
	// The release as made, shown with the changed script unaudited, would
	// not pass: the new segment's breakdowns read 0 against its marginal.
	raw := results.Render(changed, st.Latest.Counters, 5, "open", "en", nil)
	p, _ = results.Model(changed, []results.Published{{Counters: st.Latest.Counters, Summary: raw}})
	unaudited := len(privacy.Audit(5, p).Findings)
	if unaudited == 0 {
		t.Errorf("the unaudited render passes too: the test shows nothing")
	}
	t.Logf("unaudited render with the changed script: %d findings; audited: %d", unaudited, len(rep.Findings))
}

// TestHistoryGone: a release body of the history removed by hand (or one
// that no longer decodes) does not stop new releases: the next one is
// audited with what is left and made.
func TestHistoryGone(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 40, store.Options{})
	svc := e.service()
	svc.Interval = -1
	for r := 1; r <= 3; r++ {
		e.complete(t, 5)
		if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
			t.Fatalf("release %d: made %v, %v", r, made, err)
		}
	}
	rdb := e.st.Client()
	tag := e.prefix + "{c:" + e.sc.ID + "}"
	if err := rdb.Set(ctx, tag+":r:2", "not a release", 0).Err(); err != nil {
		t.Fatal(err)
	}
	e.complete(t, 5)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("release 4 with a broken history: made %v, %v", made, err)
	}
	// And one missing just behind the previous release.
	if n, err := rdb.Del(ctx, tag+":r:3").Result(); err != nil || n != 1 {
		t.Fatalf("delete release 3's body: %d, %v", n, err)
	}
	e.complete(t, 5)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("release 5 with a missing history: made %v, %v", made, err)
	}
	log, err := svc.Log(ctx, e.sc)
	if err != nil || len(log) != 5 || log[0].Completions != 25 {
		t.Fatalf("log %v, %v", log, err)
	}
}

// TestHistoryWithheld: a release is made only when it and the final one
// fit the audit budget with the whole history (n × the counter fields of
// the newest); beyond, interim releases are withheld (logged once per
// release number), readers are told the next update comes on close, and
// the final release is still made on close. No release is ever audited
// with part of its history (the cut this replaces left 764 hidden cells
// narrower than k, attacked all together).
func TestHistoryWithheld(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 80, store.Options{})
	var buf bytes.Buffer
	svc := e.service()
	svc.Interval = -1
	svc.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	e.complete(t, 6)
	first, err := e.st.Counters(ctx, e.sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Room for about four releases of the first one's size.
	svc.AuditFields = 4*len(first) + len(first)/2
	made := 0
	withheld := false
	for round := 0; round < 8 && !withheld; round++ {
		if round > 0 {
			e.complete(t, 6)
		}
		counters, err := e.st.Counters(ctx, e.sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		room := svc.AuditFields / len(counters)
		want := made+2 <= room // this one and the final must fit
		withheld = !want
		for range 2 { // a second tick changes nothing and logs nothing more
			got, err := svc.Make(ctx, e.sc, "open")
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("release %d with room for %d: made %v, want %v", made+1, room, got, want)
			}
			if got {
				made++
				want = false // the second tick has no new completions
			}
		}
	}
	if !withheld || made < 2 {
		t.Fatalf("made %d releases and never reached the budget", made)
	}
	if n := strings.Count(buf.String(), "release withheld"); n != 1 {
		t.Errorf("%d 'release withheld' lines, want 1 (once per release number):\n%s", n, buf.String())
	}
	st, err := svc.Latest(ctx, e.sc)
	if err != nil {
		t.Fatal(err)
	}
	if !st.OnClose || st.Pending != 0 {
		t.Errorf("state after the budget: OnClose %v, Pending %d; want the next update on close", st.OnClose, st.Pending)
	}
	sum := svc.SummaryOf(e.sc, st, "open", "en")
	if sum.Pending != nil || sum.NextReleaseAt != "" {
		t.Errorf("summary promises an update before close: pending %v, next %q", sum.Pending, sum.NextReleaseAt)
	}
	// On close, the final release takes the place kept for it.
	got, err := svc.Make(ctx, e.sc, release.StatusClosed)
	if err != nil || !got {
		t.Fatalf("final release: made %v, %v", got, err)
	}
	st, err = svc.Latest(ctx, e.sc)
	if err != nil || st.Latest == nil || !st.Latest.Final || st.Latest.Number != made+1 {
		t.Fatalf("final release: %+v, %v", st.Latest, err)
	}
}

// TestSpacedInterval: beyond half the room the audit budget has, the
// least time between two releases doubles with each release, so a long
// consultation's releases spread out instead of filling the budget in an
// afternoon.
func TestSpacedInterval(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 80, store.Options{})
	svc := e.service()
	svc.Interval = 10 * time.Minute
	e.complete(t, 6)
	first, err := e.st.Counters(ctx, e.sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	svc.AuditFields = 8 * len(first) * 2 // room for 8 even if the counters double
	var waits []time.Duration
	for n := 1; n <= 6; n++ {
		if n > 1 {
			e.complete(t, 6)
		}
		start := e.clock()
		for {
			made, err := svc.Make(ctx, e.sc, "open")
			if err != nil {
				t.Fatal(err)
			}
			if made {
				break
			}
			if e.clock().Sub(start) > 48*time.Hour {
				t.Fatalf("release %d not made within 48 h", n)
			}
			e.advance(time.Minute)
		}
		waits = append(waits, e.clock().Sub(start))
	}
	counters, _ := e.st.Counters(ctx, e.sc.ID)
	half := svc.AuditFields / len(counters) / 2
	// waits[0] is the first release (no interval); release n+1 waits the
	// interval after release n, doubled once per release beyond half the room.
	for i := 1; i < len(waits); i++ {
		beyond := i - half
		want := 10 * time.Minute
		if beyond > 0 {
			want <<= beyond
		}
		if waits[i] < want || waits[i] > want+2*time.Minute {
			t.Errorf("release %d came %v after the one before, want about %v (room half %d)", i+1, waits[i], want, half)
		}
	}
}

// TestHistoryMissingBody: every release is audited with its whole
// history; one whose earlier release's body was removed by hand is made
// without it (nothing here knows those numbers) and the log says which.
func TestHistoryMissingBody(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 60, store.Options{})
	var buf bytes.Buffer
	svc := e.service()
	svc.Interval = -1
	svc.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	for range 5 {
		e.complete(t, 6)
		if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
			t.Fatalf("made %v: %v", made, err)
		}
	}
	if strings.Contains(buf.String(), "without an earlier release") {
		t.Errorf("a release audited without an earlier one:\n%s", buf.String())
	}
	if err := e.st.Client().Del(ctx, e.prefix+"{c:"+e.sc.ID+"}:r:2").Err(); err != nil {
		t.Fatal(err)
	}
	e.complete(t, 6)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("made %v: %v", made, err)
	}
	if !strings.Contains(buf.String(), "missing=2") {
		t.Errorf("a release audited without release 2, removed by hand, does not say so:\n%s", buf.String())
	}
}

// TestGCDuring: while a release is made the collector runs at AuditGOGC,
// overlapping makers share the setting, and the last to end restores the
// process's own.
func TestGCDuring(t *testing.T) {
	old := debug.SetGCPercent(1600)
	defer debug.SetGCPercent(old)
	end1 := release.GCDuring(100)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("during: %d, want 100", got)
	}
	end2 := release.GCDuring(100)
	end1()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after the first of two ended: %d, want 100", got)
	}
	end2()
	if got := debug.SetGCPercent(1600); got != 1600 {
		t.Fatalf("after both: %d, want the process's 1600 back", got)
	}

	// Through Make: AuditGOGC while the release is made (read when Make
	// logs it), the process's own setting after.
	ctx := context.Background()
	e := newEnv(t, "six.yaml", 20, store.Options{})
	svc := e.service()
	svc.Interval = -1
	svc.AuditGOGC = 100
	during := gcAtLog{}
	svc.Logger = slog.New(&during)
	e.complete(t, 6)
	if made, err := svc.Make(ctx, e.sc, "open"); err != nil || !made {
		t.Fatalf("made %v: %v", made, err)
	}
	if during.made != 100 {
		t.Errorf("while the release was made the collector ran at %d, want AuditGOGC 100", during.made)
	}
	if got := debug.SetGCPercent(1600); got != 1600 {
		t.Errorf("after Make: %d, want 1600 restored", got)
	}
}

// gcAtLog is a slog handler that notes the collector's setting when the
// "release made" line is logged.
type gcAtLog struct{ made int }

func (h *gcAtLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *gcAtLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "release made" {
		h.made = debug.SetGCPercent(-1)
		debug.SetGCPercent(h.made)
	}
	return nil
}
func (h *gcAtLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *gcAtLog) WithGroup(string) slog.Handler      { return h }

// TestSpacedLongInterval: doubling a long interval never wraps around. A
// two-day interval doubled sixteen times is past what a time.Duration
// holds; it used to come out negative, which the policy reads as "no
// wait", so every tick made a release until the budget was spent.
func TestSpacedLongInterval(t *testing.T) {
	svc := &release.Service{AuditFields: 100}
	for _, tc := range []struct {
		interval time.Duration
		number   int
	}{
		{10 * time.Minute, 50},
		{48 * time.Hour, 50},
		{365 * 24 * time.Hour, 20},
		{time.Duration(math.MaxInt64 / 2), 11},
	} {
		prev := &release.Release{Entry: release.Entry{Number: tc.number}, Counters: map[string]int64{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1, "h": 1, "i": 1, "j": 1}}
		got := release.Spaced(svc, tc.interval, prev)
		// Room for 10: release n waits the interval doubled n-5 times
		// (at most 16), or the longest wait there is.
		want := time.Duration(math.MaxInt64)
		if shift := min(tc.number-5, 16); tc.interval <= math.MaxInt64>>shift {
			want = tc.interval << shift
		}
		if got != want || got < tc.interval {
			t.Errorf("interval %v after release %d: spaced to %v, want %v", tc.interval, tc.number, got, want)
		}
	}
}
