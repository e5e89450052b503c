package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/store"
)

// loadReport is every figure `baraza load` prints, one line each, or as
// JSON with --json. Durations are in milliseconds.
type loadReport struct {
	Respondents    int     `json:"respondents"`
	Concurrency    int     `json:"concurrency"`
	DupShare       float64 `json:"duplicate_share"`
	Events         int     `json:"events"`
	Seconds        float64 `json:"seconds"`
	EventsPerSec   float64 `json:"events_per_s"`
	CompletionsSec float64 `json:"completions_per_s"`
	RoundTrips     float64 `json:"round_trips_per_event"`
	Writes         float64 `json:"redis_writes_per_event"`
	AllocsPerEvent float64 `json:"allocs_per_event"`
	BytesPerEvent  float64 `json:"alloc_bytes_per_event"`
	CountsExact    bool    `json:"counts_exact"`
	Full           latency `json:"latency_full_speed_ms"`

	Rate        float64 `json:"rate_offered_per_s"`
	RateEvents  int     `json:"rate_events"`
	RateAchieve float64 `json:"rate_achieved_per_s"`
	Open        latency `json:"latency_open_loop_ms"`
	OpenEvents  int     `json:"latency_open_loop_events"`
	OpenTail    latency `json:"latency_open_loop_last_respondents_ms"`
	// OpenWarm is the open loop's start (timed.split): every in-flight
	// respondent's first message at once.
	OpenWarm       latency     `json:"latency_open_loop_warm_up_ms"`
	OpenWarmEvents int         `json:"latency_open_loop_warm_up_events"`
	OpenTailEvents int         `json:"latency_open_loop_last_respondents_events"`
	OpenProc       procFigures `json:"open_loop_process"`
	FullProc       procFigures `json:"full_speed_process"`
	GOGC           int64       `json:"gogc_percent"`
	MemLimit       int64       `json:"gomemlimit_bytes"`
	RateExact      bool        `json:"rate_counts_exact"`
	// OpenTrips and OpenWrites are RoundTrips and Writes of the open loop:
	// at a moderate rate fewer events share a pipeline than at full speed.
	OpenTrips  float64 `json:"open_loop_round_trips_per_event"`
	OpenWrites float64 `json:"open_loop_redis_writes_per_event"`
	// FloorGet and FloorGetSet are the open loop without the core
	// (floorRun): what is left of their percentiles is the machine's.
	FloorGet          latency     `json:"latency_floor_get_ms"`
	FloorGetEvents    int         `json:"latency_floor_get_events"`
	FloorGetSet       latency     `json:"latency_floor_get_set_ms"`
	FloorGetSetEvents int         `json:"latency_floor_get_set_events"`
	FloorProc         procFigures `json:"floor_get_set_process"`

	LiveSessions     int     `json:"live_sessions"`
	LiveKeyBytes     float64 `json:"redis_bytes_per_live_session_keys"`
	LiveUsedBytes    float64 `json:"redis_bytes_per_live_session_used_memory"`
	FinishedKeyBytes float64 `json:"redis_bytes_per_finished_respondent_keys"`
	FinishedUsed     float64 `json:"redis_bytes_per_finished_respondent_used_memory"`
	PerPersonKeys    int     `json:"per_respondent_keys_after_completion"`
	MarkerKeys       int     `json:"participation_markers"`
	AggregateBytes   int64   `json:"redis_bytes_aggregates"`

	BenchSet   float64 `json:"redis_benchmark_set_per_s,omitempty"`
	BenchGet   float64 `json:"redis_benchmark_get_per_s,omitempty"`
	Ratio      float64 `json:"ratio_events_to_set,omitempty"`
	BenchError string  `json:"redis_benchmark_error,omitempty"`
}

// procFigures is what one phase cost the process (simulator included)
// and redis-server, per event, and what the Go runtime saw meanwhile.
type procFigures struct {
	CPUMicros      float64 `json:"cpu_us_per_event"`
	RedisCPUMicros float64 `json:"redis_cpu_us_per_event"`
	GCCycles       uint64  `json:"gc_cycles"`
	GCShare        float64 `json:"gc_share_of_cpu"`
	GCPauseMax     float64 `json:"gc_pause_max_ms"`
	LiveHeapMB     float64 `json:"live_heap_mb"`
	SchedP99       float64 `json:"sched_latency_p99_ms"`
	SchedMax       float64 `json:"sched_latency_max_ms"`
	// What the operating system saw (machineSnap; -1: unknown): run-queue
	// wait of this process's threads and of redis-server's, in ms per
	// second of the phase, and the cores other processes and the
	// hypervisor took meanwhile.
	WaitMsPerSec      float64 `json:"run_queue_wait_ms_per_s"`
	RedisWaitMsPerSec float64 `json:"redis_run_queue_wait_ms_per_s"`
	OthersCores       float64 `json:"other_processes_cores"`
	StealCores        float64 `json:"steal_cores"`
}

