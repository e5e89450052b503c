package store

import (
	"context"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// batcher sends the hot path's commands — a step's session read, its
// commit and its completion apply — of many respondents at once as one
// pipeline: while one pipeline is on the wire, the commands of the events
// that arrive meanwhile queue up and leave together in the next. Each
// caller still waits for its own reply (one round trip, as before), but
// the process and Redis make one write and one read system call for the
// whole batch instead of one each: the syscalls were a quarter of the
// process's CPU time and most of Redis's (see docs/capacity.md).
//
// Nothing of the product's semantics changes: each caller's commands go
// out contiguously and in its order, a respondent's steps are serialised
// by the router (a caller sends its next command only after the reply to
// its last), and every write is a compare-and-set or idempotent script, so
// commands of different respondents are independent. A single command on
// an idle connection leaves at once: there is no timer, no waiting for a
// batch to fill.
//
// No goroutine outlives its work: a flusher is started when commands wait
// and no more than maxFlushers are running, and it returns when the queue
// is empty. A caller that finds nothing queued and a pipeline slot free
// sends its own commands itself, as a plain pipeline would: no flusher to
// start and no hand-over to wait for and back (at a moderate rate, where
// events seldom overlap, that was most events, and the hand-overs were a
// good share of the process's CPU and of its waits in the run queue).
type batcher struct {
	rdb redis.UniversalClient

	mu       sync.Mutex
	pending  []*unit
	flushers int
}

// maxFlushers bounds the pipelines in flight at once (each holds one pooled
// connection while on the wire); maxBatch the commands in one pipeline.
// With one event's command taking tens of microseconds on Redis, 4
// pipelines of up to 128 keep Redis busy without a long queue behind any
// single write.
const (
	maxFlushers = 4
	maxBatch    = 128
)

// unit is one caller's commands, sent contiguously. Units are pooled: a
// step sends two or three, and each used to be two allocations (the unit
// and its slice of commands), garbage the collector then had to find.
type unit struct {
	cmds []redis.Cmder
	buf  [2]redis.Cmder // holds cmds when they fit (all the hot path's calls)
	done chan struct{}
}

var units = sync.Pool{New: func() any { return &unit{done: make(chan struct{}, 1)} }}

// batchUnits is the context key under which a batch's pipeline carries how
// many callers it serves, for RoundTrips (a caller waits for one round
// trip, however many others shared the write).
type batchUnits struct{}

// do sends cmds as part of the next batch and waits for their replies
// (each command carries its own error). If ctx ends first do returns its
// error; the commands may still be executed, as after a network timeout,
// and every write on this path is idempotent. A caller that sends its
// own pipeline (see batcher) runs it on ctx like any plain command: its
// deadline bounds the I/O, a cancellation without one is seen once the
// reply is in or the client's timeouts end it.
func (b *batcher) do(ctx context.Context, cmds ...redis.Cmder) error {
	b.mu.Lock()
	if len(b.pending) == 0 && b.flushers < maxFlushers {
		// Alone: send them now, on the caller's own context (the pipeline
		// carries nobody else's commands), holding a pipeline slot.
		b.flushers++
		b.mu.Unlock()
		err := b.lone(ctx, cmds)
		b.mu.Lock()
		if len(b.pending) > 0 {
			// Others queued behind this pipeline: the slot goes on to a
			// flusher for them.
			b.mu.Unlock()
			go b.flush()
		} else {
			b.flushers--
			b.mu.Unlock()
		}
		return err
	}
	u := units.Get().(*unit)
	u.cmds = append(u.buf[:0], cmds...)
	b.pending = append(b.pending, u)
	start := b.flushers < maxFlushers
	if start {
		b.flushers++
	}
	b.mu.Unlock()
	if start {
		go b.flush()
	}
	select {
	case <-u.done:
		// The flusher no longer touches u once it has signalled.
		clear(u.buf[:])
		u.cmds = nil
		units.Put(u)
		return nil
	case <-ctx.Done():
		// The channel is buffered: the flusher's send will not block, and
		// the unit is not reused.
		return ctx.Err()
	}
}

// flush sends batches until none waits.
func (b *batcher) flush() {
	var batch []*unit
	for {
		b.mu.Lock()
		n := 0
		cut := 0
		for cut < len(b.pending) && (cut == 0 || n+len(b.pending[cut].cmds) <= maxBatch) {
			n += len(b.pending[cut].cmds)
			cut++
		}
		if cut == 0 {
			b.flushers--
			b.mu.Unlock()
			return
		}
		batch = append(batch[:0], b.pending[:cut]...)
		rest := copy(b.pending, b.pending[cut:])
		clear(b.pending[rest:])
		b.pending = b.pending[:rest]
		b.mu.Unlock()

		b.exec(batch)
		for i, u := range batch {
			u.done <- struct{}{}
			batch[i] = nil
		}
	}
}

// lone runs one caller's commands as a pipeline of their own. Each
// command carries its own error, a transport error included, as in a
// batch (exec); like do, lone returns only ctx's.
func (b *batcher) lone(ctx context.Context, cmds []redis.Cmder) error {
	// Marked as a batch of one, for the hooks (metrics by command name).
	pctx := context.WithValue(ctx, batchUnits{}, 1)
	_, _ = b.rdb.Pipelined(pctx, func(p redis.Pipeliner) error {
		for _, c := range cmds {
			_ = p.Process(pctx, c)
		}
		return nil
	})
	return ctx.Err()
}

// exec runs one batch as a pipeline. The context carries no deadline of
// any caller (callers stop waiting on their own); the client's read and
// write timeouts bound it.
func (b *batcher) exec(batch []*unit) {
	ctx := context.WithValue(context.Background(), batchUnits{}, len(batch))
	_, _ = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, u := range batch {
			for _, c := range u.cmds {
				_ = p.Process(ctx, c)
			}
		}
		return nil
	})
}

