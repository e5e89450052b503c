// Package browsertest runs Baraza's web pages in headless Chromium (Debian's
// chromium package) from Go tests, through chromedp.
//
//	ctx := browsertest.New(t)
//	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/chat"))
//	browsertest.WaitText(t, ctx, "Where do you live?")
//	browsertest.ClickText(t, ctx, "North")
//
// Every helper waits by polling the page with a deadline (Timeout) and fails
// the test with what the page showed instead. Uncaught JavaScript
// exceptions, console errors and Content-Security-Policy violations are
// collected; Errors returns them, and NoErrors fails the test on any.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Chromium is where Debian's chromium package installs the browser.
const Chromium = "/usr/bin/chromium"

// Timeout bounds each wait of the helpers. A wait ends as soon as its
// condition holds, so a generous bound costs nothing when the page works;
// 15 s was too short for a -race build on a shared 2-core machine with a
// load average of 20 (TestChat failed there on a toggle that came later).
const Timeout = 60 * time.Second

type errorsKey struct{}

// pageErrors collects what went wrong inside the page.
type pageErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (p *pageErrors) add(s string) {
	p.mu.Lock()
	p.msgs = append(p.msgs, s)
	p.mu.Unlock()
}

// New starts a headless Chromium with a fresh temporary profile and returns
// a chromedp context for one tab in it. The browser is closed at cleanup.
// The test fails at once, saying how to install it, when Chromium is
// missing.
func New(t testing.TB) context.Context {
	t.Helper()
	if _, err := exec.LookPath(Chromium); err != nil {
		t.Fatalf("browsertest: %s not found (%v); install it with: apt-get install chromium", Chromium, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 915), // a phone
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "en-US"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	pe := &pageErrors{}
	ctx, cancel := chromedp.NewContext(context.WithValue(allocCtx, errorsKey{}, pe), chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil && ev.ExceptionDetails.Exception.Description != "" {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
			pe.add("exception: " + msg)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					if a.Value != nil {
						parts = append(parts, string(a.Value))
					} else {
						parts = append(parts, a.Description)
					}
				}
				pe.add("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				pe.add("log: " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		}
	}))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the browser now, without a timeout (a timeout on the first Run
	// would stop the whole browser later), and enable the log domain so CSP
	// violations are reported.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, log.Enable, cdp.Empty{})
		return err
	})); err != nil {
		t.Fatalf("browsertest: start %s: %v", Chromium, err)
	}
	return ctx
}

// Errors returns the JavaScript exceptions, console errors and browser log
// errors (CSP violations, failed loads) the page produced so far.
func Errors(ctx context.Context) []string {
	pe, _ := ctx.Value(errorsKey{}).(*pageErrors)
	if pe == nil {
		return nil
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	return append([]string(nil), pe.msgs...)
}

// NoErrors fails the test if the page produced any error (see Errors)
// other than those containing one of the ignore substrings (e.g. "503" for
// a test that makes the server fail on purpose).
func NoErrors(t testing.TB, ctx context.Context, ignore ...string) {
	t.Helper()
	var errs []string
	for _, e := range Errors(ctx) {
		if !slices.ContainsFunc(ignore, func(s string) bool { return strings.Contains(e, s) }) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		t.Errorf("browser errors: got %d, want none:\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
}

// Do runs chromedp actions in order with a Timeout each and fails the test
// on the first error.
func Do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, a := range actions {
		actx, cancel := context.WithTimeout(ctx, Timeout)
		_, err := chromedp.Run(actx, a)
		cancel()
		if err != nil {
			t.Fatalf("browsertest: action %d of %d: %v", i+1, len(actions), err)
		}
	}
}

// Eval evaluates a JavaScript expression and decodes its JSON value into T.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(actx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("browsertest: eval %s: %v", expr, err)
	}
	return v
}

// WaitFor polls the JavaScript expression until it is true, failing the test
// after Timeout with the page's visible text.
func WaitFor(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		actx, cancel := context.WithTimeout(ctx, Timeout)
		ok, err := chromedp.Run(actx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("browsertest: waited %v for %s (%s): last error %v; page shows:\n%s", Timeout, what, expr, err, bodyText(ctx))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitText waits until the page's visible text contains s.
func WaitText(t testing.TB, ctx context.Context, s string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf("text %q", s), "document.body && document.body.innerText.includes("+jsString(s)+")")
}

// WaitGone waits until the page's visible text no longer contains s.
func WaitGone(t testing.TB, ctx context.Context, s string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf("text %q gone", s), "document.body && !document.body.innerText.includes("+jsString(s)+")")
}

// clickable finds the last visible, enabled button (or link, or element
// with role=button) whose visible text, trimmed, is the given text, and
// marks it so a CSS selector can reach it.
const clickable = `(function(text){
  const els = Array.from(document.querySelectorAll('button, a[href], [role=button]'));
  const vis = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
  const hits = els.filter(e => e.innerText.trim() === text && !e.disabled && vis(e));
  document.querySelectorAll('[data-browsertest-click]').forEach(e => e.removeAttribute('data-browsertest-click'));
  if (hits.length === 0) return false;
  hits[hits.length-1].setAttribute('data-browsertest-click', '1');
  return true;
})(%s)`

// ClickText clicks, with a real mouse event, the newest visible button or
// link whose visible text is text (trimmed), waiting for it to appear.
func ClickText(t testing.TB, ctx context.Context, text string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf("a button %q", text), fmt.Sprintf(clickable, jsString(text)))
	Do(t, ctx, chromedp.Click(chromedp.CSS(`[data-browsertest-click="1"]`)))
}

// Type focuses the element matching the CSS selector and types s into it
// with key events.
func Type(t testing.TB, ctx context.Context, selector, s string) {
	t.Helper()
	Do(t, ctx, chromedp.SendKeys(chromedp.CSS(selector), s))
}

// Screenshot saves a full-page PNG screenshot to file.
func Screenshot(t testing.TB, ctx context.Context, file string) {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	png, err := chromedp.Run(actx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
}

// bodyText is the page's visible text for failure messages, shortened.
func bodyText(ctx context.Context) string {
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(actx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	if r := []rune(s); len(r) > 2000 {
		s = string(r[:2000]) + "…"
	}
	return s
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
