package facilitate

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// Platform ids of the tests: long enough for the leak scan.
const (
	facilitatorID = "70012345"
	citizenID     = "80054321"
)

// lateCommands lets testenv build the core before the Commands that need
// its Consult and Keys exist.
type lateCommands struct{ c atomic.Pointer[Commands] }

func (l *lateCommands) HandleCommand(ctx context.Context, ev bot.Event, respondent, lang string) (bot.Response, bool, error) {
	c := l.c.Load()
	if c == nil {
		return bot.Response{}, false, nil
	}
	return c.HandleCommand(ctx, ev, respondent, lang)
}

// TestRefusedUsersGetTheOrdinaryAnswer: anyone not listed gets, for every
// facilitator command, exactly what a bot without facilitator commands
// answers, with or without a session in progress.
func TestRefusedUsersGetTheOrdinaryAnswer(t *testing.T) {
	late := &lateCommands{}
	e := testenv.New(t, testenv.WithCommands(late))
	cmds, err := New(Config{Facilitators: []string{"telegram:" + facilitatorID}, Keys: e.Keys, Consult: e.Consult,
		WebchatURL: "https://baraza.example.org/chat", Logger: e.Logger})
	if err != nil {
		t.Fatal(err)
	}
	late.c.Store(cmds)
	plain := testenv.NewOn(t, e.Redis) // same store and keys, no facilitator commands
	id := e.Catalog.All()[0].ID

	commands := []struct{ name, arg string }{
		{"consultations", ""}, {"open", id}, {"close", id}, {"stats", id}, {"invite", id}, {"stats", ""}, {"open", "no-such-thing"},
	}
	refused := []struct{ name, platform, user string }{
		{"citizen", "telegram", citizenID},
		{"facilitator id on another platform", "discord", facilitatorID},
		{"facilitator id on the web chat", "webchat", facilitatorID},
	}
	for _, inSession := range []bool{false, true} {
		for _, who := range refused {
			t.Run(who.name+map[bool]string{false: " no session", true: " in session"}[inSession], func(t *testing.T) {
				with := newChat(t, e.Router, who.platform, who.user)
				without := newChat(t, plain.Router, who.platform, who.user)
				if inSession {
					with.cmd("start", id)
					defer with.cmd("stop", "")
				}
				for _, c := range commands {
					got := with.cmd(c.name, c.arg)
					want := without.cmd(c.name, c.arg)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("/%s %s: got\n%#v\nwant what a bot without facilitator commands answers:\n%#v", c.name, c.arg, got, want)
					}
					unknown := without.cmd("frobnicate", "")
					if !inSession && !reflect.DeepEqual(got, unknown) {
						t.Errorf("/%s: got %q, want the unknown-command answer %q", c.name, texts(got), texts(unknown))
					}
					if strings.Contains(texts(got), id+" is now") || len(got.Messages) > 0 && got.Messages[0].Image != nil {
						t.Errorf("/%s %s: a refused user got a facilitator answer: %q", c.name, c.arg, texts(got))
					}
				}
			})
		}
	}

	// The facilitator, same commands: real answers.
	f := newChat(t, e.Router, "telegram", facilitatorID)
	if got := texts(f.cmd("close", id)); !strings.Contains(got, id+" is now closed") {
		t.Errorf("facilitator /close: got %q, want a confirmation", got)
	}
	log, err := e.Store.StatusLog(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].By != ChatActor || log[0].Status != bot.StatusClosed {
		t.Errorf("status log: got %+v, want one close by %q", log, ChatActor)
	}
	e.AssertNoLeak(t, facilitatorID, citizenID)
}

// core is the bot core on a settable clock, built by hand: testenv has no
// clock for the store, and the schedule tests need one.
type core struct {
	store   *store.Store
	keys    *privacy.Keys
	catalog *bot.Catalog
	consult *consult.Service
	router  *bot.Router
	clock   *clock
	rdb     *redistest.Server
}