func (f procFigures) cpuString() string {
	s := fmt.Sprintf("%.0f µs (user+system, simulator included)", f.CPUMicros)
	if f.RedisCPUMicros > 0 {
		s += fmt.Sprintf("; redis-server %.0f µs", f.RedisCPUMicros)
	}
	return s
}

func (f procFigures) machineString() string {
	if f.WaitMsPerSec < 0 {
		return "unknown (no /proc)"
	}
	s := fmt.Sprintf("other processes %.2f cores, stolen %.2f; run-queue wait %.1f ms/s", f.OthersCores, f.StealCores, f.WaitMsPerSec)
	if f.RedisWaitMsPerSec >= 0 {
		s += fmt.Sprintf(", redis-server's main thread %.1f ms/s", f.RedisWaitMsPerSec)
	}
	return s + " (runnable, kept off a processor; /proc schedstat)"
}

func (f procFigures) gcString() string {
	return fmt.Sprintf("%d cycles, %.0f%% of the process's CPU, longest pause %.2f ms, live heap %.1f MB",
		f.GCCycles, 100*f.GCShare, f.GCPauseMax, f.LiveHeapMB)
}

// phaseProfiles starts a CPU profile and an execution trace into the
// files named (none for ""), and returns what stops them.
func phaseProfiles(cpuFile, traceFile string) (stop func(), err error) {
	var closers []func()
	stop = func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	if cpuFile != "" {
		f, err := os.Create(cpuFile)
		if err != nil {
			return stop, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return stop, err
		}
		closers = append(closers, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			stop()
			return func() {}, err
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			stop()
			return func() {}, err
		}
		closers = append(closers, func() { trace.Stop(); f.Close() })
	}
	return stop, nil
}

// procSnap is a reading of the counters procFigures are differences of.
type procSnap struct {
	cpu      time.Duration
	redisCPU float64 // seconds; 0 when unknown (a cluster)
	cycles   uint64
	gcCPU    float64
	userCPU  float64
	pauses   metrics.Float64Histogram
	sched    metrics.Float64Histogram
	mach     machineSnap
	at       time.Time
}

func snapshot(ctx context.Context, rdb redis.UniversalClient) procSnap {
	var s procSnap
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	s.redisCPU, _ = redisCPU(ctx, rdb)
	s.mach, s.at = readMachine(ctx, rdb), time.Now()
	m := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/cpu/classes/user:cpu-seconds"},
		{Name: "/sched/pauses/total/gc:seconds"},
		{Name: "/sched/latencies:seconds"},
	}
	metrics.Read(m)
	s.cycles = m[0].Value.Uint64()
	s.gcCPU, s.userCPU = m[1].Value.Float64(), m[2].Value.Float64()
	// The runtime may reuse a histogram's memory at the next read: copy.
	hist := func(v metrics.Value) metrics.Float64Histogram {
		h := v.Float64Histogram()
		return metrics.Float64Histogram{Counts: slices.Clone(h.Counts), Buckets: h.Buckets}
	}
	s.pauses, s.sched = hist(m[3].Value), hist(m[4].Value)
	return s
}

// since is what happened between s0 and s, over events events.
func (s procSnap) since(s0 procSnap, events int) procFigures {
	var f procFigures
	if events > 0 {
		f.CPUMicros = float64(s.cpu-s0.cpu) / float64(time.Microsecond) / float64(events)
		if s.redisCPU > 0 && s0.redisCPU > 0 {
			f.RedisCPUMicros = (s.redisCPU - s0.redisCPU) * 1e6 / float64(events)
		}
	}
	f.GCCycles = s.cycles - s0.cycles
	if gc, user := s.gcCPU-s0.gcCPU, s.userCPU-s0.userCPU; gc+user > 0 {
		f.GCShare = gc / (gc + user)
	}
	_, f.GCPauseMax = histDiff(s.pauses, s0.pauses, 1)
	f.SchedP99, f.SchedMax = histDiff(s.sched, s0.sched, 0.99)
	f.WaitMsPerSec, f.RedisWaitMsPerSec = -1, -1
	if wall := s.at.Sub(s0.at).Seconds(); wall > 0 && s.mach.ok && s0.mach.ok {
		f.WaitMsPerSec = (s.mach.waitSelf - s0.mach.waitSelf) * 1000 / wall
		if s.mach.waitRedis >= 0 && s0.mach.waitRedis >= 0 {
			f.RedisWaitMsPerSec = (s.mach.waitRedis - s0.mach.waitRedis) * 1000 / wall
		}
		others := s.mach.busy - s0.mach.busy - (s.cpu - s0.cpu).Seconds()
		if s.redisCPU > 0 && s0.redisCPU > 0 {
			others -= s.redisCPU - s0.redisCPU
		}
		// /proc/stat counts in ticks of 10 ms: a short phase's difference
		// can come out slightly negative.
		f.OthersCores = max(0, others/wall)
		f.StealCores = (s.mach.steal - s0.mach.steal) / wall
	}
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	f.LiveHeapMB = float64(m[0].Value.Uint64()) / (1 << 20)
	return f
}

