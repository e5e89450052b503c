package release

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// StatusClosed is the status (bot.StatusClosed) on which a consultation
// gets its final release.
const StatusClosed = "closed"

// leaseTTL bounds how long a process that died while making a release
// keeps the others from making it.
const leaseTTL = 10 * time.Minute

// Service makes and reads the releases of every consultation.
type Service struct {
	Store *store.Store
	// Interval is Policy.Interval; 0 means DefaultInterval, a negative
	// value no interval at all (tests).
	Interval time.Duration
	// Scripts lists the consultations to watch (Run, Tick).
	Scripts func() []*dialogs.Script
	// K is the threshold of a script.
	K func(*dialogs.Script) int
	// Statuses gives the effective status of every script (Run, Tick).
	Statuses func(context.Context) (map[string]string, error)
	Logger   *slog.Logger
	Now      func() time.Time
	// AuditFields bounds the history a release can be audited with, as
	// one program, in counter fields (0: DefaultAuditFields). Every
	// release is audited with its whole history; a consultation makes no
	// more releases than fit (room), the last place kept for the final
	// release, and spaces them out as they fill it (spaced).
	AuditFields int
	// AuditGOGC, when positive, is the garbage collector's target
	// percentage while a release is made (process-wide; restored after).
	// `baraza serve` runs the hot path with a high GOGC (few collections,
	// a short tail) and the audit, whose live heap is hundreds of MB, at
	// 100, so its memory stays what it was (gcDuring).
	AuditGOGC int

	once   sync.Once
	holder string // this process's lease holder name
	mu     sync.Mutex
	cache  map[string]*Release // consultation -> latest release read
	redone map[string]*Release // "<id>/<number>/<script fingerprint>" -> re-audited
	// withheld is, per consultation, the release number last withheld
	// for want of room (withhold logs each once).
	withheld map[string]int
	prints   sync.Map // *dialogs.Script -> Fingerprint
	starts   sync.Map // consultation -> its DP calendar's stored start
}

// DefaultAuditFields is Service.AuditFields's default: a history of at
// most this many counter fields is audited as one program (about 120
// releases of a six-question consultation, 198 fields each; the previous
// release and the fourteen before it for community-safety, about 1,550).
// A consultation makes no more releases than fit (room). At 10,000
// respondents a community-safety release audited as one program with
// fifteen earlier releases takes 7-18 s, with 31 135-214 s and 4 GB
// (BenchmarkMakeHistory, 2 shared cores, load 1.2-4.8, 2026-12-05): the
// whole program grows faster than the history.
const DefaultAuditFields = 24000

// history is what release n is audited with, oldest first: every earlier
// release. A reader keeps every release, and a count shown now bounds
// every earlier release's count of the same cell (counters only grow),
// not just the previous one's: attacked all together, releases audited
// only with the previous one leaked small cells of releases long past
// (attack.TestDifferencingReleases). A release whose body was removed by
// hand is left out, and the log says so: its numbers are still out, but
// nothing here knows them (docs/privacy.md, "Audit").
func (s *Service) history(ctx context.Context, sc *dialogs.Script, prev *Release) ([]*Release, error) {
	if prev == nil {
		return nil, nil
	}
	var out []*Release
	const batch = 32
	for lo := 1; lo < prev.Number; lo += batch {
		ns := make([]int, 0, batch)
		for n := lo; n < min(lo+batch, prev.Number); n++ {
			ns = append(ns, n)
		}
		bodies, err := s.Store.ReleaseBodies(ctx, sc.ID, ns)
		if err != nil {
			return nil, fmt.Errorf("release: %w", err)
		}
		for i, b := range bodies {
			if b == nil {
				s.log().Warn("release audited without an earlier release: its body is missing", "consultation", sc.ID,
					"release", prev.Number+1, "missing", ns[i])
				continue
			}
			r, err := decodeRelease(s.Store, b)
			if err != nil {
				s.log().Warn("release audited without an earlier release: its body is unreadable", "consultation", sc.ID,
					"release", prev.Number+1, "unreadable", ns[i], "err", err)
				continue
			}
			out = append(out, s.forScript(sc, r))
		}
	}
	return append(out, prev), nil
}

