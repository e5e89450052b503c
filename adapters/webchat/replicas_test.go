package webchat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/testenv"
)

// TestTwoReplicas runs two whole cores — each its own router, web chat
// and in-process locks, as two `baraza serve` processes would have — on
// one Redis, behind one address that sends each request to the other
// replica in turn, so a respondent's consecutive answers (and the
// re-delivery of one) land on different replicas. The counts are exact,
// every answer is counted for the question it answered (the order is
// kept), and both replicas read the same summary.
func TestTwoReplicas(t *testing.T) {
	srv := redistest.Start(t)
	var backends []*url.URL
	var envs []*testenv.Env
	for range 2 {
		env := testenv.NewOn(t, srv) // same Redis, same secret
		// Replicas sign the chat identity with one key derived from the
		// shared secret (as serve does), so either accepts the other's.
		a := webchat.New(webchat.Config{Logger: env.Logger, IdentityKey: env.Keys.Derive("webchat-identity")})
		hs := httptest.NewServer(a.Handler())
		t.Cleanup(hs.Close)
		adaptertest.Start(t, a, env.Router)
		u, _ := url.Parse(hs.URL)
		backends = append(backends, u)
		envs = append(envs, env)
	}
	var turn atomic.Int64
	var served [2]atomic.Int64
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(turn.Add(1) % 2)
		served[i].Add(1)
		httputil.NewSingleHostReverseProxy(backends[i]).ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	script := envs[0].Catalog.Get("community-safety")
	d := &chatDriver{url: front.URL, users: map[string]*chatUser{}}
	const n = 24
	players := make([]*simulate.Player, n)
	var wg sync.WaitGroup
	for i := range n {
		players[i] = simulate.NewPlayer(script, uint64(900+i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := fmt.Sprint("replica-user-", i)
			p := players[i]
			d.Command(t, u, "start", script.ID)
			for step := 0; step < 200 && !p.Done(); step++ {
				in := d.Inbox(t, u)
				if len(in) == 0 {
					t.Errorf("%s: empty page", u)
					return
				}
				act, err := p.Act(in[len(in)-1])
				if err != nil {
					t.Errorf("%s: %v", u, err)
					return
				}
				switch act.Kind {
				case simulate.ActPress:
					d.Press(t, u, act.Data)
				case simulate.ActText:
					d.Text(t, u, act.Text)
				default:
					continue
				}
				if step%4 == 1 {
					// The page re-sends its last request (a lost reply):
					// it goes to the other replica.
					d.Redeliver(t, u)
				}
			}
			if !p.Done() {
				t.Errorf("%s: the dialog did not end", u)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := range served {
		if served[i].Load() < 50 {
			t.Errorf("replica %d served %d requests, want a fair share", i, served[i].Load())
		}
	}
	testenv.AssertCounters(t, envs[0].Counters(t, script.ID), simulate.Expected(players, results.Week(time.Now())))
	// Both replicas' release loops tick: one release is made, and both
	// read it.
	for _, env := range envs {
		env.Release(t)
	}
	var views []string
	for _, env := range envs {
		s, err := env.Consult.Summary(context.Background(), script.ID, "en")
		if err != nil {
			t.Fatal(err)
		}
		if s.Release != 1 {
			t.Errorf("release %d, want 1", s.Release)
		}
		b, _ := json.Marshal(s)
		views = append(views, string(b))
	}
	if views[0] != views[1] {
		t.Errorf("the replicas read different summaries:\n%s\n%s", views[0], views[1])
	}
}
