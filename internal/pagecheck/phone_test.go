package pagecheck

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/baraza/baraza/internal/browsertest"
)

// measure is what a phone shows of a page: its height and any sideways
// overflow in CSS pixels, the smallest text as drawn (an SVG's text is
// scaled with its viewBox), the page's weight and how many chart labels
// were cut short.
const measure = `(() => {
  const de = document.documentElement;
  let minFont = 1e9, minWhat = '';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode());) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue; // not drawn, or visually hidden
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') continue;
    let size = parseFloat(cs.fontSize);
    const svg = el.closest('svg');
    if (svg && svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
      size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    }
    if (size < minFont) { minFont = size; minWhat = n.textContent.trim().slice(0, 40); }
  }
  const nav = performance.getEntriesByType('navigation')[0];
  let bytes = nav.decodedBodySize;
  for (const r of performance.getEntriesByType('resource')) bytes += r.decodedBodySize;
  return {height: de.scrollHeight, overflow: de.scrollWidth - de.clientWidth, minFont: minFont, minWhat: minWhat,
          html: nav.decodedBodySize, bytes: bytes,
          truncated: Array.from(document.querySelectorAll('svg text')).filter(e => e.textContent.trim().endsWith('…')).length};
})()`

type pageSize struct {
	Height    int     `json:"height"`
	Overflow  int     `json:"overflow"`
	MinFont   float64 `json:"minFont"`
	MinWhat   string  `json:"minWhat"`
	HTML      int     `json:"html"`
	Bytes     int     `json:"bytes"`
	Truncated int     `json:"truncated"`
}

// TestPhone opens the dashboard's pages on a 375 px phone (and the home
// and release log also at 625 px) and measures them: the results page of
// 32 respondents, its sections collapsed, is at most 15 000 px tall, no
// page scrolls sideways, no text is drawn smaller than 12 px and no chart
// label is cut short.
func TestPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s := newSite(t)
	ctx := browsertest.New(t)
	signIn(t, ctx, s)
	for _, p := range []struct {
		name, path string
		width      int64
		maxHeight  int
	}{
		{"results", "/consultations/community-safety", 375, 15000},
		{"results (ar)", "/consultations/community-safety?lang=ar", 375, 15000},
		{"public page", "/public/community-safety?lang=en", 375, 15000},
		{"results (report)", "/consultations/incident-report", 375, 15000},
		{"dashboard home", "/", 375, 0},
		{"dashboard home", "/", 625, 0},
		{"release log", "/admin", 375, 0},
		{"release log", "/admin", 625, 0},
	} {
		browsertest.Viewport(t, ctx, p.width, 740, true)
		browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+p.path))
		browsertest.WaitFor(t, ctx, "the page loaded", `document.readyState === 'complete' && document.querySelector('h1')`)
		m := browsertest.Eval[pageSize](t, ctx, measure)
		t.Logf("%s at %d px: %d px tall, %d px sideways overflow, smallest text %.1f px (%q), HTML %d bytes, with assets %d bytes, %d truncated chart labels",
			p.name, p.width, m.Height, m.Overflow, m.MinFont, m.MinWhat, m.HTML, m.Bytes, m.Truncated)
		if reportOnly() {
			continue
		}
		if p.maxHeight > 0 && m.Height > p.maxHeight {
			t.Errorf("%s at %d px: %d px tall, want at most %d", p.name, p.width, m.Height, p.maxHeight)
		}
		if m.Overflow > 0 {
			t.Errorf("%s at %d px: scrolls %d px sideways, want 0", p.name, p.width, m.Overflow)
		}
		if m.MinFont < 12 {
			t.Errorf("%s at %d px: text %q drawn at %.1f px, want at least 12", p.name, p.width, m.MinWhat, m.MinFont)
		}
		if m.Truncated > 0 {
			t.Errorf("%s at %d px: %d chart labels cut short, want them wrapped", p.name, p.width, m.Truncated)
		}
	}
}
