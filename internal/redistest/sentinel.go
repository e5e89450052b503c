package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the master name the sentinels of StartSentinel monitor.
const SentinelMaster = "mymaster"

// Sentinel is one master, one replica and three sentinels on free loopback
// ports, started by StartSentinel and stopped at the test's cleanup.
type Sentinel struct {
	// URL is a redis+sentinel:// URL naming the three sentinels, for
	// store.Connect.
	URL string
	// Sentinels are the sentinels' host:port.
	Sentinels []string

	t     testing.TB
	mu    sync.Mutex
	nodes map[string]*process // host:port -> the data node there
}

// StartSentinel starts a master, a replica of it and three sentinels
// (quorum 2, down-after 1 s, failover timeout 5 s), and waits until the
// replica is in sync and every sentinel sees the replica and the two other
// sentinels. It needs Debian's redis-sentinel (or redis-server, run with
// --sentinel). The test is skipped when a shared server is configured and
// redis-server is missing, as for StartCluster.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil && os.Getenv(EnvURL) != "" {
		t.Skip("redistest: Sentinel needs redis-server in PATH")
	}
	bin := lookBin(t, "redis-server")
	sbin, sentinelFlag := bin, true
	if p, err := exec.LookPath("redis-sentinel"); err == nil {
		sbin, sentinelFlag = p, false
	}
	s := &Sentinel{t: t, nodes: map[string]*process{}}
	var procs []*process
	t.Cleanup(func() {
		for _, p := range procs {
			_ = p.signal(syscall.SIGCONT) // a frozen process cannot die
			p.stop()
		}
	})
	data := func(extra ...string) *process {
		dir := t.TempDir()
		args := append([]string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
			"--daemonize", "no", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"}, extra...)
		p, err := startOnFreePort(bin, dir, args, false)
		if err != nil {
			t.Fatalf("redistest: sentinel data node: %v", err)
		}
		procs = append(procs, p)
		s.nodes[fmt.Sprintf("127.0.0.1:%d", p.port)] = p
		return p
	}
	master := data()
	data("--replicaof", "127.0.0.1", fmt.Sprint(master.port))

	for i := range 3 {
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		cfg := fmt.Sprintf("bind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %d 2\n"+
			"sentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\n"+
			"sentinel parallel-syncs %s 1\n", dir, SentinelMaster, master.port, SentinelMaster, SentinelMaster, SentinelMaster)
		if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
			t.Fatalf("redistest: sentinel %d: %v", i, err)
		}
		var extra []string
		if sentinelFlag {
			extra = []string{"--sentinel"}
		}
		p, err := startOnFreePortConf(sbin, dir, conf, extra)
		if err != nil {
			t.Fatalf("redistest: sentinel %d: %v", i, err)
		}
		procs = append(procs, p)
		s.Sentinels = append(s.Sentinels, fmt.Sprintf("127.0.0.1:%d", p.port))
	}
	s.URL = "redis+sentinel://" + strings.Join(s.Sentinels, ",") + "/" + SentinelMaster

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, addr := range s.Sentinels {
		c := newClient(&redis.Options{Addr: addr})
		err := poll(ctx, func() error {
			reps, err := c.Do(ctx, "SENTINEL", "REPLICAS", SentinelMaster).Slice()
			if err != nil {
				return err
			}
			if len(reps) != 1 || !linkOK(reps[0]) {
				return fmt.Errorf("%s: replica not seen in sync yet", addr)
			}
			others, err := c.Do(ctx, "SENTINEL", "SENTINELS", SentinelMaster).Slice()
			if err != nil {
				return err
			}
			if len(others) != 2 {
				return fmt.Errorf("%s sees %d other sentinels", addr, len(others))
			}
			return nil
		})
		_ = c.Close()
		if err != nil {
			t.Fatalf("redistest: sentinel set-up: %v", err)
		}
	}
	return s
}