// histDiff returns the upper bound, in ms, of the bucket holding quantile
// q of the samples added between h0 and h, and that of the highest bucket
// holding any.
func histDiff(h, h0 metrics.Float64Histogram, q float64) (at, top float64) {
	if len(h.Counts) != len(h0.Counts) {
		return 0, 0
	}
	var total uint64
	for i := range h.Counts {
		total += h.Counts[i] - h0.Counts[i]
	}
	if total == 0 {
		return 0, 0
	}
	bound := func(i int) float64 {
		b := h.Buckets[i+1]
		if math.IsInf(b, 1) {
			b = h.Buckets[i]
		}
		return b * 1000
	}
	want := uint64(math.Ceil(q * float64(total)))
	var cum uint64
	for i := range h.Counts {
		d := h.Counts[i] - h0.Counts[i]
		if d == 0 {
			continue
		}
		cum += d
		if at == 0 && cum >= want {
			at = bound(i)
		}
		top = bound(i)
	}
	return at, top
}

// redisCPU is the server's used_cpu_sys + used_cpu_user (INFO cpu), in
// seconds, for a single server.
func redisCPU(ctx context.Context, rdb redis.UniversalClient) (float64, error) {
	c, ok := rdb.(*redis.Client)
	if !ok {
		return 0, nil
	}
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	var sum float64
	for line := range strings.SplitSeq(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, err
			}
			sum += x
		}
	}
	return sum, nil
}

// gcSettings is the garbage collector's target percentage (GOGC) and soft
// memory limit in force.
func gcSettings() (gogc, limit int64) {
	m := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(m)
	return int64(m[0].Value.Uint64()), int64(m[1].Value.Uint64())
}

type latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentiles(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		i := int(p*float64(len(d))+0.5) - 1
		i = max(0, min(i, len(d)-1))
		return float64(d[i]) / float64(time.Millisecond)
	}
	return latency{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: float64(d[len(d)-1]) / float64(time.Millisecond)}
}

func (l latency) String() string {
	return fmt.Sprintf("p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms", l.P50, l.P95, l.P99, l.Max)
}

// timed wraps the router: it records each delivery's latency. With a
// schedule it is open-loop: each delivery takes the next slot of the
// timetable, waits for the slot's time if it is ahead, and its latency
// counts from that time, so a slow step delays the ones queued behind it
// and the figures show it (no coordinated omission).
type timed struct {
	next  bot.Handler
	sched *schedule
	mu    sync.Mutex
	// lats is the latency of each delivery without a schedule (the
	// closed loop).
	lats []time.Duration
	// slots holds each timetabled delivery (its slot, whose time is the
	// slot times the schedule's interval, and its latency), for split.
	slots []slotLat
}

// slotLat is one timetabled delivery: slot i, its latency d, and whether
// it was taken after the last respondent had started (schedule.draining).
type slotLat struct {
	i    int64
	d    time.Duration
	tail bool
}

func (t *timed) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	start := time.Now()
	steady := true
	var idx int64
	if t.sched != nil {
		var err error
		if start, idx, steady, err = t.sched.slot(ctx); err != nil {
			return bot.Response{}, err
		}
	}
	if trace.IsEnabled() {
		trace.Log(ctx, "slot", strconv.FormatInt(start.UnixNano(), 10))
	}
	resp, err := t.next.Handle(ctx, ev)
	d := time.Since(start)
	if trace.IsEnabled() {
		trace.Log(ctx, "latency", strconv.FormatInt(int64(d), 10))
	}
	t.mu.Lock()
	if t.sched != nil {
		t.slots = append(t.slots, slotLat{i: idx, d: d, tail: !steady})
	} else {
		t.lats = append(t.lats, d)
	}
	t.mu.Unlock()
	return resp, err
}

