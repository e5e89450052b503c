package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/web"
)

// backend is the Redis the process talks to, and how to close it.
type backend struct {
	rdb      redis.UniversalClient
	embedded *miniredis.Miniredis
}

func (b backend) Close() {
	_ = b.rdb.Close()
	if b.embedded != nil {
		b.embedded.Close()
	}
}

// openBackend connects to BARAZA_REDIS_URL, or starts the embedded
// in-process store when it is unset.
func openBackend(ctx context.Context, cfg config, log *slog.Logger) (backend, error) {
	if cfg.embedded() {
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return backend{}, fmt.Errorf("start embedded store: %w", err)
		}
		log.Warn("using the embedded in-process store: every answer is lost when the process exits; set BARAZA_REDIS_URL (and BARAZA_SECRET) to keep data in a real Redis")
		rdb, err := store.Connect(ctx, "redis://"+m.Addr())
		if err != nil {
			m.Close()
			return backend{}, err
		}
		return backend{rdb: rdb, embedded: m}, nil
	}
	rdb, err := store.Connect(ctx, cfg.RedisURL)
	if err != nil {
		return backend{}, err
	}
	return backend{rdb: rdb}, nil
}

// loadScripts reads BARAZA_SCRIPTS, or the bundled scripts. A script that
// does not load does not stop the others: it comes back in broken with
// its problems as `baraza validate` prints them. It is an error only when
// the folder cannot be read or holds no script at all.
func loadScripts(cfg config) ([]*dialogs.Script, []web.BrokenScript, error) {
	var fsys fs.FS = dialogs.Bundled()
	if cfg.Scripts != "" {
		fsys = os.DirFS(cfg.Scripts)
	}
	scripts, err := dialogs.LoadFS(fsys)
	broken := brokenScripts(err)
	if err != nil && len(broken) == 0 {
		return nil, nil, fmt.Errorf("load scripts: %w", err)
	}
	if len(scripts) == 0 && len(broken) == 0 {
		return nil, nil, errors.New("load scripts: no script found (*.yaml, *.xlsx, *.xlsm, *.xls, *.csv, *.md)")
	}
	return scripts, broken, nil
}

