package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/baraza/baraza/internal/clientnet"
	"github.com/baraza/baraza/internal/release"
)

// config is the environment of DESIGN.md, read and checked once at start.
// Each adapter's own settings are copied into that adapter's Config in
// main; this struct only carries what the environment said.
type config struct {
	RedisURL string
	Secret   []byte
	HTTPAddr string
	Scripts  string
	K        int

	TelegramToken         string
	TelegramAPI           string
	TelegramWebhookURL    string
	TelegramWebhookSecret string

	DiscordToken string
	DiscordAPI   string
	DiscordShard string

	SMS smsConfig

	Webchat      bool
	PublicURL    string
	Facilitators []string // "platform:id", kept in memory only

	// TrustedProxies may set X-Forwarded-For (BARAZA_TRUSTED_PROXIES).
	TrustedProxies *clientnet.Resolver
	// WebchatLimit is completions per client network per hour on open
	// consultations (BARAZA_WEBCHAT_LIMIT): 0 the default, -1 off.
	WebchatLimit int
	// MetricsToken, when set, is required to read /metrics in full.
	MetricsToken string
	// ReleaseInterval is the least time between two releases of a
	// consultation (BARAZA_RELEASE_INTERVAL; 0: none); ReleaseTick how
	// often each process checks whether one is due (BARAZA_RELEASE_TICK).
	ReleaseInterval time.Duration
	ReleaseTick     time.Duration
	// AuditFields bounds the history a release is audited with
	// (BARAZA_AUDIT_FIELDS; release.Service.AuditFields).
	AuditFields int
}

// defaultReleaseTick is how often a process checks whether a release is
// due: one round trip per consultation.
const defaultReleaseTick = 5 * time.Second

// minWebhookSecret is the shortest Telegram webhook secret accepted: the
// secret is all that stands between the internet and forged updates.
const minWebhookSecret = 32

