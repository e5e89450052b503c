package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/baraza/baraza/internal/store"
)

func TestSessionCAS(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		r := hexID('a')
		// version is what the step read: "cur" the stored one, "prev" the
		// one before the last successful save, "zero" none.
		type step struct {
			name     string
			version  string
			data     []byte
			event    string
			wantErr  error
			wantData string
			wantNone bool // no session afterwards
		}
		steps := []step{
			{"create", "zero", []byte("one"), "ev1", nil, "one", false},
			{"same event again is a duplicate", "cur", []byte("x"), "ev1", store.ErrDuplicate, "one", false},
			{"create again conflicts", "zero", []byte("x"), "ev2", store.ErrConflict, "one", false},
			{"advance", "cur", []byte("two"), "ev2", nil, "two", false},
			{"a stale version conflicts", "prev", []byte("x"), "ev3", store.ErrConflict, "two", false},
			{"no event key is never a duplicate", "cur", []byte("three"), "", nil, "three", false},
			{"again without event key", "cur", []byte("four"), "", nil, "four", false},
			{"empty data is data", "cur", []byte{}, "ev5", nil, "", false},
			{"binary data", "cur", []byte("\x00\xff\r\n{}"), "ev6", nil, "\x00\xff\r\n{}", false},
			// Deleting leaves nothing: no tombstone, no list of events.
			{"delete", "cur", nil, "ev7", nil, "", true},
			{"a stale writer after delete conflicts", "prev", []byte("stale"), "ev9", store.ErrConflict, "", true},
			{"start over after delete", "zero", []byte("new"), "ev8", nil, "new", false},
		}
		var cur, prev int64
		for _, st := range steps {
			v := map[string]int64{"cur": cur, "prev": prev, "zero": 0}[st.version]
			err := s.SaveSession(ctx, r, v, st.data, st.event)
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: SaveSession: got %v, want %v", st.name, err, st.wantErr)
			}
			data, nv, dup, err := s.LoadSession(ctx, r, st.event)
			if err != nil {
				t.Fatalf("%s: LoadSession: %v", st.name, err)
			}
			if st.wantErr == nil {
				if nv == cur && !st.wantNone {
					t.Errorf("%s: version did not change (%d)", st.name, nv)
				}
				prev, cur = cur, nv
			}
			if string(data) != st.wantData || (nv == 0) != st.wantNone || (data == nil) != st.wantNone {
				t.Errorf("%s: got (%q, %d), want data %q (none: %v)", st.name, data, nv, st.wantData, st.wantNone)
			}
			// an event is remembered while the session lives, only when its
			// save went through
			wantDup := !st.wantNone && st.event != "" && (st.wantErr == nil || errors.Is(st.wantErr, store.ErrDuplicate))
			if dup != wantDup {
				t.Errorf("%s: dup for %q: got %v, want %v", st.name, st.event, dup, wantDup)
			}
		}
		// unknown respondent, unknown event
		data, v, dup, err := s.LoadSession(ctx, hexID('b'), "never")
		if err != nil || data != nil || v != 0 || dup {
			t.Errorf("fresh respondent: got (%q, %d, %v, %v), want (nil, 0, false, nil)", data, v, dup, err)
		}
	})
}

// TestSessionRemembersRecentEvents: the last 16 events of a session are
// duplicates; older ones fall out; the remembered set always takes the
// same room, whatever the number of events.
func TestSessionRemembersRecentEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		r := hexID('c')
		var v int64
		for i := range 20 {
			if err := s.SaveSession(ctx, r, v, []byte("x"), fmt.Sprint("ev", i)); err != nil {
				t.Fatalf("save %d: %v", i, err)
			}
			var err error
			if _, v, _, err = s.LoadSession(ctx, r, ""); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 20 {
			_, _, dup, err := s.LoadSession(ctx, r, fmt.Sprint("ev", i))
			if err != nil {
				t.Fatal(err)
			}
			if want := i >= 4; dup != want {
				t.Errorf("ev%d: dup %v, want %v", i, dup, want)
			}
		}
	})
}

