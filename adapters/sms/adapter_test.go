package sms

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baraza/baraza/internal/testenv"
)

// fakeKannel is a sendsms endpoint that records what it accepted and can
// be told to answer the next requests with other statuses.
type fakeKannel struct {
	mu       sync.Mutex
	sent     []sent
	failNext []int // statuses to answer before accepting again
	requests int
}

type sent struct{ to, text, coding, dlr string }

func (k *fakeKannel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.requests++
	if r.Method != http.MethodPost || r.URL.RawQuery != "" || r.Header.Get("X-Kannel-Username") != "baraza" || r.Header.Get("X-Kannel-Password") != "pw" {
		http.Error(w, "Authorization failed for sendsms", http.StatusForbidden)
		return
	}
	if len(k.failNext) > 0 {
		st := k.failNext[0]
		k.failNext = k.failNext[1:]
		http.Error(w, "Temporal failure, try again later.", st)
		return
	}
	k.sent = append(k.sent, sent{r.Header.Get("X-Kannel-To"), string(body), r.Header.Get("X-Kannel-Coding"), r.Header.Get("X-Kannel-DLR-URL")})
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprint(w, "0: Accepted for delivery")
}

func (k *fakeKannel) to(phone string) []sent {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []sent
	for _, s := range k.sent {
		if s.to == phone {
			out = append(out, s)
		}
	}
	return out
}

func (k *fakeKannel) fail(statuses ...int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.failNext = statuses
}

func (k *fakeKannel) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.requests
}

const secret = "inbound-secret-0123456789"

type rig struct {
	env    *testenv.Env
	kannel *fakeKannel
	a      *Adapter
	srv    *httptest.Server
	cfg    Config
}

func newRig(t *testing.T, mod func(*Config)) *rig {
	t.Helper()
	env := testenv.New(t)
	k := &fakeKannel{}
	ks := httptest.NewServer(k)
	t.Cleanup(ks.Close)
	cfg := Config{
		Kannel: &Kannel{URL: ks.URL + "/cgi-bin/sendsms", User: "baraza", Password: "pw", From: "5555",
			DLRURL: "http://baraza.test/sms/kannel/dlr?k=" + secret + "&status=%d&c="},
		Redis: env.RDB, Prefix: env.Redis.Prefix + "baraza:", Secret: secret,
		Rate: 1000, Burst: 100, Backoff: time.Millisecond,
		Keywords:      map[string]string{"SAFETY": "community-safety"},
		Consultations: func() []string { return []string{"community-safety", "incident-report"} },
		Logger:        env.Logger,
	}
	if mod != nil {
		mod(&cfg)
	}
	r := &rig{env: env, kannel: k, cfg: cfg}
	r.start(t)
	return r
}

// start runs a fresh adapter on the same Redis (a restart: nothing in
// memory survives).
func (r *rig) start(t *testing.T) {
	t.Helper()
	a, err := New(r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, r.env.Router) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	testenv.WaitFor(t, 10*time.Second, "adapter running", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.h != nil
	})
	r.a = a
	r.srv = httptest.NewServer(a.Handler())
	t.Cleanup(r.srv.Close)
}

