package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Connect builds a client for rawURL (see the package doc for the forms),
// pings it and returns it. Errors never contain the URL's password.
func Connect(ctx context.Context, rawURL string) (redis.UniversalClient, error) {
	rdb, err := newClient(rawURL)
	if err != nil {
		return nil, redactErr(rawURL, fmt.Errorf("store: redis url %s: %w", redactURL(rawURL), err))
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, redactErr(rawURL, fmt.Errorf("store: redis %s: ping: %w", redactURL(rawURL), err))
	}
	return rdb, nil
}

func newClient(rawURL string) (redis.UniversalClient, error) {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New("want redis://, rediss:// or redis+sentinel://")
	}
	maint := func() *maintnotifications.Config {
		return &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	}
	switch scheme {
	case "redis+sentinel", "rediss+sentinel":
		o, err := parseSentinel(rawURL)
		if err != nil {
			return nil, err
		}
		o.DisableIdentity = true // maintenance notifications: the failover client forces them off
		o.ContextTimeoutEnabled = true
		o.MaxRetries = -1
		return redis.NewFailoverClient(o), nil
	case "redis", "rediss":
	default:
		return nil, fmt.Errorf("unknown scheme %q: want redis://, rediss:// or redis+sentinel://", scheme)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("cannot parse") // url.Error would repeat the URL
	}
	q := u.Query()
	if q.Has("cluster") || q.Has("addr") {
		cluster := q.Get("cluster")
		if cluster != "" && cluster != "true" && cluster != "1" {
			return nil, fmt.Errorf("cluster=%q: want cluster=true", cluster)
		}
		if cluster == "" {
			return nil, errors.New("addr= needs cluster=true (for Sentinel use redis+sentinel://)")
		}
		q.Del("cluster")
		u.RawQuery = q.Encode()
		o, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, err
		}
		o.DisableIdentity = true
		o.MaintNotificationsConfig = maint()
		o.ContextTimeoutEnabled = true
		o.MaxRetries = -1
		return redis.NewClusterClient(o), nil
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	o.DisableIdentity = true
	o.MaintNotificationsConfig = maint()
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1
	return redis.NewClient(o), nil
}

// parseSentinel reads
// redis+sentinel://[[user]:pass@]host1:26379,host2:26379/master[/db][?sentinel_username=&sentinel_password=&...].
func parseSentinel(rawURL string) (*redis.FailoverOptions, error) {
	scheme, rest, _ := strings.Cut(rawURL, "://")
	rest, query, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	o := &redis.FailoverOptions{}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo := authority[:at]
		authority = authority[at+1:]
		user, pass, hasPass := strings.Cut(userinfo, ":")
		var err error
		if o.Username, err = url.PathUnescape(user); err != nil {
			return nil, errors.New("bad user name escape")
		}
		if hasPass {
			if o.Password, err = url.PathUnescape(pass); err != nil {
				return nil, errors.New("bad password escape")
			}
		}
	}
	for _, h := range strings.Split(authority, ",") {
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, "26379")
		}
		o.SentinelAddrs = append(o.SentinelAddrs, h)
	}
	if len(o.SentinelAddrs) == 0 {
		return nil, errors.New("no sentinel address")
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if parts[0] == "" {
		return nil, errors.New("missing master name: redis+sentinel://host:26379/mastername")
	}
	o.MasterName = parts[0]
	switch len(parts) {
	case 1:
	case 2:
		db, err := strconv.Atoi(parts[1])
		if err != nil || db < 0 {
			return nil, fmt.Errorf("bad database number %q", parts[1])
		}
		o.DB = db
	default:
		return nil, errors.New("path: want /mastername[/db]")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, errors.New("bad query")
	}
	for k, v := range q {
		switch k {
		case "sentinel_username":
			o.SentinelUsername = v[0]
		case "sentinel_password":
			o.SentinelPassword = v[0]
		case "dial_timeout", "read_timeout", "write_timeout":
			d, err := parseSeconds(v[0])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			switch k {
			case "dial_timeout":
				o.DialTimeout = d
			case "read_timeout":
				o.ReadTimeout = d
			default:
				o.WriteTimeout = d
			}
		case "pool_size":
			n, err := strconv.Atoi(v[0])
			if err != nil {
				return nil, fmt.Errorf("pool_size: %w", err)
			}
			o.PoolSize = n
		default:
			return nil, fmt.Errorf("unknown parameter %q", k)
		}
	}
	if scheme == "rediss+sentinel" {
		host, _, _ := net.SplitHostPort(o.SentinelAddrs[0])
		o.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return o, nil
}

// redactURL replaces the userinfo of a URL, parseable or not.
func redactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "(not a URL)"
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	return scheme + "://xxxxx@" + rest[at+1:]
}

// redactErr removes the password (raw and unescaped) from err's text. The
// result keeps errors.Is for the wrapped chain only when nothing had to be
// removed.
func redactErr(raw string, err error) error {
	secrets := userinfoSecrets(raw)
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, "xxxxx")
		}
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

func userinfoSecrets(raw string) []string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	var out []string
	if at >= 0 {
		ui := authority[:at]
		out = append(out, ui)
		if _, p, ok := strings.Cut(ui, ":"); ok && p != "" {
			out = append(out, p)
			if up, err := url.PathUnescape(p); err == nil {
				out = append(out, up)
			}
		}
	}
	// Passwords may also come as query parameters.
	if _, query, ok := strings.Cut(rest, "?"); ok {
		if q, err := url.ParseQuery(query); err == nil {
			for _, k := range []string{"password", "sentinel_password"} {
				if v := q.Get(k); v != "" {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// parseSeconds reads a duration as go-redis URLs do: a plain number is
// seconds, else a Go duration.
func parseSeconds(s string) (time.Duration, error) {
	if i, err := strconv.Atoi(s); err == nil {
		return time.Duration(i) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return d, nil
}
