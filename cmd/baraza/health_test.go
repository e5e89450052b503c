package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	env := func(k string) string {
		if k == "BARAZA_HTTP_ADDR" {
			return addr
		}
		return ""
	}
	for _, tc := range []struct {
		status int
		ok     bool
	}{{http.StatusOK, true}, {http.StatusServiceUnavailable, false}} {
		status = tc.status
		var out bytes.Buffer
		err := run(context.Background(), []string{"health"}, env, &out, &out)
		if (err == nil) != tc.ok {
			t.Errorf("/readyz %d: got error %v, want ok=%v", tc.status, err, tc.ok)
		}
	}
	srv.Close()
	if err := run(context.Background(), []string{"health"}, env, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Errorf("server down: got no error")
	}
}
