// Package clientnet tells which network an HTTP request came from, for
// limits that must count people rather than connections: the web chat's
// completions per network and the dashboard's sign-in backoff.
//
// A request's client is its RemoteAddr, unless that address is one of the
// configured trusted proxies (BARAZA_TRUSTED_PROXIES): then X-Forwarded-For
// is read from the right, skipping trusted hops, and the first untrusted
// address is the client. An X-Forwarded-For from anyone else is ignored, so
// a script cannot pick a fresh "client" per request by writing the header.
//
// A client's network is its IPv4 /24 or IPv6 /56: one household, one
// office, one community centre, one phone on a carrier's pool. Neither an
// address nor a network is ever logged or stored; callers hash the network
// with a key before it goes anywhere.
package clientnet

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address. The zero value trusts no
// proxy. It is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// Parse reads a comma-separated list of trusted proxies, each an address
// (203.0.113.7, 2001:db8::1) or a prefix (10.0.0.0/8). Empty: none.
func Parse(list string) (*Resolver, error) {
	r := &Resolver{}
	var errs []error
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("trusted proxy %q is not an address or a prefix like 10.0.0.0/8", f))
				continue
			}
			r.trusted = append(r.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("trusted proxy %q is not an address or a prefix like 10.0.0.0/8", f))
			continue
		}
		a = a.Unmap()
		r.trusted = append(r.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return r, errors.Join(errs...)
}

// Trusts reports whether a is a trusted proxy.
func (r *Resolver) Trusts(a netip.Addr) bool {
	if r == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr is the request's client address; invalid when RemoteAddr cannot be
// read (then callers treat all such requests as one client).
func (r *Resolver) Addr(req *http.Request) netip.Addr {
	remote := remoteAddr(req.RemoteAddr)
	if !r.Trusts(remote) {
		return remote
	}
	hops := forwarded(req.Header.Values("X-Forwarded-For"))
	client := remote
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			// A hop no proxy of ours wrote: the client made it up. The
			// last address we could vouch for is the answer.
			return client
		}
		client = a.Unmap()
		if !r.Trusts(client) {
			return client
		}
	}
	return client
}

// Network is the request's client network, e.g. "203.0.113.0/24" or
// "2001:db8:0:100::/56"; "" when the address cannot be read.
func (r *Resolver) Network(req *http.Request) string {
	return Network(r.Addr(req))
}

// Network is a's IPv4 /24 or IPv6 /56; "" for an invalid address.
func Network(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	a = a.Unmap()
	bits := 56
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

func remoteAddr(s string) netip.Addr {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i] // a zone names an interface, not a client
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// forwarded splits X-Forwarded-For header values into hops, left to right.
// Each hop may be "addr", "addr:port" or "[v6]:port" (some proxies write
// ports); at most 64 hops are read.
func forwarded(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			h = strings.TrimSpace(h)
			if host, _, err := net.SplitHostPort(h); err == nil {
				h = host
			}
			h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
			hops = append(hops, h)
		}
	}
	if len(hops) > 64 {
		hops = hops[len(hops)-64:] // the right end is what our proxies wrote
	}
	return hops
}
