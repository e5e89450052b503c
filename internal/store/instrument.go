package store

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Instrument adds a hook to rdb that records, per command name, a latency
// histogram (baraza_redis_command_duration_seconds; a pipeline is one
// observation named "pipeline", except a batch of the hot path, where
// each command is observed under its name with the batch's duration) and an error counter
// (baraza_redis_command_errors_total; redis.Nil is not an error). It fails
// if the metrics are already registered on reg.
func Instrument(rdb redis.UniversalClient, reg prometheus.Registerer) error {
	h := &metricsHook{
		dur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "baraza_redis_command_duration_seconds",
			Help:    "Latency of Redis commands (pipelines as one), by command name.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"command"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baraza_redis_command_errors_total",
			Help: "Failed Redis commands, by command name.",
		}, []string{"command"}),
	}
	if err := reg.Register(h.dur); err != nil {
		return err
	}
	if err := reg.Register(h.errs); err != nil {
		reg.Unregister(h.dur)
		return err
	}
	rdb.AddHook(h)
	return nil
}

type metricsHook struct {
	dur  *prometheus.HistogramVec
	errs *prometheus.CounterVec
}

func (h *metricsHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *metricsHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		name := cmdName(cmd)
		h.dur.WithLabelValues(name).Observe(time.Since(start).Seconds())
		if err != nil && !errors.Is(err, redis.Nil) {
			h.errs.WithLabelValues(name).Inc()
		}
		return err
	}
}

func (h *metricsHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		d := time.Since(start).Seconds()
		if _, batch := ctx.Value(batchUnits{}).(int); batch {
			// A batch of the hot path: each command's caller waited for
			// the whole pipeline, so each is observed under its own name.
			for _, c := range cmds {
				h.dur.WithLabelValues(cmdName(c)).Observe(d)
			}
		} else {
			h.dur.WithLabelValues("pipeline").Observe(d)
		}
		for _, c := range cmds {
			if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) {
				h.errs.WithLabelValues(cmdName(c)).Inc()
			}
		}
		return err
	}
}

// cmdName bounds the label's values: go-redis command names are fixed
// words; anything odd is folded into "other".
func cmdName(cmd redis.Cmder) string {
	n := strings.ToLower(cmd.Name())
	if n == "" || len(n) > 32 || strings.ContainsFunc(n, func(r rune) bool { return (r < 'a' || r > 'z') && r != '_' && r != '.' && r != '-' }) {
		return "other"
	}
	return n
}

// RoundTrips is a hook that counts calls to Redis: each command and each
// pipeline is one round trip. Add it with rdb.AddHook(&rt). Script.Run's
// EVALSHA then EVAL fallback counts as two, honestly. A batch of the hot
// path (several callers' commands in one pipeline, see batcher) counts
// one round trip per caller, since each caller waits for one; Writes
// counts it once.
type RoundTrips struct{ n, w atomic.Int64 }

// Load returns the count so far.
func (r *RoundTrips) Load() int64 { return r.n.Load() }

// Writes returns the pipelines and lone commands sent so far: what the
// client actually wrote to the connection, a batch of many callers being
// one.
func (r *RoundTrips) Writes() int64 { return r.w.Load() }

// DialHook implements redis.Hook.
func (r *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (r *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		r.w.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (r *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		n, _ := ctx.Value(batchUnits{}).(int)
		r.n.Add(int64(max(n, 1)))
		r.w.Add(1)
		return next(ctx, cmds)
	}
}

var (
	_ redis.Hook = (*RoundTrips)(nil)
	_ redis.Hook = (*metricsHook)(nil)
)
