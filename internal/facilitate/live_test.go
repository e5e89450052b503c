package facilitate

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/browsertest"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// completeOne adds one completion to the counters through the store, as
// the router does when a respondent finishes.
func (c *core) completeOne(t testing.TB, area, safe string) {
	t.Helper()
	sc := c.catalog.Get("night-safety")
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	key := hex.EncodeToString(b)
	answers := dialogs.Answers{"area": {Options: []string{area}}, "safe_at_night": {Options: []string{safe}}}
	// One change of the counters per completion: started and the answers.
	incr := append([]string{"started"}, results.Increments(sc, answers, results.Week(time.Now()))...)
	if _, err := c.store.Apply(context.Background(), store.Completion{Consultation: sc.ID, Key: key, Incr: incr}); err != nil {
		t.Fatal(err)
	}
}

type sseEvent struct{ name, data string }

// stream reads server-sent events into a channel until the body ends.
func stream(t *testing.T, url string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("events: got %s %q, want 200 text/event-stream", resp.Status, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 64)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatalf("event stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatalf("no event within 10 s")
	}
	return sseEvent{}
}

func summaryOf(t *testing.T, ev sseEvent) liveSummary {
	t.Helper()
	if ev.name != "summary" {
		t.Fatalf("event %q, want summary", ev.name)
	}
	var s liveSummary
	if err := json.Unmarshal([]byte(ev.data), &s); err != nil {
		t.Fatalf("summary %q: %v", ev.data, err)
	}
	return s
}

func newLive(t *testing.T, c *core, authorize func(*http.Request, string) bool) (*Live, *httptest.Server) {
	l := NewLive(LiveConfig{Consult: c.consult, Key: []byte("live-test-key-0123456789abcdef0123"), Authorize: authorize,
		Interval: 20 * time.Millisecond})
	srv := httptest.NewServer(l)
	t.Cleanup(func() {
		l.Close() // streams end, so the server can close
		srv.Close()
	})
	return l, srv
}

func TestLiveAccess(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml"), loadScript(t, "night-safety.yaml", "id: night-safety", "id: other")}, nil, "")
	signedIn := func(r *http.Request, id string) bool {
		ck, err := r.Cookie("facilitator")
		return err == nil && ck.Value == "yes" && id == "night-safety"
	}
	l, srv := newLive(t, c, signedIn)
	link := l.NewViewLink("night-safety", 0)
	exp, mac, _ := strings.Cut(strings.TrimPrefix(link, "/live/night-safety?v="), ".")
	l2 := NewLive(LiveConfig{Consult: c.consult, Key: []byte("another-key-0123456789abcdef012345")})

	tests := []struct {
		name   string
		path   string
		cookie bool
		want   int
	}{
		{"view link", link, false, 200},
		{"view link, events", strings.Replace(link, "?", "/events?", 1), false, 200},
		{"view link, chosen questions", link + "&q=area&lang=en", false, 200},
		{"no link", "/live/night-safety", false, 403},
		{"no link, events", "/live/night-safety/events", false, 403},
		{"link of another consultation", "/live/other?v=" + exp + "." + mac, false, 403},
		{"tampered expiry", "/live/night-safety?v=" + exp + "9." + mac, false, 403},
		{"tampered mac", "/live/night-safety?v=" + exp + "." + strings.Repeat("A", len(mac)), false, 403},
		{"another key", l2.NewViewLink("night-safety", 0), false, 403},
		{"garbage", "/live/night-safety?v=..", false, 403},
		{"expired", viewLinkAt(l, "night-safety", time.Now().Add(-5*time.Hour)), false, 403},
		{"signed-in facilitator", "/live/night-safety", true, 200},
		{"signed in, not for this one", "/live/other", true, 403},
		{"unknown consultation", "/live/nope", true, 403},
		{"script", "/live/live.js", false, 200},
		{"style", "/live/live.css", false, 200},
		{"icon", "/live/icon.svg", false, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+tt.path, nil)
			if tt.cookie {
				req.AddCookie(&http.Cookie{Name: "facilitator", Value: "yes"})
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("GET %s: got %d, want %d", tt.path, resp.StatusCode, tt.want)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP %q: want script-src 'self' and nothing inline", csp)
			}
		})
	}
	if got, want := len(link), len("/live/night-safety?v=")+10+1+22; got != want {
		t.Errorf("view link %q: length %d, want %d", link, got, want)
	}
}

// viewLinkAt signs a link as if made at time at.
func viewLinkAt(l *Live, id string, at time.Time) string {
	now := l.now
	defer func() { l.now = now }()
	l.now = func() time.Time { return at }
	return l.NewViewLink(id, 0)
}

