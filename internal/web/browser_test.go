package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/baraza/baraza/internal/browsertest"
	"github.com/baraza/baraza/internal/testenv"
)

// TestBrowser drives the dashboard in headless Chromium: sign in, open a
// consultation, see a chart and a hidden count drawn as "hidden" (its
// table cell "hidden to protect respondents", a link to why),
// download the CSV through the page's link, switch to Arabic, and read the
// public page without signing in. The pages run no script, so any CSP
// violation or error in the page fails the test.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newFixture(t)
	ctx := browsertest.New(t)
	downloads := t.TempDir()
	browsertest.Do(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))

	// Sign in.
	browsertest.Do(t, ctx, chromedp.Navigate(f.srv.URL+"/"))
	browsertest.WaitText(t, ctx, "Sign in with the access token")
	browsertest.Type(t, ctx, "#token", f.tokens[official])
	browsertest.ClickText(t, ctx, "Sign in")
	browsertest.WaitText(t, ctx, "Signed in as "+official)

	// The list, then one consultation.
	browsertest.WaitText(t, ctx, "Safety in town")
	browsertest.ClickText(t, ctx, "Safety in town")
	browsertest.WaitText(t, ctx, "Response rate")
	browsertest.WaitFor(t, ctx, "a drawn bar", `document.querySelector('#q-area > figure > svg.chart rect.bar').getBBox().width > 100`)
	browsertest.WaitFor(t, ctx, "a hidden count drawn as hidden",
		`Array.from(document.querySelectorAll('#q-area > figure > svg.chart text.val-hidden')).map(e => e.textContent).join('|') === 'hidden|hidden|hidden'`)
	browsertest.WaitFor(t, ctx, "a hidden table cell linking to why it is hidden",
		`Array.from(document.querySelectorAll('td.hidden-count')).length > 0 &&
		 Array.from(document.querySelectorAll('td.hidden-count')).every(td => td.textContent.trim() === 'hidden to protect respondents' && td.querySelector('a[href="#why-hidden"]')) &&
		 document.getElementById('why-hidden') !== null && !document.body.textContent.includes('fewer than')`)
	browsertest.WaitFor(t, ctx, "the stylesheet applied", `getComputedStyle(document.querySelector('.hidden-count')).fontStyle === 'italic'`)
	browsertest.WaitFor(t, ctx, "every table captioned, every chart titled and described, one h1",
		`Array.from(document.querySelectorAll('table')).every(t => t.caption && t.caption.textContent.trim() !== '') &&
		 Array.from(document.querySelectorAll('svg.chart')).every(s => s.querySelector('title') && s.querySelector('desc') && s.getAttribute('role') === 'img') &&
		 document.querySelectorAll('h1').length === 1`)
	if *update {
		browsertest.Screenshot(t, ctx, filepath.Join("testdata", "consultation.png"))
	}

	// Download the CSV with the page's own link.
	browsertest.ClickText(t, ctx, "CSV")
	file := filepath.Join(downloads, "town.csv")
	testenv.WaitFor(t, browsertest.Timeout, "the CSV download", func() bool {
		b, err := os.ReadFile(file)
		return err == nil && strings.Contains(string(b), "\n")
	})
	csv, _ := os.ReadFile(file)
	header, _, _ := strings.Cut(strings.TrimPrefix(string(csv), "\ufeff"), "\n")
	// DESIGN.md's eight columns in its order.
	if want := "question_id,option_id,by_question_id,by_option_id,count,suppressed,question,option"; strings.TrimSpace(header) != want {
		t.Errorf("CSV header: got %q, want %q", header, want)
	}

	// Arabic, right to left.
	browsertest.ClickText(t, ctx, "العربية")
	browsertest.WaitFor(t, ctx, "dir=rtl", `document.documentElement.dir === 'rtl' && document.documentElement.lang === 'ar'`)
	browsertest.WaitText(t, ctx, "معدل الاستجابة")
	browsertest.WaitFor(t, ctx, "an Arabic hidden count", `Array.from(document.querySelectorAll('#q-area > figure > svg.chart text.val-hidden')).some(e => e.textContent === 'مخفي')`)
	if *update {
		browsertest.Screenshot(t, ctx, filepath.Join("testdata", "consultation-ar.png"))
	}
	browsertest.NoErrors(t, ctx)

	// The public page, in a fresh browser without a session.
	pub := browsertest.New(t)
	browsertest.Do(t, pub, chromedp.Navigate(f.srv.URL+"/public/town?lang=en"))
	browsertest.WaitText(t, pub, "Published results")
	browsertest.WaitFor(t, pub, "a chart", `document.querySelectorAll('svg.chart').length > 3`)
	browsertest.WaitGone(t, pub, "street lights")
	browsertest.WaitGone(t, pub, "Sign out")
	browsertest.NoErrors(t, pub)

	// Print: the A4 stylesheet hides navigation, forms and downloads.
	browsertest.Do(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	browsertest.WaitFor(t, ctx, "print hides the controls",
		`getComputedStyle(document.querySelector('.who')).display === 'none' && getComputedStyle(document.querySelector('.downloads')).display === 'none' && getComputedStyle(document.querySelector('#q-area > figure > svg.chart')).display !== 'none'`)
}
