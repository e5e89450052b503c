package store_test

import (
	"errors"
	"testing"

	"github.com/baraza/baraza/internal/store"
)

func TestSessionCAS(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		r := hexID('a')
		type step struct {
			name    string
			version int64
			data    []byte
			event   string
			wantErr error
			// expected state afterwards
			wantData    string
			wantVersion int64
		}
		steps := []step{
			{"create", 0, []byte("one"), "ev1", nil, "one", 1},
			{"same event again is a duplicate", 1, []byte("x"), "ev1", store.ErrDuplicate, "one", 1},
			{"create again conflicts", 0, []byte("x"), "ev2", store.ErrConflict, "one", 1},
			{"stale version conflicts", 5, []byte("x"), "ev2", store.ErrConflict, "one", 1},
			{"advance", 1, []byte("two"), "ev2", nil, "two", 2},
			{"no event key is never a duplicate", 2, []byte("three"), "", nil, "three", 3},
			{"again without event key", 3, []byte("four"), "", nil, "four", 4},
			// Deleting keeps the version as a tombstone: a writer that
			// stalled holding an old version can never overwrite the next
			// session once it reaches that same number.
			{"delete", 4, nil, "ev3", nil, "", 5},
			{"deleted event still remembered", 5, []byte("x"), "ev3", store.ErrDuplicate, "", 5},
			{"a stale writer after delete conflicts", 4, []byte("stale"), "ev9", store.ErrConflict, "", 5},
			{"version 0 after delete conflicts", 0, []byte("x"), "ev8", store.ErrConflict, "", 5},
			{"start over after delete", 5, []byte("new"), "ev4", nil, "new", 6},
			{"empty data is data", 6, []byte{}, "ev5", nil, "", 7},
			{"binary data", 7, []byte("\x00\xff\r\n{}"), "ev6", nil, "\x00\xff\r\n{}", 8},
		}
		for _, st := range steps {
			err := s.SaveSession(ctx, r, st.version, st.data, st.event)
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: SaveSession: got %v, want %v", st.name, err, st.wantErr)
			}
			data, v, dup, err := s.LoadSession(ctx, r, st.event)
			if err != nil {
				t.Fatalf("%s: LoadSession: %v", st.name, err)
			}
			if string(data) != st.wantData || v != st.wantVersion {
				t.Errorf("%s: got (%q, %d), want (%q, %d)", st.name, data, v, st.wantData, st.wantVersion)
			}
			// an event is remembered only when its save went through
			wantDup := st.event != "" && (st.wantErr == nil || errors.Is(st.wantErr, store.ErrDuplicate))
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