// split sorts the timetabled deliveries into warm-up, steady and tail.
// The open loop starts all its in-flight respondents at once, so its first
// inflight slots are all first messages (consent, a new session: the
// dearest step), offered back to back where the steady state has one in
// every few dozen; the queue that burst builds is the generator's doing,
// not the offered rate's. Warm-up is those slots and every slot due before
// the last of them was answered; it is reported apart (never dropped), as
// the tail end is.
func (t *timed) split(inflight int64) (warm, steady, tail []time.Duration) {
	at := func(s slotLat) time.Duration { return time.Duration(s.i) * t.sched.interval }
	var end time.Duration
	for _, s := range t.slots {
		if s.i < inflight {
			end = max(end, at(s)+s.d)
		}
	}
	for _, s := range t.slots {
		switch {
		case s.i < inflight || at(s) < end:
			warm = append(warm, s.d)
		case s.tail:
			tail = append(tail, s.d)
		default:
			steady = append(steady, s.d)
		}
	}
	return warm, steady, tail
}

// schedule is the open loop's timetable: slot i is due at start + i ×
// interval. A delivery takes the next free slot when its respondent is
// ready (the slots are taken in order) and goes at the slot's time, or at
// once if the slot is already past: the core has fallen behind, and the
// wait counts in its latency.
//
// No goroutine paces the slots. An earlier version had one, woken by a
// 1 ms ticker, hand out the slots due on a channel; each slot then left
// up to 1 ms after its time, and later still when the pacer itself waited
// in the run queue behind the work it paced — and both delays were
// counted as the core's latency (docs/capacity.md).
type schedule struct {
	start    time.Time
	interval time.Duration
	next     atomic.Int64
	// draining is set once the last respondent has started: from then on
	// the respondents in flight finish one by one, and when too few are
	// left to keep up the offered rate their slots fall behind the
	// timetable through no fault of the core. Slots taken from then on are
	// reported apart (steady false).
	draining atomic.Bool
}

func newSchedule(rate float64) *schedule {
	return &schedule{start: time.Now(), interval: time.Duration(float64(time.Second) / rate)}
}

// slot takes the next slot, waits for its time, and returns it.
func (s *schedule) slot(ctx context.Context) (at time.Time, i int64, steady bool, err error) {
	steady = !s.draining.Load()
	i = s.next.Add(1) - 1
	at = s.start.Add(time.Duration(i) * s.interval)
	if d := time.Until(at); d > 0 {
		time.Sleep(d)
	}
	return at, i, steady, ctx.Err()
}

