// Package redistest starts real Redis servers for tests: one private
// redis-server (or a shared server named by BARAZA_TEST_REDIS_URL) or a
// three-node Redis Cluster, each on free loopback ports in temporary
// directories, stopped when the test ends. It never touches 127.0.0.1:6379
// and never flushes a server it did not start.
//
// Shared server: when BARAZA_TEST_REDIS_URL is set, Start connects to it
// instead of starting a process. Tests must then keep every key under
// Server.Prefix (random per test; empty on a private server); the keys under
// it are deleted at cleanup. Kill and Restart skip the test there.
//
// ScanAll renders every key and value of a server as text, for the privacy
// scans of other packages' tests.
package redistest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// EnvURL names the environment variable that points tests at a shared server.
const EnvURL = "BARAZA_TEST_REDIS_URL"

const installHint = "install redis-server (apt-get install redis-server) or set " + EnvURL

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 15 * time.Second

// Option changes how Start runs the server.
type Option func(*config)

type config struct {
	aof bool
}

// WithAOF runs the private server with --appendonly yes --appendfsync always,
// so Kill followed by Restart keeps every acknowledged write.
func WithAOF() Option { return func(c *config) { c.aof = true } }

// Server is one Redis server for one test.
type Server struct {
	URL    string // redis://127.0.0.1:PORT/0 (or the shared URL)
	Addr   string // host:port
	Prefix string // key prefix the test must use: random on a shared server, "" on a private one

	t    testing.TB
	proc *process // nil on a shared server
	mu   sync.Mutex
}

// Start returns a Redis server for t: the shared server named by
// BARAZA_TEST_REDIS_URL when set, else a private redis-server from PATH on a
// free port, killed at cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if u := os.Getenv(EnvURL); u != "" {
		return startShared(t, u)
	}
	bin := lookBin(t, "redis-server")
	dir := t.TempDir()
	args := []string{"--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no"}
	if cfg.aof {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	p, err := startOnFreePort(bin, dir, args, false)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	s := &Server{
		URL:  fmt.Sprintf("redis://127.0.0.1:%d/0", p.port),
		Addr: fmt.Sprintf("127.0.0.1:%d", p.port),
		t:    t,
		proc: p,
	}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.proc.stop()
	})
	return s
}

func startShared(t testing.TB, rawURL string) *Server {
	t.Helper()
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		t.Fatalf("redistest: %s: %v", EnvURL, err)
	}
	s := &Server{URL: rawURL, Addr: opt.Addr, Prefix: "t" + randHex(8) + ":", t: t}
	rdb := newClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		t.Fatalf("redistest: shared server %s: %v", opt.Addr, err)
	}
	t.Cleanup(func() {
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, s.Prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			if err := rdb.Unlink(ctx, iter.Val()).Err(); err != nil {
				t.Errorf("redistest: cleanup: %v", err)
				return
			}
		}
		if err := iter.Err(); err != nil {
			t.Errorf("redistest: cleanup: %v", err)
		}
	})
	return s
}

