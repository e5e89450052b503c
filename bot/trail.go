package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/store"
)

// TrailTTL is how long a conversation's message references are kept
// after the last one was added: Telegram deletes nothing older than 48 h.
const TrailTTL = 48 * time.Hour

// Trails keeps, per respondent, the platform's references to the messages
// of their conversation (opaque strings an adapter chooses, e.g. Telegram
// message ids), so a quick exit can delete exactly those and nothing of
// anyone else. Stored under the session pseudonym, sealed like the
// session (and bound to a different owner, so one cannot stand in for the
// other), with TrailTTL, and dropped when the session ends: nothing of it
// outlives a completed dialog.
type Trails struct {
	st   *store.Store
	keys *privacy.Keys
}

// NewTrails returns Trails on st sealed with keys.
func NewTrails(st *store.Store, keys *privacy.Keys) *Trails { return &Trails{st: st, keys: keys} }

func (t *Trails) owner(pid string) string { return pid + ":trail" }

// Add appends refs to the trail of platform's user.
func (t *Trails) Add(ctx context.Context, platform, user string, refs []string) error {
	if len(refs) == 0 {
		return nil
	}
	pid := t.keys.Respondent(platform, user)
	plain, err := json.Marshal(refs)
	if err != nil {
		return fmt.Errorf("trail: %w", err)
	}
	return t.st.AppendTrail(ctx, pid, t.keys.Seal(t.owner(pid), plain), TrailTTL)
}

// Take returns the trail of platform's user, oldest first, and deletes
// it. Entries that no longer open (a changed secret) are skipped.
func (t *Trails) Take(ctx context.Context, platform, user string) ([]string, error) {
	pid := t.keys.Respondent(platform, user)
	blobs, err := t.st.TakeTrail(ctx, pid)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, b := range blobs {
		plain, err := t.keys.Open(t.owner(pid), b)
		if err != nil {
			continue
		}
		var refs []string
		if json.Unmarshal(plain, &refs) == nil {
			out = append(out, refs...)
		}
	}
	return out, nil
}

// Drop deletes the trail of platform's user.
func (t *Trails) Drop(ctx context.Context, platform, user string) error {
	return t.st.DropTrail(ctx, t.keys.Respondent(platform, user))
}
