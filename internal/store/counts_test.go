package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
)

func TestApplyIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		const c = "night-safety"
		steps := []struct {
			name        string
			comp        store.Completion
			wantApplied bool
		}{
			{"started bump", store.Completion{Consultation: c, Key: "n1:started", Incr: []string{"started"}}, true},
			{"same bump again", store.Completion{Consultation: c, Key: "n1:started", Incr: []string{"started"}}, false},
			{"other started", store.Completion{Consultation: c, Key: "n2:started", Incr: []string{"started"}}, true},
			{"completion", store.Completion{Consultation: c, Key: "n1:done", Participation: hexID('p'),
				Incr:  []string{"completed", "o|area|north", "a|area"},
				Texts: map[string]string{"story": "the lamp is broken", "other": "same"}}, true},
			{"completion retried", store.Completion{Consultation: c, Key: "n1:done", Participation: hexID('p'),
				Incr:  []string{"completed", "o|area|north", "a|area"},
				Texts: map[string]string{"story": "the lamp is broken"}}, false},
			{"same person, new key", store.Completion{Consultation: c, Key: "n3:done", Participation: hexID('p'),
				Incr: []string{"completed"}}, false},
			{"second person, identical text", store.Completion{Consultation: c, Key: "n2:done", Participation: hexID('q'),
				Incr:  []string{"completed", "o|area|south", "a|area"},
				Texts: map[string]string{"story": "the lamp is broken", "empty": ""}}, true},
		}
		for _, st := range steps {
			got, err := s.Apply(ctx, st.comp)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got != st.wantApplied {
				t.Errorf("%s: applied: got %v, want %v", st.name, got, st.wantApplied)
			}
		}
		counters, err := s.Counters(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"started": 2, "completed": 2, "o|area|north": 1, "o|area|south": 1, "a|area": 2}
		if !maps.Equal(counters, want) {
			t.Errorf("counters: got %v, want %v", counters, want)
		}
		// Texts wait for a release, each completion's under its own tag.
		pend, err := s.PendingTexts(ctx, c, "story")
		if err != nil {
			t.Fatal(err)
		}
		if len(pend) != 2 || pend[0].Text != "the lamp is broken" || pend[1].Text != "the lamp is broken" || pend[0].Tag == pend[1].Tag {
			t.Errorf("pending texts: got %+v, want the text twice under two tags", pend)
		}
		if texts, _ := s.Texts(ctx, c, "story"); len(texts) != 0 {
			t.Errorf("texts out before a release: %q", texts)
		}
		if texts, _ := s.PendingTexts(ctx, c, "empty"); len(texts) != 0 {
			t.Errorf("empty text stored: got %q, want none", texts)
		}
		if made, err := s.CreateRelease(ctx, c, 1, []byte("{}"), []byte("{}"), map[string][]store.PendingText{"story": pend}); err != nil || !made {
			t.Fatalf("release: %v %v", made, err)
		}
		texts, err := s.Texts(ctx, c, "story")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"the lamp is broken", "the lamp is broken"}; !slices.Equal(texts, want) {
			t.Errorf("released texts: got %q, want %q", texts, want)
		}
		if pend, _ := s.PendingTexts(ctx, c, "story"); len(pend) != 0 {
			t.Errorf("released texts still pending: %+v", pend)
		}
		for _, tc := range []struct {
			marker string
			want   bool
		}{{hexID('p'), true}, {hexID('q'), true}, {hexID('r'), false}} {
			got, err := s.Participated(ctx, c, tc.marker)
			if err != nil || got != tc.want {
				t.Errorf("Participated(%s…): got %v, %v, want %v", tc.marker[:6], got, err, tc.want)
			}
		}
		if got, err := s.Counters(ctx, "unknown"); err != nil || len(got) != 0 {
			t.Errorf("Counters(unknown): got %v, %v, want empty", got, err)
		}
	})
}

func TestApplyRejects(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		for _, c := range []store.Completion{
			{Consultation: "", Key: "k"},
			{Consultation: "a{b}", Key: "k"},
			{Consultation: "ok", Key: ""},
			{Consultation: "ok", Key: "k", Participation: "telegram:42"},
			{Consultation: "ok", Key: "k", Incr: []string{""}},
			{Consultation: "ok", Key: "k", Texts: map[string]string{"a:b": "x"}},
		} {
			if _, err := s.Apply(ctx, c); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Apply(%+v): got %v, want ErrInvalid", c, err)
			}
		}
	})
}

