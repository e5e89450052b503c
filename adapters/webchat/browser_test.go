package webchat_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/browsertest"
	"github.com/baraza/baraza/internal/testenv"
	"github.com/chromedp/chromedp"
)

// consultation is a small scripted Handler that walks through the screens
// of a real consultation: language, consent, a choice, a multi-select, a
// text answer. The first attempt of the text answer fails, so the page's
// retry with the same nonce is exercised.
type consultation struct {
	mu       sync.Mutex
	events   []bot.Event
	failures int
	selected map[string]map[string]bool // session -> toggles
}

const (
	askLang    = "Choose a language / Choisissez une langue / اختر لغة"
	askConsent = "هل توافق على المشاركة؟"
	askArea    = "أين تسكن؟"
	askWhat    = "ماذا حدث؟"
	askStory   = "صف ما حدث، إن أردت."
	thanks     = "شكرا لك."
	stopped    = "Stopped. Everything was erased."
	story      = "سرقوا هاتفي قرب السوق 📱"
)

func (c *consultation) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
	msg := func(text string, bs ...bot.Button) bot.Response {
		return bot.Response{Messages: []bot.Message{{Text: text, Lang: "ar", Buttons: bs}}}
	}
	multi := func(replace bool) bot.Response {
		sel := c.selected[ev.User]
		r := msg(askWhat,
			bot.Button{Label: "سرقة", Data: "t:theft", Selected: sel["t:theft"], Toggle: true},
			bot.Button{Label: "تحرش", Data: "t:harassment", Selected: sel["t:harassment"], Toggle: true},
			bot.Button{Label: "تم", Data: "done", Nav: true})
		r.Messages[0].ReplaceButtons = replace
		return r
	}
	switch {
	case ev.Kind == bot.KindCommand && ev.Command == "start":
		return bot.Response{Messages: []bot.Message{{Text: askLang, Lang: "en", Buttons: []bot.Button{
			{Label: "English", Data: "lang:en"}, {Label: "Français", Data: "lang:fr"}, {Label: "العربية", Data: "lang:ar"}}}}}, nil
	case ev.Kind == bot.KindCommand && ev.Command == "stop":
		delete(c.selected, ev.User)
		return bot.Response{Erase: &bot.Erase{To: ev.MessageRef}, Messages: []bot.Message{{Text: stopped, Lang: "en"}}}, nil
	case ev.Kind == bot.KindButton && ev.Data == "lang:ar":
		return msg(askConsent, bot.Button{Label: "نعم", Data: "consent:yes"}, bot.Button{Label: "لا", Data: "consent:no"}), nil
	case ev.Kind == bot.KindButton && ev.Data == "consent:yes":
		return msg(askArea, bot.Button{Label: "الشمال", Data: "area:north"}, bot.Button{Label: "الجنوب", Data: "area:south"},
			bot.Button{Label: "رجوع", Data: "back", Nav: true}), nil
	case ev.Kind == bot.KindButton && ev.Data == "area:north":
		return multi(false), nil
	case ev.Kind == bot.KindButton && (ev.Data == "t:theft" || ev.Data == "t:harassment"):
		if c.selected[ev.User] == nil {
			c.selected[ev.User] = map[string]bool{}
		}
		c.selected[ev.User][ev.Data] = !c.selected[ev.User][ev.Data]
		return multi(true), nil
	case ev.Kind == bot.KindButton && ev.Data == "done":
		return msg(askStory), nil
	case ev.Kind == bot.KindText && ev.Text == story:
		if c.failures == 0 {
			c.failures++
			return bot.Response{}, errors.New("store away")
		}
		return msg(thanks), nil
	}
	return bot.Response{Messages: []bot.Message{{Text: "echo: " + ev.Text, Lang: "en"}}}, nil
}

func (c *consultation) seen() []bot.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

