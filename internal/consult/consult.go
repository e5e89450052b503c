// Package consult is the one place that answers "what is the state of a
// consultation?" for every reader — the HTTP API, the dashboard, exports,
// the chat /stats command: its status (schedule plus facilitators'
// overrides) and its suppressed summary built from the counters.
package consult

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
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
}

// Info is one line of the consultations list. Started and Completed are
// already suppressed (nil when hidden).
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
		c, err := s.Store.Counters(ctx, sc.ID)
		if err != nil {
			return nil, fmt.Errorf("consult: counters: %w", err)
		}
		k := s.KFor(sc)
		info := Info{ID: sc.ID, Title: sc.Text(sc.Title, lang), Kind: sc.Kind, Status: st[sc.ID], K: k,
			Publish: sc.Publish, Opens: sc.Opens, Closes: sc.Closes}
		if n, ok := privacy.Count(k, c["started"]); ok {
			info.Started = &n
		}
		if n, ok := privacy.Count(k, c["completed"]); ok {
			info.Completed = &n
		}
		out = append(out, info)
	}
	return out, nil
}

// Summary builds the suppressed summary of one consultation.
func (s *Service) Summary(ctx context.Context, id, lang string) (results.Summary, error) {
	sc := s.Catalog.Get(id)
	if sc == nil {
		return results.Summary{}, ErrNotFound
	}
	st, err := s.Statuses(ctx)
	if err != nil {
		return results.Summary{}, err
	}
	c, err := s.Store.Counters(ctx, id)
	if err != nil {
		return results.Summary{}, fmt.Errorf("consult: counters: %w", err)
	}
	return results.Build(sc, c, s.KFor(sc), st[id], lang), nil
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
	return s.Store.SetStatus(ctx, id, status, by)
}
