// Package release makes and reads releases: frozen, audited snapshots of a
// consultation that every reader (API summary, exports, dashboard, public
// page, live view, chat /results and /stats) shows instead of the live
// counters.
//
// A release is made only when at least k completions have arrived since
// the previous one (the first once there are k) and at least
// Policy.Interval has passed since it, or on close (then without waiting
// for the interval, still only with k new completions). So two consecutive
// releases never differ by fewer than k people. Before it is stored, the
// release's summary is audited together with the previous release
// (results.Audited with prev: the difference of two releases is itself a
// table), hiding more until the auditor agrees.
//
// Releases live in Redis on the consultation's slot (store.CreateRelease):
// every process of a deployment reads the same ones, and creation is one
// script that makes release n only right after n-1, so two replicas racing
// make one release n. Each `baraza serve` runs Service.Run, which costs one
// round trip per consultation per tick while nothing is due.
package release

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// Shape is the version of the stored JSON of a release. Fields may be
// added (DP noise, text batches) without changing it; a reader refuses a
// shape newer than it knows.
const Shape = 1

// Grain is the precision of a release's time: a release dates a batch of
// at least k completions, never one person, and no finer than the
// minute (like status changes).
const Grain = time.Minute

// DefaultInterval is the least time between two releases unless the
// consultation closes (BARAZA_RELEASE_INTERVAL).
const DefaultInterval = 10 * time.Minute

// Entry is one line of the release log: what anyone may know about a
// release without reading it.
type Entry struct {
	Shape  int `json:"v"`
	Number int `json:"number"`
	// CreatedAt is when the release was made, truncated to Grain, UTC.
	CreatedAt time.Time `json:"created_at"`
	// Completions is how many completed responses the release covers.
	Completions int64 `json:"completions"`
	// K is the threshold the release was made with.
	K int `json:"k"`
	// Final is true for the release made on close.
	Final bool `json:"final,omitempty"`
	// Mode is results.ModeSuppress or results.ModeDP; EpsilonSpent is the
	// privacy budget used by every release up to this one and Epsilon
	// what this release spent of it (dp only).
	Mode         string   `json:"mode"`
	EpsilonSpent *float64 `json:"epsilon_spent,omitempty"`
	Epsilon      *float64 `json:"epsilon,omitempty"`
	// Texts is how many free-text answers this release's batch released,
	// per question (absent: none).
	Texts map[string]int `json:"texts,omitempty"`
}

// Release is a whole release: its log entry, the counters it was made
// from and the fields the audit hid beyond Build's own rules. Its summary
// is results.Render of these in any language (Summary).
type Release struct {
	Entry
	// Counters are the consultation's counters when the release was made.
	// They are never shown: Summary shows what the audit allows.
	Counters map[string]int64 `json:"counters"`
	// Forced are the counter fields hidden beyond Build's own rules, with
	// their reasons (results.Audited).
	Forced map[string]string `json:"forced,omitempty"`
	// Script is the script's fingerprint when the release was made.
	Script string `json:"script,omitempty"`
	// Noise is, in dp mode, the noise drawn once for this release per
	// published counter field (results.Noisy, after its post-processing):
	// what is shown is Counters plus Noise, for the fields in Noise only.
	// Absent otherwise.
	Noise map[string]int64 `json:"noise,omitempty"`
	// Ledger is, in dp mode, the consultation's ε account after this
	// release: the budget and what each release spent (exact decimals).
	Ledger *privacy.Ledger `json:"ledger,omitempty"`
}

// noisy is what a DP release shows: Counters plus Noise, field by field.
func (r *Release) noisy() map[string]int64 {
	out := make(map[string]int64, len(r.Noise))
	for f, d := range r.Noise {
		out[f] = max(r.Counters[f], 0) + d
	}
	return out
}

// Policy says when a release is due.
type Policy struct {
	K        int           // at least this many new completions (raised to privacy.MinK)
	Interval time.Duration // at least this long since the previous release, unless closing
}

// Due reports whether a release should be made now: completed is the live
// number of completions, prev the latest release (nil: none yet), closing
// whether the consultation is closed (the final release does not wait for
// the interval). prev.CreatedAt is truncated to Grain, so the interval is
// counted from the end of that minute: never less than Interval between
// two releases.
func (p Policy) Due(prev *Entry, completed int64, now time.Time, closing bool) bool {
	k := int64(max(p.K, privacy.MinK))
	var last int64
	if prev != nil {
		last = prev.Completions
	}
	if completed-last < k {
		return false
	}
	if prev == nil || closing || p.Interval <= 0 {
		return true
	}
	return !now.Before(prev.CreatedAt.Add(Grain).Add(p.Interval))
}

// Pending is how many more completions the next release needs at least
// (0: it waits only for the interval or for the next tick).
func (p Policy) Pending(prev *Entry, completed int64) int64 {
	k := int64(max(p.K, privacy.MinK))
	var last int64
	if prev != nil {
		last = prev.Completions
	}
	return min(max(k-(completed-last), 0), k)
}

// Calendar is when a DP consultation's releases are due: on a schedule
// fixed in advance, whatever the number of completions. Suppression's
// rule (a release once k new completions are in) would make the time of
// each release a function of the true count, which the noise does not
// cover: a reader who sees release 4 appear at 14:05 learns that the k-th
// completion since release 3 came just before. A statistical office
// publishes on a release calendar announced in advance; so does a DP
// consultation. The calendar costs no ε: it reads no answer.
//
// Scheduled release i is due at Start + i·Period (i ≥ 1); one missed
// (no process running) is made at the next tick, and boundaries passed
// together make one release, not a burst. At most Slots are scheduled
// (the script's releases minus one): the last share of the budget is kept
// for the final release, made on close whatever the counts.
type Calendar struct {
	Start  time.Time
	Period time.Duration
	Slots  int
}