// load measures the core — router, step machine, store — against the
// Redis of BARAZA_REDIS_URL with simulated respondents, and prints the
// figures beside redis-benchmark run against the same server in the same
// minute. It writes only under a random key prefix and deletes it after.
func load(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("respondents", 500, "simulated respondents (per phase)")
	conc := fs.Int("concurrency", 50, "respondents answering at once at full speed")
	id := fs.String("consultation", "community-safety", "consultation to answer")
	dup := fs.Float64("dup", 0.1, "share of events delivered twice")
	rate := fs.Float64("rate", 0, "offered events per second for the open-loop phase; 0: half the full-speed rate; negative: skip")
	live := fs.Int("live", 200, "sessions left half-way for the memory-per-live-session figure (0: skip)")
	asJSON := fs.Bool("json", false, "print the figures as one JSON object")
	floor := fs.Bool("floor", true, "also run the open loop's timetable without the core (one GET, then a GET and a SET per delivery), for the machine's own latency")
	benchmark := fs.Bool("redis-benchmark", true, "also run redis-benchmark -t set,get -c 50 against the same server")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the full-speed phase to this file (for go tool pprof)")
	openProfile := fs.String("open-cpuprofile", "", "write a CPU profile of the open-loop phase to this file")
	traceFile := fs.String("trace", "", "write a runtime/trace of the open-loop phase to this file (go tool trace); each delivery logs its slot (\"slot\", unix ns) and latency (\"latency\", ns)")
	if err := fs.Parse(args); err != nil {
		return usageError{msg: err.Error()}
	}
	if *n < 1 || *conc < 1 || *live < 0 {
		return usageError{msg: "--respondents and --concurrency must be positive, --live not negative"}
	}
	rawURL := getenv("BARAZA_REDIS_URL")
	if rawURL == "" {
		return errors.New("load needs BARAZA_REDIS_URL (a real Redis: the figure is the ratio to redis-benchmark on the same server), e.g. redis-server --port 6390 --save '' & BARAZA_REDIS_URL=redis://127.0.0.1:6390")
	}
	rdb, err := store.Connect(ctx, rawURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	var rt store.RoundTrips
	rdb.AddHook(&rt)

	scripts, err := dialogs.LoadFS(dialogs.Bundled())
	if err != nil {
		return err
	}
	catalog := bot.NewCatalog(scripts)
	script := catalog.Get(*id)
	if script == nil {
		return fmt.Errorf("no bundled consultation %q", *id)
	}
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	prefix := "baraza-load-" + hex.EncodeToString(nonce[:]) + ":"
	st := store.New(rdb, store.Options{Prefix: prefix})
	defer func() {
		if err := deletePrefix(context.WithoutCancel(ctx), rdb, prefix); err != nil {
			fmt.Fprintln(stderr, "load: cleanup:", err)
		}
	}()
	keys := privacy.NewKeys(privacy.RandomSecret())
	router := bot.NewRouter(bot.RouterConfig{Store: st, Keys: keys,
		Catalog: catalog, Logger: slog.New(slog.DiscardHandler)})
	rep := loadReport{Respondents: *n, Concurrency: *conc, DupShare: *dup}
	// The collector as `baraza serve` sets it (GOGC, GOMEMLIMIT override).
	gcDefaults(getenv)
	rep.GOGC, rep.MemLimit = gcSettings()
	week := results.Week(time.Now())

	// Phase 1: full speed, closed loop.
	usedBefore, _ := usedMemory(ctx, rdb)
	full := &timed{next: router}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	rt0, w0 := rt.Load(), rt.Writes()
	fullSnap := snapshot(ctx, rdb)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	want, events, elapsed, err := drive(ctx, script, "full", *n, *conc, *dup, full, week)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	trips, writes := rt.Load()-rt0, rt.Writes()-w0
	rep.FullProc = snapshot(ctx, rdb).since(fullSnap, events)
	runtime.ReadMemStats(&ms1)
	rep.Events, rep.Seconds = events, elapsed.Seconds()
	rep.EventsPerSec = float64(events) / elapsed.Seconds()
	rep.CompletionsSec = float64(*n) / elapsed.Seconds()
	rep.RoundTrips = float64(trips) / float64(events)
	rep.Writes = float64(writes) / float64(events)
	rep.AllocsPerEvent = float64(ms1.Mallocs-ms0.Mallocs) / float64(events)
	rep.BytesPerEvent = float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(events)
	rep.Full = percentiles(full.lats)
	got, err := st.Counters(ctx, script.ID)
	if err != nil {
		return err
	}
	rep.CountsExact = maps.Equal(got, want)

	// What finished respondents leave: every key under the prefix, by kind.
	usedAfter, _ := usedMemory(ctx, rdb)
	scan, err := scanPrefix(ctx, rdb, prefix)
	if err != nil {
		return err
	}
	rep.PerPersonKeys, rep.MarkerKeys = scan.respondentKeys, scan.markers
	rep.FinishedKeyBytes = float64(scan.respondentBytes+scan.markerBytes) / float64(*n)
	rep.AggregateBytes = scan.aggregateBytes
	if usedBefore > 0 && usedAfter > 0 {
		rep.FinishedUsed = float64(usedAfter-usedBefore-scan.aggregateBytes) / float64(*n)
	}

	// Phase 2: open loop at a fixed offered rate.
	if *rate >= 0 {
		r := *rate
		if r == 0 {
			r = rep.EventsPerSec / 2
		}
		rep.Rate = r
		before, err := st.Counters(ctx, script.ID)
		if err != nil {
			return err
		}
		// Enough respondents in flight that one is always ready when the
		// schedule fires: the rate times a generous step time.
		inflight := max(*conc, int(r/50)+1)
		sched := newSchedule(r)
		h := &timed{next: router, sched: sched, slots: make([]slotLat, 0, 32*(*n))}
		stopProfiles, err := phaseProfiles(*openProfile, *traceFile)
		if err != nil {
			return err
		}
		openSnap := snapshot(ctx, rdb)
		ort0, ow0 := rt.Load(), rt.Writes()
		want, events, elapsed, err := driveThen(ctx, script, "rate", *n, inflight, *dup, h, week,
			func() { sched.draining.Store(true) })
		if err != nil {
			return err
		}
		rep.OpenProc = snapshot(ctx, rdb).since(openSnap, events)

		rep.OpenTrips = float64(rt.Load()-ort0) / float64(events)
		rep.OpenWrites = float64(rt.Writes()-ow0) / float64(events)
		stopProfiles()
		rep.RateEvents, rep.RateAchieve = events, float64(events)/elapsed.Seconds()
		warm, steadyLats, tail := h.split(int64(inflight))
		rep.Open, rep.OpenEvents = percentiles(steadyLats), len(steadyLats)
		rep.OpenTail, rep.OpenTailEvents = percentiles(tail), len(tail)
		rep.OpenWarm, rep.OpenWarmEvents = percentiles(warm), len(warm)
		after, err := st.Counters(ctx, script.ID)
		if err != nil {
			return err
		}
		rep.RateExact = true
		for f := range mergeKeys(after, want, before) {
			if after[f]-before[f] != want[f] {
				rep.RateExact = false
			}
		}

		// Phase 2b: the same timetable without the core.
		if *floor {
			_, get, err := floorRun(ctx, rdb, prefix, floorGet, r, events, inflight)
			if err != nil {
				return fmt.Errorf("load: floor: %w", err)
			}
			s0 := snapshot(ctx, rdb)
			_, getSet, err := floorRun(ctx, rdb, prefix, floorGetSet, r, events, inflight)
			if err != nil {
				return fmt.Errorf("load: floor: %w", err)
			}
			rep.FloorProc = snapshot(ctx, rdb).since(s0, events)
			rep.FloorGet, rep.FloorGetEvents = percentiles(get), len(get)
			rep.FloorGetSet, rep.FloorGetSetEvents = percentiles(getSet), len(getSet)
		}
	}

	// Phase 3: sessions left half-way, for the bytes per live session.
	if *live > 0 {
		used0, _ := usedMemory(ctx, rdb)
		s0, err := scanPrefix(ctx, rdb, prefix)
		if err != nil {
			return err
		}
		if err := halfway(ctx, script, router, *live, min(*conc, *live)); err != nil {
			return err
		}
		used1, _ := usedMemory(ctx, rdb)
		s1, err := scanPrefix(ctx, rdb, prefix)
		if err != nil {
			return err
		}
		rep.LiveSessions = s1.respondentKeys - s0.respondentKeys
		rep.LiveKeyBytes = float64(s1.respondentBytes-s0.respondentBytes) / float64(*live)
		if used0 > 0 && used1 > 0 {
			rep.LiveUsedBytes = float64(used1-used0-(s1.aggregateBytes-s0.aggregateBytes)) / float64(*live)
		}
	}

	if *benchmark {
		setRPS, getRPS, err := redisBenchmark(ctx, rawURL)
		if err != nil {
			rep.BenchError = err.Error()
		} else {
			rep.BenchSet, rep.BenchGet, rep.Ratio = setRPS, getRPS, rep.EventsPerSec/setRPS
		}
	}

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(stdout, rep)
	}
	if !rep.CountsExact || (rep.Rate > 0 && !rep.RateExact) {
		return errors.New("load: counters differ from the simulated answers")
	}
	return nil
}