// room is how many releases of sc the audit budget holds, counters of
// fields fields each: a history's releases never have more fields than
// its newest (counters only grow), so n releases fit when n × fields
// does. An over-estimate of the history's size, so a consultation stops
// early rather than late, and one that needs no earlier release read.
func (s *Service) room(fields int) int {
	return s.budget() / max(1, fields)
}

// spaced is the least time after release prev before the next one: the
// policy's interval, doubled for each release beyond half the room, so a
// long consultation's releases come further apart as its history fills
// the budget (with a 10-minute interval and room for 16: nine releases
// in the first 80 minutes, six more over the next 21 hours, the last on
// close) instead of using it up in an afternoon.
func (s *Service) spaced(interval time.Duration, prev *Release) time.Duration {
	if interval <= 0 || prev == nil {
		return interval
	}
	beyond := prev.Number - s.room(len(prev.Counters))/2
	if beyond <= 0 {
		return interval
	}
	shift := min(beyond, 16)
	if interval > math.MaxInt64>>shift {
		return math.MaxInt64 // the wait saturates; it must never wrap round
	}
	return interval << shift
}

// onlyFinal reports whether a consultation whose latest release is n, of
// fields counter fields, has room left for no release but the final one.
func (s *Service) onlyFinal(n, fields int) bool {
	return n+2 > s.room(fields)
}

func (s *Service) budget() int {
	if s.AuditFields <= 0 {
		return DefaultAuditFields
	}
	return s.AuditFields
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) interval() time.Duration {
	switch {
	case s.Interval == 0:
		return DefaultInterval
	case s.Interval < 0:
		return 0
	}
	return s.Interval
}

// Policy is the release policy of script sc.
func (s *Service) Policy(sc *dialogs.Script) Policy {
	k := privacy.DefaultK
	if s.K != nil {
		k = s.K(sc)
	}
	return Policy{K: max(k, privacy.MinK), Interval: s.interval()}
}

// State is what a reader needs: the latest release (nil before the first)
// and how many more completions the next one needs at least.
type State struct {
	Latest  *Release
	Pending int64
	// DP is true for a consultation that publishes with differential
	// privacy: its releases follow a calendar, Pending is 0 and says
	// nothing, and Next is when the next scheduled release is due (zero
	// when only the final one, on close, remains).
	DP   bool
	Next time.Time
	// OnClose is true when only the final release, made on close, can
	// come next: the audit budget (Service.AuditFields) has room for no
	// other release with the whole history. Pending is then 0 and says
	// nothing.
	OnClose bool
}

// Latest returns the latest release of consultation sc (nil before the
// first) and the live completion count. One round trip, plus one read of
// the release when it is newer than the one this process read last.
func (s *Service) Latest(ctx context.Context, sc *dialogs.Script) (State, error) {
	completed, count, head, err := s.Store.ReleaseState(ctx, sc.ID, results.FieldCompleted)
	if err != nil {
		return State{}, fmt.Errorf("release: %w", err)
	}
	pol := s.Policy(sc)
	var r *Release
	if head != nil && count > 0 {
		e, err := decodeEntry(head)
		if err != nil {
			return State{}, err
		}
		if r, err = s.body(ctx, sc.ID, e); err != nil {
			return State{}, err
		}
		r = s.forScript(sc, r)
	}
	if sc.DP != nil {
		// The live completion count must not show through: a DP
		// consultation's readers learn the calendar, not the count.
		cal, err := s.Calendar(ctx, sc)
		if err != nil {
			return State{}, err
		}
		st := State{Latest: r, DP: true}
		if r != nil {
			st.Next = cal.Next(&r.Entry, charged(r))
		} else {
			st.Next = cal.Next(nil, 0)
		}
		return st, nil
	}
	if r == nil {
		return State{Pending: pol.Pending(nil, completed)}, nil
	}
	if s.onlyFinal(r.Number, len(r.Counters)) {
		return State{Latest: r, OnClose: true}, nil
	}
	return State{Latest: r, Pending: pol.Pending(&r.Entry, completed)}, nil
}

// charged is how many DP releases the budget has paid for up to r.
func charged(r *Release) int {
	if r == nil || r.Ledger == nil {
		return 0
	}
	return len(r.Ledger.Charges)
}

