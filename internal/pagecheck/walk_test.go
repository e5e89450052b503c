package pagecheck

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/browsertest"
)

// signIn signs the browser in with the site's admin token.
func signIn(t testing.TB, ctx context.Context, s *site) {
	t.Helper()
	browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/"))
	browsertest.Type(t, ctx, "#token", s.admin)
	browsertest.ClickText(t, ctx, "Sign in")
	browsertest.WaitText(t, ctx, "demo admin")
}

// chatState describes the newest bot message of the chat.
const chatState = `(() => {
  const bots = document.querySelectorAll('#log li.bot');
  const li = bots[bots.length - 1];
  if (!li) return {n: 0, text: '', buttons: [], toggles: 0};
  const bs = Array.from(li.querySelectorAll('button'));
  return {n: document.querySelectorAll('#log li').length, text: li.querySelector('.text').innerText,
          buttons: bs.map(b => b.dataset.data || ''), labels: bs.map(b => b.innerText.trim()),
          toggles: bs.filter(b => b.hasAttribute('aria-pressed')).length};
})()`

type state struct {
	N       int      `json:"n"`
	Text    string   `json:"text"`
	Buttons []string `json:"buttons"`
	Labels  []string `json:"labels"`
	Toggles int      `json:"toggles"`
}

// clickData clicks the newest message's button whose data is data.
func clickData(t testing.TB, ctx context.Context, data string) {
	t.Helper()
	mark := fmt.Sprintf(`(() => {
  document.querySelectorAll('[data-pagecheck]').forEach(e => e.removeAttribute('data-pagecheck'));
  const bots = document.querySelectorAll('#log li.bot');
  const li = bots[bots.length - 1];
  const b = li && Array.from(li.querySelectorAll('button')).find(b => b.dataset.data === %s);
  if (!b) return false;
  b.setAttribute('data-pagecheck', '1');
  return true;
})()`, jsq(data))
	browsertest.WaitFor(t, ctx, "button "+data, mark)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`[data-pagecheck="1"]`)))
}

// walkChat answers the consultation in the browser in lang, calling check
// at the start, the consent, the first question of each kind and the end.
func walkChat(t testing.TB, ctx context.Context, sc *dialogs.Script, lang string, check func(string)) {
	t.Helper()
	checked := map[string]bool{}
	once := check
	check = func(name string) {
		if !checked[name] {
			checked[name] = true
			once(name)
		}
	}
	get := func() state { return browsertest.Eval[state](t, ctx, chatState) }
	waitNew := func(prev state) state {
		t.Helper()
		browsertest.WaitFor(t, ctx, "the next message", fmt.Sprintf(`(%s).text !== %s`, chatState, jsq(prev.Text)))
		return get()
	}
	browsertest.WaitFor(t, ctx, "the language question", `document.querySelectorAll('#log li.bot button').length >= 3`)
	st := get()
	check("chat " + lang + ": start (language)")
	var langData string
	for _, d := range st.Buttons {
		if strings.HasSuffix(d, ":l"+lang) {
			langData = d
		}
	}
	clickData(t, ctx, langData)
	st = waitNew(st)
	check("chat " + lang + ": consent")
	clickData(t, ctx, st.Buttons[0])
	st = waitNew(st)
	for range 40 {
		q := questionOf(sc, lang, st.Text)
		if q == nil {
			if strings.Contains(st.Text, firstWords(sc.Text(sc.Outro, lang))) {
				check("chat " + lang + ": end")
				return
			}
			t.Fatalf("chat %s: cannot tell what %q asks", lang, st.Text)
		}
		check(fmt.Sprintf("chat %s: %s question", lang, q.Type))
		switch q.Type {
		case dialogs.TypeMulti:
			first := st.Buttons[0]
			clickData(t, ctx, first)
			browsertest.WaitFor(t, ctx, "the toggle pressed", fmt.Sprintf(`(() => { const bots = document.querySelectorAll('#log li.bot'); const b = Array.from(bots[bots.length-1].querySelectorAll('button')).find(b => b.dataset.data === %s); return b && b.getAttribute('aria-pressed') === 'true'; })()`, jsq(first)))
			check(fmt.Sprintf("chat %s: %s question, one picked", lang, q.Type))
			done := ""
			for i, l := range st.Labels {
				if l == dialogs.UI(lang, "done") {
					done = st.Buttons[i]
				}
			}
			clickData(t, ctx, done)
		case dialogs.TypeText, dialogs.TypeNumber:
			browsertest.Type(t, ctx, "#input", "The street by the market is dark\r")
		default:
			clickData(t, ctx, st.Buttons[0])
		}
		st = waitNew(st)
	}
	t.Fatalf("chat %s: no end after 40 steps", lang)
}

func questionOf(sc *dialogs.Script, lang, text string) *dialogs.Question {
	for i := range sc.Questions {
		q := &sc.Questions[i]
		if qt := sc.Text(q.Text, lang); qt != "" && strings.Contains(text, qt) {
			return q
		}
	}
	return nil
}

func firstWords(s string) string {
	w := strings.Fields(s)
	return strings.Join(w[:min(3, len(w))], " ")
}

func jsq(s string) string {
	b := strings.Builder{}
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// reportOnly: BARAZA_PAGECHECK_REPORT=1 logs the measurements without
// failing, to record a "before".
func reportOnly() bool { return os.Getenv("BARAZA_PAGECHECK_REPORT") != "" }