// Client returns a new client of the server, closed at the test's cleanup.
func (s *Server) Client() *redis.Client {
	s.t.Helper()
	opt, err := redis.ParseURL(s.URL)
	if err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
	rdb := newClient(opt)
	s.t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Kill stops the server at once (SIGKILL), as a crash would. The test is
// skipped on a shared server.
func (s *Server) Kill() {
	s.t.Helper()
	if s.proc == nil {
		s.t.Skip("redistest: Kill needs a private redis-server; unset " + EnvURL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proc.stop()
}

// Restart starts the server again on the same port and directory (after
// Kill, or kills it first) and waits until it answers PING. With WithAOF the
// data survive; without it the server comes back empty.
func (s *Server) Restart() {
	s.t.Helper()
	if s.proc == nil {
		s.t.Skip("redistest: Restart needs a private redis-server; unset " + EnvURL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proc.stop()
	// The port was ours a moment ago; another process may grab it in
	// between, so retry until the deadline.
	deadline := time.Now().Add(startTimeout)
	for {
		err := s.proc.start()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redistest: restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // back-off between attempts to bind the same port
	}
}

// Dump returns every key under s.Prefix with its value rendered as text (see
// ScanAll).
func (s *Server) Dump(t testing.TB) map[string]string {
	t.Helper()
	rdb := s.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := dump(ctx, rdb, s.Prefix+"*")
	if err != nil {
		t.Fatalf("redistest: dump: %v", err)
	}
	return m
}

// ScanAll SCANs every key of rdb (every master of a cluster) and returns one
// text of "key => value" lines, sorted by key, where the value of every type
// (string, hash, set, sorted set, list, stream) is rendered in full.
func ScanAll(ctx context.Context, rdb redis.UniversalClient) (string, error) {
	return ScanMatch(ctx, rdb, "*")
}

// ScanMatch is ScanAll restricted to the keys matching a SCAN pattern, such
// as Server.Prefix+"*" on a shared server.
func ScanMatch(ctx context.Context, rdb redis.UniversalClient, pattern string) (string, error) {
	m, err := dump(ctx, rdb, pattern)
	if err != nil {
		return "", err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(" => ")
		b.WriteString(m[k])
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func dump(ctx context.Context, rdb redis.UniversalClient, pattern string) (map[string]string, error) {
	out := map[string]string{}
	var mu sync.Mutex
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, pattern, 500).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			v, err := render(ctx, c, key)
			if errors.Is(err, errGone) {
				continue
			}
			if err != nil {
				return fmt.Errorf("render %q: %w", key, err)
			}
			mu.Lock()
			out[key] = v
			mu.Unlock()
		}
		return iter.Err()
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		if err := c.ForEachMaster(ctx, scan); err != nil {
			return nil, fmt.Errorf("scan cluster: %w", err)
		}
	case *redis.Client:
		if err := scan(ctx, c); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
	default:
		return nil, fmt.Errorf("scan: unsupported client %T", rdb)
	}
	return out, nil
}

var errGone = errors.New("key vanished")

func render(ctx context.Context, c *redis.Client, key string) (string, error) {
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		return "", err
	}
	var parts []string
	switch typ {
	case "none":
		return "", errGone
	case "string":
		v, err := c.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) {
			return "", errGone
		}
		return v, err
	case "hash":
		m, err := c.HGetAll(ctx, key).Result()
		if err != nil {
			return "", err
		}
		for f, v := range m {
			parts = append(parts, f+"="+v)
		}
		slices.Sort(parts)
	case "set":
		parts, err = c.SMembers(ctx, key).Result()
		if err != nil {
			return "", err
		}
		slices.Sort(parts)
	case "zset":
		zs, err := c.ZRangeWithScores(ctx, key, 0, -1).Result()
		if err != nil {
			return "", err
		}
		for _, z := range zs {
			parts = append(parts, fmt.Sprintf("%v:%s", z.Member, strconv.FormatFloat(z.Score, 'g', -1, 64)))
		}
	case "list":
		parts, err = c.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			return "", err
		}
	case "stream":
		msgs, err := c.XRange(ctx, key, "-", "+").Result()
		if err != nil {
			return "", err
		}
		for _, m := range msgs {
			var fields []string
			for f, v := range m.Values {
				fields = append(fields, fmt.Sprintf("%s=%v", f, v))
			}
			slices.Sort(fields)
			parts = append(parts, m.ID+"{"+strings.Join(fields, ",")+"}")
		}
	default:
		return "", fmt.Errorf("unknown type %q", typ)
	}
	return typ + "[" + strings.Join(parts, " | ") + "]", nil
}

// Cluster is a three-master Redis Cluster on loopback for one test.
type Cluster struct {
	Addrs []string

	t testing.TB
}

// StartCluster starts three redis-server --cluster-enabled yes nodes on free
// ports, joins them with redis-cli --cluster create (no replicas) and waits
// until every node reports cluster_state:ok. The nodes are killed at
// cleanup. The test is skipped when redis-server is missing but a shared
// server is configured, since a cluster cannot be shared.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil && os.Getenv(EnvURL) != "" {
		t.Skip("redistest: a cluster needs redis-server and redis-cli in PATH")
	}
	bin := lookBin(t, "redis-server")
	cli := lookBin(t, "redis-cli")
	c := &Cluster{t: t}
	var procs []*process
	t.Cleanup(func() {
		for _, p := range procs {
			p.stop()
		}
	})
	for i := 0; i < 3; i++ {
		dir := t.TempDir()
		args := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
			"--daemonize", "no", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000"}
		p, err := startOnFreePort(bin, dir, args, true)
		if err != nil {
			t.Fatalf("redistest: cluster node %d: %v", i, err)
		}
		procs = append(procs, p)
		c.Addrs = append(c.Addrs, fmt.Sprintf("127.0.0.1:%d", p.port))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, addr := range c.Addrs {
		rdb := newClient(&redis.Options{Addr: addr})
		err := poll(ctx, func() error {
			info, err := rdb.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") {
				return fmt.Errorf("%s not ok yet", addr)
			}
			return nil
		})
		_ = rdb.Close()
		if err != nil {
			t.Fatalf("redistest: cluster: %v", err)
		}
	}
	// Every node must also agree that all slots are covered by three masters
	// before a client's first CLUSTER SLOTS can be trusted.
	rdb := c.Client()
	if err := poll(ctx, func() error {
		return rdb.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error {
			slots, err := n.ClusterSlots(ctx).Result()
			if err != nil {
				return err
			}
			if len(slots) < 3 {
				return fmt.Errorf("%s sees %d slot ranges", n.Options().Addr, len(slots))
			}
			return nil
		})
	}); err != nil {
		t.Fatalf("redistest: cluster: %v", err)
	}
	return c
}