// embedded reports whether the in-process store is used.
func (c config) embedded() bool { return c.RedisURL == "" }

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		RedisURL:              strings.TrimSpace(getenv("BARAZA_REDIS_URL")),
		HTTPAddr:              strings.TrimSpace(getenv("BARAZA_HTTP_ADDR")),
		Scripts:               strings.TrimSpace(getenv("BARAZA_SCRIPTS")),
		TelegramToken:         strings.TrimSpace(getenv("BARAZA_TELEGRAM_TOKEN")),
		TelegramAPI:           strings.TrimSpace(getenv("BARAZA_TELEGRAM_API")),
		TelegramWebhookURL:    strings.TrimSpace(getenv("BARAZA_TELEGRAM_WEBHOOK_URL")),
		TelegramWebhookSecret: strings.TrimSpace(getenv("BARAZA_TELEGRAM_WEBHOOK_SECRET")),
		DiscordToken:          strings.TrimSpace(getenv("BARAZA_DISCORD_TOKEN")),
		DiscordAPI:            strings.TrimSpace(getenv("BARAZA_DISCORD_API")),
		DiscordShard:          strings.TrimSpace(getenv("BARAZA_DISCORD_SHARD")),
		PublicURL:             strings.TrimRight(strings.TrimSpace(getenv("BARAZA_PUBLIC_URL")), "/"),
		K:                     5,
	}
	var errs []error
	if secret := getenv("BARAZA_SECRET"); secret != "" {
		if len(secret) < 32 {
			errs = append(errs, errors.New("BARAZA_SECRET must be at least 32 bytes (try: openssl rand -hex 32)"))
		}
		c.Secret = []byte(secret)
	} else if c.RedisURL != "" {
		errs = append(errs, errors.New("BARAZA_SECRET is required when BARAZA_REDIS_URL is set: without a stable secret the pseudonyms change at every restart and sessions are lost (try: openssl rand -hex 32)"))
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8080"
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("BARAZA_HTTP_ADDR %q is not host:port", c.HTTPAddr))
	}
	if v := strings.TrimSpace(getenv("BARAZA_K")); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 2 {
			errs = append(errs, fmt.Errorf("BARAZA_K %q must be a whole number of at least 2", v))
		} else {
			c.K = k
		}
	}
	c.ReleaseInterval, c.ReleaseTick = release.DefaultInterval, defaultReleaseTick
	if v := strings.TrimSpace(getenv("BARAZA_RELEASE_INTERVAL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("BARAZA_RELEASE_INTERVAL %q must be a duration such as 10m (0: no wait between releases)", v))
		} else {
			c.ReleaseInterval = d
		}
	}
	c.AuditFields = release.DefaultAuditFields
	if v := strings.TrimSpace(getenv("BARAZA_AUDIT_FIELDS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("BARAZA_AUDIT_FIELDS %q must be a whole number of counter fields, such as %d (the previous release is always included)", v, release.DefaultAuditFields))
		} else {
			c.AuditFields = n
		}
	}
	if v := strings.TrimSpace(getenv("BARAZA_RELEASE_TICK")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond {
			errs = append(errs, fmt.Errorf("BARAZA_RELEASE_TICK %q must be a duration of at least 10ms, such as 5s", v))
		} else {
			c.ReleaseTick = d
		}
	}
	if c.TelegramAPI != "" && strings.Count(c.TelegramAPI, "%s") != 2 {
		errs = append(errs, fmt.Errorf("BARAZA_TELEGRAM_API must contain two %%s (token, method), like https://api.telegram.org/bot%%s/%%s"))
	}
	if c.TelegramWebhookSecret != "" && len(c.TelegramWebhookSecret) < minWebhookSecret {
		errs = append(errs, fmt.Errorf("BARAZA_TELEGRAM_WEBHOOK_SECRET must be at least %d characters (Telegram allows A-Z, a-z, 0-9, _ and -, up to 256; try: openssl rand -hex 32)", minWebhookSecret))
	}
	if (c.TelegramWebhookURL == "") != (c.TelegramWebhookSecret == "") {
		errs = append(errs, errors.New("BARAZA_TELEGRAM_WEBHOOK_URL and BARAZA_TELEGRAM_WEBHOOK_SECRET go together"))
	}
	if c.TelegramWebhookURL != "" && c.TelegramToken == "" {
		errs = append(errs, errors.New("BARAZA_TELEGRAM_WEBHOOK_URL needs BARAZA_TELEGRAM_TOKEN"))
	}
	switch v := strings.TrimSpace(getenv("BARAZA_WEBCHAT")); v {
	case "":
		c.Webchat = c.embedded()
	case "1", "true", "yes", "on":
		c.Webchat = true
	case "0", "false", "no", "off":
		c.Webchat = false
	default:
		errs = append(errs, fmt.Errorf("BARAZA_WEBCHAT %q must be 1 or 0", v))
	}
	var perr error
	if c.TrustedProxies, perr = clientnet.Parse(getenv("BARAZA_TRUSTED_PROXIES")); perr != nil {
		errs = append(errs, fmt.Errorf("BARAZA_TRUSTED_PROXIES: %w", perr))
	}
	if v := strings.TrimSpace(getenv("BARAZA_WEBCHAT_LIMIT")); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case v == "off":
			c.WebchatLimit = -1
		case err != nil || n < 1:
			errs = append(errs, fmt.Errorf("BARAZA_WEBCHAT_LIMIT %q must be a whole number of at least 1 (completions per network per hour) or off", v))
		default:
			c.WebchatLimit = n
		}
	}
	c.MetricsToken = strings.TrimSpace(getenv("BARAZA_METRICS_TOKEN"))
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		errs = append(errs, errors.New("BARAZA_METRICS_TOKEN must be at least 16 characters (try: openssl rand -hex 16)"))
	}
	c.SMS, errs = loadSMS(getenv, c, errs)
	for _, f := range strings.Split(getenv("BARAZA_FACILITATORS"), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, id, ok := strings.Cut(f, ":")
		if !ok || id == "" || (p != "telegram" && p != "discord" && p != "webchat") {
			// Do not echo the value: it is a platform id.
			errs = append(errs, errors.New("BARAZA_FACILITATORS entries must look like telegram:123 or discord:456"))
			continue
		}
		if p == "webchat" {
			// A web chat cookie is "<identity>.<signature>": the identity
			// is the user, so a pasted whole cookie value works too.
			id, _, _ = strings.Cut(id, ".")
			f = p + ":" + id
		}
		c.Facilitators = append(c.Facilitators, f)
	}
	return c, errors.Join(errs...)
}