func newCore(t testing.TB, scripts []*dialogs.Script, inviters map[string]bot.Inviter, webchatURL string) *core {
	t.Helper()
	srv := redistest.Start(t)
	clk := newClock(time.Now().UTC().Truncate(time.Minute))
	c := &core{clock: clk, rdb: srv}
	c.store = store.New(srv.Client(), store.Options{Prefix: srv.Prefix + "baraza:", Now: clk.Now})
	c.keys = privacy.NewKeys([]byte("facilitate-test-secret-0123456789abcdef"))
	c.catalog = bot.NewCatalog(scripts)
	// Releases as soon as k new completions are in (no interval), on
	// each c.release.
	c.consult = &consult.Service{Store: c.store, Catalog: c.catalog, K: 5, Now: clk.Now, Releases: &release.Service{Interval: -1}}
	cmds, err := New(Config{Facilitators: []string{" telegram:" + facilitatorID + " ", "discord:" + facilitatorID},
		Keys: c.keys, Consult: c.consult, Inviters: inviters, WebchatURL: webchatURL, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	c.router = bot.NewRouter(bot.RouterConfig{Store: c.store, Keys: c.keys, Catalog: c.catalog, Commands: cmds, Now: clk.Now})
	return c
}

func (c *core) facilitator(t *testing.T) *chat {
	return newChat(t, c.router, "telegram", facilitatorID)
}

func TestOpenClose(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, nil, "")
	f := c.facilitator(t)
	closedText := dialogs.UI("en", "closed")

	// Someone starts before the close and may finish after it.
	early := newChat(t, c.router, "telegram", "90000001")
	early.cmd("start", "night-safety")
	early.press(dialogs.UI("en", "accept"))

	if got := texts(f.cmd("close", "night-safety")); !strings.Contains(got, "night-safety is now closed.") {
		t.Fatalf("/close: got %q, want the confirmation", got)
	}
	late := newChat(t, c.router, "telegram", "90000002")
	if got := texts(late.cmd("start", "night-safety")); got != closedText+"\n" {
		t.Errorf("/start after /close: got %q, want %q", got, closedText)
	}
	early.press("North")
	early.press("2")
	if got := texts(early.last); !strings.Contains(got, "Thank you, all done.") {
		t.Errorf("finishing after /close: got %q, want the outro", got)
	}
	if got := texts(f.cmd("stats", "night-safety")); !strings.Contains(got, "Status: closed") {
		t.Errorf("/stats after /close: got %q, want Status: closed", got)
	}

	if got := texts(f.cmd("open", "night-safety")); !strings.Contains(got, "night-safety is now open.") {
		t.Fatalf("/open: got %q, want the confirmation", got)
	}
	if got := texts(late.cmd("start", "night-safety")); !strings.Contains(got, "Do you agree to take part?") {
		t.Errorf("/start after /open: got %q, want the consent question", got)
	}

	log, err := c.store.StatusLog(context.Background(), "night-safety")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, e.Status+" by "+e.By)
	}
	want := []string{"open by chat facilitator", "closed by chat facilitator"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("status log: got %q, want %q", got, want)
	}
	dump, err := redistest.ScanAll(context.Background(), c.rdb.Client())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{facilitatorID, "90000001", "90000002"} {
		if strings.Contains(dump, id) {
			t.Errorf("redis holds platform id %s", id)
		}
	}

	// Usage and unknown ids are answered, in the facilitator's language.
	tests := []struct{ cmd, arg, locale, want string }{
		{"open", "", "", "Usage: /open ID"},
		{"stats", "nope", "", `There is no consultation "nope"`},
		{"close", "", "fr", "Utilisation\u00a0: /close ID"},
		{"invite", "nope", "ar", "لا توجد استشارة"},
	}
	for _, tt := range tests {
		resp := f.send(bot.Event{Kind: bot.KindCommand, Command: tt.cmd, Arg: tt.arg, Locale: tt.locale})
		if got := texts(resp); !strings.Contains(got, tt.want) {
			t.Errorf("/%s %q (%s): got %q, want %q", tt.cmd, tt.arg, tt.locale, got, tt.want)
		}
	}
}

