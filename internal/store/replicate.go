package store

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"
)

// run runs a write script. With Options.WaitReplicas set (Sentinel), a
// WAIT follows it in the same pipeline — still one round trip — so the
// reply comes only once that many replicas hold the write, or after
// WaitTimeout: an answer a person saw acknowledged is then on a replica
// before a failover can promote it, the loss window of asynchronous
// replication closed. When WAIT times out (no replica in reach, or this
// master was frozen and meanwhile replaced) the call fails with
// ErrUnreplicated although the write may stand: the caller retries the
// event, and every write script is idempotent (the session's recent
// events, the completion keys, the participation marker), so the retry
// either finds its write and changes nothing, or finds it lost with the
// old master and makes it again. Exact counts are bought with
// availability: with no replica in reach, writes fail until one is back
// (run two replicas, or set WaitReplicas 0 to prefer answering).
func (s *Store) run(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	if s.opt.WaitReplicas <= 0 {
		return s.hot.script(ctx, sc, keys, args...)
	}
	do := func(eval bool) (*redis.Cmd, *redis.IntCmd) {
		var cmd *redis.Cmd
		var wait *redis.IntCmd
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			if eval {
				cmd = sc.Eval(ctx, p, keys, args...)
			} else {
				cmd = sc.EvalSha(ctx, p, keys, args...)
			}
			wait = redis.NewIntCmd(ctx, "wait", s.opt.WaitReplicas, s.opt.WaitTimeout.Milliseconds())
			_ = p.Process(ctx, wait)
			return nil
		})
		return cmd, wait
	}
	cmd, wait := do(false)
	if err := cmd.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		cmd, wait = do(true)
	}
	if cmd.Err() == nil && (wait.Err() != nil || wait.Val() < int64(s.opt.WaitReplicas)) {
		s.unreplicated.Add(1)
		cmd.SetErr(ErrUnreplicated)
	}
	return cmd
}

// runCmd is run with the command laid out as batcher.scriptCmd takes it
// (two free slots, the key count, the keys, the arguments): one slice
// built by the caller. sc must be registered.
func (s *Store) runCmd(ctx context.Context, sc *redis.Script, cmd []any) *redis.Cmd {
	if s.opt.WaitReplicas <= 0 {
		return s.hot.scriptCmd(ctx, sc, cmd)
	}
	n := cmd[2].(int)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = cmd[3+i].(string)
	}
	return s.run(ctx, sc, keys, cmd[3+n:]...)
}

// Unreplicated is how many writes WAIT could not confirm on
// Options.WaitReplicas replicas within WaitTimeout.
func (s *Store) Unreplicated() int64 { return s.unreplicated.Load() }