// brokenScripts groups LoadFS's problems by file, sorted as it gave them.
func brokenScripts(err error) []web.BrokenScript {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []web.BrokenScript
	index := map[string]int{}
	add := func(file, problem string) {
		i, ok := index[file]
		if !ok {
			i = len(out)
			index[file] = i
			out = append(out, web.BrokenScript{File: file})
		}
		out[i].Problems = append(out[i].Problems, problem)
	}
	for _, e := range errs {
		var verrs dialogs.ValidationErrors
		if errors.As(e, &verrs) && len(verrs) > 0 {
			for _, v := range verrs {
				add(v.File, v.Error())
			}
			continue
		}
		file, _, _ := strings.Cut(e.Error(), ":")
		add(file, e.Error())
	}
	return out
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return usageError{msg: "serve takes no arguments; configure it with BARAZA_* variables"}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	gogc, limit := gcDefaults(getenv)
	if gogc != 0 || limit != 0 {
		log.Info("garbage collector", "gogc", gogc, "memory_limit_bytes", limit)
	}

	scripts, broken, err := loadScripts(cfg)
	if err != nil {
		return err
	}
	// Every script that did not load is reported now, each problem as
	// `baraza validate` words it; the others run, and the dashboard shows
	// the broken ones.
	for _, b := range broken {
		for _, p := range b.Problems {
			log.Error("script not loaded", "file", b.File, "problem", p)
		}
	}
	be, err := openBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer be.Close()

	secret := cfg.Secret
	if secret == nil {
		secret = privacy.RandomSecret()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := store.Instrument(be.rdb, reg); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	keys := privacy.NewKeys(secret)
	stOpts := store.Options{CounterKey: keys.CounterKey()}
	if strings.Contains(cfg.RedisURL, "+sentinel://") {
		// A failover promotes a replica that may miss the last writes:
		// every write waits for one replica (see store.Options).
		stOpts.WaitReplicas = 1
	}
	st := store.New(be.rdb, stOpts)

	catalog := bot.NewCatalog(scripts)
	interval := cfg.ReleaseInterval
	if interval == 0 {
		interval = -1 // release.Service: no wait
	}
	svc := &consult.Service{Store: st, Catalog: catalog, K: cfg.K,
		Releases: &release.Service{Interval: interval, Logger: log, AuditFields: cfg.AuditFields,
			AuditGOGC: auditGOGC(gogc)}}
	routerCfg := bot.RouterConfig{
		Releases: svc.Release(),
		Store:    st,
		Keys:     keys,
		Catalog:  catalog,
		Logger:   log,
		Metrics:  bot.NewMetrics(reg),
		Inviters: map[string]bot.Inviter{},
		K:        cfg.K,
		// Completions per client network per hour on open consultations
		// (web chat); see bot.DefaultNetworkLimit for the default's reasons.
		NetworkLimit: cfg.WebchatLimit,
	}

	var adapters []bot.Adapter
	secure := strings.HasPrefix(cfg.PublicURL, "https://")
	deps := web.Deps{Store: st, Consult: svc, Logger: log, Gatherer: reg, Ready: st.Ping, Secure: secure,
		MetricsToken: cfg.MetricsToken, Networks: cfg.TrustedProxies,
		Broken: func() []web.BrokenScript { return broken }}
	if cfg.Webchat {
		// The chat identity is issued and signed by the server (a key
		// derived from the secret, the same on every replica); the client
		// network is read behind the trusted proxies only.
		wc := webchat.New(webchat.Config{BasePath: "/chat", Logger: log, PublicURL: publicURL(cfg), Secure: secure,
			IdentityKey: derive(secret, "webchat-identity"), Networks: cfg.TrustedProxies})
		adapters = append(adapters, wc)
		routerCfg.Inviters[wc.Name()] = wc
		deps.Webchat = wc.Handler()
	}
	more, err := platformAdapters(ctx, cfg, st, log, &routerCfg, &deps, reg)
	if err != nil {
		return err
	}
	adapters = append(adapters, more...)
	if len(adapters) == 0 {
		return errors.New("no adapter is configured: set BARAZA_WEBCHAT=1, BARAZA_TELEGRAM_TOKEN, BARAZA_DISCORD_TOKEN or BARAZA_SMS_KANNEL_URL")
	}
	commands, err := facilitate.New(facilitate.Config{Facilitators: cfg.Facilitators, Keys: routerCfg.Keys,
		Consult: svc, Inviters: routerCfg.Inviters, WebchatURL: publicURL(cfg) + "/chat", Logger: log})
	if err != nil {
		return err
	}
	routerCfg.Commands = commands
	router := bot.NewRouter(routerCfg)

	// The live room view: facilitators signed in to the dashboard, or
	// anyone holding a short-lived view link. Links are signed with a key
	// derived from the secret, so they survive a restart.
	live := facilitate.NewLive(facilitate.LiveConfig{Consult: svc, Key: derive(secret, "live-view"), Logger: log,
		Authorize: func(r *http.Request, id string) bool {
			t, ok := web.TokenFrom(r.Context())
			return ok && t.Can(store.RoleFacilitator) && t.InScope(id)
		}})
	deps.Live = live
	deps.ViewLink = func(id string) string {
		return publicURL(cfg) + live.NewViewLink(id, facilitate.DefaultViewTTL)
	}
	deps.Invite = func(id string) (map[string]string, []byte, []byte, error) {
		return invite(routerCfg.Inviters, id)
	}
	deps.InviteCards = func(ctx context.Context, id string, n int) ([]facilitate.Card, error) {
		codes, err := facilitate.MakeInvites(ctx, st, routerCfg.Keys, catalog.Get(id), n)
		if err != nil {
			return nil, err
		}
		return facilitate.NewCards(codes, cardPlatforms(routerCfg.Inviters), func(name, code string) (string, string) {
			return routerCfg.Inviters[name].InviteText(code)
		})
	}
	var reloader *facilitate.Reloader
	if cfg.Scripts != "" {
		reloader = facilitate.NewReloader(cfg.Scripts, catalog, st.Counters, log)
		deps.Reload = reloader.Reload
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{Handler: web.NewServer(deps), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: stdlog.New(addrRedactor{log: log.With("component", "http")}, "", 0)}

	if be.embedded != nil {
		tok, _, err := st.CreateToken(ctx, "admin", "demo admin", nil)
		if err != nil {
			return fmt.Errorf("create demo token: %w", err)
		}
		fmt.Fprintf(stdout, "Baraza is running on the embedded store (data is lost on exit).\n  web chat:  http://%s/chat\n  dashboard: http://%s/  (demo admin token: %s)\n", ln.Addr(), ln.Addr(), tok)
	}
	log.Info("serving", "addr", ln.Addr().String(), "adapters", len(adapters), "scripts", len(scripts), "embedded", be.embedded != nil)

	// Adapters run until adapterCtx ends; shutdown goes in order: stop
	// taking updates and finish the in-flight ones, then stop HTTP, then
	// close Redis (deferred above).
	adapterCtx, stopAdapters := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAdapters()
	var wg sync.WaitGroup
	errc := make(chan error, len(adapters)+1)
	for _, a := range adapters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.Run(adapterCtx, router); err != nil {
				errc <- fmt.Errorf("%s: %w", a.Name(), err)
			}
		}()
	}
	// Every replica checks every tick whether a release is due (one round
	// trip per consultation); the store makes each release once, whoever
	// gets there first.
	go svc.Release().Run(adapterCtx, cfg.ReleaseTick)
	if reloader != nil {
		// The scripts folder is watched, and SIGHUP reloads it at once; an
		// invalid new version is refused and the old one keeps running.
		go func() { _ = reloader.Watch(adapterCtx, 5*time.Second) }()
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-adapterCtx.Done():
					return
				case <-hup:
					if err := reloader.Reload(adapterCtx); err != nil {
						log.Error("reload refused; the previous scripts keep running", "err", err)
					}
				}
			}
		}()
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		log.Error("stopping after a failure", "err", runErr)
	}
	log.Info("shutting down")
	stopAdapters()
	wg.Wait()
	live.Close() // end the live view's event streams, or Shutdown waits for them
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	return runErr
}

