package store_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/baraza/baraza/internal/store"
)

// TestTextsKeepNoArrivalOrder: texts are stored (waiting for a release, and
// released) under random scores, so
// the order Redis keeps them in (even for a small set, which Redis stores
// in insertion order) says nothing about when each arrived. With 20 texts
// the chance that random scores reproduce the arrival order is 1/20!.
func TestTextsKeepNoArrivalOrder(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, rdb, prefix := b.open(t)
			ctx := ctxT(t)
			for i := range 20 {
				if _, err := s.Apply(ctx, store.Completion{Consultation: "night-safety", Key: fmt.Sprint("k", i),
					Texts: map[string]string{"story": fmt.Sprintf("text %02d", i)}}); err != nil {
					t.Fatal(err)
				}
			}
			check := func(key string) {
				t.Helper()
				raw, err := rdb.ZRange(ctx, prefix+"{c:night-safety}:"+key, 0, -1).Result()
				if err != nil {
					t.Fatal(err)
				}
				if len(raw) != 20 {
					t.Fatalf("%s: got %d texts, want 20", key, len(raw))
				}
				inOrder := true
				for i, m := range raw {
					if !strings.HasSuffix(m, fmt.Sprintf("text %02d", i)) {
						inOrder = false
					}
				}
				if inOrder {
					t.Errorf("%s: texts are kept in arrival order: %v", key, raw)
				}
			}
			check("tp:story")
			pend, err := s.PendingTexts(ctx, "night-safety", "story")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateRelease(ctx, "night-safety", 1, []byte("{}"), []byte("{}"), map[string][]store.PendingText{"story": pend}); err != nil {
				t.Fatal(err)
			}
			check("t:story")
		})
	}
}
