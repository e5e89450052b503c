package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestServeSMS runs `baraza serve` with BARAZA_SMS_* set: Kannel's
// post-url reaches the adapter through the server's mounted route, the
// reply goes to (a stand-in for) Kannel's sendsms by POST, and /metrics
// counts it without a per-consultation series.
func TestServeSMS(t *testing.T) {
	var mu sync.Mutex
	var got []string
	kannel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPost && r.Header.Get("X-Kannel-To") == "+254700999001" && r.Header.Get("X-Kannel-Password") == "pw" {
			got = append(got, string(body))
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer kannel.Close()

	addr, _, stderr := startServe(t, []string{"serve"}, map[string]string{
		"BARAZA_HTTP_ADDR": "127.0.0.1:0", "BARAZA_SMS_KANNEL_URL": kannel.URL + "/cgi-bin/sendsms",
		"BARAZA_SMS_KANNEL_USER": "baraza", "BARAZA_SMS_KANNEL_PASSWORD": "pw",
		"BARAZA_SMS_SECRET": "0123456789abcdef", "BARAZA_SMS_KEYWORDS": "SAFETY=community-safety",
	})
	post := func(query string) int {
		req, _ := http.NewRequest("POST", "http://"+addr+"/sms/kannel/inbound?"+query, strings.NewReader("JOIN SAFETY"))
		req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
		req.Header.Set("X-Kannel-From", "+254700999001")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post("id=a1"); st != http.StatusUnauthorized {
		t.Errorf("without the secret: %d, want 401", st)
	}
	if st := post("id=a1&k=0123456789abcdef"); st != http.StatusOK {
		t.Fatalf("with the secret: %d, want 200; stderr %s", st, stderr.String())
	}
	mu.Lock()
	if len(got) != 1 || !strings.Contains(got[0], "1. English") {
		t.Errorf("Kannel got %q, want the language choice", got)
	}
	mu.Unlock()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `baraza_sms_messages_out_total{consultation="all"} 1`) {
		t.Errorf("/metrics lacks the SMS message count:\n%s", grepLines(string(body), "baraza_sms"))
	}
	if strings.Contains(stderr.String(), "254700999001") {
		t.Errorf("the log holds the phone number")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