// script runs sc through the batcher: EVALSHA, and EVAL if the server
// does not have the script yet (a restart, a SCRIPT FLUSH), as
// redis.Script.Run does.
func (b *batcher) script(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	if scriptSource(sc) == "" {
		return sc.Run(ctx, b.rdb, keys, args...) // not registered: no batching
	}
	return b.scriptCmd(ctx, sc, evalArgs("", "", keys, args))
}

// scriptCmd is script with the command already laid out by the caller:
// cmd[0] and cmd[1] are free (the verb and the script go there), cmd[2]
// is the number of keys, then the keys and the arguments. The hot path's
// callers build it in one slice, instead of a variadic slice that
// evalArgs then copied. sc must be registered.
func (b *batcher) scriptCmd(ctx context.Context, sc *redis.Script, cmd []any) *redis.Cmd {
	info := scriptInfoOf(sc)
	cmd[0], cmd[1] = "evalsha", info.hash
	c := redis.NewCmd(ctx, cmd...)
	if err := b.do(ctx, c); err != nil {
		c.SetErr(err)
		return c
	}
	if err := c.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		// The first command is done with cmd: it can be reused.
		cmd[0], cmd[1] = "eval", info.src
		c = redis.NewCmd(ctx, cmd...)
		if err := b.do(ctx, c); err != nil {
			c.SetErr(err)
		}
	}
	return c
}

func evalArgs(verb, script string, keys []string, args []any) []any {
	out := make([]any, 0, 3+len(keys)+len(args))
	out = append(out, verb, script, len(keys))
	for _, k := range keys {
		out = append(out, k)
	}
	return append(out, args...)
}

// scriptInfo is a registered script's text, for the EVAL fallback
// (redis.Script keeps its source private), and its hash as an
// interface value made once (a string converted to an interface at run
// time is an allocation).
type scriptInfo struct {
	src  string
	hash any
}

// sources maps a script's hash to its scriptInfo.
var sources sync.Map

func register(src string) *redis.Script {
	sc := redis.NewScript(src)
	sources.Store(sc.Hash(), &scriptInfo{src: src, hash: sc.Hash()})
	return sc
}

func scriptInfoOf(sc *redis.Script) *scriptInfo {
	v, _ := sources.Load(sc.Hash())
	info, _ := v.(*scriptInfo)
	return info
}

func scriptSource(sc *redis.Script) string {
	if info := scriptInfoOf(sc); info != nil {
		return info.src
	}
	return ""
}
