package consult_test

import (
	"context"
	"errors"
	"testing"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// TestListAndSummarySuppressed: the one reader of a consultation's status
// and counts hides small numbers, shows zero, honours facilitators'
// overrides, and refuses unknown ids and statuses.
func TestListAndSummarySuppressed(t *testing.T) {
	env := testenv.New(t)
	ctx := context.Background()
	svc := env.Consult
	for i, f := range []string{"started", "started", "started", "completed"} {
		if _, err := env.Store.Apply(ctx, store.Completion{Consultation: "community-safety", Key: string(rune('a' + i)), Incr: []string{f}}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := svc.List(ctx, "fr")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]consult.Info{}
	for _, c := range list {
		byID[c.ID] = c
	}
	cs, ok := byID["community-safety"]
	if !ok || cs.Status != bot.StatusOpen || cs.K != 5 || cs.Title == "" {
		t.Fatalf("community-safety: %+v", cs)
	}
	if cs.Started != nil || cs.Completed != nil {
		t.Errorf("3 started and 1 completed must be hidden with k=5: got %v %v", cs.Started, cs.Completed)
	}
	if ir := byID["incident-report"]; ir.Started == nil || *ir.Started != 0 {
		t.Errorf("zero must be shown as 0: got %v", ir.Started)
	}
	sum, err := svc.Summary(ctx, "community-safety", "en")
	if err != nil || sum.Started != nil || sum.Status != bot.StatusOpen {
		t.Errorf("summary: started %v status %q err %v", sum.Started, sum.Status, err)
	}

	if err := svc.SetStatus(ctx, "community-safety", bot.StatusClosed, "facilitator:amina"); err != nil {
		t.Fatal(err)
	}
	st, err := svc.Statuses(ctx)
	if err != nil || st["community-safety"] != bot.StatusClosed || st["incident-report"] != bot.StatusOpen {
		t.Errorf("statuses after close: %v %v", st, err)
	}
	if err := svc.SetStatus(ctx, "incident-report", "paused", "x"); err == nil {
		t.Errorf("status %q accepted", "paused")
	}
	if _, err := svc.Summary(ctx, "no-such", "en"); !errors.Is(err, consult.ErrNotFound) {
		t.Errorf("unknown id: got %v, want ErrNotFound", err)
	}
	if err := svc.SetStatus(ctx, "no-such", bot.StatusOpen, "x"); !errors.Is(err, consult.ErrNotFound) {
		t.Errorf("unknown id: got %v, want ErrNotFound", err)
	}
}
