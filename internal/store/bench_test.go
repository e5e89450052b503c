package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
)

// benchStore starts a private server (or BARAZA_BENCH_REDIS_URL, to compare
// with redis-benchmark on the same server) and counts round trips.
func benchStore(b *testing.B) (*store.Store, *store.RoundTrips, string) {
	b.Helper()
	url, prefix := os.Getenv("BARAZA_BENCH_REDIS_URL"), "bench"+strconv.Itoa(os.Getpid())+":"
	if url == "" {
		srv := redistest.Start(b)
		url, prefix = srv.URL, srv.Prefix+"baraza:"
		compare(b, srv.Addr)
	}
	rdb, err := store.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rdb.Close() })
	rt := &store.RoundTrips{}
	rdb.AddHook(rt)
	return store.New(rdb, store.Options{Prefix: prefix}), rt, prefix
}

var compared sync.Map

// compare runs redis-benchmark once per benchmark against the same server
// when BARAZA_BENCH_COMPARE=1, so the store's figures sit beside Redis's
// own from the same minute.
func compare(b *testing.B, addr string) {
	if os.Getenv("BARAZA_BENCH_COMPARE") != "1" {
		return
	}
	if _, done := compared.LoadOrStore(b.Name(), true); done {
		return
	}
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command("redis-benchmark", "-h", host, "-p", port, "-q", "-t", "set,get", "-c", "50", "-n", "100000").CombinedOutput()
	if err != nil {
		b.Logf("redis-benchmark: %v", err)
		return
	}
	// -q prints progress with carriage returns; keep the final lines.
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.LastIndex(line, "\r"); i >= 0 {
			line = line[i+1:]
		}
		if line = strings.TrimSpace(line); line != "" {
			b.Logf("redis-benchmark same server: %s", line)
		}
	}
}

func report(b *testing.B, rt *store.RoundTrips, start int64) {
	b.ReportMetric(float64(rt.Load()-start)/float64(b.N), "rt/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkLoadSave is one ordinary dialog step: load the session and the
// event's de-dup flag, then save the new state. Parallel, like a bot
// serving many respondents.
func BenchmarkLoadSave(b *testing.B) {
	s, rt, _ := benchStore(b)
	ctx := context.Background()
	var next atomic.Int64
	data := make([]byte, 300) // a typical encoded dialog state
	warm := fmt.Sprintf("%064x", 0)
	if _, v, _, err := s.LoadSession(ctx, warm, ""); err != nil || s.SaveSession(ctx, warm, v, data, "") != nil {
		b.Fatalf("warm-up: %v", err)
	}
	start := rt.Load()
	b.SetParallelism(25) // 50 goroutines on 2 CPUs, like redis-benchmark -c 50
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := fmt.Sprintf("%064x", next.Add(1))
		var ev int
		for pb.Next() {
			ev++
			key := strconv.Itoa(ev)
			_, v, dup, err := s.LoadSession(ctx, r, key)
			if err != nil || dup {
				b.Errorf("load: %v dup=%v", err, dup)
				return
			}
			if err := s.SaveSession(ctx, r, v, data, key); err != nil {
				b.Errorf("save: %v", err)
				return
			}
		}
	})
	b.StopTimer()
	report(b, rt, start)
}

// BenchmarkApply is one completion: a dozen counter fields and a text.
func BenchmarkApply(b *testing.B) {
	s, rt, _ := benchStore(b)
	ctx := context.Background()
	incr := []string{"completed", "a|area", "o|area|north", "a|safe", "o|safe|3", "b|safe|3|area|north",
		"a|incidents", "o|incidents|theft", "b|incidents|theft|area|north", "a|reported", "o|reported|yes", "a|story"}
	var next atomic.Int64
	if _, err := s.Apply(ctx, store.Completion{Consultation: "bench", Key: "warm", Incr: incr}); err != nil {
		b.Fatalf("warm-up: %v", err)
	}
	start := rt.Load()
	b.SetParallelism(25) // 50 goroutines on 2 CPUs, like redis-benchmark -c 50
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			ok, err := s.Apply(ctx, store.Completion{Consultation: "bench", Key: strconv.FormatInt(n, 10),
				Participation: fmt.Sprintf("%032x", n), Incr: incr, Texts: map[string]string{"story": "the street lamp is broken"}})
			if err != nil || !ok {
				b.Errorf("apply: %v %v", ok, err)
				return
			}
		}
	})
	b.StopTimer()
	report(b, rt, start)
}

var _ redis.Hook = (*store.RoundTrips)(nil)
