package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// machineSnap is what the operating system saw, read from /proc (Linux;
// zero elsewhere): how long this process's threads and redis-server's
// waited in a run queue, runnable but not running (schedstat), and how
// busy the whole machine was. On a shared machine these tell a reader of
// the load report whether a latency tail is the core's or the neighbours':
// a thread kept off the processor by other work shows as run-queue wait,
// which no runtime metric of Go's can see. This process's figure sums its
// threads (more than 1,000 ms a second when several wait at once); redis-
// server's is its main thread's, the one that runs every command.
type machineSnap struct {
	waitSelf  float64 // seconds, all threads of this process
	waitRedis float64 // seconds, redis-server's main thread; -1 unknown
	busy      float64 // seconds of CPU the whole machine's processes used (all cores; steal apart)
	steal     float64 // seconds stolen by the hypervisor
	ok        bool
}

// clockTick is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go builds for.
const clockTick = 100

func readMachine(ctx context.Context, rdb redis.UniversalClient) machineSnap {
	s := machineSnap{waitRedis: -1}
	self, err := runQueueWait("/proc/self/task")
	if err != nil {
		return s
	}
	s.waitSelf = self
	busy, steal, err := machineBusy()
	if err != nil {
		return s
	}
	s.busy, s.steal, s.ok = busy, steal, true
	if pid := redisPID(ctx, rdb); pid > 0 {
		// The main thread only: it runs every command. Redis's background
		// threads (lazy free, fsync) would add waits no request sees.
		if w, err := threadWait(filepath.Join("/proc", strconv.Itoa(pid), "task", strconv.Itoa(pid))); err == nil {
			s.waitRedis = w
		}
	}
	return s
}

// runQueueWait sums threadWait over the threads under dir.
func runQueueWait(dir string) (float64, error) {
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, t := range tasks {
		if w, err := threadWait(filepath.Join(dir, t.Name())); err == nil {
			sum += w // else a thread that ended meanwhile
		}
	}
	return sum, nil
}

// threadWait is the second field of a thread's schedstat: the time it
// spent waiting on a run queue, in seconds.
func threadWait(task string) (float64, error) {
	b, err := os.ReadFile(filepath.Join(task, "schedstat"))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, os.ErrInvalid
	}
	ns, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return 0, err
	}
	return ns / 1e9, nil
}

// machineBusy reads /proc/stat's first line: the CPU time of all cores
// that processes used (every class but idle, iowait and steal), and the
// time the hypervisor stole, in seconds. Steal is not a process's time:
// counted in busy, it came out again as "other processes" in the report.
func machineBusy() (busy, steal float64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseCPULine(string(b))
}

// parseCPULine reads the first line of /proc/stat (see machineBusy).
func parseCPULine(stat string) (busy, steal float64, err error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, os.ErrInvalid
	}
	// user nice system idle iowait irq softirq steal [guest guest_nice]:
	// guest time is already inside user and nice.
	for i, v := range f[1:9] {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, 0, err
		}
		switch i {
		case 3, 4: // idle, iowait
		case 7:
			steal = x / clockTick
		default:
			busy += x / clockTick
		}
	}
	return busy, steal, nil
}

// redisPID is the server's process id (INFO server) when that process
// runs on this machine as redis-server; 0 otherwise (another host, a
// cluster, a container with its own process ids).
func redisPID(ctx context.Context, rdb redis.UniversalClient) int {
	c, ok := rdb.(*redis.Client)
	if !ok {
		return 0
	}
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || k != "process_id" {
			continue
		}
		pid, err := strconv.Atoi(v)
		if err != nil {
			return 0
		}
		comm, err := os.ReadFile(filepath.Join("/proc", v, "comm"))
		if err != nil || !strings.HasPrefix(strings.TrimSpace(string(comm)), "redis") {
			return 0
		}
		return pid
	}
	return 0
}
