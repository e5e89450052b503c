package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// defaultGOGC is the garbage collector's target percentage `baraza serve`
// (and `baraza load`, which measures what serve would do) runs with when
// GOGC is not set.
//
// The process keeps little: sessions, counters and texts live in Redis,
// and the live heap is the catalog, the connections' buffers and the
// events in flight — a few MB. Each event allocates about 8 KB, so at the
// default GOGC=100 a busy process collects several times a second, and
// each cycle's mark phase takes a quarter of the CPU and slows the steps
// it overlaps. At 400 the heap may grow to five times the live heap
// instead of twice (tens of MB), and there are about a fifth as many
// cycles: measured with `baraza load --rate 5000`, 8 cycles instead of 37
// and 2 % of the process's CPU instead of 6–7 % (docs/capacity.md).
const defaultGOGC = 400

// gcDefaults applies defaultGOGC unless GOGC is set, and, unless
// GOMEMLIMIT is set, a soft memory limit of three quarters of the
// container's memory limit when there is one, so that a process whose live
// heap grows large (a big export) collects more often rather than be
// killed. It returns what it set, for the log (0: left as it was).
func gcDefaults(getenv func(string) string) (gogc int, limit int64) {
	if strings.TrimSpace(getenv("GOGC")) == "" {
		debug.SetGCPercent(defaultGOGC)
		gogc = defaultGOGC
	}
	if strings.TrimSpace(getenv("GOMEMLIMIT")) == "" {
		if c := cgroupMemoryLimit(); c > 0 {
			limit = c / 4 * 3
			debug.SetMemoryLimit(limit)
		}
	}
	return gogc, limit
}

// cgroupMemoryLimit is the memory limit of the process's cgroup (v2, then
// v1) in bytes, or 0 when there is none.
func cgroupMemoryLimit() int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(path); err == nil {
			return parseMemoryLimit(string(b))
		}
	}
	return 0
}

// parseMemoryLimit reads a cgroup memory limit file: "max", or a number of
// bytes (cgroup v1 writes a number near 2^63 for none).
func parseMemoryLimit(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n >= 1<<60 {
		return 0
	}
	return n
}
