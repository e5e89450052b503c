package pagecheck

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/baraza/baraza/internal/browsertest"
)

// size is a viewport: the desktop and phone.
type size struct {
	name   string
	w, h   int64
	mobile bool
}

var sizes = []size{{"1280×800", 1280, 800, false}, {"375×740", 375, 740, true}}

// audit runs axe-core on the page as it is at both sizes and records the
// counts under name; it leaves the viewport at the desktop size.
type audit struct {
	t      *testing.T
	ctx    context.Context
	rows   []string
	failed []string
}

func (a *audit) check(name string) {
	a.t.Helper()
	for _, sz := range sizes {
		browsertest.Viewport(a.t, a.ctx, sz.w, sz.h, sz.mobile)
		start := time.Now()
		vs := browsertest.Axe(a.t, a.ctx)
		c := browsertest.Count(vs)
		var rules []string
		for _, v := range vs {
			rules = append(rules, fmt.Sprintf("%s:%s×%d", v.Impact, v.ID, len(v.Nodes)))
		}
		a.t.Logf("axe %s at %s (%v): %s [%s]", name, sz.name, time.Since(start).Round(time.Millisecond), c, strings.Join(rules, " "))
		a.rows = append(a.rows, fmt.Sprintf("%-34s %-9s %s", name, sz.name, c))
		if c.Critical > 0 || c.Serious > 0 {
			var bad []browsertest.AxeViolation
			for _, v := range vs {
				if v.Impact == "critical" || v.Impact == "serious" {
					bad = append(bad, v)
				}
			}
			a.failed = append(a.failed, fmt.Sprintf("%s at %s: %s\n%s", name, sz.name, c, browsertest.Describe(bad)))
		}
	}
	browsertest.Viewport(a.t, a.ctx, sizes[0].w, sizes[0].h, sizes[0].mobile)
}

func (a *audit) report() {
	a.t.Helper()
	a.t.Logf("axe-core counts (failing elements by impact):\n%s", strings.Join(a.rows, "\n"))
	if len(a.failed) > 0 && !reportOnly() {
		a.t.Errorf("axe-core: want 0 critical and 0 serious on every page, got:\n%s", strings.Join(a.failed, "\n\n"))
	}
}

// TestAxe runs axe-core on every page type at 1280×800 and 375×740: the
// chat at its start, consent, each kind of question and its end, in
// English and Arabic; sign-in; the dashboard home; a results page with its
// downloads; a report's results; the release log; the live view; the
// public page. Set BARAZA_PAGECHECK_REPORT=1 to list the counts without
// failing (to measure a "before").
func TestAxe(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s := newSite(t)
	ctx := browsertest.New(t)
	a := &audit{t: t, ctx: ctx}

	for _, lang := range []string{"en", "ar"} {
		// A fresh browser each time: one browser takes part once.
		a.ctx = browsertest.New(t)
		browsertest.Do(t, a.ctx, chromedp.Navigate(s.srv.URL+"/chat?c=community-safety"))
		walkChat(t, a.ctx, s.env.Catalog.Get("community-safety"), lang, a.check)
	}
	a.ctx = ctx

	browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/"))
	browsertest.WaitFor(t, ctx, "the sign-in form", `document.querySelector('#token')`)
	a.check("sign-in")
	signIn(t, ctx, s)
	a.check("dashboard home")
	for _, p := range []struct{ name, path, want string }{
		{"results + downloads", "/consultations/community-safety", "CSV"},
		{"results (report)", "/consultations/incident-report", "CSV"},
		{"release log (admin)", "/admin", "demo admin"},
		{"public page", "/public/community-safety?lang=en", "Safety in our community"},
		{"public page (ar)", "/public/community-safety?lang=ar", "الأمان في مجتمعنا"},
	} {
		browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+p.path))
		browsertest.WaitText(t, ctx, p.want)
		a.check(p.name)
		if strings.HasPrefix(p.name, "results") {
			// The breakdown tables are collapsed; open them all and check again.
			browsertest.Eval[bool](t, ctx, `(document.querySelectorAll('details').forEach(d => d.open = true), true)`)
			a.check(p.name + ", breakdowns open")
		}
	}
	browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/live/community-safety"))
	browsertest.WaitFor(t, ctx, "the live view drawn", `document.querySelectorAll('#questions .question').length > 3`)
	a.check("live view")
	a.report()
}