// Calendar is the release calendar of DP consultation sc: it starts at
// the script's opening time, else when the consultation was first
// watched (kept once in Redis for every process, store.ReleaseCalendar);
// its period is publish.every, else the time from the start to the
// script's closing time shared by its releases, else
// dialogs.DefaultDPEvery, and never less than the release interval.
func (s *Service) Calendar(ctx context.Context, sc *dialogs.Script) (Calendar, error) {
	if sc.DP == nil {
		return Calendar{}, fmt.Errorf("release: %s does not publish with differential privacy", sc.ID)
	}
	start := sc.Opens.UTC()
	if sc.Opens.IsZero() {
		if v, ok := s.starts.Load(sc.ID); ok {
			start = v.(time.Time)
		} else {
			var err error
			if start, err = s.Store.ReleaseCalendar(ctx, sc.ID, s.now()); err != nil {
				return Calendar{}, fmt.Errorf("release: %w", err)
			}
			s.starts.Store(sc.ID, start)
		}
	}
	releases := max(sc.DP.Releases, 1)
	period := sc.DP.Every
	if period <= 0 {
		period = dialogs.DefaultDPEvery
		if !sc.Closes.IsZero() && sc.Closes.After(start) {
			period = max(sc.Closes.Sub(start)/time.Duration(releases), time.Minute).Truncate(time.Minute)
		}
	}
	period = max(period, s.interval())
	return Calendar{Start: start, Period: period, Slots: releases - 1}, nil
}

// forScript returns r as it may be shown with script sc. A release made
// with another version of the script (a reload added a question, an
// option, a segment) was not audited as sc renders it: it is audited
// again for sc, once per process, hiding at least what the release hid.
func (s *Service) forScript(sc *dialogs.Script, r *Release) *Release {
	fp, ok := s.prints.Load(sc)
	if !ok {
		fp, _ = s.prints.LoadOrStore(sc, Fingerprint(sc))
	}
	if r.Script == "" || r.Script == fp.(string) {
		return r
	}
	key := fmt.Sprintf("%s/%d/%s", sc.ID, r.Number, fp)
	s.mu.Lock()
	done := s.redone[key]
	s.mu.Unlock()
	if done != nil {
		return done
	}
	lang := "en"
	if len(sc.Languages) > 0 {
		lang = sc.Languages[0]
	}
	_, forced, _ := results.Audited(sc, r.Counters, r.K, "", lang, nil)
	for f, why := range r.Forced {
		if _, ok := forced[f]; !ok {
			forced[f] = why
		}
	}
	c := *r
	c.Forced = forced
	s.mu.Lock()
	if s.redone == nil {
		s.redone = make(map[string]*Release)
	}
	s.redone[key] = &c
	s.mu.Unlock()
	return &c
}

// body returns the release e names, from the cache when it holds it.
func (s *Service) body(ctx context.Context, id string, e *Entry) (*Release, error) {
	s.mu.Lock()
	c := s.cache[id]
	s.mu.Unlock()
	if c != nil && c.Number == e.Number && c.CreatedAt.Equal(e.CreatedAt) && c.Completions == e.Completions {
		return c, nil
	}
	b, err := s.Store.ReleaseBody(ctx, id, e.Number)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	r, err := decodeRelease(s.Store, b)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.cache == nil {
		s.cache = make(map[string]*Release)
	}
	s.cache[id] = r
	s.mu.Unlock()
	return r, nil
}

// Summary is what every reader shows of consultation sc: the summary of
// its latest release in lang, with the live status, or before the first
// release a summary that says so (release 0, every count null).
func (s *Service) Summary(ctx context.Context, sc *dialogs.Script, status, lang string) (results.Summary, error) {
	st, err := s.Latest(ctx, sc)
	if err != nil {
		return results.Summary{}, err
	}
	return s.SummaryOf(sc, st, status, lang), nil
}

// SummaryOf renders st (see Summary).
func (s *Service) SummaryOf(sc *dialogs.Script, st State, status, lang string) results.Summary {
	var sum results.Summary
	if st.Latest == nil {
		sum = Unreleased(sc, s.Policy(sc).K, status, lang)
		if st.DP {
			sum.Mode = results.ModeDP // how its releases will be protected
		}
	} else {
		sum = summary(sc, st.Latest, status, lang)
	}
	switch {
	case sum.Final && status == StatusClosed:
	case st.OnClose:
		// Neither a pending count nor a time: the next release is the
		// final one (readers say "on close").
	case st.DP:
		// No pending count: it would follow the true completions.
		if !st.Next.IsZero() {
			sum.NextReleaseAt = st.Next.UTC().Format(time.RFC3339)
		}
	default:
		p := st.Pending
		sum.Pending = &p
	}
	return sum
}

