// Package consult is the one place that answers "what is the state of a
// consultation?" for every reader — the HTTP API, the dashboard, exports,
// the chat /stats command: its status (schedule plus facilitators'
// overrides) and its published summary, which is always that of its latest
// release (internal/release), never of the live counters.
package consult

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// ErrNotFound means no script has that id.
var ErrNotFound = errors.New("consultation not found")

// Service reads consultations.
type Service struct {
	Store   *store.Store
	Catalog *bot.Catalog
	K       int // default suppression threshold
	Now     func() time.Time
	// Releases makes and reads releases; nil: one on Store with the
	// default interval, made on first use.
	Releases *release.Service

	once sync.Once
}

// Release returns the release service (see Service.Releases), wired to
// this service's scripts, thresholds and statuses when it was not given.
func (s *Service) Release() *release.Service {
	s.once.Do(func() {
		if s.Releases == nil {
			s.Releases = &release.Service{Store: s.Store}
		}
		r := s.Releases
		if r.Store == nil {
			r.Store = s.Store
		}
		if r.Scripts == nil {
			r.Scripts = func() []*dialogs.Script { return s.Catalog.All() }
		}
		if r.K == nil {
			r.K = s.KFor
		}
		if r.Statuses == nil {
			r.Statuses = s.Statuses
		}
		if r.Now == nil && s.Now != nil {
			r.Now = s.Now
		}
	})
	return s.Releases
}

// MakeReleases makes every release that is due now (release.Service.Tick).
func (s *Service) MakeReleases(ctx context.Context) error { return s.Release().Tick(ctx) }

// Info is one line of the consultations list. Started and Completed are
// those of the latest release (nil when hidden, and before the first).
type Info struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	K         int       `json:"k"`
	Publish   bool      `json:"publish"`
	Opens     time.Time `json:"opens,omitzero"`
	Closes    time.Time `json:"closes,omitzero"`
	Started   *int64    `json:"started"`
	Completed *int64    `json:"completed"`
	// Release is the number of the latest release (0: none yet), Mode
	// how it is protected (results.ModeSuppress or results.ModeDP: the
	// counts have noise added).
	Release int    `json:"release"`
	Mode    string `json:"mode,omitempty"`
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// KFor is the suppression threshold of a script: its own k, else the
// default, never below 2.
func (s *Service) KFor(sc *dialogs.Script) int { return sc.Threshold(s.K) }

// Statuses returns the effective status of every script.
func (s *Service) Statuses(ctx context.Context) (map[string]string, error) {
	over, err := s.Store.Statuses(ctx)
	if err != nil {
		return nil, fmt.Errorf("consult: statuses: %w", err)
	}
	now := s.now()
	out := make(map[string]string)
	for _, sc := range s.Catalog.All() {
		o := over[sc.ID]
		out[sc.ID] = bot.EffectiveStatus(sc, o.Status, o.At, now)
	}
	return out, nil
}

// List returns every consultation with suppressed progress.
func (s *Service) List(ctx context.Context, lang string) ([]Info, error) {
	st, err := s.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, sc := range s.Catalog.All() {
		sum, err := s.Release().Summary(ctx, sc, st[sc.ID], lang)
		if err != nil {
			return nil, fmt.Errorf("consult: %w", err)
		}
		k := s.KFor(sc)
		out = append(out, Info{ID: sc.ID, Title: sc.Text(sc.Title, lang), Kind: sc.Kind, Status: st[sc.ID], K: k,
			Publish: sc.Publish, Opens: sc.Opens, Closes: sc.Closes,
			Started: sum.Started, Completed: sum.Completed, Release: sum.Release, Mode: sum.Mode})
	}
	return out, nil
}

// Summary is the summary of the latest release of one consultation (before
// the first: release 0, every count null), with its live status.
func (s *Service) Summary(ctx context.Context, id, lang string) (results.Summary, error) {
	sc := s.Catalog.Get(id)
	if sc == nil {
		return results.Summary{}, ErrNotFound
	}
	st, err := s.Statuses(ctx)
	if err != nil {
		return results.Summary{}, err
	}
	sum, err := s.Release().Summary(ctx, sc, st[id], lang)
	if err != nil {
		return results.Summary{}, fmt.Errorf("consult: %w", err)
	}
	return sum, nil
}

// SetStatus opens or closes a consultation by hand; by names the role and
// token name (or "chat facilitator"), never a platform id.
func (s *Service) SetStatus(ctx context.Context, id, status, by string) error {
	if s.Catalog.Get(id) == nil {
		return ErrNotFound
	}
	if status != bot.StatusOpen && status != bot.StatusClosed {
		return fmt.Errorf("consult: status %q is not open or closed", status)
	}
	if err := s.Store.SetStatus(ctx, id, status, by); err != nil {
		return err
	}
	if status == bot.StatusClosed {
		// The final release, if k completions came since the last one. The
		// release loop tries again on its next tick if this fails.
		if st, err := s.Statuses(ctx); err == nil {
			_, _ = s.Release().Make(ctx, s.Catalog.Get(id), st[id])
		}
	}
	return nil
}
