package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfig(t *testing.T) {
	long := strings.Repeat("s", 32)
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"embedded defaults", nil, ""},
		{"redis needs secret", map[string]string{"BARAZA_REDIS_URL": "redis://x:6379"}, "BARAZA_SECRET is required"},
		{"short secret", map[string]string{"BARAZA_SECRET": "short"}, "at least 32 bytes"},
		{"redis with secret", map[string]string{"BARAZA_REDIS_URL": "redis://x:6379", "BARAZA_SECRET": long}, ""},
		{"bad k", map[string]string{"BARAZA_K": "1"}, "BARAZA_K"},
		{"bad addr", map[string]string{"BARAZA_HTTP_ADDR": "nope"}, "host:port"},
		{"telegram api format", map[string]string{"BARAZA_TELEGRAM_API": "http://x/bot"}, "two %s"},
		{"webhook pair", map[string]string{"BARAZA_TELEGRAM_TOKEN": "t", "BARAZA_TELEGRAM_WEBHOOK_URL": "https://x"}, "go together"},
		{"facilitators", map[string]string{"BARAZA_FACILITATORS": "telegram:1, discord:2"}, ""},
		{"bad facilitator", map[string]string{"BARAZA_FACILITATORS": "sms:123456789"}, "BARAZA_FACILITATORS"},
		{"webchat flag", map[string]string{"BARAZA_WEBCHAT": "maybe"}, "BARAZA_WEBCHAT"},
		{"short webhook secret", map[string]string{"BARAZA_TELEGRAM_TOKEN": "t", "BARAZA_TELEGRAM_WEBHOOK_URL": "https://x", "BARAZA_TELEGRAM_WEBHOOK_SECRET": "hunter2"}, "at least 32 characters"},
		{"webhook secret of 32", map[string]string{"BARAZA_TELEGRAM_TOKEN": "t", "BARAZA_TELEGRAM_WEBHOOK_URL": "https://x", "BARAZA_TELEGRAM_WEBHOOK_SECRET": long}, ""},
		{"trusted proxies", map[string]string{"BARAZA_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}, ""},
		{"bad trusted proxy", map[string]string{"BARAZA_TRUSTED_PROXIES": "proxy.example.org"}, "BARAZA_TRUSTED_PROXIES"},
		{"webchat limit", map[string]string{"BARAZA_WEBCHAT_LIMIT": "50"}, ""},
		{"webchat limit off", map[string]string{"BARAZA_WEBCHAT_LIMIT": "off"}, ""},
		{"bad webchat limit", map[string]string{"BARAZA_WEBCHAT_LIMIT": "0"}, "BARAZA_WEBCHAT_LIMIT"},
		{"short metrics token", map[string]string{"BARAZA_METRICS_TOKEN": "abc"}, "BARAZA_METRICS_TOKEN"},
		{"audit fields", map[string]string{"BARAZA_AUDIT_FIELDS": "12000"}, ""},
		{"bad audit fields", map[string]string{"BARAZA_AUDIT_FIELDS": "all"}, "BARAZA_AUDIT_FIELDS"},
		{"zero audit fields", map[string]string{"BARAZA_AUDIT_FIELDS": "0"}, "BARAZA_AUDIT_FIELDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(env(tt.env))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	// A facilitator's id must not be echoed in the error.
	_, err := loadConfig(env(map[string]string{"BARAZA_FACILITATORS": "sms:123456789"}))
	if err != nil && strings.Contains(err.Error(), "123456789") {
		t.Errorf("config error echoes a platform id: %v", err)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte(`id: tiny
version: 1
kind: consultation
languages: [en]
title: Tiny
intro: Hello
consent: OK?
questions:
  - id: area
    type: choice
    text: Where?
    options:
      - {id: north, label: North}
outro: Thanks
`), 0o600)
	os.WriteFile(bad, []byte(`id: Bad_ID
version: 1
kind: consultation
languages: [en]
title: Tiny
intro: Hello
consent: OK?
questions:
  - id: area
    type: choice
    text: Where?
    options: []
outro: Thanks
`), 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"validate", good}, env(nil), &out, io.Discard); err != nil {
		t.Fatalf("valid script: %v\n%s", err, out.String())
	}
	out.Reset()
	err := run(context.Background(), []string{"validate", good, bad}, env(nil), &out, io.Discard)
	var ex exitError
	if err == nil || !errors.As(err, &ex) || ex.code != 1 {
		t.Fatalf("got %v, want exit status 1", err)
	}
	if !strings.Contains(out.String(), bad+":") || !regexp.MustCompile(regexp.QuoteMeta(bad)+`:\d+:`).MatchString(out.String()) {
		t.Errorf("errors do not name file and line:\n%s", out.String())
	}
}

// TestEmbeddedServe starts the binary's run() with no configuration and
// answers a consultation step over HTTP on the embedded store.
func TestEmbeddedServe(t *testing.T) {
	addr, stdout, stderr := startServe(t, nil, map[string]string{"BARAZA_HTTP_ADDR": "127.0.0.1:0"})
	if !strings.Contains(stderr.String(), "embedded") || !strings.Contains(stderr.String(), "BARAZA_REDIS_URL") {
		t.Errorf("no warning about the embedded store: %s", stderr.String())
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	resp, err := http.Get("http://" + addr + "/chat")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<html")) {
		t.Errorf("GET /chat: %d %.80q", resp.StatusCode, body)
	}
	// The API refuses requests without a token.
	resp, err = http.Get("http://" + addr + "/api/v1/consultations")
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]string
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API without token: %d, want 401", resp.StatusCode)
	}
	// With the demo admin token the summary has the contract's shape, and
	// with no answers yet every count is hidden.
	tok := regexp.MustCompile(`demo admin token: (\S+)\)`).FindStringSubmatch(stdout.String())
	if tok == nil {
		t.Fatalf("no demo token printed: %s", stdout.String())
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/consultations/community-safety/summary", nil)
	req.Header.Set("Authorization", "Bearer "+tok[1])
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		ID        string           `json:"id"`
		K         int              `json:"k"`
		Started   *int64           `json:"started"`
		Questions []map[string]any `json:"questions"`
	}
	json.NewDecoder(resp.Body).Decode(&sum)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || sum.ID != "community-safety" || sum.K != 5 || len(sum.Questions) == 0 {
		t.Errorf("summary: %d %+v", resp.StatusCode, sum)
	}
}

