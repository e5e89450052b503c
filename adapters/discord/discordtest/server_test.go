package discordtest_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/baraza/baraza/adapters/discord/discordtest"
)

// rewrite sends every https://discord.com request to the fake.
type rewrite struct{ to *url.URL }

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = t.to.Scheme, t.to.Host
	r.Host = t.to.Host
	return http.DefaultTransport.RoundTrip(r)
}

func session(t *testing.T, f *discordtest.Server) *discordgo.Session {
	t.Helper()
	s, err := discordgo.New("Bot " + f.Token())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(f.URL)
	s.Client = &http.Client{Transport: rewrite{u}, Timeout: 5 * time.Second}
	s.LogLevel = -1
	s.StateEnabled = false
	s.Identify.Intents = discordgo.IntentsDirectMessages
	return s
}

type recorder struct {
	mu   sync.Mutex
	seen map[string]int
}

func (r *recorder) add(id string) {
	r.mu.Lock()
	r.seen[id]++
	r.mu.Unlock()
}

func (r *recorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[id]
}

func open(t *testing.T, f *discordtest.Server) (*discordgo.Session, *recorder) {
	t.Helper()
	s := session(t, f)
	rec := &recorder{seen: map[string]int{}}
	s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Author != nil && m.Author.ID != discordtest.BotID {
			rec.add(m.ID)
		}
	})
	s.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) { rec.add(i.ID) })
	if err := s.Open(); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, rec
}

func TestGatewayHandshakeAndDM(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	_, rec := open(t, f)
	ids := f.Identifies()
	if len(ids) != 1 || ids[0].Intents != int(discordgo.IntentsDirectMessages) {
		t.Fatalf("got identifies %+v, want one with intents %d", ids, discordgo.IntentsDirectMessages)
	}
	u := f.NewUser("500", "amina", "Amina")
	id := u.DM("hello")
	if !f.Await(3*time.Second, func() bool { return rec.count(id) == 1 }) {
		t.Fatalf("got %d deliveries of the DM, want 1", rec.count(id))
	}
}

func TestResumeAfterDropReplaysMissedEvents(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{LenientResume: true}) // a bare discordgo v0.28.1 resumes on the first URL
	s, rec := open(t, f)
	s.ShouldReconnectOnError = true
	u := f.NewUser("501", "b", "B")
	first := u.DM("one")
	if !f.Await(3*time.Second, func() bool { return rec.count(first) == 1 }) {
		t.Fatal("first DM not delivered")
	}
	if n := f.Drop(); n != 1 {
		t.Fatalf("got %d connections dropped, want 1", n)
	}
	var later []string
	for i := 0; i < 5; i++ {
		later = append(later, u.DM("while away"))
	}
	if !f.Await(10*time.Second, func() bool { return f.Resumes() == 1 && f.Connected() }) {
		t.Fatalf("got %d resumes, want 1", f.Resumes())
	}
	for _, id := range append(later, first) {
		if !f.Await(3*time.Second, func() bool { return rec.count(id) == 1 }) || rec.count(id) != 1 {
			t.Fatalf("event %s delivered %d times, want 1", id, rec.count(id))
		}
	}
}

func TestRESTRulesAndRecords(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	s := session(t, f)
	u := f.NewUser("502", "c", "C")
	ch, err := s.UserChannelCreate(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID != u.DMChannel() {
		t.Fatalf("got DM channel %s, want %s", ch.ID, u.DMChannel())
	}
	long := strings.Repeat("x", 2001)
	if _, err := s.ChannelMessageSend(ch.ID, long); err == nil {
		t.Fatal("got no error for 2001 characters, want 400")
	}
	bad := &discordgo.MessageSend{Content: "q", Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "a", CustomID: strings.Repeat("c", 101)}}}}}
	if _, err := s.ChannelMessageSendComplex(ch.ID, bad); err == nil {
		t.Fatal("got no error for a 101-character custom_id, want 400")
	}
	var six []discordgo.MessageComponent
	for _, id := range []string{"1", "2", "3", "4", "5", "6"} {
		six = append(six, discordgo.Button{Label: id, CustomID: id})
	}
	if _, err := s.ChannelMessageSendComplex(ch.ID, &discordgo.MessageSend{Content: "q", Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: six}}}); err == nil {
		t.Fatal("got no error for 6 buttons in a row, want 400")
	}
	m, err := s.ChannelMessageSend(ch.ID, "hi")
	if err != nil {
		t.Fatal(err)
	}
	userMsg := u.DM("mine")
	err = s.ChannelMessageDelete(ch.ID, userMsg)
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50003 {
		t.Fatalf("got %v deleting the user's DM message, want 403 code 50003", err)
	}
	if err := s.ChannelMessageDelete(ch.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	if got := len(f.Deleted(ch.ID)); got != 1 {
		t.Fatalf("got %d deleted, want 1", got)
	}
	list, err := s.ChannelMessages(ch.ID, 100, "", "", "")
	if err != nil || len(list) != 1 || list[0].ID != userMsg {
		t.Fatalf("got %d messages (%v), want only the user's", len(list), err)
	}
}

func TestRateLimit429(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	s := session(t, f)
	f.Inject429(1, 50*time.Millisecond)
	_, err := s.User("@me", discordgo.WithRetryOnRatelimit(false))
	var rl *discordgo.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 50*time.Millisecond {
		t.Fatalf("got %v, want a RateLimitError with retry_after 50ms", err)
	}
	if _, err := s.User("@me"); err != nil {
		t.Fatalf("got %v after the 429, want success", err)
	}
	// discordgo paces itself on the headers: 20 requests in one bucket, no 429.
	for i := 0; i < 20; i++ {
		if _, err := s.User("@me", discordgo.WithRetryOnRatelimit(false)); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if got := f.RateLimited()["users/@me"]; got != 1 {
		t.Fatalf("got %d 429s, want only the injected one", got)
	}
}

func TestInteractionDeadline(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{InteractionDeadline: 50 * time.Millisecond})
	s, rec := open(t, f)
	u := f.NewUser("503", "d", "D")
	var mu sync.Mutex
	ints := map[string]*discordgo.Interaction{}
	s.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) {
		mu.Lock()
		ints[i.ID] = i.Interaction
		mu.Unlock()
	})
	id := u.Slash("consult", map[string]string{"id": "night-safety"}, true)
	if !f.Await(3*time.Second, func() bool { return rec.count(id) == 1 }) {
		t.Fatal("interaction not delivered")
	}
	time.Sleep(100 * time.Millisecond) // let the deadline pass on purpose
	mu.Lock()
	in := ints[id]
	mu.Unlock()
	err := s.InteractionRespond(in, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	if err == nil {
		t.Fatal("got no error for a late response, want 404")
	}
	recs := f.Interactions()
	if len(recs) != 1 || !recs[0].Late {
		t.Fatalf("got %+v, want one late interaction", recs)
	}
}