// TestScheduleBoundaries walks a consultation with opens and closes times
// through its schedule and the facilitators' overrides.
func TestScheduleBoundaries(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Minute)
	opens, closes := t0.Add(time.Hour), t0.Add(2*time.Hour)
	sc := loadScript(t, "night-safety.yaml", "k: 3\n",
		"k: 3\nopens: "+opens.Format(time.RFC3339)+"\ncloses: "+closes.Format(time.RFC3339)+"\n")
	c := newCore(t, []*dialogs.Script{sc}, nil, "")
	c.clock.set(t0)
	f := c.facilitator(t)

	steps := []struct {
		name    string
		at      time.Time
		command string // facilitator's /open or /close at that time, or ""
		want    string // effective status
	}{
		{"before opens", t0, "", bot.StatusScheduled},
		{"opened by hand before opens", t0.Add(time.Minute), "open", bot.StatusOpen},
		{"closed by hand before opens", t0.Add(2 * time.Minute), "close", bot.StatusClosed},
		{"one second before opens, still closed by hand", opens.Add(-time.Second), "", bot.StatusClosed},
		{"at opens, the schedule applies again", opens, "", bot.StatusOpen},
		{"closed by hand while open", opens.Add(10 * time.Minute), "close", bot.StatusClosed},
		{"reopened by hand", opens.Add(20 * time.Minute), "open", bot.StatusOpen},
		{"one second before closes", closes.Add(-time.Second), "", bot.StatusOpen},
		{"at closes, the schedule closes it", closes, "", bot.StatusClosed},
		{"opened by hand after closes", closes.Add(time.Minute), "open", bot.StatusOpen},
		{"still open by hand a day later", closes.Add(24 * time.Hour), "", bot.StatusOpen},
	}
	for i, st := range steps {
		c.clock.set(st.at)
		if st.command != "" {
			f.cmd(st.command, "night-safety")
		}
		statuses, err := c.consult.Statuses(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := statuses["night-safety"]; got != st.want {
			t.Errorf("%s: status %q, want %q", st.name, got, st.want)
		}
		// What a respondent sees agrees with the status.
		r := newChat(t, c.router, "telegram", "9100000"+string(rune('a'+i)))
		got := texts(r.cmd("start", "night-safety"))
		started := strings.Contains(got, "Do you agree to take part?")
		if started != (st.want == bot.StatusOpen) {
			t.Errorf("%s: /start got %q with status %s", st.name, got, st.want)
		}
		if !started && got != dialogs.UI("en", "closed")+"\n" {
			t.Errorf("%s: /start got %q, want the polite closed answer", st.name, got)
		}
		wantStats := map[string]string{bot.StatusOpen: "Status: open", bot.StatusClosed: "Status: closed", bot.StatusScheduled: "Status: scheduled"}[st.want]
		if got := texts(f.cmd("stats", "night-safety")); !strings.Contains(got, wantStats) {
			t.Errorf("%s: /stats got %q, want %q", st.name, got, wantStats)
		}
	}
	// An override before a future boundary says the schedule still applies.
	c.clock.set(t0)
	if got := texts(f.cmd("close", "night-safety")); !strings.Contains(got, "Its schedule opens it at "+opens.Format("2006-01-02 15:04")) {
		t.Errorf("/close before opens: got %q, want a note about the schedule", got)
	}
}

// TestStatsSuppression: /stats and /consultations show the latest
// release, never the live counters: nothing before the first release but
// how many more responses it needs; the rate only when both counts are
// shown.
func TestStatsSuppression(t *testing.T) {
	c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, nil, "")
	f := c.facilitator(t)
	stats := func() string { return texts(f.cmd("stats", "night-safety")) }
	list := func() string { return texts(f.cmd("consultations", "")) }
	none := "not released yet"

	check := func(stage, got string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: got\n%s\nwant it to contain %q", stage, got, w)
			}
		}
	}
	check("nothing yet", stats(), "Started: "+none, "Completed: "+none, "Completion rate: not shown",
		"No release yet; the first after 3 more responses.")
	check("nothing yet", list(), "started "+none+" · completed "+none)

	d := newChat(t, c.router, "telegram", "92000004")
	d.cmd("start", "night-safety")
	d.press(dialogs.UI("en", "accept")) // started, not completed
	c.release(t)
	check("one started", stats(), "Started: "+none, "No release yet; the first after 3 more responses.")

	newChat(t, c.router, "telegram", "92000001").complete("night-safety", "North", "1")
	newChat(t, c.router, "telegram", "92000002").complete("night-safety", "South", "3")
	c.release(t)
	check("three started, two completed", stats(), "Started: "+none, "the first after 1 more responses.")
	check("three started, two completed", list(), "started "+none+" · completed "+none)

	newChat(t, c.router, "telegram", "92000003").complete("night-safety", "North", "2")
	check("three completed, not yet released", stats(), "Started: "+none, "the first after 1 more responses.")
	c.release(t)
	check("four started, three completed", stats(), "Started: 4\n", "Completed: 3\n", "Completion rate: 75 %",
		"Release 1 (numbers change only with a release); next update after 3 more responses.")
	check("four started, three completed", list(), "started 4 · completed 3")

	fr := f.send(bot.Event{Kind: bot.KindCommand, Command: "stats", Arg: "night-safety", Locale: "fr-FR"})
	check("in French", texts(fr), "Commencées\u00a0: 4", "Taux d’achèvement\u00a0: 75 %")
	if fr.Messages[0].Lang != "fr" {
		t.Errorf("French reply: Lang %q, want fr", fr.Messages[0].Lang)
	}

	// A started dialog that does not finish moves nothing.
	e := newChat(t, c.router, "telegram", "92000005")
	e.cmd("start", "night-safety")
	e.press(dialogs.UI("en", "accept"))
	c.release(t)
	check("one more started", stats(), "Started: 4\n")
}

