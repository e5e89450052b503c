package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// health asks the server running on BARAZA_HTTP_ADDR whether it is ready
// (GET /readyz: HTTP up and Redis answering) and fails otherwise. It is
// the container's healthcheck: the distroless image has no shell or curl.
func health(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	addr := strings.TrimSpace(getenv("BARAZA_HTTP_ADDR"))
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("health: BARAZA_HTTP_ADDR %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1" // listening on every address: ask the loopback one
	}
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/readyz", nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("health: /readyz answered %s", res.Status)
	}
	fmt.Fprintln(stdout, "ready")
	return nil
}
