package bot

import (
	"sort"
	"sync"
	"time"

	"github.com/baraza/baraza/dialogs"
)

// Catalog holds the loaded scripts. It is safe for concurrent use, and a
// reload swaps the whole set at once, so a step never sees half of one.
type Catalog struct {
	mu      sync.RWMutex
	scripts map[string]*dialogs.Script
	order   []string
}

// NewCatalog returns a catalog holding scripts.
func NewCatalog(scripts []*dialogs.Script) *Catalog {
	c := &Catalog{}
	c.Replace(scripts)
	return c
}

// Replace swaps the set of scripts.
func (c *Catalog) Replace(scripts []*dialogs.Script) {
	m := make(map[string]*dialogs.Script, len(scripts))
	order := make([]string, 0, len(scripts))
	for _, s := range scripts {
		if _, dup := m[s.ID]; !dup {
			order = append(order, s.ID)
		}
		m[s.ID] = s
	}
	sort.Strings(order)
	c.mu.Lock()
	c.scripts, c.order = m, order
	c.mu.Unlock()
}

// Get returns the script with id, or nil.
func (c *Catalog) Get(id string) *dialogs.Script {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.scripts[id]
}

// All returns every script, sorted by id.
func (c *Catalog) All() []*dialogs.Script {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*dialogs.Script, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, c.scripts[id])
	}
	return out
}

// IDs returns every script's id, sorted.
func (c *Catalog) IDs() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]string(nil), c.order...)
}

// Status values of a consultation.
const (
	StatusOpen      = "open"
	StatusClosed    = "closed"
	StatusScheduled = "scheduled" // before its opens time
)

// ScheduleStatus is a script's status from its own opens/closes times,
// before any facilitator override. Report scripts are always open.
func ScheduleStatus(s *dialogs.Script, now time.Time) string {
	if s.Kind == dialogs.KindReport {
		return StatusOpen
	}
	if !s.Opens.IsZero() && now.Before(s.Opens) {
		return StatusScheduled
	}
	if !s.Closes.IsZero() && !now.Before(s.Closes) {
		return StatusClosed
	}
	return StatusOpen
}

// EffectiveStatus combines the schedule with a facilitator's override: an
// explicit open or close made after the schedule's last boundary wins.
func EffectiveStatus(s *dialogs.Script, override string, overrideAt, now time.Time) string {
	sched := ScheduleStatus(s, now)
	if override == "" || s.Kind == dialogs.KindReport {
		return sched
	}
	// A boundary of the schedule passed after the override re-applies the
	// schedule: a consultation closed by hand before its opening time still
	// opens when the facilitator scheduled it to.
	for _, b := range []time.Time{s.Opens, s.Closes} {
		if !b.IsZero() && b.After(overrideAt) && !now.Before(b) {
			return sched
		}
	}
	return override
}