// TestStatsDP: /stats of a DP consultation says when its next release is
// due on its calendar, never how many more responses it needs (that
// would follow the true count), and the same before and after
// completions; once the scheduled releases are spent, that the next
// comes on close.
func TestStatsDP(t *testing.T) {
	sc := loadScript(t, "night-safety.yaml")
	eps, err := privacy.ParseEpsilon("1")
	if err != nil {
		t.Fatal(err)
	}
	sc.Publish, sc.DP = true, &dialogs.DP{Epsilon: eps, Releases: 2, Every: time.Hour}
	c := newCore(t, []*dialogs.Script{sc}, nil, "")
	start := c.clock.Now().UTC().Truncate(time.Minute)
	f := c.facilitator(t)
	stats := func() string { return texts(f.cmd("stats", "night-safety")) }
	before := stats()
	want := "No release yet; the first on " + start.Add(time.Hour).Format("2006-01-02 15:04 UTC") + " (a fixed schedule)."
	if !strings.Contains(before, want) || strings.Contains(before, "more responses") {
		t.Fatalf("before any release: %q, want %q", before, want)
	}
	newChat(t, c.router, "telegram", "92000001").complete("night-safety", "North", "1")
	newChat(t, c.router, "telegram", "92000002").complete("night-safety", "South", "3")
	c.release(t)
	if got := stats(); got != before {
		t.Fatalf("completions changed /stats of a DP consultation:\n%s\n%s", before, got)
	}
	c.clock.add(time.Hour)
	c.release(t)
	got := stats()
	for _, w := range []string{"(noise added)", "Release 1 (numbers change only with a release); the next and last update comes when the consultation closes."} {
		if !strings.Contains(got, w) {
			t.Errorf("after release 1: %q lacks %q", got, w)
		}
	}
}

// TestStatsOnClose: once the audit budget has room for the final release
// only (release.State.OnClose), /stats says the next and last update
// comes on close, not how many more responses the next one needs.
func TestStatsOnClose(t *testing.T) {
	sc := loadScript(t, "night-safety.yaml")
	c := newCore(t, []*dialogs.Script{sc}, nil, "")
	f := c.facilitator(t)
	for i, area := range []string{"North", "South", "North", "South", "North"} {
		newChat(t, c.router, "telegram", fmt.Sprint(93000001+i)).complete("night-safety", area, "2")
	}
	c.release(t)
	got := texts(f.cmd("stats", "night-safety"))
	if !strings.Contains(got, "next update after") {
		t.Fatalf("after release 1 with room to spare: %q", got)
	}
	st, err := c.consult.Releases.Latest(context.Background(), sc)
	if err != nil || st.Latest == nil {
		t.Fatalf("latest: %+v, %v", st, err)
	}
	// Room for two releases of this size: release 1 and the final one.
	c.consult.Releases.AuditFields = 2*len(st.Latest.Counters) + 1
	got = texts(f.cmd("stats", "night-safety"))
	want := "Release 1 (numbers change only with a release); the next and last update comes when the consultation closes."
	if !strings.Contains(got, want) || strings.Contains(got, "more responses") {
		t.Errorf("with room for the final release only: %q, want %q", got, want)
	}
}