// Unreleased is the summary of a consultation before its first release:
// its whole shape, every count null.
func Unreleased(sc *dialogs.Script, k int, status, lang string) results.Summary {
	sum := results.Render(sc, map[string]int64{}, k, status, lang, nil)
	sum.Release = 0
	sum.Started, sum.Completed, sum.Declined = nil, nil, nil
	sum.StartedReason, sum.CompletedReason, sum.DeclinedReason = "", "", ""
	for i := range sum.Questions {
		q := &sum.Questions[i]
		q.Answered, q.AnsweredReason = nil, ""
		for j := range q.Options {
			q.Options[j].Count, q.Options[j].Suppressed, q.Options[j].Reason = nil, true, ""
		}
	}
	for i := range sum.Breakdowns {
		for j := range sum.Breakdowns[i].Cells {
			c := &sum.Breakdowns[i].Cells[j]
			c.Count, c.Suppressed, c.Reason = nil, true, ""
		}
	}
	sum.Weeks = nil
	return sum
}

// Make makes the next release of sc if it is due (Policy.Due), audited
// with the previous one; made is false when it was not due or another
// process made it first.
func (s *Service) Make(ctx context.Context, sc *dialogs.Script, status string) (made bool, err error) {
	completed, count, head, err := s.Store.ReleaseState(ctx, sc.ID, results.FieldCompleted)
	if err != nil {
		return false, fmt.Errorf("release: %w", err)
	}
	var prev *Release
	if head != nil && count > 0 {
		e, err := decodeEntry(head)
		if err != nil {
			return false, err
		}
		if prev, err = s.body(ctx, sc.ID, e); err != nil {
			return false, err
		}
		prev = s.forScript(sc, prev)
	}
	pol := s.Policy(sc)
	if sc.DP == nil {
		pol.Interval = s.spaced(pol.Interval, prev)
	}
	now := s.now()
	closing := status == StatusClosed
	if sc.DP == nil && !closing && prev != nil && s.onlyFinal(count, len(prev.Counters)) {
		// Only the final release fits (room): nothing until close. prev has
		// no more fields than the counters now (they only grow), so what
		// it rules out the counters would too. Said
		// here, from what was read already, so that no tick takes the
		// lease and reads every counter to find it out again.
		s.withhold(sc.ID, count+1, len(prev.Counters))
		return false, nil
	}
	var pe *Entry
	if prev != nil {
		pe = &prev.Entry
	}
	var cal Calendar
	if sc.DP != nil {
		// A DP consultation releases on its calendar, whatever the
		// number of completions (Calendar).
		if cal, err = s.Calendar(ctx, sc); err != nil {
			return false, err
		}
		if !cal.Due(pe, charged(prev), now, closing) {
			return false, nil
		}
	} else if !pol.Due(pe, completed, now, closing) {
		return false, nil
	}
	// One process audits at a time (the audit of a large consultation
	// with its previous release can take many seconds); the store's check
	// of the release number stays the guarantee. A holder that dies frees
	// the lease after leaseTTL.
	lease := "release." + sc.ID
	s.once.Do(func() { s.holder = fmt.Sprintf("%x", rand.Uint64()) })
	held, err := s.Store.AcquireLease(ctx, lease, s.holder, leaseTTL)
	if err != nil {
		return false, fmt.Errorf("release: %w", err)
	}
	if !held {
		return false, nil
	}
	defer func() { _ = s.Store.ReleaseLease(context.WithoutCancel(ctx), lease, s.holder) }()
	if s.AuditGOGC > 0 {
		defer gcDuring(s.AuditGOGC)()
	}
	counters, err := s.Store.Counters(ctx, sc.ID)
	if err != nil {
		return false, fmt.Errorf("release: %w", err)
	}
	// The counters may have moved since ReleaseState: decide on them
	// (a DP release's time does not depend on them).
	if sc.DP == nil && !pol.Due(pe, counters[results.FieldCompleted], now, closing) {
		return false, nil
	}
	var hist []*Release
	if sc.DP == nil {
		// The whole history, or no release: a release audited with part
		// of it may narrow a small hidden cell of one left out (attacked
		// all together, a cut history of 50 community-safety releases
		// left 764 hidden cells narrower than k and 7 pinned). Interim
		// releases stop where only the final one still fits; the final
		// release is audited whole whatever the budget: it is made once,
		// and its history is at most the room interim releases left it
		// (larger only by the counters added since). Checked again on the
		// counters as they are: new fields may have taken the room.
		if !closing && s.onlyFinal(count, len(counters)) {
			s.withhold(sc.ID, count+1, len(counters))
			return false, nil
		}
		if hist, err = s.history(ctx, sc, prev); err != nil {
			return false, err
		}
	}
	r, err := s.build(sc, pol.K, status, counters, prev, hist, now, closing, count+1)
	if err != nil {
		return false, err
	}
	texts, err := s.textBatch(ctx, sc, pol.K)
	if err != nil {
		return false, err
	}
	for q, b := range texts {
		if r.Texts == nil {
			r.Texts = make(map[string]int)
		}
		r.Texts[q] = len(b)
	}
	entry, body, err := bodyOf(s.Store, r)
	if err != nil {
		return false, fmt.Errorf("release: encode: %w", err)
	}
	made, err = s.Store.CreateRelease(ctx, sc.ID, r.Number, entry, body, texts)
	if err != nil {
		return false, fmt.Errorf("release: %w", err)
	}
	if made {
		s.mu.Lock()
		if s.cache == nil {
			s.cache = make(map[string]*Release)
		}
		s.cache[sc.ID] = r
		s.mu.Unlock()
		s.log().Info("release made", "consultation", sc.ID, "release", r.Number, "final", r.Final)
	}
	return made, nil
}