// TestTokenAndExport runs the one-shot commands against a real Redis:
// token create prints the token alone on the first line and it
// authenticates; list never shows it; revoke ends it; export writes the
// suppressed CSV and logs the release.
func TestTokenAndExport(t *testing.T) {
	srv := redistest.Start(t)
	e := env(map[string]string{"BARAZA_REDIS_URL": srv.URL, "BARAZA_SECRET": strings.Repeat("k", 32)})
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"token", "create", "--role", "official", "--name", "District office"}, e, &out, &errOut); err != nil {
		t.Fatalf("token create: %v (%s)", err, errOut.String())
	}
	tok := strings.TrimSpace(out.String())
	if strings.Contains(tok, "\n") || !strings.HasPrefix(tok, "bz_") {
		t.Fatalf("token create printed %q; want the token alone", out.String())
	}
	rdb, err := store.Connect(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, store.Options{})
	got, err := st.Authenticate(ctx, tok)
	if err != nil || got.Role != "official" || got.Name != "District office" {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	out.Reset()
	if err := run(ctx, []string{"token", "list"}, e, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "District office") || strings.Contains(out.String(), tok) {
		t.Errorf("token list: %q", out.String())
	}
	dump, _ := redistest.ScanAll(ctx, rdb)
	if strings.Contains(dump, tok) {
		t.Errorf("the token itself is stored in Redis")
	}

	file := filepath.Join(t.TempDir(), "cs.csv")
	if err := run(ctx, []string{"export", "--consultation", "community-safety", "--format", "csv", "--out", file}, e, io.Discard, &errOut); err != nil {
		t.Fatalf("export: %v", err)
	}
	csv, _ := os.ReadFile(file)
	if !bytes.HasPrefix(csv, []byte("\xef\xbb\xbfquestion_id,option_id,by_question_id,by_option_id,count,suppressed,question,option")) {
		t.Errorf("export header: %.120q", csv)
	}
	rel, err := st.Releases(ctx, 10)
	if err != nil || len(rel) != 1 || rel[0].Consultation != "community-safety" || rel[0].Format != "csv" {
		t.Errorf("release log: %+v %v", rel, err)
	}

	if err := run(ctx, []string{"token", "revoke", "District office"}, e, io.Discard, &errOut); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, tok); err == nil {
		t.Errorf("revoked token still authenticates")
	}
	// Without a Redis URL the one-shot commands say why they cannot run.
	if err := run(ctx, []string{"token", "list"}, env(nil), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "BARAZA_REDIS_URL") {
		t.Errorf("token list without Redis: %v", err)
	}
}

func TestRedactAddrs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http: TLS handshake error from 203.0.113.9:51234: EOF", "http: TLS handshake error from [addr]: EOF"},
		{"http: Accept error on [2001:db8::1]:8080: x", "http: Accept error on [addr]: x"},
		{"bare 2001:db8:0:0:0:0:2:1 here", "bare [addr] here"},
		{"no address in 10 steps", "no address in 10 steps"},
	}
	for _, tt := range tests {
		if got := redactAddrs(tt.in); got != tt.want {
			t.Errorf("redactAddrs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