// fakeInviter stands for a platform adapter's deep links.
type fakeInviter struct{ link, instructions string }

func (f fakeInviter) InviteText(id string) (string, string) {
	if f.link == "" {
		return "", f.instructions
	}
	return f.link + id, f.instructions
}

func TestInvite(t *testing.T) {
	web := webchat.New(webchat.Config{PublicURL: "https://baraza.example.org"})
	tests := []struct {
		name     string
		inviters map[string]bot.Inviter
		webURL   string
		want     []string
		qr       string
	}{
		{
			name: "all platforms, web chat adapter",
			inviters: map[string]bot.Inviter{
				"telegram": fakeInviter{link: "https://t.me/baraza_test_bot?start="},
				"discord":  fakeInviter{instructions: "Send a direct message to Baraza#1234 with /start night-safety"},
				"webchat":  web,
			},
			want: []string{"Telegram: https://t.me/baraza_test_bot?start=night-safety",
				"Discord: Send a direct message to Baraza#1234 with /start night-safety",
				"Web chat (any browser, no account): https://baraza.example.org/chat?c=night-safety"},
			qr: "https://baraza.example.org/chat?c=night-safety",
		},
		{
			name:     "web chat by address only",
			inviters: map[string]bot.Inviter{"telegram": fakeInviter{link: "https://t.me/baraza_test_bot?start="}},
			webURL:   "https://room.example.net/chat",
			want: []string{"Telegram: https://t.me/baraza_test_bot?start=night-safety",
				"Web chat (any browser, no account): https://room.example.net/chat?c=night-safety"},
			qr: "https://room.example.net/chat?c=night-safety",
		},
		{
			name:     "telegram only",
			inviters: map[string]bot.Inviter{"telegram": fakeInviter{link: "https://t.me/baraza_test_bot?start="}},
			want:     []string{"Telegram: https://t.me/baraza_test_bot?start=night-safety"},
			qr:       "https://t.me/baraza_test_bot?start=night-safety",
		},
		{
			name: "nothing configured",
			want: []string{"No invitation link is configured"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCore(t, []*dialogs.Script{loadScript(t, "night-safety.yaml")}, tt.inviters, tt.webURL)
			resp := c.facilitator(t).cmd("invite", "night-safety")
			if len(resp.Messages) != 1 {
				t.Fatalf("got %d messages, want 1: %q", len(resp.Messages), texts(resp))
			}
			m := resp.Messages[0]
			for _, w := range tt.want {
				if !strings.Contains(m.Text, w) {
					t.Errorf("got\n%s\nwant it to contain %q", m.Text, w)
				}
			}
			if tt.qr == "" {
				if m.Image != nil {
					t.Errorf("got an image, want none")
				}
				return
			}
			if m.ImageName != "invite-night-safety.png" {
				t.Errorf("image name %q, want invite-night-safety.png", m.ImageName)
			}
			img, err := png.Decode(bytes.NewReader(m.Image))
			if err != nil {
				t.Fatalf("image: %v", err)
			}
			if got := decodeQR(t, img); got != tt.qr {
				t.Errorf("QR code opens %q, want %q", got, tt.qr)
			}
		})
	}
}

func TestNewRefusesMalformedFacilitators(t *testing.T) {
	keys := privacy.NewKeys([]byte("facilitate-test-secret-0123456789abcdef"))
	svc := &consult.Service{}
	for _, entry := range []string{"telegram", "telegram:", ":12345678", "12345678"} {
		_, err := New(Config{Facilitators: []string{"webchat:abc", entry}, Keys: keys, Consult: svc})
		if err == nil {
			t.Errorf("entry %q: got no error, want one", entry)
			continue
		}
		if strings.Contains(err.Error(), "12345678") {
			t.Errorf("entry %q: error %q repeats the platform id", entry, err)
		}
	}
	if _, err := New(Config{Facilitators: []string{"telegram:1", ""}, Keys: keys, Consult: svc}); err != nil {
		t.Errorf("valid entries: %v", err)
	}
}