func printReport(w io.Writer, r loadReport) {
	p := func(name, format string, a ...any) {
		fmt.Fprintf(w, "%-38s "+format+"\n", append([]any{name}, a...)...)
	}
	p("respondents", "%d (concurrency %d, %.0f%% duplicated deliveries)", r.Respondents, r.Concurrency, r.DupShare*100)
	limit := "none"
	if r.MemLimit > 0 && r.MemLimit < math.MaxInt64 {
		limit = fmt.Sprintf("%d MiB", r.MemLimit>>20)
	}
	p("GOGC", "%d (memory limit %s)", r.GOGC, limit)
	p("events", "%d in %.3fs", r.Events, r.Seconds)
	p("events/s", "%.0f", r.EventsPerSec)
	p("completions/s", "%.0f", r.CompletionsSec)
	p("redis round trips per event", "%.2f", r.RoundTrips)
	p("redis writes per event", "%.2f (pipelines and lone commands; a batch of many events is one)", r.Writes)
	p("allocations per event", "%.0f (%.0f bytes; whole process, simulator included)", r.AllocsPerEvent, r.BytesPerEvent)
	p("latency at full speed", "%s", r.Full)
	p("process CPU per event", "%s", r.FullProc.cpuString())
	p("machine at full speed", "%s", r.FullProc.machineString())
	p("counts exact", "%v", r.CountsExact)
	if r.Rate > 0 {
		p("open loop offered rate", "%.0f events/s (achieved %.0f, %d events)", r.Rate, r.RateAchieve, r.RateEvents)
		p("latency open loop", "%s  (%d events)", r.Open, r.OpenEvents)
		p("latency open loop, warm-up", "%s  (%d events: the in-flight respondents' first messages, all offered at the start, and those due before they were answered)", r.OpenWarm, r.OpenWarmEvents)
		p("latency open loop, last respondents", "%s  (%d events offered after the last respondent started, when too few may be left to keep up the rate)", r.OpenTail, r.OpenTailEvents)
		p("redis round trips, writes open loop", "%.2f, %.2f per event", r.OpenTrips, r.OpenWrites)
		p("process CPU per event open loop", "%s", r.OpenProc.cpuString())
		p("garbage collection open loop", "%s", r.OpenProc.gcString())
		p("machine open loop", "%s", r.OpenProc.machineString())
		p("scheduling delay open loop", "p99 %.2f ms  max %.2f ms (a runnable goroutine waiting for a thread; runtime/metrics)", r.OpenProc.SchedP99, r.OpenProc.SchedMax)
		p("counts exact open loop", "%v", r.RateExact)
		if r.FloorGetSetEvents > 0 {
			p("latency floor, one GET", "%s  (%d events: the open loop's timetable without the core, one GET each; what is left is the machine's)", r.FloorGet, r.FloorGetEvents)
			p("latency floor, GET then SET", "%s  (%d events: the same, a GET then a SET each: the issue's bare go-redis program)", r.FloorGetSet, r.FloorGetSetEvents)
			p("machine floor GET then SET", "%s", r.FloorProc.machineString())
		}
	}
	if r.LiveSessions > 0 {
		p("redis bytes per live session", "%.0f (MEMORY USAGE of its keys; %.0f by INFO used_memory less client buffers)", r.LiveKeyBytes, r.LiveUsedBytes)
	}
	p("redis bytes per finished respondent", "%.0f (MEMORY USAGE; %.0f by INFO used_memory less client buffers)", r.FinishedKeyBytes, r.FinishedUsed)
	p("per-respondent keys after completion", "%d (besides %d participation markers)", r.PerPersonKeys, r.MarkerKeys)
	p("redis bytes of aggregates", "%d", r.AggregateBytes)
	if r.BenchError != "" {
		p("redis-benchmark", "not run: %s", r.BenchError)
		return
	}
	if r.BenchSet > 0 {
		p("redis-benchmark", "SET %.0f/s  GET %.0f/s  (-c 50, same server, same run)", r.BenchSet, r.BenchGet)
		p("ratio", "events/s ÷ SET/s = %.3f", r.Ratio)
	}
}

