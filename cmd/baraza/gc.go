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
// events in flight — a few MB, about 4 KB allocated per event. Each
// collection's mark phase takes a quarter of the CPU for tens of
// milliseconds and the steps it overlaps queue behind it; at half the
// maximum rate on two cores that was the open loop's tail. At 1600 the
// heap may grow to 17 times the live heap (about 100-300 MB) and a
// 3,000-respondent open loop sees one collection instead of five or six:
// p99 4.5-8.0 ms in 11 quiet runs against 11.5-24.3 ms in 12 at 400, each
// at its own half rate (docs/capacity.md, "The collector at half load",
// 2026-12-05).
// The memory is bounded by the soft limit gcDefaults sets, and the
// release audit, whose live heap is hundreds of MB, runs at 100
// (auditGOGC): its memory stays lower than it was at 400 (300 against 441
// MB at seven earlier releases).
const defaultGOGC = 1600

// auditGOGC is the collector's target while a release is audited
// (release.Service.AuditGOGC): 100 when gcDefaults set the default (set
// is what it returned), else 0, leaving a GOGC the operator chose alone.
func auditGOGC(set int) int {
	if set == 0 {
		return 0
	}
	return 100
}

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
		} else if m := physicalMemory(); m > 0 {
			// No container limit: a quarter of the machine, so that the
			// heap's room (GOGC) never grows past what a host shared
			// with Redis can spare, however large the live heap gets.
			limit = m / 4
		}
		if limit > 0 {
			debug.SetMemoryLimit(limit)
		}
	}
	return gogc, limit
}

// physicalMemory is the machine's memory (MemTotal of /proc/meminfo) in
// bytes, or 0 when unknown.
func physicalMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemTotal(string(b))
}

// parseMemTotal reads the MemTotal line of /proc/meminfo ("MemTotal:
// 24683724 kB").
func parseMemTotal(s string) int64 {
	for line := range strings.SplitSeq(s, "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb <= 0 {
			return 0
		}
		return kb << 10
	}
	return 0
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
