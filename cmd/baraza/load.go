package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/store"
)

// load measures the core — router, step machine, store — against the
// Redis of BARAZA_REDIS_URL with simulated respondents, and prints the
// figures beside redis-benchmark run against the same server in the same
// minute. It writes only under a random key prefix and deletes it after.
func load(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("respondents", 500, "simulated respondents")
	conc := fs.Int("concurrency", 50, "respondents answering at once")
	id := fs.String("consultation", "community-safety", "consultation to answer")
	dup := fs.Float64("dup", 0.1, "share of events delivered twice")
	benchmark := fs.Bool("redis-benchmark", true, "also run redis-benchmark -t set,get -c 50 against the same server")
	if err := fs.Parse(args); err != nil {
		return usageError{msg: err.Error()}
	}
	if *n < 1 || *conc < 1 {
		return usageError{msg: "--respondents and --concurrency must be positive"}
	}
	rawURL := getenv("BARAZA_REDIS_URL")
	if rawURL == "" {
		return errors.New("load needs BARAZA_REDIS_URL (a real Redis: the figure is the ratio to redis-benchmark on the same server), e.g. redis-server --port 6390 --save '' & BARAZA_REDIS_URL=redis://127.0.0.1:6390")
	}
	rdb, err := store.Connect(ctx, rawURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	var rt store.RoundTrips
	rdb.AddHook(&rt)

	scripts, err := dialogs.LoadFS(dialogs.Bundled())
	if err != nil {
		return err
	}
	catalog := bot.NewCatalog(scripts)
	script := catalog.Get(*id)
	if script == nil {
		return fmt.Errorf("no bundled consultation %q", *id)
	}
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	prefix := "baraza-load-" + hex.EncodeToString(nonce[:]) + ":"
	st := store.New(rdb, store.Options{Prefix: prefix})
	defer func() {
		if err := deletePrefix(context.WithoutCancel(ctx), rdb, prefix); err != nil {
			fmt.Fprintln(stderr, "load: cleanup:", err)
		}
	}()
	router := bot.NewRouter(bot.RouterConfig{Store: st, Keys: privacy.NewKeys(privacy.RandomSecret()),
		Catalog: catalog, Logger: slog.New(slog.DiscardHandler)})

	players := make([]*simulate.Player, *n)
	resps := make([]*simulate.Respondent, *n)
	for i := range players {
		players[i] = simulate.NewPlayer(script, uint64(i+1))
		resps[i] = &simulate.Respondent{User: fmt.Sprintf("load-%d", i), Player: players[i],
			Handler: func() bot.Handler { return router }, Chaos: simulate.Chaos{DupRate: *dup}}
	}
	work := make(chan *simulate.Respondent)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	rt0 := rt.Load()
	start := time.Now()
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				if err := r.Run(ctx, script.ID); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, r := range resps {
		work <- r
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	trips := rt.Load() - rt0
	if firstErr != nil {
		return fmt.Errorf("load: %w", firstErr)
	}
	events := 0
	for _, r := range resps {
		events += r.Events
	}

	// Exact counts: what the players gave is what the counters hold.
	got, err := st.Counters(ctx, script.ID)
	if err != nil {
		return err
	}
	exact := maps.Equal(got, simulate.Expected(players, results.Week(time.Now())))

	perSec := float64(events) / elapsed.Seconds()
	fmt.Fprintf(stdout, "respondents      %d (concurrency %d, %.0f%% duplicated deliveries)\n", *n, *conc, *dup*100)
	fmt.Fprintf(stdout, "events           %d in %s\n", events, elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "events/s         %.0f\n", perSec)
	fmt.Fprintf(stdout, "completions/s    %.0f\n", float64(*n)/elapsed.Seconds())
	fmt.Fprintf(stdout, "redis round trips per event  %.2f\n", float64(trips)/float64(events))
	fmt.Fprintf(stdout, "counts exact     %v\n", exact)
	if !exact {
		return errors.New("load: counters differ from the simulated answers")
	}
	if *benchmark {
		setRPS, getRPS, err := redisBenchmark(ctx, rawURL)
		if err != nil {
			fmt.Fprintln(stdout, "redis-benchmark  not run:", err)
			return nil
		}
		fmt.Fprintf(stdout, "redis-benchmark  SET %.0f/s  GET %.0f/s  (-c 50, same server, same minute)\n", setRPS, getRPS)
		fmt.Fprintf(stdout, "ratio            events/s ÷ SET/s = %.3f\n", perSec/setRPS)
	}
	return nil
}

// deletePrefix removes every key the load run wrote, and nothing else.
func deletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, del)
	case *redis.Client:
		return del(ctx, c)
	}
	return fmt.Errorf("cannot scan a %T", rdb)
}

// redisBenchmark runs redis-benchmark against the server of rawURL and
// returns its SET and GET requests per second.
func redisBenchmark(ctx context.Context, rawURL string) (set, get float64, err error) {
	path, err := exec.LookPath("redis-benchmark")
	if err != nil {
		return 0, 0, errors.New("redis-benchmark is not on the PATH (apt-get install redis-tools)")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, 0, err
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "6379"
	}
	args := []string{"-h", host, "-p", port, "-q", "-t", "set,get", "-c", "50", "-n", "100000"}
	if pw, ok := u.User.Password(); ok {
		args = append(args, "-a", pw, "--no-auth-warning")
	}
	out, err := exec.CommandContext(ctx, path, args...).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("redis-benchmark: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		// "SET: 123456.79 requests per second, p50=0.199 msec"; the
		// progress lines before it end in a carriage return.
		line := sc.Text()
		if i := strings.LastIndexByte(line, '\r'); i >= 0 {
			line = line[i+1:]
		}
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		switch name {
		case "SET":
			set = v
		case "GET":
			get = v
		}
	}
	if set == 0 {
		return 0, 0, fmt.Errorf("redis-benchmark: no SET figure in %q", out)
	}
	return set, get, nil
}