func TestTextsShuffled(t *testing.T) {
	s, _, _ := backends[1].open(t)
	ctx := ctxT(t)
	for i := range 20 {
		if _, err := s.Apply(ctx, store.Completion{Consultation: "c", Key: fmt.Sprint(i), Texts: map[string]string{"q": fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	pend, err := s.PendingTexts(ctx, "c", "q")
	if err != nil {
		t.Fatal(err)
	}
	if made, err := s.CreateRelease(ctx, "c", 1, []byte("{}"), []byte("{}"), map[string][]store.PendingText{"q": pend}); err != nil || !made {
		t.Fatalf("release: %v %v", made, err)
	}
	first, err := s.Texts(ctx, "c", "q")
	if err != nil || len(first) != 20 {
		t.Fatal(first, err)
	}
	// 20! orders: eight reads in the same order would mean no shuffle.
	for range 8 {
		again, err := s.Texts(ctx, "c", "q")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(first, again) {
			return
		}
	}
	t.Errorf("Texts returned the same order 9 times: %q", first)
}

func TestApplyConcurrent(t *testing.T) {
	s, _, _ := backends[0].open(t)
	ctx := ctxT(t)
	const n = 50
	run := func(key func(i int) string) int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		applied := 0
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.Apply(ctx, store.Completion{Consultation: "conc", Key: key(i), Incr: []string{"completed", "o|q|a"}})
				if err != nil {
					errs <- err
					return
				}
				if ok {
					mu.Lock()
					applied++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		return applied
	}
	if got := run(func(int) string { return "same" }); got != 1 {
		t.Errorf("same key: got %d applied, want 1", got)
	}
	if got := run(func(i int) string { return fmt.Sprint("k", i) }); got != n {
		t.Errorf("different keys: got %d applied, want %d", got, n)
	}
	counters, err := s.Counters(ctx, "conc")
	if err != nil {
		t.Fatal(err)
	}
	if counters["completed"] != n+1 || counters["o|q|a"] != n+1 {
		t.Errorf("counters: got %v, want completed and o|q|a = %d", counters, n+1)
	}
}

// TestApplyAcrossRestart kills Redis in the middle of a run of completions,
// restarts it with its AOF, and retries every completion that failed and
// then every completion again (as a platform re-delivering): the counts
// stay exact.
func TestApplyAcrossRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.WithAOF())
	s, _, _ := openURL(t, srv.URL, srv.Prefix+"baraza:")
	ctx := ctxT(t)
	const n = 40
	apply := func(i int) (bool, error) {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return s.Apply(c, store.Completion{Consultation: "blip", Key: fmt.Sprint("k", i), Incr: []string{"completed"}})
	}
	var failed []int
	for i := range n {
		if i == n/2 {
			srv.Kill()
		}
		if i == n/2+5 {
			srv.Restart()
		}
		if _, err := apply(i); err != nil {
			failed = append(failed, i)
		}
	}
	if len(failed) == 0 {
		t.Fatal("no completion failed while Redis was down: the blip did not happen")
	}
	for _, i := range failed {
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := apply(i)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("retry %d: %v", i, err)
			}
		}
	}
	for i := range n {
		ok, err := apply(i)
		if err != nil {
			t.Fatalf("re-delivery %d: %v", i, err)
		}
		if ok {
			t.Errorf("re-delivery %d: applied again", i)
		}
	}
	counters, err := s.Counters(ctx, "blip")
	if err != nil {
		t.Fatal(err)
	}
	if counters["completed"] != n {
		t.Errorf("completed: got %d, want %d (failed during blip: %v)", counters["completed"], n, failed)
	}
}

// TestSealedCounterFields: with a counter key, the counters hash holds no
// field name in the clear, every count still adds up, and Counters gives
// the names back; the same names written before sealing was switched on
// are read and summed with the sealed ones.
func TestSealedCounterFields(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	p := srv.Prefix + "baraza:"
	ctx := ctxT(t)
	plain := store.New(rdb, store.Options{Prefix: p})
	if _, err := plain.Apply(ctx, store.Completion{Consultation: "c", Key: "old", Incr: []string{"completed", "o|area|north"}}); err != nil {
		t.Fatal(err)
	}
	s := store.New(rdb, store.Options{Prefix: p, CounterKey: []byte("0123456789abcdef0123456789abcdef")})
	for i, f := range []string{"o|area|north", "o|area|south", "x|area|north|safe|2"} {
		if _, err := s.Apply(ctx, store.Completion{Consultation: "c", Key: fmt.Sprint("k", i), Incr: []string{"completed", f}}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Counters(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"completed": 4, "o|area|north": 2, "o|area|south": 1, "x|area|north|safe|2": 1}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	fields, err := rdb.HKeys(ctx, p+"{c:c}:n").Result()
	if err != nil {
		t.Fatal(err)
	}
	sealed := 0
	for _, f := range fields {
		if strings.HasPrefix(f, "!") {
			sealed++
			for _, name := range []string{"area", "north", "south", "safe", "completed"} {
				if strings.Contains(f, name) {
					t.Errorf("sealed field %q shows %q", f, name)
				}
			}
		}
	}
	if sealed != 4 {
		t.Errorf("got %d sealed fields, want 4 (%v)", sealed, fields)
	}
	// another secret cannot read them, and says so
	other := store.New(rdb, store.Options{Prefix: p, CounterKey: []byte("another key of thirty-two bytes!")})
	if _, err := other.Counters(ctx, "c"); err == nil {
		t.Error("counters under another key: got nil error")
	}
}
