package sms

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/invite"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// The end-to-end test runs the real gateway: Debian's bearerbox and smsbox
// on adapters/sms/kannel.conf (the README's example, ports and paths
// changed), and kannel-extras' fakesmsc standing in for the phone network.
// 20 phones answer the bundled consultation in English, French and Arabic
// (UCS-2) by typing numbers, words and keywords; two more send STOP in the
// middle; Baraza restarts half-way. A proxy between smsbox and Baraza repeats deliveries (answering
// 500 after Baraza handled one, so Kannel retries it with the same id; or
// sending one twice at once) and replays old ones late, out of order.

const (
	kannelSendUser = "baraza"
	kannelSendPass = "change-me-sendsms"
	kannelSecret   = "change-me-inbound-secret"
	shortCode      = "5555"
)

func TestKannelEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kannel")
	}
	bins := kannelBinaries(t)
	env := testenv.New(t)
	script := env.Catalog.Get("community-safety")
	dir := t.TempDir()
	// An invite-only consultation beside it, with printed codes: one phone
	// sends JOIN and its code, one the code alone as typed from a card.
	night := *script
	night.ID, night.Access = "night-2026", dialogs.AccessInvite
	env.Catalog.Replace(append(env.Catalog.All(), &night))
	codes, err := facilitate.MakeInvites(context.Background(), env.Store, env.Keys, &night, 2)
	if err != nil {
		t.Fatal(err)
	}

	// Baraza behind the fault-injecting proxy; Kannel posts to the proxy.
	px := &proxy{pending: map[string][]*http.Request{}}
	proxySrv := httptest.NewServer(px)
	t.Cleanup(proxySrv.Close)
	ports := freePorts(t, 4)
	conf := kannelConf(t, dir, ports, strings.TrimPrefix(proxySrv.URL, "http://"))

	bb := startBox(t, dir, "bearerbox", bins.bearerbox, conf)
	waitPort(t, ports[1], bb)
	sb := startBox(t, dir, "smsbox", bins.smsbox, conf)
	waitPort(t, ports[2], sb)
	air := startNetwork(t, dir, bins.fakesmsc, ports[3])

	cfg := Config{
		Kannel: &Kannel{URL: fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", ports[2]), User: kannelSendUser,
			Password: kannelSendPass, From: shortCode,
			DLRURL: proxySrv.URL + "/sms/kannel/dlr?k=" + kannelSecret + "&status=%d&c="},
		Redis: env.RDB, Prefix: env.Redis.Prefix + "baraza:", Secret: kannelSecret,
		Rate: 200, Burst: 20, Backoff: 50 * time.Millisecond,
		Keywords:      map[string]string{"SAFETY": "community-safety", "SECURITE": "community-safety", "امان": "community-safety", "NIGHT": "night-2026"},
		Consultations: env.Catalog.IDs,
		CodesInStart:  true,
		InviteOnly:    func(id string) bool { s := env.Catalog.Get(id); return s != nil && s.Access == dialogs.AccessInvite },
		Logger:        env.Logger,
	}
	// start runs a Baraza (adapter and router) as a new process would:
	// nothing in memory carries over, only Redis. It may run off the test
	// goroutine (the restart), so it reports errors instead of failing.
	var restartErr error
	start := func() (*Adapter, error) {
		a, err := New(cfg)
		if err != nil {
			return nil, err
		}
		env.Restart()
		ctx, cancel := context.WithCancel(context.Background())
		runDone := make(chan error, 1)
		go func() { runDone <- a.Run(ctx, env.Router) }()
		t.Cleanup(func() {
			cancel()
			if err := <-runDone; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
			a.mu.Lock()
			running := a.h != nil
			a.mu.Unlock()
			if running {
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("the adapter did not start")
			}
		}
		px.mu0.Lock()
		px.stop = cancel
		px.mu0.Unlock()
		return a, nil
	}
	a, err := start()
	if err != nil {
		t.Fatal(err)
	}
	px.setNext(a.Handler())
	// Half-way through, Baraza restarts: the old process finishes what it
	// has in flight, new deliveries go to the new one, and Kannel's
	// retries of the old one's failures land there too.
	px.mu0.Lock()
	px.restartAt, px.restart = 180, func() {
		px.mu0.Lock()
		old := px.stop
		px.mu0.Unlock()
		b, err := start()
		if err != nil {
			px.mu0.Lock()
			restartErr = err
			px.mu0.Unlock()
			return
		}
		px.setNext(b.Handler())
		old()
	}
	px.mu0.Unlock()

	// 20 phones complete, 2 stop in the middle, 2 more complete the
	// invite-only consultation: "JOIN NIGHT K7QM4-XPD9R" in English, the
	// code alone, lower case with a space for its dash, in Arabic.
	var phones []*handset
	langs := []string{"en", "fr", "ar"}
	for i := range 24 {
		p := &handset{number: fmt.Sprintf("+2547001000%02d", i), lang: langs[i%3], script: script,
			rng: rand.New(rand.NewPCG(uint64(i), 16)), given: dialogs.Answers{}, air: air, keys: env.Keys, store: env.Store}
		p.stopAfter = -1
		if i == 20 || i == 21 {
			p.stopAfter = 3
		}
		switch i {
		case 22:
			p.lang, p.script, p.join = "en", &night, "JOIN NIGHT "+invite.Format(codes[0])
		case 23:
			p.lang, p.script, p.join = "ar", &night, strings.ToLower(codes[1][:5]+" "+codes[1][5:])
		}
		p.back = i%5 == 1
		p.more = i%4 == 2
		phones = append(phones, p)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(phones))
	for _, p := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.play(); err != nil {
				errs <- fmt.Errorf("%s: %w", p.lang, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.Logf("smsbox: %s", tail(filepath.Join(dir, "smsbox.console")))
		t.FailNow()
	}

	// Let Kannel's retries and the late replays all land, then nothing more
	// may reach any phone.
	testenv.WaitFor(t, 3*time.Minute, "Kannel's retries and the replays", px.settled)
	want := 0
	for _, p := range phones {
		want += p.replies
	}
	cost, err := a.Costs(context.Background(), "community-safety")
	if err != nil {
		t.Fatal(err)
	}
	none, _ := a.Costs(context.Background(), "")
	nightCost, _ := a.Costs(context.Background(), "night-2026")
	handed := int(cost.Messages + none.Messages + nightCost.Messages)
	testenv.WaitFor(t, time.Minute, "every message at the phones", func() bool { return air.total() >= handed })
	// Every repeat, even one replayed after its dialog ended (when nothing
	// per person is left to say which language the phone speaks), is
	// answered with silence: each phone got exactly one message per message
	// it sent, and no more was handed to Kannel.
	for _, p := range phones {
		if got := len(air.inbox(p.number)); got != p.replies {
			var texts []string
			for _, m := range air.inbox(p.number)[min(p.replies, got):] {
				texts = append(texts, clip(m.text))
			}
			t.Errorf("%s %s: got %d messages, want %d; extra: %q", p.lang, p.number[len(p.number)-2:], got, p.replies, texts)
		}
	}
	if handed != want {
		t.Errorf("messages handed to Kannel: got %d, want %d (one per message sent by a phone)", handed, want)
	}
	if got := air.total(); got != want {
		t.Errorf("messages at the phones: got %d, want %d", got, want)
	}
	px.mu0.Lock()
	if restartErr != nil {
		t.Errorf("restart: %v", restartErr)
	}
	px.mu0.Unlock()
	if n := px.n.Load(); n < 180 {
		t.Errorf("Baraza was not restarted: %d deliveries, restart after 180", n)
	}
	dup, retried, replayed := px.counts()
	t.Logf("deliveries: %d repeated at once, %d retried by Kannel after a 500, %d replayed late", dup, retried, replayed)
	if dup == 0 || retried == 0 || replayed == 0 {
		t.Errorf("the proxy did not exercise every kind of repeat: %d at once, %d retried, %d late", dup, retried, replayed)
	}

	// Exact counts.
	wantCounts := map[string]map[string]int64{script.ID: {}, night.ID: {}}
	for _, p := range phones {
		want := wantCounts[p.script.ID]
		if p.stopAfter >= 0 {
			want["started"]++
			want["quit"]++
			continue
		}
		for _, f := range append(results.Increments(p.script, p.given, results.Week(time.Now())), "started") {
			want[f]++
		}
	}
	for id, want := range wantCounts {
		testenv.AssertCounters(t, env.Counters(t, id), want)
	}

	// A used code and a made-up one open nothing: each gets one polite
	// answer, not the language choice, and nothing is counted.
	for i, join := range []string{"JOIN " + invite.Format(codes[0]), "JOIN 23456-789AB"} {
		p := &handset{number: fmt.Sprintf("+25470020000%d", i), lang: "en", air: air}
		msg, err := p.send(join, false)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(msg, "1. English") || msg == ui("en", "no_session") {
			t.Errorf("%s: got %q, want a refusal", join, clip(msg))
		}
		t.Logf("%s: %q", join, clip(msg))
		phones = append(phones, p)
	}
	testenv.AssertCounters(t, env.Counters(t, night.ID), wantCounts[night.ID])

	// Segments: each message took the parts the GSM-7/UCS-2 rules say, in
	// the encoding they say, and the costs add up to what arrived.
	parts, ucs := 0, 0
	for _, p := range phones {
		for _, m := range air.inbox(p.number) {
			c := Count(m.text)
			if c.Parts != m.parts || (c.Encoding == UCS2) != m.ucs2 {
				t.Errorf("%s got %q in %d parts (UCS-2 %v), want %d %v", p.lang, clip(m.text), m.parts, m.ucs2, c.Parts, c.Encoding)
			}
			parts += m.parts
			if m.ucs2 {
				ucs++
			}
		}
	}
	none, _ = a.Costs(context.Background(), "")
	if got := cost.Segments + none.Segments + nightCost.Segments; got != int64(parts) {
		t.Errorf("segments counted: got %d, want %d (the parts that arrived)", got, parts)
	}
	if ucs == 0 || ucs == air.total() {
		t.Errorf("%d of %d messages in UCS-2: want Arabic in UCS-2 and the rest in GSM-7", ucs, air.total())
	}
	t.Logf("%d messages, %d segments, %d in UCS-2", air.total(), parts, ucs)

	// Delivery reports: fakesmsc reports each message it got as delivered;
	// Baraza keeps only their count per consultation.
	var reports Cost
	testenv.WaitFor(t, time.Minute, "delivery reports", func() bool {
		reports, _ = a.Costs(context.Background(), "community-safety")
		return reports.Delivered >= reports.Messages
	})
	if reports.Delivered > reports.Segments || reports.Failed != 0 {
		t.Errorf("delivery reports: %d delivered, %d failed, for %d messages of %d segments", reports.Delivered, reports.Failed, reports.Messages, reports.Segments)
	}
	t.Logf("delivery reports: %d delivered for %d messages (%d segments)", reports.Delivered, reports.Messages, reports.Segments)

	// No phone number in Redis, in Baraza's logs, or in Kannel's own logs
	// as the example configuration sets them.
	var needles []string
	for _, p := range phones {
		needles = append(needles, p.number, strings.TrimPrefix(p.number, "+"))
	}
	for _, p := range phones {
		needles = append(needles, p.planted...)
	}
	for _, c := range codes {
		needles = append(needles, c, invite.Format(c)) // the codes are kept as keyed hashes only
	}
	env.AssertNoLeak(t, needles...)
	for _, f := range []string{"bearerbox.log", "smsbox.log", "bearerbox.console", "smsbox.console"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		for _, n := range needles[:2*len(phones)] {
			if bytes.Contains(b, []byte(strings.TrimPrefix(n, "+"))) {
				t.Errorf("Kannel's %s holds a phone number", f)
				break
			}
		}
	}
}

// handset is one simulated person with a basic phone.
type handset struct {
	number, lang string
	script       *dialogs.Script
	rng          *rand.Rand
	given        dialogs.Answers
	air          *network
	stopAfter    int  // questions answered before STOP, -1: never
	back         bool // go back once after the first question
	more         bool // ask for MORE at the consent
	replies      int  // SMS this phone must get
	keys         *privacy.Keys
	store        *store.Store
	planted      []string
	join         string // the first message, if not JOIN and the keyword
}

// send types one SMS and, unless it is STOP, waits for the answer.
func (p *handset) send(text string, arabic bool) (string, error) {
	seen := len(p.air.inbox(p.number))
	p.air.mo(p.number, text, arabic)
	if p.isStop(text) {
		return "", nil
	}
	p.replies++
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if in := p.air.inbox(p.number); len(in) > seen {
			return in[seen].text, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no answer to %q", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *handset) isStop(text string) bool { return text == "STOP" || text == "توقف" }

func (p *handset) play() error {
	join := map[string]string{"en": "JOIN SAFETY", "fr": "rejoindre securite", "ar": "انضم امان"}[p.lang]
	if p.join != "" {
		join = p.join
	}
	msg, err := p.send(join, p.lang == "ar" && p.join == "")
	if err != nil {
		return err
	}
	if !strings.Contains(msg, "1. English") {
		return fmt.Errorf("JOIN: got %q, want the language choice", clip(msg))
	}
	pick := map[string]string{"en": "1", "fr": "Français", "ar": "3"}[p.lang]
	if msg, err = p.send(pick, false); err != nil {
		return err
	}
	if !strings.Contains(msg, foldAll(ui(p.lang, "consent"))) {
		return fmt.Errorf("language: got %q, want the SMS consent", clip(msg))
	}
	if p.more {
		// The consent is short; MORE sends the intro with it, in one SMS.
		more := map[string]string{"en": "more", "fr": "PLUS", "ar": "المزيد"}[p.lang]
		if msg, err = p.send(more, p.lang == "ar"); err != nil {
			return err
		}
		if intro := foldAll(p.script.Text(p.script.Intro, p.lang)); !strings.Contains(msg, intro) || !strings.Contains(msg, foldAll(ui(p.lang, "consent"))) {
			return fmt.Errorf("%s: got %q, want the intro and the consent", more, clip(msg))
		}
	}
	if msg, err = p.send("1", false); err != nil {
		return err
	}
	answered, wentBack := 0, false
	for steps := 0; steps < 60; steps++ {
		if strings.Contains(msg, foldAll(p.script.Text(p.script.Outro, p.lang))) {
			if p.stopAfter >= 0 {
				return fmt.Errorf("reached the end instead of stopping")
			}
			return nil
		}
		q := p.question(msg)
		if q == nil {
			return fmt.Errorf("cannot tell what %q asks", clip(msg))
		}
		if answered == p.stopAfter {
			stop := "STOP"
			if p.lang == "ar" {
				stop = "توقف"
			}
			if _, err := p.send(stop, p.lang == "ar"); err != nil {
				return err
			}
			// No answer comes to STOP (an answer would be one more trace on
			// the phone): wait until the session is gone before typing on.
			if err := p.waitGone(); err != nil {
				return err
			}
			// The session is gone: anything now is answered "send JOIN".
			after, err := p.send("1", false)
			if err != nil {
				return err
			}
			if after != foldAll(ui(p.lang, "no_session")) && after != ui("en", "no_session") {
				return fmt.Errorf("after STOP: got %q, want no session", clip(after))
			}
			return nil
		}
		if p.back && answered == 1 && !wentBack {
			wentBack = true
			back := map[string]string{"en": "back", "fr": "RETOUR", "ar": "رجوع"}[p.lang]
			if msg, err = p.send(back, p.lang == "ar"); err != nil {
				return err
			}
			answered--
			continue
		}
		text, arabic := p.answer(q)
		if msg, err = p.send(text, arabic); err != nil {
			return err
		}
		answered++
	}
	return fmt.Errorf("no end after 60 messages")
}

func (p *handset) waitGone() error {
	pid := p.keys.Respondent("sms", p.number)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		data, _, _, err := p.store.LoadSession(context.Background(), pid, "")
		if err != nil {
			return err
		}
		if data == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("session still there after STOP")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// question finds the question the message asks (its text opens it).
func (p *handset) question(msg string) *dialogs.Question {
	var best *dialogs.Question
	for i := range p.script.Questions {
		q := &p.script.Questions[i]
		qt := p.script.Text(q.Text, p.lang)
		if qt != "" && (strings.HasPrefix(msg, qt) || strings.HasPrefix(msg, foldAll(qt))) &&
			(best == nil || len(qt) > len(p.script.Text(best.Text, p.lang))) {
			best = q
		}
	}
	return best
}

// answer picks an answer the way people type it: a number, sometimes the
// option's words (English; French without accents) or Arabic-Indic digits, several numbers for a
// multi-select, SKIP or a comment with a phone number in it.
func (p *handset) answer(q *dialogs.Question) (string, bool) {
	switch q.Type {
	case dialogs.TypeChoice, dialogs.TypeScale:
		i := p.rng.IntN(len(q.Options))
		p.given[q.ID] = dialogs.Answer{Options: []string{q.Options[i].ID}}
		switch {
		case p.lang == "en" && q.Type == dialogs.TypeChoice && p.rng.IntN(3) == 0:
			return strings.ToLower(p.script.Text(q.Options[i].Label, "en")), false
		case p.lang == "fr" && q.Type == dialogs.TypeChoice && p.rng.IntN(3) == 0:
			// As the GSM-7 SMS showed it: without accents.
			return foldAll(p.script.Text(q.Options[i].Label, "fr")), false
		case p.lang == "ar" && p.rng.IntN(2) == 0:
			return string(rune('٠' + i + 1)), true
		}
		return strconv.Itoa(i + 1), false
	case dialogs.TypeMulti:
		var nums []string
		var ids []string
		for i, o := range q.Options {
			if p.rng.IntN(3) == 0 {
				nums, ids = append(nums, strconv.Itoa(i+1)), append(ids, o.ID)
			}
		}
		if len(nums) == 0 {
			nums, ids = []string{"1"}, []string{q.Options[0].ID}
		}
		p.given[q.ID] = dialogs.Answer{Options: ids}
		return strings.Join(nums, " "), false
	case dialogs.TypeText:
		if p.rng.IntN(2) == 0 {
			p.given[q.ID] = dialogs.Answer{Skipped: true}
			if p.lang == "ar" {
				return "تخطي", true
			}
			return "SKIP", false
		}
		n := p.rng.IntN(900) + 100
		planted := fmt.Sprintf("0722 %d 456", n)
		p.planted = append(p.planted, planted)
		text := "the lights on the market road are out, call me " + planted
		p.given[q.ID] = dialogs.Answer{Text: text}
		return text, false
	}
	return "1", false
}

// foldAll applies the GSM-7 folding to every character that has one,
// whatever the rest: what a GSM-7 message shows of a script's French.
func foldAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		if f, ok := fold[r]; ok {
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
	}
	if out := b.String(); IsGSM7(out) {
		return out
	}
	return s
}

func clip(s string) string {
	if len(s) > 90 {
		return s[:90] + "…"
	}
	return s
}

// proxy stands between smsbox and Baraza and repeats deliveries.
type proxy struct {
	mu0       sync.Mutex
	next0     http.Handler
	n         atomic.Int64
	restartAt int64
	restart   func()
	restarted sync.Once
	stop      context.CancelFunc

	mu       sync.Mutex
	pending  map[string][]*http.Request // phone -> deliveries to replay after its next one
	failed   map[string]bool            // ids answered 500, awaiting Kannel's retry
	dup      int
	retried  int
	replayed int
	inflight int
}

func (px *proxy) setNext(h http.Handler) {
	px.mu0.Lock()
	defer px.mu0.Unlock()
	px.next0 = h
}

func (px *proxy) next() http.Handler {
	px.mu0.Lock()
	defer px.mu0.Unlock()
	return px.next0
}

func (px *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	px.mu0.Lock()
	at, restart := px.restartAt, px.restart
	px.mu0.Unlock()
	if at > 0 && px.n.Load() >= at {
		px.restarted.Do(restart)
	}
	if r.Method != http.MethodPost {
		px.next().ServeHTTP(w, r) // delivery reports
		return
	}
	body, _ := io.ReadAll(r.Body)
	id := r.URL.Query().Get("id")
	from := r.Header.Get("X-Kannel-From")
	clone := func() *http.Request {
		c := r.Clone(context.Background())
		c.Body = io.NopCloser(bytes.NewReader(body))
		return c
	}
	forward := func(req *http.Request) int {
		rec := httptest.NewRecorder()
		px.next().ServeHTTP(rec, req)
		return rec.Code
	}
	px.mu.Lock()
	px.inflight++
	retry := px.failed[id]
	if retry {
		delete(px.failed, id)
		px.retried++
	}
	late := px.pending[from]
	delete(px.pending, from)
	px.mu.Unlock()
	defer func() {
		px.mu.Lock()
		px.inflight--
		px.mu.Unlock()
	}()

	n := px.n.Add(1)
	var code int
	switch {
	case !retry && n%7 == 3:
		// Handled, but the answer is lost: Kannel delivers it again.
		forward(clone())
		px.mu.Lock()
		if px.failed == nil {
			px.failed = map[string]bool{}
		}
		px.failed[id] = true
		px.mu.Unlock()
		code = http.StatusInternalServerError
	case n%7 == 5:
		// Delivered twice at once.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); forward(clone()) }()
		code = forward(clone())
		wg.Wait()
		px.mu.Lock()
		px.dup++
		px.mu.Unlock()
	default:
		code = forward(clone())
		if n%5 == 2 {
			// Delivered again later, after this phone's next message.
			px.mu.Lock()
			px.pending[from] = append(px.pending[from], clone())
			px.mu.Unlock()
		}
	}
	for _, old := range late {
		forward(old)
		px.mu.Lock()
		px.replayed++
		px.mu.Unlock()
	}
	w.WriteHeader(code)
}

// settled reports that every 500 was retried by Kannel and nothing is in
// flight; deliveries still waiting for a next message are replayed now.
func (px *proxy) settled() bool {
	px.mu.Lock()
	var late []*http.Request
	for from, rs := range px.pending {
		late = append(late, rs...)
		delete(px.pending, from)
	}
	px.mu.Unlock()
	for _, r := range late {
		rec := httptest.NewRecorder()
		px.next().ServeHTTP(rec, r)
		px.mu.Lock()
		px.replayed++
		px.mu.Unlock()
	}
	px.mu.Lock()
	defer px.mu.Unlock()
	return len(px.failed) == 0 && px.inflight == 0 && len(px.pending) == 0
}

func (px *proxy) counts() (dup, retried, replayed int) {
	px.mu.Lock()
	defer px.mu.Unlock()
	return px.dup, px.retried, px.replayed
}

// network is fakesmsc: the phones' messages go in on its standard input,
// one at a time (it reads with stdio behind select), and what Kannel sends
// comes out in its debug log, reassembled here per phone.
type network struct {
	in     io.Writer
	sentMu sync.Mutex // one MO line at a time
	sent   chan struct{}

	mu     sync.Mutex
	boxes  map[string][]mt
	parts  map[string]map[int][]byte // phone/ref -> seq -> data
	last   *mt                       // the message a continuation line belongs to
	lastTo string
}

type mt struct {
	text  string
	parts int
	ucs2  bool
}

var (
	gotRe  = regexp.MustCompile(`Got message \d+: <(.*)>$`)
	sentRe = regexp.MustCompile(`fakesmsc: sent message \d+`)
	headRe = regexp.MustCompile(`^` + shortCode + ` (\+\d+) (text|ucs-2|udh|data) (.*)$`)
)

func startNetwork(t *testing.T, dir, bin string, port int) *network {
	t.Helper()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-r", strconv.Itoa(port), "-i", "0", "-v", "0")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	n := &network{in: in, sent: make(chan struct{}, 1), boxes: map[string][]mt{}, parts: map[string]map[int][]byte{}}
	connected := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			once.Do(func() { close(connected) })
			if sentRe.MatchString(line) {
				select {
				case n.sent <- struct{}{}:
				default:
				}
				continue
			}
			if m := gotRe.FindStringSubmatch(line); m != nil {
				n.receive(m[1])
			}
		}
	}()
	select {
	case <-connected:
	case <-time.After(time.Minute):
		t.Fatal("fakesmsc printed nothing")
	}
	return n
}

// mo sends one SMS from a phone to the short code.
func (n *network) mo(from, text string, ucs2 bool) {
	line := from + " " + shortCode + " text " + text
	if ucs2 {
		var b strings.Builder
		for _, u := range utf16.Encode([]rune(text)) {
			fmt.Fprintf(&b, "%%%02X%%%02X", u>>8, u&0xff)
		}
		line = from + " " + shortCode + " ucs2 " + b.String()
	}
	n.sentMu.Lock()
	defer n.sentMu.Unlock()
	select {
	case <-n.sent:
	default:
	}
	_, _ = io.WriteString(n.in, line+"\n")
	select {
	case <-n.sent:
	case <-time.After(time.Minute):
	}
}

func (n *network) receive(content string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	h := headRe.FindStringSubmatch(content)
	if h == nil {
		// A newline inside a one-part GSM-7 message: fakesmsc prints the
		// text raw, so the rest arrives as lines of their own.
		if n.last != nil {
			n.last.text += "\n" + content
			n.boxes[n.lastTo][len(n.boxes[n.lastTo])-1] = *n.last
		}
		return
	}
	to, kind, data := h[1], h[2], h[3]
	switch kind {
	case "text":
		m := mt{text: data, parts: 1}
		n.boxes[to] = append(n.boxes[to], m)
		n.last, n.lastTo = &m, to
	case "ucs-2":
		b, _ := url.QueryUnescape(data)
		m := mt{text: utf16be([]byte(b)), parts: 1, ucs2: true}
		n.boxes[to] = append(n.boxes[to], m)
		n.last = nil
	case "udh":
		udhEnc, rest, _ := strings.Cut(data, " data ")
		udh, _ := url.QueryUnescape(udhEnc)
		body, _ := url.QueryUnescape(rest)
		n.last = nil
		if len(udh) < 6 {
			return
		}
		ref, total, seq := int(udh[3]), int(udh[4]), int(udh[5])
		key := to + "/" + strconv.Itoa(ref)
		if n.parts[key] == nil {
			n.parts[key] = map[int][]byte{}
		}
		n.parts[key][seq] = []byte(body)
		if len(n.parts[key]) < total {
			return
		}
		var all []byte
		for i := 1; i <= total; i++ {
			all = append(all, n.parts[key][i]...)
		}
		delete(n.parts, key)
		m := mt{parts: total}
		if bytes.ContainsFunc(all, func(r rune) bool { return r < 9 }) {
			m.text, m.ucs2 = utf16be(all), true
		} else {
			m.text = string(all)
		}
		n.boxes[to] = append(n.boxes[to], m)
	}
}

func (n *network) inbox(phone string) []mt {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]mt(nil), n.boxes[phone]...)
}

