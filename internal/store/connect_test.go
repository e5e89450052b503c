package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestNewClientForms(t *testing.T) {
	tests := []struct {
		url      string
		wantType string
		check    func(t *testing.T, c redis.UniversalClient)
	}{
		{"redis://127.0.0.1:6390/2", "*redis.Client", func(t *testing.T, c redis.UniversalClient) {
			o := c.(*redis.Client).Options()
			if o.Addr != "127.0.0.1:6390" || o.DB != 2 || !o.DisableIdentity || !o.ContextTimeoutEnabled || o.MaxRetries != 0 {
				t.Errorf("options: got addr=%s db=%d identity-off=%v ctx=%v retries=%d", o.Addr, o.DB, o.DisableIdentity, o.ContextTimeoutEnabled, o.MaxRetries)
			}
			if o.MaintNotificationsConfig == nil || o.MaintNotificationsConfig.Mode != "disabled" {
				t.Errorf("maint notifications: got %+v, want disabled", o.MaintNotificationsConfig)
			}
		}},
		{"rediss://u:p@redis.example:6380?dial_timeout=3", "*redis.Client", func(t *testing.T, c redis.UniversalClient) {
			o := c.(*redis.Client).Options()
			if o.TLSConfig == nil || o.Username != "u" || o.Password != "p" || o.DialTimeout != 3*time.Second {
				t.Errorf("options: got tls=%v user=%q dial=%v", o.TLSConfig != nil, o.Username, o.DialTimeout)
			}
		}},
		{"redis://h1:7000?addr=h2:7000&addr=h3:7000&cluster=true", "*redis.ClusterClient", func(t *testing.T, c redis.UniversalClient) {
			o := c.(*redis.ClusterClient).Options()
			if strings.Join(o.Addrs, ",") != "h1:7000,h2:7000,h3:7000" || !o.DisableIdentity || !o.ContextTimeoutEnabled || o.MaxRetries != -1 {
				t.Errorf("cluster options: got %v identity-off=%v retries=%d", o.Addrs, o.DisableIdentity, o.MaxRetries)
			}
		}},
		{"redis://h1:7000?cluster=true", "*redis.ClusterClient", nil},
		{"redis+sentinel://:pw@s1:26379,s2/mymaster/3?sentinel_password=sp", "*redis.Client", nil},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := newClient(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := typeName(c); got != tt.wantType {
				t.Fatalf("got %s, want %s", got, tt.wantType)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func typeName(c redis.UniversalClient) string {
	switch c.(type) {
	case *redis.Client:
		return "*redis.Client"
	case *redis.ClusterClient:
		return "*redis.ClusterClient"
	}
	return "other"
}

func TestParseSentinel(t *testing.T) {
	o, err := parseSentinel("redis+sentinel://user:p%40ss@s1:26379,s2/mymaster/3?sentinel_username=su&sentinel_password=sp&read_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	if o.MasterName != "mymaster" || o.DB != 3 || o.Username != "user" || o.Password != "p@ss" ||
		strings.Join(o.SentinelAddrs, ",") != "s1:26379,s2:26379" || o.SentinelUsername != "su" ||
		o.SentinelPassword != "sp" || o.ReadTimeout != 2*time.Second {
		t.Errorf("got %+v", o)
	}
	for _, bad := range []string{
		"redis+sentinel://s1:26379",
		"redis+sentinel://s1:26379/",
		"redis+sentinel:///m",
		"redis+sentinel://s1/m/x",
		"redis+sentinel://s1/m/1/2",
		"redis+sentinel://s1/m?nope=1",
	} {
		if _, err := parseSentinel(bad); err == nil {
			t.Errorf("parseSentinel(%q): got nil error, want one", bad)
		}
	}
}

func TestConnectErrorsHidePassword(t *testing.T) {
	const pw = "s3cr3t-Pa55"
	for _, u := range []string{
		"redis://:" + pw + "@127.0.0.1:1/0",                    // nothing listens on port 1
		"redis://user:" + pw + "@127.0.0.1:notaport/0",         // unparseable
		"redis://user:" + pw + "@127.0.0.1:1/0?bogus=1",        // unknown option
		"redis+sentinel://:" + pw + "@127.0.0.1:1/m?x=" + pw,   // unknown option, echoing the secret
		"redis://127.0.0.1:1?password=" + pw + "&cluster=nope", // bad cluster flag
		"mysql://u:" + pw + "@h/db",
		"redis://h?addr=x:1&password=" + pw,
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := Connect(ctx, u)
		cancel()
		if err == nil {
			t.Errorf("Connect(%s): got nil error, want one", redactURL(u))
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("Connect error leaks the password: %v", err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"redis://:pw@h:1/0", "redis://xxxxx@h:1/0"},
		{"redis://h:1/0", "redis://h:1/0"},
		{"redis://u:p@w@h:1", "redis://xxxxx@h:1"},
		{"nonsense", "(not a URL)"},
	} {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestConnectPingFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := Connect(ctx, "redis://127.0.0.1:1/0")
	if err == nil || !strings.Contains(err.Error(), "ping") {
		t.Errorf("got %v, want a ping error", err)
	}
}
