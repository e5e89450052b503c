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
// and counts shows releases only (nothing before the first), hides small
// numbers, honours facilitators' overrides, makes the final release on
// close, and refuses unknown ids and statuses.
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
	if ir := byID["incident-report"]; ir.Started != nil || ir.Release != 0 {
		t.Errorf("nothing is shown before the first release: got %v, release %d", ir.Started, ir.Release)
	}
	sum, err := svc.Summary(ctx, "community-safety", "en")
	if err != nil || sum.Started != nil || sum.Status != bot.StatusOpen || sum.Release != 0 || *sum.Pending != 4 {
		t.Errorf("summary: started %v status %q release %d pending %v err %v", sum.Started, sum.Status, sum.Release, sum.Pending, err)
	}
	// Four more completions: release 1, with started and completed shown.
	for i := range 4 {
		if _, err := env.Store.Apply(ctx, store.Completion{Consultation: "community-safety", Key: string(rune('A' + i)), Incr: []string{"started", "completed"}}); err != nil {
			t.Fatal(err)
		}
	}
	if sum, _ := svc.Summary(ctx, "community-safety", "en"); sum.Release != 0 || sum.Completed != nil || *sum.Pending != 0 {
		t.Errorf("before the release loop ran: release %d completed %v pending %v", sum.Release, sum.Completed, sum.Pending)
	}
	env.Release(t)
	sum, err = svc.Summary(ctx, "community-safety", "en")
	if err != nil || sum.Release != 1 || sum.Completed == nil || *sum.Completed != 5 || sum.Started == nil || *sum.Started != 7 || sum.Final {
		t.Errorf("release 1: %d completed %v started %v final %v err %v", sum.Release, sum.Completed, sum.Started, sum.Final, err)
	}
	// Five more, then close: the final release at once.
	for i := range 5 {
		if _, err := env.Store.Apply(ctx, store.Completion{Consultation: "community-safety", Key: string(rune('K' + i)), Incr: []string{"started", "completed"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.SetStatus(ctx, "community-safety", bot.StatusClosed, "facilitator:amina"); err != nil {
		t.Fatal(err)
	}
	sum, err = svc.Summary(ctx, "community-safety", "en")
	if err != nil || sum.Release != 2 || !sum.Final || sum.Pending != nil || *sum.Completed != 10 {
		t.Errorf("after close: release %d final %v pending %v completed %v err %v", sum.Release, sum.Final, sum.Pending, sum.Completed, err)
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
