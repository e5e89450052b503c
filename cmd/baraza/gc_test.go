package main

import (
	"runtime/debug"
	"testing"
)

func TestParseMemoryLimit(t *testing.T) {
	for in, want := range map[string]int64{
		"max\n":                 0,
		"536870912\n":           512 << 20,
		"9223372036854771712\n": 0, // cgroup v1: no limit
		"":                      0,
		"-1":                    0,
	} {
		if got := parseMemoryLimit(in); got != want {
			t.Errorf("parseMemoryLimit(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseMemTotal(t *testing.T) {
	for in, want := range map[string]int64{
		"MemTotal:       24683724 kB\nMemFree:        23328484 kB\n": 24683724 << 10,
		"MemFree: 1 kB\nMemTotal: 2048 kB\n":                         2 << 20,
		"MemTotal: 2048 MB\n":                                        0,
		"MemTotal: x kB\n":                                           0,
		"":                                                           0,
	} {
		if got := parseMemTotal(in); got != want {
			t.Errorf("parseMemTotal(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestGCDefaults(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	if gogc, _ := gcDefaults(env(map[string]string{"GOMEMLIMIT": "1GiB"})); gogc != defaultGOGC {
		t.Errorf("without GOGC: set %d, want %d", gogc, defaultGOGC)
	}
	if got := debug.SetGCPercent(100); got != defaultGOGC {
		t.Errorf("without GOGC the collector runs at %d, want %d", got, defaultGOGC)
	}
	if gogc, _ := gcDefaults(env(map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"})); gogc != 0 {
		t.Errorf("with GOGC set: gcDefaults set %d, want nothing", gogc)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the collector runs at %d; gcDefaults must leave it", got)
	}
	// Without GOMEMLIMIT, a soft limit: the container's or the machine's.
	oldLimit := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(oldLimit)
	_, limit := gcDefaults(env(map[string]string{"GOGC": "150"}))
	if want := physicalMemory() / 4; cgroupMemoryLimit() == 0 && want > 0 && limit != want {
		t.Errorf("without GOMEMLIMIT on a machine of %d bytes: limit %d, want a quarter", physicalMemory(), limit)
	}
	if limit > 0 && debug.SetMemoryLimit(-1) != limit {
		t.Errorf("the limit gcDefaults reports is not the one in force")
	}
}