// mo delivers one message from a phone as Kannel's post-url does.
func (r *rig) mo(t *testing.T, id, from, text string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", r.srv.URL+"/sms/kannel/inbound?id="+id+"&k="+secret, strings.NewReader(text))
	req.Header.Set("Content-Type", `text/plain; charset="UTF-8"`)
	req.Header.Set("X-Kannel-From", from)
	req.Header.Set("X-Kannel-Coding", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

const phone = "+254700123456"

func TestJoinAndAnswer(t *testing.T) {
	r := newRig(t, nil)
	if st := r.mo(t, "m1", phone, "JOIN SAFETY"); st != 200 {
		t.Fatalf("JOIN: status %d", st)
	}
	got := r.kannel.to(phone)
	if len(got) != 1 || !strings.Contains(got[0].text, "1. English") || got[0].coding != "2" {
		t.Fatalf("after JOIN: got %+v, want the language choice in UCS-2", got)
	}
	if !strings.HasSuffix(got[0].dlr, "&c=community-safety") {
		t.Errorf("delivery report URL %q does not name the consultation", got[0].dlr)
	}
	r.mo(t, "m2", phone, "2") // Français
	got = r.kannel.to(phone)
	if len(got) != 2 || !strings.Contains(got[1].text, "SMS ne peuvent pas") || got[1].coding != "0" {
		t.Fatalf("after choosing French: got %+v, want the SMS consent in GSM-7", got[len(got)-1])
	}
	c, err := r.a.Costs(context.Background(), "community-safety")
	if err != nil {
		t.Fatal(err)
	}
	want := int64(Count(got[0].text).Parts + Count(got[1].text).Parts)
	if c.Messages != 2 || c.Segments != want {
		t.Errorf("costs: got %d messages %d segments, want 2 and %d", c.Messages, c.Segments, want)
	}
	r.env.AssertNoLeak(t, phone, strings.TrimPrefix(phone, "+"))
}

// A message Kannel delivers twice (its retry after a lost answer) and the
// same message after a restart are answered once: the step's messages are
// sent at most once.
func TestRedeliveryAndRestartSendOnce(t *testing.T) {
	r := newRig(t, nil)
	r.mo(t, "m1", phone, "JOIN SAFETY")
	r.mo(t, "m1", phone, "JOIN SAFETY")
	r.start(t)
	r.mo(t, "m1", phone, "JOIN SAFETY")
	if got := r.kannel.to(phone); len(got) != 1 {
		t.Fatalf("got %d messages, want 1: %+v", len(got), got)
	}
	r.mo(t, "m2", phone, "1")
	r.start(t)
	r.mo(t, "m2", phone, "1")
	r.mo(t, "m1", phone, "JOIN SAFETY") // late and out of order
	if got := r.kannel.to(phone); len(got) != 2 {
		t.Fatalf("got %d messages, want 2: %+v", len(got), got)
	}
	// A new message asking again gets an answer.
	r.mo(t, "m3", phone, "HELP")
	if got := r.kannel.to(phone); len(got) < 3 {
		t.Fatalf("HELP got no answer: %+v", got)
	}
}

// A message replayed after its dialog ended (here by STOP, which leaves
// nothing of the dialog behind) is answered with silence, not with the
// no-session hint in English to a French phone; a new message is answered.
func TestReplayAfterEndIsSilent(t *testing.T) {
	r := newRig(t, nil)
	r.mo(t, "m1", phone, "REJOINDRE SAFETY")
	r.mo(t, "m2", phone, "2") // Français
	r.mo(t, "m3", phone, "ARRET")
	if got := r.kannel.to(phone); len(got) != 2 {
		t.Fatalf("got %d messages, want 2 (no answer to STOP): %+v", len(got), got)
	}
	for _, id := range []string{"m2", "m1", "m3", "m2"} {
		if st := r.mo(t, id, phone, map[string]string{"m1": "REJOINDRE SAFETY", "m2": "2", "m3": "ARRET"}[id]); st != 200 {
			t.Fatalf("replay of %s: status %d", id, st)
		}
	}
	r.start(t) // a restart forgets nothing of what was handled
	r.mo(t, "m2", phone, "2")
	if got := r.kannel.to(phone); len(got) != 2 {
		t.Fatalf("replays after the end: got %d messages, want 2: %+v", len(got), got[2:])
	}
	r.mo(t, "m4", phone, "2")
	if got := r.kannel.to(phone); len(got) != 3 {
		t.Fatalf("a new message after the end got no answer: %+v", got)
	}
}

func TestTemporaryFailuresRetried(t *testing.T) {
	r := newRig(t, nil)
	r.kannel.fail(503, 503)
	if st := r.mo(t, "m1", phone, "JOIN"); st != 200 {
		t.Fatalf("status %d, want 200 after retries", st)
	}
	if got, n := r.kannel.to(phone), r.kannel.count(); len(got) != 1 || n != 3 {
		t.Fatalf("got %d messages in %d requests, want 1 in 3", len(got), n)
	}
}

// Kannel refusing for good: the inbound message is answered 503 so Kannel
// delivers it again, and the retry can send (the mark was released).
func TestPermanentFailureReleases(t *testing.T) {
	r := newRig(t, func(c *Config) { c.MaxAttempts = 2 })
	r.kannel.fail(403)
	if st := r.mo(t, "m1", phone, "JOIN SAFETY"); st != 503 {
		t.Fatalf("status %d, want 503", st)
	}
	if st := r.mo(t, "m1", phone, "JOIN SAFETY"); st != 200 {
		t.Fatalf("retry: status %d, want 200", st)
	}
	if got := r.kannel.to(phone); len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	c, _ := r.a.Costs(context.Background(), "community-safety")
	if c.Messages != 1 {
		t.Errorf("costs count %d messages, want 1 (the refused one refunded)", c.Messages)
	}
}

func TestSegmentCapPauses(t *testing.T) {
	r := newRig(t, func(c *Config) { c.SegmentCap = 3 })
	r.mo(t, "m1", phone, "JOIN SAFETY") // language choice: 2 segments
	r.mo(t, "m2", phone, "1")           // consent: 3 segments, over the cap
	got := r.kannel.to(phone)
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1 (the second held)", len(got))
	}
	c, err := r.a.Costs(context.Background(), "community-safety")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Paused || c.Held != 1 || c.Segments != 2 || c.Cap != 3 {
		t.Errorf("costs: got %+v, want paused, 1 held, 2 segments, cap 3", c)
	}
	if !strings.Contains(r.env.Logs.String(), "SMS sending paused") {
		t.Errorf("no log line says sending is paused")
	}
}

func TestRefusedRequests(t *testing.T) {
	r := newRig(t, nil)
	// No secret: 401, nothing handled.
	req, _ := http.NewRequest("POST", r.srv.URL+"/sms/kannel/inbound?id=m1", strings.NewReader("JOIN"))
	req.Header.Set("X-Kannel-From", phone)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no secret: status %d, want 401", resp.StatusCode)
	}
	// Malformed (no sender): 200 so Kannel does not retry, nothing sent.
	if st := r.mo(t, "m2", "not-a-number", "JOIN"); st != 200 {
		t.Errorf("malformed: status %d, want 200", st)
	}
	if n := r.kannel.count(); n != 0 {
		t.Errorf("Kannel got %d requests, want 0", n)
	}
}

