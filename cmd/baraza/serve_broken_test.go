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

	addr, _, stderr := startServe(t, []string{"serve"}, map[string]string{"BARAZA_HTTP_ADDR": "127.0.0.1:0", "BARAZA_SCRIPTS": dir})
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

// startServe runs the binary's run() with args (nil: no command, which is
// serve) and env until the test ends, and returns its address (read from
// the start-up line), its output and its log. It fails at once if run ends before
// printing an address, and, at the end, if run fails or does not stop.
func startServe(t *testing.T, args []string, vars map[string]string) (addr string, stdout, stderr *testenv.LogBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &testenv.LogBuffer{}, &testenv.LogBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, env(vars), stdout, stderr) }()
	ended := false
	t.Cleanup(func() {
		cancel()
		if ended {
			return
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("run did not stop within 20 s of its context's end")
		}
	})
	re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/chat`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stdout, stderr
		}
		select {
		case err := <-done:
			ended = true
			t.Fatalf("run ended early: %v\nstderr: %s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no address printed; stdout %q stderr %q", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
