package pagecheck

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/browsertest"
)

// tabbables marks every element that takes focus with the Tab key and
// returns how many there are.
const tabbables = `(() => {
  document.querySelectorAll('[data-tabi]').forEach(e => e.removeAttribute('data-tabi'));
  const els = Array.from(document.querySelectorAll('button, input, a[href], [tabindex]')).filter(e =>
    e.tabIndex >= 0 && !e.disabled && !e.closest('[inert]') && e.offsetParent !== null);
  els.forEach((e, i) => e.setAttribute('data-tabi', String(i)));
  return els.length;
})()`

// tabReach presses Tab, then (from the same start) Shift+Tab, up to three
// times each from every focusable element of the chat, and fails unless
// both Stop (#stop) and Quick exit (#exit) were reached from each.
func tabReach(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	n := browsertest.Eval[int](t, ctx, tabbables)
	active := func() string {
		return browsertest.Eval[string](t, ctx, `document.activeElement ? (document.activeElement.id || document.activeElement.getAttribute('data-tabi') || document.activeElement.tagName) : ''`)
	}
	for i := range n {
		reached := map[string]int{}
		for _, shift := range []bool{false, true} {
			browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(document.querySelector('[data-tabi="%d"]').focus(), true)`, i))
			start := active()
			reached[start] = 0
			for press := 1; press <= 3; press++ {
				var opts []chromedp.KeyOption
				if shift {
					opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
				}
				browsertest.Do(t, ctx, chromedp.KeyEvent(kb.Tab, opts...))
				if id := active(); id != "" {
					if _, ok := reached[id]; !ok {
						reached[id] = press
					}
				}
			}
		}
		for _, want := range []string{"stop", "exit"} {
			if _, ok := reached[want]; !ok {
				t.Errorf("%s: from focusable %d of %d, #%s is more than 3 Tab or Shift+Tab presses away (reached %v)", where, i, n, want, reached)
			}
		}
	}
}

// TestChat answers the bundled consultation in a real browser, in English
// and in Arabic, and checks what a person sees and can do at each step.
func TestChat(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s := newSite(t)
	sc := s.env.Catalog.Get("community-safety")
	for _, lang := range []string{"en", "ar"} {
		ctx := browsertest.New(t)
		browsertest.Viewport(t, ctx, 375, 740, true)
		browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/chat?c=community-safety"))
		walkChat(t, ctx, sc, lang, func(name string) {
			defer tabReach(t, ctx, name) // after the checks of focus
			// Focus not obscured (WCAG 2.4.11): the focused control is on
			// screen and not under the sticky header (taller in Arabic) or
			// footer: the point at its centre belongs to it.
			browsertest.WaitFor(t, ctx, name+": the focused control visible", `(() => { const a = document.activeElement; if (!a || a === document.body) return true; const r = a.getBoundingClientRect(); const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return !!e && (e === a || a.contains(e)); })()`)
			switch {
			case strings.HasSuffix(name, "consent"):
				// The page's own words and direction follow the chosen language.
				wantDir := map[string]string{"en": "ltr", "ar": "rtl"}[lang]
				got := browsertest.Eval[[]string](t, ctx, `[document.documentElement.lang, document.documentElement.dir, document.getElementById('stop').innerText.trim()]`)
				if got[0] != lang || got[1] != wantDir {
					t.Errorf("%s: page lang/dir %v, want %s/%s", name, got[:2], lang, wantDir)
				}
				if lang == "ar" && got[2] != "توقف وامسح" {
					t.Errorf("%s: Stop reads %q, want it in Arabic", name, got[2])
				}
				// A question with buttons takes the buttons: no text box.
				if browsertest.Eval[bool](t, ctx, `!document.getElementById('compose').hidden`) {
					t.Errorf("%s: the text box is shown beside answer buttons", name)
				}
			case strings.HasSuffix(name, "choice question"):
				// The answer before was echoed, and focus is on this question.
				browsertest.WaitFor(t, ctx, "focus on the new question", `document.activeElement && document.activeElement.closest('#log li.bot:last-of-type')`)
			case strings.HasSuffix(name, "scale question"):
				ends := browsertest.Eval[[]string](t, ctx, `(() => { const bots = document.querySelectorAll('#log li.bot'); return Array.from(bots[bots.length-1].querySelectorAll('.scale .choice .end')).map(e => e.innerText.trim()); })()`)
				if len(ends) != 2 {
					t.Errorf("%s: scale end labels %q, want the two ends shown", name, ends)
				}
				if px := browsertest.Eval[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector('.scale .choice .end')).fontSize)`); px < 12 {
					t.Errorf("%s: scale labels at %.1f px, want at least 12", name, px)
				}
			case strings.HasSuffix(name, "multi question, one picked"):
				look := browsertest.Eval[[]string](t, ctx, `(() => { const bots = document.querySelectorAll('#log li.bot'); const li = bots[bots.length-1];
				  const done = li.querySelector('.primary-row button'); const back = li.querySelector('.nav-button');
				  return [done ? done.innerText.trim() : '', done ? getComputedStyle(done).backgroundColor : '', back ? getComputedStyle(back).backgroundColor : ''] })()`)
				if look[0] != dialogs.UI(lang, "done") || look[1] == look[2] {
					t.Errorf("%s: Done %q looks like %s, Back like %s: want Done alone as the primary action, filled", name, look[0], look[1], look[2])
				}
			case strings.HasSuffix(name, "text question"):
				browsertest.WaitFor(t, ctx, "focus in the text box", `document.activeElement === document.getElementById('input')`)
			case strings.HasSuffix(name, "end"):
				// Every choice was echoed, and what the person typed is
				// shown in its own direction.
				got := browsertest.Eval[[]int](t, ctx, `[document.querySelectorAll('#log li.me .chose').length,
				  Array.from(document.querySelectorAll('#log li.me .text')).filter(p => !p.querySelector('bdi') && p.dir !== 'auto').length]`)
				if got[0] < 10 || got[1] != 0 {
					t.Errorf("%s: %d \"You chose\" echoes (want one per answer), %d typed texts without dir=auto (want 0)", name, got[0], got[1])
				}
				first := browsertest.Eval[string](t, ctx, `document.querySelector('#log li.me').innerText`)
				if want := map[string]string{"en": "You chose: ", "ar": "اخترت: "}[lang]; !strings.Contains(first, want) {
					t.Errorf("%s: first echo %q, want it to say %q", name, first, want)
				}
			}
		})

		// Stop: an end state with "start again", Stop and exit still near.
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#stop")))
		browsertest.WaitFor(t, ctx, "the end state", `!document.getElementById('ended').hidden && document.querySelectorAll('#log li').length === 0 && document.activeElement === document.getElementById('ended-h')`)
		tabReach(t, ctx, "chat "+lang+": after Stop")
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#again")))
		browsertest.WaitFor(t, ctx, "a new start", `document.querySelectorAll('#log li.bot button').length >= 3 && document.getElementById('ended').hidden`)
		browsertest.NoErrors(t, ctx)
	}
}