func mergeKeys(ms ...map[string]int64) map[string]struct{} {
	out := map[string]struct{}{}
	for _, m := range ms {
		for k := range m {
			out[k] = struct{}{}
		}
	}
	return out
}

// drive plays n respondents through h, conc at a time, and returns the
// counter increments their answers must have made (week: the results
// week they fall in), the events delivered and the time taken.
func drive(ctx context.Context, script *dialogs.Script, tag string, n, conc int, dup float64, h bot.Handler, week string) (map[string]int64, int, time.Duration, error) {
	return driveThen(ctx, script, tag, n, conc, dup, h, week, func() {})
}

// driveThen is drive, calling started once the last respondent has started.
//
// A respondent and its player exist only while they play: each is made
// when a worker takes it and dropped when it is done, leaving its event
// count and its increments, added to one tally under a lock. Kept to the
// end, the finished players were more than half of the live heap at the
// end of a phase (their answers: 9.7 of 18 MB after 3,000 respondents,
// heap profile). A tally per worker — 280 of them in flight in the open
// loop, each with its own copy of every counter field's name — was then
// two thirds of it (7.8 of 11.6 MB at a collection), and grew with the
// run: 45 MB of live heap after 12,000 respondents against 18 MB with one
// tally. Both were the simulator's, which `baraza serve` has no
// counterpart of; the collector's heap goal is a multiple of the live
// heap, so they made the process sweep through hundreds of megabytes of
// fresh memory, and the open loop's p99 at 14,000 events/s over 12,000
// respondents was 16.4–19.9 ms with a tally per worker against 6.3–8.1
// ms with one (docs/capacity.md, "The simulator's heap").
func driveThen(ctx context.Context, script *dialogs.Script, tag string, n, conc int, dup float64, h bot.Handler, week string, started func()) (map[string]int64, int, time.Duration, error) {
	work := make(chan int)
	var (
		mu       sync.Mutex
		want     = map[string]int64{}
		events   int
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for i := range work {
				p := simulate.NewPlayer(script, uint64(i+1))
				r := &simulate.Respondent{User: "load-" + tag + "-" + strconv.Itoa(i), Player: p,
					Handler: func() bot.Handler { return h }, Chaos: simulate.Chaos{DupRate: dup}}
				err := r.Run(ctx, script.ID)
				mu.Lock()
				events += r.Events
				if err == nil {
					p.Tally(want, week)
				} else if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	started()
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, 0, 0, fmt.Errorf("load: %w", firstErr)
	}
	return want, events, elapsed, nil
}

// halfway starts n respondents and leaves each after a few answers, so
// their sessions stay live in Redis (the memory figure).
func halfway(ctx context.Context, script *dialogs.Script, h bot.Handler, n, conc int) error {
	work := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rctx, cancel := context.WithCancel(ctx)
				var seen atomic.Int32
				stopper := handlerFunc(func(ctx context.Context, ev bot.Event) (bot.Response, error) {
					// Language, consent and a few answers, then the person
					// walks away: the session is what stays.
					if seen.Add(1) > 6 {
						cancel()
						return bot.Response{}, context.Canceled
					}
					return h.Handle(ctx, ev)
				})
				p := simulate.NewPlayer(script, uint64(1_000_000+i))
				r := &simulate.Respondent{User: fmt.Sprintf("load-live-%d", i), Player: p,
					Handler: func() bot.Handler { return stopper }}
				err := r.Run(rctx, script.ID)
				cancel()
				if err != nil && !errors.Is(err, context.Canceled) && rctx.Err() == nil {
					failed.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return fmt.Errorf("load: live sessions: %w", err)
	}
	return nil
}

type handlerFunc func(context.Context, bot.Event) (bot.Response, error)

func (f handlerFunc) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	return f(ctx, ev)
}