// seen records the release state the live streams last read, so a test
// knows a stream has seen a state without waiting a set time.
type seen struct{ rel, pending atomic.Int64 }

func (s *seen) observe(rel int, pending int64) { s.pending.Store(pending); s.rel.Store(int64(rel)) }

// wait polls until a stream has read release rel with pending.
func (s *seen) wait(t *testing.T, rel int, pending int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.rel.Load() != int64(rel) || s.pending.Load() != pending; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no stream read release %d pending %d within 10 s (last read %d, %d)", rel, pending, s.rel.Load(), s.pending.Load())
		}
	}
}

// newObservedLive is newLive with streams reporting what they read.
func newObservedLive(t *testing.T, c *core) (*Live, *httptest.Server, *seen) {
	sn := &seen{}
	sn.rel.Store(-1)
	l := NewLive(LiveConfig{Consult: c.consult, Key: []byte("live-test-key-0123456789abcdef0123"),
		Interval: 20 * time.Millisecond, observe: sn.observe})
	srv := httptest.NewServer(l)
	t.Cleanup(func() {
		l.Close()
		srv.Close()
	})
	return l, srv, sn
}

// release makes the releases that are due, as each replica's release
// loop does on its tick.
func (c *core) release(t testing.TB) {
	t.Helper()
	if err := c.consult.MakeReleases(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestLiveEventsSuppressed reads the event stream itself: nothing but
// "waiting" (and how many more responses the first release needs) before
// the first release, then the release's audited counts.
func TestLiveEventsSuppressed(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, nil, "")
	l, srv, sn := newObservedLive(t, c)
	ch := stream(t, srv.URL+strings.Replace(l.NewViewLink("night-safety", time.Hour), "?", "/events?", 1)+"&q=area")

	if s := summaryOf(t, next(t, ch)); s.Ready || s.K != 3 || s.Questions != nil || s.Completed != nil || s.Pending == nil || *s.Pending != 3 {
		t.Fatalf("no responses: got %+v, want only ready=false, k=3, pending 3", s)
	}
	for i := 1; i <= 2; i++ {
		c.completeOne(t, "north", "1")
		c.release(t)
		sn.wait(t, 0, int64(3-i))
		if s := summaryOf(t, next(t, ch)); s.Ready || s.Questions != nil || s.Completed != nil || *s.Pending != int64(3-i) {
			t.Fatalf("%d responses: got %+v, want waiting with pending %d", i, s, 3-i)
		}
	}
	c.completeOne(t, "north", "2")
	c.release(t)
	ev := next(t, ch)
	if s := summaryOf(t, ev); !s.Ready && s.Completed == nil && *s.Pending == 0 {
		// The stream read the state between the completion and the
		// release loop's tick: still nothing shown.
		ev = next(t, ch)
	}
	s := summaryOf(t, ev)
	if !s.Ready || s.Release != 1 || s.Completed == nil || *s.Completed != 3 || len(s.Questions) != 1 || s.Questions[0].ID != "area" {
		t.Fatalf("3 responses: got %s, want release 1 with 3 completed and only question area", ev.data)
	}
	if got, want := options(s), map[string]string{"North": "3", "South": "0"}; !equalMaps(got, want) {
		t.Errorf("3 responses: options %v, want %v", got, want)
	}
}

// TestLiveUpdatesEveryK: once shown, the counts move on only with a new
// release, after k more responses, so no change on screen is one
// person's answers; a second screen opened in between shows the same
// frame, byte for byte.
func TestLiveUpdatesEveryK(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, nil, "")
	l, srv, sn := newObservedLive(t, c)
	events := srv.URL + strings.Replace(l.NewViewLink("night-safety", time.Hour), "?", "/events?", 1) + "&q=area"
	ch := stream(t, events)
	summaryOf(t, next(t, ch)) // waiting

	// Each completion is one person, and the release loop ticks after
	// each; the counts may change only at completed = 3 and 6 (k = 3).
	answers := []string{"north", "north", "north", "north", "north", "south", "north", "south"}
	var shown []results.Question
	shownRel := 0
	// until reads frames until one shows release rel with pending; every
	// frame on the way (a stream may read the state between a completion
	// and the release loop's tick) shows counts only of a release.
	until := func(ch <-chan sseEvent, rel int, pending int64) sseEvent {
		t.Helper()
		for {
			ev := next(t, ch)
			s := summaryOf(t, ev)
			if s.Release > 0 && (s.Completed == nil || *s.Completed != int64(s.Release*3)) {
				t.Fatalf("frame %s: counts not those of release %d", ev.data, s.Release)
			}
			if s.Release == shownRel && shownRel > 0 && !sameQuestions(s.Questions, shown) {
				t.Fatalf("frame %s: the counts moved without a release", ev.data)
			}
			if s.Release == rel && s.Pending != nil && *s.Pending == pending {
				return ev
			}
			if s.Release > rel {
				t.Fatalf("frame %s: want release %d", ev.data, rel)
			}
		}
	}
	var last sseEvent
	for i, area := range answers {
		n := int64(i + 1)
		c.completeOne(t, area, "1")
		c.release(t)
		rel, pending := int(n/3), 3-n%3
		sn.wait(t, rel, pending)
		last = until(ch, rel, pending)
		s := summaryOf(t, last)
		if n%3 != 0 {
			continue
		}
		if !s.Ready || s.Completed == nil || *s.Completed != n {
			t.Fatalf("after %d responses: got frame %s, want one at %d completed", n, last.data, n)
		}
		want := map[string]string{"North": "3", "South": "0"}
		if n == 6 {
			// South's 1 is hidden, and North's 5 with it: the total of 6
			// would give South away.
			want = map[string]string{"North": "hidden", "South": "hidden"}
		}
		if got := options(s); !equalMaps(got, want) {
			t.Errorf("%d responses: options %v, want %v", n, got, want)
		}
		shown, shownRel = s.Questions, rel
	}

	// A second screen shows the same frame, byte for byte, and the next
	// release of either is release 3, at 9.
	second := stream(t, events)
	if ev := next(t, second); ev.data != last.data {
		t.Fatalf("second screen: got %s, want the frame on the first %s", ev.data, last.data)
	}
	c.completeOne(t, "north", "1")
	c.release(t)
	for _, ch := range []<-chan sseEvent{ch, second} {
		ev := until(ch, 3, 3)
		if s := summaryOf(t, ev); s.Completed == nil || *s.Completed != 9 {
			t.Fatalf("9 responses: got %s, want release 3 at 9", ev.data)
		}
	}
}