func TestSessionRejectsRawIDs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		for _, r := range []string{"123456789", "telegram:42", "", "ABCDEF0123456789", "{x}0123456789abcdef"} {
			if err := s.SaveSession(ctx, r, 0, []byte("x"), ""); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("SaveSession(%q): got %v, want ErrInvalid", r, err)
			}
			if _, _, _, err := s.LoadSession(ctx, r, ""); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("LoadSession(%q): got %v, want ErrInvalid", r, err)
			}
		}
	})
}

// TestCommitGuess: a guessed version that is right commits as
// CommitSession does; a wrong one, or an event already processed, writes
// nothing and answers with the session as LoadSession would have
// (version, data, whether the event is a duplicate).
func TestCommitGuess(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		r := hexID('d')
		// guess: "cur" the stored version, "prev" the one before, "none"
		// a version never written.
		steps := []struct {
			name      string
			guess     string
			data      []byte
			event     string
			wantErr   error
			wantFound string // the data the refusal carries; "-" for no session
			wantData  string // stored afterwards; "-" for none
		}{
			{"no session", "none", []byte("x"), "ev1", store.ErrConflict, "-", "-"},
			{"right guess commits", "cur", []byte("two"), "ev2", nil, "", "two"},
			{"right again", "cur", []byte("three"), "ev3", nil, "", "three"},
			{"stale guess carries the session", "prev", []byte("x"), "ev4", store.ErrConflict, "three", "three"},
			{"a processed event is a duplicate, with the session", "cur", []byte("x"), "ev3", store.ErrDuplicate, "three", "three"},
			{"a duplicate is found before a stale version", "prev", []byte("x"), "ev2", store.ErrDuplicate, "three", "three"},
			{"no event key", "cur", []byte("four"), "", nil, "", "four"},
			{"right guess deletes", "cur", nil, "ev5", nil, "", "-"},
			{"after delete a guess finds nothing", "prev", []byte("x"), "ev6", store.ErrConflict, "-", "-"},
		}
		var cur, prev int64
		for _, st := range steps {
			if st.name == "right guess commits" {
				// A session to guess at: created as a step after a read
				// would create it.
				v, err := s.CommitSession(ctx, r, 0, []byte("one"), "ev0")
				if err != nil {
					t.Fatal(err)
				}
				cur = v
			}
			guess := map[string]int64{"cur": cur, "prev": prev, "none": 12345}[st.guess]
			nv, found, err := s.CommitGuess(ctx, r, guess, st.data, st.event)
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: got %v, want %v", st.name, err, st.wantErr)
			}
			if err == nil {
				if nv == 0 || nv == cur {
					t.Errorf("%s: new version %d (was %d)", st.name, nv, cur)
				}
				prev, cur = cur, nv
			} else {
				wantNone := st.wantFound == "-"
				if (found.Data == nil) != wantNone || (found.Version == 0) != wantNone ||
					!wantNone && (string(found.Data) != st.wantFound || found.Version != cur) {
					t.Errorf("%s: found (%q, %d), want (%q, %d)", st.name, found.Data, found.Version, st.wantFound, cur)
				}
				if found.Dup != errors.Is(err, store.ErrDuplicate) {
					t.Errorf("%s: found.Dup %v with %v", st.name, found.Dup, err)
				}
			}
			data, v, _, err := s.LoadSession(ctx, r, "")
			if err != nil {
				t.Fatal(err)
			}
			if st.wantData == "-" {
				if data != nil || v != 0 {
					t.Errorf("%s: stored (%q, %d), want none", st.name, data, v)
				}
			} else if string(data) != st.wantData || v != cur {
				t.Errorf("%s: stored (%q, %d), want (%q, %d)", st.name, data, v, st.wantData, cur)
			}
		}
	})
}