func TestDeliveryReportsCounted(t *testing.T) {
	r := newRig(t, nil)
	for _, st := range []string{"1", "1", "2", "8"} {
		resp, err := http.Get(r.srv.URL + "/sms/kannel/dlr?k=" + secret + "&status=" + st + "&c=community-safety")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	c, _ := r.a.Costs(context.Background(), "community-safety")
	if c.Delivered != 2 || c.Failed != 1 || c.OtherReports != 1 {
		t.Errorf("reports: got %+v, want 2 delivered, 1 failed, 1 other", c)
	}
}

// virtualClock jumps forward by every wait, so pacing is checked by the
// waits it asked for, not by the wall clock.
type virtualClock struct {
	mu    sync.Mutex
	now   time.Time
	total time.Duration
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.total += d
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch, func() {}
}

// Sends are paced to Rate SMS parts a second: at 2 a second with no burst,
// a 2-part and a 3-part message wait 4 × 0.5 s between their parts.
func TestPacedToRate(t *testing.T) {
	clock := &virtualClock{now: time.Unix(1_800_000_000, 0)}
	r := newRig(t, func(c *Config) { c.Rate, c.Burst, c.Clock = 2, 1, clock })
	r.mo(t, "m1", phone, "JOIN SAFETY") // 2 UCS-2 parts
	r.mo(t, "m2", phone, "1")           // the consent: 3 GSM-7 parts
	got := r.kannel.to(phone)
	if len(got) != 2 || Count(got[0].text).Parts != 2 || Count(got[1].text).Parts != 3 {
		t.Fatalf("got %d messages, want 2 of 2 and 3 parts", len(got))
	}
	clock.mu.Lock()
	defer clock.mu.Unlock()
	if clock.total != 2*time.Second {
		t.Errorf("waited %v in all, want 2s (4 parts after the first, 0.5 s each)", clock.total)
	}
}
