package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/internal/testenv"
)

// TestServeReportsBrokenScripts runs `baraza serve` on a scripts folder
// holding a good workbook, a workbook refused for privacy and a file that
// is no workbook: it starts, logs every problem at start-up as `baraza
// validate` words it, serves the good one, and /healthz stays healthy.
func TestServeReportsBrokenScripts(t *testing.T) {
	dir := t.TempDir()
	copyFile := func(from, to string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("../../dialogs/testdata/xlsforms/tutorial.xls", "tutorial.xls")
	copyFile("../../dialogs/testdata/xlsforms/widgets.xls", "widgets.xls")
	if err := os.WriteFile(filepath.Join(dir, "notes.xlsx"), []byte("not a workbook"), 0o600); err != nil {
		t.Fatal(err)
	}

	addr, stderr := startServe(t, map[string]string{"BARAZA_HTTP_ADDR": "127.0.0.1:0", "BARAZA_SCRIPTS": dir})
	logs := stderr.String()
	for _, want := range []string{
		"widgets.xls:survey:11: type geopoint would identify or locate a respondent",
		"widgets.xls:survey:17: type geopoint would identify or locate a respondent",
		"notes.xlsx",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("start-up log lacks %q:\n%s", want, logs)
		}
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d %s, want 200 with a broken script", code, body)
	}
	if code, body := get("/chat?start=tutorial"); code != http.StatusOK {
		t.Errorf("/chat?start=tutorial %d, want the good workbook served:\n%.300s", code, body)
	}
}

// startServe runs `baraza serve` with env until the test ends, and returns
// its address (read from the start-up line) and its log.
func startServe(t *testing.T, vars map[string]string) (addr string, stderr *testenv.LogBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &testenv.LogBuffer{}, &testenv.LogBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	testenv.WaitFor(t, 30*time.Second, "the server's address", func() bool {
		m := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/chat`).FindStringSubmatch(stdout.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	return addr, stderr
}
