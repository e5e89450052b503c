package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/internal/redistest"
)

// TestLoadReport runs `baraza load` against a private Redis, small, and
// reads its JSON: every figure issue 15 asks for is there and plausible,
// counts are exact in both phases, the open loop's deliveries are all
// accounted for (warm-up + steady + tail), and nothing is left in Redis.
func TestLoadReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load command")
	}
	srv := redistest.Start(t)
	args := []string{"--respondents", "60", "--concurrency", "8", "--rate", "400", "--live", "12", "--json"}
	_, err := exec.LookPath("redis-benchmark")
	bench := err == nil
	if !bench {
		args = append(args, "--redis-benchmark=false")
	}
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "BARAZA_REDIS_URL" {
			return srv.URL
		}
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := load(ctx, args, getenv, &stdout, &stderr); err != nil {
		t.Fatalf("load: %v\n%s", err, stderr.String())
	}
	var r loadReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout.String())
	}
	if !r.CountsExact || !r.RateExact {
		t.Errorf("counts exact: full %v, open loop %v", r.CountsExact, r.RateExact)
	}
	if r.Events == 0 || r.EventsPerSec <= 0 || r.RoundTrips <= 0 || r.AllocsPerEvent <= 0 {
		t.Errorf("full-speed figures missing: %+v", r)
	}
	if r.Rate != 400 || r.RateEvents == 0 {
		t.Errorf("open loop: rate %v, %d events", r.Rate, r.RateEvents)
	}
	if got := r.OpenEvents + r.OpenWarmEvents + r.OpenTailEvents; got != r.RateEvents {
		t.Errorf("open loop deliveries: %d steady + %d warm-up + %d tail = %d, want %d",
			r.OpenEvents, r.OpenWarmEvents, r.OpenTailEvents, got, r.RateEvents)
	}
	for name, n := range map[string]int{"GET": r.FloorGetEvents, "GET+SET": r.FloorGetSetEvents} {
		if n <= 0 || n > r.RateEvents {
			t.Errorf("floor %s: %d events after its warm-up, want 1..%d", name, n, r.RateEvents)
		}
	}
	for name, l := range map[string]latency{"full": r.Full, "open": r.Open, "floor GET": r.FloorGet, "floor GET+SET": r.FloorGetSet} {
		if l.P50 <= 0 || l.P50 > l.P95 || l.P95 > l.P99 || l.P99 > l.Max {
			t.Errorf("%s latency not ordered: %+v", name, l)
		}
	}
	if r.LiveSessions != 12 || r.LiveKeyBytes <= 0 || r.LiveKeyBytes > 1024 {
		t.Errorf("live sessions %d, %.0f bytes each (≤ 1 KiB)", r.LiveSessions, r.LiveKeyBytes)
	}
	if r.PerPersonKeys != 0 || r.MarkerKeys != r.Respondents {
		t.Errorf("after completion: %d per-respondent keys, %d markers (want 0, %d: the full-speed phase's respondents)", r.PerPersonKeys, r.MarkerKeys, r.Respondents)
	}
	if r.OpenProc.WaitMsPerSec < 0 {
		t.Errorf("run-queue wait unknown on Linux")
	}
	if bench && (r.BenchError != "" || r.Ratio <= 0) {
		t.Errorf("redis-benchmark is installed, yet no ratio: %q, %v", r.BenchError, r.Ratio)
	}
	// Everything written under the run's prefix is gone.
	keys, err := srv.Client().Keys(ctx, "baraza-load-*").Result()
	if err != nil || len(keys) != 0 {
		t.Errorf("left in Redis: %d keys, %v", len(keys), err)
	}
}

// TestTimedSplit: the warm-up is the first inflight slots and every slot
// due before the last of them was answered; the tail is what the
// schedule flagged; the rest is steady; nothing is dropped.
func TestTimedSplit(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name             string
		interval         time.Duration
		slots            []slotLat
		inflight         int64
		warm, steady, tl int
		wantWarmMax      time.Duration
	}{
		{"no burst", ms, []slotLat{{i: 0, d: ms}, {i: 1, d: ms}, {i: 2, d: ms}}, 1, 1, 2, 0, ms},
		{"burst answered late covers later slots", 3 * ms, []slotLat{
			{i: 0, d: 9 * ms}, {i: 1, d: 3 * ms}, // slot 0 answered at 9 ms
			{i: 2, d: 6 * ms}, // due at 6 ms, before slot 0 was answered
			{i: 3, d: ms},     // due at 9 ms
			{i: 4, d: 2 * ms, tail: true},
		}, 2, 3, 1, 1, 9 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := &timed{sched: &schedule{interval: tt.interval}, slots: tt.slots}
			warm, steady, tail := tm.split(tt.inflight)
			if len(warm) != tt.warm || len(steady) != tt.steady || len(tail) != tt.tl {
				t.Fatalf("split = %d warm, %d steady, %d tail; want %d, %d, %d",
					len(warm), len(steady), len(tail), tt.warm, tt.steady, tt.tl)
			}
			var top time.Duration
			for _, d := range warm {
				top = max(top, d)
			}
			if top != tt.wantWarmMax {
				t.Errorf("warm-up max %v, want %v", top, tt.wantWarmMax)
			}
		})
	}
}

