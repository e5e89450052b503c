package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
)

// TestCluster runs every multi-key script on a three-master cluster, which
// (unlike a single node) rejects keys of different slots and keys a script
// did not declare.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	cl := redistest.StartCluster(t)
	url := "redis://" + cl.Addrs[0] + "?addr=" + cl.Addrs[1] + "&addr=" + cl.Addrs[2] + "&cluster=true"
	s, rdb, _ := openURL(t, url, "baraza:")
	if _, ok := rdb.(*redis.ClusterClient); !ok {
		t.Fatalf("Connect(cluster URL): got %T, want *redis.ClusterClient", rdb)
	}
	ctx := ctxT(t)

	// The cluster must catch both mistakes, or this test proves nothing.
	bad := []struct {
		name string
		src  string
		keys []string
		want string
	}{
		{"cross slot", `return redis.call('GET', KEYS[1])`, []string{"{a}x", "{b}y"}, "CROSSSLOT"},
		// Redis 7.0 rejects an undeclared key only when its slot is on
		// another node; among ten tags some are.
		{"undeclared key", `for i = 0, 9 do redis.call('GET', '{zz' .. i .. '}k') end`, []string{"{a}x"}, "non local key"},
	}
	for _, b := range bad {
		err := redis.NewScript(b.src).Run(ctx, rdb, b.keys).Err()
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Fatalf("%s: got %v, want an error with %q", b.name, err, b.want)
		}
	}

	// Many consultations and respondents, so the keys spread over all three masters.
	for i := range 12 {
		c := "consultation-" + string(rune('a'+i))
		r := hexID(byte(i))
		if _, _, _, err := s.LoadSession(ctx, r, "ev"); err != nil {
			t.Fatalf("LoadSession: %v", err)
		}
		if err := s.SaveSession(ctx, r, 0, []byte("state"), "ev"); err != nil {
			t.Fatalf("SaveSession: %v", err)
		}
		_, v, dup, err := s.LoadSession(ctx, r, "ev")
		if err != nil || v == 0 || !dup {
			t.Fatalf("LoadSession after save: got v=%d dup=%v err=%v", v, dup, err)
		}
		if err := s.SaveSession(ctx, r, v, nil, "ev2"); err != nil {
			t.Fatalf("SaveSession delete: %v", err)
		}
		ok, err := s.Apply(ctx, store.Completion{Consultation: c, Key: "k", Participation: hexID(byte(i + 1)),
			Incr: []string{"completed", "o|q|a"}, Texts: map[string]string{"story": "x", "other": "y"}})
		if err != nil || !ok {
			t.Fatalf("Apply: got %v, %v", ok, err)
		}
		if got, err := s.Counters(ctx, c); err != nil || got["completed"] != 1 {
			t.Fatalf("Counters: got %v, %v", got, err)
		}
		pend, err := s.PendingTexts(ctx, c, "story")
		if err != nil || len(pend) != 1 {
			t.Fatalf("PendingTexts: got %v, %v", pend, err)
		}
		if made, err := s.CreateRelease(ctx, c, 1, []byte("{}"), []byte("{}"), map[string][]store.PendingText{"story": pend}); err != nil || !made {
			t.Fatalf("CreateRelease: got %v, %v", made, err)
		}
		if made, err := s.CreateRelease(ctx, c, 1, []byte("{}"), []byte("{}"), nil); err != nil || made {
			t.Fatalf("CreateRelease of the same number again: got %v, %v", made, err)
		}
		// A release's history in one MGET: the keys share the slot.
		if got, err := s.ReleaseBodies(ctx, c, []int{1, 2}); err != nil || len(got) != 2 || string(got[0]) != "{}" || got[1] != nil {
			t.Fatalf("ReleaseBodies: got %q, %v", got, err)
		}
		if got, err := s.Texts(ctx, c, "story"); err != nil || len(got) != 1 {
			t.Fatalf("Texts: got %v, %v", got, err)
		}
		if p, err := s.Participated(ctx, c, hexID(byte(i+1))); err != nil || !p {
			t.Fatalf("Participated: got %v, %v", p, err)
		}
		if err := s.SetStatus(ctx, c, "closed", "admin:root"); err != nil {
			t.Fatalf("SetStatus: %v", err)
		}
	}
	tok, tk, err := s.CreateToken(ctx, store.RoleAdmin, "root", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	sid, err := s.CreateWebSession(ctx, tk.ID, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WebSession(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "root"); err != nil {
		t.Fatal(err)
	}
	if err := s.LogRelease(ctx, store.Release{Consultation: "c", Format: "csv", K: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLease(ctx, "telegram", "me", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOffset(ctx, "telegram", 7); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Statuses(ctx); err != nil || len(st) != 12 {
		t.Fatalf("Statuses: got %d, %v", len(st), err)
	}
}