func (n *network) total() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, b := range n.boxes {
		c += len(b)
	}
	return c
}

func utf16be(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

type kannelBins struct{ bearerbox, smsbox, fakesmsc string }

func kannelBinaries(t *testing.T) kannelBins {
	t.Helper()
	find := func(name string, dirs ...string) string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		for _, d := range dirs {
			if p := filepath.Join(d, name); fileExists(p) {
				return p
			}
		}
		t.Fatalf("%s not found: install Debian's kannel and kannel-extras (apt-get install kannel kannel-extras)", name)
		return ""
	}
	return kannelBins{
		bearerbox: find("bearerbox", "/usr/sbin"),
		smsbox:    find("smsbox", "/usr/sbin"),
		fakesmsc:  find("fakesmsc", "/usr/lib/kannel/test"),
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// kannelConf writes the README's kannel.conf with this test's ports, the
// proxy's address and a temporary log folder.
func kannelConf(t *testing.T, dir string, ports []int, baraza string) string {
	t.Helper()
	src, err := os.ReadFile("kannel.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(src)
	for _, r := range []struct{ old, new string }{
		{"admin-port = 13000", fmt.Sprintf("admin-port = %d", ports[0])},
		{"smsbox-port = 13001", fmt.Sprintf("smsbox-port = %d", ports[1])},
		{"bearerbox-port = 13001", fmt.Sprintf("bearerbox-port = %d", ports[1])},
		{"sendsms-port = 13013", fmt.Sprintf("sendsms-port = %d", ports[2])},
		{"port = 10000", fmt.Sprintf("port = %d", ports[3])},
		{"127.0.0.1:8080", baraza},
		{"/var/log/kannel", dir},
	} {
		if !strings.Contains(conf, r.old) {
			t.Fatalf("kannel.conf has no %q to replace", r.old)
		}
		conf = strings.ReplaceAll(conf, r.old, r.new)
	}
	for _, want := range []string{"password = " + kannelSendPass, "k=" + kannelSecret, "send-sender = true", "max-messages = 0"} {
		if !strings.Contains(conf, want) {
			t.Fatalf("kannel.conf lacks %q", want)
		}
	}
	if strings.Contains(conf, "\naccess-log") {
		t.Fatal("kannel.conf enables an access log: it would write every number and text")
	}
	p := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type box struct {
	name    string
	console string
	done    chan struct{}
}

// startBox runs a Kannel box with its console at warning level, as
// kannel.conf sets its log files, and stops it at cleanup.
func startBox(t *testing.T, dir, name, bin, conf string) *box {
	t.Helper()
	console := filepath.Join(dir, name+".console")
	f, err := os.Create(console)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-v", "2", conf)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &box{name: name, console: console, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(b.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-b.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-b.done
		}
		f.Close()
	})
	return b
}

func waitPort(t *testing.T, port int, b *box) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-b.done:
			t.Fatalf("%s exited: %s", b.name, tail(b.console))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %d: %s", b.name, port, tail(b.console))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