// slot is how many period boundaries have passed at t.
func (c Calendar) slot(t time.Time) int64 {
	if c.Period <= 0 || t.Before(c.Start) {
		return 0
	}
	return int64(t.Sub(c.Start) / c.Period)
}

// Due reports whether a DP release is due now: on close, the final
// release (once); otherwise a scheduled one, when a boundary has passed
// since prev (the latest release, nil: none) and fewer than Slots
// releases have been charged to the budget (charged).
func (c Calendar) Due(prev *Entry, charged int, now time.Time, closing bool) bool {
	if closing {
		return prev == nil || !prev.Final
	}
	if charged >= c.Slots {
		return false
	}
	n := c.slot(now)
	if n < 1 {
		return false
	}
	return prev == nil || n > c.slot(prev.CreatedAt)
}

// Next is when the next scheduled release is due (it may have just
// passed, the release waiting for a tick); zero when only the final
// release, on close, remains.
func (c Calendar) Next(prev *Entry, charged int) time.Time {
	if charged >= c.Slots || c.Period <= 0 {
		return time.Time{}
	}
	var n int64
	if prev != nil {
		n = c.slot(prev.CreatedAt)
	}
	return c.Start.Add(time.Duration(n+1) * c.Period)
}

func decodeEntry(b []byte) (*Entry, error) {
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("release: log entry: %w", err)
	}
	if e.Shape > Shape {
		return nil, fmt.Errorf("release: log entry of shape %d, newer than this program's %d", e.Shape, Shape)
	}
	return &e, nil
}

// ErrNone means the consultation has no release yet.
var ErrNone = errors.New("release: none yet")

// Fingerprint identifies the parts of a script a release depends on:
// its questions, options and segments (not its texts).
func Fingerprint(s *dialogs.Script) string {
	type q struct {
		ID, Type string
		Segment  bool
		Options  []string
	}
	var qs []q
	for _, x := range s.Questions {
		o := make([]string, len(x.Options))
		for i, op := range x.Options {
			o[i] = op.ID
		}
		qs = append(qs, q{x.ID, x.Type, x.Segment, o})
	}
	b, _ := json.Marshal(struct {
		Kind string
		Qs   []q
	}{s.Kind, qs})
	return fmt.Sprintf("%x", sha256.Sum256(b))[:16]
}

// summary renders release r of script s in lang.
func summary(s *dialogs.Script, r *Release, status, lang string) results.Summary {
	var sum results.Summary
	if r.Mode == results.ModeDP && r.Ledger != nil {
		// Every output of a DP release shows its noisy counts, drawn when
		// the release was made: a view draws nothing.
		sum = results.RenderNoisy(s, r.noisy(), r.K, status, lang, r.Ledger.Spent())
	} else {
		sum = results.Render(s, r.Counters, r.K, status, lang, r.Forced)
	}
	sum.Release = r.Number
	sum.ReleasedAt = r.CreatedAt.UTC().Format(time.RFC3339)
	sum.Mode = r.Mode
	if sum.Mode == "" {
		sum.Mode = results.ModeSuppress
	}
	sum.EpsilonSpent = r.EpsilonSpent
	if sum.Mode == results.ModeDP && r.Epsilon != nil {
		if e, err := privacy.EpsilonFromMicro(int64(math.Round(*r.Epsilon * 1e6))); err == nil {
			sum.Noise = results.NoiseFor(s, e)
		}
	}
	sum.Final = r.Final
	return sum
}

// bodyOf encodes r for the store, with its counter names sealed.
func bodyOf(st *store.Store, r *Release) ([]byte, []byte, error) {
	entry, err := json.Marshal(r.Entry)
	if err != nil {
		return nil, nil, err
	}
	sealed := *r
	sealed.Counters = st.SealFields(r.Counters)
	forced := make(map[string]string, len(r.Forced))
	for f, why := range r.Forced {
		forced[sealOne(st, f)] = why
	}
	sealed.Forced = forced
	if r.Noise != nil {
		sealed.Noise = st.SealFields(r.Noise)
	}
	body, err := json.Marshal(sealed)
	if err != nil {
		return nil, nil, err
	}
	return entry, body, nil
}

func sealOne(st *store.Store, f string) string {
	for k := range st.SealFields(map[string]int64{f: 0}) {
		return k
	}
	return f
}

func openOne(st *store.Store, f string) (string, error) {
	m, err := st.OpenFields(map[string]int64{f: 0})
	if err != nil {
		return "", err
	}
	for k := range m {
		return k, nil
	}
	return f, nil
}

// decodeRelease reads a stored body.
func decodeRelease(st *store.Store, b []byte) (*Release, error) {
	var r Release
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("release: body: %w", err)
	}
	if r.Shape > Shape {
		return nil, fmt.Errorf("release: body of shape %d, newer than this program's %d", r.Shape, Shape)
	}
	var err error
	if r.Counters, err = st.OpenFields(r.Counters); err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	if r.Noise != nil {
		if r.Noise, err = st.OpenFields(r.Noise); err != nil {
			return nil, fmt.Errorf("release: %w", err)
		}
	}
	forced := make(map[string]string, len(r.Forced))
	for f, why := range r.Forced {
		name, err := openOne(st, f)
		if err != nil {
			return nil, fmt.Errorf("release: %w", err)
		}
		forced[name] = why
	}
	r.Forced = forced
	return &r, nil
}