// TestFloorRun: the floor times every delivery of its timetable, does
// what its ops say (counted by the server's command statistics), and
// leaves nothing behind — on a single server and on a Redis Cluster,
// where its workers' keys lie in different slots.
func TestFloorRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis servers")
	}
	single := redistest.Start(t)
	cluster := redistest.StartCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const events, inflight = 300, 8
	for _, srv := range []struct {
		name string
		rdb  redis.UniversalClient
	}{{"single", single.Client()}, {"cluster", cluster.Client()}} {
		for _, tt := range []struct {
			ops       floorOps
			gets, set int
		}{{floorGet, events, 0}, {floorGetSet, events, events}} {
			t.Run(fmt.Sprintf("%s/%d", srv.name, tt.ops), func(t *testing.T) {
				get0, set0 := calls(ctx, t, srv.rdb, "get"), calls(ctx, t, srv.rdb, "set")
				warm, steady, err := floorRun(ctx, srv.rdb, "floor-test:", tt.ops, 3000, events, inflight)
				if err != nil {
					t.Fatal(err)
				}
				if len(warm)+len(steady) != events || len(warm) < inflight {
					t.Errorf("%d warm-up + %d steady deliveries, want %d with at least %d warm-up", len(warm), len(steady), events, inflight)
				}
				for _, d := range append(warm, steady...) {
					if d <= 0 {
						t.Fatalf("a delivery took %v", d)
					}
				}
				if got := calls(ctx, t, srv.rdb, "get") - get0; got != int64(tt.gets) {
					t.Errorf("%d GETs, want %d", got, tt.gets)
				}
				if got := calls(ctx, t, srv.rdb, "set") - set0; got != int64(tt.set) {
					t.Errorf("%d SETs, want %d", got, tt.set)
				}
				if left, err := redistest.ScanMatch(ctx, srv.rdb, "floor-test:*"); err != nil || left != "" {
					t.Errorf("left in Redis: %q, %v", left, err)
				}
			})
		}
	}
}

// calls is how many times the server (every primary of a cluster) ran
// cmd, from INFO commandstats.
func calls(ctx context.Context, t *testing.T, rdb redis.UniversalClient, cmd string) int64 {
	t.Helper()
	var mu sync.Mutex
	var total int64
	count := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "commandstats").Result()
		if err != nil {
			return err
		}
		for line := range strings.Lines(info) {
			rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls=")
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
			if err != nil {
				return err
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}
		return nil
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, count)
	case *redis.Client:
		err = count(ctx, c)
	default:
		t.Fatalf("client %T", rdb)
	}
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// TestParseCPULine: processes' CPU time is every class but idle, iowait
// and steal; steal is reported apart, not as other processes' time.
func TestParseCPULine(t *testing.T) {
	tests := []struct {
		in          string
		busy, steal float64
		ok          bool
	}{
		{"cpu  100 20 30 5000 40 5 6 70 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n", 1.61, 0.70, true},
		{"cpu 100 0 0 0 0 0 0 0\n", 1, 0, true},
		{"cpu0 100 0 0 0 0 0 0 0 0 0\n", 0, 0, false},
		{"cpu 1 2 3\n", 0, 0, false},
		{"cpu 1 2 3 4 5 6 x 8 9 10\n", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		busy, steal, err := parseCPULine(tt.in)
		if (err == nil) != tt.ok || math.Abs(busy-tt.busy) > 1e-9 || math.Abs(steal-tt.steal) > 1e-9 {
			t.Errorf("parseCPULine(%q) = %v, %v, %v; want %v, %v, ok %v", tt.in, busy, steal, err, tt.busy, tt.steal, tt.ok)
		}
	}
}
