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
}