// gcDuring sets the collector's target percentage to pct until the
// returned function is called; overlapping calls share one setting, and
// the last to end restores what was there before the first.
func gcDuring(pct int) (restore func()) {
	gcMu.Lock()
	if gcDepth == 0 {
		gcSaved = debug.SetGCPercent(pct)
	}
	gcDepth++
	gcMu.Unlock()
	return func() {
		gcMu.Lock()
		gcDepth--
		if gcDepth == 0 {
			debug.SetGCPercent(gcSaved)
		}
		gcMu.Unlock()
	}
}

var (
	gcMu    sync.Mutex
	gcDepth int
	gcSaved int
)

// withhold logs, once per consultation and release number, that release
// n is not made because the audit budget has no room for it.
func (s *Service) withhold(id string, n, fields int) {
	s.mu.Lock()
	if s.withheld == nil {
		s.withheld = make(map[string]int)
	}
	seen := s.withheld[id] == n
	s.withheld[id] = n
	s.mu.Unlock()
	if seen {
		return
	}
	s.log().Warn("release withheld: only the final release, on close, fits the audit budget with the whole history", "consultation", id, "release", n, "fields", fields, "room", s.room(fields),
		"budget", s.budget(), "hint", "raise BARAZA_AUDIT_FIELDS (memory and time grow faster than the history)")
}

// textBatch is the free text a release lets out: per text question, every
// text waiting, if they come from at least k distinct completions (one
// completion's texts share one tag, however many it wrote); otherwise
// that question's texts wait for a later release.
func (s *Service) textBatch(ctx context.Context, sc *dialogs.Script, k int) (map[string][]store.PendingText, error) {
	out := make(map[string][]store.PendingText)
	for i := range sc.Questions {
		q := &sc.Questions[i]
		if q.Type != dialogs.TypeText {
			continue
		}
		pend, err := s.Store.PendingTexts(ctx, sc.ID, q.ID)
		if err != nil {
			return nil, fmt.Errorf("release: %w", err)
		}
		tags := make(map[string]bool, len(pend))
		for _, p := range pend {
			tags[p.Tag] = true
		}
		if len(tags) >= k {
			out[q.ID] = pend
		}
	}
	return out, nil
}