// TestChatExitAndReport: Report an incident is one press away and starts
// the report; Quick exit opens a neutral page in place of the chat, so
// Back does not return to it.
func TestChatExitAndReport(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s := newSite(t)
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/chat?c=community-safety"))
	browsertest.WaitFor(t, ctx, "the language question", `document.querySelectorAll('#log li.bot button').length >= 3`)

	browsertest.ClickText(t, ctx, "Report an incident")
	browsertest.WaitText(t, ctx, dialogs.UI("en", "choose_language"))
	browsertest.ClickText(t, ctx, "English")
	// The consent is short and warns first; More shows the intro.
	browsertest.WaitText(t, ctx, "Not an emergency service")
	browsertest.ClickText(t, ctx, dialogs.UI("en", "more"))
	browsertest.WaitText(t, ctx, "Tell us about an insecurity incident")

	before := browsertest.Eval[int](t, ctx, `history.length`)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#exit")))
	browsertest.WaitFor(t, ctx, "the neutral page", `location.href.startsWith(`+jsq(s.exit.URL)+`) && document.readyState === 'complete'`)
	if after := browsertest.Eval[int](t, ctx, `history.length`); after != before {
		t.Errorf("quick exit: history grew from %d to %d entries, want the chat's entry replaced", before, after)
	}
	browsertest.Do(t, ctx, chromedp.NavigateBack())
	if href := browsertest.Eval[string](t, ctx, `location.href`); strings.Contains(href, "/chat") {
		t.Errorf("quick exit: Back returned to %s, want the page before the chat", href)
	}
}
