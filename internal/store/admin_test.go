package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
)

// TestSessionTTL: a session's expiry and a completion's keys date nothing
// finer than the time grain (an hour here): the session expires at a
// grain boundary SessionTTL after its last step or later, an ended session
// leaves no key at all, and the only per-person key after a completion is
// the participation marker, without TTL and with a fixed value.
func TestSessionTTL(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	s := store.New(rdb, store.Options{Prefix: srv.Prefix + "baraza:", SessionTTL: time.Hour, TimeGrain: time.Hour})
	ctx := ctxT(t)
	r := hexID('t')
	key := srv.Prefix + "baraza:{r:" + r + "}:s"
	if err := s.SaveSession(ctx, r, 0, []byte("x"), "e1"); err != nil {
		t.Fatal(err)
	}
	exp, err := rdb.PExpireTime(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(int64(exp / time.Millisecond))
	if at.UnixMilli()%time.Hour.Milliseconds() != 0 || time.Until(at) < time.Hour-time.Minute || time.Until(at) > 2*time.Hour {
		t.Errorf("session expires at %v, want an hour boundary 1 to 2 hours away", at)
	}
	_, v, _, err := s.LoadSession(ctx, r, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSession(ctx, r, v, nil, "e2"); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.Exists(ctx, key).Result(); err != nil || n != 0 {
		t.Errorf("ended session: %d keys (err %v), want none", n, err)
	}
	if _, err := s.Apply(ctx, store.Completion{Consultation: "c", Key: "k", Participation: hexID('p'), Incr: []string{"completed"}}); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, srv.Prefix+"baraza:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.Contains(k, "}:p:"):
			if v, err := rdb.Get(ctx, k).Result(); err != nil || v != "1" {
				t.Errorf("participation marker value: got %q, %v, want the fixed 1", v, err)
			}
			fallthrough
		case strings.HasSuffix(k, "}:n"):
			if ttl != -1*time.Nanosecond && ttl != -1*time.Millisecond {
				t.Errorf("%s TTL: got %v, want none", k, ttl)
			}
		default:
			t.Errorf("unexpected key after a completion: %s", k)
		}
	}
}

func TestTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		offTok, off, err := s.CreateToken(ctx, store.RoleOfficial, "county office", []string{"night-safety"})
		if err != nil {
			t.Fatal(err)
		}
		admTok, adm, err := s.CreateToken(ctx, store.RoleAdmin, "root", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(offTok, "bz_") || len(offTok) != 46 {
			t.Errorf("token format: got %q, want bz_ + 43 base64url", offTok)
		}
		if len(off.ID) != 12 || off.ID == adm.ID {
			t.Errorf("token ids: got %q and %q, want 12 hex each, different", off.ID, adm.ID)
		}
		if _, _, err := s.CreateToken(ctx, store.RoleAdmin, "root", nil); !errors.Is(err, store.ErrExists) {
			t.Errorf("duplicate name: got %v, want ErrExists", err)
		}
		for _, bad := range [][2]string{{"owner", "x"}, {store.RoleAdmin, ""}, {store.RoleAdmin, "a\nb"}} {
			if _, _, err := s.CreateToken(ctx, bad[0], bad[1], nil); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("CreateToken(%q, %q): got %v, want ErrInvalid", bad[0], bad[1], err)
			}
		}

		got, err := s.Authenticate(ctx, offTok)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "county office" || got.Role != store.RoleOfficial || got.ID != off.ID {
			t.Errorf("Authenticate: got %+v, want %+v", got, off)
		}
		perms := []struct {
			tok          store.Token
			role         string
			consultation string
			can, scope   bool
		}{
			{got, store.RoleOfficial, "night-safety", true, true},
			{got, store.RoleFacilitator, "other", false, false},
			{adm, store.RoleAdmin, "other", true, true},
			{adm, "owner", "x", false, true},
		}
		for _, p := range perms {
			if c := p.tok.Can(p.role); c != p.can {
				t.Errorf("%s.Can(%s): got %v, want %v", p.tok.Name, p.role, c, p.can)
			}
			if c := p.tok.InScope(p.consultation); c != p.scope {
				t.Errorf("%s.InScope(%s): got %v, want %v", p.tok.Name, p.consultation, c, p.scope)
			}
		}
		for _, bad := range []string{"", "bz_", offTok + "x", "bz_" + strings.Repeat("A", 43), strings.ToUpper(offTok)} {
			if _, err := s.Authenticate(ctx, bad); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Authenticate(%q): got %v, want ErrNotFound", bad, err)
			}
		}

		list, err := s.ListTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Fatalf("ListTokens: got %d, want 2", len(list))
		}

		// web sessions follow their token
		sid, err := s.CreateWebSession(ctx, off.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		sid2, err := s.CreateWebSession(ctx, adm.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if id, err := s.WebSession(ctx, sid); err != nil || id != off.ID {
			t.Errorf("WebSession: got %q, %v, want %q", id, err, off.ID)
		}
		if _, err := s.CreateWebSession(ctx, "000000000000", time.Hour); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("web session for unknown token: got %v, want ErrNotFound", err)
		}
		if err := s.DeleteWebSession(ctx, sid2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WebSession(ctx, sid2); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted web session: got %v, want ErrNotFound", err)
		}

		// revoke by name and by id
		if err := s.RevokeToken(ctx, "county office"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, offTok); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoked token: got %v, want ErrNotFound", err)
		}
		if _, err := s.WebSession(ctx, sid); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("web session of revoked token: got %v, want ErrNotFound", err)
		}
		if err := s.RevokeToken(ctx, adm.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, admTok); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoked by id: got %v, want ErrNotFound", err)
		}
		if err := s.RevokeToken(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoke unknown: got %v, want ErrNotFound", err)
		}
		// a revoked name can be used again
		if _, _, err := s.CreateToken(ctx, store.RoleAdmin, "root", nil); err != nil {
			t.Errorf("re-create revoked name: %v", err)
		}
	})
}