// Client returns a new cluster client, closed at the test's cleanup.
func (c *Cluster) Client() *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                    c.Addrs,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		ContextTimeoutEnabled:    true,
	})
	c.t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func newClient(opt *redis.Options) *redis.Client {
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	opt.ContextTimeoutEnabled = true
	return redis.NewClient(opt)
}

func lookBin(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("redistest: %s not found in PATH: %s", name, installHint)
	}
	return p
}

// process is one redis-server on a fixed port, restartable.
type process struct {
	bin  string
	dir  string
	conf string // configuration file, the first argument when set
	args []string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// startOnFreePort picks a free port (and, for cluster nodes, a free bus
// port at +10000) and starts the server there, trying again with another
// port when the first is taken in the meantime.
func startOnFreePort(bin, dir string, args []string, bus bool) (*process, error) {
	var last error
	for attempt := 0; attempt < 10; attempt++ {
		port, err := freePort(bus)
		if err != nil {
			return nil, err
		}
		p := &process{bin: bin, dir: dir, args: args, port: port}
		if err := p.start(); err != nil {
			last = err
			continue
		}
		return p, nil
	}
	return nil, fmt.Errorf("start redis-server: %w", last)
}

func freePort(bus bool) (int, error) {
	for i := 0; i < 100; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if port == 6379 || port == 16379 {
			continue
		}
		if bus {
			if port+10000 > 65535 {
				continue
			}
			lb, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+10000))
			if err != nil {
				continue
			}
			_ = lb.Close()
		}
		return port, nil
	}
	return 0, errors.New("free port: none found")
}

func (p *process) start() error {
	args := append([]string{"--port", strconv.Itoa(p.port)}, p.args...)
	if p.conf != "" {
		args = append([]string{p.conf}, args...)
	}
	logPath := filepath.Join(p.dir, "redis.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	cmd := exec.Command(p.bin, args...)
	cmd.Dir = p.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("start %s: %w (%s)", p.bin, err, installHint)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done

	addr := fmt.Sprintf("127.0.0.1:%d", p.port)
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			p.cmd = nil
			return fmt.Errorf("redis-server on port %d exited: %s", p.port, tail(logPath))
		default:
		}
		if pingRaw(addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return fmt.Errorf("redis-server on port %d did not answer PING within %s: %s", p.port, startTimeout, tail(logPath))
		}
		time.Sleep(20 * time.Millisecond) // poll interval while waiting for the server to listen
	}
}

func (p *process) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

// pingRaw speaks RESP directly, so waiting for a server creates no client.
func pingRaw(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("ping: got %q", strings.TrimSpace(line))
	}
	return nil
}

func poll(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond): // poll interval
		}
	}
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