// build makes release number n from counters, audited with the earlier
// releases hist (oldest first, prev last); for a DP script (publish:
// {mode: dp}), its noise drawn and its ε charged instead (dp).
func (s *Service) build(sc *dialogs.Script, k int, status string, counters map[string]int64, prev *Release,
	hist []*Release, now time.Time, final bool, n int) (*Release, error) {
	if sc.DP != nil {
		return s.dp(sc, k, counters, prev, now, final, n)
	}
	lang := "en"
	if len(sc.Languages) > 0 {
		lang = sc.Languages[0]
	}
	var pubs []results.Published
	for _, h := range hist {
		pubs = append(pubs, results.Published{Counters: h.Counters, Summary: summary(sc, h, status, lang)})
	}
	_, forced, _ := results.Audited(sc, counters, k, status, lang, pubs)
	return &Release{
		Entry: Entry{Shape: Shape, Number: n, CreatedAt: now.UTC().Truncate(Grain),
			Completions: counters[results.FieldCompleted], K: k, Final: final, Mode: results.ModeSuppress},
		Counters: counters,
		Forced:   forced,
		Script:   Fingerprint(sc),
	}, nil
}

// dp makes DP release number n: it charges the release's share of the
// budget (sc.DP.PerRelease; the final release: all that is left) to the
// ledger carried from prev and draws the
// noise of every published counter once (results.Noisy, from
// crypto/rand). Every output of the release shows those noisy counts,
// officials' too: publishing exact suppressed tables beside noisy ones
// would let the noise narrow the hidden cells, and the suppressed tables
// have no ε to account for. A release that would take the ledger over the
// budget is refused (an error matching privacy.ErrOverBudget, saying how
// much is spent and left); nothing is stored, so the last release stays
// published.
func (s *Service) dp(sc *dialogs.Script, k int, counters map[string]int64, prev *Release,
	now time.Time, final bool, n int) (*Release, error) {
	ledger := &privacy.Ledger{Budget: sc.DP.Epsilon}
	if prev != nil && prev.Ledger != nil {
		ledger.Charges = slices.Clone(prev.Ledger.Charges)
	}
	share := sc.DP.PerRelease()
	if left := ledger.Left(); final && left.Cmp(share) > 0 {
		// The final release spends whatever the calendar left (more than
		// a share when the consultation closed early): its numbers are the
		// ones that last, and the budget left is no function of the data.
		share = left
	}
	if err := ledger.Charge(int64(n), share); err != nil {
		return nil, fmt.Errorf("release: %s: %w", sc.ID, err)
	}
	noisy, err := results.Noisy(sc, counters, share, privacy.NewNoise(nil))
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	noise := make(map[string]int64, len(noisy))
	for f, v := range noisy {
		noise[f] = v - max(counters[f], 0)
	}
	spent, each := float64(ledger.Spent().Micro())/1e6, float64(share.Micro())/1e6
	return &Release{
		Entry: Entry{Shape: Shape, Number: n, CreatedAt: now.UTC().Truncate(Grain),
			Completions: counters[results.FieldCompleted], K: k, Final: final, Mode: results.ModeDP,
			EpsilonSpent: &spent, Epsilon: &each},
		Counters: counters,
		Noise:    noise,
		Ledger:   ledger,
		Script:   Fingerprint(sc),
	}, nil
}

// Tick makes every release that is due, once.
func (s *Service) Tick(ctx context.Context) error {
	statuses := map[string]string{}
	if s.Statuses != nil {
		var err error
		if statuses, err = s.Statuses(ctx); err != nil {
			return fmt.Errorf("release: %w", err)
		}
	}
	var errs []error
	for _, sc := range s.Scripts() {
		if _, err := s.Make(ctx, sc, statuses[sc.ID]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", sc.ID, err))
		}
	}
	return errors.Join(errs...)
}

// Run calls Tick every period until ctx ends, logging failures once until
// the next success.
func (s *Service) Run(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	failing := false
	for {
		if err := s.Tick(ctx); err != nil {
			if !failing && ctx.Err() == nil {
				s.log().Warn("releases", "err", err)
			}
			failing = true
		} else {
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Log is the release log of sc, newest first.
func (s *Service) Log(ctx context.Context, sc *dialogs.Script) ([]Entry, error) {
	raw, err := s.Store.ReleaseLog(ctx, sc.ID)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	out := make([]Entry, 0, len(raw))
	for _, b := range raw {
		e, err := decodeEntry(b)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, nil
}