func TestLeasesAndOffsets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		lease := []struct {
			op, holder string
			want       bool
		}{
			{"acquire", "a", true},
			{"acquire", "b", false},
			{"acquire", "a", true}, // renew
			{"release", "b", false},
			{"acquire", "b", false}, // b's release did nothing
			{"release", "a", false},
			{"acquire", "b", true},
		}
		for i, st := range lease {
			if st.op == "release" {
				if err := s.ReleaseLease(ctx, "telegram", st.holder); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := s.AcquireLease(ctx, "telegram", st.holder, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if got != st.want {
				t.Errorf("step %d: %s by %s: got %v, want %v", i, st.op, st.holder, got, st.want)
			}
		}

		if v, err := s.Offset(ctx, "telegram"); err != nil || v != 0 {
			t.Errorf("fresh offset: got %d, %v, want 0", v, err)
		}
		for _, st := range []struct{ set, want int64 }{
			{100, 100}, {99, 100}, {100, 100}, {101, 101}, {5, 101}, {1 << 40, 1 << 40},
		} {
			if err := s.SetOffset(ctx, "telegram", st.set); err != nil {
				t.Fatal(err)
			}
			got, err := s.Offset(ctx, "telegram")
			if err != nil {
				t.Fatal(err)
			}
			if got != st.want {
				t.Errorf("SetOffset(%d): got %d, want %d", st.set, got, st.want)
			}
		}
	})
}

func TestStatusAndReleases(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		for _, st := range [][2]string{{"night-safety", "closed"}, {"night-safety", "open"}, {"markets", "closed"}} {
			if err := s.SetStatus(ctx, st[0], st[1], "facilitator:alice"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetStatus(ctx, "markets", "paused", "x"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad status: got %v, want ErrInvalid", err)
		}
		all, err := s.Statuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all["night-safety"].Status != "open" || all["markets"].Status != "closed" || all["markets"].By != "facilitator:alice" {
			t.Errorf("Statuses: got %+v", all)
		}
		log, err := s.StatusLog(ctx, "night-safety")
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 2 || log[0].Status != "open" || log[1].Status != "closed" {
			t.Errorf("StatusLog: got %+v, want open then closed", log)
		}
		if at := log[0].At; at.IsZero() || at.Second() != 0 || at.Nanosecond() != 0 {
			t.Errorf("status time: got %v, want a whole minute", at)
		}

		for i := range 3 {
			if err := s.LogRelease(ctx, store.Release{TokenName: "county office", Consultation: "night-safety", Format: []string{"csv", "xlsx", "json"}[i], K: 5}); err != nil {
				t.Fatal(err)
			}
		}
		rel, err := s.Releases(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(rel) != 2 || rel[0].Format != "json" || rel[1].Format != "xlsx" || rel[0].K != 5 || rel[0].Time.IsZero() {
			t.Errorf("Releases(2): got %+v, want json then xlsx", rel)
		}
	})
}

func TestReleaseLogCapped(t *testing.T) {
	s, _, _ := backends[1].open(t)
	s = store.New(s.Client(), store.Options{LogCap: 3})
	ctx := ctxT(t)
	for i := range 5 {
		if err := s.LogRelease(ctx, store.Release{Consultation: "c", Format: "csv", K: i}); err != nil {
			t.Fatal(err)
		}
	}
	rel, err := s.Releases(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rel) != 3 || rel[0].K != 4 || rel[2].K != 2 {
		t.Errorf("capped log: got %+v, want K 4,3,2", rel)
	}
}