func TestBrowser(t *testing.T) {
	h := &consultation{selected: map[string]map[string]bool{}}
	a := webchat.New(webchat.Config{Logger: quietLogger()})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	adaptertest.Start(t, a, h)

	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/chat?c=night-safety"))

	// ?c= starts that consultation, with the browser's language as a hint.
	browsertest.WaitText(t, ctx, askLang)
	first := h.seen()[0]
	if first.Kind != bot.KindCommand || first.Command != "start" || first.Arg != "night-safety" || first.Locale != "en-US" {
		t.Errorf("first event: got %+v, want /start night-safety with locale en-US", first)
	}
	user := first.User
	// The address keeps no ?c= (it may be a one-time invite code): the
	// history entry the phone keeps names no consultation and no code.
	if got := browsertest.Eval[string](t, ctx, `location.href`); got != srv.URL+"/chat" {
		t.Errorf("address after start: got %q, want %q (no ?c= in history)", got, srv.URL+"/chat")
	}
	focused := func() string {
		return browsertest.Eval[string](t, ctx, `document.activeElement ? (document.activeElement.id || document.activeElement.innerText.trim()) : ''`)
	}
	if got := focused(); got != "English" {
		t.Errorf("focus after the language question: got %q, want the first new button %q", got, "English")
	}
	if got := browsertest.Eval[string](t, ctx, `document.getElementById('log').getAttribute('aria-live')`); got != "polite" {
		t.Errorf("transcript aria-live: got %q, want polite", got)
	}

	// Arabic is laid out right to left, with its lang.
	browsertest.ClickText(t, ctx, "العربية")
	browsertest.WaitText(t, ctx, askConsent)
	attr := func(text, name string) string {
		return browsertest.Eval[string](t, ctx, `(() => { const li = Array.from(document.querySelectorAll('#log li.bot')).find(li => li.innerText.includes(`+jsQuote(text)+`)); return li ? (li.getAttribute(`+jsQuote(name)+`) || '') : 'missing'; })()`)
	}
	if got := attr(askConsent, "dir"); got != "rtl" {
		t.Errorf("Arabic message dir: got %q, want rtl", got)
	}
	if got := attr(askConsent, "lang"); got != "ar" {
		t.Errorf("Arabic message lang: got %q, want ar", got)
	}
	// The page's own words and direction follow the chat's language.
	browsertest.WaitFor(t, ctx, "the page in Arabic", `document.documentElement.dir === 'rtl' && document.documentElement.lang === 'ar' && document.getElementById('stop').innerText === 'توقف وامسح'`)
	if got := attr(askLang, "dir"); got != "ltr" {
		t.Errorf("English message dir: got %q, want ltr", got)
	}

	browsertest.ClickText(t, ctx, "نعم")
	browsertest.WaitText(t, ctx, askArea)
	// Tap targets are large enough for a thumb.
	if h := browsertest.Eval[float64](t, ctx, `Math.min(...Array.from(document.querySelectorAll('button')).filter(b => b.offsetParent).map(b => b.getBoundingClientRect().height))`); h < 44 {
		t.Errorf("smallest button height: got %.0f px, want at least 44", h)
	}
	browsertest.ClickText(t, ctx, "الشمال")
	browsertest.WaitText(t, ctx, askWhat)

	// Multi-select: toggles edit the message in place, pressed state shown.
	count := func() int { return browsertest.Eval[int](t, ctx, `document.querySelectorAll('#log li').length`) }
	n := count()
	pressed := func(label string) string {
		return `(() => { const b = Array.from(document.querySelectorAll('#log button')).find(b => b.innerText.trim() === ` + jsQuote(label) + ` || b.innerText.trim() === '✓ ' + ` + jsQuote(label) + `); return b ? b.getAttribute('aria-pressed') : null; })()`
	}
	for i, want := range []string{"true", "false", "true"} {
		browsertest.ClickText(t, ctx, "سرقة")
		browsertest.WaitFor(t, ctx, "theft toggled "+want, pressed("سرقة")+` === '`+want+`'`)
		if got := count(); got != n {
			t.Errorf("toggle %d: got %d messages, want %d (edited in place)", i+1, got, n)
		}
	}
	if got := browsertest.Eval[string](t, ctx, pressed("تحرش")); got != "false" {
		t.Errorf("untouched toggle: got aria-pressed %q, want false", got)
	}
	if got := browsertest.Eval[string](t, ctx, `(() => { const b = Array.from(document.querySelectorAll('#log button[aria-pressed=true]'))[0]; return getComputedStyle(b, '::before').content; })()`); got != `"✓ "` {
		t.Errorf("selected toggle mark: got %s, want \"✓ \"", got)
	}
	if got := focused(); got != "سرقة" {
		t.Errorf("focus after a toggle: got %q, want it kept on the toggle", got)
	}
	browsertest.ClickText(t, ctx, "تم")

	// A text answer; its first attempt fails and the page retries it.
	browsertest.WaitText(t, ctx, askStory)
	if got := focused(); got != "input" {
		t.Errorf("focus after a text question: got %q, want the text box", got)
	}
	browsertest.Type(t, ctx, "#input", story+"\r") // Enter sends
	browsertest.WaitText(t, ctx, thanks)
	var ids []string
	for _, ev := range h.seen() {
		if ev.Kind == bot.KindText && ev.Text == story {
			ids = append(ids, ev.ID)
		}
	}
	if len(ids) != 2 || ids[0] != ids[1] {
		t.Errorf("text answer attempts: got ids %q, want two attempts with the same nonce", ids)
	}
	for _, ev := range h.seen() {
		if ev.User != user {
			t.Errorf("event %+v: Event.User changed within one session", ev.Kind)
		}
	}
	if dir := os.Getenv("BARAZA_SCREENSHOTS"); dir != "" {
		browsertest.Screenshot(t, ctx, filepath.Join(dir, "webchat.png"))
	}

	// Stop and erase: the transcript is cleared, the session rotated, and
	// the page shows its end state with "Start again".
	browsertest.ClickText(t, ctx, "توقف وامسح") // "Stop and erase", in the chat's language
	browsertest.WaitText(t, ctx, "تم الإيقاف. مُسحت هذه المحادثة.")
	for _, gone := range []string{askLang, askArea, story, thanks} {
		browsertest.WaitGone(t, ctx, gone)
	}
	if got := count(); got != 0 {
		t.Errorf("after stop: got %d messages, want 0", got)
	}
	if got := browsertest.Eval[string](t, ctx, `location.search`); got != "" {
		t.Errorf("after stop: URL query %q, want it removed", got)
	}
	testenv.WaitFor(t, browsertest.Timeout, "the stop at the server", func() bool {
		evs := h.seen()
		last := evs[len(evs)-1]
		return last.Kind == bot.KindCommand && last.Command == "stop"
	})
	browsertest.ClickText(t, ctx, "ابدأ من جديد") // "Start again"
	browsertest.WaitText(t, ctx, askLang)
	evs := h.seen()
	if last := evs[len(evs)-1]; last.User == user || last.Locale != "en-US" || last.Command != "start" || last.Arg != "night-safety" {
		t.Errorf("start again: got %+v (same session %v), want /start night-safety in a new session with the language hint sent again", last, last.User == user)
	}
	browsertest.NoErrors(t, ctx, "status of 503") // the failed first attempt
}

func jsQuote(s string) string {
	b := []byte{'"'}
	for _, r := range s {
		switch r {
		case '"', '\\':
			b = append(b, '\\', byte(r))
		default:
			b = append(b, string(r)...)
		}
	}
	return string(append(b, '"'))
}