func sameQuestions(a, b []results.Question) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// options maps the option labels of the first question to their counts.
func options(s liveSummary) map[string]string {
	got := map[string]string{}
	for _, o := range s.Questions[0].Options {
		got[o.Label] = countString(o.Count)
	}
	return got
}

func countString(n *int64) string {
	if n == nil {
		return "hidden"
	}
	return strconv.FormatInt(*n, 10)
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestLiveViewLinkExpires(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, nil, "")
	l, srv := newLive(t, c, nil)
	ch := stream(t, srv.URL+strings.Replace(l.NewViewLink("night-safety", 1500*time.Millisecond), "?", "/events?", 1))
	summaryOf(t, next(t, ch))
	if ev := next(t, ch); ev.name != "expired" {
		t.Errorf("got event %q, want expired", ev.name)
	}
	if _, ok := <-ch; ok {
		t.Errorf("stream still open after expired")
	}
}

// TestLiveRoomInBrowser: the page in headless Chromium shows nothing below
// k and updates by itself after every k responses.
func TestLiveRoomInBrowser(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, nil, "")
	l, srv, sn := newObservedLive(t, c)
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+l.NewViewLink("night-safety", 0)+"&q=area"))
	browsertest.WaitText(t, ctx, "Waiting for at least 3 responses")
	browsertest.WaitText(t, ctx, "at least 3 more responses apart")
	browsertest.WaitText(t, ctx, "Next update after 3 more responses.")
	browsertest.WaitFor(t, ctx, "the stream", `document.body.dataset.state === "waiting"`)
	browsertest.Eval[bool](t, ctx, `(window.liveMark = 42, true)`)

	// Before the first release the page shows no count, only how many
	// more responses it needs.
	for i := 1; i <= 2; i++ {
		c.completeOne(t, "north", "1")
		c.release(t)
		sn.wait(t, 0, int64(3-i))
	}
	browsertest.WaitText(t, ctx, "Next update after 1 more responses.")
	if txt := browsertest.Eval[string](t, ctx, `document.body.innerText`); strings.Contains(txt, "North") ||
		strings.Contains(txt, "2 responses") || !strings.Contains(txt, "Waiting for at least 3 responses") {
		t.Errorf("below k the page shows:\n%s", txt)
	}

	c.completeOne(t, "north", "2")
	c.release(t)
	browsertest.WaitText(t, ctx, "3 responses · Release 1")
	browsertest.WaitText(t, ctx, "Where do you live?")
	row := func(opt string) string {
		return browsertest.Eval[string](t, ctx, `(document.querySelector('[data-option="`+opt+`"] .count')||{}).textContent||""`)
	}
	if got := row("north"); got != "3" {
		t.Errorf("North: got %q, want 3", got)
	}
	if got := row("south"); got != "0" {
		t.Errorf("South: got %q, want 0", got)
	}
	barWidth := func(opt string) int {
		return browsertest.Eval[int](t, ctx, `document.querySelector('[data-option="`+opt+`"] .bar').offsetWidth`)
	}
	trackWidth := browsertest.Eval[int](t, ctx, `document.querySelector('[data-option="north"] .track').clientWidth`)
	if n, s := barWidth("north"), barWidth("south"); n != trackWidth || s != 0 {
		t.Errorf("bars: North %d px, South %d px, want the full track (%d px) and 0", n, s, trackWidth)
	}
	if strings.Contains(browsertest.Eval[string](t, ctx, `document.body.innerText`), "How safe do you feel") {
		t.Errorf("a question not chosen with ?q= is shown")
	}

	// The next update comes after k more: 3 more people, one from the
	// south; the page never showed 4 or 5.
	for _, area := range []string{"north", "north", "south"} {
		c.completeOne(t, area, "3")
	}
	browsertest.WaitText(t, ctx, "Next update shortly.")
	if txt := browsertest.Eval[string](t, ctx, `document.body.innerText`); strings.Contains(txt, "6 responses") {
		t.Errorf("counts moved before the release:\n%s", txt)
	}
	c.release(t)
	browsertest.WaitText(t, ctx, "6 responses · Release 2")
	if got := row("north"); got != "hidden" {
		t.Errorf("North after a lone South: got %q, want hidden", got)
	}
	if !browsertest.Eval[bool](t, ctx, `window.liveMark === 42`) {
		t.Errorf("the page was reloaded; want it updated in place")
	}
	browsertest.NoErrors(t, ctx)
}