// prefixScan is what the keys under the load's prefix hold, by kind:
// per-respondent keys ({r:...} and completion-key markers), participation
// markers, and everything else (a consultation's aggregates).
type prefixScan struct {
	respondentKeys  int
	respondentBytes int64
	markers         int
	markerBytes     int64
	aggregateBytes  int64
}

func scanPrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) (prefixScan, error) {
	var out prefixScan
	var mu sync.Mutex
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			k := iter.Val()
			b, err := c.MemoryUsage(ctx, k, 0).Result()
			if isNilErr(err) {
				continue // expired in between
			}
			if err != nil {
				return err
			}
			mu.Lock()
			switch {
			case strings.HasPrefix(k, prefix+"{r:"), strings.Contains(k, "}:k:"):
				// A session, its seen events, or a completion key
				// marker (one per counted step of one person).
				out.respondentKeys++
				out.respondentBytes += b
			case strings.Contains(k, "}:p:"):
				out.markers++
				out.markerBytes += b
			default:
				out.aggregateBytes += b
			}
			mu.Unlock()
		}
		return iter.Err()
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return out, c.ForEachMaster(ctx, scan)
	case *redis.Client:
		return out, scan(ctx, c)
	}
	return out, fmt.Errorf("cannot scan a %T", rdb)
}

func isNilErr(err error) bool { return errors.Is(err, redis.Nil) }

// usedMemory is INFO memory's used_memory less the clients' buffers
// (mem_clients_normal) of a single server (0 on a cluster, where it is
// spread).
func usedMemory(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
	c, ok := rdb.(*redis.Client)
	if !ok {
		return 0, nil
	}
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	used, clients := int64(-1), int64(0)
	for line := range strings.SplitSeq(info, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			if used, err = strconv.ParseInt(v, 10, 64); err != nil {
				return 0, err
			}
		}
		if v, ok := strings.CutPrefix(line, "mem_clients_normal:"); ok {
			clients, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if used < 0 {
		return 0, errors.New("no used_memory in INFO memory")
	}
	// The connections' query and output buffers come and go with the
	// traffic (a pipeline of many events fills a query buffer for a
	// moment): they are not what the data takes.
	return used - clients, nil
}

// deletePrefix removes every key the load run wrote, and nothing else.
func deletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, del)
	case *redis.Client:
		return del(ctx, c)
	}
	return fmt.Errorf("cannot scan a %T", rdb)
}

// redisBenchmark runs redis-benchmark against the server of rawURL and
// returns its SET and GET requests per second.
func redisBenchmark(ctx context.Context, rawURL string) (set, get float64, err error) {
	path, err := exec.LookPath("redis-benchmark")
	if err != nil {
		return 0, 0, errors.New("redis-benchmark is not on the PATH (apt-get install redis-tools)")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, 0, err
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "6379"
	}
	args := []string{"-h", host, "-p", port, "-q", "-t", "set,get", "-c", "50", "-n", "100000"}
	if pw, ok := u.User.Password(); ok {
		args = append(args, "-a", pw, "--no-auth-warning")
	}
	out, err := exec.CommandContext(ctx, path, args...).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("redis-benchmark: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		// "SET: 123456.79 requests per second, p50=0.199 msec"; the
		// progress lines before it end in a carriage return.
		line := sc.Text()
		if i := strings.LastIndexByte(line, '\r'); i >= 0 {
			line = line[i+1:]
		}
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		switch name {
		case "SET":
			set = v
		case "GET":
			get = v
		}
	}
	if set == 0 {
		return 0, 0, fmt.Errorf("redis-benchmark: no SET figure in %q", out)
	}
	return set, get, nil
}
