package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// TestReplicasShareReleases runs two `baraza serve` on one Redis, each with
// its release loop ticking every 20 ms and no interval: completions come
// in, and both serve the same release, made once (the release log holds
// one entry per release, numbered 1, 2, … with no duplicate).
func TestReplicasShareReleases(t *testing.T) {
	srv := redistest.Start(t)
	secret := strings.Repeat("r", 32)
	e := env(map[string]string{"BARAZA_REDIS_URL": srv.URL, "BARAZA_SECRET": secret, "BARAZA_HTTP_ADDR": "127.0.0.1:0",
		"BARAZA_RELEASE_TICK": "20ms", "BARAZA_RELEASE_INTERVAL": "0", "BARAZA_WEBCHAT": "1"})
	ctx, cancel := context.WithCancel(context.Background())
	var addrs []string
	var dones []chan error
	for i := range 2 {
		stderr := &testenv.LogBuffer{}
		done := make(chan error, 1)
		dones = append(dones, done)
		go func() { done <- run(ctx, nil, e, io.Discard, stderr) }()
		re := regexp.MustCompile(`"serving".*?"addr":"(127\.0\.0\.1:\d+)"|msg=serving addr=(127\.0\.0\.1:\d+)`)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if m := re.FindStringSubmatch(stderr.String()); m != nil {
				addrs = append(addrs, m[1]+m[2])
				break
			}
			select {
			case err := <-done:
				t.Fatalf("replica %d ended: %v\n%s", i, err, stderr.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %d printed no address: %s", i, stderr.String())
			}
		}
	}
	t.Cleanup(func() {
		cancel()
		for _, d := range dones {
			select {
			case <-d:
			case <-time.After(20 * time.Second):
				t.Errorf("a replica did not stop")
			}
		}
	})

	rdb, err := store.Connect(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, store.Options{CounterKey: privacy.NewKeys([]byte(secret)).CounterKey()})
	tok, _, err := st.CreateToken(context.Background(), "official", "replica reader", nil)
	if err != nil {
		t.Fatal(err)
	}
	scripts, err := dialogs.LoadFS(dialogs.Bundled())
	if err != nil {
		t.Fatal(err)
	}
	var sc *dialogs.Script
	for _, s := range scripts {
		if s.ID == "community-safety" {
			sc = s
		}
	}
	done := 0
	complete := func(n int) {
		t.Helper()
		for range n {
			a := dialogs.Answers{}
			for _, q := range sc.Questions {
				if len(q.Options) > 0 && q.Relevant == "" {
					a[q.ID] = dialogs.Answer{Options: []string{q.Options[done%len(q.Options)].ID}}
				}
			}
			done++
			if _, err := st.Apply(context.Background(), store.Completion{Consultation: sc.ID, Key: fmt.Sprint("done-", done),
				Incr: append([]string{results.FieldStarted}, results.Increments(sc, a, "")...)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	summary := func(addr string) (results.Summary, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/consultations/community-safety/summary", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var s results.Summary
		if resp.StatusCode != 200 || json.Unmarshal(body, &s) != nil {
			t.Fatalf("summary: %d %s", resp.StatusCode, body)
		}
		return s, string(body)
	}
	type entry struct {
		Number      int   `json:"number"`
		Completions int64 `json:"completions"`
	}
	releases := func() []entry {
		t.Helper()
		raw, err := st.ReleaseLog(context.Background(), sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]entry, len(raw))
		for i, b := range raw {
			if err := json.Unmarshal(b, &out[i]); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	// settle waits until no release is due (fewer than k completions since
	// the newest), then checks that both replicas serve that release, the
	// same bytes, and that the log has each release once, k apart.
	settle := func() int {
		t.Helper()
		var log []entry
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			log = releases()
			if len(log) > 0 && int64(done)-log[0].Completions < 5 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no release covers %d completions: %+v", done, log)
			}
		}
		for i, en := range log {
			if en.Number != len(log)-i {
				t.Fatalf("release log: entry %d is release %d: %+v", i, en.Number, log)
			}
			if i+1 < len(log) && en.Completions-log[i+1].Completions < 5 {
				t.Fatalf("releases %d and %d differ by fewer than k completions: %+v", en.Number, log[i+1].Number, log)
			}
		}
		s0, b0 := summary(addrs[0])
		s1, b1 := summary(addrs[1])
		if s0.Release != len(log) || b0 != b1 {
			t.Errorf("replicas serve release %d and %d (log: %d releases); bodies equal: %v", s0.Release, s1.Release, len(log), b0 == b1)
		}
		if s0.Completed == nil || *s0.Completed != log[0].Completions {
			t.Errorf("release %d shows completed %v, want %d", s0.Release, s0.Completed, log[0].Completions)
		}
		return len(log)
	}

	if s, _ := summary(addrs[0]); s.Release != 0 || s.Completed != nil {
		t.Fatalf("before any completion: release %d completed %v", s.Release, s.Completed)
	}
	complete(4)
	if s, _ := summary(addrs[1]); s.Release != 0 {
		t.Fatalf("a release with 4 completions (k = 5)")
	}
	complete(3)
	n1 := settle()
	complete(12)
	n2 := settle()
	if n1 < 1 || n2 <= n1 {
		t.Errorf("releases: %d after 7 completions, %d after 19", n1, n2)
	}
	t.Logf("two replicas, release loops every 20 ms: %d releases for 19 completions, each made once", n2)
}