func TestLiveCloseEndsStreams(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, nil, "")
	l, srv := newLive(t, c, nil)
	url := srv.URL + strings.Replace(l.NewViewLink("night-safety", 0), "?", "/events?", 1)
	ch := stream(t, url)
	summaryOf(t, next(t, ch))
	l.Close()
	select {
	case _, ok := <-ch:
		if ok {
			t.Errorf("got an event after Close, want the stream ended")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("stream still open 10 s after Close")
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("events after Close: got %d, want 503", resp.StatusCode)
	}
}

// FuzzViewToken: whatever a visitor puts in ?v=, the check never panics
// and accepts only what NewViewLink signed.
func FuzzViewToken(f *testing.F) {
	l := NewLive(LiveConfig{Key: []byte("fuzz-key-0123456789abcdef0123456789")})
	good := strings.TrimPrefix(l.NewViewLink("night-safety", 0), "/live/night-safety?v=")
	f.Add("night-safety", good)
	f.Add("night-safety", "")
	f.Add("night-safety", "1.")
	f.Add("night-safety", "0"+good)
	f.Add("night-safety", "+"+good)
	f.Add("other", good)
	f.Add("night-safety", "99999999999.AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, id, v string) {
		_, ok := l.viewExpiry(id, v)
		if ok && (id != "night-safety" || v != good) {
			t.Errorf("viewExpiry(%q, %q) accepted a token it did not sign", id, v)
		}
	})
}

// TestLiveSlotsPerLink: one view link holds at most MaxPerLink event
// streams, so whoever the link reaches cannot take every slot; another
// link still gets one, and a closed stream gives its slot back.
func TestLiveSlotsPerLink(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, nil, "")
	l, srv := newLive(t, c, nil)
	events := func(link string) string { return srv.URL + strings.Replace(link, "?", "/events?", 1) }
	link := events(l.NewViewLink("night-safety", time.Hour))
	for range DefaultMaxPerLink {
		summaryOf(t, next(t, stream(t, link)))
	}
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(link); code != http.StatusTooManyRequests {
		t.Errorf("stream %d on one link: got %d, want 429", DefaultMaxPerLink+1, code)
	}
	other := events(l.NewViewLink("night-safety", 2*time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, other, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("another link: got %d, want 200", resp.StatusCode)
	}
	cancel()
	resp.Body.Close()
}