// linkOK reads master-link-status from a SENTINEL REPLICAS entry (a flat
// list or a map, by protocol version).
func linkOK(entry any) bool {
	switch e := entry.(type) {
	case []any:
		for i := 0; i+1 < len(e); i += 2 {
			if fmt.Sprint(e[i]) == "master-link-status" {
				return fmt.Sprint(e[i+1]) == "ok"
			}
		}
	case map[any]any:
		return fmt.Sprint(e["master-link-status"]) == "ok"
	case map[string]any:
		return fmt.Sprint(e["master-link-status"]) == "ok"
	}
	return false
}

// Master returns the current master's host:port as the sentinels report it.
func (s *Sentinel) Master(ctx context.Context) (string, error) {
	var last error
	for _, addr := range s.Sentinels {
		c := newClient(&redis.Options{Addr: addr})
		v, err := c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMaster).StringSlice()
		_ = c.Close()
		if err == nil && len(v) == 2 {
			return v[0] + ":" + v[1], nil
		}
		last = err
	}
	return "", fmt.Errorf("redistest: no sentinel names the master: %v", last)
}

// Failover asks a sentinel to promote the replica now (SENTINEL FAILOVER)
// and waits until the sentinels name a new master that answers as one.
func (s *Sentinel) Failover(ctx context.Context) (string, error) {
	old, err := s.Master(ctx)
	if err != nil {
		return "", err
	}
	c := newClient(&redis.Options{Addr: s.Sentinels[0]})
	defer c.Close()
	if err := poll(ctx, func() error {
		return c.Do(ctx, "SENTINEL", "FAILOVER", SentinelMaster).Err()
	}); err != nil {
		return "", fmt.Errorf("redistest: SENTINEL FAILOVER: %w", err)
	}
	return s.waitNewMaster(ctx, old)
}

// Freeze stops the current master's process (SIGSTOP) for d, then lets it
// go on (SIGCONT). It returns the master that was frozen.
func (s *Sentinel) Freeze(ctx context.Context, d time.Duration) (string, error) {
	old, err := s.Master(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	p := s.nodes[old]
	s.mu.Unlock()
	if p == nil {
		return "", fmt.Errorf("redistest: master %s is not one of ours", old)
	}
	if err := p.signal(syscall.SIGSTOP); err != nil {
		return "", err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	if err := p.signal(syscall.SIGCONT); err != nil {
		return "", err
	}
	return old, nil
}

// waitNewMaster waits until the sentinels name a master other than old
// and it answers ROLE as a master.
func (s *Sentinel) waitNewMaster(ctx context.Context, old string) (string, error) {
	var now string
	err := poll(ctx, func() error {
		m, err := s.Master(ctx)
		if err != nil {
			return err
		}
		if m == old {
			return fmt.Errorf("master still %s", old)
		}
		c := newClient(&redis.Options{Addr: m})
		defer c.Close()
		role, err := c.Do(ctx, "ROLE").Slice()
		if err != nil {
			return err
		}
		if len(role) == 0 || fmt.Sprint(role[0]) != "master" {
			return fmt.Errorf("%s is not a master yet", m)
		}
		now = m
		return nil
	})
	return now, err
}

// WaitNewMaster waits until the sentinels name a master other than old.
func (s *Sentinel) WaitNewMaster(ctx context.Context, old string) (string, error) {
	return s.waitNewMaster(ctx, old)
}

func (p *process) signal(sig syscall.Signal) error {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	return p.cmd.Process.Signal(sig)
}

// startOnFreePortConf is startOnFreePort for a server whose first
// argument must be its configuration file (a sentinel).
func startOnFreePortConf(bin, dir, conf string, extra []string) (*process, error) {
	var last error
	for attempt := 0; attempt < 10; attempt++ {
		port, err := freePort(false)
		if err != nil {
			return nil, err
		}
		p := &process{bin: bin, dir: dir, conf: conf, args: extra, port: port}
		if err := p.start(); err != nil {
			last = err
			continue
		}
		return p, nil
	}
	return nil, fmt.Errorf("start sentinel: %w", last)
}
