package clientnet

import (
	"net/http/httptest"
	"testing"
)

func TestAddr(t *testing.T) {
	r, err := Parse("10.0.0.0/8, 192.0.2.1, 2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		xff          []string
		want, net    string
	}{
		{"direct", "198.51.100.7:5000", nil, "198.51.100.7", "198.51.100.0/24"},
		{"untrusted XFF ignored", "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7", "198.51.100.0/24"},
		{"trusted proxy", "10.1.2.3:443", []string{"203.0.113.9"}, "203.0.113.9", "203.0.113.0/24"},
		{"two trusted hops", "10.1.2.3:443", []string{"203.0.113.9, 192.0.2.1"}, "203.0.113.9", "203.0.113.0/24"},
		{"forged left part skipped", "10.1.2.3:443", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9", "203.0.113.0/24"},
		{"two headers", "10.1.2.3:443", []string{"1.2.3.4", "203.0.113.9"}, "203.0.113.9", "203.0.113.0/24"},
		{"garbage from the client stops at the proxy's view", "10.1.2.3:443", []string{"nonsense"}, "10.1.2.3", "10.1.2.0/24"},
		{"port in hop", "10.1.2.3:443", []string{"203.0.113.9:1234"}, "203.0.113.9", "203.0.113.0/24"},
		{"v6 client", "10.1.2.3:443", []string{"[2001:db8:1:2:3::4]:80"}, "2001:db8:1:2:3::4", "2001:db8:1::/56"},
		{"v6 trusted proxy", "[2001:db8:ffff::1]:443", []string{"2001:db8:1:2ff::9"}, "2001:db8:1:2ff::9", "2001:db8:1:200::/56"},
		{"mapped v4", "[::ffff:198.51.100.7]:5000", nil, "198.51.100.7", "198.51.100.0/24"},
		{"only trusted hops", "10.1.2.3:443", []string{"10.9.9.9"}, "10.9.9.9", "10.9.9.0/24"},
		{"unreadable remote", "pipe", nil, "invalid IP", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := r.Addr(req).String(); got != tt.want {
				t.Errorf("Addr = %s, want %s", got, tt.want)
			}
			if got := r.Network(req); got != tt.net {
				t.Errorf("Network = %q, want %q", got, tt.net)
			}
		})
	}
}

func TestNoTrustedProxy(t *testing.T) {
	var r *Resolver
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.1.2.3:443"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := r.Network(req); got != "10.1.2.0/24" {
		t.Errorf("nil resolver: got %q, want the remote network", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"10.0.0.0/33", "example.org", "10.0.0"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q): no error", in)
		}
	}
	if _, err := Parse(" , "); err != nil {
		t.Errorf("empty list: %v", err)
	}
}

func FuzzAddr(f *testing.F) {
	f.Add("10.1.2.3:443", "203.0.113.9, 192.0.2.1")
	f.Add("[2001:db8::1]:1", "[::1]:3,,x")
	r, _ := Parse("10.0.0.0/8,2001:db8::/32")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", xff)
		a := r.Addr(req)
		if n := r.Network(req); a.IsValid() != (n != "") {
			t.Fatalf("addr %v valid=%v but network %q", a, a.IsValid(), n)
		}
	})
}