// TestLiveRoomInBrowserDP: a DP consultation's live view shows its
// release's noisy counts as "≈ N" and says noise is added.
func TestLiveRoomInBrowserDP(t *testing.T) {
	sc := loadScript(t, "night-safety.yaml")
	eps, err := privacy.ParseEpsilon("1")
	if err != nil {
		t.Fatal(err)
	}
	sc.Publish, sc.DP = true, &dialogs.DP{Epsilon: eps, Releases: 5, Every: time.Hour}
	c := newCore(t, []*dialogs.Script{sc}, nil, "")
	c.release(t) // the calendar starts; its first release is an hour on
	l, srv, _ := newObservedLive(t, c)
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+l.NewViewLink("night-safety", 0)+"&q=area"))
	browsertest.WaitText(t, ctx, "Random noise is added to every count")
	for range 3 {
		c.completeOne(t, "north", "1")
	}
	c.clock.add(time.Hour)
	c.release(t)
	browsertest.WaitText(t, ctx, "Release 1")
	browsertest.WaitFor(t, ctx, "noisy counts", `Array.from(document.querySelectorAll('[data-option] .count')).length === 2 &&
		Array.from(document.querySelectorAll('[data-option] .count')).every(e => /^≈ \d+$/.test(e.textContent)) &&
		/^≈ \d+ responses · Release 1$/.test(document.getElementById('total').textContent)`)
	browsertest.NoErrors(t, ctx)
}

// TestLiveEventsDP reads a DP consultation's event stream: no count of
// the responses still needed (it would follow the true count), the time
// of the next release on its calendar instead; completions change no
// frame; the release an hour on shows, with the next time.
func TestLiveEventsDP(t *testing.T) {
	sc := loadScript(t, "night-safety.yaml")
	eps, err := privacy.ParseEpsilon("1")
	if err != nil {
		t.Fatal(err)
	}
	sc.Publish, sc.DP = true, &dialogs.DP{Epsilon: eps, Releases: 3, Every: time.Hour}
	c := newCore(t, []*dialogs.Script{sc}, nil, "")
	start := c.clock.Now().UTC().Truncate(time.Minute)
	l, srv, sn := newObservedLive(t, c)
	ch := stream(t, srv.URL+strings.Replace(l.NewViewLink("night-safety", 3*time.Hour), "?", "/events?", 1)+"&q=area")
	first := next(t, ch)
	s := summaryOf(t, first)
	if s.Ready || s.Pending != nil || s.NextAt != start.Add(time.Hour).Format(time.RFC3339) || s.Completed != nil {
		t.Fatalf("before the first release: %s", first.data)
	}
	for range 4 {
		c.completeOne(t, "north", "1")
		c.release(t)
	}
	sn.wait(t, 0, 0)
	c.clock.add(time.Hour)
	c.release(t)
	for {
		ev := next(t, ch)
		s := summaryOf(t, ev)
		if s.Release == 0 {
			if ev.data != first.data {
				t.Fatalf("a frame changed with completions only:\n%s\n%s", first.data, ev.data)
			}
			continue
		}
		if !s.Ready || s.Release != 1 || s.Mode != "dp" || s.Pending != nil || s.NextAt != start.Add(2*time.Hour).Format(time.RFC3339) {
			t.Fatalf("release 1: %s", ev.data)
		}
		break
	}
}

// TestLiveSameFrameOnReplicas: two replicas (each its own consult and
// release services, caches and live view) on one Redis send the same
// frames, byte for byte, as releases are made by either.
func TestLiveSameFrameOnReplicas(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, nil, "")
	other := &consult.Service{Store: c.store, Catalog: c.catalog, K: 5, Now: c.clock.Now, Releases: &release.Service{Interval: -1}}
	key := []byte("live-test-key-0123456789abcdef0123")
	var urls []string
	for _, svc := range []*consult.Service{c.consult, other} {
		l := NewLive(LiveConfig{Consult: svc, Key: key, Interval: 20 * time.Millisecond})
		srv := httptest.NewServer(l)
		t.Cleanup(func() { l.Close(); srv.Close() })
		urls = append(urls, srv.URL+strings.Replace(l.NewViewLink("night-safety", time.Hour), "?", "/events?", 1)+"&q=area")
	}
	a, b := stream(t, urls[0]), stream(t, urls[1])
	// until reads frames until one of release rel with pending.
	until := func(ch <-chan sseEvent, rel int, pending int64) string {
		t.Helper()
		for {
			ev := next(t, ch)
			if s := summaryOf(t, ev); s.Release == rel && s.Pending != nil && *s.Pending == pending {
				return ev.data
			}
		}
	}
	for round, maker := range []*consult.Service{c.consult, other, c.consult} {
		for range 3 {
			c.completeOne(t, "north", "1")
		}
		if err := maker.MakeReleases(context.Background()); err != nil {
			t.Fatal(err)
		}
		fa, fb := until(a, round+1, 3), until(b, round+1, 3)
		if fa != fb {
			t.Fatalf("release %d: the replicas send different frames:\n%s\n%s", round+1, fa, fb)
		}
	}
}