// invite gathers a consultation's invite links from the adapters and a QR
// code of the most useful one (the Telegram deep link, else the web chat).
func invite(inviters map[string]bot.Inviter, id string) (map[string]string, []byte, []byte, error) {
	links := map[string]string{}
	for name, inv := range inviters {
		link, instructions := inv.InviteText(id)
		if link != "" {
			links[name] = link
		} else if instructions != "" {
			links[name] = instructions
		}
	}
	target := links["telegram"]
	if target == "" {
		target = links["webchat"]
	}
	if target == "" {
		return links, nil, nil, nil
	}
	png, err := facilitate.QR(target)
	if err != nil {
		return nil, nil, nil, err
	}
	svg, err := facilitate.QRSVG(target)
	if err != nil {
		return nil, nil, nil, err
	}
	return links, png, svg, nil
}

// addrRedactor turns net/http's own error lines ("TLS handshake error
// from 203.0.113.9:51234: ...") into structured log lines without the
// client's address: a respondent's IP is as identifying as an id.
type addrRedactor struct{ log *slog.Logger }

var addrPattern = regexp.MustCompile(`\[[0-9a-fA-F:.%]+\](:\d+)?|\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b|\b([0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b`)

func (a addrRedactor) Write(p []byte) (int, error) {
	a.log.Warn("http server", "msg", redactAddrs(strings.TrimSpace(string(p))))
	return len(p), nil
}

func redactAddrs(s string) string { return addrPattern.ReplaceAllString(s, "[addr]") }

// derive makes a purpose-bound key from the secret.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func publicURL(cfg config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	return "http://" + cfg.HTTPAddr
}

// cardPlatforms orders the platforms on an invitation card: the Telegram
// deep link first (its QR opens the bot with the code), then the web chat.
func cardPlatforms(inviters map[string]bot.Inviter) []string {
	var names []string
	for _, n := range []string{"telegram", "webchat", "discord"} {
		if _, ok := inviters[n]; ok {
			names = append(names, n)
		}
	}
	return names
}
